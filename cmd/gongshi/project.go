package main

import (
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/gongshi-archive/gongshi/archive"
)

func newProjectCmd(e env, cfg *config) *cobra.Command {
	c := &cobra.Command{
		Use:   "project",
		Short: "Create, list and show expropriation projects (征收项目)",
		Args:  cobra.NoArgs,
		RunE:  groupHelp,
	}
	c.AddCommand(newProjectCreateCmd(e, cfg), newProjectListCmd(e, cfg), newProjectShowCmd(e, cfg))
	return c
}

func newProjectCreateCmd(e env, cfg *config) *cobra.Command {
	var (
		p      archive.Project
		cat    string
		dates  []string
		asJSON bool
	)
	c := &cobra.Command{
		Use:   "create --code CODE --name NAME --city CITY [flags]",
		Short: "Create a project",
		Example: `  gongshi project create --code CC-2026-001 --name 南关区东天街片区旧城区改建项目 \
    --city 长春市 --district 南关区 --department 长春市房屋征收经办中心 \
    --category old_city_renovation --households 412 --date decision=2026-03-18`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			p.Category = archive.Category(cat)
			if len(dates) > 0 {
				p.Dates = map[string]archive.Date{}
				for _, d := range dates {
					name, value, ok := strings.Cut(d, "=")
					if !ok {
						return fmt.Errorf("--date %q: use NAME=YYYY-MM-DD, e.g. decision=2026-03-18", d)
					}
					day, err := archive.ParseDate(value)
					if err != nil {
						return fmt.Errorf("--date %s: %w", name, err)
					}
					p.Dates[strings.TrimSpace(name)] = day
				}
			}
			a, closeArchive, err := cfg.openArchive(cmd.Context(), e)
			if err != nil {
				return err
			}
			defer closeArchive()
			created, err := a.CreateProject(cmd.Context(), p)
			if errors.Is(err, archive.ErrProjectExists) {
				return fmt.Errorf("project %s already exists (项目已存在): choose another code, or see 'gongshi project show %s'", p.Code, p.Code)
			}
			if err != nil {
				return explain(err)
			}
			if asJSON {
				return writeJSON(e.stdout, created)
			}
			fmt.Fprintf(e.stdout, "created project %s (已创建项目)\n", created.Code)
			printProject(e.stdout, created)
			return nil
		},
	}
	f := c.Flags()
	f.StringVar(&p.Code, "code", "", "project code: 2–32 of A–Z, 0–9 and '-', e.g. CC-2026-001 (required)")
	f.StringVar(&p.Name, "name", "", "project name 项目名称 (required)")
	f.StringVar(&p.City, "city", "", "city 市 (required)")
	f.StringVar(&p.District, "district", "", "county or district 县（区）")
	f.StringVar(&p.Department, "department", "", "expropriating department 房屋征收部门")
	f.StringVar(&p.Implementer, "implementer", "", "implementing unit 房屋征收实施单位")
	f.StringVar(&p.Contact, "contact", "", "the implementing unit's address and telephone for residents 联系方式 (shown in the disclosure guide)")
	f.StringVar(&p.Hotline, "hotline", "", "complaint hotline 投诉电话 (shown on the project page)")
	f.StringVar(&cat, "category", "", "public-interest ground (Decree 590 Art. 8): "+categoryList())
	f.IntVar(&p.Households, "households", 0, "number of households affected 被征收户数")
	f.StringArrayVar(&dates, "date", nil, "a key date as NAME=YYYY-MM-DD (decision, announcement, signing_start, …); repeatable")
	f.BoolVar(&asJSON, "json", false, "print the created project as JSON")
	for _, req := range []string{"code", "name", "city"} {
		_ = c.MarkFlagRequired(req)
	}
	return c
}

func categoryList() string {
	var s []string
	for _, c := range archive.Categories() {
		s = append(s, string(c))
	}
	return strings.Join(s, ", ")
}

