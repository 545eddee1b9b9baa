package portal

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"net"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/gongshi-archive/gongshi/archive"
)

func TestSecurityHeadersOnEveryAnswer(t *testing.T) {
	f := newFixture(t)
	f.refresh()
	for _, path := range []string{"/", "/en/", "/no/such/page", "/healthz", "/static/nothing.css"} {
		w := f.get(path)
		h := w.Header()
		for name, want := range map[string]string{
			"X-Content-Type-Options": "nosniff",
			"X-Frame-Options":        "DENY",
			"Referrer-Policy":        "same-origin",
		} {
			if got := h.Get(name); got != want {
				t.Errorf("GET %s: %s = %q, want %q", path, name, got, want)
			}
		}
		csp := h.Get("Content-Security-Policy")
		if !strings.Contains(csp, "script-src 'self'") || !strings.Contains(csp, "style-src 'self'") ||
			strings.Contains(csp, "unsafe-inline") || !strings.Contains(csp, "frame-ancestors 'none'") {
			t.Errorf("GET %s: CSP %q allows inline script or style or framing", path, csp)
		}
		if h.Get("Strict-Transport-Security") != "" {
			t.Errorf("GET %s: HSTS sent over plain http without Options.HSTS", path)
		}
	}
	g := newFixture(t, func(o *Options) { o.HSTS = true })
	if got := g.get("/").Header().Get("Strict-Transport-Security"); !strings.HasPrefix(got, "max-age=") {
		t.Errorf("with HSTS: Strict-Transport-Security = %q", got)
	}
}

// The pages hold no inline script or style: the CSP would block them, and the
// page must work without them.
func TestNoInlineScriptOrStyle(t *testing.T) {
	f := newFixture(t)
	f.refresh()
	for _, path := range []string{"/", "/en/", "/nope"} {
		body := f.get(path).Body.String()
		for _, bad := range []string{"<script>", "style=", "<style", "onclick=", "onload=", "javascript:"} {
			if strings.Contains(body, bad) {
				t.Errorf("GET %s: page contains %q", path, bad)
			}
		}
	}
}

func TestLanguageToggle(t *testing.T) {
	f := newFixture(t)
	f.refresh()
	zh := f.mustGet("/", 200)
	en := f.mustGet("/en/", 200)
	if !strings.Contains(zh, `<html lang="zh-CN">`) || !strings.Contains(zh, `href="/en/"`) {
		t.Errorf("Chinese home page: no zh-CN or no link to /en/")
	}
	if !strings.Contains(en, `<html lang="en">`) || !strings.Contains(en, "Housing Expropriation") || !strings.Contains(en, `class="lang" href="/"`) {
		t.Errorf("English home page: not English or no link back to /")
	}
	if f.get("/en").Code != 200 {
		t.Errorf("/en without the slash: %d", f.get("/en").Code)
	}
}

func TestMessagesComplete(t *testing.T) {
	m := messages()
	for k := range m[LangZh] {
		if m[LangEn][k] == "" {
			t.Errorf("message %q has no English", k)
		}
	}
	for k := range m[LangEn] {
		if m[LangZh][k] == "" {
			t.Errorf("message %q has no Chinese", k)
		}
	}
}

// The request log has the route template, status and timing, never the query
// string, the path's identifiers or headers.
func TestRequestLogHasRoutesNotQueries(t *testing.T) {
	f := newFixture(t)
	f.refresh()
	f.get("/?q=CANARY-QUERY&code=CANARY-CODE", "Cookie", "session=CANARY-COOKIE", "Authorization", "Bearer CANARY-TOKEN")
	f.get("/no/CANARY-PATH")
	log := f.log.String()
	if strings.Contains(log, "CANARY") {
		t.Fatalf("the request log holds what the visitor sent:\n%s", log)
	}
	if !strings.Contains(log, `"route":"/"`) || !strings.Contains(log, `"route":"unmatched"`) || !strings.Contains(log, `"status":404`) {
		t.Fatalf("the request log lacks the route or status:\n%s", log)
	}
}

