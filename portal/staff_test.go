package portal

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/gongshi-archive/gongshi/archive"
	"github.com/gongshi-archive/gongshi/archive/ledger"
	"github.com/gongshi-archive/gongshi/ingest/pdftest"
	"github.com/gongshi-archive/gongshi/staff"
)

func TestStaffLogin(t *testing.T) {
	sf := newStaffFixture(t)
	c := sf.client()
	// Staff pages send the public to the login.
	w := c.get("/staff/records")
	if w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/staff/login?next=%2Fstaff%2Frecords" {
		t.Fatalf("staff page without login: %d %q", w.Code, w.Header().Get("Location"))
	}
	tok := c.csrf("/staff/login")
	if c.cookies[visitorCookie] == nil {
		t.Fatal("the login page set no login cookie")
	}
	form := url.Values{"login": {"archivist"}, "password": {sf.pw["archivist"]}, "next": {"/staff/records"}}
	// Without the token, with a wrong one, and from another site: refused before the password is looked at.
	mustStatus(t, c.post("/staff/login", form), http.StatusForbidden, "login without CSRF token")
	form.Set("csrf", tok[:len(tok)-2]+"xx")
	mustStatus(t, c.post("/staff/login", form), http.StatusForbidden, "login with a wrong CSRF token")
	form.Set("csrf", tok)
	c.header.Set("Sec-Fetch-Site", "cross-site")
	mustStatus(t, c.post("/staff/login", form), http.StatusForbidden, "cross-site login")
	c.header.Del("Sec-Fetch-Site")
	// A wrong password: 401, the page says so, the log has the login but never the password.
	bad := url.Values{"csrf": {tok}, "login": {"archivist"}, "password": {"CANARY-wrong-password"}}
	body := mustStatus(t, c.post("/staff/login", bad), http.StatusUnauthorized, "wrong password")
	if !strings.Contains(body, "登录名或密码不对") || c.cookies[sessionCookie] != nil {
		t.Fatalf("wrong password page:\n%s", body)
	}
	if log := sf.log.String(); strings.Contains(log, "CANARY") || !strings.Contains(log, `"login":"archivist"`) {
		t.Fatalf("the log of a failed login:\n%s", log)
	}
	w = c.post("/staff/login", form)
	if w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/staff/records" {
		t.Fatalf("login: %d %q\n%s", w.Code, w.Header().Get("Location"), w.Body.String())
	}
	ck := c.cookies[sessionCookie]
	if ck == nil || !ck.HttpOnly || ck.SameSite != http.SameSiteLaxMode || ck.Path != "/" || ck.Secure || ck.MaxAge <= 0 {
		t.Fatalf("session cookie %+v", ck)
	}
	if strings.Contains(sf.log.String(), ck.Value) {
		t.Fatal("the log holds the session secret")
	}
	body = mustStatus(t, c.get("/staff/"), http.StatusOK, "dashboard")
	if !strings.Contains(body, "测试archivist") || !strings.Contains(body, "归档一份文件") {
		t.Fatalf("dashboard:\n%s", body)
	}
	if cc := c.get("/staff/").Header().Get("Cache-Control"); cc != "private, no-store" {
		t.Errorf("staff page Cache-Control %q", cc)
	}
	// The public pages see the staff member as staff, never from the shared cache.
	if cc := c.get("/").Header().Get("Cache-Control"); cc != "private, no-store" {
		t.Errorf("public page for staff: Cache-Control %q", cc)
	}
	// The English pages.
	if !strings.Contains(mustStatus(t, c.get("/en/staff/"), http.StatusOK, "English dashboard"), "Staff desk") {
		t.Error("English dashboard is not English")
	}

	// Secure cookies behind TLS.
	sec := newStaffFixture(t, func(o *Options) { o.HSTS = true })
	sc := sec.client()
	sc.login("inspector")
	if !sc.cookies[sessionCookie].Secure {
		t.Error("behind TLS (HSTS) the session cookie is not Secure")
	}
}

