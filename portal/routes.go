package portal

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/labstack/echo/v4"
)

// routes registers every route. A new page family adds its routes here: a page
// with s.page (GET and HEAD, in both languages, cached for the public when
// cacheable), anything else with e.GET/e.POST and a handler returning an error.
// Staff routes go in a group behind requireRole.
func (s *Server) routes(e *echo.Echo) {
	e.GET("/healthz", s.healthz)
	e.GET("/readyz", s.readyz)
	e.GET("/metrics", s.metrics.handler)
	e.GET("/static/*", s.static.serve)
	e.HEAD("/static/*", s.static.serve)

	s.page(e, "/", s.homePage, cached)
	s.page(e, "/projects/:code", s.projectPage, cached)
	s.page(e, "/records/:id", s.recordPage, cached)
	s.queryPage(e, "/search", s.searchPage, canonicalSearch)
	e.GET("/feeds/all.atom", s.feedAll)
	e.GET("/sitemap.xml", s.sitemap)
	e.GET("/feeds/projects/:file", s.feedProject)
	e.GET("/ledger/checkpoint", s.ledgerCheckpoint)
	e.GET("/ledger/tile/*", s.ledgerTile)
	s.page(e, "/verify", s.verifyPage, cached)
	e.POST("/verify", s.verifyUpload)
	e.POST(enPrefix+"/verify", s.verifyUpload)
	e.GET("/verify/sha256/:hex", s.verifyLookup)
	e.GET("/records/:id/file", s.recordFile)
	e.HEAD("/records/:id/file", s.recordFile)
	e.GET("/records/:id/receipt", s.recordReceipt)
	s.page(e, "/household", s.householdPage, uncached)                   // household.go
	s.post(e, "/household/login", s.householdLogin)                      // household.go
	s.post(e, "/household/logout", s.householdLogout)                    // household.go
	s.page(e, "/records/:id/table", s.tablePage, cached)                 // household_table.go
	s.post(e, "/records/:id/table", s.tableReveal)                       // household_table.go
	e.GET("/records/:id/table.csv", s.tableCSV)                          // household_table.go
	s.page(e, "/requests/new", s.requestFormPage, uncached)              // request.go
	s.post(e, "/requests", s.requestSubmit)                              // request.go
	s.page(e, "/requests/:id/:key", s.ticketPage, uncached)              // request.go
	e.GET("/requests/:id/:key/records/:rid/file", s.ticketFile)          // request.go
	s.page(e, "/disclosure", s.guidePage, cached)                        // disclosure.go
	s.page(e, "/disclosure/catalogue", s.cataloguePage, cached)          // disclosure.go
	s.page(e, "/disclosure/catalogue/:code", s.projectCatalogue, cached) // disclosure.go
	s.page(e, "/disclosure/report/:year", s.reportPage, cached)          // disclosure.go
	s.staffRoutes(e)                                                     // /staff/… (staff.go)
	s.apiRoutes(e)                                                       // /api/v1/… (api.go)
}

// post registers a form's handler at route and at its English address.
func (s *Server) post(e *echo.Echo, route string, h echo.HandlerFunc) {
	e.POST(route, h)
	e.POST(enPrefix+route, h)
}

// cached marks a page whose public form depends only on the generation (the
// index's position and the day) and on its path, not its query string: see
// cache.go. A page that reads the query string is uncached.
const (
	cached   = true
	uncached = false
)

// queryPage registers fn at route like page, for a page that reads its query
// string. canon gives the canonical form of a query: the parameters the page
// reads, each spelt one way, so that one key holds each distinct page. For the
// public, over an index with a version (see cache.go), the page comes from the
// search cache under that key; the page is built from the canonical query too,
// so that nothing a key leaves out reaches the page.
func (s *Server) queryPage(e *echo.Echo, route string, fn pageFunc, canon func(url.Values) url.Values) {
	h := func(c echo.Context) error { return s.serveQueryPage(c, fn, canon) }
	for _, r := range []string{route, enPrefix + route} {
		e.GET(r, h)
		e.HEAD(r, h)
	}
}

func (s *Server) serveQueryPage(c echo.Context, fn pageFunc, canon func(url.Values) url.Values) error {
	rq := s.requestOf(c)
	if _, ok := s.opts.Index.(versioned); !ok || !rq.Viewer.IsPublic() {
		return s.servePage(c, fn, uncached)
	}
	rq.query = canon(rq.query)
	rq.Query = rq.query.Encode()
	key := string(rq.Lang) + " " + rq.Path + "?" + rq.Query
	return s.serveCachedIn(c, s.searchCache, key, "text/html; charset=utf-8", func(ctx context.Context) ([]byte, error) {
		p, err := fn(ctx, rq)
		if err != nil {
			return nil, err
		}
		if p.status != 0 && p.status != http.StatusOK {
			return nil, fmt.Errorf("portal: a query page with status %d", p.status) // none has one
		}
		return s.renderPage(ctx, p, rq.requestInfo)
	})
}

// versioned is an Index that names the state its answers come from, the
// clock's changes included (SearchIndex; see search.Index.Version).
type versioned interface {
	Version(ctx context.Context) (uint64, error)
}

