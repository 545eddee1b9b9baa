package portal

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gongshi-archive/gongshi/archive"
	"github.com/gongshi-archive/gongshi/calendar"
	"github.com/gongshi-archive/gongshi/households"
)

// The archivist records a household's steps on its clock page; a step that
// does not fit (out of order, a record of the wrong type or of another
// household, a day ahead, recorded already without a reason) is refused with
// its reason and changes nothing; the inspector reads the page but cannot
// write, the auditor neither; the resident sees the clock that was recorded.
func TestStaffClockSteps(t *testing.T) {
	f := newStaffHHFixture(t)
	report := f.file(archive.Record{Project: hhProject, Type: "appraisal_report", Household: "0001", Title: "0001号分户评估报告"}, "%PDF report 1")
	recheck := f.file(archive.Record{Project: hhProject, Type: "recheck", Household: "0001", Title: "0001号复核评估申请"}, "%PDF recheck 1")
	otherRecheck := f.file(archive.Record{Project: hhProject, Type: "recheck", Household: "0002", Title: "0002号复核评估申请"}, "%PDF recheck 2")
	decision := f.file(archive.Record{Project: hhProject, Type: "decision", Title: "征收决定"}, "%PDF decision")
	f.refresh()
	page := "/staff/households/" + hhProject + "/0001/clock"

	arch := f.client()
	arch.login("archivist")
	body := mustStatus(t, arch.get(page), http.StatusOK, "clock page")
	for _, want := range []string{"0001 户复核、鉴定期限", "还没有记录任何环节", "下一个环节：评估报告送达", report.Title, recheck.Title} {
		if !strings.Contains(body, want) {
			t.Errorf("the clock page lacks %q", want)
		}
	}
	if strings.Contains(body, otherRecheck.Title) || strings.Contains(body, decision.Title) {
		t.Error("the clock page offers another household's record or a decision")
	}
	tok := csrfRE.FindStringSubmatch(body)[1]
	step := func(c *client, csrf, kind, day, rec, reason string) (int, string) {
		w := c.post(page, url.Values{"csrf": {csrf}, "kind": {kind}, "day": {day}, "record": {rec}, "reason": {reason}})
		return w.Code, w.Body.String()
	}
	version := func() int {
		o, err := f.hs.ObjectionOf(f.ctx, hhProject, "0001")
		if err != nil {
			t.Fatal(err)
		}
		return o.Version
	}
	refused := func(what string, code int, body string, want ...string) {
		t.Helper()
		if code != http.StatusUnprocessableEntity {
			t.Fatalf("%s: %d\n%s", what, code, body)
		}
		for _, w := range append([]string{"没有记录（什么也没有改动）"}, want...) {
			if !strings.Contains(body, w) {
				t.Errorf("%s: the refusal lacks %q", what, w)
			}
		}
	}

	// Out of order: the re-check before the report's delivery.
	code, body := step(arch, tok, "recheck_requested", "2026-11-28", recheck.ID, "")
	refused("out of order", code, body, "这个环节不符合程序", "the procedure&#39;s step 1 is report_delivered")
	// The report's delivery with a decision, with another household's record,
	// a day ahead.
	code, body = step(arch, tok, "report_delivered", "2026-11-27", decision.ID, "")
	refused("a decision", code, body, "the step needs a appraisal_report of this household")
	code, body = step(arch, tok, "recheck_requested", "2026-11-27", otherRecheck.ID, "")
	refused("another household's record", code, body, "household &#34;0002&#34;")
	code, body = step(arch, tok, "report_delivered", "2026-12-02", report.ID, "")
	refused("a day ahead", code, body, "not a date up to today")
	code, body = step(arch, tok, "report_delivered", "27/11/2026", report.ID, "")
	refused("not a date", code, body, "不是日期")
	if v := version(); v != 0 {
		t.Fatalf("refused steps made version %d", v)
	}
	// Forged token, inspector, auditor: refused.
	if code, _ := step(arch, "forged", "report_delivered", "2026-11-27", report.ID, ""); code != http.StatusForbidden {
		t.Fatalf("forged token: %d", code)
	}
	insp := f.client()
	insp.login("inspector")
	ibody := mustStatus(t, insp.get(page), http.StatusOK, "inspector's clock page")
	if strings.Contains(ibody, `name="kind"`) {
		t.Fatal("the inspector is offered the step form")
	}
	if code, _ := step(insp, csrfRE.FindStringSubmatch(ibody)[1], "report_delivered", "2026-11-27", report.ID, ""); code != http.StatusForbidden {
		t.Fatalf("inspector records a step: %d", code)
	}
	aud := f.client()
	aud.login("auditor")
	mustStatus(t, aud.get(page), http.StatusForbidden, "auditor's clock page")
	mustStatus(t, aud.get("/staff/clocks"), http.StatusForbidden, "auditor's clocks page")
	if v := version(); v != 0 {
		t.Fatalf("refused steps made version %d", v)
	}
	// Not a household of the register, not a project: not found.
	mustStatus(t, arch.get("/staff/households/"+hhProject+"/0099/clock"), http.StatusNotFound, "no such household")
	mustStatus(t, arch.get("/staff/households/JL-2026-003/0001/clock"), http.StatusNotFound, "no register")

	// The delivery, then the re-check request.
	w := arch.post(page, url.Values{"csrf": {tok}, "kind": {"report_delivered"}, "day": {"2026-11-27"}, "record": {report.ID}})
	if w.Code != http.StatusSeeOther || !strings.HasSuffix(w.Header().Get("Location"), "done=done_step_recorded") {
		t.Fatalf("recording the delivery: %d\n%s", w.Code, w.Body.String())
	}
	body = mustStatus(t, arch.get(w.Header().Get("Location")), http.StatusOK, "after the step")
	for _, want := range []string{"环节已记录", "评估报告送达", "2026年11月27日", "正在计时", "下一个环节：申请复核"} {
		if !strings.Contains(body, want) {
			t.Errorf("after the delivery the page lacks %q", want)
		}
	}
	// Recorded already: a correction needs its reason.
	code, body = step(arch, tok, "report_delivered", "2026-11-28", report.ID, "")
	refused("again without a reason", code, body, "要更正它，请写明更正原因")
	if code, _ := step(arch, tok, "report_delivered", "2026-11-28", report.ID, "送达回证日期登记有误"); code != http.StatusSeeOther {
		t.Fatalf("a correction with its reason: %d", code)
	}
	o, err := f.hs.ObjectionOf(f.ctx, hhProject, "0001")
	if err != nil || o.Version != 2 || o.Steps[0].Day != archive.D(2026, 11, 28) || o.Actor != f.accountActor("archivist") {
		t.Fatalf("after the correction: %+v %v", o, err)
	}
	if tr := f.trail("household_clock_step"); len(tr) != 2 || tr[0] != "household "+hhProject+"/0001 | report_delivered on 2026-11-27, record "+report.ID+" (clock version 1)" {
		t.Fatalf("trail %q", tr)
	}
	// The resident sees the clock: delivered on 28 November, 10 days to ask,
	// the last day 8 December (a Tuesday), 7 days left on 1 December.
	home := mustStatus(t, f.resident("0001").get("/household"), http.StatusOK, "the household's page")
	if !strings.Contains(home, "还剩 7 天") || !strings.Contains(home, "2026年12月8日") {
		t.Fatalf("the household's clock:\n%s", home[strings.Index(home, `id="clock"`):])
	}
}

