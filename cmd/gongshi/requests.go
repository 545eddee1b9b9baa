package main

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/spf13/cobra"

	"github.com/gongshi-archive/gongshi/archive"
	"github.com/gongshi-archive/gongshi/calendar"
	"github.com/gongshi-archive/gongshi/internal/termsafe"
	"github.com/gongshi-archive/gongshi/requests"
	"github.com/gongshi-archive/gongshi/staff"
)

// gongshi requests: the disclosure requests (依申请公开) the portal's form
// files, from the archive's machine — the same list, ticket and steps as the
// staff pages (/staff/requests). The requester's name and contact never reach
// the terminal unless show --reveal, and that read is recorded in the staff
// audit trail. The steps are taken by a staff account with the archivist role,
// named by its API token, so the ledger says who answered.

func newRequestsCmd(e env, cfg *config) *cobra.Command {
	cl := &calendarFlags{}
	c := &cobra.Command{
		Use:   "requests",
		Short: "Disclosure requests (依申请公开): list, show and answer them",
		Long: `requests lists the disclosure requests received through the portal's form, shows
one, and takes the steps the Regulations on Open Government Information allow:
ask once for a correction (the period stops and counts again from the corrected
request), extend once by 20 working days with a notice by the last day, answer.

The periods count on the built-in holidays and clock rules, or on a deployment's
own (--holidays, --clock-rules: give the same as to 'gongshi serve').`,
		Args: cobra.NoArgs,
		RunE: groupHelp,
	}
	cl.addFlags(c.PersistentFlags())
	c.AddCommand(newRequestsListCmd(e, cfg, cl), newRequestsShowCmd(e, cfg, cl),
		newRequestsStepCmd(e, cfg, cl, "correct"), newRequestsStepCmd(e, cfg, cl, "received"),
		newRequestsStepCmd(e, cfg, cl, "extend"), newRequestsAnswerCmd(e, cfg, cl))
	return c
}

// requestDesk is what the commands work with: the archive, its requests
// counted on the deployment's clocks, and the staff accounts (tokens, trail).
type requestDesk struct {
	*opened
	rs    *requests.Service
	staff *staff.Service
}

func (c *config) withRequests(ctx context.Context, e env, cl *calendarFlags, fn func(*requestDesk) error) error {
	clk, err := cl.clocks()
	if err != nil {
		return err
	}
	so, err := c.staffOptions(e)
	if err != nil {
		return err
	}
	return withService(ctx, c, e, func(o *opened) (*requestDesk, error) {
		rs, err := requests.New(o.a, requests.Options{Now: e.now, Calendar: clk.cal, Rules: clk.rules})
		if err != nil {
			return nil, err
		}
		return &requestDesk{opened: o, rs: rs, staff: staff.New(o.a, o.st, so)}, nil
	}, fn)
}

// ticketJSON is what the commands print of a ticket: never the requester,
// unless revealed.
type ticketJSON struct {
	ID              string              `json:"id"`
	Version         int                 `json:"version"`
	Received        archive.Date        `json:"received"`
	Due             *archive.Date       `json:"due,omitempty"`
	State           requests.State      `json:"state"`
	Late            bool                `json:"late"`
	WorkingDaysLeft *int                `json:"working_days_left,omitempty"`
	DaysLate        int                 `json:"days_late,omitempty"`
	Extended        bool                `json:"extended,omitempty"`
	Subject         string              `json:"subject"`
	Records         []string            `json:"records,omitempty"`
	Project         string              `json:"project,omitempty"`
	Steps           []requests.Step     `json:"steps,omitempty"`
	Answer          *requests.Answer    `json:"answer,omitempty"`
	Requester       *requests.Requester `json:"requester,omitempty"`
}

