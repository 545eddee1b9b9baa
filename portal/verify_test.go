package portal

import (
	"bytes"
	"encoding/json"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gongshi-archive/gongshi/archive"
)

// upload posts the verify form with the given parts (field name → file bytes).
func (f *fixture) upload(path string, parts map[string]string) *httptest.ResponseRecorder {
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	for name, content := range parts {
		w, _ := mw.CreateFormFile(name, name+".bin")
		w.Write([]byte(content))
	}
	mw.Close()
	req := httptest.NewRequest(http.MethodPost, path, &b)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	return f.do(req)
}

func TestVerifyUploadWithoutJavaScript(t *testing.T) {
	f := newFixture(t)
	f.project("CC-2026-001", "东天街片区", "长春市", "南关区")
	pub := f.file(archive.Record{Project: "CC-2026-001", Type: "decision", Title: "东天街征收决定"}, "%PDF public bytes")
	hidden := f.file(archive.Record{Project: "CC-2026-001", Type: "appraisal_report", Title: "CANARY分户评估", Household: "9"}, "%PDF household bytes")
	f.refresh()
	w := f.upload("/verify", map[string]string{"file": "%PDF public bytes"})
	if w.Code != 200 || !strings.Contains(w.Body.String(), "核验通过") || !strings.Contains(w.Body.String(), "东天街征收决定") ||
		!strings.Contains(w.Body.String(), pub.Content.SM3.String()) {
		t.Fatalf("verify a public file: %d\n%s", w.Code, w.Body.String())
	}
	changed := f.upload("/verify", map[string]string{"file": "%PDF public bytez"})
	if !strings.Contains(changed.Body.String(), "没有找到这份文件") {
		t.Fatal("a changed file is not reported as not found")
	}
	// The household's file answers exactly as the changed (unknown) file does,
	// but for its own digests.
	got := f.upload("/verify", map[string]string{"file": "%PDF household bytes"})
	changed = f.upload("/verify", map[string]string{"file": "%PDF household bytez"}) // same size
	strip := func(s string, d archive.Digests) string {
		s = strings.ReplaceAll(s, d.SHA256.String(), "SHA")
		return strings.ReplaceAll(s, d.SM3.String(), "SM3")
	}
	cd, _ := archive.DigestReader(f.ctx, strings.NewReader("%PDF household bytez"))
	if strip(got.Body.String(), hidden.Content) != strip(changed.Body.String(), cd) {
		t.Fatal("a household's file answers otherwise than an unknown file")
	}
	if w := f.upload("/verify", map[string]string{}); w.Code != 400 {
		t.Fatalf("empty form: %d", w.Code)
	}
	if w := f.upload("/en/verify", map[string]string{"file": "%PDF public bytes"}); !strings.Contains(w.Body.String(), "Verified") {
		t.Fatal("the English form answers in another language")
	}
}

func TestVerifyUploadLimit(t *testing.T) {
	f := newFixture(t, func(o *Options) { o.MaxUpload = 1000 })
	f.refresh()
	w := f.upload("/verify", map[string]string{"file": strings.Repeat("x", 5000)})
	if w.Code != http.StatusRequestEntityTooLarge {
		t.Fatalf("5000 bytes over a 1000-byte upload limit: %d", w.Code)
	}
}

func TestVerifyReceiptUpload(t *testing.T) {
	f := newFixture(t)
	f.project("CC-2026-001", "东天街片区", "长春市", "南关区")
	pub := f.file(archive.Record{Project: "CC-2026-001", Type: "decision", Title: "东天街征收决定"}, "%PDF receipt check")
	f.refresh()
	rcpt := f.get("/records/" + pub.ID + "/receipt").Body.String()
	if w := f.upload("/verify", map[string]string{"receipt": rcpt, "file": "%PDF receipt check"}); !strings.Contains(w.Body.String(), "核验通过") {
		t.Fatalf("receipt and file: not verified\n%s", w.Body.String())
	}
	if w := f.upload("/verify", map[string]string{"receipt": rcpt, "file": "%PDF another file"}); !strings.Contains(w.Body.String(), "核验没有通过") {
		t.Fatal("receipt with another file: verified")
	}
	forged := strings.Replace(rcpt, `"index": 0`, `"index": 1`, 1)
	if w := f.upload("/verify", map[string]string{"receipt": forged}); !strings.Contains(w.Body.String(), "核验没有通过") {
		t.Fatal("a forged receipt: verified")
	}
	if w := f.upload("/verify", map[string]string{"receipt": "not json"}); w.Code != 400 {
		t.Fatalf("not a receipt: %d", w.Code)
	}
}

func TestVerifyLookupForTheScript(t *testing.T) {
	f := newFixture(t)
	f.project("CC-2026-001", "东天街片区", "长春市", "南关区")
	pub := f.file(archive.Record{Project: "CC-2026-001", Type: "decision", Title: "东天街征收决定"}, "%PDF lookup")
	hidden := f.file(archive.Record{Project: "CC-2026-001", Type: "funding_proof", Title: "资金证明"}, "%PDF restricted")
	f.refresh()
	var got struct {
		Matches []verifyMatch `json:"matches"`
	}
	w := f.get("/verify/sha256/" + pub.Content.SHA256.String())
	if err := json.Unmarshal(w.Body.Bytes(), &got); err != nil || len(got.Matches) != 1 || got.Matches[0].Record != pub.ID ||
		got.Matches[0].Receipt.Entry == "" || len(got.Matches[0].Receipt.Proof) != 0 && got.Matches[0].Receipt.Index < 0 {
		t.Fatalf("lookup of a public file: %v %s", err, w.Body.String())
	}
	unknown := strings.Repeat("0", 64)
	a := f.get("/verify/sha256/" + hidden.Content.SHA256.String()).Body.String()
	b := f.get("/verify/sha256/" + unknown).Body.String()
	if strings.ReplaceAll(a, hidden.Content.SHA256.String(), "H") != strings.ReplaceAll(b, unknown, "H") {
		t.Fatalf("a restricted file answers otherwise than an unknown one:\n%s\n%s", a, b)
	}
	if w := f.get("/verify/sha256/XYZ"); w.Code != 400 {
		t.Fatalf("bad hash: %d", w.Code)
	}
}