var lateRowRE = regexp.MustCompile(`<tr class="clock-(late|open|unknown)">\s*<td><span class="nowrap">([^<]+)</span>.*?\s*<td><a href="[^"]+">([^<]+)</a></td>`)

// clockRows are the bureau page's rows as "late 0001" / "open 0002", in order.
func clockRows(body string) []string {
	var out []string
	for _, m := range lateRowRE.FindAllStringSubmatch(body, -1) {
		out = append(out, m[1]+" "+m[3])
	}
	return out
}

// The bureau's list on the day before, the day of and the day after one
// deadline (Monday 30 November 2026) that three households share: 0001 waits
// for the agency's answer to its re-check (late the day after), 0002 may still
// ask for a re-check (lapsed the day after: nobody is late), 0003 got its answer
// four days late (late all along) and may ask for an expert appraisal (lapsed
// the day after). Late rows come first; the project filter keeps its project.
func TestStaffClocksLate(t *testing.T) {
	f := newStaffHHFixture(t)
	f.project("JL-2026-003", "站前片区棚户区改造项目", "吉林市", "船营区")
	f.clock.t = time.Date(2026, 11, 20, 4, 0, 0, 0, time.UTC)
	rec := func(hh, typ string) string {
		return f.file(archive.Record{Project: hhProject, Type: typ, Household: hh, Title: hh + typ}, "%PDF "+hh+typ).ID
	}
	for _, s := range []struct {
		hh   string
		kind households.StepKind
		day  archive.Date
		typ  string
	}{
		{"0001", households.StepReportDelivered, archive.D(2026, 11, 10), "appraisal_report"},
		{"0001", households.StepRecheckRequested, archive.D(2026, 11, 20), "recheck"},
		{"0002", households.StepReportDelivered, archive.D(2026, 11, 20), "appraisal_report"},
		{"0003", households.StepReportDelivered, archive.D(2026, 10, 30), "appraisal_report"},
		{"0003", households.StepRecheckRequested, archive.D(2026, 11, 5), "recheck"},
		{"0003", households.StepRecheckAnswered, archive.D(2026, 11, 20), "recheck"},
	} {
		if _, err := f.hs.RecordStep(f.ctx, hhProject, s.hh, households.Step{Kind: s.kind, Day: s.day, Record: rec(s.hh, s.typ)}, archive.ActorCLI, ""); err != nil {
			t.Fatal(err)
		}
	}
	// The three running stages share their last day.
	for _, hh := range []string{"0001", "0002", "0003"} {
		cv, err := f.hs.Clock(f.ctx, hhProject, hh)
		if err != nil {
			t.Fatal(err)
		}
		cur, ok := cv.Current()
		if !ok || cur.Status.Deadline != archive.D(2026, 11, 30) {
			t.Fatalf("household %s: current stage %+v", hh, cur)
		}
	}
	var c *client
	for _, day := range []struct {
		d    int
		rows []string
		says []string
	}{
		{29, []string{"late 0003", "open 0001", "open 0002", "open 0003"}, []string{"1 项逾期", "3 项正在计时", "超过 4 天", "还剩 1 天"}},
		{30, []string{"late 0003", "open 0001", "open 0002", "open 0003"}, []string{"1 项逾期", "3 项正在计时", "今天是最后一天"}},
		{31, []string{"late 0003", "late 0001"}, []string{"2 项逾期", "0 项正在计时", "超过 1 天", "已超过期限，还没有办理"}},
	} {
		f.clock.t = time.Date(2026, 11, day.d, 4, 0, 0, 0, time.UTC) // noon in China; 31 November is 1 December
		c = f.client()                                               // a session of that day
		c.login("inspector")
		body := mustStatus(t, c.get("/staff/clocks"), http.StatusOK, "clocks")
		if got := clockRows(body); strings.Join(got, ",") != strings.Join(day.rows, ",") {
			t.Errorf("day %d: rows %v, want %v", day.d, got, day.rows)
		}
		for _, w := range day.says {
			if !strings.Contains(body, w) {
				t.Errorf("day %d: the page lacks %q", day.d, w)
			}
		}
		// The same clocks as the command's: every late stage is a row.
		cvs, err := f.hs.OpenClocks(f.ctx)
		if err != nil {
			t.Fatal(err)
		}
		late := 0
		for _, cv := range cvs {
			late += len(cv.Late())
		}
		if n := strings.Count(strings.Join(clockRows(body), ","), "late"); n != late {
			t.Errorf("day %d: %d late rows, the service has %d", day.d, n, late)
		}
	}
	// The filter: another project has none; an unknown one is ignored.
	if rows := clockRows(mustStatus(t, c.get("/staff/clocks?project=JL-2026-003"), http.StatusOK, "filtered")); len(rows) != 0 {
		t.Fatalf("another project's rows %v", rows)
	}
	if rows := clockRows(mustStatus(t, c.get("/staff/clocks?project="+hhProject), http.StatusOK, "filtered")); len(rows) != 2 {
		t.Fatalf("the project's rows %v", rows)
	}
	if rows := clockRows(mustStatus(t, c.get("/staff/clocks?project=%3Cx%3E"), http.StatusOK, "unknown filter")); len(rows) != 2 {
		t.Fatalf("unknown project filter rows %v", rows)
	}
	// English.
	if body := mustStatus(t, c.get("/en/staff/clocks"), http.StatusOK, "en"); !strings.Contains(body, "2 late") || !strings.Contains(body, "Objection deadlines") {
		t.Fatal("the English page")
	}
}

