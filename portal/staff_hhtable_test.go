package portal

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/gongshi-archive/gongshi/archive"
	"github.com/gongshi-archive/gongshi/archive/blob"
	"github.com/gongshi-archive/gongshi/calendar"
	"github.com/gongshi-archive/gongshi/households"
	"github.com/gongshi-archive/gongshi/requests"
	"github.com/gongshi-archive/gongshi/staff"
)

// staffHHFixture is the staff fixture with the households and requests
// services and the residents' pages: staff log in for real, households with
// their codes, and staff reads of personal data go to the staff trail.
type staffHHFixture struct {
	*staffFixture
	hs    *households.Service
	codes map[string]string
}

// accountsTrail records staff reads in the staff trail, as gongshi serve does.
type accountsTrail struct{ acc StaffAccounts }

func (t accountsTrail) RecordRead(ctx context.Context, actor archive.Actor, action, subject, client string) error {
	_, err := t.acc.Record(ctx, staff.TrailEntry{Action: action, Subject: subject, Client: client, Actor: actor})
	return err
}

// newStaffHHFixture makes the fixture; cal, when given, is the households
// service's calendar (a deployment's), else the built-in one.
func newStaffHHFixture(t *testing.T, cal ...*calendar.Calendar) *staffHHFixture {
	t.Helper()
	f := &staffHHFixture{}
	f.staffFixture = newStaffFixture(t, func(o *Options) {
		a := o.Archive.(*archive.Archive)
		ho := households.Options{Now: o.Now, Hasher: testHasher{}}
		if len(cal) > 0 {
			ho.Calendar = cal[0]
		}
		var err error
		if f.hs, err = households.New(a, ho); err != nil {
			t.Fatal(err)
		}
		rs, err := requests.New(a, requests.Options{Now: o.Now})
		if err != nil {
			t.Fatal(err)
		}
		o.Households = &HouseholdOptions{Households: f.hs, Requests: rs, SessionKey: []byte(strings.Repeat("k", 32)),
			Backoff: &countingBackoff{fails: map[string]int{}, until: map[string]time.Time{}}, Trail: accountsTrail{o.Staff.Accounts}}
	})
	f.codes = seedHouseholds(t, f.hs)
	return f
}

// seedHouseholds imports the fixture's register (hhRegister) for hhProject and
// issues every household a code; it returns the codes by household.
func seedHouseholds(t *testing.T, hs *households.Service) map[string]string {
	t.Helper()
	ctx := context.Background()
	if _, err := hs.ImportRegister(ctx, hhProject, []byte(hhRegister), households.ImportOptions{Name: "r.csv",
		Policy: households.Policy{Public: []string{"建筑面积", "产权性质"}, Masked: []string{"户主", "房屋坐落"}}}, archive.ActorCLI, ""); err != nil {
		t.Fatal(err)
	}
	codes := map[string]string{}
	for _, hh := range []string{"0001", "0002", "0003"} {
		code, _, err := hs.IssueCode(ctx, hhProject, hh, archive.ActorCLI, "")
		if err != nil {
			t.Fatal(err)
		}
		codes[hh] = code
	}
	return codes
}

// trail is the staff trail's entries of action, as "subject | detail".
func (f *staffHHFixture) trail(action string) []string {
	f.t.Helper()
	var out []string
	if err := f.svc.Trail(f.ctx, "", func(e staff.TrailEntry) error {
		if e.Action == action {
			out = append(out, e.Subject+" | "+e.Detail)
		}
		return nil
	}); err != nil {
		f.t.Fatal(err)
	}
	return out
}

// keys are every object key of the store.
func (f *staffHHFixture) keys() map[string]bool {
	f.t.Helper()
	m := map[string]bool{}
	if err := f.store.List(f.ctx, "", "", func(i blob.Info) error { m[i.Key] = true; return nil }); err != nil {
		f.t.Fatal(err)
	}
	return m
}

// resident is a browser logged in as household hh.
func (f *staffHHFixture) resident(hh string) *client {
	f.t.Helper()
	c := f.client()
	tok := c.csrf("/household")
	w := c.post("/household/login", url.Values{"csrf": {tok}, "project": {hhProject}, "household": {hh}, "code": {f.codes[hh]}})
	if w.Code != http.StatusSeeOther {
		f.t.Fatalf("household %s login: %d\n%s", hh, w.Code, w.Body.String())
	}
	return c
}

// The preliminary appraisal's table, with canaries in the masked and private
// columns.
const staffTableCSV = "户号,户主,房屋坐落,建筑面积,评估总价（元）,联系电话\n" +
	"0001,张甲CANARYHEADA,东天街88号5栋CANARYADDRA,86.5,709300,13900000111\n" +
	"0002,李乙CANARYHEADB,东天街88号6栋CANARYADDRB,64.2,523230,13900000222\n" +
	"0003,王丙,东天街90号,120,948000,13900000333\n"