func TestStaffForgedCookies(t *testing.T) {
	sf := newStaffFixture(t)
	c := sf.client()
	c.login("archivist")
	real := c.cookies[sessionCookie].Value
	forged := []string{
		"", "x", strings.Repeat("a", len(real)), real[:len(real)-1] + flip(real[len(real)-1]), real + "a",
		flip(real[0]) + real[1:], strings.ToUpper(real), "' OR 1=1 --",
	}
	for _, v := range forged {
		if v == real || v == "" {
			continue
		}
		f := sf.client()
		f.cookies[sessionCookie] = &http.Cookie{Name: sessionCookie, Value: v}
		w := f.get("/staff/")
		if w.Code != http.StatusSeeOther || !strings.HasPrefix(w.Header().Get("Location"), "/staff/login") {
			t.Errorf("cookie %q: %d %q", v, w.Code, w.Header().Get("Location"))
		}
		if f.cookies[sessionCookie] != nil {
			t.Errorf("cookie %q was not cleared", v)
		}
		// Never served as the public either.
		f.cookies[sessionCookie] = &http.Cookie{Name: sessionCookie, Value: v}
		if w := f.get("/"); w.Code != http.StatusUnauthorized {
			t.Errorf("cookie %q on the home page: %d", v, w.Code)
		}
		f.cookies[sessionCookie] = &http.Cookie{Name: sessionCookie, Value: v}
		f.header.Set("Accept", "application/json")
		if w := f.get("/staff/"); w.Code != http.StatusUnauthorized {
			t.Errorf("cookie %q asking for JSON: %d", v, w.Code)
		}
	}
	// A session that expired is refused the same way.
	sf.clock.advance(sf.svc.SessionTTL())
	if w := c.get("/staff/"); w.Code != http.StatusSeeOther {
		t.Fatalf("expired session: %d", w.Code)
	}
}

func flip(b byte) string {
	if b == 'a' {
		return "b"
	}
	return "a"
}

func TestStaffLogout(t *testing.T) {
	sf := newStaffFixture(t)
	c := sf.client()
	c.login("archivist")
	secret := c.cookies[sessionCookie].Value
	// Without the token: refused, still logged in.
	mustStatus(t, c.post("/staff/logout", url.Values{}), http.StatusForbidden, "logout without CSRF")
	mustStatus(t, c.post("/staff/logout", url.Values{"csrf": {"nope"}}), http.StatusForbidden, "logout with a wrong token")
	mustStatus(t, c.get("/staff/"), http.StatusOK, "after a refused logout")
	tok := c.csrf("/staff/")
	w := c.post("/staff/logout", url.Values{"csrf": {tok}})
	if w.Code != http.StatusSeeOther || c.cookies[sessionCookie] != nil {
		t.Fatalf("logout: %d", w.Code)
	}
	// The old cookie, kept by someone, no longer works on any server of the store.
	if _, _, err := sf.svc.Session(sf.ctx, secret); err == nil {
		t.Fatal("the session lives on after the logout")
	}
	old := sf.client()
	old.cookies[sessionCookie] = &http.Cookie{Name: sessionCookie, Value: secret}
	if w := old.get("/staff/"); w.Code != http.StatusSeeOther {
		t.Fatalf("old cookie after logout: %d", w.Code)
	}
}

func TestStaffLoginRateLimit(t *testing.T) {
	sf := newStaffFixture(t)
	c := sf.client()
	tok := c.csrf("/staff/login")
	for i := range 4 {
		w := c.post("/staff/login", url.Values{"csrf": {tok}, "login": {"archivist"}, "password": {"CANARY-guess"}})
		mustStatus(t, w, http.StatusUnauthorized, "guess "+string(rune('1'+i)))
	}
	w := c.post("/staff/login", url.Values{"csrf": {tok}, "login": {"archivist"}, "password": {sf.pw["archivist"]}})
	body := mustStatus(t, w, http.StatusTooManyRequests, "the right password right after four failures")
	if w.Header().Get("Retry-After") != "1" || !strings.Contains(body, "失败次数太多") {
		t.Fatalf("Retry-After %q\n%s", w.Header().Get("Retry-After"), body)
	}
	sf.clock.advance(time.Second)
	c.login("archivist")
	if strings.Contains(sf.log.String(), "CANARY") {
		t.Fatal("a password reached the log")
	}
}

