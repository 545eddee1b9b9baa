package households

import (
	"errors"
	"strings"
	"testing"

	"golang.org/x/text/encoding/simplifiedchinese"

	"github.com/gongshi-archive/gongshi/archive"
)

// A register imports with its policy, undeclared columns private; a second
// import is a correction that needs its reason; each version is a ledger entry
// that names the project, never a household's data.
func TestImportRegister(t *testing.T) {
	f := newFixture(t)
	r := f.register()
	if r.Version != 1 || len(r.Households) != 3 || r.Source.Encoding != "utf-8" || r.Actor != archive.AccountActor("u-1") {
		t.Fatalf("register: %+v", r)
	}
	want := map[string]archive.ColumnPolicy{"户号": "public", "户主": "masked", "身份证号": "private", "联系电话": "private",
		"房屋坐落": "masked", "建筑面积（平方米）": "public", "产权性质": "public", "备注": "private"}
	for _, c := range r.Columns {
		if c.Policy != want[c.Name] {
			t.Errorf("column %s: %s, want %s", c.Name, c.Policy, want[c.Name])
		}
	}
	if c, _ := r.Column("户主"); c.Mask != archive.MaskName {
		t.Errorf("户主 masked as %q, want name", c.Mask)
	}
	if c, _ := r.Column("房屋坐落"); c.Mask != archive.MaskAddress {
		t.Errorf("房屋坐落 masked as %q, want address", c.Mask)
	}
	if r.Roles[RoleArea] != "建筑面积（平方米）" || r.Roles[RoleHead] != "户主" {
		t.Errorf("roles %v", r.Roles)
	}
	h, _ := r.Household("0002")
	if r.Value(h, "户主") != "欧阳明月" {
		t.Errorf("0002: %v", h)
	}

	_, err := f.s.ImportRegister(f.ctx, project, []byte(registerCSV), ImportOptions{Policy: registerPolicy}, archive.ActorCLI, "")
	if !errors.Is(err, ErrReasonRequired) {
		t.Fatalf("second import without a reason: %v", err)
	}
	r2, err := f.s.CorrectHousehold(f.ctx, project, "0003", map[string]string{"建筑面积（平方米）": "121.5"}, archive.ActorCLI, "复测面积")
	if err != nil {
		t.Fatal(err)
	}
	if r2.Version != 2 || r2.Supersedes.Reason != "复测面积" {
		t.Fatalf("correction: %+v", r2)
	}
	if h, _ := r2.Household("0003"); r2.Value(h, "建筑面积（平方米）") != "121.5" {
		t.Fatalf("corrected value: %v", h)
	}
	if _, err := f.s.CorrectHousehold(f.ctx, project, "0003", map[string]string{"户号": "0009", "面积": "1"}, archive.ActorCLI, "x"); !errors.Is(err, archive.ErrInvalid) {
		t.Fatalf("correcting the number and a column that is not there: %v", err)
	}
	if n := f.entries(archive.SubjectHousehold); n != 2 {
		t.Fatalf("%d ledger entries of the register, want 2", n)
	}
	b, err := f.s.registers.Bytes(f.ctx, project, 1)
	if err != nil {
		t.Fatal(err)
	}
	err = f.led.Entries(f.ctx, func(_ int64, e []byte) error {
		for _, canary := range []string{"张三丰", "220102195001011234", "0001"} {
			if strings.Contains(string(e), canary) {
				t.Errorf("a ledger entry holds %q:\n%s", canary, e)
			}
		}
		return nil
	})
	if err != nil || !strings.Contains(string(b), "张三丰") {
		t.Fatalf("the version in the store keeps the data: %v", err)
	}
}

// A register with many bad rows is refused with every problem named by line,
// household and column, and nothing is stored.
func TestImportRegisterBadRows(t *testing.T) {
	f := newFixture(t)
	csv := "户号,户主,房屋坐落,建筑面积,产权性质,备注\n" +
		"0001,张三,东天街1号,86.5,私有,\n" + // line 2: fine
		",李四,东天街2号,70,私有,\n" + // line 3: no number
		"0001,王五,东天街3号,70,私有,\n" + // line 4: number twice
		"0004,,东天街4号,70,私有,\n" + // line 5: no head
		"0005,赵六,东天街5号,七十,私有,\n" + // line 6: area not a number
		"0006,钱七,东天街6号,-3,,\n" + // line 7: bad area, no ownership
		"东7,孙八,东天街7号,70,私有,\n" + // line 8: number not plain
		"0008,周九,东天街8号,70,私有,多,一列\n" + // line 9: more values than columns
		"0009,吴十,东天街9号,1,234.5,私有,\n" // line 10: a comma in a number shifts the values
	_, err := f.s.ImportRegister(f.ctx, project, []byte(csv), ImportOptions{Name: "bad.csv",
		Policy: Policy{Public: []string{"户号", "面积"}, Masked: []string{"户主:surname"}}}, archive.ActorCLI, "")
	var ie *ImportError
	if !errors.As(err, &ie) || !errors.Is(err, archive.ErrInvalid) {
		t.Fatalf("err = %v", err)
	}
	want := []string{
		"line 3: column 户号: empty",
		"line 4: household 0001: column 户号: given twice (first on line 2)",
		"line 5: household 0004: column 户主: empty",
		"line 6: household 0005: column 建筑面积: \"七十\" is not an area",
		"line 7: household 0006: column 建筑面积: \"-3\" is not an area",
		"line 7: household 0006: column 产权性质: empty",
		"line 8: household 东7: column 户号: \"东7\"",
		"line 9: household 0008: the row has 7 values and the header 6 columns",
		"column 户主: masked as \"surname\"",
		"column 面积: declared, but the file has no such column",
	}
	got := strings.Join(ie.Lines(), "\n")
	for _, w := range want {
		if !strings.Contains(got, w) {
			t.Errorf("missing %q in\n%s", w, got)
		}
	}
	if !strings.Contains(got, "line 10: household 0009: the row has 7 values") {
		t.Errorf("the shifted row is not named:\n%s", got)
	}
	if _, err := f.s.Register(f.ctx, project); !errors.Is(err, ErrNoRegister) {
		t.Fatalf("something was stored: %v", err)
	}
	if n := f.entries(archive.SubjectHousehold); n != 0 {
		t.Fatalf("%d entries", n)
	}
}

