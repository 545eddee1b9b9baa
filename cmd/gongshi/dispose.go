package main

import (
	"errors"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/gongshi-archive/gongshi/internal/termsafe"
	"github.com/gongshi-archive/gongshi/retention"
)

// The disposal commands: a list proposed by one staff account, approved and
// carried out by another (docs/retention.md).

func newRetentionDisposeCmd(e env, cfg *config) *cobra.Command {
	var propose, approve, reason, token string
	var dryRun, asJSON bool
	c := &cobra.Command{
		Use:   "dispose (--propose LIST | --approve DISPOSAL) --token T --reason R [--dry-run] [--json]",
		Short: "Propose or approve the disposal of records that are due (鉴定销毁)",
		Long: `dispose takes a disposal through its two steps, each by a different staff account
and each a ledger entry under that account:

  --propose LIST    the list the appraisal meeting approved: a CSV as 'retention due
                    --csv' writes it (its first column; the rows the meeting keeps
                    removed) or one record id a line. Every record on it must be due:
                    its period run, no legal hold in force, its storage locks ended.
                    Prints the disposal's id.
  --approve ID      another account approves the proposed disposal and it is carried
                    out: a destruction list (销毁清册) per project is filed as a
                    permanent record, each record keeps a tombstone version (its
                    catalogue entry, who proposed and approved, and when), and the
                    content that no record that is kept needs is deleted from the
                    storage. An interrupted disposal is carried on by approving it
                    again (by the same approver).

--dry-run shows what would happen and stores nothing. Anything not due, held or still
locked is refused, naming each record, and nothing is done (exit 1).

Each step is taken by the staff account whose API token is given (--token, or the
environment variable GONGSHI_TOKEN, which keeps it out of the process list): an active
account with the archivist role ('gongshi accounts token LOGIN --name 销毁鉴定' makes
one). The proposer cannot approve their own list: the check is on the account, so one
person's two tokens are still one person.`,
		Example: `  gongshi retention due --csv > 2037年鉴定.csv     # the appraisal meeting keeps or strikes rows
  GONGSHI_TOKEN=gst_… gongshi retention dispose --propose 2037年鉴定.csv --reason "2037年鉴定会议决定销毁" --dry-run
  GONGSHI_TOKEN=gst_… gongshi retention dispose --propose 2037年鉴定.csv --reason "2037年鉴定会议决定销毁"
  GONGSHI_TOKEN=gst_… gongshi retention dispose --approve D20370105-k3mdx2qa --reason "同意销毁"   # another account's token`,
		Args: cobra.NoArgs,
		RunE: cfg.retentionRun(e, func(cmd *cobra.Command, args []string, rs *retentionSession) error {
			if (propose == "") == (approve == "") {
				return errors.New("give --propose LIST or --approve DISPOSAL (one of them)")
			}
			actor, err := staffActor(cmd.Context(), e, cfg, rs, token, "a disposal's step")
			if err != nil {
				return err
			}
			var ids []string
			if propose != "" {
				if ids, err = readList(propose); err != nil {
					return err
				}
			}
			ctx := cmd.Context()
			var plan *retention.Plan
			switch {
			case propose != "" && dryRun:
				plan, err = rs.ex.Preview(ctx, ids)
				if err == nil && len(plan.Problems) > 0 {
					err = fmt.Errorf("retention: propose: %w", retention.ErrNotDue)
				}
			case propose != "":
				var d retention.Disposal
				d, err = rs.ex.Propose(ctx, ids, reason, actor)
				if err == nil {
					// What its approval will do, as things stand now.
					if plan, err = rs.ex.Preview(ctx, ids); plan != nil {
						plan.Disposal = d
					}
				}
			default:
				plan, err = rs.ex.Approve(ctx, approve, reason, actor, dryRun)
				if err == nil && dryRun && len(plan.Problems) > 0 {
					err = fmt.Errorf("retention: approve %s: %w", approve, retention.ErrNotDue)
				}
			}
			if plan != nil {
				if asJSON {
					if jerr := writeJSON(e.stdout, plan); jerr != nil {
						return jerr
					}
				} else {
					printPlan(e.stdout, plan, propose != "", dryRun)
				}
			}
			return disposeExit(err)
		}),
	}
	c.Flags().StringVar(&propose, "propose", "", "propose the disposal of the records on this list (CSV of 'retention due --csv', or one id a line)")
	c.Flags().StringVar(&approve, "approve", "", "approve (and carry out) this proposed disposal")
	c.Flags().StringVar(&reason, "reason", "", "why (required): the appraisal meeting's decision, the approval")
	c.Flags().BoolVar(&dryRun, "dry-run", false, "show what would happen, store and delete nothing")
	c.Flags().BoolVar(&asJSON, "json", false, "print the plan as JSON")
	c.Flags().StringVar(&token, "token", "", "the API token of the staff account taking this step (default: $GONGSHI_TOKEN)")
	return c
}

