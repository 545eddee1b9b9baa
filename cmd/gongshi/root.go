package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/gongshi-archive/gongshi/internal/safefile"
	"github.com/gongshi-archive/gongshi/internal/termsafe"
)

// Exit codes, the same for every command.
const (
	exitOK       = 0 // success
	exitNo       = 1 // the check said no: mismatch, rejected
	exitOperator = 2 // usage or operational error
)

// env is what a command may see of the world; tests supply their own.
type env struct {
	getenv func(string) string
	stdin  io.Reader // nil: nothing to read
	stdout io.Writer
	stderr io.Writer
	now    func() time.Time
}

// exitError carries an exit code other than exitOperator up to run.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

// run executes one command line and returns the process exit code. Errors are
// printed as one line on stderr, never as a stack trace.
func run(ctx context.Context, args []string, e env) int {
	if e.now == nil {
		e.now = time.Now
	}
	root := newRoot(e)
	root.SetArgs(args)
	root.SetOut(e.stdout)
	root.SetErr(e.stderr)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return exitOK
	}
	code := exitOperator
	var ee *exitError
	if errors.As(err, &ee) {
		code = ee.code
	}
	if !errors.Is(err, errSilent) {
		fmt.Fprintf(e.stderr, "gongshi: %s\n", errorText(err))
	}
	return code
}

// errorText is err as printed: its message escaped for the terminal (termsafe),
// so that a file name or a value quoted in it cannot start a line, recolour
// the screen or turn text around. An error is one line; a list of problems
// (*linesError) is one line each, each escaped.
func errorText(err error) string {
	if le, ok := err.(*linesError); ok {
		var b strings.Builder
		b.WriteString(termsafe.Escape(le.head))
		for _, l := range le.lines {
			b.WriteString("\n  - " + termsafe.Escape(l))
		}
		return b.String()
	}
	return termsafe.Escape(err.Error())
}

// linesError is an error of several lines: what is wrong, then one problem a
// line (what to fix).
type linesError struct {
	head  string
	lines []string
}

func (e *linesError) Error() string {
	return e.head + "\n  - " + strings.Join(e.lines, "\n  - ")
}

// errSilent marks an error whose message the command has already printed.
var errSilent = errors.New("already reported")

func newRoot(e env) *cobra.Command {
	root := &cobra.Command{
		Use:   "gongshi",
		Short: "Gongshi (公示): electronic archive and disclosure portal for housing expropriation",
		Long: `Gongshi (公示) is the electronic archive and public disclosure portal of a
housing-expropriation department: archivists file signed documents, residents read
what was published, inspectors verify that nothing was altered.

The archive lives in a local directory (--data, default ./gongshi-data) or in an S3
bucket with object lock (--s3-endpoint and the other --s3-* flags). Every setting can
also come from its environment variable (GONGSHI_DATA, GONGSHI_S3_ENDPOINT, …);
a flag beats its variable.

Exit codes: 0 success, 1 the check said no, 2 usage or operational error.`,
		SilenceErrors: true,
		SilenceUsage:  true,
	}
	root.SetFlagErrorFunc(flagError)
	cfg := &config{now: e.now}
	cfg.addFlags(root)
	root.PersistentPreRunE = func(cmd *cobra.Command, args []string) error {
		return cfg.resolve(cmd.Flags(), e.getenv)
	}
	root.AddCommand(
		newVersionCmd(e),
		newProjectCmd(e, cfg),
		newDemoCmd(e, cfg),
		newIngestCmd(e, cfg),
		newKeysCmd(e, cfg),
		newVerifyCmd(e, cfg),
		newAuditCmd(e, cfg),
		newSearchCmd(e, cfg),
		newReindexCmd(e, cfg),
		newPublishCmd(e, cfg),
		newWithdrawCmd(e, cfg),
		newServeCmd(e, cfg),
		newLedgerCmd(e, cfg),
		newRetentionCmd(e, cfg),
		newHouseholdsCmd(e, cfg),
		newRequestsCmd(e, cfg),
		newExportCmd(e, cfg),
		newAccountsCmd(e, cfg),
	)
	return root
}

// groupHelp is the action of a command that only groups others: without arguments
// it shows the help; with an unknown subcommand it is a usage error, not a help page
// with exit code 0.
func groupHelp(cmd *cobra.Command, args []string) error {
	return cmd.Help()
}

// chinaTime is the zone in which times are shown to people: the archive's users are
// in China, which has one zone and no daylight saving.
var chinaTime = time.FixedZone("CST", 8*3600)

// writePrivate is the one writer of the files that commands leave for people to
// keep: reports, receipts, checkpoints saved for later. They hold record
// metadata, so they are their owner's only (0600). safefile writes them
// atomically (a temporary file in the same directory, synced, renamed), never
// through a symbolic link, and replaces an existing file only when replace is
// set: with --force, or where the command exists to update that file. flag
// names the option, for the error. The directory is made when it is missing
// (DATA/reports on a first run).
func writePrivate(flag, path string, replace bool, fill func(io.Writer) error) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return fmt.Errorf("%s %s: %v", flag, path, unwrapPath(err))
	}
	if err := safefile.Write(path, replace, fill); err != nil {
		return outputError(flag, path, err)
	}
	return nil
}

// writePrivateJSON writes v as JSON through writePrivate.
func writePrivateJSON(flag, path string, replace bool, v any) error {
	return writePrivate(flag, path, replace, func(w io.Writer) error { return writeJSON(w, v) })
}

// writeReport writes v as the JSON report of a command that was given no
// --report path: DATA/reports/NAME-TIME.json, or with -2, -3 ... before .json
// when another run (another process started in the same millisecond) took the
// name: the name is Gongshi's to choose, and no report replaces another. It
// returns the path written.
func writeReport(data, name string, at time.Time, v any) (string, error) {
	base := filepath.Join(data, "reports", name+"-"+at.UTC().Format("20060102T150405.000Z"))
	for i := 1; ; i++ {
		path := base + ".json"
		if i > 1 {
			path = fmt.Sprintf("%s-%d.json", base, i)
		}
		err := writePrivateJSON("report", path, false, v)
		if err == nil || !errors.Is(err, safefile.ErrExists) || i == 100 {
			return path, err
		}
	}
}

// checkOutput refuses, before any work is done, an output path that
// writePrivate would refuse at the end: a batch of ten thousand documents
// should not be filed only to fail to save its report.
func checkOutput(flag, path string, replace bool) error {
	if path == "" {
		return nil
	}
	if err := safefile.Check(path, replace); err != nil {
		return outputError(flag, path, err)
	}
	return nil
}

// outputError says what is wrong with an output path, and what to do.
func outputError(flag, path string, err error) error {
	switch {
	case errors.Is(err, safefile.ErrExists):
		return &wrapped{fmt.Sprintf("%s %s: the file exists: give another name, or --force to replace it", flag, path), err}
	case errors.Is(err, safefile.ErrLink):
		return &wrapped{fmt.Sprintf("%s %s: is a symbolic link, which Gongshi does not write through nor replace: give the path of the file itself", flag, path), err}
	}
	return &wrapped{fmt.Sprintf("%s %s: %v", flag, path, unwrapPath(err)), err}
}

// wrapped is an error with a message of its own that still matches the error
// it explains (errors.Is).
type wrapped struct {
	msg string
	err error
}

func (w *wrapped) Error() string { return w.msg }
func (w *wrapped) Unwrap() error { return w.err }
