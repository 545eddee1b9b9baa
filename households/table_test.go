package households

import (
	"errors"
	"strings"
	"testing"

	"github.com/gongshi-archive/gongshi/archive"
	"github.com/gongshi-archive/gongshi/internal/storetest"
)

// The preliminary appraisal of the three households, with canaries in the
// columns that must never leave the staff side.
const appraisalCSV = "户号,户主,房屋坐落,建筑面积,评估单价（元/平方米）,评估总价（元）,联系电话,备注\n" +
	"0001,张三丰,南关区东天街88号5栋3单元402室,86.50,8200,709300,13900000001,已协商\n" +
	"0002,欧阳明月,南关区东天街88号6栋1单元101室,64.2,8150,523230,13900000002,\n" +
	"0003,李四,南关区东天街90号,120,7900,948000,13900000003,\n"

func (f *fixture) appraisal() archive.Record {
	return f.file(archive.Record{Type: "appraisal_preliminary", Title: "东天街片区分户初步评估结果公示"})
}

// A table attached to a preliminary appraisal: the masked view is derived from
// the sealed CSV (names to surnames, addresses to the building, private columns
// gone, undeclared columns private), its digest recorded and found again by the
// check; the window is the type's publicity period counted by the calendar.
func TestAttachTable(t *testing.T) {
	f := newFixture(t)
	f.register()
	rec := f.appraisal()
	f.setDay(archive.D(2026, 3, 4)) // a Wednesday: 7 days later is Wednesday 11 March
	tab, err := f.s.AttachTable(f.ctx, rec.ID, []byte(appraisalCSV), TableOptions{Name: "初评.csv",
		Policy: Policy{Public: []string{"评估单价（元/平方米）", "评估总价（元）"}}}, archive.AccountActor("u-1"), "")
	if err != nil {
		t.Fatal(err)
	}
	if tab.Window != (archive.DateWindow{From: archive.D(2026, 3, 4), To: archive.D(2026, 3, 11)}) {
		t.Fatalf("window %+v", tab.Window)
	}
	pol := map[string]archive.ColumnPolicy{}
	for _, c := range tab.Columns {
		pol[c.Name] = c.Policy
	}
	// 户主, 房屋坐落 and 建筑面积 take the register's policy; 联系电话 and 备注 are
	// private because nobody declared them.
	if pol["户主"] != "masked" || pol["房屋坐落"] != "masked" || pol["建筑面积"] != "public" || pol["联系电话"] != "private" || pol["备注"] != "private" {
		t.Fatalf("policy %v", pol)
	}
	p, err := f.s.ReadSealed(f.ctx, tab)
	if err != nil {
		t.Fatal(err)
	}
	v := MaskedView(p, tab)
	got := string(EncodeView(v))
	want := "户号,户主,房屋坐落,建筑面积,评估单价（元/平方米）,评估总价（元）\n" +
		"0001,张*,南关区东天街88号5栋*,86.50,8200,709300\n" +
		"0002,欧阳*,南关区东天街88号6栋*,64.2,8150,523230\n" +
		"0003,李*,南关区东天街90号,120,7900,948000\n"
	if got != want {
		t.Fatalf("masked view:\n%s\nwant\n%s", got, want)
	}
	if ViewDigest(v) != tab.Masked {
		t.Fatal("the recorded digest is not the view's")
	}
	own, ok := OwnRow(p, tab, "0002")
	if !ok || strings.Join(own.Rows[0], ",") != "0002,欧阳明月,南关区东天街88号6栋1单元101室,64.2,8150,523230" {
		t.Fatalf("own row %v", own)
	}
	ag := TableAggregates(p, tab)
	if ag.Rows != 3 || len(ag.Columns) != 3 || ag.Columns[0].Name != "建筑面积" || ag.Columns[0].Sum != "270.70" ||
		ag.Columns[0].Mean != "90.23" || ag.Columns[2].Sum != "2180530.00" {
		t.Fatalf("aggregates %+v", ag)
	}
	c, err := f.s.CheckTable(f.ctx, rec.ID, 0)
	if err != nil || !c.ContentOK || !c.MaskedOK {
		t.Fatalf("check: %+v %v", c, err)
	}
	if n := f.entries(archive.SubjectTable); n != 1 {
		t.Fatalf("%d table entries", n)
	}

	// A second attach is a correction with its reason; a window shorter than
	// the rule's is refused.
	if _, err := f.s.AttachTable(f.ctx, rec.ID, []byte(appraisalCSV), TableOptions{}, archive.ActorCLI, ""); !errors.Is(err, archive.ErrInvalid) {
		t.Fatalf("again without a reason: %v", err)
	}
	_, err = f.s.AttachTable(f.ctx, rec.ID, []byte(appraisalCSV), TableOptions{From: archive.D(2026, 3, 4), To: archive.D(2026, 3, 10)}, archive.ActorCLI, "延长")
	if err == nil || !strings.Contains(err.Error(), "at least until 2026-03-11") {
		t.Fatalf("a short window: %v", err)
	}
}

