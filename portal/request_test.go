package portal

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/gongshi-archive/gongshi/archive"
	"github.com/gongshi-archive/gongshi/requests"
)

var ticketLinkRe = regexp.MustCompile(`href="(/requests/([0-9]{8}-[A-Z0-9]{6})/([a-z2-7]+))"`)

// A request for an on-request record goes from the form to a ticket with its
// due date, to a granted link that opens the document; the requester's name and
// contact are on no page; another link opens nothing.
func TestRequestFlow(t *testing.T) {
	f := newHHFixture(t)
	risk := f.file(archive.Record{Project: hhProject, Type: "risk_assessment", Title: "社会稳定风险评估报告"}, "%PDF risk assessment")
	f.publish(risk)
	if body := f.mustGet("/records/"+risk.ID, http.StatusOK); !strings.Contains(body, "/requests/new?record="+risk.ID) {
		t.Fatal("the on-request record's page does not offer the request form")
	}
	b := f.browser("192.0.2.1")
	w := b.get("/requests/new?record=" + risk.ID)
	if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), risk.Title) || w.Header().Get("Cache-Control") == "no-cache" {
		t.Fatalf("form: %d %q", w.Code, w.Header().Get("Cache-Control"))
	}
	token := csrfRe.FindStringSubmatch(w.Body.String())[1]
	form := url.Values{"subject": {"请公开风险评估报告"}, "name": {"CANARYREQUESTER"}, "contact": {"CANARYPHONE 13800001111"}, "record": {risk.ID}}
	if w := b.post("/requests", form); w.Code != http.StatusForbidden {
		t.Fatalf("without token: %d", w.Code)
	}
	form.Set("csrf", token)
	bad := url.Values{"csrf": {token}, "subject": {""}, "name": {"CANARYREQUESTER"}}
	w = b.post("/requests", bad)
	if w.Code != http.StatusBadRequest || !strings.Contains(w.Body.String(), "申请公开的内容：必填") || !strings.Contains(w.Body.String(), "联系电话或电子邮箱：必填") {
		t.Fatalf("problems: %d\n%s", w.Code, w.Body.String())
	}
	w = b.post("/requests", form)
	if w.Code != http.StatusCreated {
		t.Fatalf("submit: %d\n%s", w.Code, w.Body.String())
	}
	m := ticketLinkRe.FindStringSubmatch(w.Body.String())
	if m == nil || !strings.Contains(w.Body.String(), "2026年12月29日") { // 20 working days from Tuesday 1 December
		t.Fatalf("ticket page:\n%s", w.Body.String())
	}
	link, id := m[1], m[2]
	if strings.Contains(w.Body.String(), "CANARY") {
		t.Fatal("the ticket's page shows the requester")
	}
	w = f.get(link)
	if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), "正在办理") || w.Header().Get("Cache-Control") != "private, no-store" {
		t.Fatalf("link: %d", w.Code)
	}
	if w := f.get("/requests/" + id + "/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"); w.Code != http.StatusNotFound {
		t.Fatalf("wrong key: %d", w.Code)
	}
	if _, err := f.rs.AnswerRequest(f.ctx, id, requests.Answer{Outcome: requests.Granted, Records: []string{risk.ID}, Day: archive.D(2026, 12, 1), Note: "请点击下载"}, archive.AccountActor("u-1")); err != nil {
		t.Fatal(err)
	}
	f.refresh()
	w = f.get(link)
	if !strings.Contains(w.Body.String(), "予以公开") || !strings.Contains(w.Body.String(), risk.Title) {
		t.Fatalf("answered:\n%s", w.Body.String())
	}
	if w := f.get(link + "/records/" + risk.ID + "/file"); w.Code != http.StatusOK || w.Body.String() != "%PDF risk assessment" {
		t.Fatalf("granted file: %d", w.Code)
	}
	if w := f.get("/records/" + risk.ID + "/file"); w.Code != http.StatusNotFound {
		t.Fatalf("the public gets the file: %d", w.Code)
	}
	// Another requester's link opens nothing of it.
	other, secret, err := f.rs.Submit(f.ctx, requests.Form{Requester: requests.Requester{Name: "x", Contact: "y"}, Subject: "z"})
	if err != nil {
		t.Fatal(err)
	}
	if w := f.get(ticketPath(other.ID, secret) + "/records/" + risk.ID + "/file"); w.Code != http.StatusNotFound {
		t.Fatalf("another ticket: %d", w.Code)
	}
	for _, p := range []string{"/", "/disclosure", "/disclosure/catalogue", "/disclosure/catalogue/" + hhProject, "/disclosure/report/2026", link, "/records/" + risk.ID} {
		if body := f.mustGet(p, http.StatusOK); strings.Contains(body, "CANARY") {
			t.Errorf("%s shows the requester", p)
		}
	}
	if strings.Contains(f.log.String(), "CANARY") {
		t.Error("the log has the requester")
	}
}

