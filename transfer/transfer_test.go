package transfer_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gongshi-archive/gongshi/archive"
	"github.com/gongshi-archive/gongshi/archive/blob"
	"github.com/gongshi-archive/gongshi/archive/blob/fs"
	"github.com/gongshi-archive/gongshi/archive/ledger"
	"github.com/gongshi-archive/gongshi/transfer"
	"github.com/gongshi-archive/gongshi/verify"
)

var cst = time.FixedZone("CST", 8*3600)

type world struct {
	dir string // the fs store's
	st  blob.Store
	a   *archive.Archive
	l   *ledger.Log
	key ledger.Key
	now func() time.Time
}

func newWorld(t *testing.T) *world {
	t.Helper()
	now := func() time.Time { return time.Date(2026, 12, 1, 10, 0, 0, 0, cst) }
	dir := t.TempDir()
	st, err := fs.Open(dir, fs.Options{Now: now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	key, err := ledger.GenerateKeyFile(filepath.Join(t.TempDir(), "ledger.key"), "gongshi.example/ledger")
	if err != nil {
		t.Fatal(err)
	}
	l := ledger.New(st, ledger.Options{Key: key, Now: now})
	a := archive.New(st, archive.Options{Now: now, Actor: archive.ActorCLI, Journal: l})
	for _, code := range []string{"CC-2026-001", "JL-2026-003"} {
		if _, err := a.CreateProject(context.Background(), archive.Project{Code: code, Name: "南关区东天街片区旧城区改建项目",
			City: "长春市", District: "南关区", Department: "长春市房屋征收经办中心"}); err != nil {
			t.Fatal(err)
		}
	}
	return &world{dir: dir, st: st, a: a, l: l, key: key, now: now}
}

func pdf(s string) []byte {
	return []byte("%PDF-1.7\n% " + s + "\n" + strings.Repeat("征收", 500) + "\n%%EOF\n")
}

func (w *world) file(t *testing.T, code, typ, title string, body []byte) archive.Record {
	t.Helper()
	ctx := context.Background()
	d, err := w.a.PutContent(ctx, bytes.NewReader(body), int64(len(body)))
	if err != nil {
		t.Fatal(err)
	}
	rec, err := w.a.CreateRecord(ctx, archive.Record{Project: code, Type: typ, Title: title, DocNumber: "长征补〔2026〕1号",
		Issuer: "长春市南关区人民政府", Date: archive.D(2026, 3, 18), Format: "pdf", FileName: title + ".pdf", Content: d})
	if err != nil {
		t.Fatal(err)
	}
	return rec
}

func (w *world) export(t *testing.T, code, dir string) (transfer.Report, error) {
	t.Helper()
	signed, _, err := w.l.Latest(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	v := verify.New(w.a, ledger.New(w.st, ledger.Options{Key: ledger.Key{Verifier: w.key.Verifier}}), w.key.Verifier, verify.Options{Now: w.now})
	return transfer.Export(context.Background(), transfer.Options{Archive: w.a, Verifier: v, Checkpoint: signed,
		VerifierKey: w.key.VerifierKey, Organization: "长春市房屋征收经办中心", Agent: "gongshi test", Now: w.now}, code, dir)
}

// A project's bag: valid by RFC 8493 (checked by code that shares nothing with
// the exporter) and by Check; with every record version, content, report,
// receipt and table; a disposed record's tombstone without its content; nothing
// of another project.
func TestExportIsAValidBag(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	decision := w.file(t, "CC-2026-001", "decision", "征收决定", pdf("决定"))
	chart := w.file(t, "CC-2026-001", "site_chart", "五化流程图", pdf("流程图"))
	other := w.file(t, "JL-2026-003", "decision", "另一项目的决定", pdf("另一"))
	survey := w.file(t, "CC-2026-001", "survey_result", "调查登记结果", pdf("调查"))
	csv := []byte("户号,户主,建筑面积\n0001,张三,86.5\n")
	cd, err := w.a.PutContent(ctx, bytes.NewReader(csv), int64(len(csv)))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.a.PutTable(ctx, archive.Table{Record: survey.ID, Content: cd, Encoding: "utf-8", Key: "户号", Rows: 1,
		Columns: []archive.TableColumn{{Name: "户号", Policy: archive.ColumnPublic}, {Name: "户主", Policy: archive.ColumnMasked, Mask: archive.MaskName},
			{Name: "建筑面积", Policy: archive.ColumnPublic}},
		MaskRule: "test-1", Masked: archive.Hash{1}, Window: archive.DateWindow{From: archive.D(2026, 4, 1), To: archive.D(2026, 4, 8)}}); err != nil {
		t.Fatal(err)
	}
	// An older survey with its table, disposed of: a tombstone, its content and
	// its table's CSV deleted, the table's versions kept (its metadata).
	oldSurvey := w.file(t, "CC-2026-001", "survey_result", "调查登记结果（第一批）", pdf("旧调查"))
	oldCSV := []byte("户号,户主,建筑面积\n0002,李四,72.0\n")
	ocd, err := w.a.PutContent(ctx, bytes.NewReader(oldCSV), int64(len(oldCSV)))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.a.PutTable(ctx, archive.Table{Record: oldSurvey.ID, Content: ocd, Encoding: "utf-8", Key: "户号", Rows: 1,
		Columns: []archive.TableColumn{{Name: "户号", Policy: archive.ColumnPublic}, {Name: "户主", Policy: archive.ColumnMasked, Mask: archive.MaskName},
			{Name: "建筑面积", Policy: archive.ColumnPublic}},
		MaskRule: "test-1", Masked: archive.Hash{2}, Window: archive.DateWindow{From: archive.D(2026, 3, 1), To: archive.D(2026, 3, 8)}}); err != nil {
		t.Fatal(err)
	}
	if _, err := w.a.DisposeRecord(ctx, oldSurvey.ID, 1, archive.Disposal{List: "D20370105-k3mdx2qa", Proposer: archive.AccountActor("ualice0000001"),
		Approver: archive.AccountActor("ubob00000001"), Approved: w.now()}, archive.AccountActor("ubob00000001")); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{archive.ContentKey(oldSurvey.Content.SHA256), archive.ContentKey(ocd.SHA256)} {
		if err := w.st.Delete(ctx, k); err != nil {
			t.Fatal(err)
		}
	}
	// The chart is disposed of: a tombstone, its content deleted.
	if _, err := w.a.DisposeRecord(ctx, chart.ID, 1, archive.Disposal{List: "D20370105-k3mdx2qa", Proposer: archive.AccountActor("ualice0000001"),
		Approver: archive.AccountActor("ubob00000001"), Approved: w.now()}, archive.AccountActor("ubob00000001")); err != nil {
		t.Fatal(err)
	}
	if err := w.st.Delete(ctx, archive.ContentKey(chart.Content.SHA256)); err != nil {
		t.Fatal(err)
	}

	dir := filepath.Join(t.TempDir(), "CC-2026-001")
	rep, err := w.export(t, "CC-2026-001", dir)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Records != 4 || rep.Disposed != 2 || rep.Check.Failed() {
		t.Fatalf("report: %+v", rep)
	}
	if ps := rfc8493Problems(dir); len(ps) > 0 {
		t.Fatalf("not a valid bag by RFC 8493:\n%s", strings.Join(ps, "\n"))
	}
	got, err := transfer.Check(ctx, dir, w.key.Verifier)
	if err != nil || !got.Valid || got.Receipts != 2 || got.KeyFromBag || got.TransferCheck != "accepted" {
		t.Fatalf("Check: %+v, %v", got, err)
	}
	exists := func(rel string) bool {
		_, err := os.Stat(filepath.Join(dir, filepath.FromSlash(rel)))
		return err == nil
	}
	for _, rel := range []string{
		"data/project/000001.json", "data/ledger/checkpoint", "data/ledger/key.txt",
		"data/records/" + decision.ID + "/000001.json", "data/records/" + decision.ID + "/content.pdf", "data/records/" + decision.ID + "/receipt.json",
		"data/records/" + chart.ID + "/000001.json", "data/records/" + chart.ID + "/000002.json",
		"data/records/" + survey.ID + "/table/000001.json", "data/records/" + survey.ID + "/table/table.csv",
		"data/records/" + oldSurvey.ID + "/000002.json", "data/records/" + oldSurvey.ID + "/table/000001.json",
		"manifest-sha256.txt", "manifest-sm3.txt", "tagmanifest-sha256.txt", "tagmanifest-sm3.txt", "transfer-check.json",
	} {
		if !exists(rel) {
			t.Errorf("the bag has no %s", rel)
		}
	}
	if exists("data/records/"+chart.ID+"/content.pdf") || exists("data/records/"+other.ID) ||
		exists("data/records/"+oldSurvey.ID+"/content.pdf") || exists("data/records/"+oldSurvey.ID+"/table/table.csv") {
		t.Error("the bag holds a disposed record's content or table CSV, or another project's record")
	}
	if b, err := os.ReadFile(filepath.Join(dir, "data/records", oldSurvey.ID, "table", "000001.json")); err != nil || !strings.Contains(string(b), ocd.SHA256.String()) {
		t.Errorf("the disposed survey's table version in the bag does not name its CSV's digest: %v %s", err, b)
	}
	b, _ := os.ReadFile(filepath.Join(dir, "data/records", decision.ID, "content.pdf"))
	if !bytes.Equal(b, pdf("决定")) {
		t.Error("the content in the bag is not the document")
	}
	info, _ := os.ReadFile(filepath.Join(dir, "bag-info.txt"))
	for _, want := range []string{"Payload-Oxum: ", "Gongshi-Project-Code: CC-2026-001", "Source-Organization: 长春市房屋征收经办中心",
		"Gongshi-Records: 4", "Gongshi-Records-Disposed: 2", "Gongshi-Ledger-Key: " + w.key.VerifierKey} {
		if !strings.Contains(string(info), want) {
			t.Errorf("bag-info.txt has no %q:\n%s", want, info)
		}
	}
	var chk transfer.TransferCheck
	b, _ = os.ReadFile(filepath.Join(dir, "transfer-check.json"))
	if err := json.Unmarshal(b, &chk); err != nil || len(chk.Records) != 4 {
		t.Fatalf("transfer-check.json: %v %s", err, b)
	}
	props := map[string]bool{}
	for _, r := range chk.Records {
		if r.Record == decision.ID {
			for _, it := range r.Items {
				props[string(it.Property)] = true
			}
		}
	}
	if len(props) != 4 {
		t.Errorf("the check at transfer covers %v, want the four properties", props)
	}

	// Never over anything.
	if _, err := w.export(t, "CC-2026-001", dir); !errors.Is(err, transfer.ErrExists) {
		t.Errorf("export over a bag: %v", err)
	}
	if _, err := w.export(t, "XX-2026-404", filepath.Join(t.TempDir(), "x")); !errors.Is(err, archive.ErrNotFound) {
		t.Errorf("export of no project: %v", err)
	}
}

// Check names each way a bag can be damaged; the independent validator agrees.
func TestCheckFindsDamage(t *testing.T) {
	w := newWorld(t)
	rec := w.file(t, "CC-2026-001", "decision", "征收决定", pdf("决定"))
	src := filepath.Join(t.TempDir(), "bag")
	if _, err := w.export(t, "CC-2026-001", src); err != nil {
		t.Fatal(err)
	}
	content := "data/records/" + rec.ID + "/content.pdf"
	other, err := ledger.GenerateKeyFile(filepath.Join(t.TempDir(), "other.key"), "gongshi.example/other")
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name   string
		damage func(dir string)
		want   string
		key    bool // check with the real key (else a stranger's)
		rfcOK  bool // still valid by RFC 8493 (only Gongshi's layer is wrong)
	}{
		{"altered content", func(dir string) { flip(t, filepath.Join(dir, content)) }, content + " does not have the sha256", true, false},
		{"file added", func(dir string) { write(t, filepath.Join(dir, "data/extra.txt"), "x") }, "does not list data/extra.txt", true, false},
		{"file removed", func(dir string) { os.Remove(filepath.Join(dir, content)) }, "lists " + content + ", which is not in the bag", true, false},
		{"oxum", func(dir string) {
			replaceIn(t, filepath.Join(dir, "bag-info.txt"), "Payload-Oxum: ", "Payload-Oxum: 1")
		}, "Payload-Oxum says", true, false},
		{"tag file altered", func(dir string) { replaceIn(t, filepath.Join(dir, "bag-info.txt"), "长春市", "吉林市") }, "bag-info.txt does not have", true, false},
		{"bagit.txt", func(dir string) { write(t, filepath.Join(dir, "bagit.txt"), "BagIt-Version: 2.0\n") }, "bagit.txt", true, false},
		{"outside the bag", func(dir string) {
			appendTo(t, filepath.Join(dir, "manifest-sha256.txt"), "0000  ../../etc/passwd\n")
		}, "not a clean path inside the bag", true, false},
		{"symlink", func(dir string) {
			os.Symlink("/etc/passwd", filepath.Join(dir, "data/link"))
		}, "data/link", true, false},
		{"stranger's key", func(string) {}, "the receipt does not prove its content", false, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "bag")
			copyTree(t, src, dir)
			c.damage(dir)
			key := w.key.Verifier
			if !c.key {
				key = other.Verifier
			}
			got, err := transfer.Check(context.Background(), dir, key)
			if err != nil {
				t.Fatal(err)
			}
			if got.Valid || !strings.Contains(strings.Join(got.Problems, "\n"), c.want) {
				t.Errorf("Check: valid %v, problems:\n%s\nwant one with %q", got.Valid, strings.Join(got.Problems, "\n"), c.want)
			}
			if ps := rfc8493Problems(dir); (len(ps) == 0) != c.rfcOK && c.name != "symlink" {
				t.Errorf("the independent validator says %v", ps)
			}
		})
	}
}

