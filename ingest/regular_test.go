package ingest

import (
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// within runs f, and fails the test if it has not returned after a generous
// bound: on a blocked open of a named pipe it would never return. The pipe is
// then opened for writing until f returns, which releases each blocked open.
func within(t *testing.T, fifo string, f func()) {
	t.Helper()
	done := make(chan struct{})
	go func() { defer close(done); f() }()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		for {
			if w, err := os.OpenFile(fifo, os.O_WRONLY|syscall.O_NONBLOCK, 0); err == nil {
				w.Close()
			}
			select {
			case <-done:
				t.Fatal("blocked on a named pipe")
			case <-time.After(10 * time.Millisecond):
			}
		}
	}
}

// A named pipe or a socket named x.pdf, given as the file or as a manifest row,
// is refused at once as not a regular file; the batch files its other rows.
func TestNotRegularFilesAreRefused(t *testing.T) {
	f, _, _ := newTestFiler(t, nil)
	fx := getFixtures(t)
	dir := t.TempDir()
	fifo := filepath.Join(dir, "x.pdf")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("unix", filepath.Join(dir, "s.pdf"))
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	signed, _ := os.ReadFile(fx.files["signed"])
	os.WriteFile(filepath.Join(dir, "ok.pdf"), signed, 0o644)

	within(t, fifo, func() {
		res, err := f.File(context.Background(), fifo, decisionMeta())
		if err != nil || res.Status != StatusRejected || !strings.Contains(strings.Join(res.Reasons, " "), "named pipe") {
			t.Errorf("File(fifo) = %s %q, %v: want rejected as a named pipe", res.Status, res.Reasons, err)
		}
		if _, err := f.in.Inspect(context.Background(), fifo); !errors.Is(err, ErrNotRegular) {
			t.Errorf("Inspect(fifo) = %v, want ErrNotRegular", err)
		}
	})
	manifest := filepath.Join(t.TempDir(), "m.csv")
	os.WriteFile(manifest, []byte("file,project,type,title,doc_number,date,issuer\n"+
		"x.pdf,CC-2026-001,decision,t,长征补〔2026〕12号,2026-03-18,长春市南关区人民政府\n"+
		"s.pdf,CC-2026-001,decision,t,长征补〔2026〕12号,2026-03-18,长春市南关区人民政府\n"+
		"ok.pdf,CC-2026-001,decision,t,长征补〔2026〕12号,2026-03-18,长春市南关区人民政府\n"), 0o644)
	within(t, fifo, func() {
		rows, err := ReadManifest(manifest, dir, ManifestOptions{})
		if err != nil {
			t.Fatal(err)
		}
		sum := f.Batch(context.Background(), dir, rows, 2, nil)
		want := map[string]string{"x.pdf": "named pipe", "s.pdf": "socket"}
		for _, r := range sum.Results {
			switch w := want[r.Path]; {
			case w == "" && r.Status != StatusFiled:
				t.Errorf("%s: %s %q, want filed", r.Path, r.Status, r.Reasons)
			case w != "" && (r.Status != StatusRejected || !strings.Contains(strings.Join(r.Reasons, " "), w)):
				t.Errorf("%s: %s %q, want rejected as a %s", r.Path, r.Status, r.Reasons, w)
			}
		}
		if sum.Filed != 1 || sum.Rejected != 2 || sum.Errors != 0 {
			t.Errorf("filed %d, rejected %d, errors %d: want 1, 2, 0", sum.Filed, sum.Rejected, sum.Errors)
		}
		// The manifest itself as a named pipe: an error, at once.
		if _, err := ReadManifest(fifo, dir, ManifestOptions{}); !errors.Is(err, ErrNotRegular) {
			t.Errorf("ReadManifest(fifo) = %v, want ErrNotRegular", err)
		}
	})
}
