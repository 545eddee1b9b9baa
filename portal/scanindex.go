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
// and the reference the portal's tests hold that index to. Its visibility rule is
// the disclosure class alone: publication state is the search package's.
type ScanIndex struct {
	src RecordSource
	led Ledger

	mu       sync.RWMutex
	recs     []archive.Record // newest filing first
	projects map[string]archive.Project
	pos      int64
}

// NewScanIndex returns an empty index over src; Refresh or Follow fill it.
func NewScanIndex(src RecordSource, l Ledger) *ScanIndex {
	return &ScanIndex{src: src, led: l, projects: map[string]archive.Project{}}
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
	var recs []archive.Record
	if err := x.src.Records(ctx, func(r archive.Record) error { recs = append(recs, r); return nil }); err != nil {
		return err
	}
	ps, err := x.src.Projects(ctx)
	if err != nil {
		return err
	}
	projects := make(map[string]archive.Project, len(ps))
	for _, p := range ps {
		projects[p.Code] = p
	}
	slices.SortStableFunc(recs, func(a, b archive.Record) int {
		if c := b.FiledAt.Compare(a.FiledAt); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	if recs == nil {
		recs = []archive.Record{}
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

// Visible is the stand-in rule: the class decides.
func (x *ScanIndex) Visible(ctx context.Context, v Viewer, r archive.Record) (bool, error) {
	return classVisible(v, r), nil
}

// classVisible: staff see everything; a household sees the public records, the
// area records of its project and its own household's; the public sees public
// records only.
func classVisible(v Viewer, r archive.Record) bool {
	switch v.Kind {
	case ViewerStaff:
		return true
	case ViewerHousehold:
		switch r.Disclosure {
		case archive.Public:
			return true
		case archive.Area:
			return r.Project == v.Project
		case archive.Household:
			return r.Project == v.Project && r.Household != "" && r.Household == v.Household
		}
		return false
	}
	return r.Disclosure == archive.Public
}

// Search scans every record.
func (x *ScanIndex) Search(ctx context.Context, v Viewer, q Query) (Result, error) {
	x.mu.RLock()
	defer x.mu.RUnlock()
	terms := strings.Fields(strings.ToLower(q.Text))
	cat := x.src.Catalogue()
	stepOf := map[string]string{}
	for _, t := range cat.Types() {
		stepOf[t.Code] = t.Step
	}
	var hits []archive.Record
	facets := map[string]map[string]int{"project": {}, "type": {}, "step": {}, "city": {}, "year": {}}
	for _, r := range x.recs {
		if !classVisible(v, r) {
			continue
		}
		p := x.projects[r.Project]
		switch {
		case q.Project != "" && r.Project != q.Project,
			q.Type != "" && r.Type != q.Type,
			q.Step != "" && stepOf[r.Type] != q.Step,
			q.City != "" && p.City != q.City,
			q.District != "" && p.District != q.District,
			q.Year != 0 && r.Date.Year != q.Year:
			continue
		}
		if len(terms) > 0 {
			hay := strings.ToLower(strings.Join([]string{r.Title, r.DocNumber, r.Issuer, r.ArchivalCode, p.Name,
				typeName(LangZh, cat, r.Type), typeName(LangEn, cat, r.Type)}, " "))
			all := true
			for _, t := range terms {
				if !strings.Contains(hay, t) {
					all = false
					break
				}
			}
			if !all {
				continue
			}
		}
		hits = append(hits, r)
		if q.Facets {
			facets["project"][r.Project]++
			facets["type"][r.Type]++
			facets["step"][stepOf[r.Type]]++
			facets["city"][p.City]++
			facets["year"][strconv.Itoa(r.Date.Year)]++
		}
	}
	if q.Sort == "date" {
		slices.SortStableFunc(hits, func(a, b archive.Record) int { return b.Date.Compare(a.Date) })
	}
	res := Result{Total: len(hits)}
	if q.Facets {
		res.Facets = map[string][]Facet{}
		for name, m := range facets {
			fs := make([]Facet, 0, len(m))
			for val, n := range m {
				fs = append(fs, Facet{Value: val, Count: n})
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
	res.Hits = slices.Clone(hits[off:min(off+limit, len(hits))])
	return res, nil
}
