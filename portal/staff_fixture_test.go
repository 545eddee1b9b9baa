package portal

import (
	"bytes"
	"context"
	"crypto/x509"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gongshi-archive/gongshi/archive"
	"github.com/gongshi-archive/gongshi/archive/audit"
	"github.com/gongshi-archive/gongshi/archive/blob"
	"github.com/gongshi-archive/gongshi/archive/ledger"
	"github.com/gongshi-archive/gongshi/ingest"
	"github.com/gongshi-archive/gongshi/ingest/pdftest"
	"github.com/gongshi-archive/gongshi/staff"
)

// staffFixture is the portal fixture with staff: a staff service over its
// archive (cheap password hashes), a filer, and accounts of every role.
type staffFixture struct {
	*fixture
	svc   *staff.Service
	roots *ingest.TrustRoots
	pki   *pdftest.PKI
	// passwords by login
	pw map[string]string
}

var staffTestParams = staff.Params{Memory: 64, Time: 1, Threads: 1}

func newStaffFixture(t *testing.T, opts ...func(*Options)) *staffFixture {
	t.Helper()
	sf := &staffFixture{pw: map[string]string{}}
	pki, err := pdftest.NewPKI("吉林省电子政务根证书", "长春市房屋征收经办中心", fixtureNow.Add(-365*24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	sf.pki = pki
	if sf.roots, err = ingest.NewTrustRoots(pki.Root.Cert); err != nil {
		t.Fatal(err)
	}
	var idx *ScanIndex
	withStaff := func(o *Options) {
		arch := o.Archive.(*archive.Archive)
		st := o.Tiles.(blob.Store)
		// The archive's own publication state, as gongshi serve reads it.
		idx = NewScanIndex(arch, o.Ledger, func(ctx context.Context, r archive.Record) (archive.RecordState, error) {
			return arch.RecordState(ctx, r.ID)
		}, o.Now)
		o.Index = idx
		sf.svc = staff.New(arch, st, staff.Options{Now: o.Now, Hasher: staff.NewHasher(staffTestParams, 2)})
		filer := ingest.NewFiler(arch, st, ingest.Options{Now: o.Now,
			Inspector: ingest.NewInspector(ingest.InspectorOptions{Now: o.Now, Roots: sf.roots}),
			Numbering: &ingest.Numbering{Fonds: "Z109", Category: "WS", Department: "CQ01"}})
		led := o.Ledger.(*ledger.Log)
		now := o.Now
		o.Staff = &StaffOptions{Accounts: sf.svc, Filer: filer, Records: arch, TempDir: t.TempDir(), MaxUpload: 4 << 20,
			Activity: led,
			Audit: func(ctx context.Context, sample float64, progress func(audit.Progress)) (audit.Report, error) {
				return audit.Run(ctx, audit.Options{Store: st, Archive: arch, Ledger: led, Sample: sample, Progress: progress, Now: now})
			}}
	}
	sf.fixture = newFixture(t, append([]func(*Options){withStaff}, opts...)...)
	sf.idx = idx
	sf.project("CC-2026-001", "南关区东天街片区旧城区改建项目", "长春市", "南关区")
	for login, roles := range map[string][]archive.Role{
		"archivist": {archive.RoleArchivist}, "inspector": {archive.RoleInspector}, "sysadmin": {archive.RoleSystemAdmin},
		"officer": {archive.RoleSecurityOfficer}, "auditor": {archive.RoleAuditor},
	} {
		sf.account(login, roles...)
	}
	return sf
}

func (sf *staffFixture) account(login string, roles ...archive.Role) staff.Account {
	sf.t.Helper()
	pw := "pass phrase of " + login
	a, err := sf.svc.CreateAccount(sf.ctx, staff.NewAccount{Login: login, Name: "测试" + login, Roles: roles, Password: pw}, archive.ActorCLI)
	if err != nil {
		sf.t.Fatal(err)
	}
	sf.pw[login] = pw
	return a
}

// signedPDF is a PDF signed by the fixture's trusted signer.
func (sf *staffFixture) signedPDF(title string) []byte {
	sf.t.Helper()
	doc, err := pdftest.Sign(pdftest.Document(pdftest.Options{Pages: 2, Title: title}), sf.pki.Signer,
		[]*x509.Certificate{sf.pki.Root.Cert}, fixtureNow.Add(-time.Hour))
	if err != nil {
		sf.t.Fatal(err)
	}
	return doc
}

// client is a browser: it keeps cookies and sends them.
type client struct {
	sf      *staffFixture
	cookies map[string]*http.Cookie
	header  http.Header
}

func (sf *staffFixture) client() *client {
	return &client{sf: sf, cookies: map[string]*http.Cookie{}, header: http.Header{}}
}

func (c *client) do(method, path string, body io.Reader, ctype string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, path, body)
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	for k, v := range c.header {
		req.Header[k] = v
	}
	for _, ck := range c.cookies {
		req.AddCookie(ck)
	}
	w := httptest.NewRecorder()
	c.sf.srv.ServeHTTP(w, req)
	for _, ck := range w.Result().Cookies() {
		if ck.MaxAge < 0 || ck.Value == "" {
			delete(c.cookies, ck.Name)
		} else {
			c.cookies[ck.Name] = ck
		}
	}
	return w
}

func (c *client) get(path string) *httptest.ResponseRecorder {
	return c.do(http.MethodGet, path, nil, "")
}

func (c *client) post(path string, form url.Values) *httptest.ResponseRecorder {
	return c.do(http.MethodPost, path, strings.NewReader(form.Encode()), "application/x-www-form-urlencoded")
}

// upload posts a multipart form: fields in order (csrf first when given), then
// the files.
func (c *client) upload(path string, fields [][2]string, files ...uploadFile) *httptest.ResponseRecorder {
	body, ctype := multipartBody(fields, files...)
	return c.do(http.MethodPost, path, bytes.NewReader(body), ctype)
}

type uploadFile struct {
	field, name string
	content     []byte
}

var csrfRE = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// csrf is the token of the page at path.
func (c *client) csrf(path string) string {
	c.sf.t.Helper()
	w := c.get(path)
	m := csrfRE.FindStringSubmatch(w.Body.String())
	if m == nil {
		c.sf.t.Fatalf("GET %s: %d, no CSRF token in\n%s", path, w.Code, w.Body.String())
	}
	return m[1]
}

// login logs in as login and fails the test unless it worked.
func (c *client) login(login string) {
	c.sf.t.Helper()
	tok := c.csrf("/staff/login")
	w := c.post("/staff/login", url.Values{"csrf": {tok}, "login": {login}, "password": {c.sf.pw[login]}})
	if w.Code != http.StatusSeeOther || c.cookies[sessionCookie] == nil {
		c.sf.t.Fatalf("login %s: %d\n%s", login, w.Code, w.Body.String())
	}
}

func mustStatus(t *testing.T, w *httptest.ResponseRecorder, want int, what string) string {
	t.Helper()
	if w.Code != want {
		t.Fatalf("%s: status %d, want %d\n%s", what, w.Code, want, w.Body.String())
	}
	return w.Body.String()
}

func (sf *staffFixture) recordCount() int {
	n := 0
	if err := sf.arch.Records(sf.ctx, func(archive.Record) error { n++; return nil }); err != nil {
		sf.t.Fatal(err)
	}
	return n
}

func fileFields(csrf, title string, extra ...[2]string) [][2]string {
	f := [][2]string{{"csrf", csrf}, {"project", "CC-2026-001"}, {"type", "decision"}, {"title", title},
		{"doc_number", "长征补〔2026〕12号"}, {"date", "2026-11-20"}, {"issuer", "长春市南关区人民政府"}}
	return append(f, extra...)
}

var _ = fmt.Sprint

func filepathGlob(p string) ([]string, error) { return filepath.Glob(p) }

// multipartBody is a multipart form: the fields in order, then the files.
func multipartBody(fields [][2]string, files ...uploadFile) ([]byte, string) {
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	for _, f := range fields {
		mw.WriteField(f[0], f[1])
	}
	for _, f := range files {
		w, _ := mw.CreateFormFile(f.field, f.name)
		w.Write(f.content)
	}
	mw.Close()
	return b.Bytes(), mw.FormDataContentType()
}
