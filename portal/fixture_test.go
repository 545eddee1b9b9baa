package portal

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gongshi-archive/gongshi/archive"
	"github.com/gongshi-archive/gongshi/archive/blob"
	"github.com/gongshi-archive/gongshi/archive/blob/fs"
	"github.com/gongshi-archive/gongshi/archive/ledger"
	"github.com/gongshi-archive/gongshi/internal/storetest"
	"github.com/gongshi-archive/gongshi/verify"
)

// fixture is a portal over a real archive and ledger on the filesystem store,
// with a clock the test moves and a log it reads.
type fixture struct {
	t     testing.TB
	ctx   context.Context
	store blob.Store
	// raw reaches the store's bytes behind its back, to damage them.
	raw  storetest.Raw
	arch *archive.Archive
	led  *ledger.Log
	key  ledger.Key
	idx  *ScanIndex
	// contents is the verifier's content index; refresh brings it up too.
	contents *ledger.ContentIndex
	verifier *verify.Verifier
	// searches counts the verifier's searches of the whole ledger (it has a
	// content index, so there should be none).
	searches *countingLog
	srv      *Server
	log      *syncBuffer
	clock    *testClock
	n        int
}

type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *testClock) advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// countingLog counts the searches of the whole ledger.
type countingLog struct {
	*ledger.Log
	n atomic.Int32
}

func (c *countingLog) FindContent(ctx context.Context, h archive.Hash) ([]ledger.Found, error) {
	c.n.Add(1)
	return c.Log.FindContent(ctx, h)
}

// syncBuffer is a log sink that concurrent requests may write.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// fixtureNow is the fixture's first instant: 2026-12-01 10:00 in China.
var fixtureNow = time.Date(2026, 12, 1, 2, 0, 0, 0, time.UTC)

func newFixture(t testing.TB, opts ...func(*Options)) *fixture {
	t.Helper()
	dir := t.TempDir()
	st, err := fs.Open(filepath.Join(dir, "store"), fs.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	f := newFixtureOn(t, st, opts...)
	f.raw = storetest.FS(filepath.Join(dir, "store"))
	return f
}

// newFixtureOnBackend is newFixture on the store of backend b (the tests of
// damage run on both), with raw access to it.
func newFixtureOnBackend(t testing.TB, b storetest.Backend, opts ...func(*Options)) *fixture {
	t.Helper()
	st, raw := b.Open(t, nil)
	f := newFixtureOn(t, st, opts...)
	f.raw = raw
	return f
}

func newFixtureOn(t testing.TB, st blob.Store, opts ...func(*Options)) *fixture {
	t.Helper()
	dir := t.TempDir()
	key, err := ledger.GenerateKeyFile(filepath.Join(dir, "ledger.key"), "portal.test/ledger")
	if err != nil {
		t.Fatal(err)
	}
	clock := &testClock{t: fixtureNow}
	led := ledger.New(st, ledger.Options{Key: key})
	arch := archive.New(st, archive.Options{Now: clock.now, Journal: led})
	f := &fixture{t: t, ctx: context.Background(), store: st, arch: arch, led: led, key: key, clock: clock, log: &syncBuffer{}}
	f.idx = NewScanIndex(arch, led, nil, clock.now)
	f.contents = ledger.NewContentIndex(ledger.New(st, ledger.Options{Key: ledger.Key{Verifier: key.Verifier}}))
	f.searches = &countingLog{Log: ledger.New(st, ledger.Options{Key: ledger.Key{Verifier: key.Verifier}})}
	f.verifier = verify.New(archive.New(st, archive.Options{}), f.searches, key.Verifier, verify.Options{Contents: f.contents})
	o := Options{Archive: arch, Ledger: led, Tiles: st, Index: f.idx, Verifier: f.verifier, Now: clock.now,
		Logger: slog.New(slog.NewJSONHandler(f.log, nil)), VerifierKey: key.VerifierKey}
	for _, fn := range opts {
		fn(&o)
	}
	f.srv, err = New(o)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// project creates a project in city and district.
func (f *fixture) project(code, name, city, district string) archive.Project {
	f.t.Helper()
	p, err := f.arch.CreateProject(f.ctx, archive.Project{Code: code, Name: name, City: city, District: district,
		Department: city + "房屋征收管理办公室", Category: archive.CategoryOldCityRenewal, Households: 120})
	if err != nil {
		f.t.Fatal(err)
	}
	return p
}

// file stores content and files r with it (the fields ingest would fill in are
// filled here), one minute after the previous filing.
func (f *fixture) file(r archive.Record, content string) archive.Record {
	f.t.Helper()
	f.n++
	f.clock.advance(time.Minute)
	d, err := f.arch.PutContent(f.ctx, strings.NewReader(content), int64(len(content)))
	if err != nil {
		f.t.Fatal(err)
	}
	if r.Date.IsZero() {
		r.Date = archive.D(2026, 3, 18)
	}
	if r.Issuer == "" {
		r.Issuer = "长春市南关区人民政府"
	}
	if r.DocNumber == "" {
		r.DocNumber = fmt.Sprintf("长征补〔%d〕%d号", r.Date.Year, f.n)
	}
	if r.Pages == 0 {
		r.Pages = 3
	}
	r.Format, r.FileName, r.Content = "pdf", fmt.Sprintf("doc-%d.pdf", f.n), d
	got, err := f.arch.CreateRecord(f.ctx, r)
	if err != nil {
		f.t.Fatal(err)
	}
	return got
}

// refresh brings the index up to the ledger.
func (f *fixture) refresh() {
	f.t.Helper()
	if err := f.idx.Refresh(f.ctx); err != nil {
		f.t.Fatal(err)
	}
	if err := f.contents.CatchUp(f.ctx); err != nil {
		f.t.Fatal(err)
	}
}

// get requests path with optional header pairs.
func (f *fixture) get(path string, headers ...string) *httptest.ResponseRecorder {
	return f.do(httptest.NewRequest(http.MethodGet, path, nil), headers...)
}

func (f *fixture) do(req *http.Request, headers ...string) *httptest.ResponseRecorder {
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	w := httptest.NewRecorder()
	f.srv.ServeHTTP(w, req)
	return w
}

// mustGet requests path and fails the test unless the status is want.
func (f *fixture) mustGet(path string, want int) string {
	f.t.Helper()
	w := f.get(path)
	if w.Code != want {
		f.t.Fatalf("GET %s: status %d, want %d\n%s", path, w.Code, want, w.Body.String())
	}
	return w.Body.String()
}
