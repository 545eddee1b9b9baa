package main

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"time"

	"github.com/spf13/cobra"

	"github.com/gongshi-archive/gongshi/archive"
	"github.com/gongshi-archive/gongshi/portal"
)

type serveFlags struct {
	addr    string
	baseURL string
	hsts    bool
	follow  time.Duration
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
	return c
}

func runServe(ctx context.Context, e env, cfg *config, fl *serveFlags) error {
	if fl.follow < 10*time.Millisecond {
		return fmt.Errorf("--follow %s is too short: use at least 10ms", fl.follow)
	}
	st, err := cfg.openStore(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	a, l, err := cfg.archiveOn(ctx, st, e)
	if err != nil {
		return err
	}
	k, err := cfg.ledgerKey(ctx, st)
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
	idx := portal.NewScanIndex(a, l, func(ctx context.Context, r archive.Record) (archive.RecordState, error) {
		return a.RecordState(ctx, r.ID)
	}, e.now)
	srv, err := portal.New(portal.Options{
		Archive: a, Ledger: l, Tiles: st, Index: idx, Logger: log, Now: e.now, HSTS: fl.hsts,
		VerifierKey: k.VerifierKey, BaseURL: base,
		ArchiveStats: func(context.Context) (portal.ArchiveStats, error) { return idx.Stats(), nil },
	})
	if err != nil {
		return err
	}
	// The first read of the archive happens before the address is announced;
	// /readyz says when the index has caught up with the ledger after that.
	if err := idx.Refresh(ctx); err != nil {
		return fmt.Errorf("reading the archive in %s: %w", cfg.where(), err)
	}
	fctx, stop := context.WithCancel(ctx)
	defer stop()
	go idx.Follow(fctx, fl.follow)
	fmt.Fprintf(e.stdout, "gongshi: serving %s on http://%s/ (Ctrl-C stops)\n", cfg.where(), ln.Addr())
	if err := srv.Serve(ctx, ln); err != nil {
		return err
	}
	fmt.Fprintln(e.stdout, "gongshi: stopped")
	return nil
}
