package ledger

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gongshi-archive/gongshi/archive/blob"
	"github.com/gongshi-archive/gongshi/internal/holder"
	"github.com/gongshi-archive/gongshi/internal/storetest"
)

func noBatch(context.Context) (bool, error) { return false, nil }

// grants lists the grant objects of the lease at size n.
func grants(t *testing.T, st blob.Store, n int64) []string {
	t.Helper()
	var out []string
	dir := leaseSizeDir(n)
	if err := st.List(context.Background(), dir, "", func(i blob.Info) error {
		if name := strings.TrimPrefix(i.Key, dir); len(name) == 6 {
			out = append(out, name)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

// A held lease makes the next writer wait, and fail only after its bound; given
// back, it goes to the waiter as the next grant.
func TestLeaseHeldThenGivenBack(t *testing.T) {
	eachBackend(t, func(t *testing.T, st blob.Store, _ storetest.Raw) {
		ctx := context.Background()
		a := newLeaser(st, time.Hour, time.Minute, time.Now)
		w := newLeaser(st, time.Hour, 150*time.Millisecond, time.Now)
		ga, err := a.acquire(ctx, 0, noBatch)
		if err != nil || ga.gen != 1 {
			t.Fatalf("first grant: %+v, %v", ga, err)
		}
		if _, err := w.acquire(ctx, 0, noBatch); !errors.Is(err, ErrConflict) || !strings.Contains(err.Error(), a.holder) {
			t.Fatalf("while held: %v, want ErrConflict naming the holder", err)
		}
		// The waiter said it waits: the holder sees it when it gives back.
		if err := a.release(ctx, ga); err != nil || !a.yield {
			t.Fatalf("release: %v, yield %v", err, a.yield)
		}
		gw, err := w.acquire(ctx, 0, noBatch)
		if err != nil || gw.gen != 2 || gw.holder != w.holder {
			t.Fatalf("after release: %+v, %v", gw, err)
		}
		// The size moved on under a given-back lease: the waiter is told to
		// reload instead of taking it.
		w.release(ctx, gw)
		if _, err := a.acquire(ctx, 0, func(context.Context) (bool, error) { return true, nil }); !errors.Is(err, errMoved) {
			t.Fatalf("moved: %v", err)
		}
	})
}

// A crashed holder's grant expires: by the waiter's clock when it is past the
// expiry the holder wrote, or after the waiter has watched it for its TTL when
// the holder's clock runs ahead.
func TestLeaseExpiry(t *testing.T) {
	for _, b := range storetest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			ctx := context.Background()
			st, _ := b.Open(t, testNow)
			crashed := newLeaser(st, time.Hour, time.Minute, testNow)
			if _, err := crashed.acquire(ctx, 0, noBatch); err != nil {
				t.Fatal(err)
			}
			later := newLeaser(st, time.Hour, time.Minute, func() time.Time { return testNow().Add(61 * time.Minute) })
			g, err := later.acquire(ctx, 0, noBatch)
			if err != nil || g.gen != 2 {
				t.Fatalf("take-over by the clock: %+v, %v", g, err)
			}
			// A holder whose clock is a year ahead: its grant says it lasts a year.
			ahead := newLeaser(st, time.Hour, time.Minute, func() time.Time { return testNow().AddDate(1, 0, 0) })
			if _, err := ahead.acquire(ctx, 7, noBatch); err != nil {
				t.Fatal(err)
			}
			watcher := newLeaser(st, 50*time.Millisecond, 10*time.Second, testNow)
			g, err = watcher.acquire(ctx, 7, noBatch)
			if err != nil || g.gen != 2 {
				t.Fatalf("take-over after watching: %+v, %v", g, err)
			}
			if got := grants(t, st, 7); len(got) != 2 {
				t.Fatalf("grants at 7: %v", got)
			}
			// A holder of this machine that has ended (a killed batch): taken
			// over at once, however long its grant says it lasts.
			ended := exec.Command(os.Args[0], "-test.run=^$")
			if err := ended.Run(); err != nil {
				t.Fatal(err)
			}
			dead := holder.New()
			dead.PID = ended.Process.Pid
			g0 := grant{size: 9, gen: 1, holder: dead.Name, by: dead, expires: time.Now().AddDate(1, 0, 0)}
			if _, err := st.Put(ctx, grantKey(9, 1), strings.NewReader(g0.text()), blob.PutOptions{Size: int64(len(g0.text()))}); err != nil {
				t.Fatal(err)
			}
			patient := newLeaser(st, time.Hour, 10*time.Second, time.Now)
			if g, err := patient.acquire(ctx, 9, noBatch); err != nil || g.gen != 2 {
				t.Fatalf("take-over from an ended holder: %+v, %v", g, err)
			}
		})
	}
}

// Many writers find one expired grant at once: exactly one takes it over, the
// others wait for the new holder.
func TestLeaseTakeoverRace(t *testing.T) {
	eachBackend(t, func(t *testing.T, st blob.Store, _ storetest.Raw) {
		ctx := context.Background()
		if _, err := newLeaser(st, time.Minute, time.Minute, testNow).acquire(ctx, 3, noBatch); err != nil {
			t.Fatal(err)
		}
		const n = 8
		var won atomic.Int32
		var wg sync.WaitGroup
		for range n {
			wg.Go(func() {
				le := newLeaser(st, time.Hour, 300*time.Millisecond, func() time.Time { return testNow().Add(2 * time.Minute) })
				g, err := le.acquire(ctx, 3, noBatch)
				switch {
				case err == nil && g.gen == 2:
					won.Add(1)
				case errors.Is(err, ErrConflict):
				default:
					t.Errorf("racer: %+v, %v", g, err)
				}
			})
		}
		wg.Wait()
		if won.Load() != 1 {
			t.Fatalf("%d racers took the expired lease over, want exactly 1", won.Load())
		}
		if got := grants(t, st, 3); len(got) != 2 {
			t.Fatalf("grants: %v", got)
		}
	})
}

// A holder paused past its lease's expiry does not append over the new holder's
// work: the new holder appends at the index, the stale one fails to create the
// batch there, reloads and appends after it. Both entries are in the log once.
func TestStaleHolder(t *testing.T) {
	eachBackend(t, func(t *testing.T, st blob.Store, _ storetest.Raw) {
		ctx := context.Background()
		key := testKey(t, "gongshi.example/stale")
		opts := Options{Key: key, LeaseTTL: 100 * time.Millisecond}
		stale, fresh := New(st, opts), New(st, opts)
		paused, resume := make(chan struct{}), make(chan struct{})
		var once sync.Once
		stale.beforeBatchPut = func(start int64) {
			once.Do(func() {
				close(paused)
				<-resume
			})
		}
		var staleIdx int64
		var staleErr error
		done := make(chan struct{})
		go func() {
			defer close(done)
			staleIdx, staleErr = stale.Append(ctx, event(1))
		}()
		<-paused
		// The stale holder holds the lease at 0, about to put batch 0. Its
		// grant expires; the fresh writer takes over and appends at 0.
		freshIdx, err := fresh.Append(ctx, event(2))
		if err != nil || freshIdx != 0 {
			t.Fatalf("fresh writer: %d, %v", freshIdx, err)
		}
		close(resume)
		<-done
		if staleErr != nil || staleIdx != 1 {
			t.Fatalf("stale writer: %d, %v", staleIdx, staleErr)
		}
		reader := New(st, Options{Key: key})
		entries := allEntries(t, reader)
		want0, _ := FormatEntry(event(2))
		want1, _ := FormatEntry(event(1))
		if len(entries) != 2 || string(entries[0]) != string(want0) || string(entries[1]) != string(want1) {
			t.Fatalf("entries %q", entries)
		}
		rc, err := reader.Receipt(ctx, Located{Index: 0, batch: 0})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := VerifyReceipt(rc, key.Verifier, nil); err != nil {
			t.Fatalf("the fresh writer's entry: %v", err)
		}
	})
}

// Several writers append at once, one event at a time: with the lease none of
// them fails for lost races, and every event is in the log once.
func TestManyWritersWait(t *testing.T) {
	eachBackend(t, func(t *testing.T, st blob.Store, _ storetest.Raw) {
		ctx := context.Background()
		key := testKey(t, "gongshi.example/many")
		const writers, each = 3, 12
		var wg sync.WaitGroup
		for w := range writers {
			l := New(st, Options{Key: key})
			wg.Go(func() {
				for i := range each {
					if _, err := l.Append(ctx, event(w*1000+i)); err != nil {
						t.Errorf("writer %d, event %d: %v", w, i, err)
						return
					}
				}
			})
		}
		wg.Wait()
		entries := allEntries(t, New(st, Options{Key: key}))
		seen := map[string]bool{}
		for _, e := range entries {
			seen[string(e)] = true
		}
		if len(entries) != writers*each || len(seen) != writers*each {
			t.Fatalf("%d entries, %d distinct, want %d", len(entries), len(seen), writers*each)
		}
		if cp := latest(t, New(st, Options{Key: key})); cp.Size != writers*each {
			t.Fatalf("checkpoint %+v", cp)
		}
	})
}
