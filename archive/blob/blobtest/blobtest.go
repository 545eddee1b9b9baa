package blobtest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gongshi-archive/gongshi/archive/blob"
)

// Harness adapts a backend to the suite.
type Harness struct {
	// New returns a fresh, empty store. The suite closes it.
	New func(t *testing.T) blob.Store
	// Advance moves the store's clock forward. Nil for backends that run on real
	// time (a server's clock): the suite then uses short retention periods and waits.
	Advance func(d time.Duration)
	// Now is the store's clock; nil means time.Now.
	Now func() time.Time
	// LargeSize is the size of the streaming test object; 0 means 1 GiB
	// (64 MiB with -short).
	LargeSize int64
	// ListKeys is the number of keys of the listing test; 0 means 10,000.
	ListKeys int
}

func (h Harness) now() time.Time {
	if h.Now != nil {
		return h.Now()
	}
	return time.Now()
}

// Run runs the whole suite.
func Run(t *testing.T, h Harness) {
	tests := []struct {
		name string
		fn   func(*testing.T, Harness)
	}{
		{"PutGetStat", testPutGetStat},
		{"CreateOnce", testCreateOnce},
		{"CreateOnceRace", testCreateOnceRace},
		{"Deferred", testDeferred},
		{"NotFound", testNotFound},
		{"InvalidKey", testInvalidKey},
		{"Checksum", testChecksum},
		{"Delete", testDelete},
		{"Retention", testRetention},
		{"RetentionExpires", testRetentionExpires},
		{"LegalHold", testLegalHold},
		{"ExtendRetention", testExtendRetention},
		{"ListOrder", testListOrder},
		{"ListMany", testListMany},
		{"CancelMidUpload", testCancel},
		{"FailingReader", testFailingReader},
		{"LargeStream", testLargeStream},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.fn(t, h) })
	}
}

func open(t *testing.T, h Harness) blob.Store {
	t.Helper()
	s := h.New(t)
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
	})
	return s
}

func put(t *testing.T, s blob.Store, key string, data []byte, opts blob.PutOptions) {
	t.Helper()
	if opts.Size == 0 && len(data) > 0 {
		opts.Size = int64(len(data))
	}
	if _, err := s.Put(context.Background(), key, bytes.NewReader(data), opts); err != nil {
		t.Fatalf("put %s: %v", key, err)
	}
}

