package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/gongshi-archive/gongshi/archive"
	"github.com/gongshi-archive/gongshi/households"
	"github.com/gongshi-archive/gongshi/ingest"
	"github.com/gongshi-archive/gongshi/internal/safefile"
	"github.com/gongshi-archive/gongshi/internal/sheetsafe"
)

// gongshi households: the household register of a project, the per-household
// tables attached to filed records, and the objection clocks (docs/households.md).
// Personal values never go to the terminal: the commands print counts, column
// policies, digests and days, so that a register imported on a shared screen
// shows nobody's name.

func newHouseholdsCmd(e env, cfg *config) *cobra.Command {
	c := &cobra.Command{
		Use:   "households",
		Short: "Household registers, per-household tables and objection clocks (被征收户)",
		Args:  cobra.NoArgs,
		RunE:  groupHelp,
	}
	c.AddCommand(newHouseholdsImportCmd(e, cfg), newHouseholdsCorrectCmd(e, cfg), newHouseholdsShowCmd(e, cfg),
		newHouseholdsAttachTableCmd(e, cfg), newHouseholdsCheckTableCmd(e, cfg),
		newHouseholdsIssueCodesCmd(e, cfg), newHouseholdsRevokeCodeCmd(e, cfg),
		newHouseholdsStepCmd(e, cfg), newHouseholdsClocksCmd(e, cfg))
	return c
}

// withHouseholds calls fn with the households service over the archive
// (withService). Without a hasher the service issues no codes.
func (c *config) withHouseholds(ctx context.Context, e env, hasher households.Hasher, fn func(*households.Service) error) error {
	return withService(ctx, c, e, householdsOn(e, hasher), fn)
}

// householdsOn builds the households service over an opened archive.
func householdsOn(e env, hasher households.Hasher) func(*opened) (*households.Service, error) {
	return func(o *opened) (*households.Service, error) {
		return households.New(o.a, households.Options{Now: e.now, Hasher: hasher})
	}
}

// policyFlags are the column declarations of a register or a table.
type policyFlags struct {
	public, masked string
	encoding       string
}

func (p *policyFlags) add(c *cobra.Command) {
	f := c.Flags()
	f.StringVar(&p.public, "public", "", "columns shown as they are, e.g. 户号,建筑面积 (every column not declared is private)")
	f.StringVar(&p.masked, "masked", "", "columns shown masked (张** / 东天街**号), e.g. 户主,房屋坐落; NAME:name|address|partial says how")
	f.StringVar(&p.encoding, "encoding", "auto", "the file's encoding: auto, utf-8 or gb18030 (as Excel saves CSV on Chinese Windows)")
}

func (p *policyFlags) policy() households.Policy {
	return households.Policy{Public: households.ParsePolicyList(p.public), Masked: households.ParsePolicyList(p.masked)}
}

// readUserFile reads a file a user names, refusing anything but a regular file.
func readUserFile(flag, path string) ([]byte, error) {
	b, err := safefile.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %v", flag, path, unwrapPath(err))
	}
	return b, nil
}

// explainHouseholds turns an *households.ImportError into the list of what to
// fix, one problem a line; other errors as explain does.
func explainHouseholds(err error) error {
	var ie *households.ImportError
	if errors.As(err, &ie) {
		return &linesError{head: fmt.Sprintf("%s refused, nothing stored (%d problem(s), 请更正以下问题):", ie.What, len(ie.Problems)), lines: ie.Lines()}
	}
	if errors.Is(err, households.ErrReasonRequired) {
		return fmt.Errorf("%w: give --reason", err)
	}
	return explain(err)
}

// registerSummary is what the commands print of a register: no personal value.
type registerSummary struct {
	Project    string                `json:"project"`
	Version    int                   `json:"version"`
	Households int                   `json:"households"`
	Columns    []archive.TableColumn `json:"columns"`
	Source     households.Source     `json:"source"`
	Reason     string                `json:"reason,omitempty"`
}

func summaryOf(r households.Register) registerSummary {
	s := registerSummary{Project: r.Project, Version: r.Version, Households: len(r.Households), Columns: r.Columns, Source: r.Source}
	if r.Supersedes != nil {
		s.Reason = r.Supersedes.Reason
	}
	return s
}

