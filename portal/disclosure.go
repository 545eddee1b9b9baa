package portal

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strconv"

	"github.com/gongshi-archive/gongshi/archive"
	"github.com/gongshi-archive/gongshi/requests"
)

// What 政府信息公开条例 Art. 12 and 49-50 require around disclosure on request:
// the disclosure guide (公开指南: what is published where, how to ask, how
// answers come, who to contact, how to complain), the disclosure catalogue
// (公开目录: every document the public may know of, by project, with its index
// number, name, summary and date, generated from the archive), and the annual
// report's figures computed from the tickets.

type guideData struct {
	Projects []archive.Project
	// Days is the answer's period in working days, ExtraDays its extension.
	Days, ExtraDays int
	Enabled         bool // disclosure on request is served here
}

func (s *Server) guidePage(ctx context.Context, rq *request) (*page, error) {
	projects, err := s.opts.Archive.Projects(ctx)
	if err != nil {
		return nil, err
	}
	d := guideData{Projects: projects, Days: 20, ExtraDays: 20, Enabled: s.hh != nil}
	if s.hh != nil {
		r := s.hh.o.Requests.Rule()
		d.Days = r.Length
		if r.Extension != nil {
			d.ExtraDays = r.Extension.Length
		}
	}
	return &page{name: "disclosure_guide", Title: s.tmpl.msg(rq.Lang, "dg_title"), Data: d}, nil
}

type catalogueData struct {
	Cat      *archive.Catalogue
	Projects []catalogueProject
	Project  *archive.Project
	Steps    []catalogueStep
	Total    int
	// Truncated: the project has more entries than the page lists (Listed).
	Truncated bool
	Listed    int
}

type catalogueProject struct {
	archive.Project
	Entries int
}

type catalogueStep struct {
	Code    string
	Entries []catalogueEntry
}

type catalogueEntry struct {
	archive.Record
	// Content: the public may read it (a public document); else it is listed
	// for request (on request).
	Content bool
}

// catalogueMax is how many entries a project's catalogue page lists.
const catalogueMax = 2000

func (s *Server) cataloguePage(ctx context.Context, rq *request) (*page, error) {
	projects, err := s.opts.Archive.Projects(ctx)
	if err != nil {
		return nil, err
	}
	d := catalogueData{Cat: s.opts.Archive.Catalogue()}
	for _, p := range projects {
		res, err := s.opts.Index.Search(ctx, publicViewer, Query{Project: p.Code, Limit: 1})
		if err != nil {
			return nil, err
		}
		d.Projects = append(d.Projects, catalogueProject{Project: p, Entries: res.Total})
		d.Total += res.Total
	}
	return &page{name: "disclosure_catalogue", Title: s.tmpl.msg(rq.Lang, "dc_title"), Data: d}, nil
}

func (s *Server) projectCatalogue(ctx context.Context, rq *request) (*page, error) {
	p, err := s.opts.Archive.Project(ctx, rq.param("code"))
	if errors.Is(err, archive.ErrNotFound) || errors.Is(err, archive.ErrInvalid) {
		return nil, errNotFound
	}
	if err != nil {
		return nil, err
	}
	cat := s.opts.Archive.Catalogue()
	// The catalogue is what the public may know of: the index answers as for
	// the public, whoever asks (staff see their own lists elsewhere).
	res, err := s.opts.Index.Search(ctx, publicViewer, Query{Project: p.Code, Sort: "date", Limit: catalogueMax})
	if err != nil {
		return nil, err
	}
	d := catalogueData{Cat: cat, Project: &p, Total: res.Total, Truncated: res.Total > len(res.Hits), Listed: len(res.Hits)}
	byStep := map[string][]catalogueEntry{}
	for _, h := range res.Hits {
		step := ""
		if t, ok := cat.Type(h.Record.Type); ok {
			step = t.Step
		}
		byStep[step] = append(byStep[step], catalogueEntry{Record: h.Record, Content: h.Access == archive.AccessContent})
	}
	for _, st := range cat.Steps() {
		if es := byStep[st.Code]; len(es) > 0 {
			d.Steps = append(d.Steps, catalogueStep{Code: st.Code, Entries: es})
		}
	}
	return &page{name: "disclosure_catalogue", Title: s.tmpl.msg(rq.Lang, "dc_title") + " · " + p.Name, Data: d}, nil
}

type reportData struct {
	Report  requests.Report
	Years   []int
	Reasons []reasonCount
	// Outcomes in the report's order, with their counts.
	Outcomes []outcomeCount
	Through  archive.Date // counted up to this day
}

type outcomeCount struct {
	Outcome requests.Outcome
	Count   int
}

type reasonCount struct {
	requests.Reason
	Count int
}

func (s *Server) reportPage(ctx context.Context, rq *request) (*page, error) {
	if s.hh == nil {
		return nil, errNotFound
	}
	year, err := strconv.Atoi(rq.param("year"))
	today := s.today()
	if err != nil || year < 2008 || year > today.Year {
		return nil, errNotFound // 条例 of 2007 in force from 2008
	}
	tickets, err := s.hh.o.Requests.List(ctx)
	if err != nil {
		return nil, err
	}
	d := reportData{Report: requests.AnnualReport(s.hh.o.Requests.Calendar(), s.hh.o.Requests.Rule(), tickets, year, today), Through: today}
	if year < today.Year {
		d.Through = archive.D(year, 12, 31)
	}
	years := map[int]bool{today.Year: true}
	for _, t := range tickets {
		years[t.Received.Year] = true
	}
	for y := range years {
		d.Years = append(d.Years, y)
	}
	slices.Sort(d.Years)
	slices.Reverse(d.Years)
	for _, o := range requests.Outcomes() {
		d.Outcomes = append(d.Outcomes, outcomeCount{Outcome: o, Count: d.Report.Outcomes[o]})
	}
	for _, r := range requests.Reasons() {
		d.Reasons = append(d.Reasons, reasonCount{Reason: r, Count: d.Report.Reasons[r.Code]})
	}
	return &page{name: "disclosure_report", status: http.StatusOK, Title: s.tmpl.msg(rq.Lang, "dr_title"), Data: d}, nil
}
