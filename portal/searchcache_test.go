package portal

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gongshi-archive/gongshi/archive"
	"github.com/gongshi-archive/gongshi/archive/ledger"
	"github.com/gongshi-archive/gongshi/search"
)

// searchFixture is a portal over the search package's index whose record
// states the test may set (a publicity window), as gongshi serve runs it.
type searchFixture struct {
	*fixture
	ix *search.Index
	mu sync.Mutex
	// windows overrides records' publicity windows.
	windows map[string]archive.Window
}

func newSearchFixture(t *testing.T, opts ...func(*Options)) *searchFixture {
	sf := &searchFixture{windows: map[string]archive.Window{}}
	dir := t.TempDir()
	sf.fixture = newFixture(t, append([]func(*Options){func(o *Options) {
		a, l := o.Archive.(*archive.Archive), o.Ledger.(*ledger.Log)
		state := func(ctx context.Context, id string) (archive.RecordState, error) {
			st, err := a.RecordState(ctx, id)
			sf.mu.Lock()
			defer sf.mu.Unlock()
			if w, ok := sf.windows[id]; ok {
				st.Window = w
			}
			return st, err
		}
		var err error
		sf.ix, err = search.Open(context.Background(), search.Options{Dir: dir, Source: search.ArchiveSource(a, l, state), Now: o.Now})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { sf.ix.Close() })
		o.Index = NewSearchIndex(sf.ix, a.Catalogue(), state, o.Now)
	}}, opts...)...)
	return sf
}

func (sf *searchFixture) catchUp() {
	sf.t.Helper()
	if err := sf.ix.CatchUp(sf.ctx); err != nil {
		sf.t.Fatal(err)
	}
}

func (sf *searchFixture) publish(r archive.Record) {
	sf.t.Helper()
	if _, err := sf.arch.Publish(sf.ctx, r.ID, archive.ActorCLI, ""); err != nil {
		sf.t.Fatal(err)
	}
}

