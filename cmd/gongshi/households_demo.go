package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/gongshi-archive/gongshi/archive"
	"github.com/gongshi-archive/gongshi/archive/blob"
	"github.com/gongshi-archive/gongshi/households"
)

// demoRegister is the demo's household register of 东天街 (CC-2026-001): the
// households whose appraisal reports and agreements the demo files. Invented
// names and numbers.
const demoRegister = "户号,户主,身份证号,联系电话,房屋坐落,建筑面积（平方米）,产权性质,备注\n" +
	"3-101,张明华,220102195503120011,13900000101,南关区东天街88号3栋1单元101室,86.50,私有,\n" +
	"3-102,欧阳秀兰,220102196008230022,13900000102,南关区东天街88号3栋1单元102室,64.20,私有,申请复核\n" +
	"3-103,李建国,220102195211050033,13900000103,南关区东天街88号3栋1单元103室,72.80,私有,\n"

// demoExtras makes the demo's household register of CC-2026-001 and gives its
// households fresh query codes (each run, since only their hashes are kept),
// and returns the lines to print: how to log in as a resident.
func demoExtras(ctx context.Context, cfg *config, st blob.Store) []string {
	e := env{now: time.Now}
	a, _, err := cfg.archiveOn(ctx, st, e)
	if err != nil {
		return []string{"  (households: " + err.Error() + ")"}
	}
	hs, err := households.New(a, households.Options{Hasher: codeHasher()})
	if err != nil {
		return []string{"  (households: " + err.Error() + ")"}
	}
	const project = "CC-2026-001"
	if _, err := hs.Register(ctx, project); errors.Is(err, households.ErrNoRegister) {
		_, err = hs.ImportRegister(ctx, project, []byte(demoRegister), households.ImportOptions{Name: "东天街登记.csv",
			Policy: households.Policy{Public: []string{"户号", "建筑面积（平方米）", "产权性质"}, Masked: []string{"户主", "房屋坐落"}}}, archive.ActorCLI, "")
		if err != nil {
			return []string{"  (households: " + err.Error() + ")"}
		}
	}
	if err := demoHouseholdData(ctx, a, hs, project); err != nil {
		return []string{"  (households: " + err.Error() + ")"}
	}
	lines := []string{"", "  居民查询 Residents (/household): project " + project}
	for _, hh := range []string{"3-101", "3-102"} {
		code, _, err := hs.IssueCode(ctx, project, hh, archive.ActorCLI, "演示：重新发放 demo re-issue")
		if err != nil {
			return append(lines, "  (households: "+err.Error()+")")
		}
		lines = append(lines, fmt.Sprintf("  household %-6s code %s", hh, households.FormatCode(code)))
	}
	return lines
}

// The demo's per-household tables (invented figures): the preliminary
// appraisal, posted for its publicity period from the day the demo first runs,
// and each household's compensation (no window: shown as long as the record).
const (
	demoPreliminary = "户号,户主,建筑面积（平方米）,评估单价（元/平方米）,评估金额（元）,备注\n" +
		"3-101,张明华,86.50,8200,709300,\n" +
		"3-102,欧阳秀兰,64.20,8150,523230,户主电话13900000102\n" +
		"3-103,李建国,72.80,8200,596960,\n"
	demoCompensation = "户号,户主,补偿方式,补偿金额（元）,搬迁奖励（元）\n" +
		"3-101,张明华,货币补偿,709300,30000\n" +
		"3-102,欧阳秀兰,产权调换,523230,20000\n" +
		"3-103,李建国,货币补偿,596960,30000\n"
)

// demoHouseholdData attaches the tables of CC-2026-001's appraisal_preliminary
// and household_compensation records and records the objection clocks of
// 3-101 (its report delivered three days ago: the re-check window open) and
// 3-102 (every step, in May), so that a resident logging in with a printed
// code sees masked tables and a clock. Each is done once: a re-run keeps what
// the first run stored.
func demoHouseholdData(ctx context.Context, a *archive.Archive, hs *households.Service, project string) error {
	byType := map[string]string{}  // type → the project's record of it (no household)
	byHH := map[[2]string]string{} // (household, type) → record
	err := a.Records(ctx, func(r archive.Record) error {
		if r.Project != project {
			return nil
		}
		if r.Household == "" {
			byType[r.Type] = r.ID
		} else {
			byHH[[2]string{r.Household, r.Type}] = r.ID
		}
		return nil
	})
	if err != nil {
		return err
	}
	tables := []struct {
		typ, csv string
		public   []string
	}{
		{"appraisal_preliminary", demoPreliminary, []string{"建筑面积（平方米）", "评估单价（元/平方米）", "评估金额（元）"}},
		{"household_compensation", demoCompensation, []string{"补偿方式", "补偿金额（元）", "搬迁奖励（元）"}},
	}
	for _, t := range tables {
		id, ok := byType[t.typ]
		if !ok {
			return fmt.Errorf("the demo has no %s record of %s", t.typ, project)
		}
		if _, err := hs.Table(ctx, id); !errors.Is(err, archive.ErrNotFound) {
			if err != nil {
				return err
			}
			continue // attached by an earlier run
		}
		if _, err := hs.AttachTable(ctx, id, []byte(t.csv), households.TableOptions{Name: t.typ + ".csv",
			Policy: households.Policy{Public: t.public}}, archive.ActorCLI, ""); err != nil {
			return err
		}
	}
	today := archive.DateOf(time.Now())
	clocks := []struct {
		hh    string
		steps []households.Step
	}{
		{"3-101", []households.Step{{Kind: households.StepReportDelivered, Day: today.AddDays(-3), Record: byHH[[2]string{"3-101", "appraisal_report"}]}}},
		{"3-102", []households.Step{
			{Kind: households.StepReportDelivered, Day: archive.D(2026, 5, 8), Record: byHH[[2]string{"3-102", "appraisal_report"}]},
			{Kind: households.StepRecheckRequested, Day: archive.D(2026, 5, 14), Record: byHH[[2]string{"3-102", "recheck"}]},
			{Kind: households.StepRecheckAnswered, Day: archive.D(2026, 5, 20), Record: byHH[[2]string{"3-102", "recheck"}]},
			{Kind: households.StepExpertRequested, Day: archive.D(2026, 5, 28), Record: byHH[[2]string{"3-102", "expert_appraisal"}]},
			{Kind: households.StepExpertOpinion, Day: archive.D(2026, 5, 28), Record: byHH[[2]string{"3-102", "expert_appraisal"}]},
		}},
	}
	for _, c := range clocks {
		o, err := hs.ObjectionOf(ctx, project, c.hh)
		if err != nil {
			return err
		}
		for _, st := range c.steps[len(o.Steps):] {
			if _, err := hs.RecordStep(ctx, project, c.hh, st, archive.ActorCLI, ""); err != nil {
				return err
			}
		}
	}
	return nil
}
