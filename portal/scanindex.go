package portal

import (
	"cmp"
	"context"
	"errors"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gongshi-archive/gongshi/archive"
	"github.com/gongshi-archive/gongshi/archive/ledger"
)

// RecordSource lists the latest version of every record; *archive.Archive has it.
type RecordSource interface {
	Records(ctx context.Context, fn func(archive.Record) error) error
	Projects(ctx context.Context) ([]archive.Project, error)
	Catalogue() *archive.Catalogue
}

// ScanIndex is an Index held in memory and rebuilt from the archive whenever the
// ledger grows. It is the stand-in until the search package's index is wired in
// (it scans every record per query and rereads the archive per ledger change),
// and the reference the portal's tests hold that index to. Visibility is
// archive.Visibility of each record with the state State gives.
type ScanIndex struct {
	src   RecordSource
	led   Ledger
	state StateFunc
	now   func() time.Time

	mu       sync.RWMutex
	recs     []scanned // newest filing first
	projects map[string]archive.Project
	pos      int64
}

// StateFunc returns a record's state (publication, window, disposal), which
// visibility reads.
type StateFunc func(ctx context.Context, r archive.Record) (archive.RecordState, error)

// PublishedByClass is a state for tests and archives without publication
// records: every record counts as published, so its class alone decides (public
// to anyone, area to its project's households, on_request as a catalogue entry).
// gongshi serve passes the archive's own state (Archive.RecordState).
func PublishedByClass(context.Context, archive.Record) (archive.RecordState, error) {
	return archive.RecordState{Publication: archive.Published}, nil
}

// NewScanIndex returns an empty index over src; Refresh or Follow fill it. state
// nil means PublishedByClass; now nil means time.Now.
func NewScanIndex(src RecordSource, l Ledger, state StateFunc, now func() time.Time) *ScanIndex {
	if state == nil {
		state = PublishedByClass
	}
	if now == nil {
		now = time.Now
	}
	return &ScanIndex{src: src, led: l, state: state, now: now, projects: map[string]archive.Project{}}
}

// scanned is one record with its state and what each query would otherwise
// compute again: its visibility (until it changes), the text to match, its step.
type scanned struct {
	rec  archive.Record
	st   archive.RecordState
	vis  archive.Visible
	hay  string // lower-case catalogue text
	body string // lower-case content text (abstract, keywords)
	step string
	// Facet values.
	city, district, year string
}

// Refresh rereads the archive when the ledger has grown since the last read.
func (x *ScanIndex) Refresh(ctx context.Context) error {
	_, cp, err := x.led.Latest(ctx)
	if err != nil && !errors.Is(err, ledger.ErrNotFound) {
		return err
	}
	x.mu.RLock()
	same := cp.Size == x.pos && x.recs != nil
	x.mu.RUnlock()
	if same {
		return nil
	}
	ps, err := x.src.Projects(ctx)
	if err != nil {
		return err
	}
	projects := make(map[string]archive.Project, len(ps))
	for _, p := range ps {
		projects[p.Code] = p
	}
	cat := x.src.Catalogue()
	stepOf := map[string]string{}
	for _, t := range cat.Types() {
		stepOf[t.Code] = t.Step
	}
	now := x.now()
	var recs []scanned
	err = x.src.Records(ctx, func(r archive.Record) error {
		st, err := x.state(ctx, r)
		if err != nil {
			return err
		}
		recs = append(recs, scanned{rec: r, st: st, vis: archive.Visibility(r, st, now), step: stepOf[r.Type],
			hay: strings.ToLower(strings.Join([]string{r.Title, r.DocNumber, r.Issuer, r.ArchivalCode, projects[r.Project].Name,
				typeName(LangZh, cat, r.Type), typeName(LangEn, cat, r.Type)}, " ")),
			body: strings.ToLower(r.Abstract + " " + strings.Join(r.Keywords, " ")),
			city: projects[r.Project].City, district: projects[r.Project].District, year: strconv.Itoa(r.Date.Year)})
		return nil
	})
	if err != nil {
		return err
	}
	slices.SortStableFunc(recs, func(a, b scanned) int {
		if c := b.rec.FiledAt.Compare(a.rec.FiledAt); c != 0 {
			return c
		}
		return strings.Compare(a.rec.ID, b.rec.ID)
	})
	if recs == nil {
		recs = []scanned{}
	}
	x.mu.Lock()
	x.recs, x.projects, x.pos = recs, projects, cp.Size
	x.mu.Unlock()
	return nil
}

