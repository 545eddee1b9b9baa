package ingest

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A symbolic link in the batch folder to a file outside it is refused, whether
// it is there when the manifest is read or made afterwards.
func TestBatchSymlinkOutside(t *testing.T) {
	fx := getFixtures(t)
	signed, err := os.ReadFile(fx.files["signed"])
	if err != nil {
		t.Fatal(err)
	}
	outside := filepath.Join(t.TempDir(), "secret.pdf")
	if err := os.WriteFile(outside, signed, 0o644); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.Symlink(outside, filepath.Join(dir, "evil.pdf")); err != nil {
		t.Fatal(err)
	}
	if _, err := ResolveIn(dir, "evil.pdf"); !errors.Is(err, ErrOutside) || !strings.Contains(err.Error(), "symbolic link") {
		t.Errorf("ResolveIn(evil.pdf) = %v, want a symbolic link leaving the folder", err)
	}
	// A link that stays inside the folder is followed.
	if err := os.WriteFile(filepath.Join(dir, "ok.pdf"), signed, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("ok.pdf", filepath.Join(dir, "alias.pdf")); err != nil {
		t.Fatal(err)
	}
	if _, err := ResolveIn(dir, "alias.pdf"); err != nil {
		t.Errorf("ResolveIn(alias.pdf) = %v, want it accepted", err)
	}

	manifest := filepath.Join(t.TempDir(), "m.csv")
	os.WriteFile(manifest, []byte("file,project,type,title,doc_number,date,issuer\n"+
		"evil.pdf,CC-2026-001,decision,t,长征补〔2026〕12号,2026-03-18,长春市南关区人民政府\n"+
		"later.pdf,CC-2026-001,decision,t,长征补〔2026〕12号,2026-03-18,长春市南关区人民政府\n"), 0o644)
	rows, err := ReadManifest(manifest, dir, ManifestOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if p := strings.Join(rows[0].Problems, "\n"); !strings.Contains(p, "symbolic link") || !strings.Contains(p, "leaves the batch folder") {
		t.Errorf("evil.pdf: problems %q", rows[0].Problems)
	}
	if len(rows[1].Problems) != 0 {
		t.Fatalf("later.pdf: problems %q", rows[1].Problems)
	}
	// The link appears after the manifest was read.
	if err := os.Symlink(outside, filepath.Join(dir, "later.pdf")); err != nil {
		t.Fatal(err)
	}
	f, _, _ := newTestFiler(t, nil)
	sum := f.Batch(context.Background(), dir, rows, 1, nil)
	for _, r := range sum.Results {
		if r.Status != StatusRejected || !strings.Contains(strings.Join(r.Reasons, "\n"), "leaves the batch folder") {
			t.Errorf("%s: %s %q, want rejected as leaving the batch folder", r.Path, r.Status, r.Reasons)
		}
	}
	if sum.Filed != 0 || sum.Rejected != 2 {
		t.Errorf("filed %d rejected %d, want 0 and 2", sum.Filed, sum.Rejected)
	}
}
