package main

import (
	"context"

	"golang.org/x/mod/sumdb/note"

	"github.com/gongshi-archive/gongshi/archive"
	"github.com/gongshi-archive/gongshi/archive/blob"
	"github.com/gongshi-archive/gongshi/archive/ledger"
	"github.com/gongshi-archive/gongshi/verify"
)

// Opening the archive. A command that reads or files records opens the
// configured store and the archive over it, with the ledger as its journal,
// and closes the store when it ends; one that works through a service (staff
// accounts, households, retention, requests) builds it over that archive.
// These are the one way to do it:
//
//	o, err := cfg.open(ctx, e)              // o.st, o.a, o.l, o.key
//	if err != nil {
//		return err
//	}
//	defer o.close()
//
//	// a service, after the command has checked its arguments:
//	return withService(ctx, cfg, e, func(o *opened) (*requests.Service, error) {
//		return requests.New(o.a, requests.Options{Now: e.now})
//	}, func(rs *requests.Service) error {
//		...
//	})

// opened is the configured store, the archive over it, the archive's ledger
// and the ledger's key.
type opened struct {
	st  blob.Store
	a   *archive.Archive
	l   *ledger.Log
	key ledger.Key
}

// close closes the store.
func (o *opened) close() { o.st.Close() }

// open opens the configured store (openStore: its errors say what to fix) and
// the archive over it with the ledger as its journal (archiveOn), so that every
// version stored is appended to the ledger with the actor "cli". The caller
// closes it.
func (c *config) open(ctx context.Context, e env) (*opened, error) {
	st, err := c.openStore(ctx)
	if err != nil {
		return nil, err
	}
	k, err := c.ledgerKey(ctx, st)
	if err != nil {
		st.Close()
		return nil, err
	}
	a, l, err := c.archiveWith(st, e, k)
	if err != nil {
		st.Close()
		return nil, err
	}
	return &opened{st: st, a: a, l: l, key: k}, nil
}

// openService opens the archive (open) and what build makes over it; the func
// returned closes the store. On an error nothing is left open.
func openService[T any](ctx context.Context, c *config, e env, build func(*opened) (T, error)) (T, func(), error) {
	var zero T
	o, err := c.open(ctx, e)
	if err != nil {
		return zero, nil, err
	}
	v, err := build(o)
	if err != nil {
		o.close()
		return zero, nil, err
	}
	return v, o.close, nil
}

// withService opens what build makes over the archive (openService), calls fn
// with it and closes the store after, whatever fn returns. A command calls it
// once it has checked its arguments and flags, so that a wrong one is said
// before anything is opened.
func withService[T any](ctx context.Context, c *config, e env, build func(*opened) (T, error), fn func(T) error) error {
	v, done, err := openService(ctx, c, e, build)
	if err != nil {
		return err
	}
	defer done()
	return fn(v)
}

// openVerifier opens the configured store and a verifier over it that knows
// only key: verify reads the ledger as its checkpoints say and checks them with
// the key it was given, not with whatever key is at hand (so not through open,
// whose ledger is the archive's own). The func closes the store.
func (c *config) openVerifier(ctx context.Context, e env, key note.Verifier) (*verify.Verifier, func(), error) {
	st, err := c.openStore(ctx)
	if err != nil {
		return nil, nil, err
	}
	v := verify.New(archive.New(st, archive.Options{Now: e.now}),
		ledger.New(st, ledger.Options{Key: ledger.Key{Verifier: key}}), key, verify.Options{Now: e.now})
	return v, func() { st.Close() }, nil
}

// openArchive opens the archive alone; the func closes the store.
func (c *config) openArchive(ctx context.Context, e env) (*archive.Archive, func(), error) {
	return openService(ctx, c, e, func(o *opened) (*archive.Archive, error) { return o.a, nil })
}
