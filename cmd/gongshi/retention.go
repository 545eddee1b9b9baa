package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/gongshi-archive/gongshi/archive"
	"github.com/gongshi-archive/gongshi/internal/safefile"
	"github.com/gongshi-archive/gongshi/internal/sheetsafe"
	"github.com/gongshi-archive/gongshi/retention"
	"github.com/gongshi-archive/gongshi/staff"
)

// The retention commands: how long records are kept, legal holds, and disposal.
// docs/retention.md has the model and real output.

func newRetentionCmd(e env, cfg *config) *cobra.Command {
	c := &cobra.Command{
		Use:   "retention",
		Short: "Retention periods, legal holds and disposal (保管期限、诉讼保全、销毁)",
		Long: `retention shows how long records are kept and makes the storage enforce it.

Every record keeps its schedule (period Y, D30 or D10, counted from the document's
date or the close of its project, from the following 1 January) and its objects are
locked in the storage until it is due; a legal hold keeps what it covers however long
its period. Disposal takes two staff accounts: one proposes a list of records that are
due, another approves it; each record then keeps a tombstone, and a destruction list
(销毁清册) is filed as a permanent record.`,
		Args: cobra.NoArgs,
		RunE: groupHelp,
	}
	c.AddCommand(newRetentionDueCmd(e, cfg), newRetentionStatusCmd(e, cfg), newRetentionHoldCmd(e, cfg),
		newRetentionReleaseCmd(e, cfg), newRetentionHoldsCmd(e, cfg), newRetentionExtendCmd(e, cfg),
		newRetentionCloseCmd(e, cfg), newRetentionLockCmd(e, cfg), newRetentionDisposeCmd(e, cfg), newRetentionDisposalsCmd(e, cfg))
	return c
}

// retentionSession is an open archive with its retention executor.
type retentionSession struct {
	*opened
	ex *retention.Executor
}

// retentionRun is a command's RunE that opens the archive with its retention
// executor for fn and closes it after.
func (c *config) retentionRun(e env, fn func(cmd *cobra.Command, args []string, rs *retentionSession) error) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, args []string) error {
		return withService(cmd.Context(), c, e, func(o *opened) (*retentionSession, error) {
			rules, err := c.retentionRules(o.a.Catalogue())
			if err != nil {
				return nil, err
			}
			ex := retention.New(retention.Options{Archive: o.a, Store: o.st, Rules: rules, Now: e.now})
			return &retentionSession{opened: o, ex: ex}, nil
		}, func(rs *retentionSession) error { return fn(cmd, args, rs) })
	}
}

// retentionRules are the deployment's rules: its schedule file
// (--retention-schedule), over the catalogue.
func (c *config) retentionRules(cat *archive.Catalogue) (*retention.Rules, error) {
	s, err := retention.LoadSchedules(c.retentionSchedule, cat)
	if err != nil {
		return nil, fmt.Errorf("--retention-schedule (GONGSHI_RETENTION_SCHEDULE): %w", err)
	}
	return &retention.Rules{Schedules: s}, nil
}

// entryRow is one record as the retention lists show it (JSON and CSV).
type entryRow struct {
	Record       string                   `json:"record"`
	Project      string                   `json:"project"`
	Type         string                   `json:"type"`
	Title        string                   `json:"title"`
	ArchivalCode string                   `json:"archival_code,omitempty"`
	DocNumber    string                   `json:"doc_number,omitempty"`
	Issuer       string                   `json:"issuer,omitempty"`
	Date         archive.Date             `json:"date,omitzero"`
	State        retention.State          `json:"state"`
	Period       archive.RetentionCode    `json:"period"`
	Trigger      archive.RetentionTrigger `json:"trigger"`
	From         archive.Date             `json:"from,omitzero"`
	Due          archive.Date             `json:"due,omitzero"`
	Holds        []string                 `json:"holds,omitempty"`
}

func rowOf(en retention.Entry) entryRow {
	r, s := en.Record, en.Status
	return entryRow{Record: r.ID, Project: r.Project, Type: r.Type, Title: r.Title, ArchivalCode: r.ArchivalCode,
		DocNumber: r.DocNumber, Issuer: r.Issuer, Date: r.Date, State: s.State, Period: s.Schedule.Period,
		Trigger: s.Schedule.Trigger, From: s.Schedule.From, Due: s.Due, Holds: s.Holds}
}