// The publicity period rolls off rest days (民法典 Art. 203) as the calendar
// counts it: posted on Friday 13 February 2026, its 7th day is a Spring Festival
// day off, so it runs until Tuesday 24 February.
func TestTableWindowRolls(t *testing.T) {
	f := newFixture(t)
	rec := f.appraisal()
	tab, err := f.s.AttachTable(f.ctx, rec.ID, []byte(appraisalCSV), TableOptions{From: archive.D(2026, 2, 13)}, archive.ActorCLI, "")
	if err != nil {
		t.Fatal(err)
	}
	if tab.Window.To != archive.D(2026, 2, 24) {
		t.Fatalf("window %+v", tab.Window)
	}
	// A survey result has no publicity period: no window, shown while published.
	sv := f.file(archive.Record{Type: "survey_result", Title: "调查登记结果"})
	tab2, err := f.s.AttachTable(f.ctx, sv.ID, []byte(appraisalCSV), TableOptions{}, archive.ActorCLI, "")
	if err != nil || !tab2.Window.IsZero() {
		t.Fatalf("survey table: %+v %v", tab2.Window, err)
	}
}

// A bad table is refused with every problem, nothing stored; a table of a
// household the register does not have is refused; a decision carries none.
func TestAttachTableRefused(t *testing.T) {
	f := newFixture(t)
	f.register()
	rec := f.appraisal()
	bad := "户号,户主,总价\n0001,张三,1\n0001,李四,2\n0099,王五,3\n,赵六,4\n"
	_, err := f.s.AttachTable(f.ctx, rec.ID, []byte(bad), TableOptions{Policy: Policy{Masked: []string{"户号"}}}, archive.ActorCLI, "")
	for _, w := range []string{"line 3: household 0001: column 户号: given twice", "line 4: household 0099: column 户号: not a household of the register",
		"line 5: column 户号: empty", "column 户号: the household number is the key"} {
		if err == nil || !strings.Contains(err.Error(), w) {
			t.Errorf("missing %q in %v", w, err)
		}
	}
	if _, err := f.s.AttachTable(f.ctx, rec.ID, []byte("姓名,总价\n张三,1\n"), TableOptions{}, archive.ActorCLI, ""); err == nil || !strings.Contains(err.Error(), "no household number column") {
		t.Errorf("no key: %v", err)
	}
	dec := f.file(archive.Record{Type: "decision", Title: "征收决定", DocNumber: "南府征字〔2026〕1号"})
	if _, err := f.s.AttachTable(f.ctx, dec.ID, []byte(appraisalCSV), TableOptions{}, archive.ActorCLI, ""); !errors.Is(err, archive.ErrNoTable) {
		t.Errorf("a decision: %v", err)
	}
	if h, _ := f.a.TableHistory(f.ctx, rec.ID); len(h) != 0 {
		t.Fatalf("stored: %v", h)
	}
}

// The check finds a CSV that no longer matches, and a masked view that the CSV
// does not give (a version recorded with another digest).
func TestCheckTableDamaged(t *testing.T) {
	f := newFixture(t)
	rec := f.appraisal()
	tab, err := f.s.AttachTable(f.ctx, rec.ID, []byte(appraisalCSV), TableOptions{Policy: Policy{Masked: []string{"户主"}}}, archive.ActorCLI, "")
	if err != nil {
		t.Fatal(err)
	}
	// A version that claims another view (as a forger who changed the shown
	// table would have to write).
	p, _ := ParseSealed([]byte(appraisalCSV), tab)
	forged := tab
	forged.Columns = append([]archive.TableColumn(nil), tab.Columns...)
	for i := range forged.Columns {
		if forged.Columns[i].Name == "户主" {
			forged.Columns[i] = archive.TableColumn{Name: "户主", Policy: archive.ColumnPublic}
		}
	}
	if ViewDigest(MaskedView(p, forged)) == tab.Masked {
		t.Fatal("another policy gives the same view")
	}
	if c, err := f.s.CheckTable(f.ctx, rec.ID, 1); err != nil || !c.MaskedOK {
		t.Fatalf("genuine: %+v %v", c, err)
	}
	// The sealed CSV changed in the store (a name altered): the check says the
	// content does not match, and the portal cannot read the table.
	storetest.FS(f.dir).Overwrite(t, archive.ContentKey(tab.Content.SHA256), []byte(strings.Replace(appraisalCSV, "李四", "李五", 1)))
	c, err := f.s.CheckTable(f.ctx, rec.ID, 1)
	if err != nil || c.ContentOK || c.MaskedOK {
		t.Fatalf("damaged: %+v %v", c, err)
	}
	if _, err := f.s.ReadSealed(f.ctx, tab); !errors.Is(err, archive.ErrDigestMismatch) {
		t.Fatalf("read damaged: %v", err)
	}
}