func TestMetrics(t *testing.T) {
	f := newFixture(t)
	f.project("CC-2026-001", "东天街片区", "长春市", "南关区")
	f.file(archive.Record{Project: "CC-2026-001", Type: "decision", Title: "征收决定"}, "pdf one")
	f.refresh()
	f.get("/")
	f.get("/?q=CANARY")
	body := f.mustGet("/metrics", 200)
	for _, want := range []string{
		`gongshi_http_requests_total{code="200",method="GET",route="/"} 2`,
		`gongshi_http_request_duration_seconds_count{route="/"} 2`,
		// Two entries: the project's version 1 and the record.
		"gongshi_ledger_entries 2", "gongshi_index_lag_entries 0", "gongshi_index_position 2",
		`gongshi_page_cache_total{outcome="hit"} 1`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	if strings.Contains(body, "CANARY") {
		t.Error("/metrics holds a query string")
	}
}

func TestReadyWhenIndexCaughtUp(t *testing.T) {
	f := newFixture(t)
	if w := f.get("/readyz"); w.Code != 200 {
		t.Fatalf("empty archive, empty index: readyz %d", w.Code)
	}
	f.project("CC-2026-001", "东天街片区", "长春市", "南关区")
	f.file(archive.Record{Project: "CC-2026-001", Type: "decision", Title: "征收决定"}, "pdf one")
	// The project's version and the record: two entries.
	if w := f.get("/readyz"); w.Code != http.StatusServiceUnavailable || !strings.Contains(w.Body.String(), "0 of 2") {
		t.Fatalf("index behind the ledger: readyz %d %q", w.Code, w.Body.String())
	}
	f.refresh()
	if w := f.get("/readyz"); w.Code != 200 {
		t.Fatalf("index caught up: readyz %d %q", w.Code, w.Body.String())
	}
	if w := f.get("/healthz"); w.Code != 200 {
		t.Fatalf("healthz %d", w.Code)
	}
}

func TestBodyLimit(t *testing.T) {
	f := newFixture(t, func(o *Options) { o.MaxBody = 1000 })
	req := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(strings.Repeat("x", 5000)))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if w := f.do(req); w.Code != http.StatusRequestEntityTooLarge {
		t.Fatalf("a 5000-byte body over a 1000-byte limit: %d", w.Code)
	}
}

func TestUnknownMethodAndPath(t *testing.T) {
	f := newFixture(t)
	f.refresh()
	w := f.do(httptest.NewRequest(http.MethodDelete, "/", nil))
	if w.Code != http.StatusMethodNotAllowed && w.Code != http.StatusNotFound {
		t.Fatalf("DELETE /: %d", w.Code)
	}
	w = f.get("/en/no-such")
	if w.Code != 404 || !strings.Contains(w.Body.String(), `lang="en"`) || !strings.Contains(w.Body.String(), "Page not found") {
		t.Fatalf("English 404: %d, not the English error page", w.Code)
	}
	if w := f.get("/api/v1/nothing"); w.Code != 404 || !strings.HasPrefix(w.Header().Get("Content-Type"), "application/json") {
		t.Fatalf("API 404: %d %s", w.Code, w.Header().Get("Content-Type"))
	}
}

// A public page is rendered once per generation: the same bytes and ETag until
// the index moves, 304 for a client that holds them, a new page as soon as a
// filing reaches the index.
func TestPublicPageCacheFollowsTheIndex(t *testing.T) {
	f := newFixture(t)
	f.project("CC-2026-001", "东天街片区", "长春市", "南关区")
	f.file(archive.Record{Project: "CC-2026-001", Type: "decision", Title: "第一份决定"}, "pdf one")
	f.refresh()
	a := f.get("/")
	b := f.get("/")
	if a.Header().Get("ETag") == "" || a.Header().Get("ETag") != b.Header().Get("ETag") || a.Body.String() != b.Body.String() {
		t.Fatal("two requests in one generation differ")
	}
	if w := f.get("/", "If-None-Match", a.Header().Get("ETag")); w.Code != http.StatusNotModified || w.Body.Len() != 0 {
		t.Fatalf("If-None-Match with the ETag: %d, %d bytes", w.Code, w.Body.Len())
	}
	gz := f.get("/", "Accept-Encoding", "gzip")
	if gz.Header().Get("Content-Encoding") != "gzip" || gz.Body.Len() >= a.Body.Len() {
		t.Fatalf("gzip: %q, %d bytes against %d", gz.Header().Get("Content-Encoding"), gz.Body.Len(), a.Body.Len())
	}
	f.file(archive.Record{Project: "CC-2026-001", Type: "plan_draft", Title: "第二份方案"}, "pdf two")
	if strings.Contains(f.get("/").Body.String(), "第二份方案") {
		t.Fatal("the page shows what the index has not read")
	}
	f.refresh()
	c := f.get("/")
	if !strings.Contains(c.Body.String(), "第二份方案") || c.Header().Get("ETag") == a.Header().Get("ETag") {
		t.Fatal("after the index moved the page is stale")
	}
	if w := f.get("/", "If-None-Match", a.Header().Get("ETag")); w.Code != 200 {
		t.Fatalf("the old ETag after a change: %d, want 200", w.Code)
	}
}

