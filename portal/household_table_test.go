package portal

import (
	"crypto/sha256"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/gongshi-archive/gongshi/archive"
	"github.com/gongshi-archive/gongshi/households"
)

// The preliminary appraisal's table, with the canaries of the register's
// households in its masked and private columns.
const hhAppraisal = "户号,户主,房屋坐落,建筑面积,评估总价（元）,联系电话,备注\n" +
	"0001,张甲CANARYHEADA,东天街88号5栋CANARYADDRA,86.5,709300,13900000111,CANARYNOTEA\n" +
	"0002,李乙CANARYHEADB,东天街88号6栋CANARYADDRB,64.2,523230,13900000222,CANARYNOTEB\n" +
	"0003,王丙,东天街90号,120,948000,13900000333,\n"

func (f *hhFixture) appraisalTable() (archive.Record, archive.Table) {
	f.t.Helper()
	rec := f.file(archive.Record{Project: hhProject, Type: "appraisal_preliminary", Title: "CANARYTITLE 东天街分户初步评估结果"}, "%PDF preliminary")
	t, err := f.hs.AttachTable(f.ctx, rec.ID, []byte(hhAppraisal), households.TableOptions{Name: "初评.csv", From: archive.D(2026, 12, 1),
		Policy: households.Policy{Public: []string{"评估总价（元）"}}}, archive.ActorCLI, "")
	if err != nil {
		f.t.Fatal(err)
	}
	f.publish(rec)
	return rec, t
}

// Who sees what of a table: the public the aggregates only, a household of the
// project every row masked and its own row in full, another project's household
// the public's figures, staff the masked rows and the original after saying so
// (recorded); the CSV is the bytes whose digest the version holds.
func TestTablePage(t *testing.T) {
	f := newHHFixture(t)
	rec, tab := f.appraisalTable()
	path := "/records/" + rec.ID + "/table"

	pub := f.mustGet(path, http.StatusOK)
	for _, want := range []string{"3", "2180530.00", "公示期", "2026年12月1日 – 2026年12月8日", "正在公示"} {
		if !strings.Contains(pub, want) {
			t.Errorf("public table lacks %q", want)
		}
	}
	for _, never := range []string{"张", "李", "CANARY", "1390000", "东天街88号", "0001", rec.Title} {
		if strings.Contains(pub, never) {
			t.Errorf("the public sees %q", never)
		}
	}
	if w := f.get(path + ".csv"); w.Code != http.StatusNotFound {
		t.Errorf("public CSV: %d", w.Code)
	}

	b := f.browser("192.0.2.1")
	b.login("0001", f.codes["0001"])
	w := b.get(path)
	body := w.Body.String()
	for _, want := range []string{"李*", "东天街88号6栋*", "张甲CANARYHEADA", "东天街88号5栋CANARYADDRA", "本户", `class="mine"`} {
		if !strings.Contains(body, want) {
			t.Errorf("household 0001's table lacks %q", want)
		}
	}
	for _, never := range []string{"CANARYHEADB", "CANARYADDRB", "CANARYNOTE", "1390000"} {
		if strings.Contains(body, never) {
			t.Errorf("household 0001 sees %q", never)
		}
	}
	w = b.get(path + ".csv")
	if w.Code != http.StatusOK || sha256.Sum256(w.Body.Bytes()) != tab.Masked || strings.Contains(w.Body.String(), "CANARYHEADA") {
		t.Fatalf("CSV: %d, digest matches %v\n%s", w.Code, sha256.Sum256(w.Body.Bytes()) == tab.Masked, w.Body.String())
	}

	stranger := f.browser("192.0.2.5")
	if _, err := f.hs.ImportRegister(f.ctx, "JL-2026-003", []byte("户号,户主,房屋坐落,建筑面积,产权性质\n0001,赵,站前1号,50,私有\n"),
		households.ImportOptions{}, archive.ActorCLI, ""); err != nil {
		t.Fatal(err)
	}
	code, _, err := f.hs.IssueCode(f.ctx, "JL-2026-003", "0001", archive.ActorCLI, "")
	if err != nil {
		t.Fatal(err)
	}
	stranger.post("/household/login", url.Values{"csrf": {stranger.csrf("/household")}, "project": {"JL-2026-003"}, "household": {"0001"}, "code": {code}})
	if w := stranger.get(path); w.Code != http.StatusOK || strings.Contains(w.Body.String(), "李*") || strings.Contains(w.Body.String(), rec.Title) {
		t.Errorf("another project's household sees more than the public: %d %v %v", w.Code, strings.Contains(w.Body.String(), "李*"), strings.Contains(w.Body.String(), rec.Title))
	}

	staff := f.browser("192.0.2.8").staff(archive.RoleArchivist)
	w = staff.get(path)
	if !strings.Contains(w.Body.String(), "李*") || strings.Contains(w.Body.String(), "CANARYHEADB") || !strings.Contains(w.Body.String(), "显示完整原始表格") {
		t.Fatalf("staff's masked table:\n%s", w.Body.String())
	}
	if len(f.trail.reads) != 0 {
		t.Fatalf("a read recorded before any: %v", f.trail.reads)
	}
	token := csrfRe.FindStringSubmatch(w.Body.String())[1]
	w = staff.post(path, url.Values{"csrf": {token}})
	if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), "CANARYHEADB") || !strings.Contains(w.Body.String(), "CANARYNOTEB") {
		t.Fatalf("reveal: %d", w.Code)
	}
	if len(f.trail.reads) != 1 || !strings.Contains(f.trail.reads[0], "account:u-test household_table_read table "+rec.ID) {
		t.Fatalf("trail: %v", f.trail.reads)
	}
	if w := b.post(path, url.Values{"csrf": {token}}); w.Code == http.StatusOK {
		t.Fatalf("a household revealed the original: %d", w.Code)
	}
}