// Every staff form refuses a POST without the session's CSRF token, and nothing
// changes.
func TestStaffFormsNeedCSRF(t *testing.T) {
	sf := newStaffFixture(t)
	rec := sf.file(archive.Record{Project: "CC-2026-001", Type: "decision", Title: "关于征收的决定", Date: archive.D(2026, 3, 18)}, "%PDF-1.7 x")
	c := sf.client()
	c.login("archivist")
	doc := sf.signedPDF("无令牌")
	entries := sf.ledgerSize()
	for _, tok := range []string{"", "wrong", csrfToken("another session's secret", "staff")} {
		var fields [][2]string
		if tok != "" {
			fields = [][2]string{{"csrf", tok}}
		}
		w := c.upload("/staff/file", append(fields, fileFields("", "无令牌")[1:]...), uploadFile{"file", "a.pdf", doc})
		mustStatus(t, w, http.StatusForbidden, "filing with CSRF token "+tok)
		w = c.post("/staff/records/"+rec.ID+"/correct", url.Values{"csrf": {tok}, "title": {"改"}, "type": {"decision"}, "reason": {"x"}, "base": {"1"}})
		mustStatus(t, w, http.StatusForbidden, "correction with CSRF token "+tok)
		w = c.post("/staff/password", url.Values{"csrf": {tok}, "current": {sf.pw["archivist"]}, "new": {"0123456789abcdef"}, "again": {"0123456789abcdef"}})
		mustStatus(t, w, http.StatusForbidden, "password with CSRF token "+tok)
	}
	// The token must come first in an upload: after the file it is too late.
	good := c.csrf("/staff/file")
	w := c.upload("/staff/file", fileFields("", "晚到的令牌")[1:], uploadFile{"file", "a.pdf", doc}, uploadFile{"csrf", "x", []byte(good)})
	mustStatus(t, w, http.StatusForbidden, "token after the file")
	if n := sf.recordCount(); n != 1 {
		t.Fatalf("%d records after refused forms, want 1", n)
	}
	if got := sf.ledgerSize(); got != entries {
		t.Fatalf("the ledger grew from %d to %d entries after refused forms", entries, got)
	}
}

func (sf *staffFixture) ledgerSize() int {
	n := 0
	if err := sf.led.Entries(sf.ctx, func(int64, []byte) error { n++; return nil }); err != nil {
		sf.t.Fatal(err)
	}
	return n
}

// entriesBy returns the ledger's events made by actor.
func (sf *staffFixture) entriesBy(actor archive.Actor) []archive.Event {
	var out []archive.Event
	err := sf.led.Entries(sf.ctx, func(_ int64, b []byte) error {
		e, err := ledger.ParseEntry(b)
		if err != nil {
			return err
		}
		if e.Actor == actor {
			out = append(out, e)
		}
		return nil
	})
	if err != nil {
		sf.t.Fatal(err)
	}
	return out
}

