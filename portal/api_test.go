package portal

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"

	"github.com/gongshi-archive/gongshi/archive"
	"github.com/gongshi-archive/gongshi/archive/ledger"
	"github.com/gongshi-archive/gongshi/ingest/pdftest"
	"github.com/gongshi-archive/gongshi/search"
)

// The API's tests: every answer they get is validated against
// /api/v1/openapi.json (kin-openapi), and at the end every operation of the
// document must have been answered at least once.

// apiSpec is the API's document, loaded and validated once per test binary.
type apiSpec struct {
	doc    *openapi3.T
	router routers.Router
	mu     sync.Mutex
	seen   map[string]bool // operation ids answered
}

func loadAPISpec(t testing.TB) *apiSpec {
	t.Helper()
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(openAPIDoc)
	if err != nil {
		t.Fatalf("openapi.json: %v", err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatalf("openapi.json is not a valid OpenAPI document: %v", err)
	}
	// Requests are matched with the document's paths under /api/v1.
	doc.Servers = openapi3.Servers{{URL: "http://portal.test/api/v1"}}
	r, err := legacy.NewRouter(doc)
	if err != nil {
		t.Fatal(err)
	}
	return &apiSpec{doc: doc, router: r, seen: map[string]bool{}}
}

// check validates an answer to req against the document.
func (sp *apiSpec) check(t testing.TB, req *http.Request, body []byte, w *httptest.ResponseRecorder) {
	t.Helper()
	vreq := req.Clone(context.Background())
	vreq.URL.Scheme, vreq.URL.Host = "http", "portal.test"
	vreq.Host = "portal.test"
	route, params, err := sp.router.FindRoute(vreq)
	if err != nil {
		t.Fatalf("%s %s: not in openapi.json: %v", req.Method, req.URL.Path, err)
	}
	vreq.Body = io.NopCloser(bytes.NewReader(body))
	in := &openapi3filter.RequestValidationInput{Request: vreq, PathParams: params, Route: route,
		Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc, MultiError: true}}
	if !strings.HasPrefix(req.Header.Get("Content-Type"), "multipart/") {
		if err := openapi3filter.ValidateRequest(context.Background(), in); err != nil && w.Code < 400 {
			t.Errorf("%s %s: the request does not follow openapi.json: %v", req.Method, req.URL, err)
		}
	}
	out := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: w.Code, Header: w.Header(),
		Options: &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true}}
	out.SetBodyBytes(w.Body.Bytes())
	if err := openapi3filter.ValidateResponse(context.Background(), out); err != nil {
		t.Errorf("%s %s: answer %d does not follow openapi.json: %v\n%s", req.Method, req.URL, w.Code, err, w.Body.String())
	}
	sp.mu.Lock()
	sp.seen[route.Operation.OperationID] = true
	sp.mu.Unlock()
}

// apiFixture is the staff fixture with the real search index behind the pages
// and the API, and every API answer checked against the document.
type apiFixture struct {
	*staffFixture
	spec  *apiSpec
	index *search.Index
}

func newAPIFixture(t *testing.T, spec *apiSpec) *apiFixture {
	t.Helper()
	af := &apiFixture{spec: spec}
	af.staffFixture = newStaffFixture(t, func(o *Options) {
		arch := o.Archive.(*archive.Archive)
		state := func(ctx context.Context, id string) (archive.RecordState, error) { return arch.RecordState(ctx, id) }
		ix, err := search.Open(context.Background(), search.Options{Dir: t.TempDir(), Now: o.Now,
			Source: search.ArchiveSource(arch, o.Ledger.(*ledger.Log), state)})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { ix.Close() })
		af.index = ix
		o.Index = NewSearchIndex(ix, arch.Catalogue(), state, o.Now)
	})
	return af
}

// catchUp brings the search index and the verifier's content index up to the
// ledger, as a running serve's followers do.
func (af *apiFixture) catchUp() {
	af.t.Helper()
	if err := af.index.CatchUp(af.ctx); err != nil {
		af.t.Fatal(err)
	}
	if err := af.contents.CatchUp(af.ctx); err != nil {
		af.t.Fatal(err)
	}
}

