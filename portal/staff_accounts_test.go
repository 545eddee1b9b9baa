package portal

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/gongshi-archive/gongshi/archive"
)

var tempPasswordRE = regexp.MustCompile(`临时密码：</p>|<strong class="mono big">([a-z0-9-]{19})</strong>`)

func TestStaffAccounts(t *testing.T) {
	sf := newStaffFixture(t)
	admin := sf.client()
	admin.login("sysadmin")
	tok := admin.csrf("/staff/accounts")
	// The system administrator makes an archivist; the temporary password is shown once.
	w := admin.post("/staff/accounts", url.Values{"csrf": {tok}, "login": {"zhao.min"}, "name": {"赵敏"}, "role": {"archivist"}})
	body := mustStatus(t, w, http.StatusOK, "create")
	m := tempPasswordRE.FindStringSubmatch(body)
	if len(m) < 2 || m[1] == "" {
		t.Fatalf("no temporary password shown:\n%s", body)
	}
	pw := m[1]
	if strings.Contains(mustStatus(t, admin.get("/staff/accounts"), http.StatusOK, "list"), pw) {
		t.Fatal("the temporary password is shown again")
	}
	zhao, err := sf.svc.AccountByLogin(sf.ctx, "zhao.min")
	if err != nil || !zhao.MustChange || !zhao.HasRole(archive.RoleArchivist) {
		t.Fatalf("created %+v %v", zhao, err)
	}
	sysID, _ := sf.svc.AccountByLogin(sf.ctx, "sysadmin")
	if zhao.Actor != sysID.As() {
		t.Fatalf("the new account's actor is %q", zhao.Actor)
	}
	// Not an administrator's role, nor a taken login.
	mustStatus(t, admin.post("/staff/accounts", url.Values{"csrf": {tok}, "login": {"boss"}, "name": {"老板"}, "role": {"auditor"}}), http.StatusForbidden, "sysadmin gives the auditor's role")
	body = mustStatus(t, admin.post("/staff/accounts", url.Values{"csrf": {tok}, "login": {"ZHAO.MIN"}, "name": {"另一个"}}), http.StatusUnprocessableEntity, "taken login")
	if !strings.Contains(body, "已经有人用了") {
		t.Error("taken login: no message")
	}
	mustStatus(t, admin.post("/staff/accounts", url.Values{"csrf": {tok}, "login": {"Bad Login!"}, "name": {"x"}}), http.StatusUnprocessableEntity, "bad login")

	// The new archivist logs in with it and must change it.
	sf.pw["zhao.min"] = pw
	z := sf.client()
	ztok := z.csrf("/staff/login")
	if w := z.post("/staff/login", url.Values{"csrf": {ztok}, "login": {"zhao.min"}, "password": {pw}}); w.Header().Get("Location") != "/staff/password" {
		t.Fatalf("first login goes to %q", w.Header().Get("Location"))
	}

	// Reset: a new temporary password, every session of the account ends.
	w = admin.post("/staff/accounts/"+zhao.ID+"/reset", url.Values{"csrf": {tok}, "reason": {"忘记密码"}})
	body = mustStatus(t, w, http.StatusOK, "reset")
	if m := tempPasswordRE.FindStringSubmatch(body); len(m) < 2 || m[1] == "" || m[1] == pw {
		t.Fatalf("reset shows no new password:\n%s", body)
	}
	if w := z.get("/staff/password"); w.Code != http.StatusSeeOther {
		t.Fatalf("the session survived the reset: %d", w.Code)
	}
	// Disable; the administrator cannot disable itself.
	if w := admin.post("/staff/accounts/"+zhao.ID+"/disable", url.Values{"csrf": {tok}, "reason": {"调离"}}); w.Code != http.StatusSeeOther {
		t.Fatalf("disable: %d\n%s", w.Code, w.Body.String())
	}
	mustStatus(t, admin.post("/staff/accounts/"+sysID.ID+"/disable", url.Values{"csrf": {tok}, "reason": {"x"}}), http.StatusForbidden, "disable oneself")
	// Without a reason.
	mustStatus(t, admin.post("/staff/accounts/"+zhao.ID+"/enable", url.Values{"csrf": {tok}}), http.StatusUnprocessableEntity, "enable without a reason")
	// Roles are the security officer's, not the system administrator's.
	mustStatus(t, admin.post("/staff/accounts/"+zhao.ID+"/roles", url.Values{"csrf": {tok}, "role": {"inspector"}, "reason": {"x"}}), http.StatusForbidden, "sysadmin gives roles")

	off := sf.client()
	off.login("officer")
	otok := off.csrf("/staff/accounts/" + zhao.ID)
	w = off.post("/staff/accounts/"+zhao.ID+"/roles", url.Values{"csrf": {otok}, "role": {"auditor", "system_admin"}, "reason": {"兼任"}})
	if body := mustStatus(t, w, http.StatusUnprocessableEntity, "two administrators"); !strings.Contains(body, "三员分立") {
		t.Errorf("two administrators' roles:\n%s", body)
	}
	if w := off.post("/staff/accounts/"+zhao.ID+"/roles", url.Values{"csrf": {otok}, "role": {"auditor"}, "reason": {"岗位调整"}}); w.Code != http.StatusSeeOther {
		t.Fatalf("roles: %d\n%s", w.Code, w.Body.String())
	}
	offID, _ := sf.svc.AccountByLogin(sf.ctx, "officer")
	mustStatus(t, off.post("/staff/accounts/"+offID.ID+"/roles", url.Values{"csrf": {otok}, "role": {"security_officer", "archivist"}, "reason": {"x"}}), http.StatusForbidden, "own roles")
	mustStatus(t, off.post("/staff/accounts", url.Values{"csrf": {otok}, "login": {"x2"}, "name": {"x"}}), http.StatusForbidden, "the officer makes an account")

	// The history says who did what, in order.
	body = mustStatus(t, off.get("/staff/accounts/"+zhao.ID), http.StatusOK, "account page")
	for _, want := range []string{"岗位调整", "调离", "忘记密码", "测试sysadmin (sysadmin)", "测试officer (officer)"} {
		if !strings.Contains(body, want) {
			t.Errorf("account history lacks %q", want)
		}
	}
	// Archivists and inspectors do not see the accounts.
	a := sf.client()
	a.login("archivist")
	mustStatus(t, a.get("/staff/accounts"), http.StatusForbidden, "accounts for an archivist")
	atok := a.csrf("/staff/")
	mustStatus(t, a.post("/staff/accounts/"+zhao.ID+"/disable", url.Values{"csrf": {atok}, "reason": {"x"}}), http.StatusForbidden, "archivist disables")
	// The auditor reads but changes nothing.
	au := sf.client()
	au.login("auditor")
	mustStatus(t, au.get("/staff/accounts/"+zhao.ID), http.StatusOK, "auditor reads")
	autok := au.csrf("/staff/")
	mustStatus(t, au.post("/staff/accounts/"+zhao.ID+"/enable", url.Values{"csrf": {autok}, "reason": {"x"}}), http.StatusForbidden, "auditor enables")
	mustStatus(t, au.get("/staff/accounts/uaaaaaaaaaaaa"), http.StatusNotFound, "unknown account")
}