// stateText names a state for people.
func stateText(s retention.State) string {
	return map[retention.State]string{
		retention.Permanent: "永久 permanent", retention.Waiting: "待项目结束 waiting for the close",
		retention.Kept: "保管中 kept", retention.Due: "到期 due", retention.Held: "冻结 held", retention.Disposed: "已销毁 disposed",
	}[s]
}

func triggerText(t archive.RetentionTrigger) string {
	if t == archive.TriggerProjectClose {
		return "项目结束 close"
	}
	return "成文日期 date"
}

func dateText(d archive.Date) string {
	if d.IsZero() {
		return "-"
	}
	return d.String()
}

// dueCSVHeader are the columns of 'retention due --csv', for the appraisal
// meeting; 'dispose --propose' reads the first one back.
var dueCSVHeader = []string{"记录标识", "项目", "档号", "题名", "文号", "责任者", "成文日期", "文件类型", "保管期限", "起算", "起算日期", "到期日期", "状态"}

func writeDueCSV(w io.Writer, rows []entryRow) error {
	var buf bytes.Buffer
	buf.WriteString("\ufeff") // so that spreadsheet programs read the Chinese as UTF-8
	cw := sheetsafe.NewWriter(&buf, true)
	cw.Write(dueCSVHeader)
	for _, r := range rows {
		cw.Write([]string{r.Record, r.Project, r.ArchivalCode, r.Title, r.DocNumber, r.Issuer, dateText(r.Date), r.Type,
			string(r.Period), string(r.Trigger), dateText(r.From), dateText(r.Due), string(r.State)})
	}
	if err := cw.Flush(); err != nil {
		return err
	}
	_, err := w.Write(buf.Bytes())
	return err
}

func printRows(w io.Writer, rows []entryRow) error {
	table := [][]string{{"记录 record", "项目 project", "档号 code", "题名 title", "期限 period", "起算 from", "到期 due", "状态 state"}}
	for _, r := range rows {
		table = append(table, []string{r.Record, r.Project, r.ArchivalCode, r.Title, string(r.Period),
			triggerText(r.Trigger) + " " + dateText(r.From), dateText(r.Due), stateText(r.State)})
	}
	return writeTable(w, table)
}

func newRetentionDueCmd(e env, cfg *config) *cobra.Command {
	var asJSON, asCSV, all bool
	var project string
	c := &cobra.Command{
		Use:   "due [--json | --csv] [--all] [--project CODE]",
		Short: "List the records whose retention period has run (到期档案)",
		Long: `due lists the records whose retention period has run and that no legal hold
covers: what the appraisal meeting may propose for disposal. --csv writes the list for
a spreadsheet (UTF-8 with a byte-order mark); a copy with the rows the meeting keeps is
what 'retention dispose --propose' takes. --all lists every record with where it stands
(permanent, kept until, waiting for its project's close, held, due, disposed).`,
		Example: `  gongshi retention due
  gongshi retention due --csv > 2037年鉴定.csv
  gongshi retention due --all --project CC-2026-001 --json`,
		Args: cobra.NoArgs,
		RunE: cfg.retentionRun(e, func(cmd *cobra.Command, args []string, rs *retentionSession) error {
			if asJSON && asCSV {
				return errors.New("give --json or --csv, not both")
			}
			entries, err := rs.ex.Entries(cmd.Context(), func(en retention.Entry) bool {
				return (all || en.Status.State == retention.Due) && (project == "" || en.Record.Project == project)
			})
			if err != nil {
				return err
			}
			rows := make([]entryRow, 0, len(entries))
			for _, en := range entries {
				rows = append(rows, rowOf(en))
			}
			switch {
			case asJSON:
				return writeJSON(e.stdout, rows)
			case asCSV:
				return writeDueCSV(e.stdout, rows)
			}
			at := e.now().In(chinaTime).Format("2006-01-02 15:04 MST")
			if all {
				fmt.Fprintf(e.stdout, "保管期限 retention of %d records (at %s)\n", len(rows), at)
			} else {
				fmt.Fprintf(e.stdout, "到期可鉴定销毁 due for disposal: %d records (at %s)\n", len(rows), at)
			}
			if len(rows) == 0 {
				return nil
			}
			return printRows(e.stdout, rows)
		}),
	}
	c.Flags().BoolVar(&asJSON, "json", false, "print the list as JSON")
	c.Flags().BoolVar(&asCSV, "csv", false, "print the list as CSV (UTF-8 with BOM), for a spreadsheet")
	c.Flags().BoolVar(&all, "all", false, "list every record and where it stands, not only those due")
	c.Flags().StringVar(&project, "project", "", "only the records of this project")
	return c
}

