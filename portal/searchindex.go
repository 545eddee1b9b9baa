package portal

import (
	"context"
	"time"

	"github.com/gongshi-archive/gongshi/archive"
	"github.com/gongshi-archive/gongshi/search"
)

// SearchIndex is the portal's Index over the search package's index: what
// gongshi serve runs. The search index decides visibility in every query; Access
// decides it for one record with the same rule (archive.Visibility) and the
// record's state from the archive.
type SearchIndex struct {
	ix    *search.Index
	cat   *archive.Catalogue
	state func(ctx context.Context, id string) (archive.RecordState, error)
	now   func() time.Time
}

// NewSearchIndex returns the Index over ix. state gives a record's state (nil:
// none, every record unpublished); now nil means time.Now.
func NewSearchIndex(ix *search.Index, cat *archive.Catalogue, state func(ctx context.Context, id string) (archive.RecordState, error), now func() time.Time) *SearchIndex {
	if now == nil {
		now = time.Now
	}
	if state == nil {
		state = func(context.Context, string) (archive.RecordState, error) { return archive.RecordState{}, nil }
	}
	return &SearchIndex{ix: ix, cat: cat, state: state, now: now}
}

var _ Index = (*SearchIndex)(nil)

// searchViewer is v as the search index takes a viewer: a staff member with
// several roles searches with the one that sees most (archivist or inspector,
// who see everything, before the administrators, who see catalogue entries).
func searchViewer(v Viewer) archive.Viewer {
	avs := v.archiveViewers()
	best := avs[0]
	for _, av := range avs {
		if av.Role == archive.RoleArchivist || av.Role == archive.RoleInspector {
			return av
		}
	}
	return best
}

// Search implements Index.
func (x *SearchIndex) Search(ctx context.Context, v Viewer, q Query) (Result, error) {
	// The portal's Hit has no highlights: the index need not make them.
	req := search.Request{Query: q.Text, Viewer: searchViewer(v), Offset: q.Offset, Limit: q.Limit, NoHighlights: true, City: one(q.City),
		District: one(q.District), Project: one(q.Project), Type: one(q.Type), PublicCopyOf: one(q.PublicCopyOf)}
	if q.Year != 0 {
		req.Year = []int{q.Year}
	}
	if q.Step != "" {
		types := []string{}
		for _, t := range x.cat.Types() {
			if t.Step == q.Step && (q.Type == "" || q.Type == t.Code) {
				types = append(types, t.Code)
			}
		}
		if len(types) == 0 {
			return Result{}, nil // a step without types (or not this type): nothing
		}
		req.Type = types
	}
	switch q.Sort {
	case "newest":
		req.Sort = search.SortFiled
	case "date":
		req.Sort = search.SortNewest
	}
	res, err := x.ix.Search(ctx, req)
	if err != nil {
		return Result{}, err
	}
	out := Result{Total: res.Total}
	for _, h := range res.Hits {
		r := archive.Record{ID: h.ID, Version: h.Version, Project: h.Project, Type: h.Type, Title: h.Title,
			DocNumber: h.DocNumber, Issuer: h.Issuer, Date: h.Date, Disclosure: h.Class, ArchivalCode: h.ArchivalCode}
		if h.Access == archive.AccessContent {
			r.Abstract, r.Keywords, r.Household, r.Pages, r.FiledAt = h.Abstract, h.Keywords, h.Household, h.Pages, h.FiledAt
			r.PublicCopyOf = h.PublicCopyOf
		}
		hit := Hit{Record: r, Access: h.Access, ProjectName: h.ProjectName}
		if !h.FirstPublishedAt.IsZero() {
			hit.Published = archive.DateOf(h.FirstPublishedAt)
		}
		out.Hits = append(out.Hits, hit)
	}
	if q.Facets {
		out.Facets = map[string][]Facet{}
		for name, fv := range map[string][]search.FacetValue{"project": res.Facets.Project, "type": res.Facets.Type,
			"step": res.Facets.Step, "city": res.Facets.City, "district": res.Facets.District, "year": res.Facets.Year} {
			fs := make([]Facet, len(fv))
			for i, f := range fv {
				fs[i] = Facet{Value: f.Value, Count: f.Count}
				if name == "project" {
					fs[i].Label = f.Label
				}
			}
			out.Facets[name] = fs
		}
	}
	return out, nil
}

func one(s string) []string {
	if s == "" {
		return nil
	}
	return []string{s}
}

// Access implements Index.
func (x *SearchIndex) Access(ctx context.Context, v Viewer, r archive.Record) (archive.Access, error) {
	st, err := x.state(ctx, r.ID)
	if err != nil {
		return archive.AccessNone, err
	}
	return v.AccessTo(archive.Visibility(r, st, x.now())), nil
}

// Version is the search index's version (search.Index.Version): it moves with
// every change of what a search answers, the clock's included.
func (x *SearchIndex) Version(ctx context.Context) (uint64, error) { return x.ix.Version(ctx) }

// Position implements Index: the ledger entries the index has applied.
func (x *SearchIndex) Position() int64 { return x.ix.Status().Applied }
