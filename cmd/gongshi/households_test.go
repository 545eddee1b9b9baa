package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/text/encoding/simplifiedchinese"

	"github.com/gongshi-archive/gongshi/archive"
)

const cliRegister = "户号,户主,身份证号,联系电话,房屋坐落,建筑面积（平方米）,产权性质,备注\n" +
	"0001,张三丰,220102195001011234,13900000001,南关区东天街88号5栋3单元402室,86.50,私有,电话13900000009\n" +
	"0002,欧阳明月,220102196002022345,13900000002,南关区东天街88号6栋1单元101室,64.2,私有,\n" +
	"0003,李四,220102197003033456,13900000003,南关区东天街90号,120,公有,低保户\n"

// personal are the register's personal values: no command prints any of them.
var personal = []string{"张三丰", "欧阳明月", "李四", "220102195001011234", "13900000001", "东天街88号5栋", "低保户", "13900000009"}

func noPersonal(t *testing.T, what, out string) {
	t.Helper()
	for _, p := range personal {
		if strings.Contains(out, p) {
			t.Errorf("%s prints the personal value %q:\n%s", what, p, out)
		}
	}
}

// The register is imported from the CSV Excel writes on Chinese Windows
// (GB18030, CRLF), a bad file is refused with every problem and stores nothing,
// a second import needs its reason; a table attached to a filed survey result
// checks against its sealed original, and a tampered original fails the check;
// the objection clock is recorded and listed. No command prints a personal value.
func TestHouseholdsCommands(t *testing.T) {
	c := backends(t)["fs"](t)
	c.now = time.Date(2026, 12, 1, 2, 0, 0, 0, time.UTC) // 10:00 in China
	createProject(t, c)
	dir := t.TempDir()
	write := func(name, text string, gb bool) string {
		b := []byte(text)
		if gb {
			s, err := simplifiedchinese.GB18030.NewEncoder().String(strings.ReplaceAll(text, "\n", "\r\n"))
			if err != nil {
				t.Fatal(err)
			}
			b = []byte(s)
		}
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	policy := []string{"--public", "户号,建筑面积（平方米）,产权性质", "--masked", "户主,房屋坐落"}

	// A bad register: every problem, nothing stored.
	bad := write("bad.csv", "户号,户主,房屋坐落,建筑面积,产权性质\n,李四,东天街2号,70,私有\n0004,,东天街4号,七十,私有\n", false)
	out, errOut, code := c.run(append([]string{"households", "import", "CC-2026-001", bad}, policy...)...)
	if code != exitOperator || !strings.Contains(errOut, "nothing stored") || strings.Count(errOut, "\n  - ") < 3 {
		t.Errorf("bad register: exit %d\n%s%s", code, out, errOut)
	}
	if _, errOut, code := c.run("households", "show", "CC-2026-001"); code != exitNo || !strings.Contains(errOut, "no household register") {
		t.Errorf("show after a refused import: exit %d %s", code, errOut)
	}
	if _, errOut, code := c.run("households", "import", "XX-2026-009", bad); code != exitOperator || !strings.Contains(errOut, "no project") {
		t.Errorf("unknown project: exit %d %s", code, errOut)
	}

	// The GB18030 register.
	reg := write("登记.csv", cliRegister, true)
	out, errOut, code = c.run(append([]string{"households", "import", "CC-2026-001", reg, "--json"}, policy...)...)
	if code != exitOK {
		t.Fatalf("import: exit %d\n%s%s", code, out, errOut)
	}
	var sum registerSummary
	if err := json.Unmarshal([]byte(out), &sum); err != nil || sum.Version != 1 || sum.Households != 3 || sum.Source.Encoding != "gb18030" {
		t.Fatalf("import summary %+v (%v)\n%s", sum, err, out)
	}
	noPersonal(t, "import --json", out)
	for _, col := range sum.Columns {
		want := map[string]archive.ColumnPolicy{"户号": archive.ColumnPublic, "户主": archive.ColumnMasked, "身份证号": archive.ColumnPrivate, "备注": archive.ColumnPrivate}[col.Name]
		if want != "" && col.Policy != want {
			t.Errorf("column %s is %s, want %s", col.Name, col.Policy, want)
		}
	}
	if _, errOut, code := c.run("households", "import", "CC-2026-001", reg); code != exitOperator || !strings.Contains(errOut, "--reason") {
		t.Errorf("second import without a reason: exit %d %s", code, errOut)
	}
	if out, errOut, code := c.run(append([]string{"households", "import", "CC-2026-001", reg, "--reason", "补登"}, policy...)...); code != exitOK || !strings.Contains(out, "version 2") {
		t.Errorf("second import: exit %d %s%s", code, out, errOut)
	}
	if out, errOut, code := c.run("households", "correct", "CC-2026-001", "0002", "--set", "联系电话=13900000099", "--reason", "户主来电更正"); code != exitOK || !strings.Contains(out, "version 3") {
		t.Errorf("correct: exit %d %s%s", code, out, errOut)
	}
	if _, errOut, code := c.run("households", "correct", "CC-2026-001", "0002", "--set", "电话=1"); code != exitOperator || !strings.Contains(errOut, "--reason") {
		t.Errorf("correct without a reason: exit %d %s", code, errOut)
	}
	out, errOut, code = c.run("households", "show", "CC-2026-001")
	if code != exitOK || !strings.Contains(out, "户主来电更正") || !strings.Contains(out, "masked") {
		t.Errorf("show: exit %d\n%s%s", code, out, errOut)
	}
	noPersonal(t, "show", out)

	// A filed survey result and its table.
	fx := makeIngestFixtures(t)
	fx.signed(t, "调查.pdf", "survey")
	out, errOut, code = c.run("ingest", filepath.Join(fx.dir, "调查.pdf"), "--project", "CC-2026-001", "--type", "survey_result",
		"--title", "东天街片区入户调查结果", "--date", "2026-11-30", "--issuer", "长春市房屋征收经办中心", "--trust-roots", fx.roots, "--json")
	if code != exitOK {
		t.Fatalf("ingest: exit %d\n%s%s", code, out, errOut)
	}
	var filed struct {
		Record archive.Record `json:"record"`
	}
	if err := json.Unmarshal([]byte(out), &filed); err != nil || filed.Record.ID == "" {
		t.Fatalf("ingest output: %v\n%s", err, out)
	}
	id := filed.Record.ID
	table := write("调查.csv", "户号,户主,房屋坐落,建筑面积（平方米）,调查备注\n"+
		"0001,张三丰,南关区东天街88号5栋3单元402室,86.50,低保户\n0002,欧阳明月,南关区东天街88号6栋1单元101室,64.2,\n0003,李四,南关区东天街90号,120,\n", true)
	if _, errOut, code := c.run("households", "attach-table", id, table, "--from", "2026-02-30"); code != exitOperator || !strings.Contains(errOut, "--from") {
		t.Errorf("attach-table with a bad day: exit %d %s", code, errOut)
	}
	out, errOut, code = c.run("households", "attach-table", id, table, "--from", "2026-12-01", "--json")
	if code != exitOK {
		t.Fatalf("attach-table: exit %d\n%s%s", code, out, errOut)
	}
	noPersonal(t, "attach-table", out)
	var ts tableSummary
	if err := json.Unmarshal([]byte(out), &ts); err != nil || ts.Rows != 3 || ts.Masked.IsZero() {
		t.Fatalf("attach-table summary %+v (%v)", ts, err)
	}
	for _, col := range ts.Columns {
		// Undeclared columns take the register's policy; 调查备注 is in neither: private.
		want := map[string]archive.ColumnPolicy{"户主": archive.ColumnMasked, "建筑面积（平方米）": archive.ColumnPublic, "调查备注": archive.ColumnPrivate}[col.Name]
		if want != "" && col.Policy != want {
			t.Errorf("table column %s is %s, want %s", col.Name, col.Policy, want)
		}
	}
	out, errOut, code = c.run("households", "check-table", id)
	if code != exitOK || !strings.Contains(out, "OK:") {
		t.Errorf("check-table: exit %d\n%s%s", code, out, errOut)
	}
	noPersonal(t, "check-table", out)
	if _, errOut, code := c.run("households", "check-table", id, "--version", "2"); code != exitNo || !strings.Contains(errOut, "no table") {
		t.Errorf("check-table of a version that does not exist: exit %d %s", code, errOut)
	}
	// An intruder rewrites the sealed CSV (here, where no lock protects it).
	c.raw(t).Overwrite(t, archive.ContentKey(ts.Content.SHA256), []byte("户号,户主\n0001,张**\n"))
	out, errOut, code = c.run("households", "check-table", id, "--json")
	if code != exitNo {
		t.Errorf("check-table of a tampered CSV: exit %d\n%s%s", code, out, errOut)
	}
	var chk struct {
		ContentOK bool `json:"content_ok"`
		MaskedOK  bool `json:"masked_ok"`
	}
	if err := json.Unmarshal([]byte(out), &chk); err != nil || chk.ContentOK || chk.MaskedOK {
		t.Errorf("check-table --json of a tampered CSV: %+v (%v)\n%s", chk, err, out)
	}
	// A replacement that keeps 户主 private against the register's masked.
	table2 := write("调查-更正.csv", "户号,户主,房屋坐落,建筑面积（平方米）,调查备注\n"+
		"0001,张三丰,南关区东天街88号5栋3单元402室,86.50,低保户\n0002,欧阳明月,南关区东天街88号6栋1单元101室,64.20,\n0003,李四,南关区东天街90号,120,\n", true)
	out, errOut, code = c.run("households", "attach-table", id, table2, "--private", "户主", "--reason", "面积更正", "--json")
	if code != exitOK {
		t.Fatalf("attach-table --private: exit %d\n%s%s", code, out, errOut)
	}
	if err := json.Unmarshal([]byte(out), &ts); err != nil || ts.Version != 2 {
		t.Fatalf("attach-table --private summary %+v (%v)", ts, err)
	}
	for _, col := range ts.Columns {
		if col.Name == "户主" && col.Policy != archive.ColumnPrivate {
			t.Errorf("--private 户主: the column is %s", col.Policy)
		}
	}

	// The objection clock: household 0002's appraisal report, delivered on 1
	// December; ten days to ask for a re-check.
	if _, errOut, code := c.run("households", "step", "CC-2026-001", "0002", "report_delivered", "2026-12-01", id); code != exitOperator || !strings.Contains(errOut, "appraisal_report") {
		t.Errorf("a step documented by the wrong record: exit %d %s", code, errOut)
	}
	fx.signed(t, "报告.pdf", "report")
	out, errOut, code = c.run("ingest", filepath.Join(fx.dir, "报告.pdf"), "--project", "CC-2026-001", "--type", "appraisal_report",
		"--title", "0002户分户评估报告", "--date", "2026-11-30", "--issuer", "吉林省某房地产估价有限公司", "--household", "0002", "--trust-roots", fx.roots, "--json")
	if code != exitOK {
		t.Fatalf("ingest the report: exit %d\n%s%s", code, out, errOut)
	}
	if err := json.Unmarshal([]byte(out), &filed); err != nil {
		t.Fatal(err)
	}
	report := filed.Record.ID
	if out, errOut, code := c.run("households", "step", "CC-2026-001", "0002", "report_delivered", "2026-12-01", report); code != exitOK || !strings.Contains(out, "left") {
		t.Errorf("step: exit %d\n%s%s", code, out, errOut)
	}
	if _, errOut, code := c.run("households", "step", "CC-2026-001", "0002", "no_such_step", "2026-12-01", report); code != exitOperator {
		t.Errorf("an unknown step: exit %d %s", code, errOut)
	}
	out, errOut, code = c.run("households", "clocks")
	if code != exitOK || !strings.Contains(out, "0002") || !strings.Contains(out, "open") {
		t.Errorf("clocks: exit %d\n%s%s", code, out, errOut)
	}
	// A month later nobody asked: the household's right lapsed, nobody is late.
	c.now = time.Date(2027, 1, 5, 2, 0, 0, 0, time.UTC)
	out, errOut, code = c.run("households", "clocks")
	if code != exitOK || strings.Contains(out, "0002") {
		t.Errorf("clocks a month later: exit %d\n%s%s", code, out, errOut)
	}
}