func TestStaffFiling(t *testing.T) {
	sf := newStaffFixture(t)
	c := sf.client()
	c.login("archivist")
	me, _ := sf.svc.AccountByLogin(sf.ctx, "archivist")
	tok := c.csrf("/staff/file")
	doc := sf.signedPDF("关于东天街片区房屋征收的决定")
	w := c.upload("/staff/file", fileFields(tok, "关于东天街片区房屋征收的决定"), uploadFile{"file", `C:\扫描\征收 决定书（定稿）.pdf`, doc})
	body := mustStatus(t, w, http.StatusOK, "filing")
	for _, want := range []string{"已归档", "四性检测报告", "真实性", "完整性", "可用性", "安全性", "电子签名有效", "Z109-WS·2026-Y-CQ01-0001"} {
		if !strings.Contains(body, want) {
			t.Errorf("the filing's page lacks %q", want)
		}
	}
	var rec archive.Record
	_ = sf.arch.Records(sf.ctx, func(r archive.Record) error { rec = r; return nil })
	if rec.Actor != me.As() || rec.FileName != "征收 决定书（定稿）.pdf" || rec.ArchivalCode == "" {
		t.Fatalf("filed %+v", rec)
	}
	if es := sf.entriesBy(me.As()); len(es) != 2 || es[1].Kind != archive.EventFile {
		// the login's session, then the filing
		t.Fatalf("the archivist's ledger entries: %+v", es)
	}
	// The same file again: already filed, nothing new.
	w = c.upload("/staff/file", fileFields(tok, "关于东天街片区房屋征收的决定"), uploadFile{"file", `C:\扫描\征收 决定书（定稿）.pdf`, doc})
	if body := mustStatus(t, w, http.StatusOK, "again"); !strings.Contains(body, "此前已归档") {
		t.Errorf("second filing:\n%s", body)
	}

	// Hostile and bad uploads: a clear answer, nothing filed.
	before, entries := sf.recordCount(), sf.ledgerSize()
	js := pdftest.Document(pdftest.Options{JavaScript: true, Title: "带脚本"})
	cut := pdftest.CutShort(sf.signedPDF("被截断"), 2, 3)
	cases := []struct {
		name   string
		fields [][2]string
		file   uploadFile
		status int
		want   string
	}{
		{"JavaScript", fileFields(tok, "带脚本的文件"), uploadFile{"file", "js.pdf", js}, http.StatusUnprocessableEntity, "JavaScript"},
		{"cut short", fileFields(tok, "被截断的文件"), uploadFile{"file", "cut.pdf", cut}, http.StatusUnprocessableEntity, "没有归档"},
		{"not a PDF", fileFields(tok, "不是PDF"), uploadFile{"file", "fake.pdf", []byte("MZ\x90\x00 this is an executable")}, http.StatusUnprocessableEntity, "没有归档"},
		{"no such project", append(fileFields(tok, "项目不存在")[:1], [2]string{"project", "XX-0000-000"}, [2]string{"type", "decision"}, [2]string{"title", "x"}), uploadFile{"file", "a.pdf", sf.signedPDF("a")}, http.StatusUnprocessableEntity, "项目不存在"},
		{"bad date", fileFields(tok, "日期不对", [2]string{"date", "2026-02-30"}), uploadFile{"file", "b.pdf", sf.signedPDF("b")}, http.StatusUnprocessableEntity, "日期 (date)"},
		{"no title", [][2]string{{"csrf", tok}, {"project", "CC-2026-001"}, {"type", "decision"}}, uploadFile{"file", "c.pdf", sf.signedPDF("c")}, http.StatusUnprocessableEntity, "title: required"},
		{"control characters in the name", fileFields(tok, "怪名"), uploadFile{"file", "a\u202egpj.pdf", sf.signedPDF("d")}, http.StatusBadRequest, "文件名不可用"},
		{"dot name", fileFields(tok, "点开头"), uploadFile{"file", ".htaccess", sf.signedPDF("e")}, http.StatusBadRequest, "文件名不可用"},
		{"too large", fileFields(tok, "太大"), uploadFile{"file", "big.pdf", pdftest.Document(pdftest.Options{Size: 5 << 20})}, http.StatusRequestEntityTooLarge, "文件太大"},
	}
	for _, k := range cases {
		w := c.upload("/staff/file", k.fields, k.file)
		body := mustStatus(t, w, k.status, k.name)
		if !strings.Contains(body, k.want) {
			t.Errorf("%s: the page lacks %q:\n%s", k.name, k.want, body)
		}
	}
	if n, e := sf.recordCount(), sf.ledgerSize(); n != before || e != entries {
		t.Fatalf("bad uploads changed the archive: %d → %d records, %d → %d entries", before, n, entries, e)
	}
	// Nothing of the uploads is left in the temporary folder.
	left, _ := filepathGlob(sf.srv.opts.Staff.TempDir + "/*")
	if len(left) != 0 {
		t.Fatalf("uploads left behind: %v", left)
	}

	// Only archivists file.
	i := sf.client()
	i.login("inspector")
	itok := i.csrf("/staff/")
	mustStatus(t, i.get("/staff/file"), http.StatusForbidden, "filing page for an inspector")
	mustStatus(t, i.upload("/staff/file", fileFields(itok, "检查员归档"), uploadFile{"file", "i.pdf", sf.signedPDF("i")}), http.StatusForbidden, "inspector filing")
}