// The public's search pages come from a cache keyed by the canonical query, in
// the index's version: one render for every spelling of one query, 304 for a
// client that holds it, and never an answer that outlives what it shows — a
// publicity window ending by the clock (no ledger entry), a publish, a withdraw.
func TestSearchPageCache(t *testing.T) {
	sf := newSearchFixture(t)
	sf.project("CC-2026-001", "东天街片区旧城区改建项目", "长春市", "南关区")
	plan := sf.file(archive.Record{Project: "CC-2026-001", Type: "plan_draft", Title: "东天街片区征收补偿方案（征求意见稿）"}, "方案")
	notice := sf.file(archive.Record{Project: "CC-2026-001", Type: "decision", Title: "东天街片区征收补偿公示"}, "公示")
	later := sf.file(archive.Record{Project: "CC-2026-001", Type: "decision", Title: "东天街片区征收补偿决定"}, "决定")
	sf.mu.Lock()
	sf.windows[notice.ID] = archive.Window{Start: fixtureNow.Add(-time.Hour), End: fixtureNow.Add(2 * time.Hour)}
	sf.mu.Unlock()
	sf.publish(plan)
	sf.publish(notice)
	sf.catchUp()

	const q = "/search?q=%E8%A1%A5%E5%81%BF" // 补偿
	a := sf.get(q)
	if a.Code != 200 || !strings.Contains(a.Body.String(), plan.Title) || !strings.Contains(a.Body.String(), notice.Title) {
		t.Fatalf("search 补偿: %d, without the published records", a.Code)
	}
	if strings.Contains(a.Body.String(), later.Title) {
		t.Fatal("an unpublished record is found")
	}
	if a.Header().Get("ETag") == "" || a.Header().Get("Cache-Control") != "no-cache" {
		t.Fatalf("ETag %q, Cache-Control %q", a.Header().Get("ETag"), a.Header().Get("Cache-Control"))
	}
	if w := sf.get(q, "If-None-Match", a.Header().Get("ETag")); w.Code != http.StatusNotModified {
		t.Fatalf("If-None-Match: %d", w.Code)
	}
	// Other spellings of the same query are the same page: spaces, parameters
	// the page does not read (they are not carried into its links either), the
	// first page named.
	n0, _ := sf.srv.searchCache.held()
	for _, u := range []string{"/search?q=%20%E8%A1%A5%E5%81%BF%E3%80%80&utm_source=x&page=1", "/search?page=1&q=%E8%A1%A5%E5%81%BF&junk="} {
		w := sf.get(u)
		if w.Header().Get("ETag") != a.Header().Get("ETag") || strings.Contains(w.Body.String(), "utm_source") {
			t.Errorf("%s: another page than %s", u, q)
		}
	}
	if n, _ := sf.srv.searchCache.held(); n != n0 {
		t.Errorf("two spellings of one query took %d entries more", n-n0)
	}
	// The language is in the key.
	en := sf.get("/en" + q)
	if en.Code != 200 || en.Header().Get("ETag") == a.Header().Get("ETag") || !strings.Contains(en.Body.String(), `lang="en"`) {
		t.Fatalf("English search: %d, the Chinese page", en.Code)
	}

	// The notice's window ends: no entry, no poll; the next answer is without it.
	sf.clock.advance(2 * time.Hour)
	b := sf.get(q)
	if strings.Contains(b.Body.String(), notice.Title) || !strings.Contains(b.Body.String(), plan.Title) {
		t.Fatal("after the notice's window ended the cached answer still shows it")
	}
	if w := sf.get("/records/" + notice.ID); w.Code != http.StatusNotFound {
		t.Errorf("the notice's record page after its window: %d", w.Code)
	}
	if w := sf.get(q, "If-None-Match", a.Header().Get("ETag")); w.Code != 200 {
		t.Errorf("the ETag of the answer before the window ended: %d, want 200", w.Code)
	}
	// Publish: the next answer has it, once the index has the entry.
	sf.publish(later)
	sf.catchUp()
	if !strings.Contains(sf.get(q).Body.String(), later.Title) {
		t.Fatal("after a publish the cached answer lacks the record")
	}
	// Withdraw: gone from the next answer.
	if _, err := sf.arch.Withdraw(sf.ctx, plan.ID, archive.ActorCLI, "有误"); err != nil {
		t.Fatal(err)
	}
	sf.catchUp()
	if body := sf.get(q).Body.String(); strings.Contains(body, plan.Title) || !strings.Contains(body, later.Title) {
		t.Fatal("after a withdrawal the cached answer still shows the record")
	}
}

// A search by staff or a household is never cached nor answered from the
// cache: they see more than the public, per viewer.
func TestSearchCacheNotForViewers(t *testing.T) {
	staff := AuthenticatorFunc(func(r *http.Request) (Viewer, bool, error) {
		if r.Header.Get("X-Test-Viewer") == "staff" {
			return Viewer{Kind: ViewerStaff, Account: "a", Roles: []archive.Role{archive.RoleArchivist}}, true, nil
		}
		return Viewer{}, false, nil
	})
	sf := newSearchFixture(t, func(o *Options) { o.Authenticators = []Authenticator{staff} })
	sf.project("CC-2026-001", "东天街片区旧城区改建项目", "长春市", "南关区")
	pub := sf.file(archive.Record{Project: "CC-2026-001", Type: "decision", Title: "东天街片区征收决定"}, "决定")
	draft := sf.file(archive.Record{Project: "CC-2026-001", Type: "decision", Title: "东天街片区征收决定草稿"}, "草稿")
	sf.publish(pub)
	sf.catchUp()
	const q = "/search?q=%E5%BE%81%E6%94%B6%E5%86%B3%E5%AE%9A" // 征收决定
	w := sf.get(q, "X-Test-Viewer", "staff")
	if !strings.Contains(w.Body.String(), draft.Title) || w.Header().Get("Cache-Control") != "private, no-store" || w.Header().Get("ETag") != "" {
		t.Fatalf("staff search: draft shown %v, Cache-Control %q, ETag %q", strings.Contains(w.Body.String(), draft.Title),
			w.Header().Get("Cache-Control"), w.Header().Get("ETag"))
	}
	if n, _ := sf.srv.searchCache.held(); n != 0 {
		t.Fatalf("a staff search left %d cached pages", n)
	}
	if body := sf.get(q).Body.String(); strings.Contains(body, draft.Title) || !strings.Contains(body, pub.Title) {
		t.Fatal("the public's answer after the staff's shows the draft, or not the published record")
	}
	if w := sf.get(q, "X-Test-Viewer", "staff"); !strings.Contains(w.Body.String(), draft.Title) {
		t.Fatal("the staff's answer after the public's is the public's")
	}
}

