package portal

import (
	"context"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/gongshi-archive/gongshi/archive"
)

// The search page (/search?q=…): words, filters by project, type, step, city and
// year, facets to narrow down, pages of 20. It reads the query string: the
// public's pages are cached per distinct canonical query (canonicalSearch) in
// the index's version (routes.go queryPage); the index answers the rest.

type searchData struct {
	Cat      *archive.Catalogue
	Q        Query
	Searched bool
	Total    int
	Rows     []recordRow
	Facets   []facetView
	Prev     string
	Next     string
	From, To int
	Active   []activeFilter
	Projects map[string]string // code → name
}

type facetView struct {
	Name   string // "project", "type", ...
	Values []facetValue
}

type facetValue struct {
	Value, Label, URL string
	Count             int
	Selected          bool
}

type activeFilter struct {
	Name, Value, Label, RemoveURL string
}

const (
	searchPageSize = 20
	maxQueryRunes  = 200
	maxOffset      = 10000
)

// searchParams are the query parameters the search page reads.
var searchParams = [...]string{"q", "project", "type", "step", "city", "year", "sort", "page"}

// canonicalSearch is the search page's query in one spelling: only the
// parameters it reads, the first value of each (the one it reads), trimmed,
// empty ones and the first page left out, the words' runs of spaces (a
// full-width one too) made one space — what the index does with them too.
func canonicalSearch(v url.Values) url.Values {
	out := url.Values{}
	for _, k := range searchParams {
		x := strings.TrimSpace(v.Get(k))
		switch k {
		case "q":
			x = strings.Join(strings.Fields(x), " ")
		case "page":
			if x == "1" {
				x = ""
			}
		}
		if x != "" {
			out.Set(k, x)
		}
	}
	return out
}

func (s *Server) searchPage(ctx context.Context, rq *request) (*page, error) {
	q := Query{
		Text: rq.form("q"), Project: rq.form("project"), Type: rq.form("type"), Step: rq.form("step"),
		City: rq.form("city"), Sort: rq.form("sort"), Limit: searchPageSize, Facets: true,
	}
	if utf8.RuneCountInString(q.Text) > maxQueryRunes || !utf8.ValidString(q.Text) {
		return nil, badRequest("err_query_long", nil)
	}
	if y := rq.form("year"); y != "" {
		n, err := strconv.Atoi(y)
		if err != nil || n < 1900 || n > 9999 {
			return nil, badRequest("err_bad_request", err)
		}
		q.Year = n
	}
	if p := rq.form("page"); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || (n-1)*searchPageSize > maxOffset {
			return nil, badRequest("err_bad_request", err)
		}
		q.Offset = (n - 1) * searchPageSize
	}
	switch q.Sort {
	case "", "newest", "date":
	default:
		return nil, badRequest("err_bad_request", nil)
	}
	cat := s.opts.Archive.Catalogue()
	d := searchData{Cat: cat, Q: q, Projects: map[string]string{}}
	res, err := s.opts.Index.Search(ctx, rq.Viewer, q)
	if err != nil {
		return nil, err
	}
	// The projects' names come with the answer (its hits and project facet),
	// not from a read of every project: a search costs what it finds.
	for _, f := range res.Facets["project"] {
		if f.Label != "" {
			d.Projects[f.Value] = f.Label
		}
	}
	for _, h := range res.Hits {
		if h.ProjectName != "" {
			d.Projects[h.Record.Project] = h.ProjectName
		}
	}
	if code := q.Project; code != "" && d.Projects[code] == "" {
		// A project filter with no hits: its name for the filter's label, or
		// the code as typed when there is none (an unknown or invalid code; a
		// read that failed costs the label, not the answer).
		if p, err := s.opts.Archive.Project(ctx, code); err == nil {
			d.Projects[code] = p.Name
		}
	}
	d.Searched, d.Total = true, res.Total
	for _, h := range res.Hits {
		d.Rows = append(d.Rows, recordRow{Record: h.Record, ProjectName: d.Projects[h.Record.Project]})
	}
	base := rq.query
	label := func(name, v string) string {
		switch name {
		case "project":
			if n := d.Projects[v]; n != "" {
				return n
			}
		case "type":
			return typeName(rq.Lang, cat, v)
		case "step":
			return stepName(rq.Lang, cat, v)
		}
		return v
	}
	for _, name := range []string{"project", "type", "step", "city", "year"} {
		fv := facetView{Name: name}
		for i, f := range res.Facets[name] {
			if i >= 12 || f.Value == "" || f.Value == "0" {
				continue
			}
			fv.Values = append(fv.Values, facetValue{Value: f.Value, Label: label(name, f.Value), Count: f.Count,
				URL: searchURL(rq.Lang, base, name, f.Value), Selected: base.Get(name) == f.Value})
		}
		if len(fv.Values) > 0 {
			d.Facets = append(d.Facets, fv)
		}
		if v := base.Get(name); v != "" {
			d.Active = append(d.Active, activeFilter{Name: name, Value: v, Label: label(name, v), RemoveURL: searchURL(rq.Lang, base, name, "")})
		}
	}
	d.From, d.To = q.Offset+1, q.Offset+len(res.Hits)
	n := q.Offset/searchPageSize + 1
	if q.Offset > 0 {
		d.Prev = searchURL(rq.Lang, base, "page", strconv.Itoa(n-1))
	}
	if q.Offset+len(res.Hits) < res.Total && q.Offset+searchPageSize <= maxOffset {
		d.Next = searchURL(rq.Lang, base, "page", strconv.Itoa(n+1))
	}
	title := s.tmpl.msg(rq.Lang, "nav_search")
	if q.Text != "" {
		title = q.Text + " · " + title
	}
	return &page{name: "search", Title: title, Data: d}, nil
}

// searchURL is the search address with key set to value ("" removes it); a new
// filter goes back to the first page.
func searchURL(lang Lang, base url.Values, key, value string) string {
	v := url.Values{}
	for k, vs := range base {
		v[k] = append([]string(nil), vs...)
	}
	if key != "page" {
		v.Del("page")
	}
	if value == "" {
		v.Del(key)
	} else {
		v.Set(key, value)
	}
	u := href(lang, "/search")
	if e := v.Encode(); e != "" {
		u += "?" + e
	}
	return u
}
