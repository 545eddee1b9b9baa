package search

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/blevesearch/bleve/v2"

	"github.com/gongshi-archive/gongshi/archive"
	"github.com/gongshi-archive/gongshi/internal/parallel"
)

// engine runs searches over the shards' bitmaps (see engine.go).
type engine struct {
	shards []bleve.Index
	caches *caches
	cat    *archive.Catalogue
	syn    *synonyms
}

// tiers of the relevance order.
const (
	tierTitle = iota
	tierWords
	tierChars
	nTiers
)

// inParallel runs fn(0) … fn(n-1), at most one per core at a time, each guarded
// (a fault while it reads the index is an error), and returns the first error.
func inParallel(ctx context.Context, n int, fn func(i int) error) error {
	if n == 1 {
		return guarded(func() error { return fn(0) })
	}
	return parallel.For(ctx, n, runtime.GOMAXPROCS(0), func(_ context.Context, i int) error {
		return guarded(func() error { return fn(i) })
	})
}

// segResult is a query's answer in one segment.
type segResult struct {
	sv    *segView
	all   *roaring.Bitmap
	tiers [nTiers]*roaring.Bitmap // disjoint, their union is all
}

// checkRequest bounds the page and checks the filters. The query text is
// never checked: any text is a query.
func checkRequest(req *Request) error {
	if req.Limit <= 0 {
		req.Limit = DefaultLimit
	}
	req.Limit = min(req.Limit, MaxLimit)
	req.Offset = min(max(req.Offset, 0), MaxOffset)
	for _, c := range req.Class {
		if !c.Valid() {
			return fmt.Errorf("%w: unknown class %s (want one of %v)", ErrBadRequest, shortQuote(string(c)), archive.Disclosures())
		}
	}
	for _, y := range req.Year {
		if y < 1949 || y > 9999 {
			return fmt.Errorf("%w: year %d: want the year of a document's date, 1949 to 9999", ErrBadRequest, y)
		}
	}
	switch req.Sort {
	case SortRelevance, SortNewest, SortOldest, SortPublished, SortFiled:
	default:
		return fmt.Errorf("%w: unknown sort %s (want relevance, newest, oldest, published or filed)", ErrBadRequest, shortQuote(string(req.Sort)))
	}
	if !req.From.IsZero() && !req.To.IsZero() && req.To.Before(req.From) {
		return fmt.Errorf("%w: the date range ends (%s) before it starts (%s): give the earlier day as its start", ErrBadRequest, req.To, req.From)
	}
	return nil
}

// search answers req over a view, at the moment now.
func (e *engine) search(ctx context.Context, v *view, req Request, now time.Time) (Result, error) {
	start := time.Now()
	if err := checkRequest(&req); err != nil {
		return Result{}, err
	}
	q := parseQuery(req.Query, e.syn)
	var audiences []string
	for _, a := range req.Viewer.Audiences() {
		audiences = append(audiences, string(a))
	}
	// Segments are independent: evaluated at once, one per core.
	evaluated := make([]segResult, len(v.segs))
	err := inParallel(ctx, len(v.segs), func(i int) error {
		r, err := e.evalSegment(v.segs[i], q, req, audiences)
		evaluated[i] = r
		return err
	})
	if err != nil {
		return Result{}, fmt.Errorf("search: %w", err)
	}
	var res []segResult
	for _, r := range evaluated {
		if r.all != nil && !r.all.IsEmpty() {
			res = append(res, r)
		}
	}
	out := Result{Offset: req.Offset}
	for _, r := range res {
		out.Total += int(r.all.GetCardinality())
		if q.words == nil {
			out.Exact = out.Total
			continue
		}
		out.Exact += int(r.tiers[tierTitle].GetCardinality() + r.tiers[tierWords].GetCardinality())
	}
	if q.words == nil {
		out.Exact = out.Total
	}
	facets, err := e.facets(ctx, res, req.Viewer.Kind == archive.ViewerStaff)
	if err != nil {
		return Result{}, fmt.Errorf("search: facets: %w", err)
	}
	out.Facets = facets
	refs, err := e.page(res, req)
	if err != nil {
		return Result{}, fmt.Errorf("search: %w", err)
	}
	var hl *highlighter // nil: none
	if !req.NoHighlights {
		hl = newHighlighter(q)
	}
	for _, ref := range refs {
		h, ok, err := e.hit(ref, req.Viewer, now, hl, q)
		if err != nil {
			return Result{}, fmt.Errorf("search: %w", err)
		}
		if ok {
			out.Hits = append(out.Hits, h)
		}
	}
	out.Took = time.Since(start)
	return out, nil
}