// Submissions are rate-limited per client; another client is not slowed.
func TestRequestRateLimit(t *testing.T) {
	f := newHHFixture(t)
	b := f.browser("192.0.2.1")
	send := func(b *browser) int {
		form := url.Values{"csrf": {b.csrf("/requests/new")}, "subject": {"s"}, "name": {"n"}, "contact": {"c"}}
		return b.post("/requests", form).Code
	}
	for i := 0; i < 5; i++ {
		if c := send(b); c != http.StatusCreated {
			t.Fatalf("request %d: %d", i+1, c)
		}
	}
	if c := send(b); c != http.StatusTooManyRequests {
		t.Fatalf("the 6th: %d", c)
	}
	if c := send(f.browser("192.0.2.2")); c != http.StatusCreated {
		t.Fatalf("another client: %d", c)
	}
}

// The guide names each project's contact and hotline; the catalogue lists what
// the public may know of, on-request entries with the form; the report counts
// the tickets.
func TestDisclosurePages(t *testing.T) {
	f := newHHFixture(t)
	p, err := f.arch.Project(f.ctx, hhProject)
	if err != nil {
		t.Fatal(err)
	}
	p.Contact, p.Hotline = "南关区东天街18号 0431-88886666", "0431-12345"
	if _, err := f.arch.CorrectProject(f.ctx, hhProject, p.Version, p, "补充联系方式"); err != nil {
		t.Fatal(err)
	}
	dec := f.file(archive.Record{Project: hhProject, Type: "decision", Title: "征收决定", Abstract: "决定征收东天街片区"}, "%PDF d")
	risk := f.file(archive.Record{Project: hhProject, Type: "risk_assessment", Title: "风险评估"}, "%PDF r")
	area := f.file(archive.Record{Project: hhProject, Type: "survey_result", Title: "CANARYAREA 调查结果"}, "%PDF s")
	hh := f.file(archive.Record{Project: hhProject, Type: "appraisal_report", Title: "CANARYHH 评估报告", Household: "0001"}, "%PDF h")
	f.publish(dec, risk, area)
	_ = hh
	guide := f.mustGet("/disclosure", http.StatusOK)
	for _, want := range []string{"0431-12345", "南关区东天街18号", "20 个工作日", "/requests/new"} {
		if !strings.Contains(guide, want) {
			t.Errorf("guide lacks %q", want)
		}
	}
	cat := f.mustGet("/disclosure/catalogue/"+hhProject, http.StatusOK)
	for _, want := range []string{"征收决定", "决定征收东天街片区", "风险评估", "/requests/new?record=" + risk.ID, "依申请公开"} {
		if !strings.Contains(cat, want) {
			t.Errorf("catalogue lacks %q", want)
		}
	}
	if strings.Contains(cat, "CANARY") {
		t.Error("the catalogue lists an area or household record")
	}
	if list := f.mustGet("/disclosure/catalogue", http.StatusOK); !strings.Contains(list, "2 条") {
		t.Errorf("catalogue list:\n%s", list)
	}
	tk, _, _ := f.rs.Submit(f.ctx, requests.Form{Requester: requests.Requester{Name: "n", Contact: "c"}, Subject: "s"})
	f.rs.Submit(f.ctx, requests.Form{Requester: requests.Requester{Name: "n", Contact: "c"}, Subject: "s2"})
	if _, err := f.rs.AnswerRequest(f.ctx, tk.ID, requests.Answer{Outcome: requests.Refused, Reason: "third_party", Day: archive.D(2026, 12, 1)}, archive.ActorCLI); err != nil {
		t.Fatal(err)
	}
	f.refresh()
	rep := f.mustGet("/disclosure/report/2026", http.StatusOK)
	for _, want := range []string{`本年新收申请</th><td class="num">2`, `本年办结</th><td class="num">1`, `保护第三方合法权益<span class="meta">不予公开 · 第十五条</span></td><td class="num">1`} {
		if !strings.Contains(rep, want) {
			t.Errorf("report lacks %q", want)
		}
	}
	if w := f.get("/disclosure/report/2099"); w.Code != http.StatusNotFound {
		t.Errorf("a future year: %d", w.Code)
	}
}