func get(t *testing.T, s blob.Store, key string) []byte {
	t.Helper()
	rc, err := s.Get(context.Background(), key)
	if err != nil {
		t.Fatalf("get %s: %v", key, err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatalf("read %s: %v", key, err)
	}
	return b
}

func sum(b []byte) []byte { s := sha256.Sum256(b); return s[:] }

func testPutGetStat(t *testing.T, h Harness) {
	s := open(t, h)
	ctx := context.Background()
	cases := []struct {
		key  string
		data []byte
		opts blob.PutOptions
	}{
		{"blobs/sha256/ab/one", []byte("第一份文件 the first document"), blob.PutOptions{}},
		{"records/r1/000001.json", []byte(`{"a":1}`), blob.PutOptions{Size: -1, ContentType: "application/json"}},
		{"empty", nil, blob.PutOptions{Size: 0}},
		{"with-sum", []byte("checked"), blob.PutOptions{SHA256: sum([]byte("checked"))}},
		{"unknown-size-with-sum", bytes.Repeat([]byte("x"), 100_000), blob.PutOptions{Size: -1, SHA256: sum(bytes.Repeat([]byte("x"), 100_000))}},
	}
	for _, c := range cases {
		before := h.now().Add(-time.Minute)
		info, err := s.Put(ctx, c.key, bytes.NewReader(c.data), withSize(c.opts, c.data))
		if err != nil {
			t.Fatalf("put %s: %v", c.key, err)
		}
		if info.Key != c.key || info.Size != int64(len(c.data)) {
			t.Errorf("put %s returned %+v, want key %s size %d", c.key, info, c.key, len(c.data))
		}
		if got := get(t, s, c.key); !bytes.Equal(got, c.data) {
			t.Errorf("get %s = %q, want %q", c.key, got, c.data)
		}
		st, err := s.Stat(ctx, c.key)
		if err != nil {
			t.Fatalf("stat %s: %v", c.key, err)
		}
		if st.Key != c.key || st.Size != int64(len(c.data)) {
			t.Errorf("stat %s = %+v, want size %d", c.key, st, len(c.data))
		}
		if st.ModTime.Before(before) || st.ModTime.After(h.now().Add(time.Minute)) {
			t.Errorf("stat %s: mod time %v not near now %v", c.key, st.ModTime, h.now())
		}
	}
}

// withSize fills in Size when the case left it zero for non-empty data.
func withSize(o blob.PutOptions, data []byte) blob.PutOptions {
	if o.Size == 0 {
		o.Size = int64(len(data))
	}
	return o
}

// A deferred put is a put in every visible way (content, listing, create-once,
// its retention lock); only its durability waits for Sync, which a unit test
// cannot observe short of cutting the power.
func testDeferred(t *testing.T, h Harness) {
	s := open(t, h)
	ctx := context.Background()
	keys := []string{"def/a/1", "def/a/2", "def/b/new-dir/3"}
	for i, k := range keys {
		put(t, s, k, []byte(fmt.Sprintf("deferred %d", i)), blob.PutOptions{Deferred: true})
	}
	_, err := s.Put(ctx, keys[0], strings.NewReader("again"), blob.PutOptions{Size: 5, Deferred: true})
	if !errors.Is(err, blob.ErrExists) {
		t.Fatalf("second deferred put: %v, want ErrExists", err)
	}
	until := h.now().Add(time.Hour)
	put(t, s, "def/locked", []byte("locked"), blob.PutOptions{Deferred: true, RetainUntil: until})
	if err := s.Delete(ctx, "def/locked"); !errors.Is(err, blob.ErrLocked) {
		t.Fatalf("delete of a locked deferred object: %v, want ErrLocked", err)
	}
	if err := blob.Sync(ctx, s); err != nil {
		t.Fatalf("sync: %v", err)
	}
	var listed []string
	if err := s.List(ctx, "def/", "", func(i blob.Info) error { listed = append(listed, i.Key); return nil }); err != nil {
		t.Fatal(err)
	}
	if want := append(slices.Clone(keys), "def/locked"); !slices.Equal(listed, want) {
		t.Fatalf("listed %q, want %q", listed, want)
	}
	for i, k := range keys {
		if got := string(get(t, s, k)); got != fmt.Sprintf("deferred %d", i) {
			t.Fatalf("%s: %q after sync", k, got)
		}
	}
	// A cancelled context is refused, not ignored.
	if _, ok := s.(blob.Syncer); ok {
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		if err := blob.Sync(cctx, s); !errors.Is(err, context.Canceled) {
			t.Fatalf("sync with a cancelled context: %v, want context.Canceled", err)
		}
	}
}

func testCreateOnce(t *testing.T, h Harness) {
	s := open(t, h)
	ctx := context.Background()
	put(t, s, "k/once", []byte("first"), blob.PutOptions{})
	_, err := s.Put(ctx, "k/once", strings.NewReader("second, longer"), blob.PutOptions{Size: 14})
	if !errors.Is(err, blob.ErrExists) {
		t.Fatalf("second put: err = %v, want ErrExists", err)
	}
	if got := get(t, s, "k/once"); string(got) != "first" {
		t.Fatalf("after refused put: content %q, want %q", got, "first")
	}
	// Unknown size takes another path in some backends; it must refuse too.
	_, err = s.Put(ctx, "k/once", strings.NewReader("third"), blob.PutOptions{Size: -1})
	if !errors.Is(err, blob.ErrExists) {
		t.Fatalf("third put (unknown size): err = %v, want ErrExists", err)
	}
}

// OneWinner checks the errors of writers that raced to create one key: exactly
// one succeeded and every other got blob.ErrExists. It returns the winner.
func OneWinner(t testing.TB, what string, errs []error) int {
	t.Helper()
	winner := -1
	for i, err := range errs {
		switch {
		case err == nil:
			if winner >= 0 {
				t.Fatalf("%s: writers %d and %d both won", what, winner, i)
			}
			winner = i
		case !errors.Is(err, blob.ErrExists):
			t.Fatalf("%s: writer %d: %v, want nil or ErrExists", what, i, err)
		}
	}
	if winner < 0 {
		t.Fatalf("%s: no writer won", what)
	}
	return winner
}

func testCreateOnceRace(t *testing.T, h Harness) {
	s := open(t, h)
	const racers = 16
	for round := 0; round < 3; round++ {
		key := fmt.Sprintf("race/%d", round)
		var wg sync.WaitGroup
		errs := make([]error, racers)
		start := make(chan struct{})
		for i := 0; i < racers; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				data := fmt.Sprintf("writer %02d %s", i, strings.Repeat("z", 1000*i))
				_, errs[i] = s.Put(context.Background(), key, strings.NewReader(data),
					blob.PutOptions{Size: int64(len(data))})
			}()
		}
		close(start)
		wg.Wait()
		winner := OneWinner(t, fmt.Sprintf("round %d", round), errs)
		want := fmt.Sprintf("writer %02d %s", winner, strings.Repeat("z", 1000*winner))
		if got := get(t, s, key); string(got) != want {
			t.Fatalf("round %d: stored %.20q…, want the winner's %.20q…", round, got, want)
		}
	}
}

