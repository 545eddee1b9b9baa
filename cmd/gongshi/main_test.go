package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/gongshi-archive/gongshi/internal/testenv"
)

// cli runs gongshi in-process with a private environment, as a user would from a
// shell with those variables set.
type cli struct {
	t   *testing.T
	env map[string]string
	now time.Time
}

func (c *cli) run(args ...string) (stdout, stderr string, code int) {
	c.t.Helper()
	var out, errb bytes.Buffer
	code = run(context.Background(), args, env{
		getenv: func(k string) string { return c.env[k] },
		stdout: &out,
		stderr: &errb,
		now:    func() time.Time { return c.now },
	})
	return out.String(), errb.String(), code
}

// backends returns one cli per storage backend: the embedded store, and the S3
// test server when there is one (in CI there must be).
func backends(t *testing.T) map[string]func(t *testing.T) *cli {
	now := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	return map[string]func(t *testing.T) *cli{
		"fs": func(t *testing.T) *cli {
			return &cli{t: t, now: now, env: map[string]string{"GONGSHI_DATA": t.TempDir()}}
		},
		"s3": func(t *testing.T) *cli {
			srv := testenv.S3(t)
			return &cli{t: t, now: now, env: map[string]string{
				"GONGSHI_DATA":          t.TempDir(),
				"GONGSHI_S3_ENDPOINT":   srv.Endpoint,
				"GONGSHI_S3_ACCESS_KEY": srv.AccessKey,
				"GONGSHI_S3_SECRET_KEY": srv.SecretKey,
				"GONGSHI_S3_BUCKET":     fmt.Sprintf("gongshi-cli-%08x", rand.Uint32()),
				"GONGSHI_S3_INSECURE":   "true",
				"GONGSHI_S3_MODE":       "governance",
			}}
		},
	}
}

func TestVersion(t *testing.T) {
	c := &cli{t: t}
	out, errOut, code := c.run("version")
	if code != exitOK || !strings.HasPrefix(out, "gongshi v") || errOut != "" {
		t.Fatalf("version: code %d, out %q, err %q", code, out, errOut)
	}
	out, _, code = c.run("version", "--json")
	var v versionInfo
	if code != exitOK || json.Unmarshal([]byte(out), &v) != nil || v.Version == "" || v.Go == "" {
		t.Fatalf("version --json: code %d, out %q", code, out)
	}
}

func TestProjectCommands(t *testing.T) {
	for name, newCLI := range backends(t) {
		t.Run(name, func(t *testing.T) {
			c := newCLI(t)
			out, _, code := c.run("project", "list")
			if code != exitOK || !strings.Contains(out, "no projects yet") {
				t.Fatalf("list of a new archive: code %d, %q", code, out)
			}
			out, errOut, code := c.run("project", "create", "--code", "CC-2026-001",
				"--name", "南关区东天街片区旧城区改建项目", "--city", "长春市", "--district", "南关区",
				"--department", "长春市房屋征收经办中心", "--category", "old_city_renovation",
				"--households", "412", "--date", "decision=2026-03-18")
			if code != exitOK {
				t.Fatalf("create: code %d, stderr %q", code, errOut)
			}
			if !strings.Contains(out, "CC-2026-001") || !strings.Contains(out, "南关区东天街片区旧城区改建项目") {
				t.Fatalf("create output lacks the project: %q", out)
			}
			_, _, code = c.run("project", "create", "--code", "JL-2026-002", "--name", "船营区站前片区棚户区改造",
				"--city", "吉林市", "--department", "吉林市房屋征收管理办公室", "--json")
			if code != exitOK {
				t.Fatalf("second create: code %d", code)
			}

			// A taken code: exit 2, a clear line, the project unchanged.
			_, errOut, code = c.run("project", "create", "--code", "CC-2026-001", "--name", "另一个",
				"--city", "长春市", "--department", "某部门")
			if code != exitOperator || !strings.Contains(errOut, "already exists") || strings.Count(errOut, "\n") != 1 {
				t.Fatalf("duplicate create: code %d, stderr %q", code, errOut)
			}

			out, _, code = c.run("project", "list")
			if code != exitOK || !strings.Contains(out, "CC-2026-001") || !strings.Contains(out, "JL-2026-002") {
				t.Fatalf("list: code %d, %q", code, out)
			}
			if strings.Index(out, "CC-2026-001") > strings.Index(out, "JL-2026-002") {
				t.Errorf("list not in code order: %q", out)
			}

			out, _, code = c.run("project", "list", "--json")
			var ps []map[string]any
			if code != exitOK || json.Unmarshal([]byte(out), &ps) != nil || len(ps) != 2 {
				t.Fatalf("list --json: code %d, %q", code, out)
			}

			out, _, code = c.run("project", "show", "CC-2026-001", "--json")
			var p map[string]any
			if code != exitOK || json.Unmarshal([]byte(out), &p) != nil {
				t.Fatalf("show --json: code %d, %q", code, out)
			}
			want := map[string]any{"code": "CC-2026-001", "name": "南关区东天街片区旧城区改建项目",
				"city": "长春市", "district": "南关区", "households": float64(412), "version": float64(1)}
			for k, v := range want {
				if p[k] != v {
					t.Errorf("show --json: %s = %v, want %v", k, p[k], v)
				}
			}
			if d, _ := p["dates"].(map[string]any); d["decision"] != "2026-03-18" {
				t.Errorf("show --json: dates = %v", p["dates"])
			}

			out, _, code = c.run("project", "show", "CC-2026-001")
			if code != exitOK || !strings.Contains(out, "长春市房屋征收经办中心") || !strings.Contains(out, "2026-03-18") {
				t.Fatalf("show: code %d, %q", code, out)
			}

			_, errOut, code = c.run("project", "show", "XX-404")
			if code != exitNo || !strings.Contains(errOut, "no project XX-404") {
				t.Fatalf("show of a missing project: code %d, stderr %q", code, errOut)
			}
		})
	}
}

