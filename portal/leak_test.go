package portal

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/gongshi-archive/gongshi/archive"
)

// The leak test: records of every disclosure class in every publication state,
// with a canary in every field, then every public route walked — pages in both
// languages, search, feeds, the sitemap, the verify lookups and uploads, receipts,
// downloads, error pages, metrics and the request log. What the public may not see
// of a record must appear nowhere; what it may see must appear somewhere (so that
// the test can fail).

// leakCase is one record of the leak test.
type leakCase struct {
	class archive.Disclosure
	typ   string
	state archive.PublicationStatus
	rec   archive.Record
	// content are the canaries of the record's content: every field beyond the
	// catalogue entry, its file and digests.
	content []string
	// catalogue are the canaries of its catalogue entry.
	catalogue []string
}

// want is what the public may see of c: AccessNone, AccessCatalogue or AccessContent.
func (c leakCase) want() archive.Access {
	if c.state != archive.Published {
		return archive.AccessNone
	}
	switch c.class {
	case archive.Public:
		return archive.AccessContent
	case archive.OnRequest:
		return archive.AccessCatalogue
	}
	return archive.AccessNone
}

// leakTypes is a document type of each disclosure class.
var leakTypes = map[archive.Disclosure]string{archive.Public: "decision", archive.Area: "survey_result",
	archive.OnRequest: "risk_assessment", archive.Household: "appraisal_report", archive.Restricted: "funding_proof"}

// newLeakFixture is a fixture with one project whose index takes each record's
// publication state from the map it returns.
func newLeakFixture(t *testing.T, opts ...func(*Options)) (*fixture, map[string]archive.RecordState) {
	states := map[string]archive.RecordState{}
	stateOf := func(_ context.Context, r archive.Record) (archive.RecordState, error) { return states[r.ID], nil }
	f := newFixture(t, opts...)
	f.idx = NewScanIndex(f.arch, f.led, stateOf, f.clock.now)
	f.srv.opts.Index = f.idx
	f.project("CC-2026-001", "东天街片区旧城区改建项目", "长春市", "南关区")
	return f, states
}

