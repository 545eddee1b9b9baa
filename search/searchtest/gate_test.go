package searchtest

import (
	"context"
	"errors"
	"testing"
	"time"
)

// A held gate stops a read from 0 (and only it) until released; a canceled
// read returns the context's error.
func TestGate(t *testing.T) {
	ctx := context.Background()
	var g Gate
	if err := g.Wait(ctx, 0); err != nil {
		t.Fatalf("the zero gate: %v", err)
	}
	g.Hold()
	if err := g.Wait(ctx, 5); err != nil {
		t.Fatalf("a read from 5 while held: %v", err)
	}
	done := make(chan error, 1)
	go func() { done <- g.Wait(ctx, 0) }()
	select {
	case err := <-done:
		t.Fatalf("a read from 0 went through a held gate: %v", err)
	case <-time.After(50 * time.Millisecond):
	}
	g.Release()
	if err := <-done; err != nil {
		t.Fatalf("after Release: %v", err)
	}
	g.Release() // twice: nothing
	g.Hold()
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if err := g.Wait(cctx, 0); !errors.Is(err, context.Canceled) {
		t.Fatalf("a canceled read: %v", err)
	}
	g.Release()
}