func printRegister(e env, r households.Register) error {
	rows := [][]string{
		{"项目 Project", r.Project},
		{"版本 Version", strconv.Itoa(r.Version)},
		{"户数 Households", strconv.Itoa(len(r.Households))},
		{"来源 Source", fmt.Sprintf("%s (%s, %d bytes, sha256 %s)", r.Source.Name, r.Source.Encoding, r.Source.Size, r.Source.SHA256)},
	}
	if r.Supersedes != nil {
		rows = append(rows, []string{"更正 Corrects", fmt.Sprintf("version %d: %s", r.Supersedes.Version, r.Supersedes.Reason)})
	}
	rows = append(rows, columnRows(r.Columns)...)
	return writeTable(e.stdout, rows)
}

// columnRows lists each column with its policy.
func columnRows(cols []archive.TableColumn) [][]string {
	var rows [][]string
	for _, c := range cols {
		p := string(c.Policy)
		if c.Mask != "" {
			p += " (" + string(c.Mask) + ")"
		}
		rows = append(rows, []string{"列 Column " + c.Name, p})
	}
	return rows
}

func newHouseholdsImportCmd(e env, cfg *config) *cobra.Command {
	var (
		pf     policyFlags
		reason string
		asJSON bool
	)
	c := &cobra.Command{
		Use:   "import PROJECT FILE [--public COLS] [--masked COLS] [--reason R]",
		Short: "Import a project's household register (CSV or JSON)",
		Long: `import reads a household register (被征收户登记) — a CSV file in UTF-8 or GB18030
as Excel saves it, or a JSON array of objects — checks every row and stores it as
the next version of the project's register. A file with any problem stores
nothing, and every problem is listed at once. The first import needs no reason; a
later one replaces the register and must say why (--reason). The household number
(户号) is always public; every column not named in --public or --masked is private.

Exit codes: 0 stored, 2 refused or error.`,
		Example: `  gongshi households import CC-2026-001 register.csv --public 户号,建筑面积,产权性质 --masked 户主,房屋坐落
  gongshi households import CC-2026-001 register-v2.csv --masked 户主,房屋坐落 --reason 补登第0412户`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			enc, err := ingest.ParseEncoding(pf.encoding)
			if err != nil {
				return fmt.Errorf("--encoding: %w", err)
			}
			data, err := readUserFile("register", args[1])
			if err != nil {
				return err
			}
			return cfg.withHouseholds(cmd.Context(), e, nil, func(hs *households.Service) error {
				reg, err := hs.ImportRegister(cmd.Context(), args[0], data,
					households.ImportOptions{Name: filepath.Base(args[1]), Encoding: enc, Policy: pf.policy()}, archive.ActorCLI, reason)
				if errors.Is(err, archive.ErrNotFound) {
					return fmt.Errorf("no project %s (项目不存在): create it first with 'gongshi project create'", args[0])
				}
				if err != nil {
					return explainHouseholds(err)
				}
				if asJSON {
					return writeJSON(e.stdout, summaryOf(reg))
				}
				fmt.Fprintf(e.stdout, "stored version %d of the register of %s: %d households (已导入登记)\n", reg.Version, reg.Project, len(reg.Households))
				return printRegister(e, reg)
			})
		},
	}
	pf.add(c)
	c.Flags().StringVar(&reason, "reason", "", "why this version replaces the register (required from the second import on)")
	c.Flags().BoolVar(&asJSON, "json", false, "print the stored version's summary as JSON")
	return c
}