func TestStaffBatch(t *testing.T) {
	sf := newStaffFixture(t)
	c := sf.client()
	c.login("archivist")
	tok := c.csrf("/staff/batch")
	manifest := "file,project,type,title,date,issuer,doc_number\n" +
		"一.pdf,CC-2026-001,policy,长春市国有土地上房屋征收与补偿办法,2026-01-08,长春市人民政府,\n" +
		"二.pdf,CC-2026-001,decision,关于东天街片区房屋征收的决定,2026-03-18,长春市南关区人民政府,长征补〔2026〕12号\n" +
		"三.pdf,CC-2026-001,decision,带脚本的决定,2026-03-18,长春市南关区人民政府,长征补〔2026〕13号\n" +
		"../../etc/passwd,CC-2026-001,decision,逃出目录,2026-03-18,x,长征补〔2026〕14号\n"
	w := c.upload("/staff/batch", [][2]string{{"csrf", tok}},
		uploadFile{"manifest", "清单.csv", []byte(manifest)},
		uploadFile{"files", "一.pdf", sf.signedPDF("一")}, uploadFile{"files", "二.pdf", sf.signedPDF("二")},
		uploadFile{"files", "三.pdf", pdftest.Document(pdftest.Options{JavaScript: true})})
	body := mustStatus(t, w, http.StatusOK, "batch")
	if !strings.Contains(body, "共 4 份：归档 2 份，此前已归档 0 份，未通过 2 份") {
		t.Fatalf("batch page:\n%s", body)
	}
	if n := sf.recordCount(); n != 2 {
		t.Fatalf("%d records filed", n)
	}
	// A manifest that cannot be read.
	w = c.upload("/staff/batch", [][2]string{{"csrf", tok}}, uploadFile{"manifest", "m.csv", []byte("\xff\xfe\x00garbage,\"unterminated")},
		uploadFile{"files", "x.pdf", sf.signedPDF("x")})
	mustStatus(t, w, http.StatusUnprocessableEntity, "unreadable manifest")
	// The same name twice.
	w = c.upload("/staff/batch", [][2]string{{"csrf", tok}}, uploadFile{"manifest", "m.csv", []byte(manifest)},
		uploadFile{"files", "一.pdf", sf.signedPDF("一")}, uploadFile{"files", "一.pdf", sf.signedPDF("一b")})
	mustStatus(t, w, http.StatusBadRequest, "a name twice")
}

