package search

import (
	"context"
	"testing"
	"time"
)

func BenchmarkBuild(b *testing.B) {
	src := synthSource(1, 20000)
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