func TestProjectCreateRejects(t *testing.T) {
	c := &cli{t: t, now: time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC),
		env: map[string]string{"GONGSHI_DATA": t.TempDir()}}
	cases := []struct {
		name string
		args []string
		want []string
	}{
		{"missing required flags", []string{"--code", "CC-1"}, []string{"required flag", "name", "city"}},
		{"bad code and future date, all reported", []string{"--code", "../etc", "--name", "x", "--city", "y",
			"--department", "d", "--date", "decision=2099-01-01"}, []string{"code", "dates.decision"}},
		{"bad date syntax", []string{"--code", "CC-1", "--name", "x", "--city", "y", "--date", "decision"},
			[]string{"NAME=YYYY-MM-DD"}},
		{"unknown category", []string{"--code", "CC-1", "--name", "x", "--city", "y", "--department", "d",
			"--category", "nope"}, []string{"category"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, errOut, code := c.run(append([]string{"project", "create"}, tc.args...)...)
			if code != exitOperator {
				t.Fatalf("code %d, want %d; stderr %q", code, exitOperator, errOut)
			}
			for _, w := range tc.want {
				if !strings.Contains(errOut, w) {
					t.Errorf("stderr %q lacks %q", errOut, w)
				}
			}
			if strings.Contains(errOut, "goroutine") || strings.Contains(errOut, "panic") {
				t.Errorf("stderr shows a stack trace: %q", errOut)
			}
		})
	}
	out, _, _ := c.run("project", "list", "--json")
	if strings.TrimSpace(out) != "[]" {
		t.Fatalf("rejected creates stored something: %s", out)
	}
}

func TestConfigErrors(t *testing.T) {
	cases := []struct {
		name string
		env  map[string]string
		args []string
		want string
	}{
		{"data dir not writable", nil, []string{"--data", "/proc/gongshi"}, "set --data or GONGSHI_DATA"},
		{"s3 endpoint without the rest", map[string]string{"GONGSHI_S3_ENDPOINT": "127.0.0.1:9"}, nil,
			"--s3-bucket (GONGSHI_S3_BUCKET)"},
		{"s3 server not running", map[string]string{"GONGSHI_S3_ENDPOINT": "127.0.0.1:9", "GONGSHI_S3_BUCKET": "gongshi",
			"GONGSHI_S3_ACCESS_KEY": "a", "GONGSHI_S3_SECRET_KEY": "b", "GONGSHI_S3_INSECURE": "1"}, nil, "127.0.0.1:9"},
		{"bad boolean", map[string]string{"GONGSHI_S3_ENDPOINT": "127.0.0.1:9", "GONGSHI_S3_INSECURE": "perhaps"}, nil,
			"GONGSHI_S3_INSECURE"},
		{"bad mode", map[string]string{"GONGSHI_S3_ENDPOINT": "127.0.0.1:9", "GONGSHI_S3_BUCKET": "gongshi",
			"GONGSHI_S3_ACCESS_KEY": "a", "GONGSHI_S3_SECRET_KEY": "b", "GONGSHI_S3_MODE": "forever"}, nil, "compliance or governance"},
		{"flag beats environment", map[string]string{"GONGSHI_DATA": "/proc/nowhere"},
			[]string{"--data", "/proc/flag-wins"}, "/proc/flag-wins"},
		{"unknown flag", nil, []string{"--bogus"}, "--bogus is not a flag of gongshi project list"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := &cli{t: t, env: tc.env, now: time.Now()}
			_, errOut, code := c.run(append([]string{"project", "list"}, tc.args...)...)
			if code != exitOperator {
				t.Fatalf("code %d, want %d; stderr %q", code, exitOperator, errOut)
			}
			if !strings.Contains(errOut, tc.want) {
				t.Errorf("stderr %q lacks %q", errOut, tc.want)
			}
			if n := strings.Count(strings.TrimSpace(errOut), "\n"); n != 0 {
				t.Errorf("stderr has %d lines, want one: %q", n+1, errOut)
			}
		})
	}
}

// The minimal form of the command: code, name and city.
func TestProjectCreateMinimal(t *testing.T) {
	c := &cli{t: t, now: time.Now(), env: map[string]string{"GONGSHI_DATA": t.TempDir()}}
	if _, errOut, code := c.run("project", "create", "--code", "BS-2026-01", "--name", "浑江区河口街道征收项目", "--city", "白山市"); code != exitOK {
		t.Fatalf("minimal create: code %d, stderr %q", code, errOut)
	}
	out, _, code := c.run("project", "show", "BS-2026-01")
	if code != exitOK || !strings.Contains(out, "白山市") {
		t.Fatalf("show: code %d, %q", code, out)
	}
}
