package portal

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf16"

	"github.com/pdfcpu/pdfcpu/pkg/api"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu"
	"golang.org/x/text/encoding/simplifiedchinese"

	"github.com/gongshi-archive/gongshi/archive"
	"github.com/gongshi-archive/gongshi/households"
	"github.com/gongshi-archive/gongshi/internal/testenv"
	"github.com/gongshi-archive/gongshi/requests"
	"github.com/gongshi-archive/gongshi/staff"
)

// hhStaffFixture is the staff fixture with the households' pages on: real
// staff accounts and trail, a real households service (cheap hashes).
type hhStaffFixture struct {
	*staffFixture
	hs *households.Service
}

func newHHStaffFixture(t *testing.T, fonts *NoticeFonts, opts ...func(*households.Options)) *hhStaffFixture {
	t.Helper()
	f := &hhStaffFixture{}
	f.staffFixture = newStaffFixture(t, func(o *Options) {
		a := o.Archive.(*archive.Archive)
		var err error
		ho := households.Options{Now: o.Now, Hasher: testHasher{}}
		for _, fn := range opts {
			fn(&ho)
		}
		f.hs, err = households.New(a, ho)
		if err != nil {
			t.Fatal(err)
		}
		rs, err := requests.New(a, requests.Options{Now: o.Now})
		if err != nil {
			t.Fatal(err)
		}
		o.Households = &HouseholdOptions{Households: f.hs, Requests: rs, SessionKey: bytes.Repeat([]byte("k"), 32),
			Backoff: &countingBackoff{fails: map[string]int{}, until: map[string]time.Time{}}, Trail: &memTrail{}, NoticeFonts: fonts}
	})
	return f
}

// trail is every staff trail entry of action.
func (f *hhStaffFixture) trail(action string) []staff.TrailEntry {
	f.t.Helper()
	var out []staff.TrailEntry
	if err := f.svc.Trail(f.ctx, "", func(e staff.TrailEntry) error {
		if e.Action == action {
			out = append(out, e)
		}
		return nil
	}); err != nil {
		f.t.Fatal(err)
	}
	return out
}

func (f *hhStaffFixture) versions() int {
	f.t.Helper()
	h, err := f.hs.RegisterHistory(f.ctx, hhProject)
	if err != nil {
		f.t.Fatal(err)
	}
	return len(h)
}

var (
	importTokenRE = regexp.MustCompile(`name="token" value="([0-9a-f]+)"`)
	codeRE        = regexp.MustCompile(`<p class="code" lang="en">([0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4})</p>`)
	sealRE        = regexp.MustCompile(`name="notices" value="([^"]+)"`)
)

// importRegister uploads data as an archivist and declares the columns
// (by name: public or masked; every other one left as the page proposes).
func (c *client) importRegister(name string, data []byte, decl map[string]string, reason string) (upload, confirm string, code int) {
	c.sf.t.Helper()
	page := "/staff/households/" + hhProject
	w := c.upload(page+"/import", [][2]string{{"csrf", c.csrf(page)}, {"encoding", "auto"}}, uploadFile{"file", name, data})
	if w.Code != http.StatusOK {
		return w.Body.String(), "", w.Code
	}
	m := importTokenRE.FindStringSubmatch(w.Body.String())
	if m == nil {
		c.sf.t.Fatalf("no token on the columns page:\n%s", w.Body.String())
	}
	form := url.Values{"csrf": {csrfRE.FindStringSubmatch(w.Body.String())[1]}, "token": {m[1]}, "reason": {reason}}
	for i, col := range regexp.MustCompile(`<legend>([^<]+)</legend>`).FindAllStringSubmatch(w.Body.String(), -1) {
		if p, ok := decl[col[1]]; ok {
			form.Set("col"+strconv.Itoa(i), p)
		}
	}
	w2 := c.post(page+"/import/confirm", form)
	return w.Body.String(), w2.Body.String(), w2.Code
}