func newHouseholdsCorrectCmd(e env, cfg *config) *cobra.Command {
	var (
		sets   []string
		reason string
		asJSON bool
	)
	c := &cobra.Command{
		Use:   "correct PROJECT HOUSEHOLD --set COLUMN=VALUE... --reason R",
		Short: "Correct one household's values in the register",
		Long: `correct stores a new version of the project's register in which one household's
values of the named columns are replaced. The reason is required and recorded
(its digest in the ledger). The household number itself cannot be corrected this
way: import the register again.

Exit codes: 0 stored, 2 refused or error.`,
		Example: `  gongshi households correct CC-2026-001 0007 --set 联系电话=13900000000 --reason 户主来电更正`,
		Args:    cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			if strings.TrimSpace(reason) == "" {
				return errors.New("--reason is required: say why the register is corrected")
			}
			if len(sets) == 0 {
				return errors.New("nothing to correct: give --set COLUMN=VALUE")
			}
			values := map[string]string{}
			for _, s := range sets {
				col, v, ok := strings.Cut(s, "=")
				if !ok || strings.TrimSpace(col) == "" {
					return fmt.Errorf("--set %q: use COLUMN=VALUE", s)
				}
				values[strings.TrimSpace(col)] = v
			}
			return cfg.withHouseholds(cmd.Context(), e, nil, func(hs *households.Service) error {
				reg, err := hs.CorrectHousehold(cmd.Context(), args[0], args[1], values, archive.ActorCLI, reason)
				if err != nil {
					return explainHouseholds(err)
				}
				if asJSON {
					return writeJSON(e.stdout, summaryOf(reg))
				}
				fmt.Fprintf(e.stdout, "stored version %d of the register of %s: household %s corrected (已更正)\n", reg.Version, reg.Project, args[1])
				return nil
			})
		},
	}
	c.Flags().StringArrayVar(&sets, "set", nil, "COLUMN=VALUE: the new value of a column; repeatable")
	c.Flags().StringVar(&reason, "reason", "", "why (required)")
	c.Flags().BoolVar(&asJSON, "json", false, "print the stored version's summary as JSON")
	return c
}

func newHouseholdsShowCmd(e env, cfg *config) *cobra.Command {
	var asJSON bool
	c := &cobra.Command{
		Use:   "show PROJECT",
		Short: "Show a register's versions and column policy (no personal values)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return cfg.withHouseholds(cmd.Context(), e, nil, func(hs *households.Service) error {
				hist, err := hs.RegisterHistory(cmd.Context(), args[0])
				if err != nil {
					return err
				}
				if len(hist) == 0 {
					return &exitError{code: exitNo, err: fmt.Errorf("%s has no household register (无登记): import one with 'gongshi households import'", args[0])}
				}
				if asJSON {
					out := make([]registerSummary, len(hist))
					for i, r := range hist {
						out[i] = summaryOf(r)
					}
					return writeJSON(e.stdout, out)
				}
				latest := hist[len(hist)-1]
				if err := printRegister(e, latest); err != nil {
					return err
				}
				if len(hist) > 1 {
					fmt.Fprintln(e.stdout, "\n历史 History")
					rows := [][]string{{"版本 VERSION", "时间 TIME", "户数 HOUSEHOLDS", "原因 REASON"}}
					for _, r := range hist {
						reason := ""
						if r.Supersedes != nil {
							reason = r.Supersedes.Reason
						}
						rows = append(rows, []string{strconv.Itoa(r.Version), r.At.In(chinaTime).Format("2006-01-02 15:04"), strconv.Itoa(len(r.Households)), reason})
					}
					return writeTable(e.stdout, rows)
				}
				return nil
			})
		},
	}
	c.Flags().BoolVar(&asJSON, "json", false, "print every version's summary as JSON")
	return c
}

// tableSummary is what the commands print of a table version.
type tableSummary struct {
	Record   string                `json:"record"`
	Version  int                   `json:"version"`
	Rows     int                   `json:"rows"`
	Key      string                `json:"key"`
	Columns  []archive.TableColumn `json:"columns"`
	Content  archive.Digests       `json:"content"`
	Encoding string                `json:"encoding"`
	MaskRule string                `json:"mask_rule"`
	Masked   archive.Hash          `json:"masked_sha256"`
	Window   archive.DateWindow    `json:"window"`
}

func tableSummaryOf(t archive.Table) tableSummary {
	return tableSummary{Record: t.Record, Version: t.Version, Rows: t.Rows, Key: t.Key, Columns: t.Columns,
		Content: t.Content, Encoding: t.Encoding, MaskRule: t.MaskRule, Masked: t.Masked, Window: t.Window}
}

