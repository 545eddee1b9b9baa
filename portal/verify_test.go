package portal

import (
	"bytes"
	"encoding/json"
	"fmt"
	"html"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gongshi-archive/gongshi/archive"
	"github.com/gongshi-archive/gongshi/archive/blob"
	"github.com/gongshi-archive/gongshi/archive/ledger/proof"
	"github.com/gongshi-archive/gongshi/internal/storetest"
	"github.com/gongshi-archive/gongshi/verify"
)

// upload posts the verify form with the given parts (field name → file bytes).
func (f *fixture) upload(path string, parts map[string]string) *httptest.ResponseRecorder {
	return f.do(uploadRequest(path, parts))
}

func uploadRequest(path string, parts map[string]string) *http.Request {
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	for name, content := range parts {
		w, _ := mw.CreateFormFile(name, name+".bin")
		w.Write([]byte(content))
	}
	mw.Close()
	req := httptest.NewRequest(http.MethodPost, path, &b)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	return req
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

// markerKey is the content marker of rec; byRecordKey its ledger lookup key.
func (f *fixture) markerKey(rec archive.Record) string {
	return archive.ContentMarkerKey(rec.Content.SHA256, rec.ID)
}

func (f *fixture) byRecordKey(t *testing.T, rec archive.Record) string {
	t.Helper()
	var keys []string
	prefix := fmt.Sprintf("ledger/by-record/%s/%s.%06d.", rec.ID[:2], rec.ID, rec.Version)
	if err := f.store.List(f.ctx, prefix, "", func(i blob.Info) error { keys = append(keys, i.Key); return nil }); err != nil || len(keys) != 1 {
		t.Fatalf("by-record keys of %s: %v %v", rec.ID, keys, err)
	}
	return keys[0]
}

// lookup is the JSON the verify page's script reads.
type lookupAnswer struct {
	SHA256   string `json:"sha256"`
	Verified bool   `json:"verified"`
	Reasons  []struct {
		Code   string
		En, Zh string
	} `json:"reasons"`
	Matches []struct {
		Record   string         `json:"record"`
		Version  int            `json:"version"`
		Title    string         `json:"title"`
		Verified bool           `json:"verified"`
		Receipt  *proof.Receipt `json:"receipt"`
		Reason   *struct {
			Code   string
			En, Zh string
		} `json:"reason"`
	} `json:"matches"`
}

func (f *fixture) lookup(t *testing.T, h archive.Hash, headers ...string) (lookupAnswer, *httptest.ResponseRecorder) {
	t.Helper()
	w := f.get("/verify/sha256/"+h.String(), headers...)
	var a lookupAnswer
	if w.Code == 200 {
		if err := json.Unmarshal(w.Body.Bytes(), &a); err != nil {
			t.Fatalf("lookup of %s: %v\n%s", h, err, w.Body.String())
		}
	}
	return a, w
}

var staffHeader = []string{"X-Test-Staff", "1"}

func withTestStaff(o *Options) {
	o.Authenticators = []Authenticator{AuthenticatorFunc(func(r *http.Request) (Viewer, bool, error) {
		if r.Header.Get("X-Test-Staff") == "1" {
			return Viewer{Kind: ViewerStaff, Account: "a", Roles: []archive.Role{archive.RoleInspector}}, true, nil
		}
		return Viewer{}, false, nil
	})}
}

// Derived objects never decide a verdict on the page: with its content marker
// and its ledger lookup key deleted, a genuine file still verifies in the page's
// JSON (with a receipt that verifies offline) and on the upload fallback; a
// forged marker naming another record is ignored, and one naming a genuine
// record for content nobody filed changes nothing. On both backends.
func TestVerifyDamagedLookups(t *testing.T) {
	for _, b := range storetest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			f := newFixtureOnBackend(t, b, withTestStaff)
			f.project("CC-2026-001", "东天街片区", "长春市", "南关区")
			pub := f.file(archive.Record{Project: "CC-2026-001", Type: "decision", Title: "东天街征收决定"}, "%PDF genuine decision")
			other := f.file(archive.Record{Project: "CC-2026-001", Type: "decision", Title: "另一份决定"}, "%PDF another decision")
			f.refresh()
			f.raw.Remove(t, f.markerKey(pub))
			f.raw.Remove(t, f.byRecordKey(t, pub))
			if err := f.arch.PutContentMarker(f.ctx, pub.Content.SHA256, other.ID); err != nil { // forged: other's content differs
				t.Fatal(err)
			}
			unknown, _ := archive.DigestReader(f.ctx, strings.NewReader("%PDF genuine decisioN"))
			if err := f.arch.PutContentMarker(f.ctx, unknown.SHA256, pub.ID); err != nil { // forged: names a genuine record
				t.Fatal(err)
			}

			a, w := f.lookup(t, pub.Content.SHA256)
			if w.Code != 200 || !a.Verified || len(a.Matches) != 1 || a.Matches[0].Record != pub.ID || !a.Matches[0].Verified ||
				a.Matches[0].Title != "东天街征收决定" || a.Matches[0].Receipt == nil {
				t.Fatalf("lookup of the genuine file: %d\n%s", w.Code, w.Body.String())
			}
			if off, err := verify.Offline(*a.Matches[0].Receipt, f.key.Verifier, pub.Content); err != nil || !off.Verified || !off.Matches[0].ProjectBound {
				t.Fatalf("the receipt it handed out, offline: %v %+v", err, off)
			}
			page := f.upload("/verify", map[string]string{"file": "%PDF genuine decision"}).Body.String()
			if !strings.Contains(page, "核验通过") || !strings.Contains(page, "东天街征收决定") || strings.Contains(page, "另一份决定") {
				t.Fatalf("upload of the genuine file:\n%s", page)
			}
			if strings.Contains(page, "文件指纹索引") {
				t.Error("the public is shown the damaged lookups")
			}
			// Staff (inspectors) see what was found damaged.
			req := uploadRequest("/verify", map[string]string{"file": "%PDF genuine decision"})
			req.Header.Set("X-Test-Staff", "1")
			staff := f.do(req).Body.String()
			if !strings.Contains(staff, "核验通过") || !strings.Contains(staff, "文件指纹索引 · 缺失 · "+pub.ID) ||
				!strings.Contains(staff, "账本记录索引 · 缺失 · "+pub.ID) || !strings.Contains(staff, "文件指纹索引 · 被伪造 · "+other.ID) {
				t.Errorf("staff upload does not name the damage:\n%s", staff)
			}

			a, w = f.lookup(t, unknown.SHA256)
			if w.Code != 200 || a.Verified || len(a.Matches) != 0 || len(a.Reasons) != 1 || a.Reasons[0].Code != "no_record" {
				t.Fatalf("content nobody filed, with a forged marker: %d %s", w.Code, w.Body.String())
			}
			if page := f.upload("/verify", map[string]string{"file": "%PDF genuine decisioN"}).Body.String(); !strings.Contains(page, "没有找到这份文件") ||
				strings.Contains(page, "东天街征收决定") {
				t.Fatalf("upload of content nobody filed:\n%s", page)
			}
		})
	}
}