// Random queries cannot grow the cache past its bounds, and a query people ask
// again and again stays in it meanwhile (the least recently used go first).
func TestSearchCacheBounded(t *testing.T) {
	sf := newSearchFixture(t)
	sf.project("CC-2026-001", "东天街片区旧城区改建项目", "长春市", "南关区")
	sf.publish(sf.file(archive.Record{Project: "CC-2026-001", Type: "decision", Title: "东天街片区征收决定"}, "决定"))
	sf.catchUp()
	const maxEntries, maxBytes = 20, 200 << 10
	sf.srv.searchCache = newPageCache(maxEntries, maxBytes)
	const popular = "/search?q=%E5%86%B3%E5%AE%9A"
	popularKey := string(LangZh) + " /search?q=%E5%86%B3%E5%AE%9A"
	etag := sf.get(popular).Header().Get("ETag")
	for i := range 300 {
		if w := sf.get(fmt.Sprintf("/search?q=x%d&city=c%d", i, i*7)); w.Code != 200 {
			t.Fatalf("random query %d: %d", i, w.Code)
		}
		if i%5 == 0 {
			sf.srv.searchCache.mu.Lock()
			_, kept := sf.srv.searchCache.entries[popularKey]
			sf.srv.searchCache.mu.Unlock()
			if !kept {
				t.Fatalf("the popular query was pushed out by %d random ones", i)
			}
			if w := sf.get(popular, "If-None-Match", etag); w.Code != http.StatusNotModified {
				t.Fatalf("the popular query after %d random ones: %d", i, w.Code)
			}
		}
		n, b := sf.srv.searchCache.held()
		if n > maxEntries || b > maxBytes {
			t.Fatalf("after %d random queries the cache holds %d pages, %d bytes (bounds %d, %d)", i+1, n, b, maxEntries, maxBytes)
		}
	}
	if n, _ := sf.srv.searchCache.held(); n < maxEntries/2 {
		t.Errorf("the cache holds only %d pages: it does not cache", n)
	}
	// The bytes bound alone: pages of 30 KB in a cache of 100 KB.
	c := newPageCache(1000, 100<<10)
	gen := generation{pos: 1}
	for i := range 50 {
		body := []byte(strings.Repeat(fmt.Sprint(i%10), 30<<10))
		c.get(gen, fmt.Sprint(i), func() ([]byte, error) { return body, nil })
		if n, b := c.held(); b > 100<<10 || n > 4 {
			t.Fatalf("after %d pages of 30 KB: %d pages, %d bytes", i+1, n, b)
		}
	}
}

// The cache's compressor uses its writers again: every page's gzip form, made
// at once by many requests, is that page.
func TestCacheGzipReused(t *testing.T) {
	c := newPageCache(100, 1<<20)
	gen := generation{pos: 1}
	var wg sync.WaitGroup
	for i := range 40 {
		wg.Go(func() {
			body := []byte(strings.Repeat(fmt.Sprintf("<p>第%d页 page %d</p>\n", i, i), 50+i))
			p, _ := c.get(gen, fmt.Sprint(i), func() ([]byte, error) { return body, nil })
			zr, err := gzip.NewReader(bytes.NewReader(p.gz))
			if err != nil {
				t.Error(err)
				return
			}
			if got, err := io.ReadAll(zr); err != nil || !bytes.Equal(got, body) {
				t.Errorf("page %d: gzip form is not the page (%v)", i, err)
			}
		})
	}
	wg.Wait()
}
