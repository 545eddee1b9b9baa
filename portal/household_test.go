package portal

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/gongshi-archive/gongshi/archive"
	"github.com/gongshi-archive/gongshi/households"
)

// A household logs in with its number and code and sees its own records, the
// project's area documents, its clock and its own register row; never another
// household's; its pages are private and never from the page cache; logging
// out ends it.
func TestHouseholdLogin(t *testing.T) {
	f := newHHFixture(t)
	report := f.file(archive.Record{Project: hhProject, Type: "appraisal_report", Title: "0001号房屋分户评估报告", Household: "0001"}, "%PDF report A")
	other := f.file(archive.Record{Project: hhProject, Type: "appraisal_report", Title: "CANARYREPORTB 0002号分户评估报告", Household: "0002"}, "%PDF report B")
	survey := f.file(archive.Record{Project: hhProject, Type: "survey_result", Title: "调查登记结果公示"}, "%PDF survey")
	elsewhere := f.file(archive.Record{Project: "JL-2026-003", Type: "survey_result", Title: "CANARYOTHERPROJECT 调查结果"}, "%PDF other")
	f.publish(survey, elsewhere)
	_ = other
	f.clock.t = time.Date(2026, 12, 3, 2, 0, 0, 0, time.UTC)
	if _, err := f.hs.RecordStep(f.ctx, hhProject, "0001", households.Step{Kind: households.StepReportDelivered, Day: archive.D(2026, 12, 1), Record: report.ID}, archive.ActorCLI, ""); err != nil {
		t.Fatal(err)
	}

	b := f.browser("192.0.2.1")
	w := b.get("/household")
	if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), "查询码") || w.Header().Get("Cache-Control") == "no-cache" {
		t.Fatalf("login page: %d %s", w.Code, w.Header().Get("Cache-Control"))
	}
	w = b.login("0001", strings.ToLower(households.FormatCode(f.codes["0001"])))
	if w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/household" {
		t.Fatalf("login: %d %s\n%s", w.Code, w.Header().Get("Location"), w.Body.String())
	}
	if c := b.cookies[householdCookie]; c == nil || !c.HttpOnly || c.SameSite != http.SameSiteLaxMode {
		t.Fatalf("session cookie %+v", c)
	}
	w = b.get("/household")
	body := w.Body.String()
	if w.Code != http.StatusOK || w.Header().Get("Cache-Control") != "private, no-store" {
		t.Fatalf("home: %d %q", w.Code, w.Header().Get("Cache-Control"))
	}
	for _, want := range []string{"户号 0001", report.Title, survey.Title, "张甲CANARYHEADA", "东天街88号5栋CANARYADDRA", "86.5",
		"申请复核", "还剩 8 天", "2026年12月11日"} {
		if !strings.Contains(body, want) {
			t.Errorf("home lacks %q", want)
		}
	}
	for _, never := range []string{"CANARYREPORTB", "CANARYHEADB", "CANARYADDRB", "CANARYNOTE", "220102195001011111", "13900000111", "CANARYOTHERPROJECT"} {
		if strings.Contains(body, never) {
			t.Errorf("home shows %q", never)
		}
	}
	// The own report opens, the neighbour's does not exist for this household.
	if w := b.get("/records/" + report.ID + "/file"); w.Code != http.StatusOK {
		t.Errorf("own report: %d", w.Code)
	}
	for _, path := range []string{"/records/" + other.ID, "/records/" + other.ID + "/file"} {
		if w := b.get(path); w.Code != http.StatusNotFound {
			t.Errorf("%s: %d, want 404", path, w.Code)
		}
	}
	// A cached public page is rendered for the household, not served from the
	// cache.
	pub := f.get("/projects/" + hhProject)
	w = b.get("/projects/" + hhProject)
	if w.Header().Get("Cache-Control") != "private, no-store" || pub.Header().Get("Cache-Control") != "no-cache" {
		t.Errorf("project page: household %q, public %q", w.Header().Get("Cache-Control"), pub.Header().Get("Cache-Control"))
	}
	if strings.Contains(pub.Body.String(), survey.Title) || !strings.Contains(w.Body.String(), survey.Title) {
		t.Errorf("the area record: in the public page %v, in the household's %v",
			strings.Contains(pub.Body.String(), survey.Title), strings.Contains(w.Body.String(), survey.Title))
	}
	w = b.post("/household/logout", nil)
	if w.Code != http.StatusSeeOther || b.cookies[householdCookie] != nil {
		t.Fatalf("logout: %d %v", w.Code, b.cookies)
	}
	if w := b.get("/household"); !strings.Contains(w.Body.String(), `name="code"`) {
		t.Fatal("after logout the page is not the login form")
	}
}

