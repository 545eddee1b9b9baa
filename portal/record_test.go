package portal

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"golang.org/x/mod/sumdb/note"

	"github.com/gongshi-archive/gongshi/archive"
	"github.com/gongshi-archive/gongshi/archive/ledger"
	"github.com/gongshi-archive/gongshi/archive/ledger/proof"
)

// pageShape is a page with the record id in its address taken out, so that two
// answers for two ids compare equal when they say the same thing.
func pageShape(body, id string) string { return strings.ReplaceAll(body, id, "ID") }

func TestRecordPage(t *testing.T) {
	f := newFixture(t)
	f.project("CC-2026-001", "东天街片区旧城区改建项目", "长春市", "南关区")
	pub := f.file(archive.Record{Project: "CC-2026-001", Type: "decision", Title: "关于东天街片区房屋征收的决定",
		Abstract: "征收范围为东天街以南"}, "%PDF decision bytes")
	f.refresh()
	body := f.mustGet("/records/"+pub.ID, 200)
	for _, want := range []string{"关于东天街片区房屋征收的决定", pub.DocNumber, "征收决定", "东天街片区旧城区改建项目",
		chunkHex(pub.Content.SHA256), chunkHex(pub.Content.SM3), "/records/" + pub.ID + "/file",
		"/records/" + pub.ID + "/receipt", "征收范围为东天街以南", "没有电子签名", "/verify"} {
		if !strings.Contains(body, want) {
			t.Errorf("record page lacks %q", want)
		}
	}
	en := f.mustGet("/en/records/"+pub.ID, 200)
	if !strings.Contains(en, "Expropriation decision") || !strings.Contains(en, "Download the file") {
		t.Error("English record page is not in English")
	}
	w := f.get("/records/" + pub.ID + "/file")
	if w.Code != 200 || w.Body.String() != "%PDF decision bytes" || !strings.Contains(w.Header().Get("Content-Disposition"), "attachment") {
		t.Fatalf("download: %d %q %q", w.Code, w.Body.String(), w.Header().Get("Content-Disposition"))
	}
	if w := f.get("/records/"+pub.ID+"/file", "If-None-Match", w.Header().Get("ETag")); w.Code != http.StatusNotModified {
		t.Fatalf("download with its ETag: %d", w.Code)
	}
}