func newRetentionStatusCmd(e env, cfg *config) *cobra.Command {
	var asJSON bool
	c := &cobra.Command{
		Use:   "status RECORD [--json]",
		Short: "Show how long a record is kept, and whether it is held",
		Args:  cobra.ExactArgs(1),
		RunE: cfg.retentionRun(e, func(cmd *cobra.Command, args []string, rs *retentionSession) error {
			en, err := rs.ex.StatusOf(cmd.Context(), args[0])
			if err != nil {
				return notFoundExit(err)
			}
			row := rowOf(en)
			if asJSON {
				return writeJSON(e.stdout, row)
			}
			return printRows(e.stdout, []entryRow{row})
		}),
	}
	c.Flags().BoolVar(&asJSON, "json", false, "print as JSON")
	return c
}

// notFoundExit makes "no such record" exit 1, like the other lookups.
func notFoundExit(err error) error {
	if errors.Is(err, archive.ErrNotFound) {
		return &exitError{code: exitNo, err: err}
	}
	return explain(err)
}

// staffActor is the staff account a retention change (hold, release, extend,
// close) or a step of a disposal is made by: the one whose API token is given
// (--token, else GONGSHI_TOKEN), active, with the archivist role. what names the
// change in the errors ("a legal hold", "a disposal's step").
func staffActor(ctx context.Context, e env, cfg *config, rs *retentionSession, token, what string) (archive.Actor, error) {
	if token = tokenOf(e, token); token == "" {
		return "", fmt.Errorf("%s is made by a staff account with the archivist role: give --token T or set GONGSHI_TOKEN (an archivist makes one with 'gongshi accounts token LOGIN')", what)
	}
	so, err := cfg.staffOptions(e)
	if err != nil {
		return "", err
	}
	return tokenActor(ctx, staff.New(rs.a, rs.st, so), token, what, archive.RoleArchivist)
}

// tokenFlags adds --token, and a hidden --as that says it is gone: the account
// was once taken on trust from --as.
func tokenFlags(c *cobra.Command, token, as *string) {
	c.Flags().StringVar(token, "token", "", "the API token of the archivist who makes the change (default: $GONGSHI_TOKEN)")
	c.Flags().StringVar(as, "as", "", "gone: the account is the token's (--token)")
	c.Flags().MarkHidden("as")
}

// noAs refuses --as, naming what replaced it.
func noAs(as string) error {
	if as == "" {
		return nil
	}
	return errors.New("--as is gone: the account a change is made by is now the one whose API token is given (--token T or GONGSHI_TOKEN), and it needs the archivist role")
}

// changeFlags adds the flags of a retention change: --reason (required, usage
// says what it is), --token (and the hidden --as) and --json.
func changeFlags(c *cobra.Command, reason, token, as *string, asJSON *bool, usage string) {
	c.Flags().StringVar(reason, "reason", "", usage)
	c.Flags().BoolVar(asJSON, "json", false, "print as JSON")
	tokenFlags(c, token, as)
}

// changeActor is the account of a retention change (see staffActor), after
// refusing --as.
func changeActor(cmd *cobra.Command, e env, cfg *config, rs *retentionSession, token, as, what string) (archive.Actor, error) {
	if err := noAs(as); err != nil {
		return "", err
	}
	return staffActor(cmd.Context(), e, cfg, rs, token, what)
}

type holdReport struct {
	Hold    string   `json:"hold"`
	Record  string   `json:"record,omitempty"`
	Project string   `json:"project,omitempty"`
	Status  string   `json:"status"`
	Reason  string   `json:"reason"`
	Actor   string   `json:"actor"`
	At      string   `json:"at"`
	Records int      `json:"records"`
	Set     int      `json:"storage_holds_set,omitempty"`
	Cleared int      `json:"storage_holds_cleared,omitempty"`
	Kept    []string `json:"storage_holds_kept,omitempty"`
}

