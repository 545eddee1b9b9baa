package search

import (
	"fmt"
	"sync"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/index/scorch"
	index "github.com/blevesearch/bleve_index_api"
	segment "github.com/blevesearch/scorch_segment_api/v2"
	"github.com/blevesearch/vellum"
)

// How a query runs.
//
// bleve keeps each term's postings in every segment as a roaring bitmap of the
// segment's document numbers. A query here is evaluated on those bitmaps directly:
// the words are intersections of their bigrams' bitmaps, the filters and the
// viewer's visibility are unions of keyword bitmaps, and the result is one bitmap
// per segment. Counting it is a popcount; a facet value's count is the size of its
// intersection with the value's bitmap; the first page in date order comes from
// intersecting with the bitmaps of years, then months, then days, newest first,
// until twenty are found. No step visits the hits one by one, except the twenty on
// the page, so a word that matches every record costs about what a rare one does,
// and every total and facet count is exact. (bleve's own searchers visit every hit
// to count, score, facet and sort it: about 2 µs a hit, seconds at a million.)
//
// The bitmaps are read through bleve's segment API (scorch snapshots, zap
// segments), which this file alone touches.

// view is a consistent read of the whole index: one snapshot of each shard, held
// until release.
type view struct {
	readers []index.IndexReader
	segs    []*segView
}

// segView is one segment of a view, with the dictionaries a query opened on it.
type segView struct {
	seg     segment.Segment
	deleted *roaring.Bitmap
	cache   *segCache
	dicts   map[string]segment.TermDictionary
}

// segCache holds what never changes in a segment (segments are immutable): each
// keyword field's terms with their bitmaps, for facets and date order. It lives as
// long as the segment is in a snapshot the engine has seen lately.
type segCache struct {
	mu     sync.Mutex
	fields map[string]*fieldTerms
}

type fieldTerms struct {
	once  sync.Once
	terms []termBitmap // in term order
	byKey map[string]*roaring.Bitmap
	err   error
}

type termBitmap struct {
	term string
	bm   *roaring.Bitmap
}

// caches maps segments to their caches. It is swept of segments no longer seen.
type caches struct {
	mu   sync.Mutex
	byID map[segment.Segment]*segCache
}

func (c *caches) get(s segment.Segment) *segCache {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.byID == nil {
		c.byID = map[segment.Segment]*segCache{}
	}
	sc := c.byID[s]
	if sc == nil {
		sc = &segCache{fields: map[string]*fieldTerms{}}
		c.byID[s] = sc
	}
	return sc
}

// sweep forgets the segments that are not in live.
func (c *caches) sweep(live map[segment.Segment]bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for s := range c.byID {
		if !live[s] {
			delete(c.byID, s)
		}
	}
}

// acquire takes a snapshot of every shard.
func acquire(shards []bleve.Index, c *caches) (*view, error) {
	v := &view{}
	live := map[segment.Segment]bool{}
	for _, sh := range shards {
		adv, err := sh.Advanced()
		if err != nil {
			v.release()
			return nil, err
		}
		r, err := adv.Reader()
		if err != nil {
			v.release()
			return nil, err
		}
		v.readers = append(v.readers, r)
		snap, ok := r.(*scorch.IndexSnapshot)
		if !ok {
			v.release()
			return nil, fmt.Errorf("search: index reader is %T, not a scorch snapshot", r)
		}
		for _, ss := range snap.Segments() {
			seg := ss.Segment()
			live[seg] = true
			v.segs = append(v.segs, &segView{seg: seg, deleted: ss.Deleted(), cache: c.get(seg),
				dicts: map[string]segment.TermDictionary{}})
		}
	}
	if len(live) > 0 {
		c.sweep(live)
	}
	return v, nil
}

func (v *view) release() {
	for _, r := range v.readers {
		_ = r.Close()
	}
	v.readers = nil
}

// dict returns the segment's dictionary of field, opened once per query: a
// dictionary's reader is not safe for concurrent use.
func (s *segView) dict(field string) (segment.TermDictionary, error) {
	if d, ok := s.dicts[field]; ok {
		return d, nil
	}
	d, err := s.seg.Dictionary(field)
	if err != nil {
		return nil, err
	}
	s.dicts[field] = d
	return d, nil
}

var emptyBitmap = roaring.New()

// postings returns the bitmap of the documents holding term in field. It may be
// shared with the segment's memory: never change it.
func (s *segView) postings(field, term string) (*roaring.Bitmap, error) {
	if !isText(field) {
		field, term = fKeyword, kwTerm(field, term)
	}
	d, err := s.dict(field)
	if err != nil {
		return nil, err
	}
	return bitmapOf(d, term)
}

