package search

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/gongshi-archive/gongshi/archive"
)

// hostileQueries are strings people (and scripts) type into a search box.
var hostileQueries = []string{
	`"`, `""`, `"征收`, `title:征收`, `+征收 -补偿`, `征收~2`, `征^3`, `*`, `?`, `\`, `\\\`, `征收*`, `(征收`, `[2024 TO 2025]`,
	`{}`, `<script>alert(1)</script>`, `' OR 1=1 --`, `%`, `%%%`, `_`, `../../etc/passwd`, "\x00", "\x00征收\x00",
	"\xff\xfe\xfd", "征\xff收", "\u202e征收", "\u200b征\u200b收", "\t\n\r", "　　", "征收\u3000补偿",
	strings.Repeat("征", 10000), strings.Repeat("a", 10000), strings.Repeat("征收 ", 3000), strings.Repeat("〔", 500),
	strings.Repeat("长府征字〔2024〕3号", 200), strings.Repeat("Z101-WS·2024-", 300), "Z-A·0000", "dn:长府", "k:vc:public",
	"vc:role:archivist", "p:CC-2024-001", ":", "::::", "号", "〔〕", "()", "长府征字〔〕号", "长府征字〔99999〕1号",
	"😀", "𠮷", "ｱｲｳ", "한국어", "ＡＢＣ", "null", "undefined", "NaN", "-1", "0x10", "1e308",
}

// Whatever is typed gives results or none, never an error, and never shows what
// the viewer may not see.
func TestHostileQueries(t *testing.T) {
	f := newFixture(t)
	ix := openFixture(t, f, &clock{now: fixtureNow})
	ctx := context.Background()
	for _, hq := range hostileQueries {
		for _, v := range []archive.Viewer{public, hh12, archivist} {
			res, err := ix.Search(ctx, Request{Query: hq, Viewer: v})
			if err != nil {
				t.Errorf("%q: %v", trunc(hq), err)
				continue
			}
			checkVisible(t, f, v, hq, res)
			checkFacets(t, res)
		}
	}
}

func trunc(s string) string {
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}

// checkVisible: every hit is one the viewer may see, by the pure function.
func checkVisible(t *testing.T, f *fixture, v archive.Viewer, q string, res Result) {
	t.Helper()
	for _, h := range res.Hits {
		d, err := f.src.Doc(context.Background(), h.ID, Hint{})
		if err != nil {
			t.Fatalf("%q: hit %s is not in the archive", trunc(q), h.ID)
		}
		if archive.Visibility(d.Record, d.State, fixtureNow).For(v) == archive.AccessNone {
			t.Errorf("%q as %+v: hit %s, which the viewer may not see", trunc(q), v, f.names[h.ID])
		}
	}
	if len(res.Hits) > res.Total {
		t.Errorf("%q: %d hits, total %d", trunc(q), len(res.Hits), res.Total)
	}
}

// Invalid filters are the request's error; the page is bounded.
func TestRequestChecks(t *testing.T) {
	f := newFixture(t)
	ix := openFixture(t, f, &clock{now: fixtureNow})
	ctx := context.Background()
	for _, req := range []Request{
		{Class: []archive.Disclosure{"secret"}},
		{Year: []int{20240}},
		{Sort: "random"},
		{From: archive.D(2024, 5, 1), To: archive.D(2024, 1, 1)},
	} {
		if _, err := ix.Search(ctx, req); !errors.Is(err, ErrBadRequest) {
			t.Errorf("%+v: %v, want ErrBadRequest", req, err)
		}
	}
	res, err := ix.Search(ctx, Request{Viewer: archivist, Limit: 100000, Offset: -5})
	if err != nil || res.Offset != 0 || len(res.Hits) > MaxLimit {
		t.Errorf("unbounded page: offset %d, %d hits, %v", res.Offset, len(res.Hits), err)
	}
	res, err = ix.Search(ctx, Request{Viewer: archivist, Offset: 1 << 40})
	if err != nil || len(res.Hits) != 0 || res.Total == 0 {
		t.Errorf("a page beyond the end: %d hits of %d, %v", len(res.Hits), res.Total, err)
	}
}

// Pages in every order concatenate to the whole list, each record once.
func TestPagination(t *testing.T) {
	ix, _ := openSynth(t, 11, 1500)
	ctx := context.Background()
	for _, req := range []Request{
		{Query: "征收", Viewer: archivist},
		{Query: "补偿方案", Viewer: archivist},
		{Query: "房", Viewer: public, Sort: SortOldest},
		{Viewer: archivist, Sort: SortNewest},
		{Query: "评估", Viewer: archivist, Sort: SortPublished},
		{Viewer: archivist, Sort: SortFiled},
	} {
		req.Limit = 100
		all, err := ix.Search(ctx, Request{Query: req.Query, Viewer: req.Viewer, Sort: req.Sort, Limit: MaxLimit, Offset: 0})
		if err != nil {
			t.Fatal(err)
		}
		var paged []string
		for off := 0; off < min(all.Total, 300); off += 7 {
			res, err := ix.Search(ctx, Request{Query: req.Query, Viewer: req.Viewer, Sort: req.Sort, Limit: 7, Offset: off})
			if err != nil {
				t.Fatal(err)
			}
			if res.Total != all.Total {
				t.Fatalf("%q: total %d on page at %d, %d on the first", req.Query, res.Total, off, all.Total)
			}
			for _, h := range res.Hits {
				paged = append(paged, h.ID)
			}
		}
		var first []string
		for _, h := range all.Hits {
			first = append(first, h.ID)
		}
		n := min(len(first), len(paged))
		if !slices.Equal(first[:n], paged[:n]) {
			t.Errorf("%q: pages of 7 differ from one page of 100", req.Query)
		}
		seen := map[string]bool{}
		for _, id := range paged {
			if seen[id] {
				t.Errorf("%q: %s on two pages", req.Query, id)
			}
			seen[id] = true
		}
	}
}

// FuzzSearch: no string is an error, or a hit the viewer may not see.
func FuzzSearch(f *testing.F) {
	for _, q := range hostileQueries {
		f.Add(q, 0)
	}
	f.Add("东天街 补偿方案", 1)
	f.Add("长府征字〔2024〕3号", 2)
	fx := newFixture(f)
	ix := openFixture(f, fx, &clock{now: fixtureNow})
	viewers := []archive.Viewer{public, hh12, hh13, archivist, auditor}
	f.Fuzz(func(t *testing.T, q string, who int) {
		v := viewers[(who%len(viewers)+len(viewers))%len(viewers)]
		res, err := ix.Search(context.Background(), Request{Query: q, Viewer: v})
		if err != nil {
			t.Fatalf("%q: %v", q, err)
		}
		checkVisible(t, fx, v, q, res)
	})
}