func printTable(e env, t archive.Table) error {
	win := "as long as the record is shown (随档案公开)"
	if !t.Window.IsZero() {
		win = fmt.Sprintf("%s – %s (China days, both included)", t.Window.From, t.Window.To)
	}
	rows := [][]string{
		{"档案 Record", t.Record},
		{"版本 Version", strconv.Itoa(t.Version)},
		{"户数 Rows", strconv.Itoa(t.Rows)},
		{"原件 CSV", fmt.Sprintf("%s, %d bytes, sha256 %s", t.Encoding, t.Content.Size, t.Content.SHA256)},
		{"脱敏视图 Masked view", fmt.Sprintf("%s sha256 %s", t.MaskRule, t.Masked)},
		{"公示期 Window", win},
	}
	rows = append(rows, columnRows(t.Columns)...)
	return writeTable(e.stdout, rows)
}

func newHouseholdsAttachTableCmd(e env, cfg *config) *cobra.Command {
	var (
		pf       policyFlags
		private  string
		from, to string
		reason   string
		asJSON   bool
	)
	c := &cobra.Command{
		Use:   "attach-table RECORD FILE [--public COLS] [--masked COLS] [--private COLS] [--from DAY] [--to DAY] [--reason R]",
		Short: "Attach a per-household table (CSV) to a filed record",
		Long: `attach-table reads the per-household table of a filed survey result (调查结果),
preliminary appraisal (分户初步评估结果) or compensation record (分户补偿情况) — a
CSV in UTF-8 or GB18030 — checks every row against the project's register and
attaches it to the record. The CSV is stored sealed; the portal shows households of
the project its masked rows and each household its own row, and the public only
figures (count, totals). A column not declared takes its policy from the register's
column of the same name, else it is private. The publicity window starts --from
(default today) and lasts at least the type's publicity period; the table is shown
inside it only. A second attach replaces the table and needs --reason.

Exit codes: 0 attached, 2 refused or error.`,
		Example: `  gongshi households attach-table gbbefkruiwd6ty32k7hdbvpkgm 初步评估.csv --public 建筑面积,评估单价,评估金额 --from 2026-12-01`,
		Args:    cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			enc, err := ingest.ParseEncoding(pf.encoding)
			if err != nil {
				return fmt.Errorf("--encoding: %w", err)
			}
			o := households.TableOptions{Name: filepath.Base(args[1]), Encoding: enc, Policy: pf.policy()}
			o.Policy.Private = households.ParsePolicyList(private)
			for _, d := range []struct {
				flag, v string
				to      *archive.Date
			}{{"--from", from, &o.From}, {"--to", to, &o.To}} {
				if d.v == "" {
					continue
				}
				if *d.to, err = archive.ParseDate(d.v); err != nil {
					return fmt.Errorf("%s: %w", d.flag, err)
				}
			}
			data, err := readUserFile("table", args[1])
			if err != nil {
				return err
			}
			return cfg.withHouseholds(cmd.Context(), e, nil, func(hs *households.Service) error {
				t, err := hs.AttachTable(cmd.Context(), args[0], data, o, archive.ActorCLI, reason)
				switch {
				case errors.Is(err, archive.ErrNotFound):
					return fmt.Errorf("no record %s (档案不存在): see 'gongshi search --as archivist'", args[0])
				case errors.Is(err, archive.ErrNoTable):
					return fmt.Errorf("%w (this document type has no per-household table: survey_result, appraisal_preliminary and household_compensation have)", err)
				case err != nil:
					return explainHouseholds(err)
				}
				if asJSON {
					return writeJSON(e.stdout, tableSummaryOf(t))
				}
				fmt.Fprintf(e.stdout, "attached version %d of the table of %s: %d households (已附分户表)\n", t.Version, t.Record, t.Rows)
				return printTable(e, t)
			})
		},
	}
	pf.add(c)
	c.Flags().StringVar(&private, "private", "", "columns kept private even where the register's column of the same name is public or masked")
	c.Flags().StringVar(&from, "from", "", "first day of the publicity window, YYYY-MM-DD (default today)")
	c.Flags().StringVar(&to, "to", "", "last day of the window (default: the type's publicity period from --from)")
	c.Flags().StringVar(&reason, "reason", "", "why this table replaces the record's table (required for a second one)")
	c.Flags().BoolVar(&asJSON, "json", false, "print the attached version's summary as JSON")
	return c
}