func TestStaffCorrection(t *testing.T) {
	sf := newStaffFixture(t)
	rec := sf.file(archive.Record{Project: "CC-2026-001", Type: "decision", Title: "关于征收的决定（有错字）", Date: archive.D(2026, 3, 18)}, "%PDF-1.7 x")
	c := sf.client()
	c.login("archivist")
	me, _ := sf.svc.AccountByLogin(sf.ctx, "archivist")
	body := mustStatus(t, c.get("/staff/records/"+rec.ID+"/correct"), http.StatusOK, "correction form")
	if !strings.Contains(body, "关于征收的决定（有错字）") {
		t.Fatal("the form is not filled in with the record")
	}
	tok := c.csrf("/staff/records/" + rec.ID + "/correct")
	form := url.Values{"csrf": {tok}, "base": {"1"}, "type": {"decision"}, "title": {"关于征收的决定"}, "date": {"2026-03-18"},
		"issuer": {rec.Issuer}, "doc_number": {rec.DocNumber}}
	// Without a reason: refused, nothing changed.
	body = mustStatus(t, c.post("/staff/records/"+rec.ID+"/correct", form), http.StatusUnprocessableEntity, "no reason")
	if !strings.Contains(body, "必须填写") {
		t.Errorf("no reason:\n%s", body)
	}
	form.Set("reason", "题名有错字")
	w := c.post("/staff/records/"+rec.ID+"/correct", form)
	if w.Code != http.StatusSeeOther {
		t.Fatalf("correction: %d\n%s", w.Code, w.Body.String())
	}
	got, err := sf.arch.Record(sf.ctx, rec.ID)
	if err != nil || got.Version != 2 || got.Title != "关于征收的决定" || got.Supersedes.Reason != "题名有错字" || got.Actor != me.As() {
		t.Fatalf("after correction: %+v %v", got, err)
	}
	body = mustStatus(t, c.get(w.Header().Get("Location")), http.StatusOK, "record page")
	if !strings.Contains(body, "已保存新版本") || !strings.Contains(body, "题名有错字") || !strings.Contains(body, "测试archivist (archivist)") {
		t.Errorf("record page after correction:\n%s", body)
	}
	// The same form again (base 1): someone corrected it since.
	body = mustStatus(t, c.post("/staff/records/"+rec.ID+"/correct", form), http.StatusUnprocessableEntity, "stale base")
	if !strings.Contains(body, "已被别人更正") {
		t.Errorf("stale correction:\n%s", body)
	}
	// A correction that breaks a rule of the catalogue is refused with the rule.
	form.Set("base", "2")
	form.Set("date", "2099-01-01")
	mustStatus(t, c.post("/staff/records/"+rec.ID+"/correct", form), http.StatusUnprocessableEntity, "date in the future")
	if got, _ := sf.arch.Record(sf.ctx, rec.ID); got.Version != 2 {
		t.Fatalf("a refused correction made version %d", got.Version)
	}
}

func TestStaffMustChangePassword(t *testing.T) {
	sf := newStaffFixture(t)
	a, _ := sf.svc.AccountByLogin(sf.ctx, "archivist")
	if _, err := sf.svc.SetPassword(sf.ctx, a.ID, "temporary pass 1", true, archive.ActorCLI, "重置"); err != nil {
		t.Fatal(err)
	}
	sf.pw["archivist"] = "temporary pass 1"
	c := sf.client()
	tok := c.csrf("/staff/login")
	w := c.post("/staff/login", url.Values{"csrf": {tok}, "login": {"archivist"}, "password": {"temporary pass 1"}})
	if w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/staff/password" {
		t.Fatalf("login with a password to change: %d %q", w.Code, w.Header().Get("Location"))
	}
	if w := c.get("/staff/records"); w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/staff/password" {
		t.Fatalf("records before the change: %d", w.Code)
	}
	tok = c.csrf("/staff/password")
	mustStatus(t, c.upload("/staff/file", fileFields(tok, "x"), uploadFile{"file", "a.pdf", sf.signedPDF("a")}), http.StatusForbidden, "filing before the change")
	w = c.post("/staff/password", url.Values{"csrf": {tok}, "current": {"temporary pass 1"}, "new": {"只有我自己知道的新密码"}, "again": {"只有我自己知道的新密码"}})
	if w.Code != http.StatusSeeOther {
		t.Fatalf("change: %d\n%s", w.Code, w.Body.String())
	}
	if !strings.Contains(mustStatus(t, c.get("/staff/records"), http.StatusOK, "after the change"), "档案记录") {
		t.Fatal("records page")
	}
	acc, _ := sf.svc.Account(sf.ctx, a.ID)
	if acc.MustChange {
		t.Fatal("still must change")
	}
}

var _ = json.Marshal
var _ staff.Account
