package ledger

import (
	"bytes"
	"context"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/gongshi-archive/gongshi/archive"
	"github.com/gongshi-archive/gongshi/archive/blob"
	"github.com/gongshi-archive/gongshi/archive/blob/fs"
	"github.com/gongshi-archive/gongshi/internal/storetest"
)

// BenchmarkAppend measures appends per second with everything an append stores
// (batch, tiles, lookup key, signed checkpoint), on each backend: one caller at a
// time (every append its own batch and checkpoint), many concurrent callers (group
// commit), and AppendAll of 1,000 events.
func BenchmarkAppend(b *testing.B) {
	for _, be := range storetest.Backends() {
		for _, mode := range []struct {
			name    string
			callers int
			batch   int
		}{{"serial", 1, 1}, {"callers=64", 64, 1}, {"batch=1000", 1, 1000}} {
			b.Run(be.Name+"/"+mode.name, func(b *testing.B) {
				st, _ := be.Open(b, time.Now)
				l := New(st, Options{Key: testKey(b, "gongshi.example/bench")})
				ctx := context.Background()
				var next atomic.Int64
				b.ResetTimer()
				if mode.batch > 1 {
					for n := 0; n < b.N; n += mode.batch {
						evs := make([]archive.Event, min(mode.batch, b.N-n))
						for i := range evs {
							evs[i] = event(int(next.Add(1)))
						}
						if _, err := l.AppendAll(ctx, evs); err != nil {
							b.Fatal(err)
						}
					}
				} else {
					var wg sync.WaitGroup
					for c := 0; c < mode.callers; c++ {
						wg.Add(1)
						go func() {
							defer wg.Done()
							for {
								i := next.Add(1)
								if i > int64(b.N) {
									return
								}
								if _, err := l.Append(ctx, event(int(i))); err != nil {
									b.Error(err)
									return
								}
							}
						}()
					}
					wg.Wait()
				}
				b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "appends/s")
			})
		}
	}
}

// buildLog writes a log of n entries to st the way Append does (batches, tiles,
// signed checkpoints), in batches of per, but without the by-record lookup keys:
// a million small objects would measure the filesystem, not the proofs.
func buildLog(tb testing.TB, st blob.Store, key Key, n, per int) *Log {
	ctx := context.Background()
	l := New(st, Options{Key: key})
	l.loaded = true
	put := func(k string, data []byte) {
		if _, err := st.Put(ctx, k, bytes.NewReader(data), blob.PutOptions{Size: int64(len(data))}); err != nil {
			tb.Fatal(err)
		}
	}
	for start := 0; start < n; start += per {
		entries := make([][]byte, min(per, n-start))
		for i := range entries {
			entries[i], _ = FormatEntry(event(start + i))
		}
		p, err := l.prepare(ctx, int64(start), entries)
		if err != nil {
			tb.Fatal(err)
		}
		put(batchKey(p.start), encodeBatch(entries))
		for _, t := range tlog.NewTiles(tileHeight, p.start, p.size) {
			data, err := tlog.ReadTileData(t, p.hr)
			if err != nil {
				tb.Fatal(err)
			}
			put(tileKey(t), data)
		}
		signed, err := signCheckpoint(l, Checkpoint{Origin: key.Verifier.Name(), Size: p.size, Root: p.root})
		if err != nil {
			tb.Fatal(err)
		}
		put(checkpointKey(p.size), signed)
		l.size, l.root, l.signed = p.size, p.root, signed
	}
	return l
}

// BenchmarkProof measures, in a log of 1,000,000 entries on the filesystem store,
// the inclusion proof of a random entry (tiles read from the store; cold: a new
// Log with an empty tile cache each time, warm: one Log) and the offline
// verification of a receipt (signature, proof, entry, digests).
func BenchmarkProof(b *testing.B) {
	const n = 1_000_000
	dir := b.TempDir()
	// Built without fsync: the proofs only read, and a million-entry log built
	// with fsync would take minutes of setup.
	st, err := fs.Open(filepath.Join(dir, "store"), fs.Options{NoSync: true})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	key := testKey(b, "gongshi.example/bench")
	start := time.Now()
	l := buildLog(b, st, key, n, defaultMaxBatch)
	b.Logf("built a log of %d entries in %v", n, time.Since(start).Round(time.Millisecond))
	_, cp, err := l.Latest(context.Background())
	if err != nil || cp.Size != n {
		b.Fatalf("latest: %+v, %v", cp, err)
	}
	ctx := context.Background()
	idx := func(i int) int64 { return int64((i*7919 + 104729) % n) }
	prove := func(l *Log, i int64) tlog.RecordProof {
		p, err := tlog.ProveRecord(cp.Size, i, tlog.TileHashReader(tlog.Tree{N: cp.Size, Hash: cp.Root}, l.tiles.at(ctx)))
		if err != nil {
			b.Fatal(err)
		}
		return p
	}
	b.Run("prove/cold", func(b *testing.B) {
		for i := 0; b.Loop(); i++ {
			fresh := New(st, Options{Key: key})
			prove(fresh, idx(i))
		}
	})
	b.Run("prove/warm", func(b *testing.B) {
		warm := New(st, Options{Key: key})
		for i := 0; b.Loop(); i++ {
			prove(warm, idx(i))
		}
	})
	b.Run("receipt/cold", func(b *testing.B) {
		for i := 0; b.Loop(); i++ {
			fresh := New(st, Options{Key: key})
			k := idx(i)
			if _, err := fresh.Receipt(ctx, Located{Index: k, batch: k - k%defaultMaxBatch}); err != nil {
				b.Fatal(err)
			}
		}
	})
	receipts := make([]Receipt, 64)
	for i := range receipts {
		k := idx(i)
		r, err := l.Receipt(ctx, Located{Index: k, batch: k - k%defaultMaxBatch})
		if err != nil {
			b.Fatal(err)
		}
		receipts[i] = r
	}
	b.Run("verify", func(b *testing.B) {
		for i := 0; b.Loop(); i++ {
			r := receipts[i%len(receipts)]
			e := event(int(r.Index))
			if _, err := VerifyReceipt(r, key.Verifier, &e.Content); err != nil {
				b.Fatal(err)
			}
		}
	})
	olds := make([]Checkpoint, 64)
	for i := range olds {
		size := idx(i) + 1
		olds[i] = Checkpoint{Origin: cp.Origin, Size: size, Root: rootAt(b, l, size)}
	}
	b.Run("consistency/prove-and-check", func(b *testing.B) {
		for i := 0; b.Loop(); i++ {
			old := olds[i%len(olds)]
			_, now, proof, err := New(st, Options{Key: key}).ProveConsistency(ctx, old.Size)
			if err != nil {
				b.Fatal(err)
			}
			if err := CheckConsistency(old, now, proof); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// rootAt is the root of the first n entries, from the stored tiles.
func rootAt(tb testing.TB, l *Log, n int64) tlog.Hash {
	_, cp, _ := l.Latest(context.Background())
	h, err := tlog.TreeHash(n, tlog.TileHashReader(tlog.Tree{N: cp.Size, Hash: cp.Root}, l.tiles.at(context.Background())))
	if err != nil {
		tb.Fatal(err)
	}
	return h
}
