package main

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gongshi-archive/gongshi/archive"
)

// The demo's documents are every type of the catalogue, each valid metadata.
func TestDemoCoversTheCatalogue(t *testing.T) {
	cat := archive.DefaultCatalogue()
	have := map[string]bool{demoToday(archive.D(2026, 12, 1)).Type: true}
	for _, d := range demoDocs() {
		have[d.Type] = true
		if !slices.ContainsFunc(demoProjects(), func(p archive.Project) bool { return p.Code == d.Project }) {
			t.Errorf("%s: no project %s", d.Title, d.Project)
		}
	}
	for _, ty := range cat.Types() {
		if ty.Code == "destruction_list" {
			continue // filed by the archive itself when it disposes of records (package retention)
		}
		if !have[ty.Code] {
			t.Errorf("the demo has no document of type %s (%s)", ty.Code, ty.NameZh)
		}
	}
}

// TestDemo: the README's first command builds the demo archive — the projects, a
// signed document of every type filed and published, synthetic records, the
// everyday commands (filing, verifying, offline from the receipt) — and the
// archive audits clean; run again, it adds nothing, serves the site with the late
// step flagged on its project page, and the staff login it prints works.
func TestDemo(t *testing.T) {
	for name, newCLI := range backends(t) {
		t.Run(name, func(t *testing.T) {
			c := newCLI(t)
			c.env["GONGSHI_ARGON2"] = testArgon2
			c.now = time.Now() // the samples are signed before now; their certificates are checked then
			out, errOut, code := c.run("demo", "--seed-only", "--records", "150")
			if code != exitOK {
				t.Fatalf("demo: code %d, stderr %q\n%s", code, errOut, out)
			}
			for _, p := range demoProjects() {
				if !strings.Contains(out, "created project "+p.Code) {
					t.Errorf("demo output lacks the creation of %s", p.Code)
				}
			}
			for _, want := range []string{"filed 43 signed documents", "added 150 synthetic records", "已归档 filed", "电子签名有效",
				"已公开 published", "VERIFIED: ", "checked offline, from the receipt and the verifier key alone",
				"逾期公开 late: 补助和奖励政策（subsidy_policy）", "征收补偿方案征求意见期限", "demo.li     password "} {
				if !strings.Contains(out, want) {
					t.Errorf("demo output lacks %q:\n%s", want, out)
				}
			}
			if n := strings.Count(out, "VERIFIED: "); n != 2 || strings.Contains(out, "NOT VERIFIED") {
				t.Errorf("demo verified %d times (want 2, online and offline):\n%s", n, out)
			}
			// The late step is the only problem of the demo's projects.
			if n := strings.Count(out, " problems\n"); n != 4 || strings.Count(out, ", 0 problems") != 3 || strings.Contains(out, "overdue:") {
				t.Errorf("the demo's procedures have problems beyond the late step:\n%s", out)
			}
			out, _, code = c.run("audit")
			if code != exitOK || !strings.Contains(out, "AUDIT OK") || !strings.Contains(out, "194 record versions") {
				t.Fatalf("audit of the demo: code %d\n%s", code, out)
			}

			// Again, serving: nothing new, the site up, the printed login good.
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			var sout, serr lockedBuffer
			done := make(chan int, 1)
			go func() {
				done <- run(ctx, []string{"demo", "--addr", "127.0.0.1:0", "--records", "150"}, env{
					getenv: func(k string) string { return c.env[k] }, stdout: &sout, stderr: &serr, now: time.Now})
			}()
			re := regexp.MustCompile(`serving .* on (http://127\.0\.0\.1:\d+)/`)
			var base string
			for deadline := time.Now().Add(2 * time.Minute); base == "" && time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
				if m := re.FindStringSubmatch(sout.String()); m != nil {
					base = m[1]
				}
				select {
				case code := <-done:
					t.Fatalf("second demo exited %d: %s\n%s", code, serr.String(), sout.String())
				default:
				}
			}
			if base == "" {
				t.Fatalf("the second demo did not serve:\n%s\n%s", sout.String(), serr.String())
			}
			out = sout.String()
			if strings.Contains(out, "created project") || !strings.Contains(out, "(43 filed before), published 0") ||
				!strings.Contains(out, "added 0 synthetic records") || !strings.Contains(out, "此前已归档 already filed") {
				t.Errorf("the second demo added something:\n%s", out)
			}
			get := func(hc *http.Client, path string) (int, string) {
				resp, err := hc.Get(base + path)
				if err != nil {
					t.Fatal(err)
				}
				defer resp.Body.Close()
				b, _ := io.ReadAll(resp.Body)
				return resp.StatusCode, string(b)
			}
			if code, body := get(http.DefaultClient, "/projects/JL-2026-003"); code != 200 || !strings.Contains(body, "逾期或未按时的事项") || !strings.Contains(body, "未按时") {
				t.Errorf("the late step is not flagged on its project page (%d)", code)
			}
			if code, body := get(http.DefaultClient, "/projects/CC-2026-001"); code != 200 || strings.Contains(body, "逾期或未按时的事项") {
				t.Errorf("the 长春 project page flags a problem (%d)", code)
			}
			if code, body := get(http.DefaultClient, "/search?q=补偿方案"); code != 200 || !strings.Contains(body, "东天街片区房屋征收补偿方案") {
				t.Errorf("search for 补偿方案 (%d)", code)
			}
			pw := regexp.MustCompile(`demo\.li +password ([a-z0-9-]+)`).FindStringSubmatch(out)
			if pw == nil {
				t.Fatalf("no login printed:\n%s", out)
			}
			jar, _ := cookiejar.New(nil)
			hc := &http.Client{Jar: jar}
			_, body := get(hc, "/staff/login")
			tok := regexp.MustCompile(`name="csrf" value="([^"]+)"`).FindStringSubmatch(body)
			resp, err := hc.PostForm(base+"/staff/login", url.Values{"csrf": {tok[1]}, "login": {"demo.li"}, "password": {pw[1]}})
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 || !strings.Contains(string(b), "李娜") {
				t.Errorf("login with the printed password: %d", resp.StatusCode)
			}
			// A resident logs in with a printed code and sees its own records,
			// the project's masked tables and its objection clock.
			hcode := regexp.MustCompile(`household 3-101 +code ([A-Z0-9-]+)`).FindStringSubmatch(out)
			if hcode == nil {
				t.Fatalf("no household code printed:\n%s", out)
			}
			hjar, _ := cookiejar.New(nil)
			hh := &http.Client{Jar: hjar}
			_, body = get(hh, "/household")
			tok = regexp.MustCompile(`name="csrf" value="([^"]+)"`).FindStringSubmatch(body)
			resp, err = hh.PostForm(base+"/household/login", url.Values{"csrf": {tok[1]}, "project": {"CC-2026-001"},
				"household": {"3-101"}, "code": {hcode[1]}})
			if err != nil {
				t.Fatal(err)
			}
			b, _ = io.ReadAll(resp.Body)
			resp.Body.Close()
			home := string(b)
			for _, want := range []string{"3号楼101室房屋征收补偿协议", "东天街片区分户初步评估结果", "东天街片区分户补偿情况", "申请复核", "还剩"} {
				if resp.StatusCode != 200 || !strings.Contains(home, want) {
					t.Errorf("household 3-101's page (%d) lacks %q", resp.StatusCode, want)
				}
			}
			for _, never := range []string{"欧阳秀兰", "3号楼102室分户评估报告", "13900000102"} {
				if strings.Contains(home, never) {
					t.Errorf("household 3-101's page shows %q of household 3-102", never)
				}
			}
			cancel()
			select {
			case code := <-done:
				if code != 0 {
					t.Errorf("the demo's server exited %d: %s", code, serr.String())
				}
			case <-time.After(time.Minute):
				t.Fatal("the demo's server did not stop")
			}

			// Receipts and reports hold record metadata: their owner's only.
			data := c.env["GONGSHI_DATA"]
			private, _ := filepath.Glob(filepath.Join(data, "reports", "*.json"))
			private = append(private, filepath.Join(data, "sample", "审计结果.receipt.json"))
			if len(private) < 2 {
				t.Fatalf("no reports written under %s", data)
			}
			for _, p := range private {
				fi, err := os.Stat(p)
				if err != nil {
					t.Fatal(err)
				}
				if fi.Mode().Perm()&0o077 != 0 {
					t.Errorf("%s has mode %v: readable by others", p, fi.Mode().Perm())
				}
			}
		})
	}
}