var tokenRE = regexp.MustCompile(`<p class="mono">(gst_[a-z0-9_]+)</p>`)

func TestStaffTokens(t *testing.T) {
	sf := newStaffFixture(t)
	c := sf.client()
	c.login("archivist")
	tok := c.csrf("/staff/tokens")
	mustStatus(t, c.post("/staff/tokens", url.Values{"csrf": {tok}, "name": {"x"}, "days": {"9999"}}), http.StatusUnprocessableEntity, "too long a life")
	body := mustStatus(t, c.post("/staff/tokens", url.Values{"csrf": {tok}, "name": {"扫描工作站"}, "days": {"30"}}), http.StatusOK, "issue")
	m := tokenRE.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no token shown:\n%s", body)
	}
	api := m[1]
	if strings.Contains(mustStatus(t, c.get("/staff/tokens"), http.StatusOK, "tokens"), api) {
		t.Fatal("the token is shown again")
	}
	// The token works as a Bearer token, and a cookie is not needed.
	b := sf.client()
	b.header.Set("Authorization", "Bearer "+api)
	if body := mustStatus(t, b.get("/staff/"), http.StatusOK, "with the token"); !strings.Contains(body, "测试archivist") {
		t.Fatal("the token is not the archivist")
	}
	// A wrong token is refused, never served as the public.
	b.header.Set("Authorization", "Bearer "+api[:len(api)-1]+flip(api[len(api)-1]))
	mustStatus(t, b.get("/"), http.StatusUnauthorized, "a wrong token on the home page")
	// Revoked: refused.
	acc, _ := sf.svc.AccountByLogin(sf.ctx, "archivist")
	tid := acc.Tokens[0].ID
	if w := c.post("/staff/tokens/"+tid+"/revoke", url.Values{"csrf": {tok}}); w.Code != http.StatusSeeOther {
		t.Fatalf("revoke: %d", w.Code)
	}
	b.header.Set("Authorization", "Bearer "+api)
	mustStatus(t, b.get("/"), http.StatusUnauthorized, "a revoked token")
}
