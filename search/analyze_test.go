package search

import (
	"slices"
	"strings"
	"testing"

	"github.com/blevesearch/bleve/v2/analysis"
	_ "github.com/blevesearch/bleve/v2/analysis/lang/cjk"
	"github.com/blevesearch/bleve/v2/analysis/token/lowercase"
	"github.com/blevesearch/bleve/v2/analysis/tokenizer/unicode"
	"github.com/blevesearch/bleve/v2/registry"

	"github.com/gongshi-archive/gongshi/internal/synth"
)

func terms(a analysis.Analyzer, s string) []string {
	var out []string
	for _, t := range a.Analyze([]byte(s)) {
		out = append(out, string(t.Term))
	}
	slices.Sort(out)
	return slices.Compact(out)
}

func TestAnalyze(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"补偿方案", "偿 偿方 方 方案 案 补 补偿"},
		{"房", "房"},
		{"CQ01 ２０２４年", "2024 cq01 年"},
		{"长府征字〔2024〕3号", "2024 3 号 字 府 府征 征 征字 长 长府"},
		{"建筑面积126.66平方米，1,234.5元", "1,234.5 126.66 元 平 平方 建 建筑 方 方米 积 筑 筑面 米 面 面积"},
		{"Z109-WS·2024-Y-CQ01-0007", "0007 2024 cq01 ws y z109"},
		{"a\xffb", "a b"},
		{"", ""},
	} {
		if got := strings.Join(terms(cjkAnalyzer{}, tc.in), " "); got != tc.want {
			t.Errorf("%q: %q, want %q", tc.in, got, tc.want)
		}
	}
}

// The analyzer gives the terms bleve's own chain gives (unicode tokenizer,
// cjk_width, to_lower, cjk_bigram with unigrams) on the archive's text.
func TestAnalyzerMatchesBleve(t *testing.T) {
	cache := registry.NewCache()
	tok, err := cache.TokenizerNamed(unicode.Name)
	if err != nil {
		t.Fatal(err)
	}
	width, _ := cache.TokenFilterNamed("cjk_width")
	lower, _ := cache.TokenFilterNamed(lowercase.Name)
	bigram, err := cache.DefineTokenFilter("bigram_uni", map[string]interface{}{"type": "cjk_bigram", "output_unigram": true})
	if err != nil {
		t.Fatal(err)
	}
	ref := &analysis.DefaultAnalyzer{Tokenizer: tok, TokenFilters: []analysis.TokenFilter{width, lower, bigram}}
	n := 0
	_ = synth.New(synth.Options{Seed: 5}).Each(3000, func(it synth.Item) error {
		r := it.Record
		for _, s := range []string{r.Title, r.Abstract, r.Issuer, r.DocNumber, r.ArchivalCode, it.Project.Name} {
			got, want := terms(cjkAnalyzer{}, s), terms(ref, s)
			if !slices.Equal(got, want) {
				n++
				if n < 10 {
					t.Errorf("%q:\n got  %q\n want %q", s, got, want)
				}
			}
		}
		return nil
	})
}

// BenchmarkAnalyze compares the analyzer with bleve's chain on the archive's text
// (go test -bench Analyze ./search/).
func BenchmarkAnalyze(b *testing.B) {
	var texts []string
	_ = synth.New(synth.Options{Seed: 5}).Each(2000, func(it synth.Item) error {
		texts = append(texts, it.Record.Title, it.Record.Abstract, it.Project.Name, it.Record.Issuer)
		return nil
	})
	cache := registry.NewCache()
	tok, _ := cache.TokenizerNamed(unicode.Name)
	width, _ := cache.TokenFilterNamed("cjk_width")
	lower, _ := cache.TokenFilterNamed(lowercase.Name)
	bigram, _ := cache.DefineTokenFilter("bigram_uni", map[string]interface{}{"type": "cjk_bigram", "output_unigram": true})
	ref := &analysis.DefaultAnalyzer{Tokenizer: tok, TokenFilters: []analysis.TokenFilter{width, lower, bigram}}
	for _, a := range []struct {
		name string
		a    analysis.Analyzer
	}{{"gongshi", cjkAnalyzer{}}, {"bleve", ref}} {
		b.Run(a.name, func(b *testing.B) {
			tokens := 0
			for i := range b.N {
				tokens += len(a.a.Analyze([]byte(texts[i%len(texts)])))
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(tokens), "ns/token")
		})
	}
}