// Why a file did not verify is said in the visitor's language: a record
// version altered in the store does not verify, with the ledger's reason.
func TestVerifyReasonsInBothLanguages(t *testing.T) {
	f := newFixture(t)
	f.project("CC-2026-001", "东天街片区", "长春市", "南关区")
	rec := f.file(archive.Record{Project: "CC-2026-001", Type: "decision", Title: "东天街征收决定"}, "%PDF altered record")
	f.refresh()
	js, _ := archive.EncodeRecord(rec)
	f.raw.Overwrite(t, archive.RecordVersionKey(rec.ID, 1), bytes.Replace(js, []byte("东天街征收决定"), []byte("西天街征收决定"), 1))
	zh := f.upload("/verify", map[string]string{"file": "%PDF altered record"}).Body.String()
	en := f.upload("/en/verify", map[string]string{"file": "%PDF altered record"}).Body.String()
	a, _ := f.lookup(t, rec.Content.SHA256)
	if a.Verified || len(a.Matches) != 1 || a.Matches[0].Verified || a.Matches[0].Reason == nil ||
		a.Matches[0].Reason.Code != string(proof.RecordAltered) || a.Matches[0].Receipt != nil {
		t.Fatalf("lookup of an altered record: %+v", a)
	}
	if !strings.Contains(zh, "核验没有通过") || !strings.Contains(zh, a.Matches[0].Reason.Zh) || strings.Contains(zh, a.Matches[0].Reason.En) {
		t.Errorf("Chinese page: want %q\n%s", a.Matches[0].Reason.Zh, zh)
	}
	if !strings.Contains(en, "Not verified") || !strings.Contains(en, html.EscapeString(a.Matches[0].Reason.En)) {
		t.Errorf("English page: want %q\n%s", a.Matches[0].Reason.En, en)
	}
	if a.Matches[0].Reason.Zh == a.Matches[0].Reason.En || a.Matches[0].Reason.Zh == "" {
		t.Errorf("the reason in Chinese %q, in English %q", a.Matches[0].Reason.Zh, a.Matches[0].Reason.En)
	}
	// First what it means, in words a reader without the technical terms
	// understands; the technical reason folded beneath.
	if !strings.Contains(zh, "登记信息（标题、日期等）在记入账本后被改动过") || !strings.Contains(zh, "<summary>技术细节</summary>") {
		t.Errorf("the Chinese page does not say in plain words what the reason means:\n%s", zh)
	}
	if !strings.Contains(en, "was changed after it was entered in the ledger") || !strings.Contains(en, "<summary>Technical details</summary>") {
		t.Errorf("the English page does not say in plain words what the reason means:\n%s", en)
	}
	// The page's script has the same words for every reason it may be given.
	for _, c := range plainCodes {
		if !strings.Contains(zh, `data-k="why_`+string(c)+`"`) {
			t.Errorf("the page's script has no words for %s", c)
		}
	}
}