func testNotFound(t *testing.T, h Harness) {
	s := open(t, h)
	ctx := context.Background()
	put(t, s, "present/x", []byte("x"), blob.PutOptions{})
	const key = "absent/y"
	if _, err := s.Get(ctx, key); !errors.Is(err, blob.ErrNotFound) {
		t.Errorf("get: %v, want ErrNotFound", err)
	}
	if _, err := s.Stat(ctx, key); !errors.Is(err, blob.ErrNotFound) {
		t.Errorf("stat: %v, want ErrNotFound", err)
	}
	if err := s.Delete(ctx, key); !errors.Is(err, blob.ErrNotFound) {
		t.Errorf("delete: %v, want ErrNotFound", err)
	}
	if _, err := s.Retention(ctx, key); !errors.Is(err, blob.ErrNotFound) {
		t.Errorf("retention: %v, want ErrNotFound", err)
	}
	if err := s.SetLegalHold(ctx, key, true); !errors.Is(err, blob.ErrNotFound) {
		t.Errorf("set legal hold: %v, want ErrNotFound", err)
	}
	// A prefix of a key is not a key.
	if _, err := s.Stat(ctx, "present"); !errors.Is(err, blob.ErrNotFound) {
		t.Errorf("stat of a key's directory: %v, want ErrNotFound", err)
	}
	n := 0
	if err := s.List(ctx, "absent/", "", func(blob.Info) error { n++; return nil }); err != nil || n != 0 {
		t.Errorf("list of an empty prefix: %d keys, err %v; want 0, nil", n, err)
	}
}

func testInvalidKey(t *testing.T, h Harness) {
	s := open(t, h)
	ctx := context.Background()
	bad := []string{"", "/abs", "trailing/", "a//b", "../up", "a/../b", "a/./b", ".",
		"sp ace", "中文", "back\\slash", "nul\x00", "q?x", "star*", strings.Repeat("k", 600),
		"a/" + strings.Repeat("s", 201)}
	for _, key := range bad {
		_, err := s.Put(ctx, key, strings.NewReader("x"), blob.PutOptions{Size: 1})
		if !errors.Is(err, blob.ErrInvalidKey) {
			t.Errorf("put %q: %v, want ErrInvalidKey", key, err)
		}
		if _, err := s.Get(ctx, key); !errors.Is(err, blob.ErrInvalidKey) {
			t.Errorf("get %q: %v, want ErrInvalidKey", key, err)
		}
	}
	if err := s.List(ctx, "../", "", func(blob.Info) error { return nil }); !errors.Is(err, blob.ErrInvalidKey) {
		t.Errorf("list ../: %v, want ErrInvalidKey", err)
	}
	n := 0
	_ = s.List(ctx, "", "", func(blob.Info) error { n++; return nil })
	if n != 0 {
		t.Errorf("%d objects stored by refused puts", n)
	}
}

