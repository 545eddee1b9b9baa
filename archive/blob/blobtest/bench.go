package blobtest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"math/rand/v2"
	"runtime"
	"sync/atomic"
	"testing"

	"github.com/gongshi-archive/gongshi/archive/blob"
)

// BenchmarkPut measures create-once puts of objects of the given sizes into a
// store from newStore, one fresh key per operation, with the size and SHA-256
// declared as ingest declares them, so the backend verifies the content. b.SetBytes makes go test report MB/s.
//
// Each size runs with one writer and with eight concurrent writers, as a batch
// ingest runs.
func BenchmarkPut(b *testing.B, newStore func(b *testing.B) blob.Store, sizes ...int) {
	for _, size := range sizes {
		for _, writers := range []int{1, 8} {
			b.Run(fmt.Sprintf("%s/writers=%d", sizeName(size), writers), func(b *testing.B) {
				benchPut(b, newStore(b), size, writers, false)
			})
			// Small objects are what filing defers (blob.PutOptions.Deferred):
			// the same puts, with the Sync that makes their names durable timed too.
			if size < 1<<20 {
				b.Run(fmt.Sprintf("%s/writers=%d/deferred", sizeName(size), writers), func(b *testing.B) {
					benchPut(b, newStore(b), size, writers, true)
				})
			}
		}
	}
}

func benchPut(b *testing.B, s blob.Store, size, writers int, deferred bool) {
	defer s.Close()
	data := make([]byte, size)
	rand.NewChaCha8([32]byte{3}).Read(data)
	sum := sha256.Sum256(data)
	ctx := context.Background()
	put := func(i int64) bool {
		key := fmt.Sprintf("bench/%02x/%09d", i%256, i)
		if _, err := s.Put(ctx, key, bytes.NewReader(data), blob.PutOptions{Size: int64(size), SHA256: sum[:], Deferred: deferred}); err != nil {
			b.Error(err)
			return false
		}
		return true
	}
	b.SetBytes(int64(size))
	b.ResetTimer()
	if writers == 1 {
		for i := int64(0); b.Loop(); i++ {
			if !put(i) {
				return
			}
		}
	} else {
		// RunParallel starts parallelism × GOMAXPROCS goroutines.
		b.SetParallelism((writers + runtime.GOMAXPROCS(0) - 1) / runtime.GOMAXPROCS(0))
		var next atomic.Int64
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if !put(next.Add(1)) {
					return
				}
			}
		})
	}
	if err := blob.Sync(ctx, s); err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "objects/s")
}

func sizeName(n int) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%dMiB", n>>20)
	case n >= 1000_000 && n%1000_000 == 0:
		return fmt.Sprintf("%dMB", n/1000_000)
	case n >= 1000 && n%1000 == 0:
		return fmt.Sprintf("%dkB", n/1000)
	}
	return fmt.Sprintf("%dB", n)
}