var hhDecl = map[string]string{"户主": "masked", "房屋坐落": "masked", "建筑面积": "public", "产权性质": "public"}

func TestStaffHouseholdsRoles(t *testing.T) {
	f := newHHStaffFixture(t, nil)
	anon := f.client()
	w := anon.get("/staff/households")
	if w.Code != http.StatusSeeOther || !strings.HasPrefix(w.Header().Get("Location"), "/staff/login") {
		t.Fatalf("anonymous: %d %q", w.Code, w.Header().Get("Location"))
	}
	for login, want := range map[string]int{"archivist": 200, "inspector": 200, "sysadmin": 403, "auditor": 403, "officer": 403} {
		c := f.client()
		c.login(login)
		if w := c.get("/staff/households"); w.Code != want {
			t.Errorf("%s: GET /staff/households %d, want %d", login, w.Code, want)
		}
		if w := c.get("/en/staff/households/" + hhProject); w.Code != want {
			t.Errorf("%s: GET the register page %d, want %d", login, w.Code, want)
		}
	}
	// An inspector reads but changes nothing.
	insp := f.client()
	insp.login("inspector")
	tok := insp.csrf("/staff/households/" + hhProject)
	w = insp.upload("/staff/households/"+hhProject+"/import", [][2]string{{"csrf", tok}}, uploadFile{"file", "r.csv", []byte(hhRegister)})
	mustStatus(t, w, http.StatusForbidden, "inspector import")
	mustStatus(t, insp.post("/staff/households/"+hhProject+"/codes", url.Values{"csrf": {tok}, "all": {"1"}}), http.StatusForbidden, "inspector issue")
	if n := f.versions(); n != 0 {
		t.Fatalf("%d versions stored", n)
	}
	if strings.Contains(insp.get("/staff/households/"+hhProject).Body.String(), `enctype="multipart/form-data"`) {
		t.Fatal("the inspector is offered the import form")
	}
}

