package audit

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/gongshi-archive/gongshi/archive"
	"github.com/gongshi-archive/gongshi/archive/blob"
	"github.com/gongshi-archive/gongshi/archive/ledger"
	"github.com/gongshi-archive/gongshi/internal/storetest"
)

// BenchmarkAudit measures, on each backend, a full audit of an archive of 64
// records of 4 MiB each, beside the raw speed of reading and digesting (SHA-256 and
// SM3) the same objects with the same number of parallel readers, in the same run.
// Metrics: raw-MB/s, audit-MB/s and audit/raw (the goal is ≥ 0.8).
func BenchmarkAudit(b *testing.B) {
	const (
		records = 64
		size    = 4 << 20
		workers = 4
	)
	for _, be := range storetest.Backends() {
		b.Run(be.Name, func(b *testing.B) {
			ctx := context.Background()
			st, _ := be.Open(b, time.Now)
			key, err := ledger.GenerateKeyFile(filepath.Join(b.TempDir(), "k"), "gongshi.example/bench")
			if err != nil {
				b.Fatal(err)
			}
			l := ledger.New(st, ledger.Options{Key: key})
			a := archive.New(st, archive.Options{Journal: l, TempDir: b.TempDir()})
			if _, err := a.CreateProject(ctx, archive.Project{Code: "CQ-2024-01", Name: "东天街片区", City: "长春市"}); err != nil {
				b.Fatal(err)
			}
			rng := rand.NewChaCha8([32]byte{7})
			var keys []string
			for i := 0; i < records; i++ {
				body := make([]byte, size)
				rng.Read(body)
				d, err := a.PutContent(ctx, bytes.NewReader(body), size)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := a.CreateRecord(ctx, archive.Record{Project: "CQ-2024-01", Type: "decision",
					Title: fmt.Sprintf("决定 %d", i), DocNumber: fmt.Sprintf("长征补〔2024〕%d号", i+1),
					Issuer: "长春市南关区人民政府", Date: archive.D(2024, 3, 15),
					Format: "pdf", FileName: "决定.pdf", Content: d}); err != nil {
					b.Fatal(err)
				}
				keys = append(keys, archive.ContentKey(d.SHA256))
			}
			var rawTime, auditTime time.Duration
			b.SetBytes(records * size)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				t0 := time.Now()
				rawDigest(b, st, keys, workers)
				t1 := time.Now()
				rep, err := Run(ctx, Options{Store: st, Archive: a, Ledger: l, Workers: workers})
				if err != nil || !rep.OK || rep.Read != records {
					b.Fatalf("audit: %+v, %v", rep, err)
				}
				rawTime += t1.Sub(t0)
				auditTime += time.Since(t1)
			}
			mb := float64(b.N) * records * size / 1e6
			b.ReportMetric(mb/rawTime.Seconds(), "raw-MB/s")
			b.ReportMetric(mb/auditTime.Seconds(), "audit-MB/s")
			b.ReportMetric(rawTime.Seconds()/auditTime.Seconds(), "audit/raw")
		})
	}
}

// rawDigest reads and digests every object under keys on workers goroutines:
// the bound an audit's content phase cannot beat.
func rawDigest(b *testing.B, st blob.Store, keys []string, workers int) {
	next := make(chan string)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			buf := make([]byte, 1<<20)
			for k := range next {
				if res := check(context.Background(), st, k, buf); res.err != nil {
					b.Error(res.err)
				}
			}
		}()
	}
	for _, k := range keys {
		next <- k
	}
	close(next)
	wg.Wait()
}