// api sends a request with the token ("" for none) and checks the answer.
func (af *apiFixture) api(method, path, token string, body []byte, ctype string) *httptest.ResponseRecorder {
	af.t.Helper()
	req := httptest.NewRequest(method, path, bytes.NewReader(body))
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	req.Header.Set("Accept", "application/json")
	w := httptest.NewRecorder()
	af.srv.ServeHTTP(w, req)
	af.spec.check(af.t, req, body, w)
	return w
}

func (af *apiFixture) get(path, token string) *httptest.ResponseRecorder {
	return af.api(http.MethodGet, path, token, nil, "")
}

func decodeJSON[T any](t *testing.T, w *httptest.ResponseRecorder) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(w.Body.Bytes(), &v); err != nil {
		t.Fatalf("answer is not JSON: %v\n%s", err, w.Body.String())
	}
	return v
}

// token makes an API token for login.
func (af *apiFixture) token(login string) string {
	af.t.Helper()
	a, err := af.svc.AccountByLogin(af.ctx, login)
	if err != nil {
		af.t.Fatal(err)
	}
	tok, _, err := af.svc.IssueToken(af.ctx, a.ID, "test", time.Hour, a.As())
	if err != nil {
		af.t.Fatal(err)
	}
	return tok
}

func TestAPI(t *testing.T) {
	spec := loadAPISpec(t)
	af := newAPIFixture(t, spec)
	arch := af.token("archivist")
	insp := af.token("inspector")

	// Who am I.
	if v := decodeJSON[apiViewer](t, af.get("/api/v1/whoami", "")); v.Kind != "public" {
		t.Errorf("whoami without a token: %+v", v)
	}
	if v := decodeJSON[apiViewer](t, af.get("/api/v1/whoami", arch)); v.Kind != "staff" || v.Login != "archivist" {
		t.Errorf("whoami with the archivist's token: %+v", v)
	}
	mustStatus(t, af.get("/api/v1/whoami", arch[:len(arch)-1]+flip(arch[len(arch)-1])), http.StatusUnauthorized, "a forged token")
	mustStatus(t, af.get("/api/v1/openapi.json", ""), http.StatusOK, "the document")

	// Projects.
	ps := decodeJSON[map[string][]archive.Project](t, af.get("/api/v1/projects", ""))
	if len(ps["projects"]) != 1 || ps["projects"][0].Code != "CC-2026-001" {
		t.Fatalf("projects: %+v", ps)
	}
	mustStatus(t, af.get("/api/v1/projects/CC-2026-001", ""), http.StatusOK, "a project")
	mustStatus(t, af.get("/api/v1/projects/XX-0000-000", ""), http.StatusNotFound, "no such project")
	mustStatus(t, af.get("/api/v1/projects/bad%2Fcode", ""), http.StatusNotFound, "a malformed code")

	// File through the API: a token is needed, a cookie or nothing is not enough.
	doc := af.signedPDF("关于东天街片区房屋征收的决定")
	fields := [][2]string{{"project", "CC-2026-001"}, {"type", "decision"}, {"title", "关于东天街片区房屋征收的决定"},
		{"doc_number", "长征补〔2026〕12号"}, {"date", "2026-11-20"}, {"issuer", "长春市南关区人民政府"}}
	body, ctype := multipartBody(fields, uploadFile{"file", "决定.pdf", doc})
	mustStatus(t, af.api(http.MethodPost, "/api/v1/records", "", body, ctype), http.StatusUnauthorized, "filing without a token")
	mustStatus(t, af.api(http.MethodPost, "/api/v1/records", insp, body, ctype), http.StatusForbidden, "filing as an inspector")
	browser := af.client()
	browser.login("archivist")
	browser.header.Set("Accept", "application/json")
	if w := browser.do(http.MethodPost, "/api/v1/records", bytes.NewReader(body), ctype); w.Code != http.StatusUnauthorized {
		t.Fatalf("filing with a session cookie and no token: %d", w.Code)
	}
	w := af.api(http.MethodPost, "/api/v1/records", arch, body, ctype)
	res := decodeJSON[apiIngestOut](t, mustStatusW(t, w, http.StatusCreated, "filing"))
	if res.Status != "filed" || res.Path != "决定.pdf" || res.Report == nil || res.Record.ID == "" {
		t.Fatalf("filed: %+v", res)
	}
	id := res.Record.ID
	// Again: the same filing.
	mustStatus(t, af.api(http.MethodPost, "/api/v1/records", arch, body, ctype), http.StatusOK, "the same filing again")
	// Rejected (JavaScript) and malformed: 422 with the reasons, nothing stored.
	n := af.recordCount()
	jsBody, jsType := multipartBody(append(fields[:0:0], [2]string{"project", "CC-2026-001"}, [2]string{"type", "decision"}, [2]string{"title", "带脚本"},
		[2]string{"doc_number", "长征补〔2026〕13号"}, [2]string{"date", "2026-11-20"}), uploadFile{"file", "js.pdf", pdftest.Document(pdftest.Options{JavaScript: true})})
	rej := decodeJSON[apiIngestOut](t, mustStatusW(t, af.api(http.MethodPost, "/api/v1/records", arch, jsBody, jsType), http.StatusUnprocessableEntity, "JavaScript"))
	if rej.Status != "rejected" || len(rej.Reasons) == 0 {
		t.Fatalf("rejected: %+v", rej)
	}
	noTitle, ntType := multipartBody([][2]string{{"project", "CC-2026-001"}, {"type", "decision"}}, uploadFile{"file", "x.pdf", doc})
	mustStatus(t, af.api(http.MethodPost, "/api/v1/records", arch, noTitle, ntType), http.StatusUnprocessableEntity, "no title")
	mustStatus(t, af.api(http.MethodPost, "/api/v1/records", arch, []byte("not multipart"), "text/plain"), http.StatusBadRequest, "not multipart")
	big, bigType := multipartBody(fields, uploadFile{"file", "big.pdf", pdftest.Document(pdftest.Options{Size: 5 << 20})})
	mustStatus(t, af.api(http.MethodPost, "/api/v1/records", arch, big, bigType), http.StatusRequestEntityTooLarge, "too large")
	if af.recordCount() != n {
		t.Fatal("a refused filing stored a record")
	}

	// Not published: the public does not know it; staff do.
	af.catchUp()
	mustStatus(t, af.get("/api/v1/records/"+id, ""), http.StatusNotFound, "an unpublished record for the public")
	mustStatus(t, af.get("/api/v1/records/"+id+"/receipt", ""), http.StatusNotFound, "an unpublished record's receipt for the public")
	mustStatus(t, af.get("/api/v1/records/aaaaaaaaaaaaaaaaaaaaaaaaaa", ""), http.StatusNotFound, "no such record")
	mustStatus(t, af.get("/api/v1/records/"+id, insp), http.StatusOK, "an unpublished record for an inspector")
	sha := res.Record.Content.SHA256.String()
	if m := decodeJSON[map[string]json.RawMessage](t, af.get("/api/v1/verify/sha256/"+sha, "")); string(m["matches"]) != "[]" {
		t.Fatalf("verify of an unpublished record's file for the public: %s", m["matches"])
	}
	if r := decodeJSON[search.Result](t, af.get("/api/v1/search?q=东天街", "")); r.Total != 0 {
		t.Fatalf("the public finds an unpublished record: %+v", r)
	}
	if r := decodeJSON[search.Result](t, af.get("/api/v1/search?q=东天街", insp)); r.Total != 1 {
		t.Fatalf("the inspector does not find it: %+v", r)
	}

	// Publish through the API.
	mustStatus(t, af.api(http.MethodPost, "/api/v1/records/"+id+"/publish", "", nil, ""), http.StatusUnauthorized, "publish without a token")
	p := decodeJSON[apiPublicationOut](t, mustStatusW(t, af.api(http.MethodPost, "/api/v1/records/"+id+"/publish", arch,
		[]byte(`{"reason":"依法主动公开"}`), "application/json"), http.StatusOK, "publish"))
	if p.Status != archive.Published || p.Reason != "依法主动公开" {
		t.Fatalf("publication %+v", p)
	}
	af.catchUp()
	out := decodeJSON[apiRecordOut](t, af.get("/api/v1/records/"+id, ""))
	if out.Access != "content" || out.Links.Receipt == "" {
		t.Fatalf("published record for the public: %+v", out)
	}
	rcpt := af.get("/api/v1/records/"+id+"/receipt", "")
	mustStatus(t, rcpt, http.StatusOK, "receipt")
	file := af.get("/api/v1/records/"+id+"/file", "")
	if file.Code != http.StatusOK || !bytes.Equal(file.Body.Bytes(), doc) {
		t.Fatalf("file: %d", file.Code)
	}
	vr := decodeJSON[struct {
		Matches []verifyMatch `json:"matches"`
	}](t, af.get("/api/v1/verify/sha256/"+sha, ""))
	if len(vr.Matches) != 1 || vr.Matches[0].Record != id {
		t.Fatalf("verify: %+v", vr)
	}
	sr := decodeJSON[search.Result](t, af.get("/api/v1/search?q=东天街&project=CC-2026-001&year=2026&sort=newest&limit=5", ""))
	if sr.Total != 1 || sr.Hits[0].ID != id {
		t.Fatalf("search: %+v", sr)
	}
	mustStatus(t, af.get("/api/v1/search?class=nonsense", ""), http.StatusBadRequest, "a bad class")
	mustStatus(t, af.get("/api/v1/search?year=twenty", ""), http.StatusBadRequest, "a bad year")

	// Withdraw: the reason is required.
	mustStatus(t, af.api(http.MethodPost, "/api/v1/records/"+id+"/withdraw", arch, []byte(`{}`), "application/json"), http.StatusUnprocessableEntity, "withdraw without a reason")
	mustStatus(t, af.api(http.MethodPost, "/api/v1/records/"+id+"/withdraw", arch, []byte(`{"reason":"文号有误"}`), "application/json"), http.StatusOK, "withdraw")
	mustStatus(t, af.api(http.MethodPost, "/api/v1/records/"+id+"/withdraw", arch, []byte(`{"reason":`), "application/json"), http.StatusBadRequest, "bad JSON")
	af.catchUp()
	mustStatus(t, af.get("/api/v1/records/"+id, ""), http.StatusNotFound, "a withdrawn record for the public")

	// A household's document: never published, never shown to the public.
	hh, hhType := multipartBody([][2]string{{"project", "CC-2026-001"}, {"type", "appraisal_report"}, {"title", "1-101户分户评估报告"},
		{"household", "1-101"}, {"date", "2026-11-20"}, {"issuer", "长春市房屋征收评估机构"}, {"publish", "true"}}, uploadFile{"file", "hh.pdf", af.signedPDF("分户")})
	hres := decodeJSON[apiIngestOut](t, mustStatusW(t, af.api(http.MethodPost, "/api/v1/records", arch, hh, hhType), http.StatusCreated, "household filing"))
	if hres.Publication != nil || hres.PublishErr == "" {
		t.Fatalf("a household record was published: %+v", hres)
	}
	mustStatus(t, af.api(http.MethodPost, "/api/v1/records/"+hres.Record.ID+"/publish", arch, nil, ""), http.StatusUnprocessableEntity, "publish a household record")

	// Every operation of the document was answered.
	var missing []string
	for _, item := range spec.doc.Paths.Map() {
		for _, op := range item.Operations() {
			if !spec.seen[op.OperationID] {
				missing = append(missing, op.OperationID)
			}
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Errorf("operations of openapi.json the tests never called: %v", missing)
	}
}

func mustStatusW(t *testing.T, w *httptest.ResponseRecorder, want int, what string) *httptest.ResponseRecorder {
	t.Helper()
	mustStatus(t, w, want, what)
	return w
}

// The catalogue entry the API gives is exactly archive's catalogue fields.
func TestAPICatalogueEntry(t *testing.T) {
	b, _ := json.Marshal(apiCatalogueEntry{ID: "x", Version: 1, Project: "p", Type: "t", Title: "t", DocNumber: "d", Issuer: "i",
		Date: archive.D(2026, 1, 1), Disclosure: archive.OnRequest, ArchivalCode: "a"})
	var m map[string]any
	json.Unmarshal(b, &m)
	var got []string
	for k := range m {
		got = append(got, k)
	}
	sort.Strings(got)
	want := archive.CatalogueFields()
	sort.Strings(want)
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("catalogue entry fields %v, archive's %v", got, want)
	}
}

var _ = url.Values{}