// The next day retires every page too: the clocks count days.
func TestPublicPageCacheFollowsTheDay(t *testing.T) {
	f := newFixture(t)
	f.refresh()
	gen1 := generation{pos: f.idx.Position(), day: f.srv.today()}
	f.clock.advance(24 * time.Hour)
	gen2 := generation{pos: f.idx.Position(), day: f.srv.today()}
	if gen1 == gen2 {
		t.Fatal("a day later, the generation is the same")
	}
	renders := 0
	render := func() ([]byte, error) { renders++; return []byte("x"), nil }
	f.srv.cache.get(gen1, "k", render)
	f.srv.cache.get(gen1, "k", render)
	f.srv.cache.get(gen2, "k", render)
	f.srv.cache.get(gen2, "k", render)
	f.srv.cache.get(gen1, "k", render) // a late request of the old day: rendered, not kept
	f.srv.cache.get(gen2, "k", render)
	if renders != 3 {
		t.Fatalf("%d renders, want 3", renders)
	}
}

// Staff and households never get a cached or shared page.
func TestPrivatePagesBypassTheCache(t *testing.T) {
	staff := AuthenticatorFunc(func(r *http.Request) (Viewer, bool, error) {
		switch r.Header.Get("X-Test-Viewer") {
		case "staff":
			return Viewer{Kind: ViewerStaff, Account: "a", Roles: []archive.Role{archive.RoleArchivist}}, true, nil
		case "forged":
			return Viewer{}, false, ErrUnauthenticated
		}
		return Viewer{}, false, nil
	})
	f := newFixture(t, func(o *Options) { o.Authenticators = []Authenticator{staff} })
	f.refresh()
	w := f.get("/", "X-Test-Viewer", "staff")
	if w.Code != 200 || w.Header().Get("Cache-Control") != "private, no-store" || w.Header().Get("ETag") != "" {
		t.Fatalf("staff page: %d, Cache-Control %q, ETag %q", w.Code, w.Header().Get("Cache-Control"), w.Header().Get("ETag"))
	}
	if w := f.get("/", "X-Test-Viewer", "forged"); w.Code != http.StatusUnauthorized {
		t.Fatalf("forged credentials: %d, want 401", w.Code)
	}
}

func TestRequireRole(t *testing.T) {
	tests := []struct {
		v    Viewer
		want error
	}{
		{Viewer{}, ErrUnauthenticated},
		{Viewer{Kind: ViewerHousehold, Project: "P", Household: "1"}, ErrUnauthenticated},
		{Viewer{Kind: ViewerStaff, Roles: []archive.Role{archive.RoleInspector}}, ErrForbidden},
		{Viewer{Kind: ViewerStaff, Roles: []archive.Role{archive.RoleArchivist}}, nil},
	}
	for _, tc := range tests {
		f := newFixture(t)
		e := f.srv.e
		req := httptest.NewRequest(http.MethodGet, "/x", nil)
		req = req.WithContext(WithViewer(req.Context(), tc.v))
		c := e.NewContext(req, httptest.NewRecorder())
		err := requireRole(archive.RoleArchivist)(func(echo.Context) error { return nil })(c)
		if !errors.Is(err, tc.want) && !(err == nil && tc.want == nil) {
			t.Errorf("viewer %+v: %v, want %v", tc.v, err, tc.want)
		}
	}
}

// Serve stops when its context ends and lets a request in flight finish.
func TestGracefulShutdown(t *testing.T) {
	f := newFixture(t)
	f.refresh()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- f.srv.Serve(ctx, ln) }()
	conn, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	// A request whose headers are half sent is in flight when the server is told
	// to stop; it is answered once its headers are complete.
	io.WriteString(conn, "GET /healthz HTTP/1.1\r\nHost: x\r\n")
	time.Sleep(50 * time.Millisecond)
	cancel()
	time.Sleep(50 * time.Millisecond)
	io.WriteString(conn, "Connection: close\r\n\r\n")
	conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	resp, _ := io.ReadAll(conn)
	if err := <-done; err != nil {
		t.Fatalf("Serve: %v", err)
	}
	_ = resp // a connection that had not finished its request may be closed; what matters is that Serve returned nil
	if _, err := net.Dial("tcp", ln.Addr().String()); err == nil {
		t.Fatal("the server still accepts connections after shutdown")
	}
}

// Every message a template names exists in both languages: a missing key would
// render as nothing.
func TestTemplatesUseKnownMessages(t *testing.T) {
	m := messages()
	re := regexp.MustCompile(`\.L\.([a-z_0-9]+)|msg \$?[a-zA-Z.]+ "([a-z_0-9]+)"`)
	names, _ := fs.Glob(templateFS, "templates/*.tmpl")
	for _, n := range names {
		b, _ := templateFS.ReadFile(n)
		for _, sub := range re.FindAllStringSubmatch(string(b), -1) {
			k := sub[1] + sub[2]
			if m[LangZh][k] == "" || m[LangEn][k] == "" {
				t.Errorf("%s uses message %q, missing in zh or en", n, k)
			}
		}
	}
}