func ticketJSONOf(r requests.Row) ticketJSON {
	j := ticketJSON{ID: r.ID, Version: r.Version, Received: r.Received, State: r.State, Late: r.Late(), DaysLate: r.Status.DaysLate,
		Extended: r.Status.Extended, Subject: r.Subject, Records: r.Records, Project: r.Project, Steps: r.Steps, Answer: r.Answer}
	if !r.Status.Deadline.IsZero() {
		d := r.Status.Deadline
		j.Due = &d
	}
	if r.Answer == nil && r.Status.WorkingDaysLeft >= 0 {
		n := r.Status.WorkingDaysLeft
		j.WorkingDaysLeft = &n
	}
	return j
}

// stateWords are a ticket's state in both languages.
var stateWords = map[requests.State]string{
	requests.StateReceived: "正在办理 open", requests.StateCorrection: "等待补正 awaiting correction",
	requests.StateAnswered: "已答复 answered", requests.StateOverdue: "已逾期 late", requests.StateUnknown: "无法计算 unknown",
}

// clockText is a ticket's clock in words.
func clockText(r requests.Row) string {
	switch {
	case r.Answer != nil && r.Status.State == calendar.Late:
		return fmt.Sprintf("answered %s, %d day(s) late", r.Answer.Day, r.Status.DaysLate)
	case r.Answer != nil:
		return "answered " + r.Answer.Day.String()
	case r.State == requests.StateOverdue:
		return fmt.Sprintf("%d day(s) late", r.Status.DaysLate)
	case r.State == requests.StateCorrection:
		return "stopped until the correction comes"
	case r.Status.Deadline.IsZero():
		return "the calendar cannot count it (--holidays)"
	case r.Status.WorkingDaysLeft == 0:
		return "last day today"
	}
	return fmt.Sprintf("%d working day(s) left", r.Status.WorkingDaysLeft)
}

func dayOrDash(d archive.Date) string {
	if d.IsZero() {
		return "—"
	}
	return d.String()
}

// shortText is the first n characters of s on one line.
func shortText(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n]) + "…"
}

