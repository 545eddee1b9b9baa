package portal

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gongshi-archive/gongshi/archive"
	"github.com/gongshi-archive/gongshi/households"
	"github.com/gongshi-archive/gongshi/requests"
)

// srFixture is the portal with staff and disclosure requests: the staff pages
// answer what the visitors' form files.
type srFixture struct {
	*staffFixture
	rs    *requests.Service
	trail *memTrail
}

func newSRFixture(t *testing.T) *srFixture {
	t.Helper()
	f := &srFixture{trail: &memTrail{}}
	f.staffFixture = newStaffFixture(t, func(o *Options) {
		a := o.Archive.(*archive.Archive)
		hs, err := households.New(a, households.Options{Now: o.Now, Hasher: testHasher{}})
		if err != nil {
			t.Fatal(err)
		}
		if f.rs, err = requests.New(a, requests.Options{Now: o.Now}); err != nil {
			t.Fatal(err)
		}
		o.Households = &HouseholdOptions{Households: hs, Requests: f.rs, SessionKey: []byte(strings.Repeat("k", 32)),
			Backoff: &countingBackoff{fails: map[string]int{}, until: map[string]time.Time{}}, Trail: f.trail}
	})
	return f
}

// visitor is someone without an account: a cookie jar, no login.
func (f *srFixture) visitor() *client { return f.client() }

// submit sends the request form as a visitor and returns the ticket's id and
// link.
func (f *srFixture) submit(c *client, subject, name, contact string, records ...string) (id, link string) {
	f.t.Helper()
	path := "/requests/new"
	if len(records) > 0 {
		path += "?record=" + records[0]
	}
	form := url.Values{"csrf": {c.csrf(path)}, "subject": {subject}, "name": {name}, "contact": {contact}, "record": records}
	w := c.post("/requests", form)
	body := w.Body.String()
	if w.Code != http.StatusCreated {
		f.t.Fatalf("submit: %d\n%s", w.Code, body)
	}
	m := ticketLinkRe.FindStringSubmatch(body)
	if m == nil {
		f.t.Fatalf("no ticket link in\n%s", body)
	}
	return m[2], m[1]
}

// staffPost posts a staff form of the ticket's page with its CSRF token.
func staffPost(c *client, id, step string, form url.Values) *httptest.ResponseRecorder {
	if form.Get("csrf") == "" {
		form.Set("csrf", c.csrf("/staff/requests/"+id))
	}
	return c.post("/staff/requests/"+id+"/"+step, form)
}

var problemsRe = regexp.MustCompile(`(?s)<div class="notice bad" role="alert">.*?<ul>(.*?)</ul>`)

// problemsOf are the items of a page's problem list.
func problemsOf(body string) []string {
	m := problemsRe.FindStringSubmatch(body)
	if m == nil {
		return nil
	}
	return regexp.MustCompile(`<li>(.*?)</li>`).FindAllString(m[1], -1)
}