func TestStaffRegisterImport(t *testing.T) {
	f := newHHStaffFixture(t, nil)
	c := f.client()
	c.login("archivist")
	cols, body, code := c.importRegister("登记.csv", []byte(hhRegister), hhDecl, "")
	if code != http.StatusSeeOther {
		t.Fatalf("import: %d\n%s", code, body)
	}
	// The columns page: every column with its radios, private by default.
	for _, want := range []string{"<legend>户主</legend>", "<legend>备注</legend>", `value="private" checked`, "共 3 户"} {
		if !strings.Contains(cols, want) {
			t.Errorf("columns page lacks %q", want)
		}
	}
	reg, err := f.hs.Register(f.ctx, hhProject)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]archive.ColumnPolicy{"户号": "public", "户主": "masked", "房屋坐落": "masked", "建筑面积": "public",
		"产权性质": "public", "身份证号": "private", "联系电话": "private", "备注": "private"}
	for _, col := range reg.Columns {
		if col.Policy != want[col.Name] {
			t.Errorf("column %s: %s, want %s", col.Name, col.Policy, want[col.Name])
		}
	}
	if reg.Actor == archive.ActorCLI || reg.Actor == "" {
		t.Fatalf("the version's actor is %q, not the account", reg.Actor)
	}
	tr := f.trail("household_register_import")
	if len(tr) != 1 || tr[0].Subject != "project "+hhProject || !strings.Contains(tr[0].Detail, "3 households") {
		t.Fatalf("trail %+v", tr)
	}
	// The list pages show counts and policies, never a personal value.
	for _, p := range []string{"/staff/households", "/staff/households/" + hhProject, "/en/staff/households"} {
		b := mustStatus(t, c.get(p), http.StatusOK, p)
		for _, canary := range []string{"CANARY", "张甲", "220102", "139000"} {
			if strings.Contains(b, canary) {
				t.Errorf("%s shows %q", p, canary)
			}
		}
	}
	if b := c.get("/staff/households").Body.String(); !strings.Contains(b, ">3<") {
		t.Errorf("the list lacks the households count")
	}
	// A second version needs its reason.
	_, body, code = c.importRegister("登记2.csv", []byte(hhRegister), hhDecl, "")
	if code != http.StatusUnprocessableEntity || !strings.Contains(body, "请填写原因") || f.versions() != 1 {
		t.Fatalf("second import without a reason: %d, %d versions\n%s", code, f.versions(), body)
	}
	_, body, code = c.importRegister("登记2.csv", []byte(hhRegister), hhDecl, "补登")
	if code != http.StatusSeeOther || f.versions() != 2 {
		t.Fatalf("second import: %d, %d versions\n%s", code, f.versions(), body)
	}
	// The household's page shows its values, and says so in the trail.
	b := mustStatus(t, c.get("/staff/households/"+hhProject+"/0001"), http.StatusOK, "household page")
	if !strings.Contains(b, "张甲CANARYHEADA") || !strings.Contains(b, "张*") || !strings.Contains(b, `href="/staff/households/`+hhProject+`/0001/clock"`) {
		t.Fatalf("household page lacks the values:\n%s", b)
	}
	if tr := f.trail("household_read"); len(tr) != 1 || tr[0].Subject != "household "+hhProject+"/0001" || tr[0].Detail != "" {
		t.Fatalf("read trail %+v", tr)
	}
	// Correct one household: a new version, with the reason.
	tok := csrfRE.FindStringSubmatch(b)[1]
	w := c.post("/staff/households/"+hhProject+"/0001/correct", url.Values{"csrf": {tok}, "col3": {"13900000999"}})
	if w.Code != http.StatusUnprocessableEntity || f.versions() != 2 {
		t.Fatalf("correction without a reason: %d", w.Code)
	}
	w = c.post("/staff/households/"+hhProject+"/0001/correct", url.Values{"csrf": {tok}, "col3": {"13900000999"}, "reason": {"户主来电更正"}})
	if w.Code != http.StatusSeeOther || f.versions() != 3 {
		t.Fatalf("correction: %d, %d versions\n%s", w.Code, f.versions(), w.Body.String())
	}
	reg, _ = f.hs.Register(f.ctx, hhProject)
	if row, _ := reg.Household("0001"); reg.Value(row, "联系电话") != "13900000999" || reg.Supersedes.Reason != "户主来电更正" {
		t.Fatalf("corrected: %v %+v", row, reg.Supersedes)
	}
	if tr := f.trail("household_correct"); len(tr) != 1 || strings.Contains(tr[0].Detail, "13900000999") || !strings.Contains(tr[0].Detail, "联系电话") {
		t.Fatalf("correct trail %+v", tr)
	}
	w = c.post("/staff/households/"+hhProject+"/0001/correct", url.Values{"csrf": {tok}, "col4": {"x\u0007"}, "reason": {"r"}})
	if w.Code != http.StatusUnprocessableEntity || !strings.Contains(w.Body.String(), "control character") || f.versions() != 3 {
		t.Fatalf("bad correction: %d", w.Code)
	}
}