// The receipt the portal hands out verifies offline with the published key and
// the downloaded file, as `gongshi verify FILE --receipt R` does.
func TestRecordReceiptVerifiesOffline(t *testing.T) {
	f := newFixture(t)
	f.project("CC-2026-001", "东天街片区", "长春市", "南关区")
	pub := f.file(archive.Record{Project: "CC-2026-001", Type: "decision", Title: "征收决定"}, "%PDF receipt bytes")
	f.refresh()
	w := f.get("/records/" + pub.ID + "/receipt")
	if w.Code != 200 {
		t.Fatalf("receipt: %d %s", w.Code, w.Body.String())
	}
	r, err := ledger.ParseReceipt(w.Body.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	v, err := note.NewVerifier(f.key.VerifierKey)
	if err != nil {
		t.Fatal(err)
	}
	d := pub.Content
	got, err := proof.VerifyReceipt(r, v, ledger.ProofDigests(&d))
	if err != nil {
		t.Fatalf("the portal's receipt does not verify: %v", err)
	}
	if got.Record == nil || got.Record.String("id") != pub.ID || got.Project == nil || got.Project.String("code") != "CC-2026-001" {
		t.Fatalf("receipt names %+v", got)
	}
}

// A record the visitor may not see answers exactly as one that does not exist:
// same status, same page, for the page, its file and its receipt.
func TestHiddenRecordAnswersAsAbsent(t *testing.T) {
	f := newFixture(t)
	f.project("CC-2026-001", "东天街片区", "长春市", "南关区")
	hidden := map[string]archive.Record{
		"household":  f.file(archive.Record{Project: "CC-2026-001", Type: "appraisal_report", Title: "分户评估报告", Household: "A-101"}, "hh"),
		"restricted": f.file(archive.Record{Project: "CC-2026-001", Type: "funding_proof", Title: "资金证明"}, "rs"),
		"area":       f.file(archive.Record{Project: "CC-2026-001", Type: "survey_result", Title: "调查结果", Household: "A-101"}, "ar"),
	}
	f.refresh()
	absent := "aaaaaaaaaaaaaaaaaaaaaaaaaa"
	for _, suffix := range []string{"", "/file", "/receipt"} {
		want := f.get("/records/" + absent + suffix)
		if want.Code != 404 {
			t.Fatalf("absent record%s: %d", suffix, want.Code)
		}
		for name, r := range hidden {
			got := f.get("/records/" + r.ID + suffix)
			if got.Code != want.Code || pageShape(got.Body.String(), r.ID) != pageShape(want.Body.String(), absent) {
				t.Errorf("%s record%s: %d, answers otherwise than an absent one", name, suffix, got.Code)
			}
			if strings.Contains(got.Body.String(), r.Title) {
				t.Errorf("%s record%s: the answer holds its title", name, suffix)
			}
		}
	}
	for _, bad := range []string{"short", "AAAAAAAAAAAAAAAAAAAAAAAAAA", "..%2f..%2fetc", strings.Repeat("a", 300)} {
		if w := f.get("/records/" + bad); w.Code != 404 {
			t.Errorf("record id %q: %d, want 404", bad, w.Code)
		}
	}
}

// An on-request record shows its catalogue entry to anyone, never its content.
func TestOnRequestRecordShowsCatalogueOnly(t *testing.T) {
	f := newFixture(t)
	f.project("CC-2026-001", "东天街片区", "长春市", "南关区")
	r := f.file(archive.Record{Project: "CC-2026-001", Type: "risk_assessment", Title: "社会稳定风险评估报告",
		Abstract: "CANARY-ABSTRACT"}, "risk bytes")
	f.refresh()
	body := f.mustGet("/records/"+r.ID, 200)
	if !strings.Contains(body, "社会稳定风险评估报告") || !strings.Contains(body, "依申请公开") {
		t.Error("on-request record page lacks its catalogue entry")
	}
	for _, secret := range []string{"CANARY-ABSTRACT", r.Content.SHA256.String()[:8], "/file", "/receipt"} {
		if strings.Contains(body, secret) {
			t.Errorf("on-request record page shows content: %q", secret)
		}
	}
	if f.get("/records/"+r.ID+"/file").Code != 404 || f.get("/records/"+r.ID+"/receipt").Code != 404 {
		t.Error("on-request content is downloadable")
	}
}

func TestSignatureAndReportShownInPlainWords(t *testing.T) {
	f := newFixture(t)
	f.project("CC-2026-001", "东天街片区", "长春市", "南关区")
	sigs, _ := json.Marshal([]map[string]any{{"signer": "长春市房屋征收经办中心", "issuer": "吉林省电子政务根证书",
		"verdict": "valid", "covers_whole_file": true, "signing_time": "2026-03-18T01:30:00Z"}})
	rep, _ := json.Marshal(map[string]any{"standard": "DA/T 70-2018", "stage": "filing", "verdict": "accepted",
		"items": []map[string]string{{"property": "authenticity", "check": "signature", "outcome": "pass", "reason": "x"},
			{"property": "security", "check": "js", "outcome": "warn", "reason": "y"}}})
	r := f.file(archive.Record{Project: "CC-2026-001", Type: "decision", Title: "征收决定", Signatures: sigs, Report: rep}, "signed")
	f.refresh()
	body := f.mustGet("/records/"+r.ID, 200)
	for _, want := range []string{"签名有效：文件签署后没有被改动", "长春市房屋征收经办中心", "真实性", "安全性", "警告", "通过"} {
		if !strings.Contains(body, want) {
			t.Errorf("record page lacks %q", want)
		}
	}
}

// A public copy is published in its original's place: the public reads and
// downloads the copy, never the original of a record its class hides, and a
// copy of a hidden original does not name it.
func TestPublicCopies(t *testing.T) {
	staff := AuthenticatorFunc(func(r *http.Request) (Viewer, bool, error) {
		if r.Header.Get("X-Test-Staff") == "1" {
			return Viewer{Kind: ViewerStaff, Account: "a", Roles: []archive.Role{archive.RoleArchivist}}, true, nil
		}
		return Viewer{}, false, nil
	})
	f := newFixture(t, func(o *Options) { o.Authenticators = []Authenticator{staff} })
	f.project("CC-2026-001", "东天街片区", "长春市", "南关区")
	hidden := f.file(archive.Record{Project: "CC-2026-001", Type: "survey_result", Title: "CANARY调查结果张三", Household: "A-1"}, "CANARY original with names")
	hcopy := f.file(archive.Record{Project: "CC-2026-001", Type: "survey_result", Title: "调查登记结果（公开版本）", PublicCopyOf: hidden.ID}, "redacted survey")
	if hcopy.Disclosure != archive.Public {
		t.Fatalf("a public copy is filed as %q", hcopy.Disclosure)
	}
	pub := f.file(archive.Record{Project: "CC-2026-001", Type: "decision", Title: "征收决定（含附件名单）"}, "CANARY decision with a list of names")
	pcopy := f.file(archive.Record{Project: "CC-2026-001", Type: "decision", Title: "征收决定（公开版本）", PublicCopyOf: pub.ID}, "decision, list removed")
	f.refresh()

	body := f.mustGet("/records/"+hcopy.ID, 200)
	if !strings.Contains(body, "这是公开版本") || strings.Contains(body, "CANARY") || strings.Contains(body, hidden.ID) {
		t.Errorf("the copy of a hidden original: note missing, or it names the original")
	}
	if f.get("/records/"+hidden.ID).Code != 404 {
		t.Error("the hidden original is shown")
	}
	if body := f.mustGet("/search?q=调查", 200); !strings.Contains(body, "调查登记结果（公开版本）") || strings.Contains(body, "CANARY") {
		t.Error("search: the copy is not found, or the original is")
	}
	// A public original with a copy: its page and its download give the copy.
	body = f.mustGet("/records/"+pub.ID, 200)
	if !strings.Contains(body, "下载公开版本") || !strings.Contains(body, `href="/records/`+pcopy.ID+`/file"`) {
		t.Error("the original's page does not offer the public copy")
	}
	// Its fingerprints are the original's: the page says so, and where the
	// copy's are, so that nobody compares the copy with the original's.
	if !strings.Contains(body, "都属于原件") || strings.Contains(body, chunkHex(pcopy.Content.SHA256)) {
		t.Error("the original's page does not say its fingerprints are not the copy's")
	}
	if staffBody := f.get("/records/"+pub.ID, "X-Test-Staff", "1").Body.String(); strings.Contains(staffBody, "都属于原件") {
		t.Error("staff, who download the original, are told the fingerprints are not of their download")
	}
	w := f.get("/records/" + pub.ID + "/file")
	if w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/records/"+pcopy.ID+"/file" {
		t.Fatalf("the original's download: %d %q, want a redirect to the copy", w.Code, w.Header().Get("Location"))
	}
	if got := f.get("/records/" + pcopy.ID + "/file").Body.String(); got != "decision, list removed" {
		t.Fatalf("the copy's download: %q", got)
	}
	// Staff get the original.
	if got := f.get("/records/"+pub.ID+"/file", "X-Test-Staff", "1").Body.String(); got != "CANARY decision with a list of names" {
		t.Fatalf("staff download of the original: %q", got)
	}
}
