package ingest

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/gongshi-archive/gongshi/archive"
)

// reportChecks lists a report's items as "property/check/outcome".
func reportChecks(r *Report) []string {
	var out []string
	for _, it := range r.Items {
		out = append(out, string(it.Property)+"/"+it.Check+"/"+string(it.Outcome))
	}
	return out
}

// A missing mandatory field is an integrity failure and a wrong value an
// authenticity one, decided by the validator's mark, not by the words of the
// message: a value that says "required for" is still a wrong value.
func TestCheckMandatoryAgainstWrong(t *testing.T) {
	f, _, _ := newTestFiler(t, nil)
	fx := getFixtures(t)
	for _, tc := range []struct {
		name       string
		change     func(m *archive.Record)
		want, lack string
	}{
		{"issuer missing", func(m *archive.Record) { m.Issuer = "" }, "integrity/mandatory_fields/fail", "authenticity/metadata/fail"},
		{"文号 that speaks of requirement", func(m *archive.Record) { m.DocNumber = "第12号 required for" }, "authenticity/metadata/fail", "integrity/mandatory_fields/fail"},
		{"project that speaks of requirement", func(m *archive.Record) { m.Project = "x required when" }, "authenticity/metadata/fail", "integrity/mandatory_fields/fail"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			meta := decisionMeta()
			tc.change(&meta)
			res, err := f.File(context.Background(), fx.files["signed"], meta)
			if err != nil {
				t.Fatal(err)
			}
			if res.Report == nil {
				t.Fatalf("no report: %s %q", res.Status, res.Reasons)
			}
			got := reportChecks(res.Report)
			if !slices.Contains(got, tc.want) || slices.Contains(got, tc.lack) {
				t.Errorf("report %v: want %s and no %s", got, tc.want, tc.lack)
			}
		})
	}
}

// A policy file says accept, warn or reject; each reads as the outcome it gives,
// what it leaves out keeps the default, and any other word is refused, in the
// default as in a type.
func TestLoadPolicies(t *testing.T) {
	write := func(s string) string {
		p := filepath.Join(t.TempDir(), "policy.json")
		if err := os.WriteFile(p, []byte(s), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	p, err := LoadPolicies(write(`{"default": {"embedded_file": "reject", "untrusted_signature": "accept"},
		"types": {"decision": {"unsigned": "reject"}, "notice": {"javascript": "warn"}}}`))
	if err != nil {
		t.Fatal(err)
	}
	want := DefaultPolicy()
	want.EmbeddedFile, want.UntrustedSignature = Fail, Pass
	if p.Default != want {
		t.Errorf("default %+v, want %+v", p.Default, want)
	}
	dec := want
	dec.Unsigned = Fail
	if got := p.For("decision"); got != dec {
		t.Errorf("decision %+v, want %+v", got, dec)
	}
	notice := want
	notice.JavaScript = Warn
	if got := p.For("notice"); got != notice {
		t.Errorf("notice %+v, want %+v", got, notice)
	}
	if got := p.For("agreement"); got != want {
		t.Errorf("a type without overrides: %+v, want the default %+v", got, want)
	}
	for _, bad := range []string{
		`{"default": {"unsigned": "refuse"}}`,
		`{"types": {"decision": {"launch": "allow"}}}`,
	} {
		if _, err := LoadPolicies(write(bad)); err == nil {
			t.Errorf("%s: loaded, want an error", bad)
		}
	}
}

// A report as stored in records filed before (the words pass, warn, fail and
// accepted, rejected) reads back with the same meaning and is written back in
// the same words.
func TestStoredReportReads(t *testing.T) {
	stored := `{"standard":"DA/T 70-2018","stage":"归档 filing","verdict":"accepted","items":[` +
		`{"property":"authenticity","check":"signature","outcome":"warn","reason":"无电子签名 — the document carries no digital signature"},` +
		`{"property":"integrity","check":"content","outcome":"pass","reason":"内容完整 — content present, 5922 bytes"}],` +
		`"checked_at":"2026-11-27T05:59:18Z"}`
	var r Report
	if err := json.Unmarshal([]byte(stored), &r); err != nil {
		t.Fatal(err)
	}
	if r.Verdict != Accepted || r.Rejected() || len(r.Warnings()) != 1 || len(r.Failures()) != 0 {
		t.Errorf("read %+v: want accepted with one warning", r)
	}
	b, err := json.Marshal(&r)
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != stored {
		t.Errorf("written back as\n%s\nwant\n%s", b, stored)
	}
}
