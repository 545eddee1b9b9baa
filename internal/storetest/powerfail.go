package storetest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"hash/maphash"
	"io"
	"maps"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gongshi-archive/gongshi/archive/blob"
	"github.com/gongshi-archive/gongshi/archive/blob/fs"
)

// ErrPowerOff is what a PowerFail answers after Cut: the machine is down, and
// whatever it was doing is lost.
var ErrPowerOff = errors.New("the power failed: the store is gone (open the underlying store again)")

// PowerFail is a blob.Store that can lose power. It wraps an underlying store,
// which plays the disk, and keeps the objects of deferred puts in memory until
// a Sync writes them there: that is the page cache of a file system, which a
// power failure empties. Cut is the power failure. Tests use it to prove that
// the archive's writers call blob.Sync before anything durable depends on a
// deferred object, whatever moment the power fails at.
//
// The model is the weakest that the blob.PutOptions.Deferred contract allows:
// after a Cut, any subset of the objects not yet synced may survive, because a
// file system orders nothing between files it has not flushed. Puts without
// Deferred go straight to the underlying store, durable on return; a Sync makes
// durable the deferred objects visible when it is called (and perhaps some that
// are put while it runs), and nothing else does.
//
// Retention, SetLegalHold and Delete of an object still in memory first write
// it to the underlying store (as the fsync of the filesystem store's
// SetLegalHold would make it durable) and then ask the underlying store; so do
// not depend on them leaving an object volatile.
//
// It is safe for concurrent use. Close closes nothing: the underlying store is
// the caller's, who reads it (or wraps it again) after a Cut.
type PowerFail struct {
	under blob.Store

	// Locks are taken in the order flushMu, mu, keys, vmu.

	// mu is held for reading by every call while it writes to the underlying
	// store (a Sync, for each object it moves), and for writing by Cut: a Cut
	// waits for the writes in flight, and no write begins after it. A dead
	// machine writes nothing.
	mu   sync.RWMutex
	dead bool

	// keys serialise the create-once decision of each key (striped by a hash
	// of the key): a key is taken when it is in memory or in the underlying
	// store, and a put must look at both and claim the key in one step.
	seed maphash.Seed
	keys [64]sync.Mutex

	// flushMu serialises the moves from memory to the underlying store (Sync,
	// and the flush of one object), so that no object is written there twice.
	flushMu sync.Mutex

	vmu      sync.Mutex // guards volatile
	volatile map[string]*volatileObject
}

// volatileObject is the content of a deferred put not yet synced.
type volatileObject struct {
	data []byte
	opts blob.PutOptions
	info blob.Info
}

var (
	_ blob.Store     = (*PowerFail)(nil)
	_ blob.Syncer    = (*PowerFail)(nil)
	_ blob.Describer = (*PowerFail)(nil)
)