func newHouseholdsCheckTableCmd(e env, cfg *config) *cobra.Command {
	var (
		version int
		asJSON  bool
	)
	c := &cobra.Command{
		Use:   "check-table RECORD [--version N]",
		Short: "Check that a table's masked view comes from its sealed original",
		Long: `check-table reads the sealed CSV of a record's table, checks it against the
digests its version recorded (SHA-256, SM3, size), derives the masked view again
with the recorded column policy and mask rules, and compares the view's SHA-256
with the one recorded when the table was attached: what an inspector runs to see
that what residents were shown came from the original and nothing else.

Exit codes: 0 both hold, 1 the original or the view does not match, 2 error.`,
		Example: `  gongshi households check-table gbbefkruiwd6ty32k7hdbvpkgm`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if version < 0 {
				return errors.New("--version must be 1 or more (0: the latest)")
			}
			return cfg.withHouseholds(cmd.Context(), e, nil, func(hs *households.Service) error {
				chk, err := hs.CheckTable(cmd.Context(), args[0], version)
				if errors.Is(err, archive.ErrNotFound) {
					return &exitError{code: exitNo, err: fmt.Errorf("record %s has no table (version %d) (无分户表)", args[0], version)}
				}
				if err != nil {
					return err
				}
				ok := chk.ContentOK && chk.MaskedOK
				if asJSON {
					if err := writeJSON(e.stdout, struct {
						Table     tableSummary  `json:"table"`
						ContentOK bool          `json:"content_ok"`
						MaskedOK  bool          `json:"masked_ok"`
						Got       *archive.Hash `json:"masked_sha256_derived,omitempty"`
					}{tableSummaryOf(chk.Table), chk.ContentOK, chk.MaskedOK, hashOrNil(chk)}); err != nil {
						return err
					}
				} else {
					if err := printTable(e, chk.Table); err != nil {
						return err
					}
					switch {
					case !chk.ContentOK:
						fmt.Fprintln(e.stdout, "FAIL: the stored CSV does not have the digests its version recorded (原件与登记的摘要不符)")
					case !chk.MaskedOK:
						fmt.Fprintf(e.stdout, "FAIL: the masked view derived again has sha256 %s, not the recorded one (脱敏视图与原件不符)\n", chk.Got)
					default:
						fmt.Fprintln(e.stdout, "OK: the sealed CSV is whole and the masked view derived from it is the one recorded (原件完整，脱敏视图一致)")
					}
				}
				if !ok {
					return &exitError{code: exitNo, err: errSilent}
				}
				return nil
			})
		},
	}
	c.Flags().IntVar(&version, "version", 0, "the table version to check (default: the latest)")
	c.Flags().BoolVar(&asJSON, "json", false, "print the result as JSON")
	return c
}

func hashOrNil(c households.TableCheck) *archive.Hash {
	if !c.ContentOK {
		return nil
	}
	return &c.Got
}

func newHouseholdsStepCmd(e env, cfg *config) *cobra.Command {
	var (
		reason string
		asJSON bool
	)
	kinds := make([]string, 0, 5)
	for _, k := range households.StepKinds() {
		kinds = append(kinds, string(k))
	}
	c := &cobra.Command{
		Use:   "step PROJECT HOUSEHOLD KIND DAY RECORD",
		Short: "Record a step of a household's objection clock (复核、鉴定)",
		Long: `step records one step of a household's re-check and expert-appraisal clock, with
the day (in China) and the filed record that documents it: ` + strings.Join(kinds, ", ") + `.
The clock (10 days to ask for a re-check after the report is delivered, 10 for the
answer, then the expert appraisal) is counted by the calendar from these steps;
the household sees it on its page and the bureau in 'gongshi households clocks'.

Exit codes: 0 recorded, 2 refused or error.`,
		Example: `  gongshi households step CC-2026-001 0007 report_delivered 2026-12-01 gbbefkruiwd6ty32k7hdbvpkgm`,
		Args:    cobra.ExactArgs(5),
		RunE: func(cmd *cobra.Command, args []string) error {
			day, err := archive.ParseDate(args[3])
			if err != nil {
				return fmt.Errorf("DAY: %w", err)
			}
			return cfg.withHouseholds(cmd.Context(), e, nil, func(hs *households.Service) error {
				o, err := hs.RecordStep(cmd.Context(), args[0], args[1], households.Step{Kind: households.StepKind(args[2]), Day: day, Record: args[4]}, archive.ActorCLI, reason)
				if err != nil {
					return explainHouseholds(err)
				}
				if asJSON {
					return writeJSON(e.stdout, o)
				}
				fmt.Fprintf(e.stdout, "recorded %s on %s for %s household %s (version %d) (已记录)\n", args[2], day, o.Project, o.Household, o.Version)
				cv, err := hs.Clock(cmd.Context(), args[0], args[1])
				if err != nil {
					return err
				}
				return writeTable(e.stdout, clockRows(cv, false))
			})
		},
	}
	c.Flags().StringVar(&reason, "reason", "", "why, when the step corrects an earlier one")
	c.Flags().BoolVar(&asJSON, "json", false, "print the clock's new version as JSON")
	return c
}

