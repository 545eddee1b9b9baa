package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/gongshi-archive/gongshi/archive/audit"
)

type auditFlags struct {
	sample  string
	workers int
	restart bool
	report  string
	asJSON  bool
}

func newAuditCmd(e env, cfg *config) *cobra.Command {
	fl := &auditFlags{}
	c := &cobra.Command{
		Use:   "audit [--sample P%] [--json]",
		Short: "Check the fixity of the whole archive (完整性检查)",
		Long: `audit re-reads every content object and recomputes its SHA-256 and SM3,
compares them with the records, checks that every record version is in the ledger
and is what its entry says, that every ledger entry's record version exists, and
that the ledger's entries are those its signed checkpoint covers. Each failure is
appended to the ledger as a fixity_failure event, and the report names each
object concerned.

It reads on parallel workers, and an interrupted audit (killed, or Ctrl-C) resumes
where it stopped when run again (state in DATA/state/audit.json; --restart starts
over). --sample 10% re-reads a tenth of the content, a different tenth each run.

A content object that cannot be read (the store unavailable, a connection reset)
is read again a few times; if it still cannot be, it is reported as a read error,
not recorded in the ledger, and the exit code is 2: run the audit again once the
store is back.

Exit codes: 0 nothing wrong, 1 failures found, 2 error (read errors included).`,
		Example: `  gongshi audit
  gongshi audit --sample 10% --json > audit.json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runAudit(cmd.Context(), e, cfg, fl)
		},
	}
	f := c.Flags()
	f.StringVar(&fl.sample, "sample", "100%", "share of the content objects to re-read, e.g. 10%")
	f.IntVar(&fl.workers, "workers", 0, "parallel readers (default: 2 per core)")
	f.BoolVar(&fl.restart, "restart", false, "start over instead of resuming an interrupted audit")
	f.StringVar(&fl.report, "report", "", "where to write the JSON report (default: DATA/reports/audit-TIME.json)")
	f.BoolVar(&fl.asJSON, "json", false, "print the report as JSON")
	return c
}

// parseSample reads "10%", "10" (percent) or "100%".
func parseSample(s string) (float64, error) {
	v, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(s), "%"), 64)
	if err != nil || v <= 0 || v > 100 {
		return 0, fmt.Errorf("--sample %q: want a percentage above 0 and at most 100, like 10%%", s)
	}
	return v / 100, nil
}

func runAudit(ctx context.Context, e env, cfg *config, fl *auditFlags) error {
	sample, err := parseSample(fl.sample)
	if err != nil {
		return err
	}
	workers := fl.workers
	if workers <= 0 {
		workers = 2 * runtime.GOMAXPROCS(0)
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
	p := newAuditProgress(e)
	rep, err := audit.Run(ctx, audit.Options{Store: st, Archive: a, Ledger: l, Workers: workers, Sample: sample,
		StatePath: filepath.Join(cfg.data, "state", "audit.json"), Restart: fl.restart, Now: e.now, Progress: p.update})
	p.finish()
	if err != nil {
		return err
	}
	path := fl.report
	if path == "" {
		path = filepath.Join(cfg.data, "reports", "audit-"+rep.Started.Format("20060102T150405.000Z")+".json")
	}
	if err := writePrivateJSON(path, rep); err != nil {
		return err
	}
	if fl.asJSON {
		if err := writeJSON(e.stdout, rep); err != nil {
			return err
		}
	} else {
		printAudit(e.stdout, rep, path)
	}
	if len(rep.ReadErrors) > 0 {
		return &exitError{code: exitOperator, err: fmt.Errorf("%d content object(s) could not be read, so were not checked; see %s", len(rep.ReadErrors), path)}
	}
	if !rep.OK {
		return &exitError{code: exitNo, err: errSilent}
	}
	return nil
}

func printAudit(w io.Writer, rep audit.Report, path string) {
	if rep.OK {
		fmt.Fprintln(w, "AUDIT OK: nothing is damaged, missing or unrecorded")
	} else if len(rep.Failures) > 0 {
		fmt.Fprintf(w, "AUDIT FOUND %d PROBLEM(S):\n", len(rep.Failures))
		for _, f := range rep.Failures {
			fmt.Fprintf(w, "  %-20s %s\n", f.Kind, f.Key)
			if f.Record != "" {
				fmt.Fprintf(w, "  %-20s record %s version %d\n", "", f.Record, f.Version)
			}
			fmt.Fprintf(w, "  %-20s %s\n", "", f.Detail)
			if f.LedgerIndex != nil {
				fmt.Fprintf(w, "  %-20s recorded as ledger entry %d\n", "", *f.LedgerIndex)
			}
		}
		if rep.LedgerError != "" {
			fmt.Fprintf(w, "  could not record the failures in the ledger: %s\n", rep.LedgerError)
		}
	}
	if len(rep.ReadErrors) > 0 {
		fmt.Fprintf(w, "AUDIT INCOMPLETE: %d content object(s) could not be read (not recorded in the ledger; audit again when the store is back):\n", len(rep.ReadErrors))
		for _, e := range rep.ReadErrors {
			fmt.Fprintf(w, "  %-20s %s\n", "read_error", e.Key)
			fmt.Fprintf(w, "  %-20s %s\n", "", e.Detail)
		}
	}
	resumed := ""
	if rep.Resumed {
		resumed = ", resuming an interrupted audit"
	}
	fmt.Fprintf(w, "  checked: %d record versions, %d ledger entries (signed checkpoint of %d), %d content objects\n",
		rep.RecordVersions, rep.LedgerEntries, rep.TreeSize, rep.ContentObjects)
	fmt.Fprintf(w, "  re-read: %d objects, %s (sample %g%%%s)\n", rep.Read, humanBytes(rep.ReadBytes), rep.Sample*100, resumed)
	fmt.Fprintf(w, "  report:  %s\n", path)
}

func humanBytes(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d bytes", n)
}

// auditProgress shows a progress bar on a terminal, and otherwise one log line per
// tenth of the work, so that a log file shows progress without a line per object.
type auditProgress struct {
	e     env
	bar   *progressbar.ProgressBar
	tenth int64
}

func newAuditProgress(e env) *auditProgress {
	return &auditProgress{e: e, tenth: -1}
}

func (p *auditProgress) update(pr audit.Progress) {
	if p.tenth < 0 { // the first object: now the total is known
		p.tenth = 0
		if f, ok := p.e.stderr.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
			p.bar = progressbar.NewOptions64(pr.TotalBytes, progressbar.OptionSetWriter(f),
				progressbar.OptionSetDescription("audit"), progressbar.OptionShowBytes(true),
				progressbar.OptionSetPredictTime(true), progressbar.OptionClearOnFinish())
		}
	}
	if p.bar != nil {
		p.bar.Set64(pr.DoneBytes)
		return
	}
	if t := pr.Done * 10 / max(pr.Total, 1); t > p.tenth {
		p.tenth = t
		fmt.Fprintf(p.e.stderr, "audit: %d%% (%d of %d objects, %s)\n", t*10, pr.Done, pr.Total, humanBytes(pr.DoneBytes))
	}
}

func (p *auditProgress) finish() {
	if p.bar != nil {
		p.bar.Finish()
	}
}
