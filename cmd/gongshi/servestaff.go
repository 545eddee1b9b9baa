package main

import (
	"context"
	"fmt"
	"time"

	"github.com/dustin/go-humanize"
	"github.com/spf13/pflag"

	"github.com/gongshi-archive/gongshi/archive"
	"github.com/gongshi-archive/gongshi/archive/audit"
	"github.com/gongshi-archive/gongshi/archive/blob"
	"github.com/gongshi-archive/gongshi/archive/ledger"
	"github.com/gongshi-archive/gongshi/ingest"
	"github.com/gongshi-archive/gongshi/portal"
	"github.com/gongshi-archive/gongshi/staff"
)

// staffServeFlags are serve's settings for the staff pages and the API: how
// uploads are filed (the same as 'gongshi ingest'), sessions, uploads, proxies.
type staffServeFlags struct {
	filerFlags
	sessionTTL time.Duration
	maxUpload  string
	trustProxy bool
	tempDir    string
}

func (fl *staffServeFlags) addFlags(f *pflag.FlagSet) {
	fl.filerFlags.addFlags(f)
	f.DurationVar(&fl.sessionTTL, "session-ttl", 8*time.Hour, "how long a staff login lasts")
	f.StringVar(&fl.maxUpload, "max-upload", "2GiB", "the largest staff upload (a document, or a batch with its manifest)")
	f.BoolVar(&fl.trustProxy, "trust-proxy", false, "a reverse proxy in front appends the client's address to X-Forwarded-For (the login limits count clients by it)")
	f.StringVar(&fl.tempDir, "upload-dir", "", "where uploads wait while they are filed (default: the system's temporary folder)")
}

// options builds the staff part of the portal over the archive a and its ledger
// l in store st, with the staff service svc.
func (fl *staffServeFlags) options(e env, a *archive.Archive, l *ledger.Log, st blob.Store, svc *staff.Service) (*portal.StaffOptions, error) {
	if fl.sessionTTL < time.Minute || fl.sessionTTL > 7*24*time.Hour {
		return nil, fmt.Errorf("--session-ttl %s: between 1m and 168h", fl.sessionTTL)
	}
	max, err := humanize.ParseBytes(fl.maxUpload)
	if err != nil || max < 1<<20 || max > 1<<40 {
		return nil, fmt.Errorf("--max-upload %q: a size from 1MiB to 1TiB, like 2GiB", fl.maxUpload)
	}
	opts, err := fl.filerFlags.options(e)
	if err != nil {
		return nil, err
	}
	return &portal.StaffOptions{Accounts: svc, Filer: ingest.NewFiler(a, st, opts), Records: a, Activity: l,
		Audit: func(ctx context.Context, sample float64, progress func(audit.Progress)) (audit.Report, error) {
			// Not resumable from the pages: an interrupted run is started again.
			return audit.Run(ctx, audit.Options{Store: st, Archive: a, Ledger: l, Sample: sample, Progress: progress, Now: e.now})
		},
		TempDir: fl.tempDir, MaxUpload: int64(max), TrustProxy: fl.trustProxy}, nil
}
