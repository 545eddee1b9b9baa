package ingest

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// A file replaced or changed between its inspection and its commit is rejected,
// not stored with the verdicts of the file inspected.
func TestFileChangedBeforeCommit(t *testing.T) {
	fx := getFixtures(t)
	signed, err := os.ReadFile(fx.files["signed"])
	if err != nil {
		t.Fatal(err)
	}
	tampered, err := os.ReadFile(fx.files["tampered"])
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		change func(t *testing.T, path string)
		want   Status
	}{
		{"unchanged", func(*testing.T, string) {}, StatusFiled},
		{"replaced", func(t *testing.T, path string) {
			other := filepath.Join(filepath.Dir(path), "other.pdf")
			if err := os.WriteFile(other, tampered, 0o644); err != nil {
				t.Fatal(err)
			}
			if err := os.Rename(other, path); err != nil {
				t.Fatal(err)
			}
		}, StatusRejected},
		{"rewritten in place", func(t *testing.T, path string) {
			fi, err := os.Stat(path)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, tampered, 0o644); err != nil {
				t.Fatal(err)
			}
			// The same length; a later modification time, whatever the clock's
			// granularity.
			later := fi.ModTime().Add(time.Hour)
			if err := os.Chtimes(path, later, later); err != nil {
				t.Fatal(err)
			}
		}, StatusRejected},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, _, _ := newTestFiler(t, nil)
			path := filepath.Join(t.TempDir(), "decision.pdf")
			if err := os.WriteFile(path, signed, 0o644); err != nil {
				t.Fatal(err)
			}
			p, res, err := f.prepare(context.Background(), path, decisionMeta())
			if err != nil || res.Status != "" {
				t.Fatalf("prepare: %v %+v", err, res)
			}
			tc.change(t, path)
			res, err = f.commit(context.Background(), p)
			if err != nil || res.Status != tc.want {
				t.Fatalf("commit: %v, status %s %q, want %s", err, res.Status, res.Reasons, tc.want)
			}
			if tc.want == StatusRejected && (len(res.Reasons) != 1 || res.Reasons[0] != ErrFileChanged.Error()) {
				t.Errorf("reasons %q, want %q", res.Reasons, ErrFileChanged)
			}
		})
	}
}

// A file changed in place while it is being inspected is rejected: the digests
// and the signature verdicts might be of different bytes.
func TestFileChangedDuringInspection(t *testing.T) {
	fx := getFixtures(t)
	signed, err := os.ReadFile(fx.files["signed"])
	if err != nil {
		t.Fatal(err)
	}
	f, _, _ := newTestFiler(t, nil)
	path := filepath.Join(t.TempDir(), "decision.pdf")
	if err := os.WriteFile(path, signed, 0o644); err != nil {
		t.Fatal(err)
	}
	testHookInspectRead = func(p string) {
		later := time.Now().Add(time.Hour)
		if err := os.Chtimes(p, later, later); err != nil {
			t.Error(err)
		}
	}
	defer func() { testHookInspectRead = nil }()
	res, err := f.File(context.Background(), path, decisionMeta())
	if err != nil || res.Status != StatusRejected || len(res.Reasons) != 1 || res.Reasons[0] != ErrFileChanged.Error() {
		t.Fatalf("%v, status %s %q, want rejected: %s", err, res.Status, res.Reasons, ErrFileChanged)
	}
}
