package main

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"time"

	"github.com/spf13/cobra"

	"github.com/gongshi-archive/gongshi/archive"
	"github.com/gongshi-archive/gongshi/archive/ledger"
	"github.com/gongshi-archive/gongshi/portal"
	"github.com/gongshi-archive/gongshi/search"
	"github.com/gongshi-archive/gongshi/staff"
	"github.com/gongshi-archive/gongshi/verify"
)

type serveFlags struct {
	addr    string
	baseURL string
	hsts    bool
	follow  time.Duration
	calendarFlags
	staff staffServeFlags
}

func newServeCmd(e env, cfg *config) *cobra.Command {
	fl := &serveFlags{}
	c := &cobra.Command{
		Use:   "serve [--addr 127.0.0.1:8080]",
		Short: "Serve the public disclosure portal (公示网站)",
		Long: `serve runs the portal over the archive: the public pages in Chinese and English,
search, Atom feeds, the verify page, the ledger's checkpoint and tiles, /metrics,
/healthz and /readyz. It reads the archive from the data directory or from the
S3 bucket (the same settings as every command) and keeps nothing of its own but
caches, so several can serve one bucket. It follows the ledger (every --follow)
and shows what was filed or published since within that time.

Stop it with Ctrl-C or SIGTERM: it stops accepting, lets requests in flight end,
and exits 0.`,
		Example: `  gongshi serve
  gongshi serve --addr :8080 --hsts        # behind a TLS proxy`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runServe(cmd.Context(), e, cfg, fl)
		},
	}
	f := c.Flags()
	f.StringVar(&fl.addr, "addr", "127.0.0.1:8080", "address to listen on (host:port)")
	f.StringVar(&fl.baseURL, "base-url", "", "the portal's public address, for feeds and the sitemap (e.g. https://gongshi.example.gov.cn); default http://ADDR")
	f.BoolVar(&fl.hsts, "hsts", false, "send Strict-Transport-Security (set when a TLS proxy is in front)")
	f.DurationVar(&fl.follow, "follow", time.Second, "how often to look for new ledger entries")
	fl.calendarFlags.addFlags(f)
	fl.staff.addFlags(f)
	return c
}

func runServe(ctx context.Context, e env, cfg *config, fl *serveFlags) error {
	if fl.follow < 10*time.Millisecond {
		return fmt.Errorf("--follow %s is too short: use at least 10ms", fl.follow)
	}
	syn, err := cfg.searchSynonyms()
	if err != nil {
		return err
	}
	o, err := cfg.open(ctx, e)
	if err != nil {
		return err
	}
	defer o.close()
	st, a, l, k := o.st, o.a, o.l, o.key
	// One calendar and one set of clock rules for every clock of the server:
	// the timelines, the households' objection clocks, the requests' answers.
	clk, err := fl.calendarFlags.clocks()
	if err != nil {
		return err
	}
	proc, err := clk.procedure(a.Catalogue())
	if err != nil {
		return err
	}
	so, err := cfg.staffOptions(e)
	if err != nil {
		return err
	}
	so.SessionTTL = fl.staff.sessionTTL
	svc := staff.New(a, st, so)
	staffOpts, err := fl.staff.options(e, a, l, st, svc)
	if err != nil {
		return err
	}
	// The residents' pages, the tables and disclosure on request
	// (households_serve.go).
	hhOpts, _, err := cfg.householdOptions(e, a, clk, codeHasher(), staff.NewLimiter(), staffTrail{svc})
	if err != nil {
		return err
	}
	log := slog.New(slog.NewJSONHandler(e.stderr, nil))
	ln, err := net.Listen("tcp", fl.addr)
	if err != nil {
		return fmt.Errorf("cannot listen on %s: %v: choose another --addr", fl.addr, err)
	}
	defer ln.Close()
	base := fl.baseURL
	if base == "" {
		base = "http://" + ln.Addr().String()
	}
	// The search index of this data directory, held by this process alone (a
	// second serve on the same data directory is refused; gongshi search and
	// reindex work beside it: search asks this server, reindex builds beside).
	p := newRebuildProgress(e, "building the search index")
	sidx, err := search.Open(ctx, search.Options{Dir: cfg.indexDir(), Source: search.ArchiveSource(a, l, nil),
		Now: e.now, Log: log, Holder: search.LockInfo{Command: "serve"}, Progress: p.update, Synonyms: syn,
		Background: true}) // a damaged index is rebuilt while serve answers (503 for searches meanwhile)
	p.finish()
	if err != nil {
		return err
	}
	defer sidx.Close()
	if err := sidx.SetHolder(search.LockInfo{Command: "serve", Server: "http://" + ln.Addr().String()}); err != nil {
		return err
	}
	idx := portal.NewSearchIndex(sidx, a.Catalogue(), a.RecordState, e.now)
	// The verify page's verdicts: the ledger read with the verifier key only,
	// and an index of it by content, so that a visitor's file costs one lookup
	// whether the archive holds it, holds it hidden, or not at all.
	vl := ledger.New(st, ledger.Options{Key: ledger.Key{Verifier: k.Verifier}})
	contents := ledger.NewContentIndex(vl)
	verifier := verify.New(archive.New(st, archive.Options{Now: e.now}), vl, k.Verifier, verify.Options{Contents: contents})
	srv, err := portal.New(portal.Options{
		Archive: a, Ledger: l, Tiles: st, Index: idx, Verifier: verifier, Logger: log, Now: e.now, HSTS: fl.hsts,
		VerifierKey: k.VerifierKey, BaseURL: base, Procedure: proc, Staff: staffOpts, Households: hhOpts,
		ArchiveStats: func(ctx context.Context) (portal.ArchiveStats, error) {
			ps, err := a.Projects(ctx)
			return portal.ArchiveStats{Records: int64(sidx.Status().Docs), Projects: int64(len(ps))}, err
		},
	})
	if err != nil {
		return err
	}
	// The index catches up with the ledger before the address is announced;
	// /readyz says when it has caught up after that.
	if err := sidx.CatchUp(ctx); err != nil {
		return fmt.Errorf("reading the archive in %s: %w", cfg.where(), err)
	}
	if err := contents.CatchUp(ctx); err != nil {
		return fmt.Errorf("reading the ledger in %s: %w", cfg.where(), err)
	}
	fctx, stop := context.WithCancel(ctx)
	defer stop()
	go sidx.Follow(fctx, fl.follow)
	go contents.Follow(fctx, fl.follow)
	fmt.Fprintf(e.stdout, "gongshi: serving %s on http://%s/ (Ctrl-C stops)\n", cfg.where(), ln.Addr())
	if err := srv.Serve(ctx, ln); err != nil {
		return err
	}
	fmt.Fprintln(e.stdout, "gongshi: stopped")
	return nil
}
