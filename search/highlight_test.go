package search

import (
	"strings"
	"testing"

	"github.com/gongshi-archive/gongshi/archive"
)

// Highlights mark the query's bigrams, characters and words in the stored
// text: runs alike are one fragment, together the text (or its window, cut
// with "…" at the side it was cut).
func TestHighlightFragments(t *testing.T) {
	syn := newSynonyms(archive.DefaultSynonyms())
	show := func(fs []Fragment) string {
		var b strings.Builder
		for _, f := range fs {
			if f.Match {
				b.WriteString("[" + f.Text + "]")
			} else {
				b.WriteString(f.Text)
			}
		}
		return b.String()
	}
	long := strings.Repeat("前", 60) + "房屋征收补偿方案" + strings.Repeat("后", 60)
	for _, tc := range []struct {
		query, text string
		chars       bool
		window      int
		want        string
	}{
		{"补偿方案", "东天街片区房屋征收补偿方案（征求意见稿）", false, 0, "东天街片区房屋征收[补偿方案]（征求意见稿）"},
		{"征收 补偿", "征收决定与补偿", false, 0, "[征收]决定与[补偿]"},
		{"补方", "补偿方案", true, 0, "[补]偿[方]案"},
		{"补方", "补偿方案", false, 0, "补偿方案"},
		{"DTJ", "长春市DTJ片区 dtj", false, 0, "长春市[DTJ]片区 [dtj]"},
		{"补偿", long, false, 20, "…房屋征收[补偿]方案" + strings.Repeat("后", 12) + "…"},
		{"无关", "房屋征收", false, 0, "房屋征收"},
	} {
		h := newHighlighter(parseQuery(tc.query, syn))
		fs := h.fragments(tc.text, tc.chars, tc.window)
		if got := show(fs); got != tc.want {
			t.Errorf("%q in %q: %s, want %s", tc.query, tc.text, got, tc.want)
		}
		for i := 1; i < len(fs); i++ {
			if fs[i].Match == fs[i-1].Match && fs[i].Text != "…" && fs[i-1].Text != "…" {
				t.Errorf("%q in %q: fragments %d and %d are alike: %+v", tc.query, tc.text, i-1, i, fs)
			}
		}
	}
}

// NoHighlights answers the same hits without their highlights.
func TestNoHighlights(t *testing.T) {
	ix := openFixture(t, newFixture(t), &clock{now: fixtureNow})
	req := Request{Query: "补偿", Viewer: archivist, Limit: 100}
	with, err := ix.Search(t.Context(), req)
	if err != nil {
		t.Fatal(err)
	}
	req.NoHighlights = true
	without, err := ix.Search(t.Context(), req)
	if err != nil {
		t.Fatal(err)
	}
	if len(with.Hits) == 0 || len(with.Hits) != len(without.Hits) || with.Total != without.Total {
		t.Fatalf("hits %d and %d, totals %d and %d", len(with.Hits), len(without.Hits), with.Total, without.Total)
	}
	marked := 0
	for i, h := range without.Hits {
		w := with.Hits[i]
		if h.ID != w.ID || h.TitleHighlight != nil || h.AbstractHighlight != nil {
			t.Errorf("hit %d: %s with highlights %v %v, %s with them", i, h.ID, h.TitleHighlight, h.AbstractHighlight, w.ID)
		}
		for _, f := range append(w.TitleHighlight, w.AbstractHighlight...) {
			if f.Match {
				marked++
			}
		}
	}
	if marked == 0 {
		t.Error("the highlighted answer marks nothing")
	}
}
