package fs_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gongshi-archive/gongshi/archive/blob"
	"github.com/gongshi-archive/gongshi/archive/blob/blobtest"
	"github.com/gongshi-archive/gongshi/archive/blob/fs"
)

// clock is a fake clock shared by a test and its stores.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func TestConformance(t *testing.T) {
	c := &clock{t: time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)}
	blobtest.Run(t, blobtest.Harness{
		New: func(t *testing.T) blob.Store {
			s, err := fs.Open(t.TempDir(), fs.Options{Now: c.Now})
			if err != nil {
				t.Fatal(err)
			}
			return s
		},
		Now:     c.Now,
		Advance: c.Advance,
	})
}

// TestLocksSurviveRestart: retention and holds are the store's, not the process's.
func TestLocksSurviveRestart(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	now := func() time.Time { return time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC) }
	s, err := fs.Open(dir, fs.Options{Now: now})
	if err != nil {
		t.Fatal(err)
	}
	until := now().AddDate(30, 0, 0)
	if _, err := s.Put(ctx, "kept", strings.NewReader("x"), blob.PutOptions{Size: 1, RetainUntil: until}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Put(ctx, "held", strings.NewReader("y"), blob.PutOptions{Size: 1}); err != nil {
		t.Fatal(err)
	}
	if err := s.SetLegalHold(ctx, "held", true); err != nil {
		t.Fatal(err)
	}
	s.Close()

	s, err = fs.Open(dir, fs.Options{Now: now})
	if err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{"kept", "held"} {
		if err := s.Delete(ctx, key); !errors.Is(err, blob.ErrLocked) {
			t.Errorf("delete %s after restart: %v, want ErrLocked", key, err)
		}
	}
	r, err := s.Retention(ctx, "kept")
	if err != nil || !r.Until.Equal(until) || r.Mode != blob.Compliance {
		t.Errorf("retention after restart = %+v, %v; want until %v, compliance (the default)", r, err, until)
	}
}

// The helper process of TestCreateOnceAcrossProcesses: put one key, report.
func TestMain(m *testing.M) {
	if dir := os.Getenv("GONGSHI_FS_RACE_DIR"); dir != "" {
		s, err := fs.Open(dir, fs.Options{})
		if err != nil {
			fmt.Println("error", err)
			os.Exit(0)
		}
		<-time.After(time.Until(parseTime(os.Getenv("GONGSHI_FS_RACE_AT"))))
		me := os.Getenv("GONGSHI_FS_RACE_ME")
		data := bytes.Repeat([]byte(me), 1<<16)
		_, err = s.Put(context.Background(), "race/key", bytes.NewReader(data), blob.PutOptions{Size: int64(len(data))})
		switch {
		case err == nil:
			fmt.Println("won")
		case errors.Is(err, blob.ErrExists):
			fmt.Println("lost")
		default:
			fmt.Println("error", err)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func parseTime(s string) time.Time {
	t, _ := time.Parse(time.RFC3339Nano, s)
	return t
}

func TestCreateOnceAcrossProcesses(t *testing.T) {
	if testing.Short() {
		t.Skip("starts processes")
	}
	dir := t.TempDir()
	if _, err := fs.Open(dir, fs.Options{}); err != nil {
		t.Fatal(err)
	}
	const procs = 8
	at := time.Now().Add(2 * time.Second).Format(time.RFC3339Nano)
	outs := make([]string, procs)
	var wg sync.WaitGroup
	for i := range procs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cmd := exec.Command(os.Args[0], "-test.run=^$")
			cmd.Env = append(os.Environ(), "GONGSHI_FS_RACE_DIR="+dir, "GONGSHI_FS_RACE_AT="+at,
				fmt.Sprintf("GONGSHI_FS_RACE_ME=%c", 'A'+i))
			out, err := cmd.Output()
			if err != nil {
				outs[i] = "error " + err.Error()
				return
			}
			outs[i] = strings.TrimSpace(string(out))
		}()
	}
	wg.Wait()
	won := -1
	for i, o := range outs {
		switch o {
		case "won":
			if won >= 0 {
				t.Fatalf("processes %d and %d both won", won, i)
			}
			won = i
		case "lost":
		default:
			t.Fatalf("process %d: %s", i, o)
		}
	}
	if won < 0 {
		t.Fatal("no process won")
	}
	got, err := os.ReadFile(filepath.Join(dir, "objects", "race", "key@"))
	if err != nil {
		t.Fatal(err)
	}
	if want := bytes.Repeat([]byte{byte('A' + won)}, 1<<16); !bytes.Equal(got, want) {
		t.Fatalf("stored content is not the winner's")
	}
}

// TestCrashLeftovers: what a crash leaves in tmp/ is invisible and cleared once stale.
func TestCrashLeftovers(t *testing.T) {
	dir := t.TempDir()
	s, err := fs.Open(dir, fs.Options{})
	if err != nil {
		t.Fatal(err)
	}
	// A Put that died after writing its temporary directory.
	stale := filepath.Join(dir, "tmp", "put-crashed")
	if err := os.MkdirAll(stale, 0o750); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(stale, "data"), []byte("half"), 0o640); err != nil {
		t.Fatal(err)
	}
	n := 0
	if err := s.List(context.Background(), "", "", func(blob.Info) error { n++; return nil }); err != nil || n != 0 {
		t.Fatalf("list shows %d objects (err %v) with only a crashed put on disk", n, err)
	}
	old := time.Now().Add(-48 * time.Hour)
	if err := os.Chtimes(stale, old, old); err != nil {
		t.Fatal(err)
	}
	if _, err := fs.Open(dir, fs.Options{}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(stale); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("stale temporary directory still there after reopen: %v", err)
	}
}

func TestOpenErrors(t *testing.T) {
	file := filepath.Join(t.TempDir(), "a-file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		dir  string
		opts fs.Options
		want string
	}{
		{"empty name", "", fs.Options{}, "empty directory name"},
		{"a file, not a directory", file, fs.Options{}, "not a directory"},
		{"bad mode", t.TempDir(), fs.Options{Mode: "forever"}, "unknown retention mode"},
	}
	for _, c := range cases {
		_, err := fs.Open(c.dir, c.opts)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: err = %v, want one containing %q", c.name, err, c.want)
		}
	}
}

// BenchmarkPut: go test -run '^$' -bench Put ./archive/blob/fs
func BenchmarkPut(b *testing.B) {
	blobtest.BenchmarkPut(b, func(b *testing.B) blob.Store {
		s, err := fs.Open(b.TempDir(), fs.Options{})
		if err != nil {
			b.Fatal(err)
		}
		return s
	}, 100_000, 100_000_000)
}