// evalSegment computes the query's bitmaps in one segment.
func (e *engine) evalSegment(sv *segView, q parsedQuery, req Request, audiences []string) (segResult, error) {
	r := segResult{sv: sv}
	base, err := sv.union(fVisCat, audiences)
	if err != nil || base.IsEmpty() {
		return r, err
	}
	if sv.deleted != nil {
		base.AndNot(sv.deleted)
	}
	filters := []struct {
		field string
		terms []string
	}{
		{fProject, req.Project}, {fType, req.Type}, {fCity, req.City}, {fDistrict, req.District},
		{fClass, classTerms(req.Class)}, {fYear, yearTerms(req.Year)}, {fPublicCopy, req.PublicCopyOf},
	}
	for _, f := range filters {
		if len(f.terms) == 0 {
			continue
		}
		bm, err := sv.union(f.field, f.terms)
		if err != nil {
			return r, err
		}
		base.And(bm)
		if base.IsEmpty() {
			return r, nil
		}
	}
	if !req.From.IsZero() || !req.To.IsZero() {
		bm, err := e.dateRange(sv, req.From, req.To)
		if err != nil {
			return r, err
		}
		base.And(bm)
		if base.IsEmpty() {
			return r, nil
		}
	}
	if q.hasIDs() {
		var bms []*roaring.Bitmap
		if len(q.docNums) > 0 {
			bm, err := sv.union(fDocNum, q.docNums)
			if err != nil {
				return r, err
			}
			bms = append(bms, bm)
		}
		for _, pre := range q.docPrefix {
			bm, err := sv.prefixed(fDocNum, pre)
			if err != nil {
				return r, err
			}
			bms = append(bms, bm)
		}
		for _, pre := range q.codePrefix {
			bm, err := sv.prefixed(fCode, pre)
			if err != nil {
				return r, err
			}
			bms = append(bms, bm)
		}
		base.And(roaring.FastOr(bms...))
		if base.IsEmpty() {
			return r, nil
		}
	}
	if len(q.words) == 0 {
		r.all = base
		t := tierWords
		if !q.hasIDs() {
			t = tierTitle // no words: one tier, date order
		}
		for k := range r.tiers {
			r.tiers[k] = emptyBitmap
		}
		r.tiers[t] = base
		return r, nil
	}
	// Content fields count only where the viewer may see the content.
	content, err := sv.union(fVisFull, audiences)
	if err != nil {
		return r, err
	}
	content.And(base)
	strict, title, scatter := base.Clone(), base.Clone(), base.Clone()
	for _, w := range q.words {
		ws, wt, wc, err := e.word(sv, w, content)
		if err != nil {
			return r, err
		}
		strict.And(ws)
		title.And(wt)
		scatter.And(wc)
		if scatter.IsEmpty() && strict.IsEmpty() {
			return r, nil
		}
	}
	title.And(strict)
	r.all = roaring.Or(strict, scatter)
	r.tiers[tierTitle] = title
	r.tiers[tierWords] = roaring.AndNot(strict, title)
	r.tiers[tierChars] = roaring.AndNot(r.all, strict)
	return r, nil
}

// word returns the records holding the word as written in one field (ws), in the
// title (wt), and with all its characters in one field (wc), counting the
// content fields only within content.
func (e *engine) word(sv *segView, w queryWord, content *roaring.Bitmap) (ws, wt, wc *roaring.Bitmap, err error) {
	var strict, title, chars []*roaring.Bitmap
	for _, u := range w.alts {
		terms := []string{u.text}
		uni := terms
		if u.cjk && len(u.runes) > 1 {
			terms, uni = u.bigrams(), u.unigrams()
		}
		in := func(ts []string) (ti, rest *roaring.Bitmap, err error) {
			if ti, err = sv.intersect(fTitle, ts); err != nil {
				return nil, nil, err
			}
			tx, err := sv.intersect(fText, ts)
			if err != nil {
				return nil, nil, err
			}
			ct, err := sv.intersect(fContent, ts)
			if err != nil {
				return nil, nil, err
			}
			ct.And(content)
			return ti, roaring.FastOr(ti, tx, ct), nil
		}
		ti, any, err := in(terms)
		if err != nil {
			return nil, nil, nil, err
		}
		strict, title = append(strict, any), append(title, ti)
		if len(uni) == len(terms) && uni[0] == terms[0] {
			chars = append(chars, any)
			continue
		}
		_, anyChars, err := in(uni)
		if err != nil {
			return nil, nil, nil, err
		}
		chars = append(chars, anyChars)
	}
	return roaring.FastOr(strict...), roaring.FastOr(title...), roaring.FastOr(chars...), nil
}