func bitmapOf(d segment.TermDictionary, term string) (*roaring.Bitmap, error) {
	pl, err := d.PostingsList([]byte(term), nil, nil)
	if err != nil {
		return nil, err
	}
	it := pl.Iterator(false, false, false, nil)
	if o, ok := it.(segment.OptimizablePostingsIterator); ok {
		if n, ok := o.DocNum1Hit(); ok {
			return roaring.BitmapOf(uint32(n)), nil
		}
		if bm := o.ActualBitmap(); bm != nil {
			return bm, nil
		}
		return emptyBitmap, nil
	}
	// Not a zap segment: collect the postings one by one.
	bm := roaring.New()
	for {
		p, err := it.Next()
		if err != nil {
			return nil, err
		}
		if p == nil {
			return bm, nil
		}
		bm.Add(uint32(p.Number()))
	}
}

// terms returns every value of a keyword kind in the segment with its bitmap,
// in order, computed once per segment.
func (s *segView) terms(field string) (*fieldTerms, error) {
	s.cache.mu.Lock()
	ft := s.cache.fields[field]
	if ft == nil {
		ft = &fieldTerms{}
		s.cache.fields[field] = ft
	}
	s.cache.mu.Unlock()
	ft.once.Do(func() {
		d, err := s.seg.Dictionary(fKeyword) // a dictionary of its own: others may run at once
		if err != nil {
			ft.err = err
			return
		}
		ft.byKey = map[string]*roaring.Bitmap{}
		prefix := kwTerm(field, "")
		it := d.AutomatonIterator(&vellum.AlwaysMatch{}, []byte(prefix), prefixEnd(prefix))
		for {
			e, err := it.Next()
			if err != nil || e == nil {
				if err != nil && err != vellum.ErrIteratorDone {
					ft.err = err
				}
				break
			}
			bm, err := bitmapOf(d, e.Term)
			if err != nil {
				ft.err = err
				return
			}
			v := e.Term[len(prefix):]
			ft.terms = append(ft.terms, termBitmap{v, bm})
			ft.byKey[v] = bm
		}
	})
	return ft, ft.err
}

// prefixed returns the OR of the bitmaps of the values of a keyword kind that
// start with prefix.
func (s *segView) prefixed(field, prefix string) (*roaring.Bitmap, error) {
	d, err := s.dict(fKeyword)
	if err != nil {
		return nil, err
	}
	start := kwTerm(field, prefix)
	it := d.AutomatonIterator(&vellum.AlwaysMatch{}, []byte(start), prefixEnd(start))
	var bms []*roaring.Bitmap
	for {
		e, err := it.Next()
		if err != nil || e == nil {
			break
		}
		bm, err := bitmapOf(d, e.Term)
		if err != nil {
			return nil, err
		}
		bms = append(bms, bm)
	}
	return roaring.FastOr(bms...), nil
}

// prefixEnd is the first key after every key that starts with prefix.
func prefixEnd(prefix string) []byte {
	end := []byte(prefix)
	for len(end) > 0 && end[len(end)-1] == 0xff {
		end = end[:len(end)-1]
	}
	if len(end) == 0 {
		return nil
	}
	end[len(end)-1]++
	return end
}

// unionAll returns the OR of the bitmaps of every value of a keyword kind.
func (s *segView) unionAll(field string) (*roaring.Bitmap, error) {
	ft, err := s.terms(field)
	if err != nil {
		return nil, err
	}
	bms := make([]*roaring.Bitmap, len(ft.terms))
	for i, t := range ft.terms {
		bms[i] = t.bm
	}
	return roaring.FastOr(bms...), nil
}

// union returns the OR of the bitmaps of terms in field.
func (s *segView) union(field string, terms []string) (*roaring.Bitmap, error) {
	bms := make([]*roaring.Bitmap, 0, len(terms))
	for _, t := range terms {
		bm, err := s.postings(field, t)
		if err != nil {
			return nil, err
		}
		if !bm.IsEmpty() {
			bms = append(bms, bm)
		}
	}
	switch len(bms) {
	case 0:
		return roaring.New(), nil
	case 1:
		return bms[0].Clone(), nil
	}
	return roaring.FastOr(bms...), nil
}

// intersect returns the AND of the bitmaps of terms in field, smallest first.
func (s *segView) intersect(field string, terms []string) (*roaring.Bitmap, error) {
	bms := make([]*roaring.Bitmap, 0, len(terms))
	for _, t := range terms {
		bm, err := s.postings(field, t)
		if err != nil {
			return nil, err
		}
		if bm.IsEmpty() {
			return roaring.New(), nil
		}
		bms = append(bms, bm)
	}
	if len(bms) == 0 {
		return roaring.New(), nil
	}
	// Smallest first: the intersection never grows, so starting small keeps every
	// step small.
	for i := 1; i < len(bms); i++ {
		for j := i; j > 0 && bms[j].GetCardinality() < bms[j-1].GetCardinality(); j-- {
			bms[j], bms[j-1] = bms[j-1], bms[j]
		}
	}
	if len(bms) == 1 {
		return bms[0].Clone(), nil
	}
	return roaring.FastAnd(bms...), nil
}