func TestNothingHiddenLeaks(t *testing.T) {
	f, states := newLeakFixture(t, func(o *Options) { o.BaseURL = "https://gongshi.example.gov.cn" })
	types := leakTypes
	var cases []leakCase
	n := 0
	for _, class := range archive.Disclosures() {
		for _, state := range []archive.PublicationStatus{archive.Published, archive.Withdrawn, archive.NotPublished} {
			n++
			tag := fmt.Sprintf("CANARY%02d", n)
			r := archive.Record{
				Project: "CC-2026-001", Type: types[class], Disclosure: class,
				Title:     tag + "标题",
				Issuer:    tag + "责任者",
				DocNumber: fmt.Sprintf("长征补〔2026〕%d号", 7700+n),
				Abstract:  tag + "摘要",
				Keywords:  []string{tag + "主题词"},
				Household: tag + "户",
				Date:      archive.D(2026, 3, n),
			}
			rec := f.file(r, tag+" file bytes")
			// The fixture names files doc-N.pdf: give this one its canary name.
			c := leakCase{class: class, typ: r.Type, state: state, rec: rec,
				content:   []string{tag + "摘要", tag + "主题词", tag + " file bytes", rec.Content.SHA256.String(), rec.Content.SM3.String(), rec.FileName},
				catalogue: []string{tag + "标题", tag + "责任者", rec.DocNumber, rec.ID}}
			if class == archive.Household || class == archive.Area {
				c.content = append(c.content, tag+"户")
			} else {
				// The household of a record that is not per household is
				// metadata too: never shown beyond the content.
				c.content = append(c.content, tag+"户")
			}
			states[rec.ID] = archive.RecordState{Publication: state}
			cases = append(cases, c)
		}
	}
	// A public copy of every record that may have one (not household or
	// restricted: those are never published), published: its pages are walked
	// too, and must not let its original's hidden fields through.
	var copies []archive.Record
	for _, c := range cases {
		if c.class == archive.Household || c.class == archive.Restricted {
			continue
		}
		cp := f.file(archive.Record{Project: "CC-2026-001", Type: c.typ, Title: fmt.Sprintf("公开版本%d", len(copies)),
			PublicCopyOf: c.rec.ID, Household: "公开"}, fmt.Sprintf("redacted copy %d", len(copies)))
		states[cp.ID] = archive.RecordState{Publication: archive.Published}
		copies = append(copies, cp)
	}
	f.refresh()

	// Every answer the public can get.
	// Each answer is kept as "request line\nbody", the body without what the
	// request itself sent (its path segments and query values, which pages echo
	// in the search box and the language toggle).
	var answers []string
	record := func(what string, w *httptest.ResponseRecorder) {
		body := w.Body.String()
		if u, err := url.Parse(strings.TrimPrefix(strings.TrimPrefix(what, "GET "), "gzip ")); err == nil {
			for _, seg := range strings.Split(u.Path, "/") {
				if len(seg) > 3 {
					body = strings.ReplaceAll(body, seg, "")
				}
			}
			for _, vs := range u.Query() {
				for _, v := range vs {
					body = strings.ReplaceAll(body, v, "")
				}
			}
		}
		answers = append(answers, what+"\n"+body)
	}
	paths := []string{"/", "/en/", "/en", "/search", "/en/search", "/search?q=CANARY", "/search?q=标题",
		"/search?project=CC-2026-001", "/search?type=appraisal_report", "/search?type=funding_proof",
		"/search?sort=date&year=2026", "/projects/CC-2026-001", "/en/projects/CC-2026-001",
		"/feeds/all.atom", "/feeds/projects/CC-2026-001.atom", "/sitemap.xml", "/verify", "/en/verify",
		"/ledger/checkpoint", "/no/such/page", "/records/aaaaaaaaaaaaaaaaaaaaaaaaaa", "/healthz", "/readyz"}
	for _, c := range cases {
		id := c.rec.ID
		paths = append(paths, "/records/"+id, "/en/records/"+id, "/records/"+id+"/file", "/records/"+id+"/receipt",
			"/verify/sha256/"+c.rec.Content.SHA256.String(), "/search?q="+strings.TrimSuffix(c.catalogue[0], "标题"),
			"/search?q="+c.content[0])
	}
	for _, cp := range copies {
		paths = append(paths, "/records/"+cp.ID, "/en/records/"+cp.ID, "/records/"+cp.ID+"/file")
		// A copy's receipt holds its record JSON, which names the original's id
		// (public_copy_of, bound by the ledger entry): an opaque id, which answers
		// as absent when the original is hidden. Nothing else of it may be there.
		w := f.get("/records/" + cp.ID + "/receipt")
		body := strings.ReplaceAll(w.Body.String(), cp.PublicCopyOf, "")
		answers = append(answers, "GET /records/"+cp.ID+"/receipt\n"+body)
	}
	for _, p := range paths {
		record("GET "+p, f.get(p))
		record("GET "+p, f.get(p, "Accept", "application/json"))
	}
	for _, c := range cases {
		var b bytes.Buffer
		mw := multipart.NewWriter(&b)
		fw, _ := mw.CreateFormFile("file", "x.pdf")
		io.WriteString(fw, strings.TrimPrefix(c.content[2], ""))
		mw.Close()
		req := httptest.NewRequest(http.MethodPost, "/verify", &b)
		req.Header.Set("Content-Type", mw.FormDataContentType())
		w := f.do(req)
		// The upload's own digests are shown back to whoever sent the file:
		// they are the sender's, not the archive's. Take them out.
		body := strings.ReplaceAll(w.Body.String(), c.rec.Content.SHA256.String(), "")
		body = strings.ReplaceAll(body, c.rec.Content.SM3.String(), "")
		answers = append(answers, "POST /verify "+c.rec.ID+"\n"+body)
	}
	record("GET /metrics", f.get("/metrics"))
	answers = append(answers, "the request log\n"+f.log.String())
	all := strings.Join(answers, "\n\n")

	for _, c := range cases {
		label := fmt.Sprintf("%s record (%s), %q", c.class, c.typ, c.state)
		if c.state == archive.NotPublished {
			label = fmt.Sprintf("%s record (%s), not published", c.class, c.typ)
		}
		want := c.want()
		for _, s := range c.content {
			found := whereBody(answers, s)
			if want < archive.AccessContent && found != "" {
				t.Errorf("%s: content %q leaks in %s", label, s, found)
			}
		}
		for _, s := range c.catalogue {
			found := whereBody(answers, s)
			if want == archive.AccessNone && found != "" {
				t.Errorf("%s: catalogue field %q leaks in %s", label, s, found)
			}
			if want > archive.AccessNone && found == "" {
				t.Errorf("%s: %q shown nowhere: the walk missed the page that lists it", label, s)
			}
		}
		if want == archive.AccessContent && !strings.Contains(all, c.content[0]) {
			t.Errorf("%s: its abstract is shown nowhere", label)
		}
	}
}