// Wrong codes slow down per household and per client, growing; the right code
// after the wait gets in (no lockout); the log never has the code.
func TestHouseholdWrongCodes(t *testing.T) {
	f := newHHFixture(t)
	b := f.browser("192.0.2.9")
	for i := 1; i <= 3; i++ {
		w := b.login("0002", "AAAA-AAAA-AAAA")
		if w.Code != http.StatusUnauthorized || !strings.Contains(w.Body.String(), "户号或查询码不对") {
			t.Fatalf("attempt %d: %d", i, w.Code)
		}
		if i == 3 && !strings.Contains(w.Body.String(), "请等 1 秒后再试") {
			t.Fatalf("the third failure says no wait:\n%s", w.Body.String())
		}
	}
	// Even the right code waits its turn now: from another client too (the
	// household's count), and this client for another household.
	if w := f.browser("198.51.100.7").login("0002", f.codes["0002"]); w.Code != http.StatusUnauthorized || !strings.Contains(w.Body.String(), "请等") {
		t.Fatalf("right code during the wait, other client: %d", w.Code)
	}
	if w := b.login("0003", f.codes["0003"]); w.Code != http.StatusUnauthorized {
		t.Fatalf("right code during the wait, same client, other household: %d", w.Code)
	}
	f.clock.advance(2 * time.Second)
	if w := f.browser("198.51.100.7").login("0002", f.codes["0002"]); w.Code != http.StatusSeeOther {
		t.Fatalf("right code after the wait: %d", w.Code)
	}
	if f.back.fails["hh:"+archive.HouseholdKey(hhProject, "0002")] != 0 || f.back.fails["client:192.0.2.9"] != 3 {
		t.Fatalf("counts: %v", f.back.fails)
	}
	log := f.log.String()
	if strings.Contains(log, "AAAA") || strings.Contains(log, f.codes["0002"]) || !strings.Contains(log, "household login failed") {
		t.Fatalf("the log:\n%s", log)
	}
}

// A revoked code ends its sessions; a forged cookie is refused, never served as
// the public; the login page takes a stale cookie away.
func TestHouseholdSessionEnds(t *testing.T) {
	f := newHHFixture(t)
	b := f.browser("192.0.2.1")
	if w := b.login("0001", f.codes["0001"]); w.Code != http.StatusSeeOther {
		t.Fatal(w.Code)
	}
	if _, err := f.hs.RevokeCode(f.ctx, hhProject, "0001", archive.ActorCLI, "户主申请停用"); err != nil {
		t.Fatal(err)
	}
	f.clock.advance(currentFor + time.Second)
	w := b.get("/")
	if w.Code != http.StatusUnauthorized || !strings.Contains(w.Body.String(), "重新输入户号和查询码") {
		t.Fatalf("after revocation: %d", w.Code)
	}
	w = b.get("/household")
	if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), "已经结束") || b.cookies[householdCookie] != nil {
		t.Fatalf("login page with a stale cookie: %d, cookie %v", w.Code, b.cookies[householdCookie])
	}
	forged := f.browser("192.0.2.2")
	forged.cookies[householdCookie] = &http.Cookie{Name: householdCookie, Value: f.srv.hh.signSession(session{Project: hhProject, Household: "0002", Code: 1, Expires: f.clock.now().Add(time.Hour)})[:20] + "x.y"}
	if w := forged.get("/"); w.Code != http.StatusUnauthorized {
		t.Fatalf("forged cookie: %d", w.Code)
	}
	// Expiry.
	c := f.browser("192.0.2.3")
	if w := c.login("0002", f.codes["0002"]); w.Code != http.StatusSeeOther {
		t.Fatal(w.Code)
	}
	if w := c.get("/household"); !strings.Contains(w.Body.String(), "户号 0002") {
		t.Fatal("not logged in")
	}
	f.clock.advance(3 * time.Hour)
	if w := c.get("/"); w.Code != http.StatusUnauthorized {
		t.Fatalf("an expired session: %d", w.Code)
	}
	if w := c.get("/household"); strings.Contains(w.Body.String(), "户号 0002") || !strings.Contains(w.Body.String(), "已经结束") {
		t.Fatal("an expired session still lets in")
	}
}

// The login form carries a token bound to the browser; a post without it, or
// from another site, is refused and nobody is logged in.
func TestHouseholdLoginCSRF(t *testing.T) {
	f := newHHFixture(t)
	b := f.browser("192.0.2.1")
	form := url.Values{"project": {hhProject}, "household": {"0001"}, "code": {f.codes["0001"]}}
	if w := b.post("/household/login", form); w.Code != http.StatusForbidden || b.cookies[householdCookie] != nil {
		t.Fatalf("without token: %d", w.Code)
	}
	form.Set("csrf", b.csrf("/household"))
	req := httptestPost("/household/login", form)
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	if w := b.send(req); w.Code != http.StatusForbidden {
		t.Fatalf("cross-site: %d", w.Code)
	}
	if w := b.post("/household/login", form); w.Code != http.StatusSeeOther {
		t.Fatalf("with token: %d", w.Code)
	}
}