func testChecksum(t *testing.T, h Harness) {
	s := open(t, h)
	ctx := context.Background()
	data := bytes.Repeat([]byte("档案"), 50_000) // 300 kB
	wrong := sum([]byte("something else"))
	cases := []struct {
		name string
		r    io.Reader
		opts blob.PutOptions
	}{
		{"wrong sha256", bytes.NewReader(data), blob.PutOptions{Size: int64(len(data)), SHA256: wrong}},
		{"wrong sha256, size unknown", bytes.NewReader(data), blob.PutOptions{Size: -1, SHA256: wrong}},
		{"short read", bytes.NewReader(data[:1000]), blob.PutOptions{Size: int64(len(data))}},
		{"long read", bytes.NewReader(data), blob.PutOptions{Size: 1000}},
	}
	for i, c := range cases {
		key := fmt.Sprintf("sum/%d", i)
		_, err := s.Put(ctx, key, c.r, c.opts)
		if !errors.Is(err, blob.ErrChecksum) {
			t.Errorf("%s: put: %v, want ErrChecksum", c.name, err)
		}
		if _, err := s.Stat(ctx, key); !errors.Is(err, blob.ErrNotFound) {
			t.Errorf("%s: stat after refused put: %v, want ErrNotFound", c.name, err)
		}
		// The key is still free.
		put(t, s, key, []byte("ok"), blob.PutOptions{})
	}
}

func testDelete(t *testing.T, h Harness) {
	s := open(t, h)
	ctx := context.Background()
	put(t, s, "d/x", []byte("one"), blob.PutOptions{})
	put(t, s, "d/y", []byte("keep"), blob.PutOptions{})
	if err := s.Delete(ctx, "d/x"); err != nil {
		t.Fatalf("delete: %v", err)
	}
	if _, err := s.Stat(ctx, "d/x"); !errors.Is(err, blob.ErrNotFound) {
		t.Fatalf("stat after delete: %v, want ErrNotFound", err)
	}
	if err := s.Delete(ctx, "d/x"); !errors.Is(err, blob.ErrNotFound) {
		t.Fatalf("second delete: %v, want ErrNotFound", err)
	}
	// A deleted key can be created again.
	put(t, s, "d/x", []byte("two"), blob.PutOptions{})
	if got := get(t, s, "d/x"); string(got) != "two" {
		t.Fatalf("recreated content %q, want two", got)
	}
	if got := get(t, s, "d/y"); string(got) != "keep" {
		t.Fatalf("neighbour content %q, want keep", got)
	}
}

func testRetention(t *testing.T, h Harness) {
	s := open(t, h)
	ctx := context.Background()
	until := h.now().Add(24 * time.Hour).Truncate(time.Second)
	put(t, s, "ret/a", []byte("retained"), blob.PutOptions{RetainUntil: until, Mode: blob.Governance})
	r, err := s.Retention(ctx, "ret/a")
	if err != nil {
		t.Fatalf("retention: %v", err)
	}
	if !r.Until.Equal(until) || r.Mode != blob.Governance || r.LegalHold {
		t.Fatalf("retention = %+v, want until %v governance no hold", r, until)
	}
	if err := s.Delete(ctx, "ret/a"); !errors.Is(err, blob.ErrLocked) {
		t.Fatalf("delete of retained object: %v, want ErrLocked", err)
	}
	if got := get(t, s, "ret/a"); string(got) != "retained" {
		t.Fatalf("content after refused delete %q", got)
	}
	// No retention: no lock.
	put(t, s, "ret/free", []byte("free"), blob.PutOptions{})
	r, err = s.Retention(ctx, "ret/free")
	if err != nil || !r.Until.IsZero() || r.LegalHold || r.Mode != "" {
		t.Fatalf("retention of unlocked object = %+v, %v; want zero", r, err)
	}
}