// An interrupted export leaves no bag and nothing beside it.
func TestExportCancelled(t *testing.T) {
	w := newWorld(t)
	for i := range 5 {
		w.file(t, "CC-2026-001", "decision", "征收决定"+string(rune('一'+i)), pdf(string(rune('a'+i))))
	}
	parent := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	signed, _, _ := w.l.Latest(ctx)
	_, err := transfer.Export(ctx, transfer.Options{Archive: w.a, Checkpoint: signed, Now: w.now,
		Progress: func(done, total int, n int64) {
			if done == 2 {
				cancel()
			}
		}}, "CC-2026-001", filepath.Join(parent, "bag"))
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled export: %v", err)
	}
	if es, _ := os.ReadDir(parent); len(es) != 0 {
		t.Fatalf("a cancelled export left %v", es)
	}
}

func flip(t *testing.T, p string) {
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	b[len(b)/2] ^= 1
	write(t, p, string(b))
}

func write(t *testing.T, p, s string) {
	if err := os.WriteFile(p, []byte(s), 0o600); err != nil {
		t.Fatal(err)
	}
}

func appendTo(t *testing.T, p, s string) {
	b, _ := os.ReadFile(p)
	write(t, p, string(b)+s)
}

func replaceIn(t *testing.T, p, old, new string) {
	b, err := os.ReadFile(p)
	if err != nil || !bytes.Contains(b, []byte(old)) {
		t.Fatalf("%s has no %q (%v)", p, old, err)
	}
	write(t, p, strings.Replace(string(b), old, new, 1))
}

func copyTree(t *testing.T, src, dst string) {
	err := filepath.Walk(src, func(p string, fi os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		to := filepath.Join(dst, rel)
		if fi.IsDir() {
			return os.MkdirAll(to, 0o700)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(to, b, 0o600)
	})
	if err != nil {
		t.Fatal(err)
	}
}
