package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
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
			ctx, cancel := context.WithCancel(context.Background())
			var out, errb lockedBuffer
			done := make(chan int, 1)
			go func() {
				done <- run(ctx, []string{"serve", "--addr", "127.0.0.1:0", "--follow", "50ms"}, env{
					getenv: func(k string) string { return c.env[k] }, stdout: &out, stderr: &errb,
					now: func() time.Time { return c.now },
				})
			}()
			addr := ""
			re := regexp.MustCompile(`http://(127\.0\.0\.1:\d+)/`)
			for deadline := time.Now().Add(20 * time.Second); addr == "" && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
				if m := re.FindStringSubmatch(out.String()); m != nil {
					addr = m[1]
				}
				select {
				case code := <-done:
					t.Fatalf("serve exited %d: %s %s", code, out.String(), errb.String())
				default:
				}
			}
			if addr == "" {
				t.Fatalf("serve announced no address: %q %q", out.String(), errb.String())
			}
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
			cancel()
			select {
			case code := <-done:
				if code != 0 {
					t.Fatalf("serve exited %d after the stop: %s", code, errb.String())
				}
			case <-time.After(30 * time.Second):
				t.Fatal("serve did not stop")
			}
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
