package fs

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"
)

// Concurrent Syncs share flushes, and each caller still gets a flush that began
// after it called: that is what makes its earlier deferred puts durable.
func TestSyncShared(t *testing.T) {
	s, err := Open(t.TempDir(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	type span struct{ start, end time.Time }
	var mu sync.Mutex
	var flushes []span
	s.flush = func(dir string) error {
		st := time.Now()
		err := syncFS(dir)
		time.Sleep(2 * time.Millisecond) // a flush takes time, as on a real disk
		mu.Lock()
		flushes = append(flushes, span{st, time.Now()})
		mu.Unlock()
		return err
	}
	const callers = 64
	calls := make([]span, callers)
	var wg sync.WaitGroup
	for i := range callers {
		wg.Go(func() {
			start := time.Now()
			if err := s.Sync(context.Background()); err != nil {
				t.Errorf("sync %d: %v", i, err)
			}
			calls[i] = span{start, time.Now()}
		})
	}
	wg.Wait()
	if len(flushes) == 0 || len(flushes) >= callers {
		t.Fatalf("%d flushes for %d concurrent callers: want at least one, and fewer than callers", len(flushes), callers)
	}
	for i, c := range calls {
		covered := false
		for _, f := range flushes {
			if !f.start.Before(c.start) && !f.end.After(c.end) {
				covered = true
			}
		}
		if !covered {
			t.Errorf("caller %d returned without a flush that began after its call", i)
		}
	}
	t.Logf("%d callers, %d flushes", callers, len(flushes))

	// A failed flush fails its callers.
	boom := errors.New("disk on fire")
	s.flush = func(string) error { return boom }
	if err := s.Sync(context.Background()); !errors.Is(err, boom) {
		t.Fatalf("sync with a failing flush: %v, want %v", err, boom)
	}
}