// A register saved by Excel on Chinese Windows (GB18030, CRLF) imports as the
// same register; one with a byte that is neither is refused naming where; a
// register without the columns the law needs says which are missing.
func TestImportRegisterGB18030(t *testing.T) {
	f := newFixture(t)
	gb, err := simplifiedchinese.GB18030.NewEncoder().String(strings.ReplaceAll(registerCSV, "\n", "\r\n"))
	if err != nil {
		t.Fatal(err)
	}
	r, err := f.s.ImportRegister(f.ctx, project, []byte(gb), ImportOptions{Name: "登记表.csv", Policy: registerPolicy}, archive.ActorCLI, "")
	if err != nil {
		t.Fatal(err)
	}
	if r.Source.Encoding != "gb18030" {
		t.Fatalf("encoding %q", r.Source.Encoding)
	}
	if h, _ := r.Household("0002"); r.Value(h, "户主") != "欧阳明月" || r.Value(h, "房屋坐落") != "南关区东天街88号6栋1单元101室" {
		t.Fatalf("read as %v", h.Values)
	}

	broken := []byte(gb)
	i := strings.Index(gb, "0003,") + 5 // the first byte of 李四
	broken[i] = 0xFF
	_, err = f.s.ImportRegister(f.ctx, "CC-2026-001", broken, ImportOptions{Name: "坏.csv", Policy: registerPolicy}, archive.ActorCLI, "again")
	var ie *ImportError
	if !errors.As(err, &ie) || !strings.Contains(err.Error(), "row 4") || !strings.Contains(err.Error(), "household register") ||
		!strings.Contains(err.Error(), "column 户主") {
		t.Fatalf("a bad byte: %v", err)
	}

	_, err = f.s.ImportRegister(f.ctx, project, []byte("户号,姓名\n0001,张三\n"), ImportOptions{}, archive.ActorCLI, "again")
	for _, w := range []string{"no 房屋坐落 (address) column", "no 建筑面积 (building area) column", "no 产权性质 (ownership) column"} {
		if err == nil || !strings.Contains(err.Error(), w) {
			t.Errorf("missing %q in %v", w, err)
		}
	}
	if err != nil && strings.Contains(err.Error(), "户主 (head") {
		t.Errorf("姓名 is a head-of-household column: %v", err)
	}
}

// JSON registers read as CSV ones do; a key given twice refuses the file.
func TestImportRegisterJSON(t *testing.T) {
	f := newFixture(t)
	js := `[{"户号":"0001","户主":"张三","房屋坐落":"东天街1号","建筑面积":86.5,"产权性质":"私有"},
	        {"户号":"0002","户主":"李四","房屋坐落":"东天街2号","建筑面积":70,"产权性质":"私有","电话":"139"}]`
	r, err := f.s.ImportRegister(f.ctx, project, []byte(js), ImportOptions{Name: "r.json", Policy: Policy{Public: []string{"建筑面积"}}}, archive.ActorCLI, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Columns) != 6 || r.Columns[5].Name != "电话" || r.Columns[5].Policy != archive.ColumnPrivate {
		t.Fatalf("columns %+v", r.Columns)
	}
	if h, _ := r.Household("0001"); r.Value(h, "电话") != "" || r.Value(h, "建筑面积") != "86.5" {
		t.Fatalf("0001: %v", h.Values)
	}
	_, err = f.s.ImportRegister(f.ctx, project, []byte(`[{"户号":"1","户号":"2"}]`), ImportOptions{Name: "x.json"}, archive.ActorCLI, "again")
	if err == nil || !strings.Contains(err.Error(), "given twice") {
		t.Fatalf("a key twice: %v", err)
	}
}