func TestStaffRegisterBadUploads(t *testing.T) {
	f := newHHStaffFixture(t, nil)
	c := f.client()
	c.login("archivist")
	page := "/staff/households/" + hhProject
	bad := "户号,户主,房屋坐落,建筑面积,产权性质,备注\n" +
		"0001,张甲,东天街1号,86.5,私有,\n" +
		"0001,李乙,东天街2号,八十,私有,\n" +
		",王丙,东天街3号,70,,\n" +
		"0004,赵丁,东天街4号,70,私有,多,余\n"
	body, _, code := c.importRegister("bad.csv", []byte(bad), hhDecl, "")
	if code != http.StatusUnprocessableEntity {
		t.Fatalf("bad rows: %d\n%s", code, body)
	}
	for _, want := range []string{"line 3: household 0001: column 户号: given twice", "line 3: household 0001: column 建筑面积",
		"line 4: column 户号: empty", "line 4: column 产权性质: empty", "line 5: household 0004"} {
		if !strings.Contains(body, want) {
			t.Errorf("the page lacks %q", want)
		}
	}
	// Wrong columns: the missing roles are named.
	body, _, code = c.importRegister("cols.csv", []byte("编号,姓名\n1,张三\n"), hhDecl, "")
	if code != http.StatusUnprocessableEntity || !strings.Contains(body, "no 房屋坐落 (address) column") || !strings.Contains(body, "no 产权性质 (ownership) column") {
		t.Fatalf("wrong columns: %d\n%s", code, body)
	}
	// A huge file is refused before it is read through.
	huge := bytes.Repeat([]byte("0001,张甲,东天街1号,86.5,私有\n"), maxRegisterUpload/20)
	body, _, code = c.importRegister("huge.csv", huge, hhDecl, "")
	if code != http.StatusRequestEntityTooLarge || !strings.Contains(body, "文件太大") {
		t.Fatalf("huge: %d\n%.500s", code, body)
	}
	// No CSRF token: refused, nothing read.
	w := c.upload(page+"/import", nil, uploadFile{"file", "r.csv", []byte(hhRegister)})
	mustStatus(t, w, http.StatusForbidden, "no token")
	w = c.upload(page+"/import", [][2]string{{"csrf", "forged"}}, uploadFile{"file", "r.csv", []byte(hhRegister)})
	mustStatus(t, w, http.StatusForbidden, "forged token")
	if n := f.versions(); n != 0 {
		t.Fatalf("%d versions stored after bad uploads", n)
	}
	if tr := f.trail("household_register_import"); len(tr) != 0 {
		t.Fatalf("trail %+v", tr)
	}
	// A token of someone else's upload is refused.
	other := f.client()
	other.login("archivist")
	up := other.upload(page+"/import", [][2]string{{"csrf", other.csrf(page)}}, uploadFile{"file", "r.csv", []byte(hhRegister)})
	tok := importTokenRE.FindStringSubmatch(up.Body.String())[1]
	f.account("archivist2", archive.RoleArchivist)
	thief := f.client()
	thief.login("archivist2")
	w = thief.post(page+"/import/confirm", url.Values{"csrf": {thief.csrf(page)}, "token": {tok}})
	if w.Code != http.StatusConflict || f.versions() != 0 {
		t.Fatalf("another account's upload: %d", w.Code)
	}
	// GB18030, as Excel saves CSV on Chinese Windows.
	gb, err := simplifiedchinese.GB18030.NewEncoder().String(strings.ReplaceAll(hhRegister, "\n", "\r\n"))
	if err != nil {
		t.Fatal(err)
	}
	cols, body, code := c.importRegister("登记-GB.csv", []byte(gb), hhDecl, "")
	if code != http.StatusSeeOther || !strings.Contains(cols, "gb18030") {
		t.Fatalf("GB18030: %d\n%s\n%s", code, cols, body)
	}
	reg, _ := f.hs.Register(f.ctx, hhProject)
	if row, _ := reg.Household("0002"); reg.Value(row, "户主") != "李乙CANARYHEADB" {
		t.Fatalf("GB18030 read as %q", reg.Value(row, "户主"))
	}
	// JSON too.
	js := `[{"户号":"0001","户主":"张甲","房屋坐落":"东天街1号","建筑面积":"86.5","产权性质":"私有"}]`
	if _, body, code := c.importRegister("登记.json", []byte(js), hhDecl, "改用 JSON"); code != http.StatusSeeOther || f.versions() != 2 {
		t.Fatalf("JSON: %d\n%s", code, body)
	}
}