// clockRows lists the stages of clocks, one a line.
func clockRows(cv households.ClockView, withHousehold bool) [][]string {
	head := []string{"阶段 STAGE", "起 FROM", "截止 LAST DAY", "状态 STATE", "天数 DAYS"}
	if withHousehold {
		head = append([]string{"项目 PROJECT", "户号 HOUSEHOLD"}, head...)
	}
	rows := [][]string{head}
	for _, st := range cv.Stages {
		days := ""
		switch st.State {
		case households.StageOpen:
			days = fmt.Sprintf("%d left", st.Status.DaysLeft)
		case households.StageLate, households.StageOverdue:
			days = fmt.Sprintf("%d late", st.Status.DaysLate)
		}
		last := ""
		if !st.Status.Deadline.IsZero() {
			last = st.Status.Deadline.String()
		}
		row := []string{st.Rule.NameZh + " " + st.Rule.Code, st.From.Day.String(), last, string(st.State), days}
		if withHousehold {
			row = append([]string{cv.Project, cv.Household}, row...)
		}
		rows = append(rows, row)
	}
	return rows
}

func newHouseholdsClocksCmd(e env, cfg *config) *cobra.Command {
	var asJSON bool
	c := &cobra.Command{
		Use:   "clocks",
		Short: "Every open or late objection clock, across projects (the bureau's list)",
		Long: `clocks lists, for today, every household whose re-check or expert-appraisal clock
has a stage running or a late one, across all projects.

Exit codes: 0 none late or overdue, 1 some late or overdue, 2 error.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return cfg.withHouseholds(cmd.Context(), e, nil, func(hs *households.Service) error {
				cvs, err := hs.OpenClocks(cmd.Context())
				if err != nil {
					return err
				}
				late := 0
				for _, cv := range cvs {
					late += len(cv.Late())
				}
				if asJSON {
					if cvs == nil {
						cvs = []households.ClockView{}
					}
					if err := writeJSON(e.stdout, cvs); err != nil {
						return err
					}
				} else if len(cvs) == 0 {
					fmt.Fprintln(e.stdout, "no open or late clock (没有进行中或逾期的期限)")
				} else {
					var rows [][]string
					for i, cv := range cvs {
						r := clockRows(cv, true)
						if i > 0 {
							r = r[1:]
						}
						rows = append(rows, r...)
					}
					if err := writeTable(e.stdout, rows); err != nil {
						return err
					}
				}
				if late > 0 {
					return &exitError{code: exitNo, err: fmt.Errorf("%d stage(s) late or overdue (逾期)", late)}
				}
				return nil
			})
		},
	}
	c.Flags().BoolVar(&asJSON, "json", false, "print the clocks as JSON")
	return c
}

// issuedCode is one line of issue-codes' output file.
type issuedCode struct {
	Project   string `json:"project"`
	Household string `json:"household"`
	Code      string `json:"code"`
	Version   int    `json:"version"`
}

func newHouseholdsIssueCodesCmd(e env, cfg *config) *cobra.Command {
	var (
		all    bool
		out    string
		reason string
		force  bool
	)
	c := &cobra.Command{
		Use:   "issue-codes PROJECT (HOUSEHOLD... | --all) --out FILE.csv [--reason R]",
		Short: "Issue query codes (查询码) to households, written once to a private file",
		Long: `issue-codes issues each named household (or, with --all, every household of the
register that has no code yet) a new query code, and writes the codes to --out, a
CSV file only its owner can read (0600): project, household, code, version — for
printing the notices. Only the codes' Argon2id hashes are kept: this file is the
one place the codes are written, so keep it safe and delete it once the notices
are handed out. A household that has a code gets a new one in its place (the old
one stops working at once), which needs --reason. The codes are not printed on
the terminal.

Exit codes: 0 issued, 2 refused or error (nothing issued for the household named).`,
		Example: `  gongshi households issue-codes CC-2026-001 --all --out 查询码.csv
  gongshi households issue-codes CC-2026-001 0007 --reason 户主遗失通知书 --out 0007.csv`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			project, hhs := args[0], args[1:]
			if all == (len(hhs) > 0) {
				return errors.New("name the households, or give --all (every household without a code)")
			}
			if out == "" {
				return errors.New("--out FILE.csv is required: the codes are written there once, never shown again")
			}
			if err := checkOutput("--out", out, force); err != nil {
				return err
			}
			ctx := cmd.Context()
			return cfg.withHouseholds(ctx, e, codeHasher(), func(hs *households.Service) error {
				if all {
					reg, err := hs.Register(ctx, project)
					if err != nil {
						return err
					}
					for _, h := range reg.Households {
						cur, err := hs.CodeOf(ctx, project, h.Number)
						if err == nil && cur.Status == households.CodeIssued {
							continue
						}
						if err != nil && !errors.Is(err, archive.ErrNotFound) {
							return err
						}
						hhs = append(hhs, h.Number)
					}
				}
				var issued []issuedCode
				var failed []string
				for _, hh := range hhs {
					code, c, err := hs.IssueCode(ctx, project, hh, archive.ActorCLI, reason)
					if err != nil {
						failed = append(failed, fmt.Sprintf("%s: %v", hh, err))
						continue
					}
					issued = append(issued, issuedCode{Project: project, Household: hh, Code: households.FormatCode(code), Version: c.Version})
				}
				if len(issued) > 0 {
					err := writePrivate("--out", out, force, func(w io.Writer) error {
						cw := sheetsafe.NewWriter(w, false)
						cw.Write([]string{"项目 project", "户号 household", "查询码 code", "版本 version"})
						for _, ic := range issued {
							cw.Write([]string{ic.Project, ic.Household, ic.Code, strconv.Itoa(ic.Version)})
						}
						return cw.Flush()
					})
					if err != nil {
						return fmt.Errorf("%d code(s) were issued but could not be written (issue them again with --reason): %w", len(issued), err)
					}
				}
				fmt.Fprintf(e.stdout, "issued %d code(s) for %s, written to %s (已发放查询码)\n", len(issued), project, out)
				if len(failed) > 0 {
					return &linesError{head: fmt.Sprintf("%d household(s) got no code:", len(failed)), lines: failed}
				}
				return nil
			})
		},
	}
	c.Flags().BoolVar(&all, "all", false, "every household of the register that has no code yet")
	c.Flags().StringVar(&out, "out", "", "the private CSV file the codes are written to (required)")
	c.Flags().StringVar(&reason, "reason", "", "why, when a household's code is replaced")
	c.Flags().BoolVar(&force, "force", false, "replace --out if it exists")
	return c
}

func newHouseholdsRevokeCodeCmd(e env, cfg *config) *cobra.Command {
	var reason string
	c := &cobra.Command{
		Use:   "revoke-code PROJECT HOUSEHOLD --reason R",
		Short: "Revoke a household's query code (its sessions end within seconds)",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			if strings.TrimSpace(reason) == "" {
				return errors.New("--reason is required: say why the code is revoked")
			}
			return cfg.withHouseholds(cmd.Context(), e, nil, func(hs *households.Service) error {
				c, err := hs.RevokeCode(cmd.Context(), args[0], args[1], archive.ActorCLI, reason)
				switch {
				case errors.Is(err, archive.ErrNotFound):
					return &exitError{code: exitNo, err: fmt.Errorf("%s household %s has no code", args[0], args[1])}
				case errors.Is(err, archive.ErrUnchanged):
					fmt.Fprintf(e.stdout, "the code of %s household %s was revoked already (version %d)\n", args[0], args[1], c.Version)
					return nil
				case err != nil:
					return err
				}
				fmt.Fprintf(e.stdout, "revoked the code of %s household %s (version %d) (查询码已作废)\n", args[0], args[1], c.Version)
				return nil
			})
		},
	}
	c.Flags().StringVar(&reason, "reason", "", "why (required)")
	return c
}
