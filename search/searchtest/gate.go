package searchtest

import (
	"context"
	"sync"
)

// Gate holds back a rebuild: a source's read of the whole ledger (its Changes
// from index 0) waits in Wait while the gate is held. A test wraps its
// search.Source:
//
//	type gatedSource struct {
//		search.Source
//		searchtest.Gate
//	}
//
//	func (s *gatedSource) Changes(ctx context.Context, from, to int64, fn func(search.Change) error) error {
//		if err := s.Wait(ctx, from); err != nil {
//			return err
//		}
//		return s.Source.Changes(ctx, from, to, fn)
//	}
//
// The zero Gate is open. It is safe for concurrent use.
type Gate struct {
	mu   sync.Mutex
	gate chan struct{}
}

// Hold closes the gate: from now on a read from index 0 waits until Release.
func (g *Gate) Hold() {
	g.mu.Lock()
	g.gate = make(chan struct{})
	g.mu.Unlock()
}

// Release opens the gate and lets every waiting read go on. Releasing an open
// gate does nothing.
func (g *Gate) Release() {
	g.mu.Lock()
	if g.gate != nil {
		close(g.gate)
		g.gate = nil
	}
	g.mu.Unlock()
}

// Wait returns at once for a read from any index but 0 or while the gate is
// open; else when the gate is released (nil) or ctx is done (its error).
func (g *Gate) Wait(ctx context.Context, from int64) error {
	g.mu.Lock()
	gate := g.gate
	g.mu.Unlock()
	if from != 0 || gate == nil {
		return nil
	}
	select {
	case <-gate:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
