package fs

import (
	"context"
	"errors"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gongshi-archive/gongshi/archive/blob"
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
	s.flush = func(f *os.File) error {
		st := time.Now()
		err := syncFS(f)
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

	// A caller that gives up while waiting gets its context's error, and the
	// flush still runs for the others.
	release := make(chan struct{})
	s.flush = func(f *os.File) error { <-release; return syncFS(f) }
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- s.Sync(ctx) }()
	other := make(chan error, 1)
	go func() { other <- s.Sync(context.Background()) }()
	cancel()
	if err := <-errc; !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled sync: %v, want context.Canceled", err)
	}
	close(release)
	if err := <-other; err != nil {
		t.Fatalf("the other caller's sync: %v", err)
	}

	// A failed flush fails its callers, and every later Sync: the kernel reports
	// a write-back error only once.
	boom := errors.New("disk on fire")
	s.flush = func(*os.File) error { return boom }
	if err := s.Sync(context.Background()); !errors.Is(err, boom) {
		t.Fatalf("sync with a failing flush: %v, want %v", err, boom)
	}
	s.flush = syncFS
	if err := s.Sync(context.Background()); !errors.Is(err, boom) {
		t.Fatalf("sync after a failed flush: %v, want it to keep failing with %v", err, boom)
	}
	// And so does every deferred put, which flushes before it names the object.
	if _, err := s.Put(context.Background(), "after/failure", strings.NewReader("x"), blob.PutOptions{Size: 1, Deferred: true}); !errors.Is(err, boom) {
		t.Fatalf("deferred put after a failed flush: %v, want %v", err, boom)
	}
	if _, err := s.Stat(context.Background(), "after/failure"); !errors.Is(err, blob.ErrNotFound) {
		t.Fatalf("the refused put left an object: %v", err)
	}
}