// A verification the verify package cannot settle now is "try again later":
// 503 with Retry-After, on the page and in the JSON, never "not verified".
func TestVerifyBusy(t *testing.T) {
	f := newFixture(t)
	f.project("CC-2026-001", "东天街片区", "长春市", "南关区")
	rec := f.file(archive.Record{Project: "CC-2026-001", Type: "decision", Title: "东天街征收决定"}, "%PDF busy")
	if err := f.idx.Refresh(f.ctx); err != nil { // the content index has not read the ledger
		t.Fatal(err)
	}
	f.raw.Remove(t, f.markerKey(rec))
	for _, path := range []string{"/verify", "/en/verify"} {
		w := f.upload(path, map[string]string{"file": "%PDF busy"})
		if w.Code != http.StatusServiceUnavailable || w.Header().Get("Retry-After") == "" ||
			strings.Contains(w.Body.String(), "没有找到") || strings.Contains(w.Body.String(), "not found") {
			t.Fatalf("%s while busy: %d %v\n%s", path, w.Code, w.Header(), w.Body.String())
		}
		if path == "/verify" && !strings.Contains(w.Body.String(), "请过一分钟再试") {
			t.Errorf("the busy page does not say to try again:\n%s", w.Body.String())
		}
	}
	_, w := f.lookup(t, rec.Content.SHA256, "Accept", "application/json")
	if w.Code != http.StatusServiceUnavailable || w.Header().Get("Retry-After") == "" || !strings.Contains(w.Body.String(), "再试") {
		t.Fatalf("lookup while busy: %d %v %s", w.Code, w.Header(), w.Body.String())
	}
	f.refresh()
	if a, _ := f.lookup(t, rec.Content.SHA256); !a.Verified {
		t.Fatalf("once the index has read the ledger: %+v", a)
	}
}

