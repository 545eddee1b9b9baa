package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gongshi-archive/gongshi/archive/blob"
)

// servedCLI is a gongshi serve running in-process for a test.
type servedCLI struct {
	addr string
	out  *lockedBuffer
	errb *lockedBuffer
	stop func() int
}

// serve starts 'gongshi serve' with c's settings on a free port.
func (c *cli) serve(args ...string) *servedCLI {
	c.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	s := &servedCLI{out: &lockedBuffer{}, errb: &lockedBuffer{}}
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, append([]string{"serve", "--addr", "127.0.0.1:0", "--follow", "50ms"}, args...), env{
			getenv: func(k string) string { return c.env[k] }, stdout: s.out, stderr: s.errb,
			now: func() time.Time { return c.now },
		})
	}()
	re := regexp.MustCompile(`http://(127\.0\.0\.1:\d+)/`)
	for deadline := time.Now().Add(60 * time.Second); s.addr == "" && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if m := re.FindStringSubmatch(s.out.String()); m != nil {
			s.addr = "http://" + m[1]
		}
		select {
		case code := <-done:
			cancel()
			c.t.Fatalf("serve exited %d: %s %s", code, s.out.String(), s.errb.String())
		default:
		}
	}
	if s.addr == "" {
		cancel()
		c.t.Fatalf("serve announced no address: %q %q", s.out.String(), s.errb.String())
	}
	stopped := false
	s.stop = func() int {
		if stopped {
			return 0
		}
		stopped = true
		cancel()
		select {
		case code := <-done:
			return code
		case <-time.After(30 * time.Second):
			c.t.Fatal("serve did not stop")
		}
		return -1
	}
	c.t.Cleanup(func() { s.stop() })
	return s
}

// testArgon2 makes password hashes cheap in tests that log in (the parameters
// are part of each hash; TestAccountsCommands keeps the default).
const testArgon2 = "m=64,t=1,p=1"

var tempPW = regexp.MustCompile(`(?m)^    ([a-z0-9]{4}-[a-z0-9]{4}-[a-z0-9]{4}-[a-z0-9]{4})$`)

// createAccount makes an account from the command line and returns its
// temporary password.
func (c *cli) createAccount(login string, roles ...string) string {
	c.t.Helper()
	args := []string{"accounts", "create", "--login", login, "--name", "测试" + login}
	for _, r := range roles {
		args = append(args, "--role", r)
	}
	out, errOut, code := c.run(args...)
	m := tempPW.FindStringSubmatch(out)
	if code != exitOK || m == nil {
		c.t.Fatalf("accounts create %s: %d %s\n%s", login, code, errOut, out)
	}
	return m[1]
}

func TestAccountsCommands(t *testing.T) {
	c := &cli{t: t, now: time.Now(), env: map[string]string{"GONGSHI_DATA": t.TempDir()}}
	pw := c.createAccount("admin", "system_admin")
	// Two of the three administrators in one account, an unknown role, a taken login.
	for _, bad := range [][]string{
		{"accounts", "create", "--login", "x", "--name", "某", "--role", "system_admin,auditor"},
		{"accounts", "create", "--login", "y", "--name", "某", "--role", "root"},
	} {
		if _, errOut, code := c.run(bad...); code != exitOperator || !strings.Contains(errOut, "角色 (roles)") {
			t.Errorf("%v: %d %q", bad, code, errOut)
		}
	}
	if _, errOut, code := c.run("accounts", "create", "--login", "ADMIN", "--name", "另一个"); code != exitNo || !strings.Contains(errOut, "taken") {
		t.Errorf("taken login: %d %q", code, errOut)
	}
	// A password from stdin: no change needed at the first login.
	var stdinOut strings.Builder
	code := run(context.Background(), []string{"accounts", "create", "--login", "li.na", "--name", "李娜", "--role", "archivist", "--password-stdin", "--json"},
		env{getenv: func(k string) string { return c.env[k] }, stdin: strings.NewReader("一句只有李娜知道的话\n"), stdout: &stdinOut, stderr: io.Discard, now: time.Now})
	var j accountJSON
	if code != exitOK || json.Unmarshal([]byte(stdinOut.String()), &j) != nil || j.MustChange || j.Password != "" {
		t.Fatalf("--password-stdin: %d %s", code, stdinOut.String())
	}
	if _, errOut, code := c.run("accounts", "list", "--argon2", "m=1,t=1,p=1"); code != exitOperator || !strings.Contains(errOut, "--argon2") {
		t.Errorf("a bad --argon2: %d %q", code, errOut)
	}
	out, _, _ := c.run("accounts", "list", "--json")
	var list []accountJSON
	if err := json.Unmarshal([]byte(out), &list); err != nil || len(list) != 2 {
		t.Fatalf("list: %v %s", err, out)
	}
	if strings.Contains(out, pw) || strings.Contains(out, "argon2") {
		t.Fatal("the list shows a password or its hash")
	}
	if _, errOut, code := c.run("accounts", "disable", "li.na"); code != exitOperator || !strings.Contains(errOut, "--reason") {
		t.Errorf("disable without a reason: %d %q", code, errOut)
	}
	if out, _, code := c.run("accounts", "disable", "li.na", "--reason", "调离"); code != exitOK || !strings.Contains(out, "disabled") {
		t.Errorf("disable: %d %s", code, out)
	}
	if _, _, code := c.run("accounts", "disable", "nobody", "--reason", "x"); code != exitNo {
		t.Errorf("disable an unknown login: %d", code)
	}
	out, _, code = c.run("accounts", "token", "admin", "--name", "备份脚本", "--days", "30")
	if code != exitOK || !regexp.MustCompile(`gst_u[a-z2-7]{12}_t[a-z2-7]{8}_[a-z2-7]{52}`).MatchString(out) {
		t.Fatalf("token: %d %s", code, out)
	}
	out, _, code = c.run("accounts", "reset", "admin", "--reason", "忘记密码")
	if m := tempPW.FindStringSubmatch(out); code != exitOK || m == nil || m[1] == pw {
		t.Fatalf("reset: %d %s", code, out)
	}
	// Every change is a ledger entry, by the command line.
	out, _, code = c.run("audit")
	if code != exitOK {
		t.Fatalf("audit after the account changes: %d\n%s", code, out)
	}
}