// The "Done when" path: a visitor asks for an on-request record through the
// form; the archivist, logged in, answers with a grant from the staff pages; the
// ticket's link shows the answer and the record downloads there and nowhere
// else. Refused forms list every problem and store nothing; a refusal releases
// nothing; the annual report counts both answers.
func TestStaffAnswersRequest(t *testing.T) {
	f := newSRFixture(t)
	risk := f.file(archive.Record{Project: "CC-2026-001", Type: "risk_assessment", Title: "社会稳定风险评估报告"}, "%PDF risk assessment")
	hhRec := f.file(archive.Record{Project: "CC-2026-001", Type: "appraisal_report", Title: "0001户分户评估报告", Household: "0001"}, "%PDF household")
	if _, err := f.arch.Publish(f.ctx, risk.ID, archive.ActorCLI, ""); err != nil {
		t.Fatal(err)
	}
	f.refresh()
	// likeUnknown: the record's file answers as a record nobody filed does
	// (the same status and page, but for the address).
	unknown := strings.Repeat("a", len(risk.ID))
	unknownFile := f.get("/records/" + unknown + "/file")
	likeUnknown := func(what string) {
		t.Helper()
		w := f.get("/records/" + risk.ID + "/file")
		if w.Code != http.StatusNotFound || strings.ReplaceAll(w.Body.String(), risk.ID, unknown) != unknownFile.Body.String() {
			t.Fatalf("%s: the public file answers %d, unlike an unknown record's %d", what, w.Code, unknownFile.Code)
		}
	}
	likeUnknown("before the answer")

	v := f.visitor()
	id, link := f.submit(v, "请公开东天街片区社会稳定风险评估报告", "CANARYREQNAME", "CANARYREQPHONE 13800001111", risk.ID)
	refusedID, refusedLink := f.submit(f.visitor(), "请公开某户的评估报告", "CANARYREQOTHER", "CANARYREQMAIL x@example.cn")
	rep := f.mustGet("/disclosure/report/2026", http.StatusOK)
	if !strings.Contains(rep, `本年新收申请</th><td class="num">2`) || !strings.Contains(rep, `本年办结</th><td class="num">0`) {
		t.Fatalf("report before the answers:\n%s", rep)
	}

	// Not logged in: the staff pages are closed; the inspector reads but
	// cannot answer; the system administrator does not see requests.
	if w := v.get("/staff/requests"); w.Code == http.StatusOK {
		t.Fatalf("staff list without login: %d", w.Code)
	}
	ins := f.client()
	ins.login("inspector")
	if w := ins.get("/staff/requests/" + id); w.Code != http.StatusOK {
		t.Fatalf("inspector reads: %d\n%s", w.Code, f.log.String())
	} else if strings.Contains(w.Body.String(), "/answer\"") {
		t.Error("the inspector gets the answer form")
	}
	if w := staffPost(ins, id, "answer", url.Values{"outcome": {"granted"}, "record": {risk.ID}, "day": {"2026-12-01"}}); w.Code != http.StatusForbidden {
		t.Fatalf("inspector answers: %d", w.Code)
	}
	adm := f.client()
	adm.login("sysadmin")
	if w := adm.get("/staff/requests/" + id); w.Code != http.StatusForbidden {
		t.Fatalf("sysadmin reads a request: %d", w.Code)
	}

	arc := f.client()
	arc.login("archivist")
	list := mustStatus(t, arc.get("/staff/requests"), http.StatusOK, "list")
	for _, want := range []string{id, refusedID, "2026年12月29日", "还剩 20 个工作日", "请公开东天街片区社会稳定风险评估报告"} {
		if !strings.Contains(list, want) {
			t.Errorf("the list lacks %q", want)
		}
	}
	if strings.Contains(list, "CANARYREQ") {
		t.Error("the list shows a requester")
	}
	reads := len(f.trail.reads)
	page := mustStatus(t, arc.get("/staff/requests/"+id), http.StatusOK, "ticket page")
	for _, want := range []string{"CANARYREQNAME", "CANARYREQPHONE 13800001111", risk.Title, "作出答复", "延长答复期限", "请申请人补正"} {
		if !strings.Contains(page, want) {
			t.Errorf("the ticket page lacks %q", want)
		}
	}
	if strings.Contains(page, "CANARYREQOTHER") {
		t.Error("the ticket page shows another ticket's requester")
	}
	if len(f.trail.reads) != reads+1 || !strings.HasSuffix(f.trail.reads[reads], "request_read request "+id) || strings.Contains(f.trail.reads[reads], "CANARY") {
		t.Errorf("trail after a view: %q", f.trail.reads[reads:])
	}

	unchanged := func(what string) {
		t.Helper()
		tk, err := f.rs.Get(f.ctx, id)
		st, err2 := f.arch.RecordState(f.ctx, risk.ID)
		if err != nil || err2 != nil || tk.Version != 1 || len(st.Grants) != 0 {
			t.Fatalf("%s stored something: ticket v%d, grants %v (%v %v)", what, tk.Version, st.Grants, err, err2)
		}
	}
	// No token: refused before anything.
	if w := arc.post("/staff/requests/"+id+"/answer", url.Values{"outcome": {"granted"}, "record": {risk.ID}, "day": {"2026-12-01"}}); w.Code != http.StatusForbidden {
		t.Fatalf("answer without CSRF: %d", w.Code)
	}
	unchanged("an answer without CSRF")
	// Everything wrong at once: every problem listed, nothing stored.
	w := staffPost(arc, id, "answer", url.Values{"outcome": {"refused"}, "record": {risk.ID}, "day": {"01/12/2026"}, "note": {"CANARYNOTE"}})
	body := mustStatus(t, w, http.StatusUnprocessableEntity, "a wrong answer")
	if ps := problemsOf(body); len(ps) != 3 || !strings.Contains(body, "日期：请填写日期") || !strings.Contains(body, "选择法定理由") ||
		!strings.Contains(body, "不予公开时不能公开文件") {
		t.Errorf("problems: %q", ps)
	}
	if !strings.Contains(body, `value="refused" checked`) || !strings.Contains(body, "CANARYNOTE") {
		t.Error("the refused form does not keep what was typed")
	}
	unchanged("a wrong answer")
	// A household record is never released on request: the package's words.
	w = staffPost(arc, id, "answer", url.Values{"outcome": {"granted"}, "record": {risk.ID, hhRec.ID}, "day": {"2026-12-01"}})
	body = mustStatus(t, w, http.StatusUnprocessableEntity, "granting a household record")
	if !strings.Contains(body, "《0001户分户评估报告》不能依申请公开") {
		t.Errorf("a household record granted:\n%v", problemsOf(body))
	}
	unchanged("granting a household record")
	// The archive's search finds the record by its title; the household record is marked.
	if body := mustStatus(t, arc.get("/staff/requests/"+id+"?find="+url.QueryEscape("分户评估")), http.StatusOK, "find"); !strings.Contains(body, hhRec.ID) ||
		!strings.Contains(body, "此类文件不能依申请公开") {
		t.Error("find does not list the household record, marked")
	}
	if body := mustStatus(t, arc.get("/staff/requests/"+id+"?find="+risk.ID), http.StatusOK, "find by id"); !strings.Contains(body, `找到 1 份文件`) {
		t.Error("find by id")
	}

	// The grant.
	w = staffPost(arc, id, "answer", url.Values{"outcome": {"granted"}, "record": {risk.ID}, "day": {"2026-12-01"}, "note": {"请点击下载"}})
	if w.Code != http.StatusSeeOther || !strings.HasSuffix(w.Header().Get("Location"), "/staff/requests/"+id+"?done=done_sr_answer") {
		t.Fatalf("grant: %d %s\n%s", w.Code, w.Header().Get("Location"), w.Body.String())
	}
	tk, err := f.rs.Get(f.ctx, id)
	if err != nil || tk.Answer == nil || tk.Answer.Outcome != requests.Granted || tk.Actor == archive.ActorSystem || !strings.HasPrefix(string(tk.Actor), "account:") {
		t.Fatalf("the stored answer: %+v by %s (%v)", tk.Answer, tk.Actor, err)
	}
	if body := mustStatus(t, arc.get("/staff/requests/"+id), http.StatusOK, "answered"); strings.Contains(body, "/answer\"") || !strings.Contains(body, "测试archivist") {
		t.Error("the answered ticket still offers the answer form, or does not say who answered")
	}
	f.refresh()
	answered := f.mustGet(link, http.StatusOK)
	for _, want := range []string{"予以公开", "请点击下载", risk.Title, link + "/records/" + risk.ID + "/file"} {
		if !strings.Contains(answered, want) {
			t.Errorf("the requester's page lacks %q", want)
		}
	}
	if w := f.get(link + "/records/" + risk.ID + "/file"); w.Code != http.StatusOK || w.Body.String() != "%PDF risk assessment" {
		t.Fatalf("the granted file behind the link: %d", w.Code)
	}
	likeUnknown("after the grant")
	if w := f.get(refusedLink + "/records/" + risk.ID + "/file"); w.Code != http.StatusNotFound {
		t.Fatalf("another ticket's link gets the file: %d", w.Code)
	}

	// A refusal releases nothing.
	w = staffPost(arc, refusedID, "answer", url.Values{"outcome": {"refused"}, "reason": {"third_party"}, "day": {"2026-12-01"}, "note": {"涉及个人隐私"}})
	if w.Code != http.StatusSeeOther {
		t.Fatalf("refusal: %d\n%v", w.Code, problemsOf(w.Body.String()))
	}
	f.refresh()
	refused := f.mustGet(refusedLink, http.StatusOK)
	if !strings.Contains(refused, "不予公开") || !strings.Contains(refused, "保护第三方合法权益") || strings.Contains(refused, "/file") {
		t.Errorf("the refused ticket's page:\n%s", refused)
	}
	if w := f.get(refusedLink + "/records/" + hhRec.ID + "/file"); w.Code != http.StatusNotFound {
		t.Errorf("a refusal released a file: %d", w.Code)
	}
	rep = f.mustGet("/disclosure/report/2026", http.StatusOK)
	for _, want := range []string{`本年新收申请</th><td class="num">2`, `本年办结</th><td class="num">2`,
		`保护第三方合法权益<span class="meta">不予公开 · 第十五条</span></td><td class="num">1`} {
		if !strings.Contains(rep, want) {
			t.Errorf("report after the answers lacks %q", want)
		}
	}
	for _, want := range []string{`<tr><td>予以公开</td><td class="num">1</td>`, `<tr><td>不予公开</td><td class="num">1</td>`} {
		if !strings.Contains(rep, want) {
			t.Errorf("report after the answers lacks %q", want)
		}
	}
	if l := f.log.String(); strings.Contains(l, "CANARYREQ") || strings.Contains(l, "CANARYNOTE") {
		t.Error("the log has the requester or the note")
	}
}