// A disposed record's file still verifies — the ledger proves it was filed —
// and the page says it was disposed of: on which list, approved when and by
// which account (an opaque id), never the destruction register (a restricted
// record), and without a link to a page the record no longer has. A disposed
// record the visitor could not see before answers as a file nobody filed.
func TestVerifyDisposedRecord(t *testing.T) {
	f := newFixture(t)
	f.project("CC-2026-001", "东天街片区", "长春市", "南关区")
	pub := f.file(archive.Record{Project: "CC-2026-001", Type: "decision", Title: "东天街征收决定"}, "%PDF disposed decision")
	hh := f.file(archive.Record{Project: "CC-2026-001", Type: "appraisal_report", Title: "CANARY分户评估", Household: "9"}, "%PDF disposed household")
	// The other classes the public may not read: area, on request (its
	// catalogue entry is public, its content is not), restricted.
	others := []archive.Record{
		f.file(archive.Record{Project: "CC-2026-001", Type: "survey_result", Title: "CANARY调查结果"}, "%PDF disposed area"),
		f.file(archive.Record{Project: "CC-2026-001", Type: "risk_assessment", Title: "CANARY风险评估"}, "%PDF disposed on request"),
		f.file(archive.Record{Project: "CC-2026-001", Type: "funding_proof", Title: "CANARY资金"}, "%PDF disposed restricted"),
	}
	register := f.file(archive.Record{Project: "CC-2026-001", Type: "funding_proof", Title: "CANARY资金证明"}, "%PDF register stand-in")
	d := archive.Disposal{List: "D20261130-abcdefgh", Proposer: archive.AccountActor("uproposer2345"),
		Approver: archive.AccountActor("uapprover2345"), Approved: time.Date(2026, 11, 30, 2, 0, 0, 0, time.UTC), Register: register.ID}
	for _, r := range append([]archive.Record{pub, hh}, others...) {
		if _, err := f.arch.DisposeRecord(f.ctx, r.ID, r.Version, d, d.Approver); err != nil {
			t.Fatal(err)
		}
	}
	f.refresh()

	w := f.upload("/verify", map[string]string{"file": "%PDF disposed decision"})
	body := w.Body.String()
	for _, want := range []string{"核验通过", "东天街征收决定", "已销毁", "2026年11月30日", d.List, "uapprover2345"} {
		if !strings.Contains(body, want) {
			t.Errorf("the upload of a disposed record's file does not say %q:\n%s", want, body)
		}
	}
	for _, never := range []string{register.ID, "uproposer2345", "/records/" + pub.ID} {
		if strings.Contains(body, never) {
			t.Errorf("the upload of a disposed record's file shows %q", never)
		}
	}
	// Its tombstone is its latest version, but it was not corrected (the
	// words are on the page for its script, not in the answer).
	if answer, _, _ := strings.Cut(body, `<template id="msgs">`); strings.Contains(answer, "已被更正") {
		t.Errorf("the upload of a disposed record's file says it was corrected:\n%s", answer)
	}
	if en := f.upload("/en/verify", map[string]string{"file": "%PDF disposed decision"}).Body.String(); !strings.Contains(en, "Disposed of") {
		t.Errorf("the English page does not say it was disposed of:\n%s", en)
	}

	var got struct {
		Verified bool          `json:"verified"`
		Matches  []verifyMatch `json:"matches"`
	}
	lw := f.get("/verify/sha256/" + pub.Content.SHA256.String())
	if err := json.Unmarshal(lw.Body.Bytes(), &got); err != nil || !got.Verified || len(got.Matches) != 1 {
		t.Fatalf("lookup of a disposed record's file: %v %s", err, lw.Body.String())
	}
	m := got.Matches[0]
	if m.Disposed == nil || m.Disposed.List != d.List || m.Disposed.Approver != "uapprover2345" || m.Disposed.Approved != "2026-11-30" ||
		!strings.Contains(m.Disposed.Zh, "已销毁") || !strings.Contains(m.Disposed.En, "Disposed of") || m.URL != "" || m.Receipt == nil {
		t.Errorf("lookup of a disposed record's file: %s", lw.Body.String())
	}
	if strings.Contains(lw.Body.String(), register.ID) {
		t.Errorf("the lookup names the destruction register: %s", lw.Body.String())
	}

	// The disposed files of records the public could not read, to the public:
	// as a file nobody filed (of the same size: the page shows the size), in
	// the lookup and on the upload page.
	unknown := strings.Repeat("0", 64)
	b := f.get("/verify/sha256/" + unknown).Body.String()
	contents := map[archive.Disclosure]string{archive.Household: "%PDF disposed household", archive.Area: "%PDF disposed area",
		archive.OnRequest: "%PDF disposed on request", archive.Restricted: "%PDF disposed restricted"}
	strip := func(s string, d archive.Digests) string {
		return strings.NewReplacer(d.SHA256.String(), "SHA", d.SM3.String(), "SM3").Replace(s)
	}
	for _, r := range append([]archive.Record{hh}, others...) {
		a := f.get("/verify/sha256/" + r.Content.SHA256.String()).Body.String()
		if strings.ReplaceAll(a, r.Content.SHA256.String(), "H") != strings.ReplaceAll(b, unknown, "H") {
			t.Errorf("a disposed %s record answers otherwise than an unknown file:\n%s\n%s", r.Disclosure, a, b)
		}
		content := contents[r.Disclosure]
		other := content[:len(content)-1] + "Z"
		page := f.upload("/verify", map[string]string{"file": content}).Body.String()
		want := f.upload("/verify", map[string]string{"file": other}).Body.String()
		od, _ := archive.DigestReader(f.ctx, strings.NewReader(other))
		if strip(page, r.Content) != strip(want, od) || strings.Contains(page, "CANARY") {
			t.Errorf("the upload of a disposed %s record's file answers otherwise than an unknown file's:\n%s", r.Disclosure, page)
		}
	}
}
