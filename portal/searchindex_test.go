package portal

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/gongshi-archive/gongshi/archive"
	"github.com/gongshi-archive/gongshi/search"
)

// SearchIndex answers as ScanIndex, the portal's reference, does: the same
// records with the same access for every viewer, every class and publication
// state, every filter the pages use; and the same Access for each record.
func TestSearchIndexMatchesScanIndex(t *testing.T) {
	states := map[string]archive.RecordState{}
	stateOf := func(_ context.Context, r archive.Record) (archive.RecordState, error) { return states[r.ID], nil }
	f := newFixture(t)
	f.idx = NewScanIndex(f.arch, f.led, stateOf, f.clock.now)
	f.project("CC-2026-001", "东天街片区旧城区改建项目", "长春市", "南关区")
	f.project("JL-2026-002", "站前片区棚户区改造项目", "吉林市", "船营区")
	types := map[archive.Disclosure]string{archive.Public: "decision", archive.Area: "survey_result",
		archive.OnRequest: "risk_assessment", archive.Household: "appraisal_report", archive.Restricted: "funding_proof"}
	n := 0
	for _, project := range []string{"CC-2026-001", "JL-2026-002"} {
		for _, class := range archive.Disclosures() {
			for _, state := range []archive.PublicationStatus{archive.Published, archive.Withdrawn, archive.NotPublished} {
				n++
				r := f.file(archive.Record{Project: project, Type: types[class], Disclosure: class,
					Title: fmt.Sprintf("第%d号标题", n), Abstract: "摘要", Household: "0012", Date: archive.D(2025+n%2, 3, 1+n%20)}, fmt.Sprint("content ", n))
				states[r.ID] = archive.RecordState{Publication: state}
			}
		}
	}
	// Public copies (公开版本) of every record of the first project, each in
	// every publication state: the record page offers an original's copies
	// through the PublicCopyOf filter.
	var originals []string
	err := f.arch.Records(f.ctx, func(r archive.Record) error {
		if r.Project == "CC-2026-001" && r.PublicCopyOf == "" {
			originals = append(originals, r.ID)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for i, orig := range originals {
		o, err := f.arch.Record(f.ctx, orig)
		if err != nil {
			t.Fatal(err)
		}
		state := []archive.PublicationStatus{archive.Published, archive.Withdrawn, archive.NotPublished}[i%3]
		c := f.file(archive.Record{Project: o.Project, Type: o.Type, PublicCopyOf: orig, Title: o.Title + "（公开版本）",
			Abstract: "已删去个人信息", Household: o.Household, Date: o.Date}, fmt.Sprint("public copy ", i))
		states[c.ID] = archive.RecordState{Publication: state}
	}
	f.refresh()
	ix, err := search.Open(f.ctx, search.Options{Dir: t.TempDir(), Now: f.clock.now,
		Source: search.ArchiveSource(f.arch, f.led, func(_ context.Context, id string) (archive.RecordState, error) { return states[id], nil })})
	if err != nil {
		t.Fatal(err)
	}
	defer ix.Close()
	if err := ix.CatchUp(f.ctx); err != nil {
		t.Fatal(err)
	}
	si := NewSearchIndex(ix, f.arch.Catalogue(), func(_ context.Context, id string) (archive.RecordState, error) { return states[id], nil }, f.clock.now)
	if si.Position() != f.idx.Position() {
		t.Errorf("positions: search %d, scan %d", si.Position(), f.idx.Position())
	}
	viewers := []Viewer{publicViewer,
		{Kind: ViewerHousehold, Project: "CC-2026-001", Household: "0012"},
		{Kind: ViewerHousehold, Project: "CC-2026-001", Household: "0013"},
		{Kind: ViewerStaff, Account: "a", Roles: []archive.Role{archive.RoleArchivist}},
		{Kind: ViewerStaff, Account: "b", Roles: []archive.Role{archive.RoleAuditor}},
	}
	queries := []Query{{}, {Text: "标题"}, {Project: "CC-2026-001"}, {Type: "decision"}, {Step: "preparation"},
		{City: "吉林市"}, {District: "南关区"}, {Year: 2026}, {Sort: "date"}, {Sort: "newest"}, {Text: "第3号"},
		{PublicCopyOf: "R-0000000000000000"}, {PublicCopyOf: "公开版本"}, {Text: "公开版本"}}
	for _, orig := range originals {
		queries = append(queries, Query{PublicCopyOf: orig, Sort: "newest"}, Query{PublicCopyOf: orig, Text: "公开版本"})
	}
	offered := 0
	for _, v := range viewers {
		for _, q := range queries {
			q.Limit, q.Facets = 100, true
			want, err := f.idx.Search(f.ctx, v, q)
			if err != nil {
				t.Fatal(err)
			}
			got, err := si.Search(f.ctx, v, q)
			if err != nil {
				t.Fatal(err)
			}
			if got.Total != want.Total {
				t.Errorf("%+v %+v: total %d, scan index %d", v, q, got.Total, want.Total)
			}
			if g, w := hitSet(got), hitSet(want); !slices.Equal(g, w) {
				t.Errorf("%+v %+v:\n search %v\n scan   %v", v, q, g, w)
			}
			if q.PublicCopyOf != "" {
				offered += len(copiesOffered(got, q.PublicCopyOf))
				if g, w := copiesOffered(got, q.PublicCopyOf), copiesOffered(want, q.PublicCopyOf); !slices.Equal(g, w) {
					t.Errorf("%+v %+v: copies offered %v, scan index %v", v, q, g, w)
				}
			}
			for _, h := range got.Hits {
				if h.Access == archive.AccessCatalogue && (h.Record.Abstract != "" || h.Record.Household != "") {
					t.Errorf("%+v: a catalogue-only hit carries content: %+v", v, h.Record)
				}
			}
			for _, name := range []string{"project", "type", "step", "city", "year"} {
				if g, w := facetMap(got.Facets[name]), facetMap(want.Facets[name]); fmt.Sprint(g) != fmt.Sprint(w) {
					t.Errorf("%+v %+v: facet %s %v, scan index %v", v, q, name, g, w)
				}
			}
		}
		// Access of one record, for every record.
		err := f.arch.Records(f.ctx, func(r archive.Record) error {
			got, err := si.Access(f.ctx, v, r)
			if err != nil {
				return err
			}
			want, err := f.idx.Access(f.ctx, v, r)
			if err != nil {
				return err
			}
			if got != want {
				t.Errorf("%+v: access to %s (%s, %s) %v, scan index %v", v, r.Title, r.Disclosure, states[r.ID].Publication, got, want)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	// The cases above must offer copies at all (published ones, to the public
	// and the archivist), or they prove nothing.
	if offered == 0 {
		t.Error("no public copy was offered to anyone")
	}
}

// copiesOffered are the hits the record page offers as the public copies of
// orig: the ones whose content the viewer may see and that name orig.
func copiesOffered(r Result, orig string) []string {
	var out []string
	for _, h := range r.Hits {
		if h.Access == archive.AccessContent && h.Record.PublicCopyOf == orig {
			out = append(out, h.Record.ID)
		}
	}
	slices.Sort(out)
	return out
}

func hitSet(r Result) []string {
	var out []string
	for _, h := range r.Hits {
		out = append(out, h.Record.ID+" "+h.Access.String())
	}
	slices.Sort(out)
	return out
}

func facetMap(fs []Facet) map[string]int {
	m := map[string]int{}
	for _, f := range fs {
		if f.Count > 0 && f.Value != "" {
			m[f.Value] = f.Count
		}
	}
	return m
}
