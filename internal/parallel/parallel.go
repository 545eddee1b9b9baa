package parallel

import (
	"context"

	"golang.org/x/sync/errgroup"
)

// For calls fn(ctx, i) for each i in [0, n), on at most limit goroutines at once
// (at least one), and returns when every call that started has returned.
//
// The first call to fail cancels the ctx the others were given, no call starts
// after that or after the caller's ctx is done, and For returns that first error.
// When the caller's ctx ended the loop and no call failed, For returns ctx's
// error: either way a nil error means every fn(i) ran and returned nil. A call
// whose error is not fatal (an object removed since it was listed) records it
// and returns nil.
func For(ctx context.Context, n, limit int, fn func(ctx context.Context, i int) error) error {
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(max(limit, 1))
	for i := range n {
		if gctx.Err() != nil {
			break
		}
		g.Go(func() error {
			if gctx.Err() != nil {
				return nil // ended while this call waited for its turn
			}
			return fn(gctx, i)
		})
	}
	if err := g.Wait(); err != nil {
		return err
	}
	return ctx.Err()
}