// The archivist attaches a table on the record's staff page: a bad file lists
// every problem at once and stores nothing; a good one is attached (masked for
// the project's households, figures only for the public), a second one needs
// its reason; the inspector's check says in words that the original is whole
// and the view derives from it, and that it is not once the original is
// damaged. Roles, CSRF and the upload limit hold; every write and check is a
// staff trail entry without a personal value.
func TestStaffTableAttach(t *testing.T) {
	f := newStaffHHFixture(t)
	rec := f.file(archive.Record{Project: hhProject, Type: "appraisal_preliminary", Title: "东天街分户初步评估结果公示"}, "%PDF preliminary")
	if _, err := f.arch.Publish(f.ctx, rec.ID, archive.ActorCLI, ""); err != nil {
		t.Fatal(err)
	}
	f.refresh()
	page := "/staff/records/" + rec.ID
	arch := f.client()
	arch.login("archivist")
	body := mustStatus(t, arch.get(page), http.StatusOK, "record page")
	for _, want := range []string{"附上分户表", "还没有附分户表", "被征收户登记（第 1 版）", "分户初步评估结果公示期：至少 7 日", "最早到 2026年12月8日 结束"} {
		if !strings.Contains(body, want) {
			t.Errorf("the record page lacks %q\n%s", want, body[strings.Index(body, "hh-table"):])
		}
	}
	tok := csrfRE.FindStringSubmatch(body)[1]
	attach := func(c *client, csrf, csv string, extra ...[2]string) (int, string) {
		fields := append([][2]string{{"csrf", csrf}, {"public", "评估总价（元）"}, {"from", "2026-12-01"}}, extra...)
		w := c.upload(page+"/table", fields, uploadFile{"table", "初评.csv", []byte(csv)})
		return w.Code, w.Body.String()
	}

	// A bad file: a household not in the register, one given twice, a row
	// with a value too many, a column declared that the file has not. All at
	// once, nothing stored.
	before := f.keys()
	bad := "户号,户主,房屋坐落,建筑面积,评估总价（元）\n" +
		"0001,张甲,东天街88号,86.5,709300\n" +
		"0009,赵丁,东天街92号,70,500000\n" +
		"0001,张甲,东天街88号,86.5,709300\n" +
		"0003,王丙,东天街90号,120,948000,多余\n"
	code, body := attach(arch, tok, bad, [2]string{"masked", "身份证号"})
	if code != http.StatusUnprocessableEntity {
		t.Fatalf("bad table: %d\n%s", code, body)
	}
	for _, want := range []string{"发现 4 个问题，什么也没有保存", "第 3 行，户号 0009，“户号”列：not a household of the register",
		"第 4 行，户号 0001，“户号”列：given twice (first on line 2)", "第 5 行，户号 0003", "“身份证号”列：declared, but the file has no such column"} {
		if !strings.Contains(body, want) {
			t.Errorf("the refusal lacks %q:\n%s", want, body)
		}
	}
	if _, err := f.hs.Table(f.ctx, rec.ID); !errors.Is(err, archive.ErrNotFound) {
		t.Fatalf("a refused table was stored: %v", err)
	}
	if after := f.keys(); len(after) != len(before) {
		for k := range after {
			if !before[k] {
				t.Errorf("stored on refusal: %s", k)
			}
		}
	}
	if n := len(f.trail("household_table_attach")); n != 0 {
		t.Fatalf("%d trail entries for a refused attach", n)
	}

	// Not the archivist's token, not an archivist: refused, nothing stored.
	if code, _ := attach(arch, "forged", staffTableCSV); code != http.StatusForbidden {
		t.Fatalf("forged CSRF: %d", code)
	}
	insp := f.client()
	insp.login("inspector")
	itok := insp.csrf(page)
	if code, _ := attach(insp, itok, staffTableCSV); code != http.StatusForbidden {
		t.Fatalf("inspector attaches: %d", code)
	}
	if strings.Contains(mustStatus(t, insp.get(page), http.StatusOK, "inspector record page"), `name="table"`) {
		t.Fatal("the inspector is offered the attach form")
	}
	// Past the staff upload limit (4 MiB in the fixture): 413, nothing stored.
	big := staffTableCSV + strings.Repeat("0003,王丙,东天街90号,120,948000,1\n", (5<<20)/40)
	if code, _ := attach(arch, tok, big); code != http.StatusRequestEntityTooLarge {
		t.Fatalf("a 5 MiB table: %d", code)
	}
	if _, err := f.hs.Table(f.ctx, rec.ID); !errors.Is(err, archive.ErrNotFound) {
		t.Fatalf("a refused table was stored: %v", err)
	}

	// The good file.
	w := arch.upload(page+"/table", [][2]string{{"csrf", tok}, {"public", "评估总价（元）"}, {"private", "建筑面积"}, {"from", "2026-12-01"}},
		uploadFile{"table", "初评.csv", []byte(staffTableCSV)})
	if w.Code != http.StatusSeeOther || !strings.HasSuffix(w.Header().Get("Location"), "done=done_table_attached") {
		t.Fatalf("attach: %d %q\n%s", w.Code, w.Header().Get("Location"), w.Body.String())
	}
	tab, err := f.hs.Table(f.ctx, rec.ID)
	if err != nil {
		t.Fatal(err)
	}
	pol := map[string]archive.ColumnPolicy{}
	for _, c := range tab.Columns {
		pol[c.Name] = c.Policy
	}
	// 户主 and 房屋坐落 take the register's policy, 建筑面积 was declared private
	// against the register's public, 联系电话 nobody declared.
	if tab.Version != 1 || tab.Rows != 3 || tab.Actor != f.accountActor("archivist") || pol["户主"] != "masked" || pol["房屋坐落"] != "masked" ||
		pol["建筑面积"] != "private" || pol["评估总价（元）"] != "public" || pol["联系电话"] != "private" ||
		tab.Window != (archive.DateWindow{From: archive.D(2026, 12, 1), To: archive.D(2026, 12, 8)}) {
		t.Fatalf("attached %+v, policy %v", tab, pol)
	}
	body = mustStatus(t, arch.get(w.Header().Get("Location")), http.StatusOK, "after attach")
	for _, want := range []string{"分户表已附上", "户主（脱敏）", "联系电话（不公开）", tab.Masked.String(), "2026年12月1日 – 2026年12月8日", "更换分户表"} {
		if !strings.Contains(body, want) {
			t.Errorf("the record page after the attach lacks %q", want)
		}
	}
	if tr := f.trail("household_table_attach"); len(tr) != 1 || !strings.Contains(tr[0], "version 1, 3 households") {
		t.Fatalf("trail %v", tr)
	}
	// A second table needs its reason.
	if code, body := attach(arch, tok, staffTableCSV); code != http.StatusUnprocessableEntity || !strings.Contains(body, "say why this one replaces it") {
		t.Fatalf("second attach without a reason: %d\n%s", code, body)
	}
	if code, _ := attach(arch, tok, staffTableCSV, [2]string{"reason", "评估机构更正第0002户面积"}); code != http.StatusSeeOther {
		t.Fatalf("second attach with a reason: %d", code)
	}
	if tab, err = f.hs.Table(f.ctx, rec.ID); err != nil || tab.Version != 2 || tab.Supersedes == nil {
		t.Fatalf("second version: %+v %v", tab, err)
	}

	// What residents and the public see of it.
	f.refresh()
	res := mustStatus(t, f.resident("0001").get("/records/"+rec.ID+"/table"), http.StatusOK, "household's table")
	if !strings.Contains(res, "李*") || strings.Contains(res, "CANARYHEADB") || strings.Contains(res, "13900000222") {
		t.Fatalf("household 0001's view of the table is not masked:\n%s", res)
	}
	pub := mustStatus(t, f.client().get("/records/"+rec.ID+"/table"), http.StatusOK, "public table")
	for _, leak := range []string{"张", "李*", "CANARY", "139000", "东天街88号"} {
		if strings.Contains(pub, leak) {
			t.Fatalf("the public table page shows %q", leak)
		}
	}
	if !strings.Contains(pub, "2180530") { // the sum of the public 评估总价
		t.Fatalf("the public page lacks the sum:\n%s", pub)
	}

	// The inspector's check, in words; then with the original damaged.
	check := func() string {
		w := insp.post(page+"/table/check", url.Values{"csrf": {itok}})
		return mustStatus(t, w, http.StatusOK, "check")
	}
	if body := check(); !strings.Contains(body, "核对通过：原件完整") || !strings.Contains(body, "第 2 版") {
		t.Fatalf("check of a whole table:\n%s", body)
	}
	f.raw.Overwrite(t, archive.ContentKey(tab.Content.SHA256), []byte(strings.Replace(staffTableCSV, "王丙", "王戊", 1)))
	if body := check(); !strings.Contains(body, "核对不通过：存储的原件与登记的摘要不符") {
		t.Fatalf("check of a damaged table:\n%s", body)
	}
	if w := insp.post(page+"/table/check", url.Values{"csrf": {"forged"}}); w.Code != http.StatusForbidden {
		t.Fatalf("check with a forged token: %d", w.Code)
	}
	aud := f.client()
	aud.login("auditor")
	if w := aud.post(page+"/table/check", url.Values{"csrf": {aud.csrf("/staff/")}}); w.Code != http.StatusForbidden {
		t.Fatalf("the auditor checks: %d", w.Code)
	}
	checks := f.trail("household_table_check")
	if len(checks) != 2 || !strings.Contains(checks[0], "whole") || !strings.Contains(checks[1], "does not match its digests") {
		t.Fatalf("check trail %v", checks)
	}
	// No personal value in the trail.
	for _, e := range append(f.trail("household_table_attach"), checks...) {
		for _, v := range []string{"张", "李", "王", "CANARY", "139"} {
			if strings.Contains(e, v) {
				t.Fatalf("trail entry %q has a personal value %q", e, v)
			}
		}
	}
	// A record whose type has no table: no section, and the route refuses.
	dec := f.file(archive.Record{Project: hhProject, Type: "decision", Title: "征收决定"}, "%PDF decision")
	if strings.Contains(mustStatus(t, arch.get("/staff/records/"+dec.ID), http.StatusOK, "decision"), "分户表") {
		t.Fatal("a decision's page offers a table")
	}
	w = arch.upload("/staff/records/"+dec.ID+"/table", [][2]string{{"csrf", tok}}, uploadFile{"table", "t.csv", []byte(staffTableCSV)})
	if w.Code != http.StatusNotFound {
		t.Fatalf("attach to a decision: %d", w.Code)
	}
}

