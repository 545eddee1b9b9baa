package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// startServe runs gongshi serve on c until stop, which fails the test unless
// serve then exits 0; it returns the address serve announced and its stderr.
func startServe(t *testing.T, c *cli) (addr string, stderr *lockedBuffer, stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var out, errb lockedBuffer
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"serve", "--addr", "127.0.0.1:0", "--follow", "50ms"}, env{
			getenv: func(k string) string { return c.env[k] }, stdout: &out, stderr: &errb,
			now: func() time.Time { return c.now },
		})
	}()
	re := regexp.MustCompile(`http://(127\.0\.0\.1:\d+)/`)
	for deadline := time.Now().Add(20 * time.Second); addr == "" && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if m := re.FindStringSubmatch(out.String()); m != nil {
			addr = m[1]
		}
		select {
		case code := <-done:
			cancel()
			t.Fatalf("serve exited %d: %s %s", code, out.String(), errb.String())
		default:
		}
	}
	if addr == "" {
		cancel()
		t.Fatalf("serve announced no address: %q %q", out.String(), errb.String())
	}
	stopped := false
	stop = func() {
		t.Helper()
		if stopped {
			return
		}
		stopped = true
		cancel()
		select {
		case code := <-done:
			if code != 0 {
				t.Fatalf("serve exited %d after the stop: %s", code, errb.String())
			}
		case <-time.After(30 * time.Second):
			t.Fatal("serve did not stop")
		}
	}
	t.Cleanup(stop)
	return addr, &errb, stop
}

// gongshi serve on each backend: it announces its address, serves the archive's
// projects, follows new filings, and exits 0 when told to stop.
func TestServe(t *testing.T) {
	for name, mk := range backends(t) {
		t.Run(name, func(t *testing.T) {
			c := mk(t)
			if _, stderr, code := c.run("project", "create", "--code", "CC-2026-001", "--name", "东天街片区旧城区改建项目",
				"--city", "长春市", "--district", "南关区"); code != 0 {
				t.Fatalf("project create: %d %s", code, stderr)
			}
			addr, errb, stop := startServe(t, c)
			resp, err := http.Get("http://" + addr + "/")
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 || !strings.Contains(string(body), "东天街片区旧城区改建项目") {
				t.Fatalf("GET /: %d, project missing", resp.StatusCode)
			}
			if resp, err := http.Get("http://" + addr + "/readyz"); err != nil || resp.StatusCode != 200 {
				t.Fatalf("readyz: %v %v", err, resp)
			}
			stop()
			if !strings.Contains(errb.String(), `"route":"/"`) {
				t.Errorf("no request log line for /: %s", errb.String())
			}
		})
	}
}

func TestServeBadAddr(t *testing.T) {
	c := &cli{t: t, env: map[string]string{"GONGSHI_DATA": t.TempDir()}}
	_, stderr, code := c.run("serve", "--addr", "256.1.1.1:99999")
	if code != exitOperator || !strings.Contains(stderr, "--addr") {
		t.Fatalf("bad --addr: %d %q", code, stderr)
	}
}

// A running serve, over the real search index and the verify package: the
// page of a record offers its public copy (the copy's file in its place), and
// the verify page's lookup verifies a filed file, each with the ledger's
// receipt, and knows nothing of a file nobody filed.
func TestServePublicCopyAndVerify(t *testing.T) {
	c := backends(t)["fs"](t)
	createProject(t, c)
	fx := makeIngestFixtures(t)
	orig := fx.signed(t, "名单.pdf", "decision with the list of households")
	fx.signed(t, "公开.pdf", "decision, the list removed")
	ingestID := func(args ...string) string {
		t.Helper()
		return ingestedID(t, c, append(args, "--trust-roots", fx.roots, "--publish")...)
	}
	origID := ingestID("ingest", filepath.Join(fx.dir, "名单.pdf"), "--project", "CC-2026-001", "--type", "decision",
		"--title", "关于东天街片区房屋征收的决定", "--doc-number", "长征补〔2026〕12号", "--date", "2026-03-18",
		"--issuer", "长春市南关区人民政府")
	copyID := ingestID("ingest", filepath.Join(fx.dir, "公开.pdf"), "--project", "CC-2026-001", "--type", "decision",
		"--title", "关于东天街片区房屋征收的决定（公开版本）", "--doc-number", "长征补〔2026〕12号", "--date", "2026-03-18",
		"--issuer", "长春市南关区人民政府", "--public-copy-of", origID)
	addr, _, stop := startServe(t, c)
	defer stop()
	get := func(path string) (int, string) {
		t.Helper()
		resp, err := http.Get("http://" + addr + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, body := get("/records/" + origID); code != 200 || !strings.Contains(body, "/records/"+copyID+"/file") {
		t.Errorf("the original's page does not offer its public copy's file: %d\n%s", code, body)
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Get("http://" + addr + "/records/" + origID + "/file")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/records/"+copyID+"/file" {
		t.Errorf("the original's file: %d to %q, want 303 to the copy's", resp.StatusCode, resp.Header.Get("Location"))
	}

	var answer struct {
		Verified bool `json:"verified"`
		Matches  []struct {
			Record   string          `json:"record"`
			Verified bool            `json:"verified"`
			Receipt  json.RawMessage `json:"receipt"`
		} `json:"matches"`
	}
	sum := sha256.Sum256(orig)
	code, body := get("/verify/sha256/" + hex.EncodeToString(sum[:]))
	if err := json.Unmarshal([]byte(body), &answer); code != 200 || err != nil || !answer.Verified || len(answer.Matches) != 1 ||
		answer.Matches[0].Record != origID || !answer.Matches[0].Verified || len(answer.Matches[0].Receipt) == 0 {
		t.Errorf("verify lookup of the filed original: %d %v\n%s", code, err, body)
	}
	code, body = get("/verify/sha256/" + strings.Repeat("ab", 32))
	if code != 200 || !strings.Contains(body, `"verified":false`) || !strings.Contains(body, `"matches":[]`) {
		t.Errorf("verify lookup of content nobody filed: %d\n%s", code, body)
	}
}