func newRequestsListCmd(e env, cfg *config, cl *calendarFlags) *cobra.Command {
	var open, late, answered, asJSON bool
	c := &cobra.Command{
		Use:   "list [--open|--late|--answered] [--json]",
		Short: "The requests, late first, with their last day",
		Long: `list prints every request (or the open, the late or the answered ones): its
ticket, the day received, its last day, its state and how many working days are
left or how many days it is late. The late come first, then the open by their
last day, then the answered. It prints no requester.`,
		Example: `  gongshi requests list --late
  gongshi requests list --open --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			n := 0
			for _, b := range []bool{open, late, answered} {
				if b {
					n++
				}
			}
			if n > 1 {
				return errors.New("--open, --late and --answered are each a list of their own: give one")
			}
			return cfg.withRequests(cmd.Context(), e, cl, func(d *requestDesk) error {
				tickets, err := d.rs.List(cmd.Context())
				if err != nil {
					return err
				}
				var rows []requests.Row
				for _, t := range tickets {
					r := requests.RowOf(t, d.rs.Status(t))
					switch {
					case open && t.Answer != nil, late && r.State != requests.StateOverdue, answered && t.Answer == nil:
						continue
					}
					rows = append(rows, r)
				}
				requests.Order(rows)
				if asJSON {
					out := make([]ticketJSON, 0, len(rows))
					for _, r := range rows {
						out = append(out, ticketJSONOf(r))
					}
					return writeJSON(e.stdout, out)
				}
				if len(rows) == 0 {
					fmt.Fprintln(e.stdout, "no requests (没有申请)")
					return nil
				}
				table := [][]string{{"TICKET 受理编号", "RECEIVED 收到", "DUE 期限", "STATE 状态", "CLOCK", "SUBJECT 申请内容"}}
				for _, r := range rows {
					table = append(table, []string{r.ID, r.Received.String(), dayOrDash(r.Status.Deadline), stateWords[r.State], clockText(r), shortText(r.Subject, 30)})
				}
				return writeTable(e.stdout, table)
			})
		},
	}
	c.Flags().BoolVar(&open, "open", false, "only those not answered yet")
	c.Flags().BoolVar(&late, "late", false, "only those not answered by their last day")
	c.Flags().BoolVar(&answered, "answered", false, "only those answered")
	c.Flags().BoolVar(&asJSON, "json", false, "print the list as JSON")
	return c
}

func newRequestsShowCmd(e env, cfg *config, cl *calendarFlags) *cobra.Command {
	var reveal, asJSON bool
	var token string
	c := &cobra.Command{
		Use:   "show TICKET [--reveal] [--json]",
		Short: "One request: its clock, what was asked, its steps and answer",
		Long: `show prints one request. The requester's name and contact are personal data: they
are printed only with --reveal, and every --reveal is recorded in the staff audit
trail (the account of --token or $GONGSHI_TOKEN when given, else the command line)
before anything is printed.`,
		Example: `  gongshi requests show 20261201-K3MDX2
  GONGSHI_TOKEN=gst_… gongshi requests show 20261201-K3MDX2 --reveal`,
		Args: ticketArg,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			return cfg.withRequests(ctx, e, cl, func(d *requestDesk) error {
				t, err := d.rs.Get(ctx, args[0])
				if err != nil {
					return notFoundExit(err)
				}
				r := requests.RowOf(t, d.rs.Status(t))
				j := ticketJSONOf(r)
				if reveal {
					actor := archive.ActorCLI
					if tok := tokenOf(e, token); tok != "" {
						if actor, err = tokenActor(ctx, d.staff, tok, "reading a requester", archive.RoleArchivist, archive.RoleInspector, archive.RoleAuditor); err != nil {
							return err
						}
					}
					if _, err := d.staff.Record(ctx, staff.TrailEntry{Action: "request_read", Subject: "request " + t.ID, Actor: actor, Client: "cli"}); err != nil {
						return fmt.Errorf("recording the read in the staff trail (nothing shown): %w", err)
					}
					req := t.Requester
					j.Requester = &req
				}
				if asJSON {
					return writeJSON(e.stdout, j)
				}
				return printTicket(ctx, e, d, r, j.Requester)
			})
		},
	}
	c.Flags().BoolVar(&reveal, "reveal", false, "also print the requester's name and contact (recorded in the staff audit trail)")
	c.Flags().StringVar(&token, "token", "", "with --reveal: the API token of the staff account reading (default: $GONGSHI_TOKEN)")
	c.Flags().BoolVar(&asJSON, "json", false, "print the ticket as JSON")
	return c
}

// printTicket prints a ticket for people; req is the requester when revealed.
func printTicket(ctx context.Context, e env, d *requestDesk, r requests.Row, req *requests.Requester) error {
	due := dayOrDash(r.Status.Deadline)
	if r.Status.Extended {
		due += " (extended 已延长)"
	}
	rows := [][]string{
		{"ticket 受理编号", r.ID},
		{"received 收到", r.Received.String()},
		{"due 期限", due},
		{"state 状态", stateWords[r.State] + " — " + clockText(r)},
	}
	if req != nil {
		rows = append(rows, []string{"requester 申请人", req.Name}, []string{"organisation 单位", req.Org},
			[]string{"contact 联系方式", req.Contact}, []string{"address 地址", req.Address})
	} else {
		rows = append(rows, []string{"requester 申请人", "(not shown: --reveal prints it and records the read)"})
	}
	if r.Project != "" {
		rows = append(rows, []string{"project 项目", r.Project})
	}
	rows = append(rows, []string{"subject 申请内容", shortText(r.Subject, 200)})
	for _, id := range r.Records {
		rows = append(rows, []string{"named 指明的文件", recordLine(ctx, d, id)})
	}
	for _, st := range r.Steps {
		line := st.Day.String() + " " + string(st.Kind)
		if st.Note != "" && st.Kind != requests.StepAnswered {
			line += ": " + shortText(st.Note, 100)
		}
		rows = append(rows, []string{"step 步骤", line})
	}
	if a := r.Answer; a != nil {
		line := string(a.Outcome) + " " + a.Day.String()
		if rs, ok := requests.ReasonOf(a.Reason); ok {
			line += " — " + rs.NameZh + " (" + rs.Code + ", " + rs.Article + ")"
		}
		rows = append(rows, []string{"answer 答复", line})
		if a.Note != "" {
			rows = append(rows, []string{"told 告知", shortText(a.Note, 200)})
		}
		for _, id := range a.Records {
			rows = append(rows, []string{"released 公开", recordLine(ctx, d, id)})
		}
	}
	return writeTable(e.stdout, rows)
}

// recordLine names a record: its id, 档号 and title.
func recordLine(ctx context.Context, d *requestDesk, id string) string {
	rec, err := d.a.Record(ctx, id)
	if err != nil {
		return id + " (not found)"
	}
	s := rec.ID
	if rec.ArchivalCode != "" {
		s += " " + rec.ArchivalCode
	}
	return s + " " + rec.Title + " [" + string(rec.Disclosure) + "]"
}

// stepFlags are what every step takes: the day, the note, the token.
type stepFlags struct {
	day, note, token string
	asJSON           bool
}

func (f *stepFlags) add(c *cobra.Command, note string) {
	c.Flags().StringVar(&f.day, "day", "", "the day of the step (YYYY-MM-DD, in China; default today)")
	if note != "" {
		c.Flags().StringVar(&f.note, "note", "", note)
	}
	c.Flags().StringVar(&f.token, "token", "", "the API token of the archivist taking the step (default: $GONGSHI_TOKEN)")
	c.Flags().BoolVar(&f.asJSON, "json", false, "print the ticket after the step as JSON")
}

// dayOf is the --day given, or today in China.
func (f *stepFlags) dayOf(e env) (archive.Date, error) {
	if f.day == "" {
		return archive.DateOf(e.now()), nil
	}
	d, err := archive.ParseDate(f.day)
	if err != nil {
		return archive.Date{}, fmt.Errorf("--day %q: want a date such as 2026-12-01", f.day)
	}
	return d, nil
}

var stepHelp = map[string]struct{ short, long, note, example string }{
	"correct": {"Ask the requester, once, to correct an unclear request (补正)",
		`correct records that the requester was asked, on --day, to make the request clear
(Art. 30: once, within 7 working days of receipt). The period stops until the
corrected request comes ('gongshi requests received').`,
		"what the requester is asked to correct (required)",
		`  GONGSHI_TOKEN=gst_… gongshi requests correct 20261201-K3MDX2 --note "请写明文件名称或文号"`},
	"received": {"Record that the corrected request came; the period counts again from it",
		`received records the day (--day) the corrected request came: the answer's 20
working days count afresh from it (Art. 30).`, "",
		`  GONGSHI_TOKEN=gst_… gongshi requests received 20261201-K3MDX2 --day 2026-12-03`},
	"extend": {"Extend the period once by 20 working days, with the notice (延期)",
		`extend records the notice, on --day, that the answer needs 20 more working days
(Art. 33: once, and told to the requester by the last day; after it the
extension is refused).`,
		"why, as the requester is told (required)",
		`  GONGSHI_TOKEN=gst_… gongshi requests extend 20261201-K3MDX2 --note "需要征求第三方意见"`},
}

func newRequestsStepCmd(e env, cfg *config, cl *calendarFlags, step string) *cobra.Command {
	h := stepHelp[step]
	fl := &stepFlags{}
	c := &cobra.Command{
		Use:     step + " TICKET [--day YYYY-MM-DD] --token T",
		Short:   h.short,
		Long:    h.long + "\n\nThe step is taken by the staff account of --token (or $GONGSHI_TOKEN), which must\nhave the archivist role; a step that does not fit the ticket stores nothing (exit 1).",
		Example: h.example,
		Args:    ticketArg,
		RunE: func(cmd *cobra.Command, args []string) error {
			day, err := fl.dayOf(e)
			if err != nil {
				return err
			}
			if h.note != "" && strings.TrimSpace(fl.note) == "" {
				return fmt.Errorf("give --note: %s", h.note)
			}
			return takeStep(cmd.Context(), e, cfg, cl, fl, args[0], func(d *requestDesk, actor archive.Actor) (requests.Ticket, error) {
				switch step {
				case "correct":
					return d.rs.AskCorrection(cmd.Context(), args[0], day, fl.note, actor)
				case "received":
					return d.rs.CorrectionReceived(cmd.Context(), args[0], day, actor)
				}
				return d.rs.Extend(cmd.Context(), args[0], day, fl.note, actor)
			})
		},
	}
	fl.add(c, h.note)
	return c
}

func newRequestsAnswerCmd(e env, cfg *config, cl *calendarFlags) *cobra.Command {
	fl := &stepFlags{}
	var outcome, reason string
	var records []string
	var codes []string
	for _, r := range requests.Reasons() {
		codes = append(codes, r.Code)
	}
	var outcomes []string
	for _, o := range requests.Outcomes() {
		outcomes = append(outcomes, string(o))
	}
	c := &cobra.Command{
		Use:   "answer TICKET --outcome O [--reason R] [--record ID|档号 ...] [--note N] [--day D] --token T",
		Short: "Answer a request: grant, grant in part, refuse, … with the law's reason",
		Long: `answer records the answer, once. --outcome is one of
  ` + strings.Join(outcomes, ", ") + `
A grant names the records released (--record, by id or 档号, repeatable): they open
behind the ticket's link, and nowhere else. A partial grant needs the reason for
the part withheld; every other outcome needs its reason (--reason), one of
  ` + strings.Join(codes, ", ") + `
and releases nothing. A record whose class is never released on request
(household, restricted) is refused: file a public copy instead.
Every problem is listed at once and nothing is stored (exit 2); an answer that
does not fit the ticket (answered already, a correction awaited) is exit 1.

The answer is given by the staff account of --token (or $GONGSHI_TOKEN), which
must have the archivist role.`,
		Example: `  GONGSHI_TOKEN=gst_… gongshi requests answer 20261201-K3MDX2 --outcome granted --record Z109-WS·2026-Y-CQ01-0007 --note "请点击链接下载"
  GONGSHI_TOKEN=gst_… gongshi requests answer 20261201-Q7PLM4 --outcome refused --reason third_party --note "涉及个人隐私"`,
		Args: ticketArg,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			day, err := fl.dayOf(e)
			if err != nil {
				return err
			}
			if outcome == "" {
				return fmt.Errorf("give --outcome: one of %s", strings.Join(outcomes, ", "))
			}
			return takeStep(ctx, e, cfg, cl, fl, args[0], func(d *requestDesk, actor archive.Actor) (requests.Ticket, error) {
				ids, err := recordIDs(ctx, d, records)
				if err != nil {
					return requests.Ticket{}, err
				}
				return d.rs.AnswerRequest(ctx, args[0], requests.Answer{Outcome: requests.Outcome(outcome), Reason: reason,
					Records: ids, Note: fl.note, Day: day}, actor)
			})
		},
	}
	c.Flags().StringVar(&outcome, "outcome", "", "the outcome: "+strings.Join(outcomes, ", "))
	c.Flags().StringVar(&reason, "reason", "", "the law's reason (required unless granted): see the list above")
	c.Flags().StringArrayVar(&records, "record", nil, "a record released, by id or 档号 (repeat for each)")
	fl.add(c, "what the requester is told")
	return c
}

// recordIDs resolves records named by id or 档号 to ids; a 档号 no record
// carries is a problem, said with the others by the package's check.
func recordIDs(ctx context.Context, d *requestDesk, named []string) ([]string, error) {
	var ids []string
	for _, n := range named {
		n = strings.TrimSpace(n)
		if !archive.ValidRecordID(n) {
			if _, err := archive.ParseArchivalCode(n); err == nil {
				id, err := d.a.CodeHolder(ctx, n)
				switch {
				case err == nil:
					n = id
				case !errors.Is(err, archive.ErrNotFound):
					return nil, err
				}
			}
		}
		if !slices.Contains(ids, n) {
			ids = append(ids, n)
		}
	}
	return ids, nil
}

// takeStep opens the requests, resolves the token to an archivist and takes
// the step: a refused form lists every problem (exit 2), a step that does not
// fit is exit 1; nothing is stored then.
func takeStep(ctx context.Context, e env, cfg *config, cl *calendarFlags, fl *stepFlags, id string,
	do func(*requestDesk, archive.Actor) (requests.Ticket, error)) error {
	tok := tokenOf(e, fl.token)
	if tok == "" {
		return errors.New("a request's steps are taken by a staff account: give --token T or set GONGSHI_TOKEN (gongshi accounts token LOGIN --name 依申请公开)")
	}
	return cfg.withRequests(ctx, e, cl, func(d *requestDesk) error {
		actor, err := tokenActor(ctx, d.staff, tok, "answering requests", archive.RoleArchivist)
		if err != nil {
			return err
		}
		if _, err := d.rs.Get(ctx, id); err != nil {
			return notFoundExit(err)
		}
		t, err := do(d, actor)
		var fe *requests.FormError
		switch {
		case errors.As(err, &fe):
			le := &linesError{head: fmt.Sprintf("refused, nothing stored (%d problem(s), 请更正以下问题):", len(fe.Problems))}
			for _, k := range sortedKeys(fe.Problems) {
				le.lines = append(le.lines, flagOfField(k)+": "+fe.Problems[k])
			}
			return le
		case errors.Is(err, requests.ErrStep):
			return &exitError{code: exitNo, err: fmt.Errorf("refused, nothing stored: %w", err)}
		case err != nil:
			return notFoundExit(err)
		}
		r := requests.RowOf(t, d.rs.Status(t))
		if fl.asJSON {
			return writeJSON(e.stdout, ticketJSONOf(r))
		}
		last := t.Steps[len(t.Steps)-1]
		fmt.Fprintf(e.stdout, "%s: %s on %s, by %s\n", t.ID, last.Kind, last.Day, termsafe.Escape(string(actor)))
		if a := t.Answer; a != nil {
			fmt.Fprintf(e.stdout, "answer: %s; %d record(s) released to the ticket's link\n", a.Outcome, len(a.Records))
		}
		fmt.Fprintf(e.stdout, "state: %s — %s (due %s)\n", stateWords[r.State], clockText(r), dayOrDash(r.Status.Deadline))
		return nil
	})
}

// flagOfField is the flag a problem of the package's field comes from.
func flagOfField(k string) string {
	switch k {
	case "records":
		return "--record"
	case "outcome", "reason", "note", "day":
		return "--" + k
	}
	return k
}

// tokenOf is the token given, or $GONGSHI_TOKEN.
func tokenOf(e env, flag string) string {
	if t := strings.TrimSpace(flag); t != "" {
		return t
	}
	return strings.TrimSpace(e.getenv("GONGSHI_TOKEN"))
}

// tokenActor is the staff account of an API token, active and holding one of
// roles (for what), as the actor of a change.
func tokenActor(ctx context.Context, svc *staff.Service, token, what string, roles ...archive.Role) (archive.Actor, error) {
	acc, _, err := svc.TokenAccount(ctx, token)
	if errors.Is(err, staff.ErrBadToken) {
		return "", &exitError{code: exitNo, err: errors.New("the token is not an active staff account's (expired, revoked, disabled or mistyped)")}
	}
	if err != nil {
		return "", err
	}
	if !slices.ContainsFunc(roles, acc.HasRole) {
		names := make([]string, len(roles))
		for i, r := range roles {
			names[i] = string(r)
		}
		return "", &exitError{code: exitNo, err: fmt.Errorf("account %s (%s) does not have the role %s needs (%s)", acc.ID, termsafe.Escape(acc.Login), what, strings.Join(names, " or "))}
	}
	return acc.As(), nil
}

// ticketArg is the one argument of the commands on a ticket.
func ticketArg(cmd *cobra.Command, args []string) error {
	if len(args) != 1 {
		return fmt.Errorf("give one ticket (受理编号), e.g. 20261201-K3MDX2 (see 'gongshi %s --help')", cmd.CommandPath()[len("gongshi "):])
	}
	return nil
}