// generation is the state public pages are rendered from now.
func (s *Server) generation(ctx context.Context) (generation, error) {
	g := generation{day: s.today()}
	if v, ok := s.opts.Index.(versioned); ok {
		// The version first: a position read after it is at least as new, so
		// a page is never kept under a state older than the one it shows.
		ver, err := v.Version(ctx)
		if err != nil {
			return generation{}, err
		}
		g.ver = ver
	}
	g.pos = s.opts.Index.Position()
	return g, nil
}

// pageFunc builds a page. It sees the request only through rq, so that page
// code does not depend on the router.
type pageFunc func(ctx context.Context, rq *request) (*page, error)

// request is a page's view of its request.
type request struct {
	requestInfo
	c     echo.Context
	query url.Values
}

// param is the value of the route parameter name (":code" in the route).
func (r *request) param(name string) string { return r.c.Param(name) }

// form is the value of the query or form field name.
func (r *request) form(name string) string { return strings.TrimSpace(r.query.Get(name)) }

// page registers fn at route, and at its English address, for GET and HEAD.
func (s *Server) page(e *echo.Echo, route string, fn pageFunc, cacheable bool) {
	h := func(c echo.Context) error { return s.servePage(c, fn, cacheable) }
	en := enPrefix + route
	if route == "/" {
		e.GET(enPrefix, h)
		e.HEAD(enPrefix, h)
	}
	for _, r := range []string{route, en} {
		e.GET(r, h)
		e.HEAD(r, h)
	}
}

func (s *Server) requestOf(c echo.Context) *request {
	r := c.Request()
	q := r.URL.Query()
	return &request{
		requestInfo: requestInfo{
			Lang:   langOf(r.URL.Path),
			Path:   stripLang(r.URL.Path),
			Query:  q.Encode(), // sorted by key: one spelling per query
			Viewer: ViewerFrom(r.Context()),
			Today:  s.today(),
		},
		c:     c,
		query: q,
	}
}

// servePage builds and renders a page. For the public, a cacheable page comes
// from the page cache (rendered once per generation); for everyone else it is
// rendered for this request and marked private.
func (s *Server) servePage(c echo.Context, fn pageFunc, cacheable bool) error {
	rq := s.requestOf(c)
	ctx := c.Request().Context()
	const html = "text/html; charset=utf-8"
	if !rq.Viewer.IsPublic() || !cacheable {
		if !rq.Viewer.IsPublic() {
			c.Response().Header().Set("Cache-Control", "private, no-store")
		}
		s.metrics.cache.WithLabelValues("bypass").Inc()
		p, err := fn(ctx, rq)
		if err != nil {
			return err
		}
		body, err := s.renderPage(ctx, p, rq.requestInfo)
		if err != nil {
			return err
		}
		status := p.status
		if status == 0 {
			status = http.StatusOK
		}
		if status != http.StatusOK || !rq.Viewer.IsPublic() {
			return c.HTMLBlob(status, body)
		}
		return serveBytes(c, html, etagOf(body), body, nil)
	}
	// A cached page depends on its address alone, never on the query string:
	// otherwise the first visitor's query would be baked into every visitor's
	// page (the language toggle carries it), and random queries would fill the
	// cache.
	rq.Query, rq.query = "", url.Values{}
	key := string(rq.Lang) + " " + rq.Path
	var status *page
	err := s.serveCached(c, key, html, func(ctx context.Context) ([]byte, error) {
		p, err := fn(ctx, rq)
		if err != nil {
			return nil, err
		}
		if p.status != 0 && p.status != http.StatusOK {
			status = p
			return nil, errPageStatus
		}
		return s.renderPage(ctx, p, rq.requestInfo)
	})
	if err == errPageStatus && status != nil {
		// A page with a status of its own is rendered per request (none yet).
		body, err := s.renderPage(ctx, status, rq.requestInfo)
		if err != nil {
			return err
		}
		return c.HTMLBlob(status.status, body)
	}
	return err
}

// errPageStatus carries a page whose status is not 200 out of the cache's render.
var errPageStatus = errors.New("page with a status of its own")

// serveCached answers with the public form of key in the current generation,
// rendering it with render when it is not cached (see cache.go).
func (s *Server) serveCached(c echo.Context, key, ctype string, render func(context.Context) ([]byte, error)) error {
	return s.serveCachedIn(c, s.cache, key, ctype, render)
}

func (s *Server) serveCachedIn(c echo.Context, cache *pageCache, key, ctype string, render func(context.Context) ([]byte, error)) error {
	gen, err := s.generation(c.Request().Context())
	if err != nil {
		return err
	}
	// The render runs under no request's context: other requests may be
	// waiting for it, and one visitor leaving must not fail them.
	rctx := context.WithoutCancel(c.Request().Context())
	p, hit := cache.get(gen, key, func() ([]byte, error) { return render(rctx) })
	if hit {
		s.metrics.cache.WithLabelValues("hit").Inc()
	} else {
		s.metrics.cache.WithLabelValues("render").Inc()
	}
	if p.err != nil {
		return p.err
	}
	c.Response().Header().Set("Cache-Control", "no-cache")
	return serveBytes(c, ctype, p.etag, p.body, p.gz)
}
