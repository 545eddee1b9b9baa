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
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/gongshi-archive/gongshi/archive/audit"
	"github.com/gongshi-archive/gongshi/archive/ledger"
	"github.com/gongshi-archive/gongshi/internal/termsafe"
)

type auditFlags struct {
	sample   string
	workers  int
	restart  bool
	report   string
	asJSON   bool
	inFlight time.Duration
	force    bool
	repair   bool
}

func newAuditCmd(e env, cfg *config) *cobra.Command {
	fl := &auditFlags{}
	c := &cobra.Command{
		Use:   "audit [--sample P%] [--json]",
		Short: "Check the fixity of the whole archive (完整性检查)",
		Long: `audit re-reads every content object and recomputes its SHA-256 and SM3,
compares them with the records, checks that every record version is in the ledger
and is what its entry says, that every ledger entry's record version exists, and
checks the ledger itself (its batches, signed checkpoints, hash tiles and lookup
keys), the content markers and the archival-number claims. The report names every
object missing, changed, extra or forged, and what it should be.

Filings may go on while the audit runs. An unfinished object younger than
--in-flight (a record version still without its ledger entry, a batch without its
checkpoint) is reported as in flight, not as a failure, and every failure is
looked at a second time before it counts. Confirmed failures of record versions
are appended to the ledger as fixity_failure events, in one batch; nothing is
appended while the ledger itself is damaged: the audit stores a damage notice and
the ledger refuses appends until it is restored. --repair rebuilds derived objects
(content markers, lookup keys, tiles) from their sources and says what it made;
it never rebuilds an authoritative one.

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
	f.BoolVar(&fl.force, "force", false, "replace the --report file if it exists")
	f.BoolVar(&fl.asJSON, "json", false, "print the report as JSON")
	f.DurationVar(&fl.inFlight, "in-flight", ledger.DefaultInFlight, "age under which an unfinished object is a filing at work, not a failure")
	f.BoolVar(&fl.repair, "repair", false, "rebuild the derived objects found missing, altered or extra (never authoritative ones)")
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
	if err := checkOutput("--report", fl.report, fl.force); err != nil {
		return err
	}
	workers := fl.workers
	if workers <= 0 {
		workers = 2 * runtime.GOMAXPROCS(0)
	}
	o, err := cfg.open(ctx, e)
	if err != nil {
		return err
	}
	defer o.close()
	st, a, l := o.st, o.a, o.l
	p := newAuditProgress(e)
	rep, err := audit.Run(ctx, audit.Options{Store: st, Archive: a, Ledger: l, Workers: workers, Sample: sample,
		StatePath: filepath.Join(cfg.data, "state", "audit.json"), Restart: fl.restart, Now: e.now, Progress: p.update,
		InFlight: fl.inFlight, Repair: fl.repair})
	p.finish()
	if err != nil {
		return err
	}
	path := fl.report
	if path == "" {
		path, err = writeReport(cfg.data, "audit", rep.Started, rep)
	} else {
		err = writePrivateJSON("--report", path, fl.force, rep)
	}
	if err != nil {
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

// printedPerKind bounds the failures of one kind listed on the terminal; the
// report file has them all.
const printedPerKind = 10

func printAudit(w io.Writer, rep audit.Report, path string) {
	switch {
	case rep.OK && len(rep.Repairs) > 0:
		fmt.Fprintln(w, "AUDIT OK after repairs: every derived object found damaged was rebuilt; nothing else is damaged, missing or unrecorded")
	case rep.OK:
		fmt.Fprintln(w, "AUDIT OK: nothing is damaged, missing or unrecorded")
	case len(rep.Failures) > 0:
		fmt.Fprintf(w, "AUDIT FOUND %d PROBLEM(S):\n", len(rep.Failures))
		printFailures(w, rep.Failures, true)
	}
	if rep.LedgerDamaged {
		fmt.Fprintln(w, "  nothing was appended to the ledger: an authoritative part of it is damaged. Restore the objects named above from a copy;")
		fmt.Fprintln(w, "  until an audit finds the ledger whole again, it refuses every append (filing stops).")
		if rep.DamageNotice != "" {
			fmt.Fprintf(w, "  damage notice: %s\n", rep.DamageNotice)
		}
	}
	if rep.WholeNotice != "" {
		fmt.Fprintf(w, "  the ledger, found damaged by an earlier audit, is whole again: appends resume (notice %s)\n", rep.WholeNotice)
	}
	if rep.LedgerError != "" {
		fmt.Fprintf(w, "  could not record the failures in the ledger: %s\n", rep.LedgerError)
	}
	if len(rep.Repairs) > 0 {
		fmt.Fprintf(w, "REPAIRED %d derived object(s):\n", len(rep.Repairs))
		for _, r := range rep.Repairs {
			fmt.Fprintf(w, "  %s\n", termsafe.Escape(r))
		}
	}
	for _, r := range rep.RepairErrors {
		fmt.Fprintf(w, "  %s\n", termsafe.Escape(r))
	}
	if len(rep.InFlight) > 0 {
		fmt.Fprintf(w, "IN FLIGHT, not failures (%d, younger than %s: filings at work):\n", len(rep.InFlight), rep.InFlightBound)
		printFailures(w, rep.InFlight, false)
	}
	if len(rep.Unconfirmed) > 0 {
		fmt.Fprintf(w, "UNCONFIRMED, not failures (%d: changed between the audit's two looks):\n", len(rep.Unconfirmed))
		printFailures(w, rep.Unconfirmed, false)
	}
	if len(rep.Notices) > 0 {
		fmt.Fprintf(w, "NOTICES (%d: left by interrupted filings, harmless):\n", len(rep.Notices))
		printFailures(w, rep.Notices, false)
	}
	if len(rep.ReadErrors) > 0 {
		fmt.Fprintf(w, "AUDIT INCOMPLETE: %d content object(s) could not be read (not recorded in the ledger; audit again when the store is back):\n", len(rep.ReadErrors))
		for _, e := range rep.ReadErrors {
			fmt.Fprintf(w, "  %-20s %s\n", "read_error", termsafe.Escape(e.Key))
			fmt.Fprintf(w, "  %-20s %s\n", "", termsafe.Escape(e.Detail))
		}
	}
	resumed := ""
	if rep.Resumed {
		resumed = ", resuming an interrupted audit"
	}
	fmt.Fprintf(w, "  checked: %d record versions, %d project versions, %d ledger entries (signed checkpoint of %d), %d content objects\n",
		rep.RecordVersions, rep.ProjectVersions, rep.LedgerEntries, rep.TreeSize, rep.ContentObjects)
	if l := rep.Ledger; l != nil {
		fmt.Fprintf(w, "  ledger:  %d batches, %d checkpoints, %d tiles, %d lookup keys; %d content markers, %d code markers, %d number claims\n",
			l.Batches, l.Checkpoints, l.Tiles, l.LookupKeys, rep.Markers, rep.CodeMarkers, rep.Claims)
		if l.Unchecked != "" {
			fmt.Fprintf(w, "  not checked: %s\n", l.Unchecked)
		}
	}
	fmt.Fprintf(w, "  re-read: %d objects, %s (sample %g%%%s)\n", rep.Read, humanBytes(rep.ReadBytes), rep.Sample*100, resumed)
	fmt.Fprintf(w, "  report:  %s\n", termsafe.Escape(path))
}

// printFailures lists fs, at most printedPerKind of each kind.
func printFailures(w io.Writer, fs []audit.Failure, full bool) {
	count := map[string]int{}
	for _, f := range fs {
		count[f.Kind]++
		if count[f.Kind] > printedPerKind {
			continue
		}
		fmt.Fprintf(w, "  %-20s %s\n", f.Kind, termsafe.Escape(f.Key))
		if f.Record != "" {
			fmt.Fprintf(w, "  %-20s record %s version %d\n", "", f.Record, f.Version)
		}
		fmt.Fprintf(w, "  %-20s %s\n", "", termsafe.Escape(f.Detail))
		if full && f.Want != "" {
			fmt.Fprintf(w, "  %-20s should be: %s\n", "", termsafe.Escape(f.Want))
		}
		if f.Repaired != "" {
			fmt.Fprintf(w, "  %-20s repaired: %s\n", "", termsafe.Escape(f.Repaired))
		}
		if f.LedgerIndex != nil {
			fmt.Fprintf(w, "  %-20s recorded as ledger entry %d\n", "", *f.LedgerIndex)
		}
	}
	for _, f := range fs {
		if n := count[f.Kind]; n > printedPerKind {
			fmt.Fprintf(w, "  … and %d more %s (all in the report)\n", n-printedPerKind, f.Kind)
			count[f.Kind] = 0
		}
	}
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