// disposeExit gives a refused step exit 1 (the check said no), naming why.
func disposeExit(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, retention.ErrNotDue), errors.Is(err, retention.ErrLocked),
		errors.Is(err, retention.ErrSameAccount), errors.Is(err, retention.ErrStep):
		return &exitError{code: exitNo, err: err}
	}
	return notFoundExit(err)
}

// printPlan says what a disposal step did or would do.
func printPlan(w io.Writer, p *retention.Plan, proposing, dryRun bool) {
	d := p.Disposal
	switch {
	case len(p.Problems) > 0:
		fmt.Fprintf(w, "不能销毁 cannot be disposed of (nothing was done): %d problems\n", len(p.Problems))
		for _, s := range p.Problems {
			fmt.Fprintf(w, "  - %s\n", termsafe.Escape(s))
		}
		return
	case proposing && dryRun:
		fmt.Fprintf(w, "试运行 dry run: proposing these %d records would be accepted; nothing was stored\n", len(p.Records))
	case proposing:
		fmt.Fprintf(w, "已提出 proposed: disposal %s of %d records by %s\n", d.ID, len(d.Records), d.Proposer)
		fmt.Fprintf(w, "  another account approves it: gongshi retention dispose --approve %s --token T --reason R\n", d.ID)
	case dryRun:
		fmt.Fprintf(w, "试运行 dry run: approving disposal %s (proposed by %s) would do this; nothing was changed\n", d.ID, d.Proposer)
	default:
		fmt.Fprintf(w, "已销毁 disposed of: disposal %s, proposed by %s, approved by %s at %s\n", d.ID, d.Proposer, d.Approver,
			d.At.In(chinaTime).Format("2006-01-02 15:04 MST"))
	}
	verb := map[bool]string{true: "would be", false: "are"}[dryRun || proposing]
	fmt.Fprintf(w, "  records that %s disposed of (tombstones kept): %d\n", verb, len(p.Records))
	for _, pr := range p.Records {
		fmt.Fprintf(w, "    %s  %s  %s\n", pr.ID, termsafe.Escape(pr.Last.ArchivalCode), termsafe.Escape(pr.Last.Title))
	}
	fmt.Fprintf(w, "  content objects that %s deleted: %d\n", verb, len(p.Delete))
	if len(p.Keep) > 0 {
		fmt.Fprintf(w, "  content kept for records that are kept: %d\n", len(p.Keep))
		for _, k := range p.Keep {
			fmt.Fprintf(w, "    %s (kept by %d records)\n", k.Key, len(k.By))
		}
	}
	for _, l := range p.Lists {
		if l.ID != "" {
			fmt.Fprintf(w, "  销毁清册 destruction list of %s: record %s (%d records)\n", l.Project, l.ID, l.Records)
		} else {
			fmt.Fprintf(w, "  销毁清册 destruction list of %s: %d records, filed as a permanent record\n", l.Project, l.Records)
		}
	}
}

func newRetentionDisposalsCmd(e env, cfg *config) *cobra.Command {
	var asJSON bool
	c := &cobra.Command{
		Use:   "disposals [--json]",
		Short: "List the disposals: proposed, approved, done",
		Args:  cobra.NoArgs,
		RunE: cfg.retentionRun(e, func(cmd *cobra.Command, args []string, rs *retentionSession) error {
			ds, err := rs.ex.Disposals(cmd.Context())
			if err != nil {
				return err
			}
			type row struct {
				ID        string   `json:"id"`
				Step      string   `json:"step"`
				Records   int      `json:"records"`
				Proposer  string   `json:"proposer"`
				Approver  string   `json:"approver,omitempty"`
				At        string   `json:"at"`
				Registers []string `json:"destruction_lists,omitempty"`
				Deleted   int      `json:"content_deleted"`
				Kept      int      `json:"content_kept"`
			}
			rows := []row{}
			for _, d := range ds {
				rows = append(rows, row{ID: d.ID, Step: string(d.Step), Records: len(d.Records), Proposer: string(d.Proposer),
					Approver: string(d.Approver), At: d.At.In(chinaTime).Format("2006-01-02 15:04 MST"), Registers: d.Registers,
					Deleted: len(d.Deleted), Kept: len(d.Kept)})
			}
			if asJSON {
				return writeJSON(e.stdout, rows)
			}
			fmt.Fprintf(e.stdout, "销毁 disposals: %d\n", len(rows))
			if len(rows) == 0 {
				return nil
			}
			table := [][]string{{"销毁 disposal", "步骤 step", "件数 records", "提出 proposer", "批准 approver", "时间 at"}}
			for _, r := range rows {
				table = append(table, []string{r.ID, r.Step, fmt.Sprint(r.Records), r.Proposer, r.Approver, r.At})
			}
			return writeTable(e.stdout, table)
		}),
	}
	c.Flags().BoolVar(&asJSON, "json", false, "print as JSON")
	return c
}