// Disk returns a filesystem store in a new temporary directory, closed when the
// test ends, to put under a PowerFail. now is its clock (nil means time.Now).
// It skips fsync: the power failures are the PowerFail's, this disk never loses
// power, and flushing the whole file system (syncfs) would only slow the tests
// and whatever else runs on the machine.
func Disk(t testing.TB, now func() time.Time) blob.Store {
	t.Helper()
	st, err := fs.Open(t.TempDir(), fs.Options{Now: now, NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// NewPowerFail returns a PowerFail over under, with nothing in memory.
func NewPowerFail(under blob.Store) *PowerFail {
	return &PowerFail{under: under, seed: maphash.MakeSeed(), volatile: map[string]*volatileObject{}}
}

// Describe implements blob.Describer.
func (p *PowerFail) Describe() string { return "powerfail(" + blob.Describe(p.under) + ")" }

// Close implements blob.Store. It closes nothing (see PowerFail).
func (p *PowerFail) Close() error { return nil }

// alive returns ErrPowerOff, wrapped for the operation op, after a Cut.
func (p *PowerFail) alive(op string) error {
	p.mu.RLock()
	defer p.mu.RUnlock()
	if p.dead {
		return fmt.Errorf("storetest: %s: %w", op, ErrPowerOff)
	}
	return nil
}

// writing takes the read side of mu for the operation op, which writes to the
// underlying store; the caller calls the returned function when done. It fails
// after a Cut.
func (p *PowerFail) writing(op string) (func(), error) {
	p.mu.RLock()
	if p.dead {
		p.mu.RUnlock()
		return nil, fmt.Errorf("storetest: %s: %w", op, ErrPowerOff)
	}
	return p.mu.RUnlock, nil
}

func (p *PowerFail) keyLock(key string) *sync.Mutex {
	return &p.keys[maphash.String(p.seed, key)%uint64(len(p.keys))]
}

func (p *PowerFail) lookup(key string) *volatileObject {
	p.vmu.Lock()
	defer p.vmu.Unlock()
	return p.volatile[key]
}

// Put implements blob.Putter: a deferred put is kept in memory (visible, its key
// taken, but not durable); any other goes to the underlying store.
func (p *PowerFail) Put(ctx context.Context, key string, r io.Reader, opts blob.PutOptions) (blob.Info, error) {
	if !opts.Deferred {
		return p.putDurable(ctx, key, r, opts)
	}
	if err := blob.ValidateKey(key); err != nil {
		return blob.Info{}, fmt.Errorf("storetest: put %s: %w", key, err)
	}
	if opts.Mode != "" && !opts.Mode.Valid() {
		return blob.Info{}, fmt.Errorf("storetest: put %s: unknown retention mode %q", key, opts.Mode)
	}
	// The content is read before any lock is taken, and checked as a backend
	// checks it: a bad put leaves nothing to be flushed later.
	data, err := readChecked(r, opts)
	if err != nil {
		return blob.Info{}, fmt.Errorf("storetest: put %s: %w", key, err)
	}
	done, err := p.writing("put " + key)
	if err != nil {
		return blob.Info{}, err
	}
	defer done()
	if err := ctx.Err(); err != nil {
		return blob.Info{}, fmt.Errorf("storetest: put %s: %w", key, err)
	}
	kl := p.keyLock(key)
	kl.Lock()
	defer kl.Unlock()
	// A key in memory cannot reach the underlying store except through the
	// flush, which writes it there before it leaves memory: looking in memory
	// first, then below, misses no object.
	if p.lookup(key) != nil {
		return blob.Info{}, fmt.Errorf("storetest: put %s: %w", key, blob.ErrExists)
	}
	switch _, err := p.under.Stat(ctx, key); {
	case err == nil:
		return blob.Info{}, fmt.Errorf("storetest: put %s: %w", key, blob.ErrExists)
	case !errors.Is(err, blob.ErrNotFound):
		return blob.Info{}, fmt.Errorf("storetest: put %s: %w", key, err)
	}
	info := blob.Info{Key: key, Size: int64(len(data)), ModTime: time.Now()}
	p.vmu.Lock()
	p.volatile[key] = &volatileObject{data: data, opts: opts, info: info}
	p.vmu.Unlock()
	return info, nil
}

// putDurable puts to the underlying store, after checking that the key is not
// taken in memory.
func (p *PowerFail) putDurable(ctx context.Context, key string, r io.Reader, opts blob.PutOptions) (blob.Info, error) {
	done, err := p.writing("put " + key)
	if err != nil {
		return blob.Info{}, err
	}
	defer done()
	kl := p.keyLock(key)
	kl.Lock()
	defer kl.Unlock()
	if p.lookup(key) != nil {
		return blob.Info{}, fmt.Errorf("storetest: put %s: %w", key, blob.ErrExists)
	}
	info, err := p.under.Put(ctx, key, r, opts)
	if err != nil {
		return blob.Info{}, fmt.Errorf("storetest: put %s: %w", key, err)
	}
	return info, nil
}

// readChecked reads r whole, checking the size and SHA-256 that opts declare.
func readChecked(r io.Reader, opts blob.PutOptions) ([]byte, error) {
	src := r
	if opts.Size >= 0 {
		src = io.LimitReader(r, opts.Size+1) // one byte more reveals a long reader
	}
	data, err := io.ReadAll(src)
	if err != nil {
		return nil, err
	}
	if opts.Size >= 0 && int64(len(data)) != opts.Size {
		return nil, fmt.Errorf("%w: read %d bytes, declared size %d", blob.ErrChecksum, len(data), opts.Size)
	}
	if opts.SHA256 != nil {
		if got := sha256.Sum256(data); !bytes.Equal(got[:], opts.SHA256) {
			return nil, fmt.Errorf("%w: sha256 %x, declared %x", blob.ErrChecksum, got, opts.SHA256)
		}
	}
	return data, nil
}

// write puts a volatile object to the underlying store, deferred there too
// when it has a Syncer (the caller syncs it).
func (p *PowerFail) write(ctx context.Context, key string, o *volatileObject) error {
	if _, err := p.under.Put(ctx, key, bytes.NewReader(o.data), o.opts); err != nil {
		return fmt.Errorf("storetest: write %s to the underlying store: %w", key, err)
	}
	return nil
}

// Sync implements blob.Syncer: it writes every object in memory to the
// underlying store and makes them durable there. Objects put while it runs
// may stay in memory. A Cut stops it between two objects, as a power failure
// stops a flush: some of the objects are then durable, the others are Cut's to
// keep or drop, and Sync fails. A Sync that fails for another reason (its
// context, the underlying store) loses nothing: only a Cut does.
func (p *PowerFail) Sync(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("storetest: sync: %w", err)
	}
	p.flushMu.Lock()
	defer p.flushMu.Unlock()
	p.vmu.Lock()
	objs := maps.Clone(p.volatile)
	p.vmu.Unlock()
	for k, o := range objs {
		if err := p.move(ctx, k, o); err != nil {
			return fmt.Errorf("storetest: sync: %w", err)
		}
	}
	done, err := p.writing("sync")
	if err != nil {
		return err
	}
	defer done()
	if err := blob.Sync(ctx, p.under); err != nil {
		return fmt.Errorf("storetest: sync: %w", err)
	}
	return nil
}

// move writes the volatile object o to the underlying store (deferred there,
// for the caller to sync) and then takes it out of memory: it is never out of
// sight. Called with flushMu held.
func (p *PowerFail) move(ctx context.Context, key string, o *volatileObject) error {
	done, err := p.writing("flush " + key)
	if err != nil {
		return err
	}
	defer done()
	if err := p.write(ctx, key, o); err != nil {
		return err
	}
	p.vmu.Lock()
	delete(p.volatile, key)
	p.vmu.Unlock()
	return nil
}

// flush makes the object under key durable when it is still in memory.
func (p *PowerFail) flush(ctx context.Context, key string) error {
	p.flushMu.Lock()
	defer p.flushMu.Unlock()
	o := p.lookup(key)
	if o == nil {
		return nil
	}
	if err := p.move(ctx, key, o); err != nil {
		return err
	}
	done, err := p.writing("flush " + key)
	if err != nil {
		return err
	}
	defer done()
	return blob.Sync(ctx, p.under)
}

// Cut fails the power: it waits for the writes in flight, writes a random subset
// (chosen with rng, each object with even odds) of the objects still in memory to
// the underlying store, drops the rest, and from then on refuses every call with
// ErrPowerOff. It returns how many objects it kept and dropped. Objects are drawn
// in key order, so that one rng draws the same way for the same objects.
func (p *PowerFail) Cut(ctx context.Context, rng *rand.Rand) (kept, dropped int, err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.dead {
		return 0, 0, fmt.Errorf("storetest: cut: %w", ErrPowerOff)
	}
	p.dead = true
	p.vmu.Lock()
	objs := p.volatile
	p.volatile = nil
	p.vmu.Unlock()
	for _, k := range slices.Sorted(maps.Keys(objs)) {
		if rng.IntN(2) == 0 {
			dropped++
			continue
		}
		if err := p.write(ctx, k, objs[k]); err != nil {
			return kept, dropped, fmt.Errorf("storetest: cut: %w", err)
		}
		kept++
	}
	if err := blob.Sync(ctx, p.under); err != nil {
		return kept, dropped, fmt.Errorf("storetest: cut: %w", err)
	}
	return kept, dropped, nil
}

// Get implements blob.Getter.
func (p *PowerFail) Get(ctx context.Context, key string) (io.ReadCloser, error) {
	if err := p.alive("get " + key); err != nil {
		return nil, err
	}
	if o := p.lookup(key); o != nil {
		return io.NopCloser(bytes.NewReader(o.data)), nil // never written to: shared
	}
	rc, err := p.under.Get(ctx, key)
	if err != nil {
		return nil, fmt.Errorf("storetest: get %s: %w", key, err)
	}
	return rc, nil
}

// Stat implements blob.Getter.
func (p *PowerFail) Stat(ctx context.Context, key string) (blob.Info, error) {
	if err := p.alive("stat " + key); err != nil {
		return blob.Info{}, err
	}
	if o := p.lookup(key); o != nil {
		return o.info, nil
	}
	info, err := p.under.Stat(ctx, key)
	if err != nil {
		return blob.Info{}, fmt.Errorf("storetest: stat %s: %w", key, err)
	}
	return info, nil
}

// List implements blob.Lister: the keys in memory and those of the underlying
// store, merged in byte order. A key flushed while the listing runs is listed
// once. The keys in memory under the prefix are collected first, so memory grows
// with them (never more than a test's unsynced objects).
func (p *PowerFail) List(ctx context.Context, prefix, after string, fn func(blob.Info) error) error {
	if err := p.alive("list " + prefix); err != nil {
		return err
	}
	p.vmu.Lock()
	var mem []blob.Info
	for k, o := range p.volatile {
		if strings.HasPrefix(k, prefix) && k > after {
			mem = append(mem, o.info)
		}
	}
	p.vmu.Unlock()
	slices.SortFunc(mem, func(a, b blob.Info) int { return strings.Compare(a.Key, b.Key) })
	// fn's error is returned as is; only the store's are wrapped.
	var fnErr error
	call := func(info blob.Info) error {
		fnErr = fn(info)
		return fnErr
	}
	err := p.under.List(ctx, prefix, after, func(info blob.Info) error {
		for len(mem) > 0 && mem[0].Key <= info.Key {
			m := mem[0]
			mem = mem[1:]
			if m.Key == info.Key {
				continue // flushed while we list: the underlying entry stands for it
			}
			if err := call(m); err != nil {
				return err
			}
		}
		return call(info)
	})
	if fnErr != nil {
		return fnErr
	}
	if err != nil {
		return fmt.Errorf("storetest: list %s: %w", prefix, err)
	}
	for _, m := range mem {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("storetest: list %s: %w", prefix, err)
		}
		if err := fn(m); err != nil {
			return err
		}
	}
	return nil
}

// Delete implements blob.Deleter, on the object made durable first.
func (p *PowerFail) Delete(ctx context.Context, key string) error {
	return p.durably(ctx, "delete", key, func() error { return p.under.Delete(ctx, key) })
}

// Retention implements blob.Locker, on the object made durable first.
func (p *PowerFail) Retention(ctx context.Context, key string) (blob.Retention, error) {
	var r blob.Retention
	err := p.durably(ctx, "retention", key, func() (err error) {
		r, err = p.under.Retention(ctx, key)
		return err
	})
	return r, err
}

// SetLegalHold implements blob.Locker, on the object made durable first.
func (p *PowerFail) SetLegalHold(ctx context.Context, key string, on bool) error {
	return p.durably(ctx, "set legal hold", key, func() error { return p.under.SetLegalHold(ctx, key, on) })
}

// ExtendRetention implements blob.Locker, on the object made durable first.
func (p *PowerFail) ExtendRetention(ctx context.Context, key string, until time.Time) error {
	return p.durably(ctx, "extend retention", key, func() error { return p.under.ExtendRetention(ctx, key, until) })
}

// durably makes the object under key durable when it is in memory, then calls
// fn, which does the operation op on the underlying store, unless the power
// failed in between.
func (p *PowerFail) durably(ctx context.Context, op, key string, fn func() error) error {
	if err := p.flush(ctx, key); err != nil {
		return fmt.Errorf("storetest: %s %s: %w", op, key, err)
	}
	done, err := p.writing(op + " " + key)
	if err != nil {
		return err
	}
	defer done()
	if err := fn(); err != nil {
		return fmt.Errorf("storetest: %s %s: %w", op, key, err)
	}
	return nil
}
