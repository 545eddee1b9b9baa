package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"
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
		fmt.Fprintf(e.stderr, "gongshi: %v\n", err)
	}
	return code
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
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return fmt.Errorf("%s: %w (see '%s --help')", c.CommandPath(), err, c.CommandPath())
	})
	cfg := &config{}
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
		newServeCmd(e, cfg),
		newLedgerCmd(e, cfg),
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

// writePrivateJSON writes v as JSON to a new file at path, readable by its owner
// only: reports hold record metadata, which may include per-household data.
func writePrivateJSON(path string, v any) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return fmt.Errorf("report: %v", unwrapPath(err))
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return fmt.Errorf("report: %v", unwrapPath(err))
	}
	if err := writeJSON(f, v); err != nil {
		f.Close()
		return fmt.Errorf("report: %v", err)
	}
	return f.Close()
}
