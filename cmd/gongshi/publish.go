package main

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/gongshi-archive/gongshi/archive"
	"github.com/gongshi-archive/gongshi/ingest"
	"github.com/gongshi-archive/gongshi/internal/termsafe"
)

type publishFlags struct {
	reason string
	asJSON bool
}

func newPublishCmd(e env, cfg *config) *cobra.Command {
	fl := &publishFlags{}
	c := &cobra.Command{
		Use:   "publish ID... [--reason R]",
		Short: "Publish records (公开)",
		Long: `publish makes records visible to those their disclosure class allows: a public
record to anyone, an area record to the verified households of its project, an
on-request record's catalogue entry to anyone (its content waits for a granted
request). Household and restricted records cannot be published: they are
refused, and nothing is stored for them. Each publication is a version of the
record's publication state and a ledger entry naming who (the command line) and
the reason's digest.

Exit codes: 0 all published (or already), 1 some refused or not found, 2 error.`,
		Example: `  gongshi publish gbbefkruiwd6ty32k7hdbvpkgm
  gongshi publish ID1 ID2 --reason 依法主动公开`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runPublication(cmd.Context(), e, cfg, fl, args, archive.Published)
		},
	}
	c.Flags().StringVar(&fl.reason, "reason", "", "why (recorded with the publication)")
	c.Flags().BoolVar(&fl.asJSON, "json", false, "print the results as JSON")
	return c
}

func newWithdrawCmd(e env, cfg *config) *cobra.Command {
	fl := &publishFlags{}
	c := &cobra.Command{
		Use:   "withdraw ID... --reason R",
		Short: "Withdraw published records (撤回公开)",
		Long: `withdraw ends the publication of records: they leave the public pages, feeds,
API and search at the next look of the portal at the ledger, while the archive
keeps them and the history of their publication. The reason is required; the
ledger entry carries its digest.

Exit codes: 0 all withdrawn (or not published), 1 some not found, 2 error.`,
		Example: `  gongshi withdraw gbbefkruiwd6ty32k7hdbvpkgm --reason 含有未遮盖的个人信息`,
		Args:    cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if fl.reason == "" {
				return errors.New("--reason is required: say why the publication is withdrawn")
			}
			return runPublication(cmd.Context(), e, cfg, fl, args, archive.Withdrawn)
		},
	}
	c.Flags().StringVar(&fl.reason, "reason", "", "why (required)")
	c.Flags().BoolVar(&fl.asJSON, "json", false, "print the results as JSON")
	return c
}

// publicationResult is one record's outcome.
type publicationResult struct {
	ID          string               `json:"id"`
	Outcome     string               `json:"outcome"` // published, withdrawn, unchanged, refused, not_found
	Publication *archive.Publication `json:"publication,omitempty"`
	Reason      string               `json:"reason,omitempty"`
}

func runPublication(ctx context.Context, e env, cfg *config, fl *publishFlags, ids []string, to archive.PublicationStatus) error {
	a, closeFn, err := cfg.openArchive(ctx, e)
	if err != nil {
		return err
	}
	defer closeFn()
	results, refused, err := changePublications(ctx, a, ids, to, fl.reason)
	if err != nil {
		return err
	}
	if fl.asJSON {
		if err := writeJSON(e.stdout, results); err != nil {
			return err
		}
	} else {
		printPublications(e.stdout, results, to, "拒绝 refused")
	}
	if refused {
		return &exitError{code: exitNo, err: errSilent}
	}
	return nil
}

// changePublications publishes (to Published) or withdraws each record as the
// command line: ingest --publish and publish/withdraw. refused: a record could
// not be (its class, not found); an operational error stops.
func changePublications(ctx context.Context, a *archive.Archive, ids []string, to archive.PublicationStatus, reason string) (results []publicationResult, refused bool, err error) {
	for _, id := range ids {
		var p archive.Publication
		var err error
		if to == archive.Published {
			p, err = a.Publish(ctx, id, archive.ActorCLI, reason)
		} else {
			p, err = a.Withdraw(ctx, id, archive.ActorCLI, reason)
		}
		r := publicationResult{ID: id, Outcome: string(to)}
		switch {
		case err == nil:
			r.Publication = &p
		case errors.Is(err, archive.ErrUnchanged), errors.Is(err, archive.ErrNotPublished):
			r.Outcome = "unchanged"
			if p.Version > 0 {
				r.Publication = &p
			}
		case errors.Is(err, archive.ErrNotPublishable), errors.Is(err, archive.ErrInvalid):
			r.Outcome, r.Reason, refused = "refused", err.Error(), true
		case errors.Is(err, archive.ErrNotFound):
			r.Outcome, r.Reason, refused = "not_found", err.Error(), true
		default:
			return results, refused, err
		}
		results = append(results, r)
	}
	return results, refused, nil
}

// printPublications prints the outcomes of changePublications; refused is the
// word for a record that could not be changed.
func printPublications(w io.Writer, results []publicationResult, to archive.PublicationStatus, refused string) {
	for _, r := range results {
		switch r.Outcome {
		case "published":
			fmt.Fprintf(w, "已公开 published: %s (record version %d, publication version %d)\n", r.ID, r.Publication.RecordVersion, r.Publication.Version)
		case "withdrawn":
			fmt.Fprintf(w, "已撤回 withdrawn: %s (publication version %d)\n", r.ID, r.Publication.Version)
		case "unchanged":
			state := "published"
			if to == archive.Withdrawn {
				state = "not published"
			}
			fmt.Fprintf(w, "未变 unchanged: %s is already %s\n", r.ID, state)
		default:
			fmt.Fprintf(w, "%s: %s\n", refused, termsafe.Escape(r.Reason))
		}
	}
}

// publishFiled publishes the records of what an ingest filed (or found filed),
// as gongshi publish does, for ingest --publish: a class that forbids
// publication is reported and makes the exit code 1; the filing stands. With
// --json the lines go to stderr, to keep stdout the filing's JSON.
func publishFiled(ctx context.Context, e env, asJSON bool, a *archive.Archive, results []ingest.Result) error {
	var ids []string
	for _, r := range results {
		if r.Record.ID != "" && (r.Status == ingest.StatusFiled || r.Status == ingest.StatusAlreadyFiled) {
			ids = append(ids, r.Record.ID)
		}
	}
	out, refused, err := changePublications(ctx, a, ids, archive.Published, "")
	w := e.stdout
	if asJSON {
		w = e.stderr
	}
	// Filed, but not published: said as such, the filing stands.
	printPublications(w, out, archive.Published, "未公开 not published")
	if err != nil {
		return err
	}
	if refused {
		return &exitError{code: exitNo, err: errSilent}
	}
	return nil
}
