package main

import (
	"encoding/csv"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gongshi-archive/gongshi/households"
)

// issue-codes writes the codes once to a private file and never to the
// terminal; each code logs in (checked against the stored hash), a second
// issue needs a reason and replaces the code, revoke ends it.
func TestHouseholdsCodes(t *testing.T) {
	c, dir := withRegister(t)
	out := filepath.Join(dir, "codes.csv")
	if _, errOut, code := c.run("households", "issue-codes", "CC-2026-001", "--all"); code != exitOperator || !strings.Contains(errOut, "--out") {
		t.Errorf("without --out: exit %d %s", code, errOut)
	}
	stdout, errOut, code := c.run("households", "issue-codes", "CC-2026-001", "--all", "--out", out)
	if code != exitOK || !strings.Contains(stdout, "issued 3") {
		t.Fatalf("issue-codes: exit %d %s%s", code, stdout, errOut)
	}
	fi, err := os.Stat(out)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("codes file: %v %v", fi, err)
	}
	f, _ := os.Open(out)
	rows, err := csv.NewReader(f).ReadAll()
	f.Close()
	if err != nil || len(rows) != 4 {
		t.Fatalf("codes file rows: %v %v", rows, err)
	}
	cfg := c.config(t)
	e := env{now: func() time.Time { return c.now }}
	hs, closeFn, err := openService(t.Context(), cfg, e, householdsOn(e, codeHasher()))
	if err != nil {
		t.Fatal(err)
	}
	defer closeFn()
	for _, r := range rows[1:] {
		if strings.Contains(stdout, r[2]) {
			t.Errorf("the terminal shows the code of %s", r[1])
		}
		if _, err := hs.CheckCode(t.Context(), r[0], r[1], r[2]); err != nil {
			t.Errorf("the code of %s does not log in: %v", r[1], err)
		}
	}
	// --all again: everybody has a code; nothing is issued, the file refused to be replaced.
	if stdout, _, code := c.run("households", "issue-codes", "CC-2026-001", "--all", "--out", filepath.Join(dir, "again.csv")); code != exitOK || !strings.Contains(stdout, "issued 0") {
		t.Errorf("issue-codes --all again: exit %d %s", code, stdout)
	}
	if _, errOut, code := c.run("households", "issue-codes", "CC-2026-001", "0002", "--out", out); code != exitOperator || !strings.Contains(errOut, "exists") {
		t.Errorf("over the codes file: exit %d %s", code, errOut)
	}
	two := filepath.Join(dir, "0002.csv")
	if _, errOut, code := c.run("households", "issue-codes", "CC-2026-001", "0002", "--out", two); code != exitOperator || !strings.Contains(errOut, "reason") {
		t.Errorf("replacing a code without a reason: exit %d %s", code, errOut)
	}
	if _, errOut, code := c.run("households", "issue-codes", "CC-2026-001", "0002", "--out", two, "--reason", "遗失"); code != exitOK {
		t.Fatalf("replacing a code: %s", errOut)
	}
	if _, err := hs.CheckCode(t.Context(), "CC-2026-001", "0002", rows[2][2]); err == nil {
		t.Error("the replaced code still logs in")
	}
	if _, errOut, code := c.run("households", "revoke-code", "CC-2026-001", "0001"); code != exitOperator || !strings.Contains(errOut, "--reason") {
		t.Errorf("revoke without a reason: exit %d %s", code, errOut)
	}
	if stdout, errOut, code := c.run("households", "revoke-code", "CC-2026-001", "0001", "--reason", "户主申请"); code != exitOK {
		t.Fatalf("revoke: exit %d %s%s", code, stdout, errOut)
	}
	if _, err := hs.CheckCode(t.Context(), "CC-2026-001", "0001", rows[1][2]); err == nil {
		t.Error("a revoked code still logs in")
	} else if !strings.Contains(err.Error(), households.ErrBadCode.Error()) {
		t.Logf("revoked: %v", err)
	}
}

// A running serve lets a household in with a code issued on the command line:
// the login form (its visitor token), the code typed in lower case, its page.
func TestServeHouseholdLogin(t *testing.T) {
	c, dir := withRegister(t)
	out := filepath.Join(dir, "codes.csv")
	if _, errOut, code := c.run("households", "issue-codes", "CC-2026-001", "0002", "--out", out); code != exitOK {
		t.Fatalf("issue-codes: %s", errOut)
	}
	b, _ := os.ReadFile(out)
	rows, _ := csv.NewReader(strings.NewReader(string(b))).ReadAll()
	addr, _, stop := startServe(t, c)
	defer stop()
	jar, _ := cookiejar.New(nil)
	client := &http.Client{Jar: jar}
	base := "http://" + addr
	get := func(path string) string {
		t.Helper()
		resp, err := client.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: %d\n%s", path, resp.StatusCode, body)
		}
		return string(body)
	}
	m := regexp.MustCompile(`name="csrf" value="([^"]+)"`).FindStringSubmatch(get("/household"))
	if m == nil {
		t.Fatal("the login form has no token")
	}
	login := func(code string) (int, string) {
		req, _ := http.NewRequest(http.MethodPost, base+"/household/login", strings.NewReader(url.Values{
			"csrf": {m[1]}, "project": {"CC-2026-001"}, "household": {"0002"}, "code": {code}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Origin", base)
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body)
	}
	if code, _ := login("AAAA-AAAA-AAAA"); code != http.StatusUnauthorized {
		t.Errorf("a wrong code: %d", code)
	}
	code, body := login(strings.ToLower(rows[1][2]))
	if code != http.StatusOK || !strings.Contains(body, "户号 0002") || !strings.Contains(body, "欧阳明月") || strings.Contains(body, "张三丰") {
		t.Fatalf("login with the code: %d\n%s", code, body)
	}
}

// withRegister is a cli on the embedded store with project CC-2026-001 and
// its register imported, and a scratch directory.
func withRegister(t *testing.T) (*cli, string) {
	t.Helper()
	c := backends(t)["fs"](t)
	c.now = time.Date(2026, 12, 1, 2, 0, 0, 0, time.UTC)
	createProject(t, c)
	dir := t.TempDir()
	reg := filepath.Join(dir, "r.csv")
	if err := os.WriteFile(reg, []byte(cliRegister), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, errOut, code := c.run("households", "import", "CC-2026-001", reg, "--masked", "户主,房屋坐落"); code != exitOK {
		t.Fatalf("import: %s", errOut)
	}
	return c, dir
}
