package storetest_test

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gongshi-archive/gongshi/archive/blob"
	"github.com/gongshi-archive/gongshi/archive/blob/blobtest"
	"github.com/gongshi-archive/gongshi/internal/storetest"
)

func put(ctx context.Context, st blob.Store, key, data string, deferred bool) error {
	_, err := st.Put(ctx, key, strings.NewReader(data), blob.PutOptions{Size: int64(len(data)), Deferred: deferred})
	return err
}

func mustPut(t *testing.T, st blob.Store, key, data string, deferred bool) {
	t.Helper()
	if err := put(context.Background(), st, key, data, deferred); err != nil {
		t.Fatal(err)
	}
}

func read(t *testing.T, st blob.Store, key string) (string, error) {
	t.Helper()
	rc, err := st.Get(context.Background(), key)
	if err != nil {
		return "", err
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatal(err)
	}
	return string(b), nil
}

func keys(t *testing.T, st blob.Store, prefix, after string) []string {
	t.Helper()
	var out []string
	if err := st.List(context.Background(), prefix, after, func(i blob.Info) error {
		out = append(out, i.Key)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

// The wrapper is a blob.Store like any backend.
func TestPowerFailConformance(t *testing.T) {
	base := time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)
	var elapsed atomic.Int64
	now := func() time.Time { return base.Add(time.Duration(elapsed.Load())) }
	blobtest.Run(t, blobtest.Harness{
		New: func(t *testing.T) blob.Store {
			return storetest.NewPowerFail(storetest.Disk(t, now))
		},
		Now:       now,
		Advance:   func(d time.Duration) { elapsed.Add(int64(d)) },
		LargeSize: 16 << 20,
		ListKeys:  2000,
	})
}

// A deferred object is visible through the wrapper at once, and reaches the
// underlying store only with Sync; other puts reach it at once.
func TestPowerFailVisibility(t *testing.T) {
	ctx := context.Background()
	under := storetest.Disk(t, nil)
	p := storetest.NewPowerFail(under)
	mustPut(t, p, "a/deferred", "volatile", true)
	mustPut(t, p, "a/durable", "durable", false)

	if got, err := read(t, p, "a/deferred"); err != nil || got != "volatile" {
		t.Errorf("get through the wrapper = %q, %v", got, err)
	}
	if info, err := p.Stat(ctx, "a/deferred"); err != nil || info.Size != int64(len("volatile")) || info.Key != "a/deferred" {
		t.Errorf("stat through the wrapper = %+v, %v", info, err)
	}
	if _, err := under.Stat(ctx, "a/deferred"); !errors.Is(err, blob.ErrNotFound) {
		t.Errorf("deferred object below before Sync: %v, want not found", err)
	}
	if got, err := read(t, under, "a/durable"); err != nil || got != "durable" {
		t.Errorf("durable object below = %q, %v", got, err)
	}
	if _, err := p.Stat(ctx, "a/none"); !errors.Is(err, blob.ErrNotFound) {
		t.Errorf("stat of nothing: %v, want not found", err)
	}

	if err := p.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	if got, err := read(t, under, "a/deferred"); err != nil || got != "volatile" {
		t.Errorf("deferred object below after Sync = %q, %v", got, err)
	}
	if got := keys(t, p, "a/", ""); !slices.Equal(got, []string{"a/deferred", "a/durable"}) {
		t.Errorf("list after Sync = %q", got)
	}
}

// A key is taken once, whether the first put was deferred or not, and of many
// racing puts of one key, in either mode, exactly one succeeds.
func TestPowerFailCreateOnce(t *testing.T) {
	ctx := context.Background()
	p := storetest.NewPowerFail(storetest.Disk(t, nil))
	for _, c := range []struct{ first, second bool }{{true, true}, {true, false}, {false, true}, {false, false}} {
		key := fmt.Sprintf("k/%t-%t", c.first, c.second)
		mustPut(t, p, key, "first", c.first)
		if err := put(ctx, p, key, "second", c.second); !errors.Is(err, blob.ErrExists) {
			t.Errorf("%s: second put: %v, want ErrExists", key, err)
		}
		if got, _ := read(t, p, key); got != "first" {
			t.Errorf("%s: %q, want the first put's", key, got)
		}
	}
	// Taken in the underlying store after a Sync, too.
	if err := p.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	if err := put(ctx, p, "k/true-true", "third", true); !errors.Is(err, blob.ErrExists) {
		t.Errorf("deferred put over a synced object: %v, want ErrExists", err)
	}

	for round := range 20 {
		key := fmt.Sprintf("race/%d", round)
		var wg sync.WaitGroup
		var mu sync.Mutex
		won := 0
		for i := range 8 {
			wg.Go(func() {
				switch err := put(ctx, p, key, fmt.Sprint(i), i%2 == 0); {
				case err == nil:
					mu.Lock()
					won++
					mu.Unlock()
				case !errors.Is(err, blob.ErrExists):
					t.Errorf("%s: %v", key, err)
				}
			})
		}
		if round%3 == 0 {
			wg.Go(func() {
				if err := p.Sync(ctx); err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
		if won != 1 {
			t.Errorf("%s: %d puts succeeded, want 1", key, won)
		}
	}
}

// A deferred put is checked as a backend checks it, and a bad one leaves
// nothing behind.
func TestPowerFailChecksum(t *testing.T) {
	ctx := context.Background()
	p := storetest.NewPowerFail(storetest.Disk(t, nil))
	wrong := sha256.Sum256([]byte("other"))
	_, err := p.Put(ctx, "c/bad", strings.NewReader("data"), blob.PutOptions{Size: 4, SHA256: wrong[:], Deferred: true})
	if !errors.Is(err, blob.ErrChecksum) {
		t.Errorf("wrong SHA-256: %v, want ErrChecksum", err)
	}
	_, err = p.Put(ctx, "c/long", strings.NewReader("data"), blob.PutOptions{Size: 3, Deferred: true})
	if !errors.Is(err, blob.ErrChecksum) {
		t.Errorf("long reader: %v, want ErrChecksum", err)
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if err := put(cctx, p, "c/cancelled", "data", true); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled put: %v", err)
	}
	if got := keys(t, p, "c/", ""); len(got) != 0 {
		t.Errorf("failed puts left %q", got)
	}
}

// The listing merges the objects in memory and below in byte order, honours
// prefix and after, and returns fn's error as is.
func TestPowerFailListMerged(t *testing.T) {
	ctx := context.Background()
	p := storetest.NewPowerFail(storetest.Disk(t, nil))
	rng := rand.New(rand.NewPCG(1, 2))
	var all []string
	for i := range 60 {
		// Names that sort differently from their numbers, in nested folders,
		// with '-' (which sorts before '/').
		key := fmt.Sprintf("l/%x/%d", i%5, i*7919%1000)
		if i%7 == 0 {
			key = fmt.Sprintf("l/%x-%d", i%5, i)
		}
		mustPut(t, p, key, key, rng.IntN(2) == 0)
		all = append(all, key)
	}
	mustPut(t, p, "m/outside", "x", true)
	mustPut(t, p, "k/outside", "x", false)
	slices.Sort(all)
	for _, c := range []struct{ prefix, after string }{
		{"l/", ""}, {"l/3", ""}, {"l/3/", ""}, {"l/", all[17]}, {"l/", all[17] + "0"}, {"l/2/", "l/2/5"}, {"l/", all[len(all)-1]},
	} {
		var want []string
		for _, k := range all {
			if strings.HasPrefix(k, c.prefix) && k > c.after {
				want = append(want, k)
			}
		}
		if got := keys(t, p, c.prefix, c.after); !slices.Equal(got, want) {
			t.Errorf("list %q after %q:\n got %q\nwant %q", c.prefix, c.after, got, want)
		}
	}
	stop := errors.New("stop")
	n := 0
	err := p.List(ctx, "l/", "", func(blob.Info) error {
		if n++; n == 10 {
			return stop
		}
		return nil
	})
	if err != stop || n != 10 {
		t.Errorf("list stopped by fn: %v after %d, want fn's error after 10", err, n)
	}
}

// Holds, retention and deletion make a volatile object durable first.
func TestPowerFailLocks(t *testing.T) {
	ctx := context.Background()
	under := storetest.Disk(t, nil)
	p := storetest.NewPowerFail(under)
	mustPut(t, p, "h/held", "x", true)
	if err := p.SetLegalHold(ctx, "h/held", true); err != nil {
		t.Fatal(err)
	}
	if r, err := under.Retention(ctx, "h/held"); err != nil || !r.LegalHold {
		t.Errorf("held object below: %+v, %v", r, err)
	}
	if err := p.Delete(ctx, "h/held"); !errors.Is(err, blob.ErrLocked) {
		t.Errorf("delete of a held object: %v, want ErrLocked", err)
	}
	mustPut(t, p, "h/gone", "x", true)
	if r, err := p.Retention(ctx, "h/gone"); err != nil || r.Locked(r.Until) {
		t.Errorf("retention of an unlocked object: %+v, %v", r, err)
	}
	if err := p.Delete(ctx, "h/gone"); err != nil {
		t.Fatal(err)
	}
	if got := keys(t, p, "h/", ""); !slices.Equal(got, []string{"h/held"}) {
		t.Errorf("after delete: %q", got)
	}
}

// Cut keeps some of the objects not synced and drops the others; what was
// durable stays; and the wrapper is dead.
func TestPowerFailCut(t *testing.T) {
	ctx := context.Background()
	under := storetest.Disk(t, nil)
	p := storetest.NewPowerFail(under)
	mustPut(t, p, "d/synced", "s", true)
	if err := p.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	mustPut(t, p, "d/durable", "d", false)
	const n = 200
	for i := range n {
		mustPut(t, p, fmt.Sprintf("v/%03d", i), fmt.Sprint(i), true)
	}
	kept, dropped, err := p.Cut(ctx, rand.New(rand.NewPCG(7, 7)))
	if err != nil {
		t.Fatal(err)
	}
	if kept+dropped != n || kept < n/4 || dropped < n/4 {
		t.Errorf("cut kept %d and dropped %d of %d, want about half each", kept, dropped, n)
	}
	survivors := keys(t, under, "v/", "")
	if len(survivors) != kept {
		t.Errorf("%d objects below, cut says it kept %d", len(survivors), kept)
	}
	for _, k := range survivors {
		got, err := read(t, under, k)
		if i, _ := strconv.Atoi(got); err != nil || fmt.Sprintf("v/%03d", i) != k {
			t.Errorf("%s survived as %q, %v", k, got, err)
		}
	}
	if got := keys(t, under, "d/", ""); !slices.Equal(got, []string{"d/durable", "d/synced"}) {
		t.Errorf("durable objects after the cut: %q", got)
	}

	// A dead machine answers nothing.
	calls := map[string]error{
		"put":      put(ctx, p, "x", "x", false),
		"deferred": put(ctx, p, "y", "y", true),
		"sync":     p.Sync(ctx),
		"list":     p.List(ctx, "", "", func(blob.Info) error { return nil }),
		"delete":   p.Delete(ctx, "d/durable"),
		"hold":     p.SetLegalHold(ctx, "d/durable", true),
	}
	_, calls["get"] = p.Get(ctx, "d/durable")
	_, calls["stat"] = p.Stat(ctx, "d/durable")
	_, calls["retention"] = p.Retention(ctx, "d/durable")
	_, _, calls["cut"] = p.Cut(ctx, rand.New(rand.NewPCG(1, 1)))
	for name, err := range calls {
		if !errors.Is(err, storetest.ErrPowerOff) {
			t.Errorf("%s after the cut: %v, want ErrPowerOff", name, err)
		}
	}
	if _, err := under.Stat(ctx, "x"); !errors.Is(err, blob.ErrNotFound) {
		t.Errorf("a put after the cut reached the disk: %v", err)
	}
}