// accountActor is the actor of the fixture's account login.
func (sf *staffFixture) accountActor(login string) archive.Actor {
	sf.t.Helper()
	a, err := sf.svc.AccountByLogin(sf.ctx, login)
	if err != nil {
		sf.t.Fatal(err)
	}
	return a.As()
}

// The staff pages of tables and clocks are not for households or the public:
// logged in as a household, or not at all, every one of them sends to the
// staff login (or refuses a form), and nothing of another household is in the
// answer.
func TestStaffHHPagesNotForResidents(t *testing.T) {
	f := newStaffHHFixture(t)
	rec := f.file(archive.Record{Project: hhProject, Type: "appraisal_preliminary", Title: "东天街分户初步评估结果公示"}, "%PDF preliminary")
	if _, err := f.hs.AttachTable(f.ctx, rec.ID, []byte(staffTableCSV), households.TableOptions{From: archive.D(2026, 12, 1)}, archive.ActorCLI, ""); err != nil {
		t.Fatal(err)
	}
	report := f.file(archive.Record{Project: hhProject, Type: "appraisal_report", Household: "0002", Title: "CANARYTITLEB 评估报告"}, "%PDF report 2")
	if _, err := f.hs.RecordStep(f.ctx, hhProject, "0002", households.Step{Kind: households.StepReportDelivered, Day: archive.D(2026, 12, 1), Record: report.ID}, archive.ActorCLI, ""); err != nil {
		t.Fatal(err)
	}
	f.refresh()
	for who, c := range map[string]*client{"household 0001": f.resident("0001"), "the public": f.client()} {
		for _, lang := range []string{"", "/en"} {
			for _, p := range []string{"/staff/clocks", "/staff/households/" + hhProject + "/0002/clock", "/staff/records/" + rec.ID} {
				w := c.get(lang + p)
				if w.Code != http.StatusSeeOther || !strings.Contains(w.Header().Get("Location"), "/staff/login") {
					t.Errorf("%s GET %s: %d %q", who, lang+p, w.Code, w.Header().Get("Location"))
				}
				for _, leak := range []string{"CANARY", "李乙", "13900000222", "0002号"} {
					if strings.Contains(w.Body.String(), leak) {
						t.Errorf("%s GET %s shows %q", who, lang+p, leak)
					}
				}
			}
			for _, p := range []string{"/staff/households/" + hhProject + "/0002/clock", "/staff/records/" + rec.ID + "/table/check"} {
				w := c.post(lang+p, url.Values{"kind": {"recheck_requested"}, "day": {"2026-12-01"}, "record": {report.ID}})
				if w.Code != http.StatusUnauthorized && w.Code != http.StatusForbidden {
					t.Errorf("%s POST %s: %d", who, lang+p, w.Code)
				}
			}
			w := c.upload(lang+"/staff/records/"+rec.ID+"/table", nil, uploadFile{"table", "t.csv", []byte(staffTableCSV)})
			if w.Code != http.StatusUnauthorized && w.Code != http.StatusForbidden {
				t.Errorf("%s attaches: %d", who, w.Code)
			}
		}
	}
	if o, _ := f.hs.ObjectionOf(f.ctx, hhProject, "0002"); o.Version != 1 {
		t.Fatalf("the clock changed: version %d", o.Version)
	}
	if tab, _ := f.hs.Table(f.ctx, rec.ID); tab.Version != 1 {
		t.Fatalf("the table changed: version %d", tab.Version)
	}
	if n := len(f.trail("household_table_check")); n != 0 {
		t.Fatalf("%d checks recorded", n)
	}
}