func classTerms(cs []archive.Disclosure) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = string(c)
	}
	return out
}

func yearTerms(ys []int) []string {
	out := make([]string, len(ys))
	for i, y := range ys {
		out[i] = fmt.Sprintf("%04d", y)
	}
	return out
}

// dateRange returns the records dated from..to (inclusive; a zero end is open),
// from whole years, then whole months, then days at the edges.
func (e *engine) dateRange(sv *segView, from, to archive.Date) (*roaring.Bitmap, error) {
	lo, hi := "00000000", "99999999"
	if !from.IsZero() {
		_, _, lo = ymd(from)
	}
	if !to.IsZero() {
		_, _, hi = ymd(to)
	}
	var bms []*roaring.Bitmap
	years, err := sv.terms(fYear)
	if err != nil {
		return nil, err
	}
	for _, y := range years.terms {
		switch {
		case y.term+"0101" >= lo && y.term+"1231" <= hi:
			bms = append(bms, y.bm)
		case y.term+"1231" < lo || y.term+"0101" > hi:
		default:
			months, err := sv.terms(fMonth)
			if err != nil {
				return nil, err
			}
			for _, m := range months.terms {
				if !strings.HasPrefix(m.term, y.term) {
					continue
				}
				switch {
				case m.term+"01" >= lo && m.term+"31" <= hi:
					bms = append(bms, m.bm)
				case m.term+"31" < lo || m.term+"01" > hi:
				default:
					days, err := sv.terms(fDay)
					if err != nil {
						return nil, err
					}
					for _, d := range days.terms {
						if strings.HasPrefix(d.term, m.term) && d.term >= lo && d.term <= hi {
							bms = append(bms, d.bm)
						}
					}
				}
			}
		}
	}
	return roaring.FastOr(bms...), nil
}

// facets counts the matching records by each facet's values.
func (e *engine) facets(ctx context.Context, res []segResult, staff bool) (Facets, error) {
	count := func(field string) (map[string]int, error) {
		per := make([]map[string]int, len(res))
		err := inParallel(ctx, len(res), func(i int) error {
			ft, err := res[i].sv.terms(field)
			if err != nil {
				return err
			}
			m := map[string]int{}
			for _, t := range ft.terms {
				if n := res[i].all.AndCardinality(t.bm); n > 0 {
					m[t.term] = int(n)
				}
			}
			per[i] = m
			return nil
		})
		counts := map[string]int{}
		for _, m := range per {
			for k, n := range m {
				counts[k] += n
			}
		}
		return counts, err
	}
	var f Facets
	for _, spec := range []struct {
		field string
		out   *[]FacetValue
		label func(string) (string, string)
	}{
		{fProjectLabel, &f.Project, splitProjectLabel},
		{fType, &f.Type, e.typeLabel},
		{fCity, &f.City, nil},
		{fDistrict, &f.District, nil},
		{fClass, &f.Class, nil},
		{fYear, &f.Year, nil},
		{fPubState, &f.Publication, nil},
	} {
		if spec.field == fPubState && !staff {
			continue
		}
		counts, err := count(spec.field)
		if err != nil {
			return Facets{}, err
		}
		*spec.out = topValues(counts, spec.label)
		if spec.field == fType {
			f.Step = e.stepFacet(counts)
		}
	}
	return f, nil
}

// stepFacet adds the type counts up by the procedure step of each type.
func (e *engine) stepFacet(types map[string]int) []FacetValue {
	steps := map[string]int{}
	for code, n := range types {
		if t, ok := e.cat.Type(code); ok {
			steps[t.Step] += n
		}
	}
	names := map[string]string{}
	for _, st := range e.cat.Steps() {
		names[st.Code] = st.NameZh
	}
	return topValues(steps, func(code string) (string, string) { return code, names[code] })
}