func newProjectListCmd(e env, cfg *config) *cobra.Command {
	var asJSON bool
	c := &cobra.Command{
		Use:   "list",
		Short: "List the projects, latest version of each",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			a, closeArchive, err := cfg.openArchive(cmd.Context(), e)
			if err != nil {
				return err
			}
			defer closeArchive()
			ps, err := a.Projects(cmd.Context())
			if err != nil {
				return err
			}
			if asJSON {
				if ps == nil {
					ps = []archive.Project{}
				}
				return writeJSON(e.stdout, ps)
			}
			if len(ps) == 0 {
				fmt.Fprintln(e.stdout, "no projects yet (暂无项目): create one with 'gongshi project create'")
				return nil
			}
			rows := [][]string{{"编号 CODE", "名称 NAME", "市 CITY", "区县 DISTRICT", "户数 HOUSEHOLDS", "版本 VERSION"}}
			for _, p := range ps {
				rows = append(rows, []string{p.Code, p.Name, p.City, p.District, fmt.Sprint(p.Households), fmt.Sprint(p.Version)})
			}
			return writeTable(e.stdout, rows)
		},
	}
	c.Flags().BoolVar(&asJSON, "json", false, "print as a JSON array")
	return c
}

func newProjectShowCmd(e env, cfg *config) *cobra.Command {
	var asJSON bool
	c := &cobra.Command{
		Use:   "show CODE",
		Short: "Show one project",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			code := args[0]
			if err := archive.ValidateProjectCode(code); err != nil {
				return explain(err)
			}
			a, closeArchive, err := cfg.openArchive(cmd.Context(), e)
			if err != nil {
				return err
			}
			defer closeArchive()
			p, err := a.Project(cmd.Context(), code)
			if errors.Is(err, archive.ErrNotFound) {
				return &exitError{code: exitNo, err: fmt.Errorf("no project %s (项目不存在): see 'gongshi project list'", code)}
			}
			if err != nil {
				return err
			}
			if asJSON {
				return writeJSON(e.stdout, p)
			}
			printProject(e.stdout, p)
			return nil
		},
	}
	c.Flags().BoolVar(&asJSON, "json", false, "print as JSON")
	return c
}

func printProject(w io.Writer, p archive.Project) {
	var rows [][]string
	row := func(label, value string) {
		if value != "" {
			rows = append(rows, []string{label, value})
		}
	}
	row("编号 Code", p.Code)
	row("名称 Name", p.Name)
	row("市 City", p.City)
	row("县（区）District", p.District)
	row("征收部门 Department", p.Department)
	row("实施单位 Implementer", p.Implementer)
	row("联系方式 Contact", p.Contact)
	row("投诉电话 Hotline", p.Hotline)
	if p.Category != "" {
		row("公共利益类别 Category", p.Category.Label()+" ("+string(p.Category)+")")
	}
	if p.Households > 0 {
		row("被征收户数 Households", fmt.Sprint(p.Households))
	}
	for _, name := range sortedKeys(p.Dates) {
		row("日期 Date: "+name, p.Dates[name].String())
	}
	row("版本 Version", fmt.Sprint(p.Version))
	row("创建 Created", p.CreatedAt.In(chinaTime).Format("2006-01-02 15:04:05 (UTC+8)"))
	if p.Supersedes != nil {
		row("更正 Corrects", fmt.Sprintf("version %d: %s", p.Supersedes.Version, p.Supersedes.Reason))
	}
	writeTable(w, rows)
}

// explain turns a validation error into the list of what to fix, one problem a line.
func explain(err error) error {
	var ve *archive.ValidationError
	if !errors.As(err, &ve) {
		return err
	}
	le := &linesError{head: fmt.Sprintf("invalid %s (请更正以下问题):", ve.What)}
	for _, p := range ve.Problems {
		le.lines = append(le.lines, fmt.Sprint(p))
	}
	return le
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