func TestMaskValue(t *testing.T) {
	for _, tc := range []struct {
		kind     archive.MaskKind
		in, want string
	}{
		{archive.MaskName, "张三", "张*"},
		{archive.MaskName, "张三丰", "张*"},
		{archive.MaskName, "欧阳明月", "欧阳*"},
		{archive.MaskName, "欧阳", "欧*"},
		{archive.MaskName, "张三、李四", "张*、李*"},
		{archive.MaskName, "Zhang San", "Zhang *"},
		{archive.MaskName, "Li", "L*"},
		{archive.MaskName, "", ""},
		{archive.MaskAddress, "南关区东天街88号5栋3单元402室", "南关区东天街88号5栋*"},
		{archive.MaskAddress, "东天街12号楼2单元", "东天街12号楼*"},
		{archive.MaskAddress, "南关区东天街90号", "南关区东天街90号"},
		{archive.MaskAddress, "东天街90号院内平房", "东天街90号*"},
		{archive.MaskAddress, "东天街北侧平房", "东天街北*"},
		{archive.MaskPartial, "吉(2024)长春市不动产权第0012345号", "吉***号"},
		{archive.MaskPartial, "AB", "A*"},
		{archive.MaskPartial, "A", "A*"},
	} {
		if got := MaskValue(tc.kind, tc.in); got != tc.want {
			t.Errorf("%s %q: %q, want %q", tc.kind, tc.in, got, tc.want)
		}
	}
}

// Sums of money and areas are exact, never a float's; fewer than three
// households show no figures (a sum would be one household's value); a column
// that is not all numbers has none.
func TestAggregates(t *testing.T) {
	tab := archive.Table{Key: "户号", Columns: []archive.TableColumn{{Name: "户号", Policy: "public"},
		{Name: "金额", Policy: "public"}, {Name: "用途", Policy: "public"}, {Name: "电话", Policy: "private"}}}
	p := &Parsed{Header: []string{"户号", "金额", "用途", "电话"}, Key: 0, Rows: [][]string{
		{"1", "0.10", "住宅", "139"}, {"2", "0.20", "住宅", "138"}, {"3", "", "商业", "137"}, {"4", "100000000.01", "住宅", "136"}}}
	ag := TableAggregates(p, tab)
	if len(ag.Columns) != 1 || ag.Columns[0] != (ColumnFigures{Name: "金额", Count: 3, Sum: "100000000.31", Mean: "33333333.44"}) {
		t.Fatalf("%+v", ag)
	}
	p.Rows = p.Rows[:2]
	if ag := TableAggregates(p, tab); ag.Rows != 2 || len(ag.Columns) != 0 {
		t.Fatalf("two households: %+v", ag)
	}
}

// A table's column declared private stays private even when the register's
// column of the same name is public or masked; declaring one column both ways
// is a problem.
func TestAttachTablePrivate(t *testing.T) {
	f := newFixture(t)
	f.register()
	rec := f.appraisal()
	tab, err := f.s.AttachTable(f.ctx, rec.ID, []byte(appraisalCSV), TableOptions{
		Policy: Policy{Public: []string{"评估总价（元）"}, Private: []string{"户主", "建筑面积"}}}, archive.ActorCLI, "")
	if err != nil {
		t.Fatal(err)
	}
	pol := map[string]archive.ColumnPolicy{}
	for _, c := range tab.Columns {
		pol[c.Name] = c.Policy
	}
	if pol["户主"] != "private" || pol["建筑面积"] != "private" || pol["房屋坐落"] != "masked" || pol["评估总价（元）"] != "public" {
		t.Fatalf("policy %v", pol)
	}
	rec2 := f.appraisal()
	_, err = f.s.AttachTable(f.ctx, rec2.ID, []byte(appraisalCSV), TableOptions{
		Policy: Policy{Public: []string{"户主"}, Private: []string{"户主"}}}, archive.ActorCLI, "")
	var ie *ImportError
	if !errors.As(err, &ie) || !strings.Contains(ie.Error(), "declared private and also public or masked") {
		t.Fatalf("both ways: %v", err)
	}
}
