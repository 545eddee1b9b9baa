package search

import (
	"context"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/blevesearch/bleve/v2/document"
	index "github.com/blevesearch/bleve_index_api"

	"github.com/gongshi-archive/gongshi/archive"
)

// BenchmarkBuild builds the index of 20,000 synthetic records
// (GONGSHI_BUILD_RECORDS others).
func BenchmarkBuild(b *testing.B) {
	n := 20000
	if v, err := strconv.Atoi(os.Getenv("GONGSHI_BUILD_RECORDS")); err == nil {
		n = v
	}
	src := synthSource(1, n)
	b.ResetTimer()
	for range b.N {
		dir := b.TempDir()
		start := time.Now()
		rep, err := Reindex(context.Background(), Options{Dir: dir, Source: src})
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(rep.Docs)/time.Since(start).Seconds(), "docs/s")
	}
}

func BenchmarkToIndex(b *testing.B) {
	src := synthSource(1, 2000)
	in := indexer{cat: archive.DefaultCatalogue()}
	docs := make([]Doc, 0, len(src.docs))
	for _, d := range src.docs {
		docs = append(docs, d)
	}
	b.ResetTimer()
	for i := range b.N {
		if _, _, err := in.toIndex(docs[i%len(docs)], synthNow); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkAnalyzeDoc(b *testing.B) {
	src := synthSource(1, 2000)
	in := indexer{cat: archive.DefaultCatalogue()}
	var docs []*document.Document
	for _, d := range src.docs {
		doc, _, _ := in.toIndex(d, synthNow)
		docs = append(docs, doc)
	}
	b.ResetTimer()
	tokens := 0
	for i := range b.N {
		docs[i%len(docs)].VisitFields(func(f index.Field) {
			if f.Options().IsIndexed() {
				f.Analyze()
				tokens += f.AnalyzedLength()
			}
		})
	}
	b.ReportMetric(float64(tokens)/float64(b.N), "tokens/doc")
}
