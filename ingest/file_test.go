package ingest

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gongshi-archive/gongshi/archive"
	"github.com/gongshi-archive/gongshi/archive/blob"
	"github.com/gongshi-archive/gongshi/archive/blob/fs"
)

var testNow = time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)

func newTestFiler(t *testing.T, num *Numbering) (*Filer, *archive.Archive, blob.Store) {
	t.Helper()
	st, err := fs.Open(t.TempDir(), fs.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	a := archive.New(st, archive.Options{Now: func() time.Time { return testNow }})
	if _, err := a.CreateProject(context.Background(), archive.Project{Code: "CC-2026-001", Name: "南关区东天街片区旧城区改建项目", City: "长春市"}); err != nil {
		t.Fatal(err)
	}
	fx := getFixtures(t)
	f := NewFiler(a, st, Options{
		Inspector: NewInspector(InspectorOptions{Roots: fx.roots, Now: func() time.Time { return testNow }}),
		Numbering: num,
		Now:       func() time.Time { return testNow },
	})
	return f, a, st
}

func decisionMeta() archive.Record {
	return archive.Record{Project: "CC-2026-001", Type: "decision", Title: "关于东天街片区房屋征收的决定",
		DocNumber: "长征补〔2026〕12号", Issuer: "长春市南关区人民政府", Date: archive.D(2026, time.March, 18)}
}

// Every fixture of the issue gets its verdict under the default policy.
func TestFixtureVerdicts(t *testing.T) {
	f, _, _ := newTestFiler(t, nil)
	fx := getFixtures(t)
	cases := []struct {
		fixture string
		want    Status
		checks  []string // "property/check/outcome" that must appear
	}{
		{"signed", StatusFiled, []string{"authenticity/signature/pass", "security/active_content/pass"}},
		{"tampered", StatusRejected, []string{"authenticity/signature/fail"}},
		{"broken_cms", StatusRejected, []string{"authenticity/signature/fail"}},
		{"incremental", StatusFiled, []string{"authenticity/signature/pass", "authenticity/signature_coverage/warn"}},
		{"unsigned", StatusFiled, []string{"authenticity/signature/warn"}},
		{"untrusted", StatusFiled, []string{"authenticity/signature/warn"}},
		{"encrypted", StatusRejected, []string{"usability/encryption/fail"}},
		{"encrypted_pw", StatusRejected, []string{"usability/encryption/fail"}},
		{"javascript", StatusRejected, []string{"security/active_content/fail", "authenticity/signature/pass"}},
		{"launch", StatusRejected, []string{"security/active_content/fail"}},
		{"attachment", StatusFiled, []string{"security/active_content/warn"}},
		{"truncated", StatusRejected, []string{"integrity/content/fail", "usability/opens/fail"}},
		// Files that are not whole fail the integrity check, whatever the parsers
		// make of them (pdfcpu rebuilds a cut file; the signature scan finds no
		// signature in it, and would call it unsigned).
		{"cut_two_thirds", StatusRejected, []string{"integrity/content/fail"}},
		{"cut_after_signature", StatusRejected, []string{"integrity/content/fail"}},
		{"no_eof", StatusRejected, []string{"integrity/content/fail"}},
		{"byte_range_past_end", StatusRejected, []string{"integrity/content/fail", "authenticity/signature/fail"}},
		{"appended_junk", StatusRejected, []string{"integrity/content/fail"}},
		{"empty", StatusRejected, []string{"integrity/content/fail", "usability/format/fail"}},
		{"not_pdf", StatusRejected, []string{"usability/format/fail"}},
		{"thousands", StatusFiled, []string{"usability/opens/pass", "authenticity/signature/pass"}},
		{"chinese_name", StatusAlreadyFiled, []string{"authenticity/signature/pass"}},
		{"spaces_name", StatusFiled, []string{"authenticity/signature/pass"}},
		{"signed_after_expiry", StatusFiled, []string{"authenticity/signature/warn"}},
	}
	for _, tc := range cases {
		t.Run(tc.fixture, func(t *testing.T) {
			meta := decisionMeta()
			if tc.fixture == "chinese_name" {
				// Same bytes and metadata as "signed" filed earlier, file name included.
				meta.FileName = "signed.pdf"
			}
			res, err := f.File(context.Background(), fx.files[tc.fixture], meta)
			if err != nil {
				t.Fatal(err)
			}
			if res.Status != tc.want {
				t.Fatalf("status %s, want %s; reasons %q", res.Status, tc.want, res.Reasons)
			}
			got := map[string]bool{}
			for _, it := range res.Report.Items {
				got[string(it.Property)+"/"+it.Check+"/"+string(it.Outcome)] = true
			}
			for _, c := range tc.checks {
				if !got[c] {
					t.Errorf("report lacks %s: %+v", c, res.Report.Items)
				}
			}
			if tc.want == StatusRejected && len(res.Reasons) == 0 {
				t.Error("rejected without a reason")
			}
			if why := incompleteWhy[tc.fixture]; why != "" && !strings.Contains(strings.Join(res.Reasons, "\n"), why) {
				t.Errorf("reasons %q lack %q", res.Reasons, why)
			}
			if tc.want == StatusFiled && (res.Record.ID == "" || len(res.Record.Report) == 0) {
				t.Errorf("filed record %+v lacks id or report", res.Record)
			}
		})
	}
}

// incompleteWhy is what the integrity check says of each file that is not whole.
var incompleteWhy = map[string]string{
	"truncated":           "完整性 Integrity: 文件不完整（被截断） — the PDF is not whole: the file does not end with the end-of-file marker %%EOF",
	"cut_two_thirds":      "the file does not end with the end-of-file marker %%EOF: it is cut short",
	"cut_after_signature": "past the end of the file",
	"no_eof":              "the file does not end with the end-of-file marker %%EOF",
	"byte_range_past_end": "has a /ByteRange [0 ",
	"appended_junk":       "bytes after the last end-of-file marker %%EOF are not part of the PDF",
}

// A rejection stores nothing and lists every reason at once.
func TestRejectionStoresNothingAndSaysEverything(t *testing.T) {
	f, _, st := newTestFiler(t, nil)
	fx := getFixtures(t)
	meta := decisionMeta()
	meta.DocNumber = "长征补2026第12号" // malformed
	meta.Title = ""                // missing
	res, err := f.File(context.Background(), fx.files["javascript"], meta)
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != StatusRejected || len(res.Reasons) < 3 {
		t.Fatalf("status %s, reasons %q: want a rejection with at least three reasons", res.Status, res.Reasons)
	}
	all := strings.Join(res.Reasons, "\n")
	for _, w := range []string{"doc_number", "title", "JavaScript"} {
		if !strings.Contains(all, w) {
			t.Errorf("reasons lack %q:\n%s", w, all)
		}
	}
	n := 0
	st.List(context.Background(), "", "", func(info blob.Info) error {
		if !strings.HasPrefix(info.Key, "projects/") {
			n++
			t.Errorf("stored %s", info.Key)
		}
		return nil
	})
}

// Per-type policy: a type that requires signatures rejects an unsigned file.
func TestPolicyPerType(t *testing.T) {
	f, _, _ := newTestFiler(t, nil)
	f.pol.Types = map[string]Policy{"decision": {Unsigned: Fail}}
	res, err := f.File(context.Background(), getFixtures(t).files["unsigned"], decisionMeta())
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != StatusRejected {
		t.Fatalf("status %s, want rejected", res.Status)
	}
}

// Archival codes: assigned in order without gaps by concurrent workers, and a
// re-run of the same filings reuses their numbers.
func TestNumberingNoGaps(t *testing.T) {
	f, _, st := newTestFiler(t, &Numbering{Fonds: "Z109", Category: "WS", Department: "CQ01"})
	fx := getFixtures(t)
	files := []string{"signed", "incremental", "unsigned", "untrusted", "thousands", "attachment"}
	run := func(f *Filer) map[string]string {
		var mu sync.Mutex
		codes := map[string]string{}
		var wg sync.WaitGroup
		for _, name := range files {
			wg.Go(func() {
				res, err := f.File(context.Background(), fx.files[name], decisionMeta())
				if err != nil || (res.Status != StatusFiled && res.Status != StatusAlreadyFiled) {
					t.Errorf("%s: %v %s %q", name, err, res.Status, res.Reasons)
					return
				}
				mu.Lock()
				codes[name] = res.Record.ArchivalCode
				mu.Unlock()
			})
		}
		wg.Wait()
		return codes
	}
	first := run(f)
	seen := map[string]bool{}
	for _, c := range first {
		seen[c] = true
	}
	for i := 1; i <= len(files); i++ {
		want := archive.ArchivalCode{Fonds: "Z109", Category: "WS", Year: 2026, Retention: archive.Permanent, Department: "CQ01", Item: i}.String()
		if !seen[want] {
			t.Errorf("no filing has %s: %v", want, first)
		}
	}
	// A new Filer (a new process) over the same store: every filing is already
	// filed with its number.
	again := NewFiler(f.a, st, Options{Inspector: f.in, Numbering: &Numbering{Fonds: "Z109", Category: "WS", Department: "CQ01"}, Now: f.now})
	second := run(again)
	for k, v := range first {
		if second[k] != v {
			t.Errorf("%s: re-run got %s, first run %s", k, second[k], v)
		}
	}
}

// Holes left by an interrupted run (a claim lost in flight while a later one
// was stored) are handed out first.
func TestNumberingFillsHoles(t *testing.T) {
	ctx := context.Background()
	st, err := fs.Open(t.TempDir(), fs.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	nb := newNumberer(st, Numbering{Fonds: "Z109", Category: "WS"})
	prefix := nb.classPrefix(2026, archive.Permanent)
	for _, item := range []string{"0001", "0002", "0004"} {
		if _, err := st.Put(ctx, prefix+item, strings.NewReader("filing-"+item), blob.PutOptions{Size: int64(len("filing-" + item))}); err != nil {
			t.Fatal(err)
		}
	}
	want := map[string]string{"new-a": "Z109-WS·2026-Y-0003", "new-b": "Z109-WS·2026-Y-0005", "filing-0002": "Z109-WS·2026-Y-0002"}
	for _, id := range []string{"new-a", "new-b", "filing-0002", "new-a"} {
		got, err := nb.assign(ctx, id, 2026, archive.Permanent)
		if err != nil || got != want[id] {
			t.Errorf("assign(%s) = %s, %v; want %s", id, got, err, want[id])
		}
	}
}
