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
