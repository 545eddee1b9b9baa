package parallel

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
)

func TestForCallsEachIndexOnce(t *testing.T) {
	for _, limit := range []int{-1, 0, 1, 3, 100} {
		seen := make([]int32, 50)
		if err := For(context.Background(), len(seen), limit, func(_ context.Context, i int) error {
			atomic.AddInt32(&seen[i], 1)
			return nil
		}); err != nil {
			t.Fatalf("limit %d: %v", limit, err)
		}
		for i, n := range seen {
			if n != 1 {
				t.Fatalf("limit %d: fn(%d) ran %d times, want once", limit, i, n)
			}
		}
	}
}

func TestForBoundsTheGoroutines(t *testing.T) {
	const limit = 4
	var running, most int32
	var mu sync.Mutex
	release := make(chan struct{})
	started := make(chan struct{}, 100)
	done := make(chan error)
	go func() {
		done <- For(context.Background(), 20, limit, func(context.Context, int) error {
			n := atomic.AddInt32(&running, 1)
			mu.Lock()
			most = max(most, n)
			mu.Unlock()
			started <- struct{}{}
			<-release
			atomic.AddInt32(&running, -1)
			return nil
		})
	}()
	for range limit {
		<-started // limit calls are running and blocked: no more may start
	}
	select {
	case <-started:
		t.Fatal("a call started beyond the limit")
	default:
	}
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if most != limit {
		t.Fatalf("at most %d calls ran at once, want %d", most, limit)
	}
}

func TestForStopsAtTheFirstError(t *testing.T) {
	boom := errors.New("boom")
	var calls int32
	err := For(context.Background(), 1000, 1, func(ctx context.Context, i int) error {
		atomic.AddInt32(&calls, 1)
		if i == 3 {
			return boom
		}
		return ctx.Err()
	})
	if !errors.Is(err, boom) {
		t.Fatalf("err = %v, want boom", err)
	}
	if calls != 4 {
		t.Fatalf("%d calls, want 4: none starts after the first error", calls)
	}
}

func TestForCancelsTheOthers(t *testing.T) {
	boom := errors.New("boom")
	err := For(context.Background(), 2, 2, func(ctx context.Context, i int) error {
		if i == 0 {
			<-ctx.Done() // would block for ever if the failure of 1 did not cancel it
			return ctx.Err()
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("err = %v, want boom (the first error, not the cancellation it caused)", err)
	}
}

func TestForStopsWithItsContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	var calls int32
	err := For(ctx, 1000, 1, func(context.Context, int) error {
		if atomic.AddInt32(&calls, 1) == 5 {
			cancel()
		}
		return nil // calls that do not fail: For still reports that it stopped
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if calls != 5 {
		t.Fatalf("%d calls, want 5: none starts after ctx is done", calls)
	}
}