// Follow refreshes every interval until ctx ends, logging nothing: a failed
// refresh is tried again at the next tick, and /readyz shows the lag.
func (x *ScanIndex) Follow(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		_ = x.Refresh(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Stats counts the records and projects the index read.
func (x *ScanIndex) Stats() ArchiveStats {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return ArchiveStats{Records: int64(len(x.recs)), Projects: int64(len(x.projects))}
}

// Position is the ledger size the index was read at.
func (x *ScanIndex) Position() int64 {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return x.pos
}

// Access applies archive.Visibility to r with its state.
func (x *ScanIndex) Access(ctx context.Context, v Viewer, r archive.Record) (archive.Access, error) {
	st, err := x.state(ctx, r)
	if err != nil {
		return archive.AccessNone, err
	}
	return v.AccessTo(archive.Visibility(r, st, x.now())), nil
}

// CatalogueOnly is r with only its catalogue fields (archive.CatalogueFields):
// what a viewer with AccessCatalogue may see.
func CatalogueOnly(r archive.Record) archive.Record {
	return archive.Record{ID: r.ID, Version: r.Version, Project: r.Project, Type: r.Type, Title: r.Title,
		DocNumber: r.DocNumber, Issuer: r.Issuer, Date: r.Date, Disclosure: r.Disclosure, ArchivalCode: r.ArchivalCode}
}

// Search scans every record: the cost is a few comparisons per record, and a
// Hit is made only for the page of hits returned.
func (x *ScanIndex) Search(ctx context.Context, v Viewer, q Query) (Result, error) {
	x.mu.RLock()
	defer x.mu.RUnlock()
	terms := strings.Fields(strings.ToLower(q.Text))
	now := x.now()
	type hit struct {
		i      int32
		access archive.Access
	}
	var hits []hit
	var facets [5]map[string]int // project, type, step, city, year
	if q.Facets {
		for k := range facets {
			facets[k] = map[string]int{}
		}
	}
	for i := range x.recs {
		sr := &x.recs[i]
		r := &sr.rec
		switch {
		case q.Project != "" && r.Project != q.Project,
			q.Type != "" && r.Type != q.Type,
			q.Step != "" && sr.step != q.Step,
			q.City != "" && sr.city != q.City,
			q.District != "" && sr.district != q.District,
			q.Year != 0 && r.Date.Year != q.Year,
			q.PublicCopyOf != "" && r.PublicCopyOf != q.PublicCopyOf:
			continue
		}
		vis := sr.vis
		if !vis.Until.IsZero() && !now.Before(vis.Until) {
			vis = archive.Visibility(*r, sr.st, now) // a window opened or closed
		}
		access := v.AccessTo(vis)
		if access == archive.AccessNone {
			continue
		}
		if len(terms) > 0 {
			all := true
			for _, t := range terms {
				// The abstract and keywords are content: they match only
				// for a viewer who may read them.
				if !strings.Contains(sr.hay, t) && (access < archive.AccessContent || !strings.Contains(sr.body, t)) {
					all = false
					break
				}
			}
			if !all {
				continue
			}
		}
		hits = append(hits, hit{int32(i), access})
		if q.Facets {
			facets[0][r.Project]++
			facets[1][r.Type]++
			facets[2][sr.step]++
			facets[3][sr.city]++
			facets[4][sr.year]++
		}
	}
	if q.Sort == "date" {
		slices.SortStableFunc(hits, func(a, b hit) int { return x.recs[b.i].rec.Date.Compare(x.recs[a.i].rec.Date) })
	}
	res := Result{Total: len(hits)}
	if q.Facets {
		res.Facets = map[string][]Facet{}
		for k, name := range []string{"project", "type", "step", "city", "year"} {
			fs := make([]Facet, 0, len(facets[k]))
			for val, n := range facets[k] {
				f := Facet{Value: val, Count: n}
				if name == "project" {
					f.Label = x.projects[val].Name
				}
				fs = append(fs, f)
			}
			slices.SortFunc(fs, func(a, b Facet) int {
				return cmp.Or(cmp.Compare(b.Count, a.Count), strings.Compare(a.Value, b.Value))
			})
			res.Facets[name] = fs
		}
	}
	limit := q.Limit
	if limit <= 0 {
		limit = 20
	}
	off := min(max(q.Offset, 0), len(hits))
	for _, h := range hits[off:min(off+limit, len(hits))] {
		sr := &x.recs[h.i]
		out := Hit{Record: sr.rec, Access: h.access, ProjectName: x.projects[sr.rec.Project].Name}
		if h.access == archive.AccessCatalogue {
			out.Record = CatalogueOnly(sr.rec)
		}
		switch {
		case !sr.st.FirstPublishedAt.IsZero():
			out.Published = archive.DateOf(sr.st.FirstPublishedAt)
		case sr.st.Publication == archive.Published:
			// A state without its day (PublishedByClass): the filing day stands for it.
			out.Published = archive.DateOf(sr.rec.FiledAt)
		}
		res.Hits = append(res.Hits, out)
	}
	return res, nil
}
