package portal

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/gongshi-archive/gongshi/archive"
	"github.com/gongshi-archive/gongshi/calendar"
	"github.com/gongshi-archive/gongshi/procedure"
)

// Options configure a Server. Archive, Ledger, Index and Verifier are required.
type Options struct {
	Archive Archive
	Ledger  Ledger
	// Tiles reads the ledger's hash tiles for /ledger/tile/...; nil serves none.
	Tiles Tiles
	Index Index
	// Verifier gives the verify page's verdicts (a *verify.Verifier over the
	// same archive and ledger, with a content index: verify.Options.Contents).
	Verifier Verifier
	// Authenticators decide who a request is from (staff sessions, API tokens,
	// household sessions), in order; with none every visitor is the public.
	Authenticators []Authenticator
	// Logger receives the request log and errors; nil means slog.Default().
	Logger *slog.Logger
	// Now is the clock; nil means time.Now. Pages that count days use it.
	Now func() time.Time
	// Registry receives the portal's metrics, served at /metrics; nil means a new
	// registry of the server's own.
	Registry *prometheus.Registry
	// HSTS sends Strict-Transport-Security: set it when the portal is reached over
	// TLS (served behind a TLS proxy). Requests that came over TLS get it anyway.
	HSTS bool
	// MaxBody bounds a request body (forms); 0 means 1 MiB. MaxUpload bounds a file
	// sent to the verify page without JavaScript; 0 means 256 MiB.
	MaxBody, MaxUpload int64
	// VerifierKey is the ledger's public verifier key (as 'gongshi keys show'
	// prints it), shown on the verify page and used by the page's script to check
	// checkpoints.
	VerifierKey string
	// BaseURL is the portal's public address (https://gongshi.example.gov.cn), for
	// the absolute addresses feeds need; "" writes them relative to the site.
	BaseURL string
	// Procedure makes the project pages' timelines; nil means the built-in
	// catalogue's with the built-in calendar and clock rules.
	Procedure *procedure.Procedure
	// Staff turns on the staff pages (/staff/) and the API's writes, and adds the
	// staff session and API-token Authenticators; nil: a public portal only.
	Staff *StaffOptions
	// ArchiveStats, when set, is read for the archive-size metrics.
	ArchiveStats func(ctx context.Context) (ArchiveStats, error)
	// Households turns on the residents' pages, the per-household tables and
	// disclosure on request (household.go); nil: none of them.
	Households *HouseholdOptions
}

// ArchiveStats is the size of the archive, for the metrics.
type ArchiveStats struct {
	Records  int64
	Projects int64
}

// Server is the portal: an http.Handler and what it needs to serve. It holds no
// state but caches derived from the archive, so several servers can serve one
// store.
type Server struct {
	opts    Options
	log     *slog.Logger
	now     func() time.Time
	e       *echo.Echo
	tmpl    *templates
	static  *staticFiles
	metrics *metrics
	cache   *pageCache
	// searchCache holds the public's search pages (cache.go).
	searchCache *pageCache
	hh          *householdState // household.go; nil without Options.Households
	staff       *staffState     // staff.go
	// procedure makes the project pages' timelines.
	procedure *procedure.Procedure
}

// New returns a server over the archive, ledger and index of opts.
func New(opts Options) (*Server, error) {
	switch {
	case opts.Archive == nil:
		return nil, errors.New("portal: Options.Archive is required")
	case opts.Ledger == nil:
		return nil, errors.New("portal: Options.Ledger is required")
	case opts.Index == nil:
		return nil, errors.New("portal: Options.Index is required")
	case opts.Verifier == nil:
		return nil, errors.New("portal: Options.Verifier is required")
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Registry == nil {
		opts.Registry = prometheus.NewRegistry()
	}
	if opts.MaxBody <= 0 {
		opts.MaxBody = 1 << 20
	}
	if opts.MaxUpload <= 0 {
		opts.MaxUpload = 256 << 20
	}
	if opts.Staff != nil {
		opts.Authenticators = append(opts.Authenticators, tokenAuth{opts.Staff.Accounts}, sessionAuth{opts.Staff.Accounts})
	}
	static, err := loadStatic()
	if err != nil {
		return nil, err
	}
	tmpl, err := parseTemplates(static)
	if err != nil {
		return nil, err
	}
	s := &Server{opts: opts, log: opts.Logger, now: opts.Now, tmpl: tmpl, static: static,
		cache: newPageCache(maxPageEntries, maxPageBytes), searchCache: newPageCache(maxSearchEntries, maxSearchBytes),
		staff: &staffState{}}
	if s.hh, err = newHouseholdState(opts.Households); err != nil {
		return nil, err
	}
	if s.hh != nil {
		s.hh.fonts = newNoticeFonts(opts.Households.NoticeFonts)
		s.checkNoticeFonts() // staff_household_notice.go
		s.opts.Authenticators = append(s.opts.Authenticators, householdAuth{s})
	}
	s.procedure = opts.Procedure
	if s.procedure == nil {
		s.procedure, err = procedure.New(opts.Archive.Catalogue(), calendar.Default(), calendar.DefaultRules(), procedure.DefaultConfig())
		if err != nil {
			return nil, fmt.Errorf("portal: procedure: %w", err)
		}
	}
	s.metrics, err = newMetrics(opts.Registry, s)
	if err != nil {
		return nil, err
	}
	s.e = s.newEcho()
	return s, nil
}

// newEcho builds the router with the middleware chain and every route.
func (s *Server) newEcho() *echo.Echo {
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.HTTPErrorHandler = s.handleError
	// The order is the request's path through them: recovery outermost, so that
	// a panic anywhere becomes a logged 500 with the security headers on it.
	e.Use(s.recoverPanics, s.securityHeaders, s.logAndMeasure, s.limitBody, s.decideViewer)
	s.routes(e)
	return e
}

// ServeHTTP serves one request.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.e.ServeHTTP(w, r) }

// shutdownGrace is how long Serve waits for requests in flight when its context
// ends.
const shutdownGrace = 15 * time.Second

// Serve serves on ln until ctx ends, then stops accepting, lets the requests in
// flight finish (for up to 15 s) and returns nil. Any other failure to serve is
// returned.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	srv := &http.Server{
		Handler:           s,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       10 * time.Minute, // an upload to the verify page may be large
		WriteTimeout:      10 * time.Minute,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	select {
	case err := <-done:
		return fmt.Errorf("portal: serve: %w", err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	err := srv.Shutdown(sctx)
	<-done
	if err != nil {
		return fmt.Errorf("portal: shutdown: %w", err)
	}
	return nil
}

// today is the civil date in China now: the day the clocks count from.
func (s *Server) today() archive.Date { return archive.DateOf(s.now()) }
