package proof

import (
	"crypto/sha256"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/emmansun/gmsm/sm3"
	"golang.org/x/mod/sumdb/note"
)

// The receipts that the release of 2026-12 issued (testdata/receipts at the
// top of the repository, made by verify's TestMakeReceipts, with entries of
// both forms) verify with this package alone, with the files they are for and
// the published key, for ever: whatever the record schema and entry form of
// the release that reads them.
func TestCommittedReceipts(t *testing.T) {
	for form, tc := range map[string]struct {
		size    int64
		project bool
	}{"entry-v1": {2, false}, "entry-v2": {3, true}} {
		t.Run(form, func(t *testing.T) {
			committedReceipts(t, filepath.Join("..", "..", "..", "testdata", "receipts", form), tc.size, tc.project)
		})
	}
}

func committedReceipts(t *testing.T, dir string, size int64, projectBound bool) {
	b, err := os.ReadFile(filepath.Join(dir, "ledger.pub"))
	if err != nil {
		t.Fatal(err)
	}
	key, err := note.NewVerifier(strings.TrimSpace(string(b)))
	if err != nil {
		t.Fatal(err)
	}
	for receipt, file := range committedFiles {
		r, d := readCommitted(t, dir, receipt, file)
		got, err := VerifyReceipt(r, key, &d)
		if err != nil {
			t.Fatalf("%s: %v", receipt, err)
		}
		if !got.Record.Bound || got.Record.Schema != 1 || !strings.HasPrefix(got.Record.String("title"), "关于东天街片区房屋征收的决定") ||
			got.Project.String("department") != "长春市房屋征收经办中心" || got.Project.Bound != projectBound || got.Checkpoint.Size != size {
			t.Errorf("%s proves %+v", receipt, got)
		}
		d.SM3[0] ^= 1
		if _, err := VerifyReceipt(r, key, &d); !isCode(err, FileSM3) {
			t.Errorf("%s with another SM3: %v", receipt, err)
		}
	}
}

// committedFiles names each committed receipt and the file it is for.
var committedFiles = map[string]string{"decision.receipt.json": "decision.pdf", "correction.receipt.json": "correction.pdf"}

// readCommitted reads a committed receipt and the digests of its file.
func readCommitted(t *testing.T, dir, receipt, file string) (Receipt, Digests) {
	t.Helper()
	rb, err := os.ReadFile(filepath.Join(dir, receipt))
	if err != nil {
		t.Fatal(err)
	}
	fb, err := os.ReadFile(filepath.Join(dir, file))
	if err != nil {
		t.Fatal(err)
	}
	r, err := ParseReceipt(rb)
	if err != nil {
		t.Fatalf("%s: %v", receipt, err)
	}
	d := Digests{SHA256: sha256.Sum256(fb), Size: int64(len(fb))}
	h := sm3.New()
	h.Write(fb)
	copy(d.SM3[:], h.Sum(nil))
	return r, d
}