func testRetentionExpires(t *testing.T, h Harness) {
	s := open(t, h)
	ctx := context.Background()
	wait := 2 * time.Hour
	if h.Advance == nil {
		wait = 3 * time.Second
	}
	until := h.now().Add(wait).Truncate(time.Second).Add(time.Second)
	put(t, s, "exp/a", []byte("short"), blob.PutOptions{RetainUntil: until, Mode: blob.Governance})
	if err := s.Delete(ctx, "exp/a"); !errors.Is(err, blob.ErrLocked) {
		t.Fatalf("delete before expiry: %v, want ErrLocked", err)
	}
	if h.Advance != nil {
		h.Advance(wait + 2*time.Second)
	} else {
		time.Sleep(time.Until(until) + 1500*time.Millisecond)
	}
	if err := s.Delete(ctx, "exp/a"); err != nil {
		t.Fatalf("delete after expiry: %v", err)
	}
}

func testLegalHold(t *testing.T, h Harness) {
	s := open(t, h)
	ctx := context.Background()
	put(t, s, "hold/at-put", []byte("held"), blob.PutOptions{LegalHold: true})
	put(t, s, "hold/later", []byte("held later"), blob.PutOptions{})
	for _, on := range []bool{true, true} { // setting twice is not an error
		if err := s.SetLegalHold(ctx, "hold/later", on); err != nil {
			t.Fatalf("set hold: %v", err)
		}
	}
	for _, key := range []string{"hold/at-put", "hold/later"} {
		r, err := s.Retention(ctx, key)
		if err != nil || !r.LegalHold {
			t.Fatalf("%s: retention = %+v, %v; want legal hold", key, r, err)
		}
		if err := s.Delete(ctx, key); !errors.Is(err, blob.ErrLocked) {
			t.Fatalf("%s: delete under hold: %v, want ErrLocked", key, err)
		}
		for range 2 { // clearing twice is not an error
			if err := s.SetLegalHold(ctx, key, false); err != nil {
				t.Fatalf("%s: clear hold: %v", key, err)
			}
		}
		if r, err := s.Retention(ctx, key); err != nil || r.LegalHold {
			t.Fatalf("%s: after clear: %+v, %v", key, r, err)
		}
		if err := s.Delete(ctx, key); err != nil {
			t.Fatalf("%s: delete after hold cleared: %v", key, err)
		}
	}
	// A hold on a retained object outlives the retention: both must be clear.
	put(t, s, "hold/both", []byte("x"), blob.PutOptions{LegalHold: true,
		RetainUntil: h.now().Add(time.Hour), Mode: blob.Governance})
	if err := s.SetLegalHold(ctx, "hold/both", false); err != nil {
		t.Fatal(err)
	}
	if err := s.Delete(ctx, "hold/both"); !errors.Is(err, blob.ErrLocked) {
		t.Fatalf("delete with retention but no hold: %v, want ErrLocked", err)
	}
}