func holdReportOf(r retention.HoldResult) holdReport {
	h := r.Hold
	status := "in_force"
	if h.Released {
		status = "released"
	}
	return holdReport{Hold: h.ID, Record: h.Record, Project: h.Project, Status: status, Reason: h.Reason, Actor: string(h.Actor),
		At: h.At.In(chinaTime).Format("2006-01-02 15:04:05 MST"), Records: r.Records, Set: r.Set, Cleared: r.Cleared, Kept: r.Kept}
}

func newRetentionHoldCmd(e env, cfg *config) *cobra.Command {
	var record, project, reason, token, as string
	var asJSON bool
	c := &cobra.Command{
		Use:   "hold (--record ID | --project CODE) --reason R --token T [--json]",
		Short: "Place a legal hold on a record or a whole project (诉讼保全/冻结)",
		Long: `hold places a legal hold, for example while an administrative lawsuit over a
project is pending: nothing it covers becomes due, whatever its period, and the
storage's legal hold is set on every object it covers (the record versions and content
of each record, a project's own versions), so that nothing can delete them, not even
through the storage's own interface. Records filed into a held project later are held
as they are filed. The hold is a ledger entry (kind hold) with its reason's digest;
'gongshi retention release' ends it.

The hold is placed by the staff account whose API token is given (--token, or
GONGSHI_TOKEN, which keeps it out of the process list): an active account with the
archivist role.`,
		Example: `  GONGSHI_TOKEN=gst_… gongshi retention hold --project CC-2026-001 --reason "（2026）吉0102行初45号行政诉讼审理中"`,
		Args:    cobra.NoArgs,
		RunE: cfg.retentionRun(e, func(cmd *cobra.Command, args []string, rs *retentionSession) error {
			actor, err := changeActor(cmd, e, cfg, rs, token, as, "a legal hold")
			if err != nil {
				return err
			}
			res, err := rs.ex.Place(cmd.Context(), retention.Scope{Record: record, Project: project}, reason, actor)
			if err != nil && res.Hold.ID == "" {
				return notFoundExit(err)
			}
			if asJSON {
				if jerr := writeJSON(e.stdout, holdReportOf(res)); jerr != nil {
					return jerr
				}
			} else {
				r := holdReportOf(res)
				fmt.Fprintf(e.stdout, "已冻结 hold placed: %s on %s (%d records; %d objects held in the storage)\n", r.Hold, res.Hold.What(), r.Records, r.Set)
				fmt.Fprintf(e.stdout, "  reason: %s\n  by %s at %s\n", r.Reason, r.Actor, r.At)
			}
			return err
		}),
	}
	c.Flags().StringVar(&record, "record", "", "the record to hold")
	c.Flags().StringVar(&project, "project", "", "the project to hold, with all its records")
	changeFlags(c, &reason, &token, &as, &asJSON, "why (required): the case, the authority that asked")
	return c
}

func newRetentionReleaseCmd(e env, cfg *config) *cobra.Command {
	var reason, token, as string
	var asJSON bool
	c := &cobra.Command{
		Use:   "release HOLD --reason R --token T [--json]",
		Short: "Release a legal hold (解除冻结)",
		Long: `release ends a legal hold (a ledger entry of kind release, with its reason's
digest). The storage's legal hold is cleared on each object the hold covered that no
other hold in force covers: content that a record of another held project shares stays
held. Released by the archivist whose API token is given (--token or GONGSHI_TOKEN).`,
		Example: `  GONGSHI_TOKEN=gst_… gongshi retention release P_CC-2026-001_k3mdx2qa --reason "判决已生效"`,
		Args:    cobra.ExactArgs(1),
		RunE: cfg.retentionRun(e, func(cmd *cobra.Command, args []string, rs *retentionSession) error {
			actor, err := changeActor(cmd, e, cfg, rs, token, as, "the release of a legal hold")
			if err != nil {
				return err
			}
			res, err := rs.ex.Release(cmd.Context(), args[0], reason, actor)
			switch {
			case errors.Is(err, retention.ErrReleased):
				return &exitError{code: exitNo, err: err}
			case err != nil && res.Hold.ID == "":
				return notFoundExit(err)
			}
			if asJSON {
				if jerr := writeJSON(e.stdout, holdReportOf(res)); jerr != nil {
					return jerr
				}
			} else {
				r := holdReportOf(res)
				fmt.Fprintf(e.stdout, "已解除 hold released: %s (%d records; %d storage holds cleared, %d kept for other holds)\n",
					r.Hold, r.Records, r.Cleared, len(r.Kept))
				fmt.Fprintf(e.stdout, "  reason: %s\n  by %s at %s\n", r.Reason, r.Actor, r.At)
			}
			return err
		}),
	}
	changeFlags(c, &reason, &token, &as, &asJSON, "why (required)")
	return c
}