func (e *engine) typeLabel(code string) (string, string) {
	if t, ok := e.cat.Type(code); ok {
		return code, t.NameZh
	}
	return code, ""
}

// topValues orders a facet's counts, largest first, then by value.
func topValues(counts map[string]int, label func(string) (string, string)) []FacetValue {
	out := make([]FacetValue, 0, len(counts))
	for term, n := range counts {
		v := FacetValue{Value: term, Count: n}
		if label != nil {
			v.Value, v.Label = label(term)
		}
		out = append(out, v)
	}
	slices.SortFunc(out, func(a, b FacetValue) int {
		if c := cmp.Compare(b.Count, a.Count); c != 0 {
			return c
		}
		return strings.Compare(a.Value, b.Value)
	})
	if len(out) > MaxFacetValues {
		out = out[:MaxFacetValues]
	}
	return out
}

// docRef is one document of a segment.
type docRef struct {
	sv  *segView
	num uint32
	id  string
	day string
	t   int
}

// page returns the documents at [Offset, Offset+Limit) in the request's order:
// tier by tier (relevance), each in date order (newest first, or oldest for
// SortOldest), equal dates by record id.
func (e *engine) page(res []segResult, req Request) ([]docRef, error) {
	skip, need := req.Offset, req.Limit
	var out []docRef
	tiers := []int{tierTitle, tierWords, tierChars}
	for _, t := range tiers {
		if need <= 0 {
			break
		}
		bms := make([]*roaring.Bitmap, len(res))
		n := 0
		for i, r := range res {
			bm := r.tiers[t]
			if req.Sort != SortRelevance {
				bm = r.all // one order for all tiers
			}
			bms[i] = bm
			n += int(bm.GetCardinality())
		}
		if skip >= n {
			skip -= n
			if req.Sort != SortRelevance {
				break
			}
			continue
		}
		refs, err := e.window(res, bms, orderLevels(req.Sort), "", skip, skip+need, req.Sort != SortOldest, t)
		if err != nil {
			return nil, err
		}
		out = append(out, refs...)
		need -= len(refs)
		if req.Sort == SortPublished && need > 0 {
			// The records without a publication time, after those with one, in
			// date order.
			placed := 0
			without := make([]*roaring.Bitmap, len(bms))
			for i, r := range res {
				pub, err := r.sv.unionAll(fPubYear)
				if err != nil {
					return nil, err
				}
				placed += int(bms[i].AndCardinality(pub))
				without[i] = roaring.AndNot(bms[i], pub)
			}
			from := max(skip+len(refs)-placed, 0)
			more, err := e.window(res, without, orderLevels(SortNewest), "", from, from+need, true, t)
			if err != nil {
				return nil, err
			}
			out = append(out, more...)
			need -= len(more)
		}
		skip = 0
		if req.Sort != SortRelevance {
			break
		}
	}
	return out, nil
}

// orderLevels are the keyword kinds a sort descends, coarsest first.
func orderLevels(s Sort) []string {
	switch s {
	case SortPublished:
		return []string{fPubYear, fPubMonth, fPubDay, fPubHour}
	case SortFiled:
		return []string{fFiledYear, fFiledMonth, fFiledDay, fFiledHour}
	}
	return []string{fYear, fMonth, fDay}
}

