package proof

import (
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// memLog is a log in memory, for receipts without a store.
type memLog struct {
	signer   note.Signer
	verifier note.Verifier
	entries  []string
}

func newMemLog(t *testing.T) *memLog {
	t.Helper()
	skey, vkey, err := note.GenerateKey(rand.Reader, "gongshi.example/test")
	if err != nil {
		t.Fatal(err)
	}
	s, _ := note.NewSigner(skey)
	v, _ := note.NewVerifier(vkey)
	return &memLog{signer: s, verifier: v}
}

func (l *memLog) add(entry string) int64 {
	l.entries = append(l.entries, entry)
	return int64(len(l.entries) - 1)
}

// hashes returns the stored hashes of the tree and a reader of them.
func (l *memLog) tree(t *testing.T) (tlog.HashReader, int64, tlog.Hash) {
	t.Helper()
	var hashes []tlog.Hash
	r := tlog.HashReaderFunc(func(idx []int64) ([]tlog.Hash, error) {
		out := make([]tlog.Hash, len(idx))
		for i, x := range idx {
			out[i] = hashes[x]
		}
		return out, nil
	})
	for i, e := range l.entries {
		hs, err := tlog.StoredHashes(int64(i), []byte(e), r)
		if err != nil {
			t.Fatal(err)
		}
		hashes = append(hashes, hs...)
	}
	n := int64(len(l.entries))
	root, err := tlog.TreeHash(n, r)
	if err != nil {
		t.Fatal(err)
	}
	return r, n, root
}

// receipt returns the receipt of entry i under a checkpoint of the whole log,
// with record JSON rec, and the project JSON proj with its entry at pi (when
// pi >= 0).
func (l *memLog) receipt(t *testing.T, i int64, rec string, proj string, pi int64) Receipt {
	t.Helper()
	r, n, root := l.tree(t)
	signed, err := note.Sign(&note.Note{Text: Checkpoint{Origin: "gongshi.example/test", Size: n, Root: root}.Text()}, l.signer)
	if err != nil {
		t.Fatal(err)
	}
	prove := func(i int64) []tlog.Hash {
		p, err := tlog.ProveRecord(n, i, r)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	out := Receipt{Format: ReceiptFormat, Index: i, Entry: l.entries[i], Proof: prove(i), Checkpoint: string(signed),
		Record: rec, Project: proj}
	if pi >= 0 {
		out.ProjectEntry = &Inclusion{Index: pi, Entry: l.entries[pi], Proof: prove(pi)}
	}
	return out
}

func sum(s string) Hash { return sha256.Sum256([]byte(s)) }

// entryV1 is a v1 filing entry, as the ledger writes it today.
func entryV1(id string, version int, content Digests, record string) string {
	kind := "file"
	if version > 1 {
		kind = "new_version"
	}
	return fmt.Sprintf("gongshi ledger entry v1\nkind %s\nrecord %s\nversion %d\nsha256 %s\nsm3 %s\nsize %d\nrecord-sha256 %s\ntime 2026-12-01T02:00:00.000Z\n",
		kind, id, version, content.SHA256, content.SM3, content.Size, sum(record))
}

// The entry reader takes forms it does not know: a header and "name value"
// lines, each name once.
func TestParseEntryLenient(t *testing.T) {
	content := Digests{SHA256: sum("c"), SM3: sum("s"), Size: 42}
	v1 := entryV1("aaaaaaaaaaaaaaaaaaaaaaaaaa", 1, content, "{}")
	e, err := ParseEntry([]byte(v1))
	if err != nil || e.Form != 1 || e.Kind() != "file" {
		t.Fatalf("v1: %+v %v", e, err)
	}
	if kind, id, version := e.Subject(); kind != "record" || id != "aaaaaaaaaaaaaaaaaaaaaaaaaa" || version != 1 {
		t.Errorf("subject %s %s %d", kind, id, version)
	}
	if d, ok := e.Content(); !ok || d != content {
		t.Errorf("content %+v %v", d, ok)
	}
	if h, ok := e.SubjectDigest(); !ok || h != sum("{}") {
		t.Errorf("digest %v %v", h, ok)
	}
	if e.Time().IsZero() {
		t.Error("no time")
	}
	// The second form, as the ledger writes it now.
	v2 := fmt.Sprintf("gongshi ledger entry v2\nkind new_version\nsubject record aaaaaaaaaaaaaaaaaaaaaaaaaa\nversion 2\nversion-sha256 %s\ncontent-sha256 %s\ncontent-sm3 %s\ncontent-size 42\nactor account:u-0042\nreason-sha256 %s\ntime 2026-12-01T08:15:02.137Z\n",
		sum("{}"), content.SHA256, content.SM3, sum("题名错误"))
	e, err = ParseEntry([]byte(v2))
	if err != nil || e.Form != 2 || e.Kind() != "new_version" || e.Actor() != "account:u-0042" || e.Time().IsZero() {
		t.Fatalf("v2: %+v %v", e, err)
	}
	if kind, id, version := e.Subject(); kind != "record" || id != "aaaaaaaaaaaaaaaaaaaaaaaaaa" || version != 2 {
		t.Errorf("v2 subject %s %s %d", kind, id, version)
	}
	if d, ok := e.Content(); !ok || d != content {
		t.Errorf("v2 content %+v %v", d, ok)
	}
	if h, ok := e.SubjectDigest(); !ok || h != sum("{}") {
		t.Errorf("v2 digest %v %v", h, ok)
	}
	// A later form with fields this reader has never heard of.
	future := strings.Replace(v1, "entry v1\n", "entry v7\n", 1) + "witness gongshi.example/w1\nfrobnication 12 34\n"
	e, err = ParseEntry([]byte(future))
	if err != nil || e.Form != 7 {
		t.Fatalf("v7: %+v %v", e, err)
	}
	if v, _ := e.Get("frobnication"); v != "12 34" {
		t.Errorf("frobnication %q", v)
	}
	if d, ok := e.Content(); !ok || d != content {
		t.Errorf("v7 content %+v %v", d, ok)
	}
	for name, bad := range map[string]string{
		"no header":        strings.SplitN(v1, "\n", 2)[1],
		"another header":   strings.Replace(v1, "gongshi ledger entry v1", "gongshi ledger entry", 1),
		"form with zero":   strings.Replace(v1, "entry v1", "entry v01", 1),
		"no final newline": strings.TrimSuffix(v1, "\n"),
		"a name twice":     v1 + "sha256 " + sum("other").String() + "\n",
		"a bare line":      v1 + "orphan\n",
		"an upper name":    v1 + "Name x\n",
	} {
		if _, err := ParseEntry([]byte(bad)); !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: %v, want ErrMalformed", name, err)
		}
	}
}

// Every code has its text in English and Chinese, with its parameters filled.
func TestEveryReasonHasBothTexts(t *testing.T) {
	codes := []Code{CheckpointOtherKey, CheckpointAltered, CheckpointOtherLog, EntryBeyondTree, InclusionFailed,
		RecordAltered, RecordOther, ProjectAltered, ProjectOther, FileSHA256, FileSM3, FileSize, LogsDiffer,
		HistoryCutBack, HistoryRewritten, HashesDisagree, NoRecord, NotInLedger, NotYetCovered, RecordMissing}
	names := []string{"key", "signed_by", "signer", "origin", "key_origin", "index", "size", "sha256", "entry_sha256",
		"record", "version", "entry_record", "entry_version", "project", "record_project", "file", "entry",
		"old_origin", "new_origin", "old_size", "detail"}
	for _, c := range codes {
		var params []string
		for _, n := range names {
			params = append(params, n, "‹"+n+"›")
		}
		r := NewReason(c, params...)
		for lang, text := range map[string]string{"en": r.String(), "zh": r.Chinese()} {
			if text == "" || text == string(c) || strings.Contains(text, "{") {
				t.Errorf("%s %s: %q", c, lang, text)
			}
			if !strings.Contains(text, "‹") {
				t.Errorf("%s %s names no parameter: %q", c, lang, text)
			}
		}
		if !containsHan(r.Chinese()) {
			t.Errorf("%s: the Chinese text has no Chinese: %q", c, r.Chinese())
		}
	}
	saved := NewReason(SavedCheckpoint, "reason", string(CheckpointOtherKey), "key", "k+1", "signed_by", "")
	if got := saved.String(); got != "the saved checkpoint: the checkpoint is not signed by the key k+1: it has no signature" {
		t.Errorf("saved checkpoint: %q", got)
	}
}

func containsHan(s string) bool {
	for _, r := range s {
		if r >= 0x4e00 && r <= 0x9fff {
			return true
		}
	}
	return false
}

// A receipt binds the project JSON through the project version's own entry
// when it carries one; a project altered, or an entry of something else, is
// "no"; without the entry the project is shown, not bound.
func TestReceiptBindsProject(t *testing.T) {
	l := newMemLog(t)
	content := Digests{SHA256: sum("决定书"), SM3: sum("sm3"), Size: 9}
	proj := `{"schema":1,"code":"CC-2026-001","version":1,"department":"长春市房屋征收经办中心"}`
	rec := `{"schema":1,"id":"bbbbbbbbbbbbbbbbbbbbbbbbbb","version":1,"project":"CC-2026-001","title":"关于征收的决定"}`
	pi := l.add(fmt.Sprintf("gongshi ledger entry v2\nkind create\nsubject project CC-2026-001\nversion 1\nversion-sha256 %s\nactor cli\ntime 2026-12-01T01:00:00.000Z\n", sum(proj)))
	ri := l.add(entryV1("bbbbbbbbbbbbbbbbbbbbbbbbbb", 1, content, rec))

	got, err := VerifyReceipt(l.receipt(t, ri, rec, proj, pi), l.verifier, &content)
	if err != nil || !got.Record.Bound || !got.Project.Bound || got.Project.String("department") != "长春市房屋征收经办中心" {
		t.Fatalf("bound project: %v %+v", err, got.Project)
	}
	got, err = VerifyReceipt(l.receipt(t, ri, rec, proj, -1), l.verifier, &content)
	if err != nil || got.Project == nil || got.Project.Bound {
		t.Fatalf("project without its entry: %v %+v", err, got.Project)
	}
	altered := strings.Replace(proj, "经办中心", "办公室", 1)
	if _, err := VerifyReceipt(l.receipt(t, ri, rec, altered, pi), l.verifier, &content); !isCode(err, ProjectAltered) {
		t.Fatalf("altered project: %v", err)
	}
	// The record's own entry offered as the project's.
	if _, err := VerifyReceipt(l.receipt(t, ri, rec, proj, ri), l.verifier, &content); !isCode(err, ProjectAltered) {
		t.Fatalf("record entry as the project's: %v", err)
	}
	other := strings.Replace(proj, "CC-2026-001", "JL-2026-003", 1)
	if _, err := VerifyReceipt(l.receipt(t, ri, rec, other, -1), l.verifier, &content); !isCode(err, ProjectOther) {
		t.Fatalf("another project: %v", err)
	}
}

// bumpSchema returns the JSON object doc, as the committed receipts carry it
// ("schema": 1 first), at schema 2 with the fields more.
func bumpSchema(t *testing.T, doc, more string) string {
	t.Helper()
	const v1 = "{\n  \"schema\": 1,\n"
	if !strings.HasPrefix(doc, v1) {
		t.Fatalf("not a schema-1 document: %.80q", doc)
	}
	return "{\n  \"schema\": 2,\n  " + more + ",\n" + strings.TrimPrefix(doc, v1)
}

// rebind returns entry with the digest of the JSON old replaced by that of new:
// the entry a later release writes for the new JSON.
func rebind(t *testing.T, entry, old, new string) string {
	t.Helper()
	h, n := sum(old).String(), sum(new).String()
	if strings.Count(entry, h) != 1 {
		t.Fatalf("the entry does not bind the JSON it came with:\n%s", entry)
	}
	return strings.Replace(entry, h, n, 1)
}

func isCode(err error, c Code) bool {
	r, ok := ReasonOf(err)
	return ok && r.Code == c && errors.Is(err, ErrNotVerified)
}

// A receipt made by a later release, whose record and project JSON are of a
// newer schema with fields this release does not know, verifies: the JSON is
// bound by its digest and read only for display, where every field is kept.
func TestReceiptOfANewerSchema(t *testing.T) {
	// The committed receipts (both entry forms) as a later release would issue
	// them once the schema is bumped: the record and project JSON they carry
	// say schema 2 and have fields this release does not know, their entries
	// bind the new JSON, and a log holding those entries signs them (the
	// committed ledger's signing key was thrown away, so a test key does).
	for form, projectBound := range map[string]bool{"entry-v1": false, "entry-v2": true} {
		dir := filepath.Join("..", "..", "..", "testdata", "receipts", form)
		for receipt, file := range committedFiles {
			t.Run(form+"/"+receipt, func(t *testing.T) {
				old, content := readCommitted(t, dir, receipt, file)
				l := newMemLog(t)
				pi := int64(-1)
				proj := bumpSchema(t, old.Project, `"seal_of_project": "国家政务服务平台"`)
				if old.ProjectEntry != nil {
					pi = l.add(rebind(t, old.ProjectEntry.Entry, old.Project, proj))
				}
				rec := bumpSchema(t, old.Record, `"seal": {"algorithm": "SM2", "issuer": "国家政务服务平台"}, "retention_until": "2056-12-31"`)
				ri := l.add(rebind(t, old.Entry, old.Record, rec))
				got, err := VerifyReceipt(l.receipt(t, ri, rec, proj, pi), l.verifier, &content)
				if err != nil {
					t.Fatalf("the committed receipt at schema 2: %v", err)
				}
				d := got.Record
				if !d.Bound || d.Schema != 2 || d.DecodeError != "" || !strings.HasPrefix(d.String("title"), "关于东天街片区房屋征收的决定") {
					t.Fatalf("record %+v", d)
				}
				if names := d.Names("schema", "id", "version", "project", "type", "title", "doc_number", "issuer", "date",
					"disclosure", "retention", "archival_code", "pages", "format", "file_name", "content", "signatures",
					"supersedes", "actor", "filed_at"); strings.Join(names, ",") != "seal,retention_until" {
					t.Errorf("new record fields %v", names)
				}
				if p := got.Project; p == nil || p.Bound != projectBound || p.Schema != 2 ||
					p.String("department") != "长春市房屋征收经办中心" || p.String("seal_of_project") != "国家政务服务平台" {
					t.Errorf("project %+v", got.Project)
				}
				// The digests still decide: the bumped JSON under the old entry is altered.
				if _, err := VerifyReceipt(l.receipt(t, l.add(old.Entry), rec, proj, pi), l.verifier, &content); err == nil {
					t.Error("schema-2 JSON under the schema-1 entry verified")
				}
			})
		}
	}

	l := newMemLog(t)
	content := Digests{SHA256: sum("新版"), SM3: sum("sm3"), Size: 6}
	rec := `{"schema":2,"id":"cccccccccccccccccccccccccc","version":1,"project":"CC-2026-001","title":"关于征收的决定",` +
		`"seal":{"algorithm":"SM2","issuer":"国家政务服务平台"},"retention_until":"2056-12-31"}`
	ri := l.add(entryV1("cccccccccccccccccccccccccc", 1, content, rec))
	got, err := VerifyReceipt(l.receipt(t, ri, rec, "", -1), l.verifier, &content)
	if err != nil {
		t.Fatalf("newer schema: %v", err)
	}
	d := got.Record
	if !d.Bound || d.Schema != 2 || d.String("title") != "关于征收的决定" || d.DecodeError != "" {
		t.Fatalf("document %+v", d)
	}
	if names := d.Names("schema", "id", "version", "project", "title"); strings.Join(names, ",") != "seal,retention_until" {
		t.Errorf("new fields %v", names)
	}
	raw, _ := d.Get("seal")
	if f := (DocumentField{Name: "seal", Value: raw}); f.Text() != `{"algorithm":"SM2","issuer":"国家政务服务平台"}` {
		t.Errorf("seal shown as %s", f.Text())
	}
	// JSON that is not an object still verifies by its digest; it is not shown.
	odd := `["not", "an", "object"]`
	oi := l.add(entryV1("dddddddddddddddddddddddddd", 1, content, odd))
	got, err = VerifyReceipt(l.receipt(t, oi, odd, "", -1), l.verifier, &content)
	if err != nil || !got.Record.Bound || got.Record.DecodeError == "" {
		t.Fatalf("odd JSON: %v %+v", err, got.Record)
	}
}

// Receipt forms: unknown fields are ignored, an unknown form is refused as
// malformed (nothing decided), with the advice to use a newer release.
func TestParseReceiptForms(t *testing.T) {
	if r, err := ParseReceipt([]byte(`{"format":"gongshi-receipt/v1","index":3,"entry":"e","checkpoint":"c","added_later":{"x":1}}`)); err != nil || r.Index != 3 {
		t.Fatalf("unknown field: %v", err)
	}
	_, err := ParseReceipt([]byte(`{"format":"gongshi-receipt/v9","index":3}`))
	if !errors.Is(err, ErrMalformed) || !strings.Contains(err.Error(), "newer release") {
		t.Fatalf("unknown form: %v", err)
	}
}