func newRetentionHoldsCmd(e env, cfg *config) *cobra.Command {
	var asJSON, all bool
	c := &cobra.Command{
		Use:   "holds [--all] [--json]",
		Short: "List the legal holds in force (--all: released ones too)",
		Args:  cobra.NoArgs,
		RunE: cfg.retentionRun(e, func(cmd *cobra.Command, args []string, rs *retentionSession) error {
			hs, err := rs.ex.Holds(cmd.Context())
			if err != nil {
				return err
			}
			reps := []holdReport{}
			for _, h := range hs {
				if all || !h.Released {
					reps = append(reps, holdReportOf(retention.HoldResult{Hold: h}))
				}
			}
			if asJSON {
				return writeJSON(e.stdout, reps)
			}
			fmt.Fprintf(e.stdout, "冻结 legal holds: %d\n", len(reps))
			if len(reps) == 0 {
				return nil
			}
			table := [][]string{{"冻结 hold", "对象 what", "状态 status", "原因 reason", "操作 by", "时间 at"}}
			for i, r := range reps {
				table = append(table, []string{r.Hold, hs[i].What(), r.Status, r.Reason, r.Actor, r.At})
			}
			return writeTable(e.stdout, table)
		}),
	}
	c.Flags().BoolVar(&asJSON, "json", false, "print as JSON")
	c.Flags().BoolVar(&all, "all", false, "released holds too")
	return c
}

func newRetentionExtendCmd(e env, cfg *config) *cobra.Command {
	var period, trigger, reason, token, as string
	var asJSON bool
	c := &cobra.Command{
		Use:   "extend RECORD --period D30|Y [--trigger project_close] --reason R --token T",
		Short: "Extend how long a record is kept (never shortened)",
		Long: `extend keeps a record at least for the period given (counted as it is, or from
the close of its project with --trigger project_close), for the reason given: a
version of the record's retention state and a ledger entry, then the storage locks of
its versions and content grow to match. Retention is extended, never shortened: asking
for no more than the record has is refused. Extended by the archivist whose API token
is given (--token or GONGSHI_TOKEN).`,
		Example: `  GONGSHI_TOKEN=gst_… gongshi retention extend gbbefkruiwd6ty32k7hdbvpkgm --period D30 --reason "涉及历史遗留问题，延长保管"`,
		Args:    cobra.ExactArgs(1),
		RunE: cfg.retentionRun(e, func(cmd *cobra.Command, args []string, rs *retentionSession) error {
			actor, err := changeActor(cmd, e, cfg, rs, token, as, "an extension of a retention period")
			if err != nil {
				return err
			}
			en, err := rs.ex.Extend(cmd.Context(), args[0], archive.RetentionCode(period), archive.RetentionTrigger(trigger), reason, actor)
			if err != nil {
				return notFoundExit(err)
			}
			if asJSON {
				return writeJSON(e.stdout, rowOf(en))
			}
			fmt.Fprintf(e.stdout, "已延长 extended: %s is kept %s, counted from %s\n", en.Record.ID, en.Status.Schedule.Period, triggerText(en.Status.Schedule.Trigger))
			return printRows(e.stdout, []entryRow{rowOf(en)})
		}),
	}
	c.Flags().StringVar(&period, "period", "", "the period: D30 or Y (D10 is the shortest there is)")
	c.Flags().StringVar(&trigger, "trigger", "", "count it from project_close (the close of the project) or document_date")
	changeFlags(c, &reason, &token, &as, &asJSON, "why (required)")
	return c
}