// rowOf is the list's row of ticket id (its cells' text), "" when not listed.
func rowOf(list, id string) string {
	i := strings.Index(list, ">"+id+"</a>")
	if i < 0 {
		return ""
	}
	end := strings.Index(list[i:], "</tr>")
	return list[i : i+end]
}

// The clocks on the staff pages, with an injected clock: a ticket's last day
// the day before, on, and after it; the late first and in the late filter; a
// correction stops the period and its receipt restarts it; one extension, by
// the last day only; one correction notice only; a late answer is marked late.
func TestStaffRequestClock(t *testing.T) {
	f := newSRFixture(t)
	a, _ := f.submit(f.visitor(), "请公开征收补偿方案", "n1", "c1")
	b, _ := f.submit(f.visitor(), "那个文件", "n2", "c2")
	c, _ := f.submit(f.visitor(), "请公开社会稳定风险评估", "n3", "c3")
	day := func(y int, m time.Month, d int) {
		f.clock.mu.Lock()
		f.clock.t = time.Date(y, m, d, 2, 0, 0, 0, time.UTC) // 10:00 in China
		f.clock.mu.Unlock()
	}
	archivist := func() *client {
		cl := f.client()
		cl.login("archivist")
		return cl
	}
	arc := archivist()
	// B is unclear: asked once to correct, the period stops.
	if w := staffPost(arc, b, "correct", url.Values{"day": {"2026-12-01"}, "note": {"请写明文件名称或文号"}}); w.Code != http.StatusSeeOther {
		t.Fatalf("ask correction: %d %v", w.Code, problemsOf(w.Body.String()))
	}
	if row := rowOf(mustStatus(t, arc.get("/staff/requests"), http.StatusOK, "list"), b); !strings.Contains(row, "等待补正") || !strings.Contains(row, "—") {
		t.Errorf("B while a correction is awaited: %s", row)
	}
	if w := staffPost(arc, b, "correct", url.Values{"day": {"2026-12-01"}, "note": {"again"}}); w.Code != http.StatusUnprocessableEntity ||
		!strings.Contains(w.Body.String(), "这一步现在不能办理：a correction may be asked once (Art. 30)") {
		t.Errorf("a second correction notice: %d %v", w.Code, problemsOf(w.Body.String()))
	}
	// The correction comes on Thursday 3 December: 20 working days from it.
	day(2026, 12, 3)
	arc = archivist()
	if w := staffPost(arc, b, "received", url.Values{"day": {"2026-12-03"}}); w.Code != http.StatusSeeOther {
		t.Fatalf("correction received: %d %v", w.Code, problemsOf(w.Body.String()))
	}
	if row := rowOf(mustStatus(t, arc.get("/staff/requests"), http.StatusOK, "list"), b); !strings.Contains(row, "2026年12月31日") {
		t.Errorf("B after its correction: %s", row)
	}
	// C is extended once, with its notice.
	if w := staffPost(arc, c, "extend", url.Values{"day": {"2026-12-03"}, "note": {""}}); w.Code != http.StatusUnprocessableEntity || !strings.Contains(w.Body.String(), "写明延期的理由") {
		t.Errorf("an extension without its reason: %d %v", w.Code, problemsOf(w.Body.String()))
	}
	if w := staffPost(arc, c, "extend", url.Values{"day": {"2026-12-03"}, "note": {"需要征求第三方意见"}}); w.Code != http.StatusSeeOther {
		t.Fatalf("extend: %d %v", w.Code, problemsOf(w.Body.String()))
	}
	if body := mustStatus(t, arc.get("/staff/requests/"+c), http.StatusOK, "extended"); strings.Contains(body, "/extend\"") || !strings.Contains(body, "需要征求第三方意见") {
		t.Error("an extended ticket offers a second extension, or its history lacks the notice")
	}

	// A: received Tuesday 1 December, last day Tuesday 29 December.
	for _, tc := range []struct {
		d      int
		want   string
		late   bool
		listed int // A's place in the list of open tickets
	}{
		{28, "还剩 1 个工作日", false, 0},
		{29, "今天是最后一天", false, 0},
		{30, "已逾期 1 天", true, 0},
	} {
		day(2026, 12, tc.d)
		arc = archivist()
		list := mustStatus(t, arc.get("/staff/requests"), http.StatusOK, "list")
		if row := rowOf(list, a); !strings.Contains(row, "2026年12月29日") || !strings.Contains(row, tc.want) {
			t.Errorf("12-%d: A's row %q, want %q", tc.d, row, tc.want)
		}
		late := mustStatus(t, arc.get("/staff/requests?show=late"), http.StatusOK, "late list")
		if got := rowOf(late, a) != ""; got != tc.late {
			t.Errorf("12-%d: A in the late list: %v, want %v", tc.d, got, tc.late)
		}
		if tc.late && (strings.Index(list, ">"+a+"</a>") > strings.Index(list, ">"+b+"</a>") || rowOf(late, b) != "") {
			t.Errorf("12-%d: the late ticket is not first, or B (due 31 December) is late", tc.d)
		}
	}
	// Past the last day an extension is too late; the answer is late.
	if w := staffPost(arc, a, "extend", url.Values{"day": {"2026-12-30"}, "note": {"太晚了"}}); w.Code != http.StatusUnprocessableEntity ||
		!strings.Contains(w.Body.String(), "the period ended on 2026-12-29") {
		t.Errorf("an extension after the last day: %d %v", w.Code, problemsOf(w.Body.String()))
	}
	if w := staffPost(arc, a, "answer", url.Values{"outcome": {"unavailable"}, "reason": {"not_held"}, "day": {"2026-12-30"}}); w.Code != http.StatusSeeOther {
		t.Fatalf("late answer: %d %v", w.Code, problemsOf(w.Body.String()))
	}
	answered := mustStatus(t, arc.get("/staff/requests?show=answered"), http.StatusOK, "answered list")
	if row := rowOf(answered, a); !strings.Contains(row, "已答复") || !strings.Contains(row, "逾期 1 天答复") {
		t.Errorf("A answered a day late: %q", row)
	}
	if rowOf(answered, b) != "" || rowOf(mustStatus(t, arc.get("/staff/requests"), http.StatusOK, "open list"), a) != "" {
		t.Error("the filters mix answered and open tickets")
	}
	// The annual report counts the late answer.
	f.refresh()
	rep := f.mustGet("/disclosure/report/2026", http.StatusOK)
	for _, want := range []string{`超过期限答复</th><td class="num">1<`, `已超期未答复</th><td class="num">0<`, `本年新收申请</th><td class="num">3<`} {
		if !strings.Contains(rep, want) {
			t.Errorf("report lacks %q", want)
		}
	}
}
