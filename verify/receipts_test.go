package verify_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/note"

	"github.com/gongshi-archive/gongshi/archive"
	"github.com/gongshi-archive/gongshi/archive/blob/fs"
	"github.com/gongshi-archive/gongshi/archive/ledger"
	"github.com/gongshi-archive/gongshi/archive/ledger/proof"
	"github.com/gongshi-archive/gongshi/verify"
)

// receiptsDir holds receipts issued by this release (2026-12), committed, that
// every later release must verify: see its README.
const receiptsDir = "../testdata/receipts"

// The forms of entry of the committed receipts: each folder's receipts and
// whether their project is bound (entry-v1 predates ledgered projects).
var committedForms = map[string]bool{"entry-v1": false, "entry-v2": true}

// The committed receipts verify, with the files they are for and the
// published key, through Offline (what gongshi verify --receipt prints): every
// record version bound to its entry, its metadata shown.
func TestCommittedReceiptsVerify(t *testing.T) {
	for form, projectBound := range committedForms {
		t.Run(form, func(t *testing.T) { committedReceipts(t, filepath.Join(receiptsDir, form), projectBound) })
	}
}

func committedReceipts(t *testing.T, dir string, projectBound bool) {
	key := committedKey(t, dir)
	for _, tc := range []struct {
		receipt, file string
		version       int
		latest        string
	}{
		{"decision.receipt.json", "decision.pdf", 1, "关于东天街片区房屋征收的决定"},
		{"correction.receipt.json", "correction.pdf", 2, "关于东天街片区房屋征收的决定（更正）"},
	} {
		b, err := os.ReadFile(filepath.Join(dir, tc.receipt))
		if err != nil {
			t.Fatal(err)
		}
		r, err := proof.ParseReceipt(b)
		if err != nil {
			t.Fatalf("%s: %v", tc.receipt, err)
		}
		file, err := os.ReadFile(filepath.Join(dir, tc.file))
		if err != nil {
			t.Fatal(err)
		}
		res, err := verify.Offline(r, key, digests(file))
		if err != nil || !res.Verified {
			t.Fatalf("%s: %v %+v", tc.receipt, err, res)
		}
		m := res.Matches[0]
		if m.Version != tc.version || m.Title != tc.latest || m.Department != "长春市房屋征收经办中心" || !m.RecordBound ||
			m.Issuer != "长春市南关区人民政府" || m.Project != "CC-2026-001" || len(m.NewFields) != 0 || m.ProjectBound != projectBound {
			t.Errorf("%s: %+v", tc.receipt, m)
		}
		// Another file is not verified by it.
		other := append(bytes.Clone(file), '\n')
		if res, err := verify.Offline(r, key, digests(other)); err != nil || res.Verified || res.Matches[0].Reason.Code != proof.FileSHA256 {
			t.Errorf("%s, another file: %v %+v", tc.receipt, err, res)
		}
	}
}

func committedKey(t *testing.T, dir string) note.Verifier {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "ledger.pub"))
	if err != nil {
		t.Fatal(err)
	}
	v, err := note.NewVerifier(strings.TrimSpace(string(b)))
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// TestMakeReceipts made the committed receipts, with this release, through
// the path gongshi verify --save-receipt takes. It runs only when asked:
//
//	GONGSHI_MAKE_RECEIPTS=$PWD/testdata/receipts/NEW-FOLDER go test -run TestMakeReceipts ./verify
//
// Never run it over the committed ones: they are there to stay as they are.
func TestMakeReceipts(t *testing.T) {
	dir := os.Getenv("GONGSHI_MAKE_RECEIPTS")
	if dir == "" {
		t.Skip("GONGSHI_MAKE_RECEIPTS is not set")
	}
	ctx := context.Background()
	clock := time.Date(2026, 12, 1, 2, 0, 0, 0, time.UTC)
	tick := func() time.Time { clock = clock.Add(time.Minute); return clock }
	st, err := fs.Open(t.TempDir(), fs.Options{Now: tick})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	key, err := ledger.GenerateKeyFile(filepath.Join(t.TempDir(), "ledger.key"), "gongshi.changchun.example/ledger")
	if err != nil {
		t.Fatal(err)
	}
	a := archive.New(st, archive.Options{Now: tick, Journal: ledger.New(st, ledger.Options{Key: key})})
	if _, err := a.CreateProject(ctx, archive.Project{Code: "CC-2026-001", Name: "南关区东天街片区旧城区改建项目",
		City: "长春市", District: "南关区", Department: "长春市房屋征收经办中心", Category: archive.CategoryOldCityRenewal,
		Households: 412, Dates: map[string]archive.Date{"decision": archive.D(2026, time.March, 18)}}); err != nil {
		t.Fatal(err)
	}
	put := func(name string, b []byte) archive.Digests {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
		d, err := a.PutContent(ctx, bytes.NewReader(b), int64(len(b)))
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	sigs := json.RawMessage(`[{"signer":"长春市房屋征收经办中心","issuer":"吉林省电子政务根证书","algorithm":"SM2-SM3","verdict":"valid","covers_whole_file":true}]`)
	rec, err := a.CreateRecord(ctx, archive.Record{Project: "CC-2026-001", Type: "decision", Title: "关于东天街片区房屋征收的决定",
		DocNumber: "长征补〔2026〕12号", Issuer: "长春市南关区人民政府", Date: archive.D(2026, time.March, 18),
		ArchivalCode: "Z109-WS·2026-Y-CQ01-0001", Pages: 3, Format: "pdf", FileName: "征收决定书.pdf",
		Content: put("decision.pdf", body(0)), Signatures: sigs})
	if err != nil {
		t.Fatal(err)
	}
	fixed := rec
	fixed.Title, fixed.Content = "关于东天街片区房屋征收的决定（更正）", put("correction.pdf", body(1))
	v2, err := a.CorrectRecord(ctx, rec.ID, 1, fixed, "更正题名并换用盖章后的扫描件")
	if err != nil {
		t.Fatal(err)
	}
	v := verify.New(archive.New(st, archive.Options{Now: tick}), ledger.New(st, ledger.Options{Key: ledger.Key{Verifier: key.Verifier}}),
		key.Verifier, verify.Options{})
	for name, r := range map[string]archive.Record{"decision.receipt.json": rec, "correction.receipt.json": v2} {
		res, err := v.File(ctx, r.Content)
		if err != nil || !res.Verified {
			t.Fatalf("%s: %v %+v", name, err, res)
		}
		b, _ := json.MarshalIndent(res.Receipt(), "", "  ")
		if err := os.WriteFile(filepath.Join(dir, name), append(b, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "ledger.pub"), []byte(key.VerifierKey+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
}