// The publicity window closes by itself: the day after its last day the table
// leaves the public and the households (404, as a table that never was), the
// record stays, staff still see it, and the archive keeps it.
func TestTableWindowClosesByItself(t *testing.T) {
	f := newHHFixture(t)
	rec, _ := f.appraisalTable() // 1–8 December 2026
	path := "/records/" + rec.ID + "/table"
	f.clock.t = time.Date(2026, 12, 8, 15, 0, 0, 0, time.UTC) // 23:00 in China, the last day
	b := f.browser("192.0.2.1")
	b.login("0002", f.codes["0002"])
	f.clock.t = time.Date(2026, 12, 8, 15, 59, 0, 0, time.UTC)
	if w1, w2 := f.get(path), b.get(path); w1.Code != http.StatusOK || w2.Code != http.StatusOK {
		t.Fatalf("the table is gone on its last day: public %d, household %d\n%s", w1.Code, w2.Code, w2.Body.String())
	}
	f.clock.t = time.Date(2026, 12, 8, 16, 0, 0, 0, time.UTC) // midnight in China
	if w := f.get(path); w.Code != http.StatusNotFound {
		t.Errorf("public after the window: %d", w.Code)
	}
	if w := b.get(path); w.Code != http.StatusNotFound {
		t.Errorf("household after the window: %d", w.Code)
	}
	if w := b.get("/household"); strings.Contains(w.Body.String(), path) {
		t.Error("the household page still links the table")
	}
	if w := b.get("/records/" + rec.ID); w.Code != http.StatusOK {
		t.Errorf("the record itself: %d", w.Code)
	}
	if w := f.browser("192.0.2.8").staff(archive.RoleInspector).get(path); w.Code != http.StatusOK {
		t.Errorf("staff after the window: %d", w.Code)
	}
	if c, err := f.hs.CheckTable(f.ctx, rec.ID, 0); err != nil || !c.MaskedOK {
		t.Errorf("the archive lost it: %+v %v", c, err)
	}
}