func newRetentionCloseCmd(e env, cfg *config) *cobra.Command {
	var date, reason, token, as string
	var asJSON bool
	c := &cobra.Command{
		Use:   "close PROJECT --date YYYY-MM-DD --reason R --token T",
		Short: "Record that a project closed, which starts the periods counted from its close",
		Long: `close records the day project PROJECT closed (its "closed" date: a new version of
the project), for the reason given. The records whose schedule counts from the close of
their project then keep their disposal date, and the storage locks of their versions and
content grow to match: the close is unknown when they are filed, and locks only grow.
A project is closed once; a re-run with the same date only locks again. Recorded by
the archivist whose API token is given (--token or GONGSHI_TOKEN).`,
		Example: `  GONGSHI_TOKEN=gst_… gongshi retention close CC-2026-001 --date 2031-06-30 --reason "项目结束，档案已移交"`,
		Args:    cobra.ExactArgs(1),
		RunE: cfg.retentionRun(e, func(cmd *cobra.Command, args []string, rs *retentionSession) error {
			day, err := archive.ParseDate(date)
			if err != nil {
				return fmt.Errorf("--date: %w", err)
			}
			actor, err := changeActor(cmd, e, cfg, rs, token, as, "the close of a project")
			if err != nil {
				return err
			}
			rep, err := rs.ex.Close(cmd.Context(), args[0], day, reason, actor)
			if err != nil {
				return notFoundExit(err)
			}
			if asJSON {
				return writeJSON(e.stdout, rep)
			}
			fmt.Fprintf(e.stdout, "项目结束 closed: %s on %s; %d records, %d disposal dates kept, %d locks extended\n",
				args[0], day, rep.Records, rep.Schedules, rep.Extended)
			return nil
		}),
	}
	c.Flags().StringVar(&date, "date", "", "the day the project closed (required)")
	changeFlags(c, &reason, &token, &as, &asJSON, "why (required)")
	return c
}

func newRetentionLockCmd(e env, cfg *config) *cobra.Command {
	var dryRun, asJSON bool
	c := &cobra.Command{
		Use:   "lock [--dry-run] [--json]",
		Short: "Give every object the storage lock it needs; renew locks before they run out",
		Long: `lock looks at every object of the archive and extends its storage lock to what it
needs: each record's versions and content until its disposal date (content shared by
several records as long as the longest needs), everything kept for ever (the ledger,
tombstones, projects, holds, disposals) for the longest the storage is asked to hold (100
years), and the storage's legal hold where a hold in force covers an object. Locks only
grow. Run it once on an archive made before locks, after upgrades, and at least once a
decade (yearly is the advice): a lock capped at 100 years is renewed when less than 10
are left. It also keeps the schedule of each record filed before schedules were kept.
Idempotent: a second run changes nothing.`,
		Args: cobra.NoArgs,
		RunE: cfg.retentionRun(e, func(cmd *cobra.Command, args []string, rs *retentionSession) error {
			start := time.Now()
			last := time.Now()
			rep, err := rs.ex.Lock(cmd.Context(), retention.LockOptions{DryRun: dryRun, Actor: archive.ActorCLI,
				Progress: func(done, total int) {
					if time.Since(last) > 5*time.Second || done == total && time.Since(start) > 5*time.Second {
						fmt.Fprintf(e.stderr, "retention lock: %d of %d objects\n", done, total)
						last = time.Now()
					}
				}})
			if err != nil {
				return err
			}
			if asJSON {
				return writeJSON(e.stdout, rep)
			}
			verb := "locked"
			if dryRun {
				verb = "would lock (dry run, nothing changed)"
			}
			fmt.Fprintf(e.stdout, "%s: %d objects of %d records looked at; %d locks extended, %d legal holds set, %d schedules kept\n",
				verb, rep.Objects, rep.Records, rep.Extended, rep.Held, rep.Schedules)
			for _, k := range rep.Missing {
				fmt.Fprintf(e.stdout, "  missing: %s (run gongshi audit)\n", k)
			}
			return nil
		}),
	}
	c.Flags().BoolVar(&dryRun, "dry-run", false, "count what would change, change nothing")
	c.Flags().BoolVar(&asJSON, "json", false, "print the report as JSON")
	return c
}

// readList reads the record ids of a disposal list: a CSV as 'retention due
// --csv' writes it (the first column, header row skipped), or one id a line.
func readList(path string) ([]string, error) {
	b, err := safefile.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", path, unwrapPath(err))
	}
	b = bytes.TrimPrefix(b, []byte("\ufeff"))
	r := csv.NewReader(bytes.NewReader(b))
	r.FieldsPerRecord = -1
	rows, err := r.ReadAll()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	var ids []string
	for i, row := range rows {
		if len(row) == 0 {
			continue
		}
		id := strings.TrimSpace(row[0])
		if i == 0 && (id == dueCSVHeader[0] || id == "record") {
			continue
		}
		if id != "" {
			ids = append(ids, id)
		}
	}
	return ids, nil
}