// noticeFonts are the fonts of the PDF notice, or the test is skipped
// (failed under CI=true: scripts/test installs them).
func testNoticeFonts(t *testing.T) *NoticeFonts {
	t.Helper()
	n := DefaultNoticeFonts()
	for _, p := range []string{n.CJK, n.Latin} {
		if _, err := os.Stat(p); err != nil {
			if testenv.CI() {
				t.Fatalf("CI=true and no font %s (apt-get install fonts-droid-fallback fonts-dejavu-core)", p)
			}
			t.Skipf("no font %s (apt-get install fonts-droid-fallback fonts-dejavu-core)", p)
		}
	}
	return &n
}

func TestStaffQueryCodes(t *testing.T) {
	f := newHHStaffFixture(t, testNoticeFonts(t))
	c := f.client()
	c.login("archivist")
	if _, body, code := c.importRegister("登记.csv", []byte(hhRegister), hhDecl, ""); code != http.StatusSeeOther {
		t.Fatalf("import: %d\n%s", code, body)
	}
	page := "/staff/households/" + hhProject
	tok := c.csrf(page)
	mustStatus(t, c.post(page+"/codes", url.Values{"hh": {"0001"}}), http.StatusForbidden, "issue without a token")
	mustStatus(t, c.post(page+"/codes", url.Values{"csrf": {tok}, "hh": {"0001", "9999"}}), http.StatusUnprocessableEntity, "unknown household")
	if codes, _ := f.hs.Codes(f.ctx, hhProject); len(codes) != 0 {
		t.Fatalf("a bad choice issued %d codes", len(codes))
	}
	w := c.post(page+"/codes", url.Values{"csrf": {tok}, "hh": {"0001", "0002"}})
	notice := mustStatus(t, w, http.StatusOK, "issue")
	if cc := w.Header().Get("Cache-Control"); cc != "private, no-store" {
		t.Fatalf("notice Cache-Control %q", cc)
	}
	got := codeRE.FindAllStringSubmatch(notice, -1)
	if len(got) != 2 || !strings.Contains(notice, "张*") || strings.Contains(notice, "CANARYHEADA") || !strings.Contains(notice, "/household") {
		t.Fatalf("notice: %d codes\n%s", len(got), notice)
	}
	code1 := got[0][1]
	// The household logs in with it.
	resident := f.client()
	login := func(code string) int {
		rt := resident.csrf("/household")
		return resident.post("/household/login", url.Values{"csrf": {rt}, "project": {hhProject}, "household": {"0001"}, "code": {code}}).Code
	}
	if st := login(code1); st != http.StatusSeeOther {
		t.Fatalf("resident login with the issued code: %d", st)
	}
	// The PDF of the same notices.
	seal := sealRE.FindStringSubmatch(notice)
	if seal == nil {
		t.Fatal("no PDF form on the notice page")
	}
	pw := c.post(page+"/notice.pdf", url.Values{"csrf": {csrfRE.FindStringSubmatch(notice)[1]}, "notices": {seal[1]}})
	pdf := []byte(mustStatus(t, pw, http.StatusOK, "notice PDF"))
	if pw.Header().Get("Content-Type") != "application/pdf" || pw.Header().Get("Cache-Control") != "private, no-store" {
		t.Fatalf("PDF headers %v", pw.Header())
	}
	if dir := os.Getenv("GONGSHI_TEST_ARTIFACTS"); dir != "" {
		os.WriteFile(filepath.Join(dir, "staff-hh-notice.pdf"), pdf, 0o644) // to look at
	}
	ctx, err := api.ReadContext(bytes.NewReader(pdf), nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := api.ValidateContext(ctx); err != nil {
		t.Fatalf("pdfcpu validate: %v", err)
	}
	if ctx.PageCount != 2 {
		t.Fatalf("%d pages, want one per household", ctx.PageCount)
	}
	for i, want := range []string{"0001", "0002"} {
		r, err := pdfcpu.ExtractPageContent(ctx, i+1)
		if err != nil {
			t.Fatal(err)
		}
		var content bytes.Buffer
		content.ReadFrom(r)
		if !bytes.Contains(content.Bytes(), utf16be(want)) || !bytes.Contains(content.Bytes(), utf16be(got[i][1])) {
			t.Errorf("page %d lacks household %s or its code", i+1, want)
		}
	}
	// A forged or altered seal makes nothing.
	mustStatus(t, c.post(page+"/notice.pdf", url.Values{"csrf": {tok}, "notices": {seal[1] + "x"}}), http.StatusGone, "altered seal")
	// Re-issuing needs a reason; the old code stops working.
	mustStatus(t, c.post(page+"/codes", url.Values{"csrf": {tok}, "hh": {"0001"}}), http.StatusUnprocessableEntity, "re-issue without a reason")
	w = c.post(page+"/codes", url.Values{"csrf": {tok}, "hh": {"0001"}, "reason": {"户主遗失通知书"}})
	code1b := codeRE.FindStringSubmatch(mustStatus(t, w, http.StatusOK, "re-issue"))[1]
	resident = f.client()
	if st := login(code1); st != http.StatusUnauthorized {
		t.Fatalf("the replaced code: %d", st)
	}
	resident = f.client()
	if st := login(code1b); st != http.StatusSeeOther {
		t.Fatalf("the new code: %d", st)
	}
	// Revoke: needs a reason, then the code no longer lets anyone in.
	mustStatus(t, c.post(page+"/0001/revoke", url.Values{"csrf": {tok}}), http.StatusUnprocessableEntity, "revoke without a reason")
	w = c.post(page+"/0001/revoke", url.Values{"csrf": {tok}, "reason": {"户主申请作废"}})
	mustStatus(t, w, http.StatusSeeOther, "revoke")
	resident = f.client()
	if st := login(code1b); st != http.StatusUnauthorized {
		t.Fatalf("the revoked code: %d", st)
	}
	// Every household without a code, at once (0001 revoked, 0003 never had one).
	w = c.post(page+"/codes", url.Values{"csrf": {tok}, "all": {"1"}})
	if n := len(codeRE.FindAllString(mustStatus(t, w, http.StatusOK, "issue all"), -1)); n != 2 {
		t.Fatalf("issue all: %d notices, want 2", n)
	}
	codes, _ := f.hs.Codes(f.ctx, hhProject)
	issued, revoked := codeCounts(codes)
	if issued != 3 || revoked != 0 {
		t.Fatalf("codes: %d issued, %d revoked", issued, revoked)
	}
	// The trail: who issued and revoked what, never a code.
	if pdfs := f.trail("household_notice_pdf"); len(pdfs) != 1 || pdfs[0].Detail != "2 notice(s): 0001, 0002" {
		t.Fatalf("PDF trail %+v", pdfs)
	}
	all := append(f.trail("household_code_issue"), f.trail("household_code_revoke")...)
	all = append(all, f.trail("household_notice_pdf")...)
	if len(all) != 5 {
		t.Fatalf("trail: %d entries, want 3 issues and 1 revocation: %+v", len(all), all)
	}
	secrets := []string{code1, code1b, strings.ReplaceAll(code1, "-", ""), strings.ReplaceAll(code1b, "-", "")}
	for _, e := range all {
		for _, s := range secrets {
			if strings.Contains(e.Detail+e.Subject, s) {
				t.Fatalf("trail entry %+v holds a code", e)
			}
		}
	}
	// Nor the request log, the metrics, or any staff page afterwards.
	places := map[string]string{"the log": f.log.String(), "metrics": c.get("/metrics").Body.String(),
		"the register page": c.get(page).Body.String(), "the household page": c.get(page + "/0001").Body.String(),
		"the list": c.get("/staff/households").Body.String()}
	for where, text := range places {
		for _, s := range secrets {
			if strings.Contains(text, s) {
				t.Errorf("%s holds code %s", where, s)
			}
		}
	}
}

func TestStaffNoticeWithoutFonts(t *testing.T) {
	f := newHHStaffFixture(t, &NoticeFonts{CJK: "/nonexistent/cjk.ttf", Latin: "/nonexistent/latin.ttf"})
	if !strings.Contains(f.log.String(), "printable page only") {
		t.Fatalf("no warning at start:\n%s", f.log.String())
	}
	c := f.client()
	c.login("archivist")
	if _, body, code := c.importRegister("登记.csv", []byte(hhRegister), hhDecl, ""); code != http.StatusSeeOther {
		t.Fatalf("import: %d\n%s", code, body)
	}
	page := "/staff/households/" + hhProject
	notice := mustStatus(t, c.post(page+"/codes", url.Values{"csrf": {c.csrf(page)}, "hh": {"0003"}}), http.StatusOK, "issue")
	if len(codeRE.FindAllString(notice, -1)) != 1 || !strings.Contains(notice, "fonts-droid-fallback") || sealRE.MatchString(notice) {
		t.Fatalf("notice without fonts:\n%s", notice)
	}
}

func utf16be(s string) []byte {
	var b []byte
	for _, u := range utf16.Encode([]rune(s)) {
		b = append(b, byte(u>>8), byte(u))
	}
	return b
}

// A household whose number is spelled like one of the pages' actions (import,
// codes) still has its page: the router prefers the action only for its method.
func TestStaffHouseholdNamedLikeAnAction(t *testing.T) {
	f := newHHStaffFixture(t, nil)
	c := f.client()
	c.login("archivist")
	reg := "户号,户主,房屋坐落,建筑面积,产权性质\nimport,张甲,东天街1号,86.5,私有\ncodes,李乙,东天街2号,70,私有\n"
	if _, body, code := c.importRegister("r.csv", []byte(reg), hhDecl, ""); code != http.StatusSeeOther {
		t.Fatalf("import: %d\n%s", code, body)
	}
	for hh, head := range map[string]string{"import": "张甲", "codes": "李乙"} {
		if b := mustStatus(t, c.get("/staff/households/"+hhProject+"/"+hh), http.StatusOK, hh); !strings.Contains(b, head) {
			t.Errorf("household %s: not its page", hh)
		}
	}
}

// failingHasher fails every hash after the first n.
type failingHasher struct {
	testHasher
	n *atomic.Int32
}

func (h failingHasher) Hash(ctx context.Context, s string) (string, error) {
	if h.n.Add(-1) < 0 {
		return "", errors.New("hasher out of memory")
	}
	return h.testHasher.Hash(ctx, s)
}

// A batch that stops half-way still shows the notices of the codes it issued
// (they are issued: their only showing must not be lost), says that it
// stopped, and enters what it issued in the trail.
func TestStaffIssueStopsHalfWay(t *testing.T) {
	left := &atomic.Int32{}
	left.Store(1)
	f := newHHStaffFixture(t, nil, func(o *households.Options) { o.Hasher = failingHasher{n: left} })
	c := f.client()
	c.login("archivist")
	if _, body, code := c.importRegister("登记.csv", []byte(hhRegister), hhDecl, ""); code != http.StatusSeeOther {
		t.Fatalf("import: %d\n%s", code, body)
	}
	page := "/staff/households/" + hhProject
	w := c.post(page+"/codes", url.Values{"csrf": {c.csrf(page)}, "all": {"1"}})
	body := mustStatus(t, w, http.StatusOK, "a batch that stops")
	if n := len(codeRE.FindAllString(body, -1)); n != 1 || !strings.Contains(body, "选中的 3 户中已发放 1 户") {
		t.Fatalf("%d notices\n%s", n, body)
	}
	if codes, _ := f.hs.Codes(f.ctx, hhProject); len(codes) != 1 || codes["0001"].Status != households.CodeIssued {
		t.Fatalf("codes %+v", codes)
	}
	if tr := f.trail("household_code_issue"); len(tr) != 1 || tr[0].Detail != "1 code(s) issued: 0001 v1" {
		t.Fatalf("trail %+v", tr)
	}
}
