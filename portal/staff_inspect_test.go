package portal

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/gongshi-archive/gongshi/archive"
	"github.com/gongshi-archive/gongshi/staff"
)

func TestStaffAudit(t *testing.T) {
	sf := newStaffFixture(t)
	sf.file(archive.Record{Project: "CC-2026-001", Type: "decision", Title: "关于征收的决定", Date: archive.D(2026, 3, 18)}, "%PDF-1.7 decision")
	c := sf.client()
	c.login("inspector")
	tok := c.csrf("/staff/audit")
	mustStatus(t, c.post("/staff/audit", url.Values{"sample": {"100"}}), http.StatusForbidden, "audit without CSRF")
	mustStatus(t, c.post("/staff/audit", url.Values{"csrf": {tok}, "sample": {"0"}}), http.StatusBadRequest, "sample 0")
	if w := c.post("/staff/audit", url.Values{"csrf": {tok}, "sample": {"100"}}); w.Code != http.StatusSeeOther {
		t.Fatalf("start: %d\n%s", w.Code, w.Body.String())
	}
	var body string
	for range 200 {
		body = mustStatus(t, c.get("/staff/audit"), http.StatusOK, "audit page")
		if strings.Contains(body, "上一次检查") {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if !strings.Contains(body, "没有发现问题") {
		t.Fatalf("the audit did not end clean:\n%s", body)
	}
	// Its start and end are trail entries, ledgered, by the inspector.
	me, _ := sf.svc.AccountByLogin(sf.ctx, "inspector")
	var actions []string
	_ = sf.svc.Trail(sf.ctx, "", func(e staff.TrailEntry) error {
		if e.Actor == me.As() {
			actions = append(actions, e.Action)
		}
		return nil
	})
	if strings.Join(actions, ",") != "audit_start,audit_end" {
		t.Fatalf("trail %v", actions)
	}
	if n := len(sf.entriesBy(me.As())); n != 3 { // the login, the start, the end
		t.Fatalf("%d ledger entries by the inspector", n)
	}
	// Archivists do not run audits.
	a := sf.client()
	a.login("archivist")
	mustStatus(t, a.get("/staff/audit"), http.StatusForbidden, "archivist audit page")
	// Inspectors verify on the verify page, as staff: they see unpublished records there.
	if w := c.get("/staff/verify"); w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/verify" {
		t.Fatalf("/staff/verify: %d %q", w.Code, w.Header().Get("Location"))
	}
}

func TestStaffActivity(t *testing.T) {
	sf := newStaffFixture(t)
	rec := sf.file(archive.Record{Project: "CC-2026-001", Type: "decision", Title: "关于征收的决定", Date: archive.D(2026, 3, 18)}, "%PDF-1.7 decision")
	ar := sf.client()
	ar.login("archivist")
	tok := ar.csrf("/staff/")
	ar.post("/staff/records/"+rec.ID+"/publish", url.Values{"csrf": {tok}})
	ar.post("/staff/logout", url.Values{"csrf": {tok}})

	au := sf.client()
	au.login("auditor")
	body := mustStatus(t, au.get("/staff/activity"), http.StatusOK, "activity")
	for _, want := range []string{"测试archivist (archivist)", "公开文件", "退出登录", "登录", "新建账号", "服务器上的命令行", rec.ID} {
		if !strings.Contains(body, want) {
			t.Errorf("activity lacks %q", want)
		}
	}
	// Newest first: the auditor's own login before the archivist's logout.
	table := body[strings.Index(body, "<tbody>"):]
	if i, j := strings.Index(table, "测试auditor (auditor)"), strings.Index(table, "退出登录"); i < 0 || j < 0 || i > j {
		t.Errorf("not newest first (%d, %d)", i, j)
	}
	// Filtered by actor.
	me, _ := sf.svc.AccountByLogin(sf.ctx, "archivist")
	body = mustStatus(t, au.get("/staff/activity?actor="+url.QueryEscape(string(me.As()))), http.StatusOK, "filtered")
	if strings.Contains(body, "新建账号") || !strings.Contains(body, "公开文件") || !strings.Contains(body, "共 3 条") {
		t.Errorf("filtered by the archivist:\n%s", body)
	}
	// Only the auditor and the security officer read it.
	mustStatus(t, ar.get("/staff/activity"), http.StatusSeeOther, "logged out archivist")
	i := sf.client()
	i.login("inspector")
	mustStatus(t, i.get("/staff/activity"), http.StatusForbidden, "inspector activity")
}
