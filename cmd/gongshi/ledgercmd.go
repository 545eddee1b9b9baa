package main

import (
	"context"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/gongshi-archive/gongshi/archive"
	"github.com/gongshi-archive/gongshi/archive/ledger"
)

func newLedgerCmd(e env, cfg *config) *cobra.Command {
	c := &cobra.Command{
		Use:   "ledger",
		Short: "Maintain the ledger (账本)",
		Args:  cobra.NoArgs,
		RunE:  groupHelp,
	}
	c.AddCommand(newLedgerBackfillCmd(e, cfg))
	return c
}

// backfilled is one version that the backfill ledgered (or, with --dry-run, would).
type backfilled struct {
	Subject archive.SubjectKind `json:"subject"`
	ID      string              `json:"id"`
	Version int                 `json:"version"`
	Key     string              `json:"key"`
	Index   *int64              `json:"index,omitempty"`
}

type backfillReport struct {
	DryRun   bool         `json:"dry_run"`
	Checked  int          `json:"checked"`
	Ledgered []backfilled `json:"ledgered"`
}

func newLedgerBackfillCmd(e env, cfg *config) *cobra.Command {
	var dryRun, asJSON bool
	c := &cobra.Command{
		Use:   "backfill [--dry-run] [--json]",
		Short: "Give the project versions stored before projects were ledgered their ledger entries",
		Long: `Project versions are ledger entries since the second form of entry (v2); those stored
before have none. backfill appends one for every project version without an entry, with
the actor "backfill" (who made the change is not known) and the version's own time, and
lists each. It is idempotent: a version that has its entry is left alone, so a second run
appends nothing. Run it once after upgrading, and read the list: a version in it that
nobody made is a forgery to report, not to ledger (--dry-run lists without appending).
Record versions are never backfilled: they have always been ledgered, and one without
an entry is what 'gongshi audit' reports.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			o, err := cfg.open(ctx, e)
			if err != nil {
				return err
			}
			defer o.close()
			a, l := o.a, o.l
			rep, err := backfill(ctx, a.ProjectStore(), l, dryRun)
			if err != nil {
				return err
			}
			if asJSON {
				return writeJSON(e.stdout, rep)
			}
			printBackfill(e.stdout, rep)
			return nil
		},
	}
	c.Flags().BoolVar(&dryRun, "dry-run", false, "list the versions without an entry, append nothing")
	c.Flags().BoolVar(&asJSON, "json", false, "print the result as JSON")
	return c
}

// backfill ledgers every version of vs that has no entry in l.
func backfill[T any](ctx context.Context, vs *archive.Versions[T], l *ledger.Log, dryRun bool) (backfillReport, error) {
	rep := backfillReport{DryRun: dryRun, Ledgered: []backfilled{}}
	var infos []archive.VersionInfo
	if err := vs.Walk(ctx, "", func(v archive.VersionInfo) error {
		infos = append(infos, v)
		return nil
	}); err != nil {
		return rep, fmt.Errorf("backfill: %w", err)
	}
	for _, v := range infos {
		rep.Checked++
		locs, err := l.LookupSubject(ctx, vs.Subject(), v.ID, v.Version)
		if err != nil {
			return rep, fmt.Errorf("backfill: %w", err)
		}
		if len(locs) > 0 {
			continue
		}
		b := backfilled{Subject: vs.Subject(), ID: v.ID, Version: v.Version, Key: v.Key}
		if !dryRun {
			if _, err := vs.Ledger(ctx, v.ID, v.Version); err != nil {
				return rep, fmt.Errorf("backfill: %w", err)
			}
			locs, err := l.LookupSubject(ctx, vs.Subject(), v.ID, v.Version)
			if err != nil || len(locs) == 0 {
				return rep, fmt.Errorf("backfill: %s %s version %d: appended, but not found in the ledger: %v", vs.Subject(), v.ID, v.Version, err)
			}
			b.Index = &locs[0].Index
		}
		rep.Ledgered = append(rep.Ledgered, b)
	}
	return rep, nil
}

func printBackfill(w io.Writer, rep backfillReport) {
	verb := "ledgered"
	if rep.DryRun {
		verb = "would ledger"
	}
	for _, b := range rep.Ledgered {
		if b.Index != nil {
			fmt.Fprintf(w, "%s %s %s version %d (%s) as entry %d\n", verb, b.Subject, b.ID, b.Version, b.Key, *b.Index)
		} else {
			fmt.Fprintf(w, "%s %s %s version %d (%s)\n", verb, b.Subject, b.ID, b.Version, b.Key)
		}
	}
	fmt.Fprintf(w, "backfill: %d version(s) checked, %d %s (补记账本)\n", rep.Checked, len(rep.Ledgered), verb)
}