// The clocks count with the calendar the server was given (gongshi serve's
// --holidays reach the households service it passes here): a report delivered
// on 22 December 2026 has its re-check's last day on Friday 1 January 2027 in a
// year file without holidays, on Monday 4 January with New Year off; with the
// built-in data (no 2027) the bureau's list still has the clock, saying that it
// cannot be counted — never "-1 days left".
func TestStaffClocksCalendar(t *testing.T) {
	year := func(holidays ...calendar.Holiday) *calendar.Calendar {
		c, err := calendar.Default().With(calendar.Year{Year: 2027, Holidays: holidays,
			Notices: []calendar.Notice{{Title: "国务院办公厅关于2027年部分节假日安排的通知", Number: "国办发明电〔2026〕1号", Date: archive.D(2026, 11, 1)}}})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	newYear := calendar.Holiday{NameZh: "元旦", NameEn: "New Year's Day", From: archive.D(2027, 1, 1), To: archive.D(2027, 1, 3)}
	for _, tc := range []struct {
		name string
		cal  []*calendar.Calendar
		want []string
		not  []string
	}{
		{"built-in", nil, []string{"unknown 0001", "无法判断：节假日安排尚未载入", "1 项无法计算"}, []string{"还剩 -1", "还剩"}},
		{"2027 without holidays", []*calendar.Calendar{year()}, []string{"open 0001", "截止 <span class=\"nowrap\">2027年1月1日</span>", "还剩 10 天"}, nil},
		{"2027 with New Year", []*calendar.Calendar{year(newYear)}, []string{"open 0001", "截止 <span class=\"nowrap\">2027年1月4日</span>", "还剩 13 天"}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newStaffHHFixture(t, tc.cal...)
			f.clock.t = time.Date(2026, 12, 22, 2, 0, 0, 0, time.UTC)
			report := f.file(archive.Record{Project: hhProject, Type: "appraisal_report", Household: "0001", Title: "0001号分户评估报告"}, "%PDF report")
			if _, err := f.hs.RecordStep(f.ctx, hhProject, "0001", households.Step{Kind: households.StepReportDelivered, Day: archive.D(2026, 12, 22), Record: report.ID}, archive.ActorCLI, ""); err != nil {
				t.Fatal(err)
			}
			c := f.client()
			c.login("inspector")
			body := mustStatus(t, c.get("/staff/clocks"), http.StatusOK, "clocks")
			page := mustStatus(t, c.get("/staff/households/"+hhProject+"/0001/clock"), http.StatusOK, "clock")
			home := mustStatus(t, f.resident("0001").get("/household"), http.StatusOK, "resident")
			all := strings.Join(clockRows(body), ",") + "\n" + body
			for _, w := range tc.want {
				if !strings.Contains(all, w) {
					t.Errorf("the clocks page lacks %q:\n%s", w, clockRows(body))
				}
			}
			for _, w := range tc.not {
				if strings.Contains(body, w) || strings.Contains(page, w) || strings.Contains(home, w) {
					t.Errorf("a page says %q", w)
				}
			}
		})
	}
}