// A retention is extended, never shortened, in the object's own mode; an object
// without one gets one.
func testExtendRetention(t *testing.T, h Harness) {
	s := open(t, h)
	ctx := context.Background()
	first := h.now().Add(time.Hour).Truncate(time.Second)
	later := first.Add(24 * time.Hour)
	put(t, s, "ext/a", []byte("a"), blob.PutOptions{RetainUntil: first, Mode: blob.Governance})
	if err := s.ExtendRetention(ctx, "ext/a", later); err != nil {
		t.Fatalf("extend: %v", err)
	}
	r, err := s.Retention(ctx, "ext/a")
	if err != nil || !r.Until.Equal(later) || r.Mode != blob.Governance {
		t.Fatalf("after extend: %+v, %v; want until %v, governance", r, err, later)
	}
	// Asking for less changes nothing and is not an error.
	for _, shorter := range []time.Time{first, h.now().Add(time.Minute), h.now().Add(-time.Hour), {}} {
		if err := s.ExtendRetention(ctx, "ext/a", shorter); err != nil {
			t.Fatalf("extend to an earlier %v: %v", shorter, err)
		}
	}
	if r, err := s.Retention(ctx, "ext/a"); err != nil || !r.Until.Equal(later) {
		t.Fatalf("after asking for less: %+v, %v; want until %v kept", r, err, later)
	}
	// An object put without retention is locked by the extension.
	put(t, s, "ext/free", []byte("free"), blob.PutOptions{})
	if err := s.ExtendRetention(ctx, "ext/free", first); err != nil {
		t.Fatalf("extend an unlocked object: %v", err)
	}
	r, err = s.Retention(ctx, "ext/free")
	if err != nil || !r.Until.Equal(first) || !r.Mode.Valid() {
		t.Fatalf("unlocked object after extend: %+v, %v; want until %v in a valid mode", r, err, first)
	}
	if err := s.Delete(ctx, "ext/free"); !errors.Is(err, blob.ErrLocked) {
		t.Fatalf("delete after extend: %v, want ErrLocked", err)
	}
	if got := get(t, s, "ext/free"); string(got) != "free" {
		t.Fatalf("content after extend %q", got)
	}
	if err := s.ExtendRetention(ctx, "ext/none", first); !errors.Is(err, blob.ErrNotFound) {
		t.Fatalf("extend a missing object: %v, want ErrNotFound", err)
	}
	if err := s.ExtendRetention(ctx, "ext//bad", first); !errors.Is(err, blob.ErrInvalidKey) {
		t.Fatalf("extend with a bad key: %v, want ErrInvalidKey", err)
	}
	// Racing extensions keep the latest.
	put(t, s, "ext/race", []byte("r"), blob.PutOptions{})
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := s.ExtendRetention(ctx, "ext/race", first.Add(time.Duration(i)*time.Hour)); err != nil {
				t.Errorf("racing extend %d: %v", i, err)
			}
		}()
	}
	wg.Wait()
	if r, err := s.Retention(ctx, "ext/race"); err != nil || !r.Until.Equal(first.Add(7*time.Hour)) {
		t.Fatalf("after racing extensions: %+v, %v; want the latest, %v", r, err, first.Add(7*time.Hour))
	}
}

func list(t *testing.T, s blob.Store, prefix, after string) []string {
	t.Helper()
	var keys []string
	err := s.List(context.Background(), prefix, after, func(i blob.Info) error {
		keys = append(keys, i.Key)
		return nil
	})
	if err != nil {
		t.Fatalf("list %q after %q: %v", prefix, after, err)
	}
	return keys
}

func testListOrder(t *testing.T, h Harness) {
	s := open(t, h)
	// Keys chosen so that a directory walk in name order differs from byte order.
	keys := []string{"a", "a-b", "a.c", "a/b", "a/b/c", "a/b-c", "a0", "b/x.json", "B", "a_", "ab/c"}
	for _, k := range keys {
		put(t, s, k, []byte(k), blob.PutOptions{})
	}
	sorted := append([]string(nil), keys...)
	sort.Strings(sorted)
	filter := func(prefix, after string) []string {
		var out []string
		for _, k := range sorted {
			if strings.HasPrefix(k, prefix) && k > after {
				out = append(out, k)
			}
		}
		return out
	}
	cases := []struct{ prefix, after string }{
		{"", ""}, {"a", ""}, {"a/", ""}, {"a/b", ""}, {"a/b/", ""}, {"ab", ""}, {"b/", ""},
		{"", "a/b"}, {"a", "a-b"}, {"", "a0"}, {"a/", "a/b"}, {"", "zzz"}, {"c", ""},
	}
	for _, c := range cases {
		got, want := list(t, s, c.prefix, c.after), filter(c.prefix, c.after)
		if strings.Join(got, " ") != strings.Join(want, " ") {
			t.Errorf("list(%q, after %q) = %q, want %q", c.prefix, c.after, got, want)
		}
	}
	// Sizes are reported.
	_ = s.List(context.Background(), "a/b/c", "", func(i blob.Info) error {
		if i.Size != int64(len("a/b/c")) {
			t.Errorf("list info %+v: size %d", i, len("a/b/c"))
		}
		return nil
	})
	// An error from fn stops the listing and comes back unchanged.
	stop := errors.New("stop")
	n := 0
	err := s.List(context.Background(), "", "", func(blob.Info) error { n++; return stop })
	if err != stop || n != 1 {
		t.Errorf("list stopped by fn: err %v after %d calls, want stop after 1", err, n)
	}
}