// The first administrator made on the server's machine logs in to a real
// gongshi serve, must change the temporary password, and then works.
func TestServeStaffLogin(t *testing.T) {
	c := &cli{t: t, now: time.Now(), env: map[string]string{"GONGSHI_DATA": t.TempDir(), "GONGSHI_ARGON2": testArgon2}}
	pw := c.createAccount("admin", "system_admin")
	s := c.serve()
	jar, _ := cookiejar.New(nil)
	hc := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	get := func(path string) (int, string, http.Header) {
		resp, err := hc.Get(s.addr + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b), resp.Header
	}
	post := func(path string, form url.Values) (int, http.Header) {
		resp, err := hc.PostForm(s.addr+path, form)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode, resp.Header
	}
	csrf := regexp.MustCompile(`name="csrf" value="([^"]+)"`)
	_, body, _ := get("/staff/login")
	tok := csrf.FindStringSubmatch(body)[1]
	if code, h := post("/staff/login", url.Values{"csrf": {tok}, "login": {"admin"}, "password": {pw}}); code != http.StatusSeeOther || h.Get("Location") != "/staff/password" {
		t.Fatalf("login: %d %q", code, h.Get("Location"))
	}
	_, body, _ = get("/staff/password")
	tok = csrf.FindStringSubmatch(body)[1]
	if code, _ := post("/staff/password", url.Values{"csrf": {tok}, "current": {pw}, "new": {"管理员自己的新密码2026"}, "again": {"管理员自己的新密码2026"}}); code != http.StatusSeeOther {
		t.Fatalf("password change: %d", code)
	}
	code, body, _ := get("/staff/accounts")
	if code != http.StatusOK || !strings.Contains(body, "测试admin") {
		t.Fatalf("accounts page: %d", code)
	}
	if s.stop() != 0 {
		t.Fatalf("serve: %s", s.errb.String())
	}
	if strings.Contains(s.errb.String(), pw) || strings.Contains(s.errb.String(), "管理员自己的新密码") {
		t.Fatal("a password reached the server's log")
	}
}

// The default cost of a password hash is RFC 9106's second recommendation.
func TestAccountsDefaultCost(t *testing.T) {
	c := &cli{t: t, now: time.Now(), env: map[string]string{"GONGSHI_DATA": t.TempDir()}}
	c.createAccount("admin", "system_admin")
	st := c.store(t)
	var found bool
	err := st.List(context.Background(), "accounts/", "", func(info blob.Info) error {
		rc, err := st.Get(context.Background(), info.Key)
		if err != nil {
			return err
		}
		b, _ := io.ReadAll(rc)
		rc.Close()
		found = found || strings.Contains(string(b), `"$argon2id$v=19$m=65536,t=3,p=2$`)
		return nil
	})
	if err != nil || !found {
		t.Fatalf("no account hashed with the default cost (%v)", err)
	}
}