// A file whose record the public may not see answers exactly as a file nobody
// filed: byte for byte but for the file's own digests, with the same status,
// in the page's JSON and on the upload page, in both languages. And it costs
// what that answer costs: the verifier's content index answers both, the
// ledger is never searched. Checked with the archive's lookups intact, and
// again with every record's content marker and ledger lookup key deleted —
// then the records the public may see still verify (derived objects never
// decide), and the others still answer as unknown.
func TestHiddenFilesAnswerAsUnknown(t *testing.T) {
	f, states := newLeakFixture(t)
	types := leakTypes
	var cases []leakCase
	for _, class := range archive.Disclosures() {
		for _, state := range []archive.PublicationStatus{archive.Published, archive.Withdrawn, archive.NotPublished} {
			tag := fmt.Sprintf("CANARY%02d", len(cases))
			rec := f.file(archive.Record{Project: "CC-2026-001", Type: types[class], Disclosure: class, Title: tag + "标题",
				Household: tag + "户"}, tag+" file bytes")
			states[rec.ID] = archive.RecordState{Publication: state}
			cases = append(cases, leakCase{class: class, typ: types[class], state: state, rec: rec, content: []string{tag + " file bytes"}})
		}
	}
	f.refresh()
	strip := func(body string, d archive.Digests) string {
		return strings.ReplaceAll(strings.ReplaceAll(body, d.SHA256.String(), "SHA256"), d.SM3.String(), "SM3")
	}
	check := func(phase string) {
		for _, c := range cases {
			label := fmt.Sprintf("%s: %s record, %q", phase, c.class, c.state)
			content := c.content[0]
			unknown := content[:len(content)-1] + "z" // same size, other content
			ud, _ := archive.DigestReader(f.ctx, strings.NewReader(unknown))
			for _, lang := range []string{"", "/en"} {
				got := f.upload(lang+"/verify", map[string]string{"file": content})
				if c.want() == archive.AccessContent {
					if got.Code != 200 || !strings.Contains(got.Body.String(), map[string]string{"": "核验通过", "/en": "Verified"}[lang]) {
						t.Errorf("%s: upload to %s/verify does not verify: %d", label, lang, got.Code)
					}
					continue
				}
				want := f.upload(lang+"/verify", map[string]string{"file": unknown})
				if got.Code != want.Code || strip(got.Body.String(), c.rec.Content) != strip(want.Body.String(), ud) {
					t.Errorf("%s: upload to %s/verify answers %d otherwise than an unknown file's %d:\n%s\n%s", label, lang,
						got.Code, want.Code, got.Body.String(), want.Body.String())
				}
			}
			got := f.get("/verify/sha256/" + c.rec.Content.SHA256.String())
			if c.want() == archive.AccessContent {
				if got.Code != 200 || !strings.Contains(got.Body.String(), `"verified":true`) {
					t.Errorf("%s: the lookup does not verify: %d %s", label, got.Code, got.Body.String())
				}
				continue
			}
			want := f.get("/verify/sha256/" + ud.SHA256.String())
			if got.Code != want.Code || strip(got.Body.String(), c.rec.Content) != strip(want.Body.String(), ud) ||
				!equalHeaders(got.Header(), want.Header()) {
				t.Errorf("%s: the lookup answers otherwise than for an unknown file:\n%d %v %s\n%d %v %s", label,
					got.Code, got.Header(), got.Body.String(), want.Code, want.Header(), want.Body.String())
			}
		}
	}
	check("lookups intact")
	for _, c := range cases {
		f.raw.Remove(t, f.markerKey(c.rec))
		f.raw.Remove(t, f.byRecordKey(t, c.rec))
	}
	check("markers and lookup keys deleted")
	if n := f.searches.n.Load(); n != 0 {
		t.Errorf("%d searches of the whole ledger", n)
	}
}

// equalHeaders compares two answers' headers, but for the request id.
func equalHeaders(a, b http.Header) bool {
	a, b = a.Clone(), b.Clone()
	for _, h := range []http.Header{a, b} {
		h.Del("X-Request-Id")
		h.Del("Date")
	}
	return fmt.Sprint(a) == fmt.Sprint(b)
}

// whereBody names the first answer whose body contains s, or "".
func whereBody(answers []string, s string) string {
	for _, a := range answers {
		first, body, _ := strings.Cut(a, "\n")
		if strings.Contains(body, s) {
			return first
		}
	}
	return ""
}