// window returns the documents at positions [a, b) of bms (one bitmap per result
// segment) in date order, descending levels from years to months to days within
// prefix.
func (e *engine) window(res []segResult, bms []*roaring.Bitmap, levels []string, prefix string, a, b int, desc bool, tier int) ([]docRef, error) {
	field := levels[0]
	// The distinct terms of this level under prefix, over all segments.
	per := make([]map[string]*roaring.Bitmap, len(res))
	var keys []string
	seen := map[string]bool{}
	for i, r := range res {
		if bms[i].IsEmpty() {
			continue
		}
		ft, err := r.sv.terms(field)
		if err != nil {
			return nil, err
		}
		per[i] = ft.byKey
		lo, _ := slices.BinarySearchFunc(ft.terms, prefix, func(t termBitmap, p string) int { return strings.Compare(t.term, p) })
		for _, t := range ft.terms[lo:] {
			if !strings.HasPrefix(t.term, prefix) {
				break
			}
			if !seen[t.term] {
				seen[t.term] = true
				keys = append(keys, t.term)
			}
		}
	}
	slices.Sort(keys)
	if desc {
		slices.Reverse(keys)
	}
	var out []docRef
	pos := 0
	for _, k := range keys {
		if pos >= b {
			break
		}
		parts := make([]*roaring.Bitmap, len(res))
		c := 0
		for i := range res {
			if per[i] == nil {
				continue
			}
			if bm, ok := per[i][k]; ok {
				parts[i] = roaring.And(bms[i], bm)
				c += int(parts[i].GetCardinality())
			}
		}
		if c == 0 || pos+c <= a {
			pos += c
			continue
		}
		lo, hi := max(a-pos, 0), min(b-pos, c)
		if len(levels) > 1 {
			for i := range parts {
				if parts[i] == nil {
					parts[i] = emptyBitmap
				}
			}
			refs, err := e.window(res, parts, levels[1:], k, lo, hi, desc, tier)
			if err != nil {
				return nil, err
			}
			out = append(out, refs...)
		} else {
			var day []docRef
			for i, p := range parts {
				if p == nil {
					continue
				}
				it := p.Iterator()
				for it.HasNext() {
					n := it.Next()
					id, err := res[i].sv.seg.DocID(uint64(n))
					if err != nil {
						return nil, err
					}
					day = append(day, docRef{sv: res[i].sv, num: n, id: string(id), day: k, t: tier})
				}
			}
			slices.SortFunc(day, func(x, y docRef) int { return strings.Compare(x.id, y.id) })
			out = append(out, day[lo:hi]...)
		}
		pos += c
	}
	return out, nil
}

// hit reads a document and shows it as viewer may see it at now. It decides
// visibility again from the stored record (ok false: not visible after all).
func (e *engine) hit(ref docRef, viewer archive.Viewer, now time.Time, hl *highlighter, q parsedQuery) (Hit, bool, error) {
	var raw []byte
	err := ref.sv.seg.VisitStoredFields(uint64(ref.num), func(field string, typ byte, value []byte, pos []uint64) bool {
		if field == fSource {
			raw = append([]byte(nil), value...)
			return false
		}
		return true
	})
	if err != nil {
		return Hit{}, false, err
	}
	var s storedDoc
	if err := json.Unmarshal(raw, &s); err != nil {
		return Hit{}, false, fmt.Errorf("stored document %s: %w", ref.id, err)
	}
	access := archive.Visibility(s.record(), s.state(), now).For(viewer)
	if access == archive.AccessNone {
		return Hit{}, false, nil
	}
	h := Hit{
		ID: s.ID, Version: s.Version, Project: s.Project, ProjectName: s.ProjectName, City: s.City,
		District: s.District, Type: s.Type, Title: s.Title, DocNumber: s.DocNumber, Issuer: s.Issuer,
		Date: s.Date, Class: s.Class, ArchivalCode: s.ArchivalCode, Access: access,
		FiledAt: s.FiledAt, PublishedAt: s.PublishedAt, FirstPublishedAt: s.FirstPubAt,
	}
	if t, ok := e.cat.Type(s.Type); ok {
		h.TypeName = t.NameZh
	}
	switch {
	case q.empty():
		h.Match = MatchFilter
	case ref.t == tierTitle:
		h.Match = MatchTitle
	case ref.t == tierWords:
		h.Match = MatchWords
	default:
		h.Match = MatchCharacters
	}
	chars := h.Match == MatchCharacters
	if hl != nil {
		h.TitleHighlight = hl.fragments(s.Title, chars, 0)
	}
	if access == archive.AccessContent {
		h.Abstract, h.Keywords, h.Household, h.Pages = s.Abstract, s.Keywords, s.Household, s.Pages
		h.PublicCopyOf = s.PublicCopyOf
		if hl != nil {
			h.AbstractHighlight = hl.fragments(s.Abstract, chars, abstractWindow)
		}
	}
	if viewer.Kind == archive.ViewerStaff {
		h.Publication = s.Publication
	}
	return h, true, nil
}

// The project facet's terms hold code and name, so that the facet needs no
// other look-up.
func projectLabel(code, name string) string { return code + "\x1f" + name }

func splitProjectLabel(term string) (string, string) {
	code, name, _ := strings.Cut(term, "\x1f")
	return code, name
}