func testListMany(t *testing.T, h Harness) {
	s := open(t, h)
	n := h.ListKeys
	if n == 0 {
		n = 10_000
	}
	ctx := context.Background()
	var next atomic.Int64
	var wg sync.WaitGroup
	errc := make(chan error, 8)
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := next.Add(1) - 1
				if i >= int64(n) {
					return
				}
				key := fmt.Sprintf("many/%02x/%08d", i%256, i)
				if _, err := s.Put(ctx, key, strings.NewReader("v"), blob.PutOptions{Size: 1}); err != nil {
					errc <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errc)
	for err := range errc {
		t.Fatalf("put: %v", err)
	}
	put(t, s, "other", []byte("not listed"), blob.PutOptions{})
	var prev string
	count := 0
	err := s.List(ctx, "many/", "", func(i blob.Info) error {
		if i.Key <= prev {
			return fmt.Errorf("key %q after %q: not ascending", i.Key, prev)
		}
		prev = i.Key
		count++
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if count != n {
		t.Fatalf("listed %d keys, want %d", count, n)
	}
	// Resume from the middle, as a restarted audit does.
	mid := fmt.Sprintf("many/%02x/", 128)
	rest := 0
	if err := s.List(ctx, "many/", mid, func(blob.Info) error { rest++; return nil }); err != nil {
		t.Fatal(err)
	}
	want := 0
	for i := 0; i < n; i++ {
		if i%256 >= 128 {
			want++
		}
	}
	if rest != want {
		t.Fatalf("list after %q: %d keys, want %d", mid, rest, want)
	}
}

// cancelReader delivers data and cancels its context after limit bytes; it then
// keeps delivering, so only the store's honouring of ctx can stop the upload.
type cancelReader struct {
	cancel  context.CancelFunc
	limit   int64
	n       int64
	rnd     *rand.ChaCha8
	stopped bool
}

func (r *cancelReader) Read(p []byte) (int, error) {
	if r.n >= r.limit && !r.stopped {
		r.cancel()
		r.stopped = true
	}
	if r.n >= 4*r.limit {
		// Backstop so a store that ignores ctx still terminates; it then stores a
		// complete object, which the test reports.
		return 0, io.EOF
	}
	n, _ := r.rnd.Read(p)
	r.n += int64(n)
	return n, nil
}

func testCancel(t *testing.T, h Harness) {
	s := open(t, h)
	for _, size := range []int64{-1, 256 << 20} {
		ctx, cancel := context.WithCancel(context.Background())
		r := &cancelReader{cancel: cancel, limit: 24 << 20, rnd: rand.NewChaCha8([32]byte{1})}
		key := fmt.Sprintf("cancel/%d", size)
		_, err := s.Put(ctx, key, r, blob.PutOptions{Size: size})
		cancel()
		if err == nil {
			t.Fatalf("size %d: put succeeded after its context was cancelled", size)
		}
		if !errors.Is(err, context.Canceled) {
			t.Errorf("size %d: put error %v, want one wrapping context.Canceled", size, err)
		}
		if _, err := s.Stat(context.Background(), key); !errors.Is(err, blob.ErrNotFound) {
			t.Fatalf("size %d: stat after cancelled put: %v, want ErrNotFound", size, err)
		}
		if keys := list(t, s, "cancel/", ""); len(keys) != 0 {
			t.Fatalf("size %d: listed %q after cancelled put", size, keys)
		}
	}
}

type failingReader struct{ n int }

var errBroken = errors.New("disk on fire")

func (r *failingReader) Read(p []byte) (int, error) {
	if r.n > 1<<20 {
		return 0, errBroken
	}
	for i := range p {
		p[i] = byte(i)
	}
	r.n += len(p)
	return len(p), nil
}

func testFailingReader(t *testing.T, h Harness) {
	s := open(t, h)
	_, err := s.Put(context.Background(), "fail/x", &failingReader{}, blob.PutOptions{Size: -1})
	if !errors.Is(err, errBroken) {
		t.Fatalf("put from a failing reader: %v, want the reader's error", err)
	}
	if _, err := s.Stat(context.Background(), "fail/x"); !errors.Is(err, blob.ErrNotFound) {
		t.Fatalf("stat after failed put: %v, want ErrNotFound", err)
	}
}

// patternReader yields n pseudo-random bytes without holding them in memory.
type patternReader struct {
	rnd *rand.ChaCha8
	n   int64
}

func (r *patternReader) Read(p []byte) (int, error) {
	if r.n <= 0 {
		return 0, io.EOF
	}
	if int64(len(p)) > r.n {
		p = p[:r.n]
	}
	n, _ := r.rnd.Read(p)
	r.n -= int64(n)
	return n, nil
}

// heapWatch samples the live heap until stopped and reports the peak growth.
func heapWatch() (stop func() uint64) {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	base := ms.HeapAlloc
	done := make(chan struct{})
	peak := make(chan uint64)
	go func() {
		var max uint64
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		for {
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			if ms.HeapAlloc > base && ms.HeapAlloc-base > max {
				max = ms.HeapAlloc - base
			}
			select {
			case <-done:
				peak <- max
				return
			case <-tick.C:
			}
		}
	}()
	return func() uint64 { close(done); return <-peak }
}

const maxHeapGrowth = 64 << 20

func testLargeStream(t *testing.T, h Harness) {
	size := h.LargeSize
	if size == 0 {
		size = 1 << 30
		if testing.Short() {
			size = 64 << 20
		}
	}
	s := open(t, h)
	ctx := context.Background()
	seed := [32]byte{7}
	want := sha256.New()
	if _, err := io.Copy(want, &patternReader{rand.NewChaCha8(seed), size}); err != nil {
		t.Fatal(err)
	}
	for _, known := range []bool{true, false} {
		key := fmt.Sprintf("large/known-%v", known)
		opts := blob.PutOptions{Size: -1}
		if known {
			opts = blob.PutOptions{Size: size, SHA256: want.Sum(nil)}
		}
		stop := heapWatch()
		start := time.Now()
		info, err := s.Put(ctx, key, &patternReader{rand.NewChaCha8(seed), size}, opts)
		putPeak, putTime := stop(), time.Since(start)
		if err != nil {
			t.Fatalf("put %d bytes (size known %v): %v", size, known, err)
		}
		if info.Size != size {
			t.Fatalf("put reported size %d, want %d", info.Size, size)
		}
		stop = heapWatch()
		start = time.Now()
		rc, err := s.Get(ctx, key)
		if err != nil {
			t.Fatal(err)
		}
		got := sha256.New()
		n, err := io.Copy(got, rc)
		rc.Close()
		getPeak, getTime := stop(), time.Since(start)
		if err != nil || n != size {
			t.Fatalf("get: %d bytes, %v; want %d", n, err, size)
		}
		if !bytes.Equal(got.Sum(nil), want.Sum(nil)) {
			t.Fatalf("content read back differs from content written")
		}
		t.Logf("%d MiB, size known %v: put %v (heap +%d MiB), get %v (heap +%d MiB)",
			size>>20, known, putTime.Round(time.Millisecond), putPeak>>20, getTime.Round(time.Millisecond), getPeak>>20)
		if putPeak > maxHeapGrowth || getPeak > maxHeapGrowth {
			t.Errorf("heap grew by %d MiB on put and %d MiB on get; limit %d MiB",
				putPeak>>20, getPeak>>20, maxHeapGrowth>>20)
		}
	}
}
