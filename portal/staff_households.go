package portal

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/gongshi-archive/gongshi/archive"
	"github.com/gongshi-archive/gongshi/households"
	"github.com/gongshi-archive/gongshi/ingest"
	"github.com/gongshi-archive/gongshi/staff"
)

// The household register's staff pages (/staff/households): the projects with
// their register, importing a register (upload, then declare each column),
// correcting one household, and the query codes — issued, re-issued and revoked
// here, shown once as the printable notice (staff_household_notice.go). The
// archivist changes; an inspector may read. The list pages carry no personal
// value (household numbers, counts, policies); the one page that shows a
// household's values, and every change, is an entry of the staff audit trail,
// whose Detail never holds a personal value or a code.
//
// Parsing and checking a register is the households package's
// (households.ParseRegister, ImportRegister, CorrectHousehold), exactly as
// `gongshi households import|correct` do: these pages only carry the file and
// the declarations to it and show its problems.

// maxRegisterUpload bounds one register file: 100,000 households (the most a
// register may have) of some hundred bytes each.
const maxRegisterUpload = 16 << 20

// pendingFor is how long an uploaded register waits for its columns to be
// declared; pendingMax how many uploads may wait at once (the oldest goes).
const (
	pendingFor = 30 * time.Minute
	pendingMax = 16
)

// pendingImport is an uploaded register waiting for its column declarations.
// It is kept in memory only (never written to disk), for the account that
// uploaded it, and dropped once imported or after pendingFor.
type pendingImport struct {
	project, name, account string
	data                   []byte
	enc                    ingest.Encoding
	expires                time.Time
}

// pendingImports are the uploads waiting, by a random token.
type pendingImports struct {
	mu sync.Mutex
	m  map[string]*pendingImport
}

func (p *pendingImports) put(pi *pendingImport, now time.Time) string {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.m == nil {
		p.m = map[string]*pendingImport{}
	}
	oldest := ""
	for k, v := range p.m {
		if now.After(v.expires) {
			delete(p.m, k)
		} else if oldest == "" || v.expires.Before(p.m[oldest].expires) {
			oldest = k
		}
	}
	if len(p.m) >= pendingMax {
		delete(p.m, oldest)
	}
	b := make([]byte, 16)
	rand.Read(b)
	tok := hex.EncodeToString(b)
	p.m[tok] = pi
	return tok
}

// get returns the upload of token for account and project, nil when there is
// none (expired, another account's, already imported).
func (p *pendingImports) get(tok, account, project string, now time.Time) *pendingImport {
	p.mu.Lock()
	defer p.mu.Unlock()
	pi := p.m[tok]
	if pi == nil || pi.account != account || pi.project != project || now.After(pi.expires) {
		return nil
	}
	return pi
}

func (p *pendingImports) drop(tok string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	delete(p.m, tok)
}

// householdsOrNil is the households service, nil without one.
func (s *Server) householdsOrNil() Households {
	if s.hh == nil {
		return nil
	}
	return s.hh.o.Households
}

func (s *Server) staffHouseholdRoutes(g *echo.Group) {
	if s.hh == nil {
		return
	}
	read := requireRole(archive.RoleArchivist, archive.RoleInspector)
	write := requireRole(archive.RoleArchivist)
	g.GET("/households", s.staffPage(s.staffHouseholdsPage), read)
	g.GET("/households/:project", s.staffPage(s.staffRegisterPage), read)
	g.POST("/households/:project/import", s.staffRegisterUpload, write)
	g.POST("/households/:project/import/confirm", s.staffRegisterImport, write)
	g.POST("/households/:project/codes", s.staffIssueCodes, write)
	g.POST("/households/:project/notice.pdf", s.staffNoticePDF, write)
	g.GET("/households/:project/:hh", s.staffPage(s.staffHouseholdPage), read)
	g.POST("/households/:project/:hh/correct", s.staffCorrectHousehold, write)
	g.POST("/households/:project/:hh/revoke", s.staffRevokeCode, write)
}

// trail records a staff action of the households' pages. subject names the
// project or household; detail says what came of it, never a personal value
// or a code.
func (s *Server) hhTrail(c echo.Context, me staff.Account, action, subject, detail string) error {
	_, err := s.opts.Staff.Accounts.Record(c.Request().Context(), staff.TrailEntry{Action: action, Actor: me.As(),
		Subject: subject, Detail: detail, Client: c.RealIP()})
	return err
}

// hhForm checks a form's CSRF token and reads what every form of these pages
// needs: the request, the account and the project of :project.
func (s *Server) hhForm(c echo.Context) (*request, staff.Account, archive.Project, error) {
	if err := checkFormCSRF(c); err != nil {
		return nil, staff.Account{}, archive.Project{}, err
	}
	p, err := s.staffProject(c.Request().Context(), c)
	return s.requestOf(c), meOf(c), p, err
}

// ---- the list of projects ----

type hhProjectRow struct {
	Project  archive.Project
	Register *households.Register
	Public   []string
	Masked   []string
	Private  []string
	Issued   int
	Revoked  int
}

type staffHouseholdsData struct {
	staffCommon
	Rows []hhProjectRow
}

// columnsBy splits a register's columns by their policy.
func columnsBy(cols []archive.TableColumn) (public, masked, private []string) {
	for _, c := range cols {
		switch c.Policy {
		case archive.ColumnPublic:
			public = append(public, c.Name)
		case archive.ColumnMasked:
			masked = append(masked, c.Name)
		default:
			private = append(private, c.Name)
		}
	}
	return
}

func (s *Server) staffHouseholdsPage(ctx context.Context, rq *request, me staff.Account) (*page, error) {
	hs := s.householdsOrNil()
	ps, err := s.opts.Archive.Projects(ctx)
	if err != nil {
		return nil, err
	}
	regs, err := hs.Registers(ctx)
	if err != nil {
		return nil, err
	}
	byProject := map[string]households.Register{}
	for _, r := range regs {
		byProject[r.Project] = r
	}
	d := staffHouseholdsData{staffCommon: s.common(rq, me, "households")}
	for _, p := range ps {
		row := hhProjectRow{Project: p}
		if r, ok := byProject[p.Code]; ok {
			row.Register = &r
			row.Public, row.Masked, row.Private = columnsBy(r.Columns)
			codes, err := hs.Codes(ctx, p.Code)
			if err != nil {
				return nil, err
			}
			row.Issued, row.Revoked = codeCounts(codes)
		}
		d.Rows = append(d.Rows, row)
	}
	return &page{name: "staff_households", Title: s.tmpl.msg(rq.Lang, "staff_households"), Data: d}, nil
}

func codeCounts(codes map[string]households.Code) (issued, revoked int) {
	for _, c := range codes {
		if c.Status == households.CodeIssued {
			issued++
		} else {
			revoked++
		}
	}
	return
}

// ---- one project's register ----

type hhRow struct {
	Number string
	Code   *households.Code
}

type staffRegisterData struct {
	staffCommon
	Project  archive.Project
	Register *households.Register
	History  []households.Register
	Public   []string
	Masked   []string
	Private  []string
	Rows     []hhRow
	Issued   int
	Revoked  int
	Without  int
	MaxSize  string
	// Problems are what was wrong with an upload or a form sent here.
	Problems []string
	// Reason is the form's reason, kept when it comes back.
	Reason string
}

// staffProject is the project of the request's :project, or errNotFound.
func (s *Server) staffProject(ctx context.Context, c echo.Context) (archive.Project, error) {
	code := c.Param("project")
	if archive.ValidateProjectCode(code) != nil {
		return archive.Project{}, errNotFound
	}
	return s.opts.Archive.Project(ctx, code)
}

func (s *Server) registerData(ctx context.Context, rq *request, me staff.Account) (staffRegisterData, error) {
	p, err := s.staffProject(ctx, rq.c)
	if err != nil {
		return staffRegisterData{}, err
	}
	d := staffRegisterData{staffCommon: s.common(rq, me, "households"), Project: p, MaxSize: formatBytes(maxRegisterUpload)}
	hs := s.householdsOrNil()
	hist, err := hs.RegisterHistory(ctx, p.Code)
	if err != nil {
		return d, err
	}
	if len(hist) == 0 {
		return d, nil
	}
	reg := hist[len(hist)-1]
	d.Register = &reg
	for i := len(hist) - 1; i >= 0; i-- {
		d.History = append(d.History, hist[i])
	}
	d.Public, d.Masked, d.Private = columnsBy(reg.Columns)
	codes, err := hs.Codes(ctx, p.Code)
	if err != nil {
		return d, err
	}
	d.Issued, d.Revoked = codeCounts(codes)
	for _, h := range reg.Households {
		row := hhRow{Number: h.Number}
		if c, ok := codes[h.Number]; ok {
			row.Code = &c
		}
		if row.Code == nil || row.Code.Status != households.CodeIssued {
			d.Without++
		}
		d.Rows = append(d.Rows, row)
	}
	return d, nil
}

func (s *Server) staffRegisterPage(ctx context.Context, rq *request, me staff.Account) (*page, error) {
	d, err := s.registerData(ctx, rq, me)
	if err != nil {
		return nil, err
	}
	return &page{name: "staff_household_register", Title: s.tmpl.msg(rq.Lang, "staff_households") + " " + d.Project.Code, Data: d}, nil
}

// registerProblems renders the register page with what was wrong (nothing was
// stored).
func (s *Server) registerProblems(c echo.Context, status int, problems []string, reason string) error {
	rq := s.requestOf(c)
	d, err := s.registerData(c.Request().Context(), rq, meOf(c))
	if err != nil {
		return err
	}
	d.Problems, d.Reason = problems, reason
	return s.renderPrivate(c, rq, &page{name: "staff_household_register", status: status,
		Title: s.tmpl.msg(rq.Lang, "staff_households") + " " + d.Project.Code, Data: d})
}

// problemLines are an import's problems as the pages list them: every one, with
// its line, household and column.
func problemLines(err error) ([]string, bool) {
	var ie *households.ImportError
	if !errors.As(err, &ie) {
		return nil, false
	}
	return ie.Lines(), true
}

// ---- importing: upload, then declare the columns ----

type importColumn struct {
	Index  int
	Name   string
	Key    bool
	Policy archive.ColumnPolicy
	Mask   archive.MaskKind
}

type staffImportData struct {
	staffCommon
	Project  archive.Project
	Token    string
	FileName string
	Encoding string
	Rows     int
	Columns  []importColumn
	// Current is the version the import replaces (0: the first import, no
	// reason needed).
	Current  int
	Reason   string
	Problems []string
}

// readRegisterUpload reads the register upload's fields and its one file (at
// most maxRegisterUpload), after the CSRF token.
func (s *Server) readRegisterUpload(c echo.Context) (map[string]string, string, []byte, error) {
	mr, err := multipartAfterCSRF(c)
	if err != nil {
		return nil, "", nil, err
	}
	fields := map[string]string{}
	var (
		name string
		data []byte
	)
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, "", nil, uploadError(err)
		}
		if part.FileName() == "" {
			b, err := io.ReadAll(io.LimitReader(part, maxField+1))
			part.Close()
			if err != nil {
				return nil, "", nil, uploadError(err)
			}
			if len(b) > maxField {
				return nil, "", nil, badRequest("err_field", fmt.Errorf("field %q too long", part.FormName()))
			}
			fields[part.FormName()] = strings.TrimSpace(string(b))
			continue
		}
		if data != nil || part.FormName() != "file" {
			part.Close()
			return nil, "", nil, badRequest("err_file_twice", errors.New("one register file at a time"))
		}
		if name, err = uploadName(part.FileName()); err != nil {
			part.Close()
			return nil, "", nil, err
		}
		data, err = io.ReadAll(io.LimitReader(part, maxRegisterUpload+1))
		part.Close()
		if err != nil {
			return nil, "", nil, uploadError(err)
		}
		if len(data) > maxRegisterUpload {
			return nil, "", nil, &userError{status: http.StatusRequestEntityTooLarge, msg: "staff_hh_too_large",
				err: errors.Join(ErrTooLarge, fmt.Errorf("register upload over %d bytes", maxRegisterUpload))}
		}
	}
	return fields, name, data, nil
}

func (s *Server) staffRegisterUpload(c echo.Context) error {
	ctx := c.Request().Context()
	rq := s.requestOf(c)
	me := meOf(c)
	p, err := s.staffProject(ctx, c)
	if err != nil {
		return err
	}
	fields, name, data, err := s.readRegisterUpload(c)
	var ue *userError
	if errors.As(err, &ue) && ue.status == http.StatusRequestEntityTooLarge {
		return s.registerProblems(c, ue.status, []string{fmt.Sprintf(s.tmpl.msg(rq.Lang, "staff_hh_too_large"), formatBytes(maxRegisterUpload))}, "")
	}
	if err != nil {
		return err
	}
	if len(data) == 0 {
		return s.registerProblems(c, http.StatusUnprocessableEntity, []string{s.tmpl.msg(rq.Lang, "staff_hh_choose_file")}, fields["reason"])
	}
	enc, err := ingest.ParseEncoding(fields["encoding"])
	if fields["encoding"] == "" {
		enc, err = ingest.EncodingAuto, nil
	}
	if err != nil {
		return badRequest("err_field", err)
	}
	// Every problem of the file is found here, before any column is declared:
	// the same check as the import's (nothing is stored).
	reg, err := households.ParseRegister(p.Code, data, households.ImportOptions{Name: name, Encoding: enc})
	if lines, ok := problemLines(err); ok {
		return s.registerProblems(c, http.StatusUnprocessableEntity, lines, fields["reason"])
	}
	if err != nil {
		return err
	}
	d := staffImportData{staffCommon: s.common(rq, me, "households"), Project: p, FileName: name,
		Encoding: reg.Source.Encoding, Rows: len(reg.Households), Reason: fields["reason"]}
	// Each column starts as the current register declares it, else private.
	var cur households.Register
	if hist, err := s.householdsOrNil().RegisterHistory(ctx, p.Code); err != nil {
		return err
	} else if len(hist) > 0 {
		cur = hist[len(hist)-1]
		d.Current = cur.Version
	}
	for i, col := range reg.Columns {
		ic := importColumn{Index: i, Name: col.Name, Policy: archive.ColumnPrivate, Key: col.Name == reg.Roles[households.RoleNumber]}
		if prev, ok := cur.Column(col.Name); ok && !ic.Key {
			ic.Policy, ic.Mask = prev.Policy, prev.Mask
		}
		if ic.Key {
			ic.Policy = archive.ColumnPublic
		}
		d.Columns = append(d.Columns, ic)
	}
	d.Token = s.hh.pending.put(&pendingImport{project: p.Code, name: name, account: me.ID, data: data, enc: enc,
		expires: s.now().Add(pendingFor)}, s.now())
	return s.renderPrivate(c, rq, &page{name: "staff_household_import", Title: s.tmpl.msg(rq.Lang, "staff_hh_import"), Data: d})
}

func (s *Server) staffRegisterImport(c echo.Context) error {
	ctx := c.Request().Context()
	rq, me, p, err := s.hhForm(c)
	if err != nil {
		return err
	}
	tok := c.FormValue("token")
	pi := s.hh.pending.get(tok, me.ID, p.Code, s.now())
	if pi == nil {
		return s.registerProblems(c, http.StatusConflict, []string{s.tmpl.msg(rq.Lang, "staff_hh_upload_gone")}, "")
	}
	reg, err := households.ParseRegister(p.Code, pi.data, households.ImportOptions{Name: pi.name, Encoding: pi.enc})
	if err != nil {
		return err // it parsed a moment ago
	}
	var pol households.Policy
	for i, col := range reg.Columns {
		switch c.FormValue("col" + strconv.Itoa(i)) {
		case string(archive.ColumnPublic):
			pol.Public = append(pol.Public, col.Name)
		case string(archive.ColumnMasked):
			pol.Masked = append(pol.Masked, col.Name)
		}
	}
	reason := strings.TrimSpace(c.FormValue("reason"))
	got, err := s.householdsOrNil().ImportRegister(ctx, p.Code, pi.data,
		households.ImportOptions{Name: pi.name, Encoding: pi.enc, Policy: pol}, actorOf(me), reason)
	if err != nil {
		lines, ok := problemLines(err)
		if errors.Is(err, households.ErrReasonRequired) {
			lines, ok = []string{s.tmpl.msg(rq.Lang, "staff_hh_reason_required")}, true
		}
		if !ok {
			return err
		}
		// The upload stays: the declarations or the reason can be fixed.
		d := staffImportData{staffCommon: s.common(rq, me, "households"), Project: p, Token: tok, FileName: pi.name,
			Encoding: reg.Source.Encoding, Rows: len(reg.Households), Reason: reason, Problems: lines}
		if cur, err := s.householdsOrNil().Register(ctx, p.Code); err == nil {
			d.Current = cur.Version
		}
		for i, col := range reg.Columns {
			ic := importColumn{Index: i, Name: col.Name, Key: col.Name == reg.Roles[households.RoleNumber],
				Policy: archive.ColumnPolicy(c.FormValue("col" + strconv.Itoa(i)))}
			if !slices.Contains([]archive.ColumnPolicy{archive.ColumnPublic, archive.ColumnMasked}, ic.Policy) {
				ic.Policy = archive.ColumnPrivate
			}
			d.Columns = append(d.Columns, ic)
		}
		return s.renderPrivate(c, rq, &page{name: "staff_household_import", status: http.StatusUnprocessableEntity,
			Title: s.tmpl.msg(rq.Lang, "staff_hh_import"), Data: d})
	}
	s.hh.pending.drop(tok)
	pub, masked, private := columnsBy(got.Columns)
	if err := s.hhTrail(c, me, "household_register_import", "project "+p.Code,
		fmt.Sprintf("version %d, %d households, %s (%d bytes); public %d, masked %d, private %d columns",
			got.Version, len(got.Households), got.Source.Encoding, got.Source.Size, len(pub), len(masked), len(private))); err != nil {
		return err
	}
	s.log.InfoContext(ctx, "household register imported", "project", p.Code, "version", got.Version,
		"households", len(got.Households), "account", me.ID)
	return redirectDone(c, rq.Lang, "/staff/households/"+p.Code, "done_hh_imported")
}

// ---- one household ----

type hhValue struct {
	Column archive.TableColumn
	Key    bool // the household number: not corrected here
	Value  string
	Shown  string // what residents of the project see of it
}

type staffHouseholdData struct {
	staffCommon
	Project  archive.Project
	Register households.Register
	Number   string
	Values   []hhValue
	Code     *households.Code
	Problems []string
	Reason   string
}

func (s *Server) householdData(ctx context.Context, rq *request, me staff.Account) (staffHouseholdData, error) {
	p, err := s.staffProject(ctx, rq.c)
	if err != nil {
		return staffHouseholdData{}, err
	}
	hs := s.householdsOrNil()
	reg, err := hs.Register(ctx, p.Code)
	if errors.Is(err, households.ErrNoRegister) {
		return staffHouseholdData{}, errNotFound
	}
	if err != nil {
		return staffHouseholdData{}, err
	}
	hh := rq.c.Param("hh")
	row, ok := reg.Household(hh)
	if !ok {
		return staffHouseholdData{}, errNotFound
	}
	d := staffHouseholdData{staffCommon: s.common(rq, me, "households"), Project: p, Register: reg, Number: hh}
	for i, col := range reg.Columns {
		v := ""
		if i < len(row.Values) {
			v = row.Values[i]
		}
		shown := ""
		switch col.Policy {
		case archive.ColumnPublic:
			shown = v
		case archive.ColumnMasked:
			shown = households.MaskValue(col.Mask, v)
		}
		d.Values = append(d.Values, hhValue{Column: col, Key: col.Name == reg.Roles[households.RoleNumber], Value: v, Shown: shown})
	}
	c, err := hs.CodeOf(ctx, p.Code, hh)
	switch {
	case err == nil:
		d.Code = &c
	case !errors.Is(err, archive.ErrNotFound):
		return d, err
	}
	return d, nil
}

func (s *Server) staffHouseholdPage(ctx context.Context, rq *request, me staff.Account) (*page, error) {
	d, err := s.householdData(ctx, rq, me)
	if err != nil {
		return nil, err
	}
	// The page shows the household's values: a read of personal data.
	if err := s.hhTrail(rq.c, me, "household_read", "household "+d.Project.Code+"/"+d.Number, ""); err != nil {
		return nil, err
	}
	return &page{name: "staff_household", Title: s.tmpl.msg(rq.Lang, "staff_hh_household") + " " + d.Number, Data: d}, nil
}

// householdProblems renders the household's page again with what was wrong.
func (s *Server) householdProblems(c echo.Context, status int, problems []string, reason string) error {
	rq := s.requestOf(c)
	me := meOf(c)
	d, err := s.householdData(c.Request().Context(), rq, me)
	if err != nil {
		return err
	}
	if err := s.hhTrail(c, me, "household_read", "household "+d.Project.Code+"/"+d.Number, ""); err != nil {
		return err
	}
	d.Problems, d.Reason = problems, reason
	return s.renderPrivate(c, rq, &page{name: "staff_household", status: status,
		Title: s.tmpl.msg(rq.Lang, "staff_hh_household") + " " + d.Number, Data: d})
}

func (s *Server) staffCorrectHousehold(c echo.Context) error {
	ctx := c.Request().Context()
	rq, me, p, err := s.hhForm(c)
	if err != nil {
		return err
	}
	hh := c.Param("hh")
	hs := s.householdsOrNil()
	reg, err := hs.Register(ctx, p.Code)
	if err != nil {
		return errNotFound
	}
	row, ok := reg.Household(hh)
	if !ok {
		return errNotFound
	}
	reason := strings.TrimSpace(c.FormValue("reason"))
	values := map[string]string{}
	for i, col := range reg.Columns {
		v, sent := c.Request().PostForm["col"+strconv.Itoa(i)]
		if !sent || col.Name == reg.Roles[households.RoleNumber] {
			continue
		}
		if nv := strings.TrimSpace(v[0]); i < len(row.Values) && nv != row.Values[i] {
			values[col.Name] = nv
		}
	}
	if len(values) == 0 {
		return s.householdProblems(c, http.StatusUnprocessableEntity, []string{s.tmpl.msg(rq.Lang, "staff_hh_nothing_changed")}, reason)
	}
	if reason == "" {
		return s.householdProblems(c, http.StatusUnprocessableEntity, []string{s.tmpl.msg(rq.Lang, "staff_hh_reason_required")}, reason)
	}
	got, err := hs.CorrectHousehold(ctx, p.Code, hh, values, actorOf(me), reason)
	if lines, ok := problemLines(err); ok {
		return s.householdProblems(c, http.StatusUnprocessableEntity, lines, reason)
	}
	if err != nil {
		return err
	}
	cols := make([]string, 0, len(values))
	for k := range values {
		cols = append(cols, k)
	}
	slices.Sort(cols)
	if err := s.hhTrail(c, me, "household_correct", "household "+p.Code+"/"+hh,
		fmt.Sprintf("register version %d; columns %s", got.Version, strings.Join(cols, ", "))); err != nil {
		return err
	}
	return redirectDone(c, rq.Lang, "/staff/households/"+p.Code+"/"+hh, "done_hh_corrected")
}

// ---- query codes ----

func (s *Server) staffRevokeCode(c echo.Context) error {
	ctx := c.Request().Context()
	rq, me, p, err := s.hhForm(c)
	if err != nil {
		return err
	}
	hh := c.Param("hh")
	reason := strings.TrimSpace(c.FormValue("reason"))
	if reason == "" {
		return s.householdProblems(c, http.StatusUnprocessableEntity, []string{s.tmpl.msg(rq.Lang, "staff_hh_reason_required")}, "")
	}
	got, err := s.householdsOrNil().RevokeCode(ctx, p.Code, hh, actorOf(me), reason)
	switch {
	case errors.Is(err, archive.ErrUnchanged), errors.Is(err, archive.ErrNotFound):
		return s.householdProblems(c, http.StatusConflict, []string{s.tmpl.msg(rq.Lang, "staff_hh_no_code")}, reason)
	case errors.Is(err, households.ErrNoHousehold):
		return errNotFound
	case err != nil:
		return err
	}
	if err := s.hhTrail(c, me, "household_code_revoke", "household "+p.Code+"/"+hh, fmt.Sprintf("code version %d", got.Version)); err != nil {
		return err
	}
	s.log.InfoContext(ctx, "household code revoked", "project", p.Code, "household", hh, "version", got.Version, "account", me.ID)
	return redirectDone(c, rq.Lang, "/staff/households/"+p.Code+"/"+hh, "done_hh_revoked")
}

// staffIssueCodes issues codes to the households chosen (hh, repeated), or to
// every household without a code (all=1), and answers with the printable
// notices: the only time the codes are shown.
func (s *Server) staffIssueCodes(c echo.Context) error {
	ctx := c.Request().Context()
	rq, me, p, err := s.hhForm(c)
	if err != nil {
		return err
	}
	hs := s.householdsOrNil()
	reg, err := hs.Register(ctx, p.Code)
	if errors.Is(err, households.ErrNoRegister) {
		return s.registerProblems(c, http.StatusConflict, []string{s.tmpl.msg(rq.Lang, "staff_hh_no_register")}, "")
	}
	if err != nil {
		return err
	}
	codes, err := hs.Codes(ctx, p.Code)
	if err != nil {
		return err
	}
	reason := strings.TrimSpace(c.FormValue("reason"))
	var order []string
	if c.FormValue("all") != "" {
		for _, h := range reg.Households {
			if cur, ok := codes[h.Number]; !ok || cur.Status != households.CodeIssued {
				order = append(order, h.Number)
			}
		}
	} else {
		seen := map[string]bool{}
		for _, hh := range c.Request().PostForm["hh"] {
			if hh = strings.TrimSpace(hh); hh != "" && !seen[hh] {
				seen[hh] = true
				order = append(order, hh)
			}
		}
	}
	back := func(status int, problems []string) error {
		if c.FormValue("from") == "household" && len(order) == 1 {
			c.SetParamNames("project", "hh")
			c.SetParamValues(p.Code, order[0])
			return s.householdProblems(c, status, problems, reason)
		}
		return s.registerProblems(c, status, problems, reason)
	}
	if len(order) == 0 {
		return back(http.StatusUnprocessableEntity, []string{s.tmpl.msg(rq.Lang, "staff_hh_choose_households")})
	}
	// Check every household first, so that a bad choice issues nothing.
	var problems []string
	for _, hh := range order {
		if _, ok := reg.Household(hh); !ok {
			problems = append(problems, fmt.Sprintf(s.tmpl.msg(rq.Lang, "staff_hh_no_such"), hh))
		} else if cur, ok := codes[hh]; ok && cur.Status == households.CodeIssued && reason == "" {
			problems = append(problems, fmt.Sprintf(s.tmpl.msg(rq.Lang, "staff_hh_reissue_reason"), hh))
		}
	}
	if len(problems) > 0 {
		return back(http.StatusUnprocessableEntity, problems)
	}
	// trailIssued enters the codes issued in the staff trail. The codes are
	// issued (their versions name the account in the ledger): losing their only
	// showing to a failed entry would be worse than the entry's loss.
	trailIssued := func(done []string, versions map[string]int) {
		if len(done) == 0 {
			return
		}
		if err := s.hhTrail(c, me, "household_code_issue", "project "+p.Code, issuedDetail(done, versions)); err != nil {
			s.log.ErrorContext(ctx, "household codes issued, but not entered in the staff trail", "project", p.Code,
				"households", len(done), "account", me.ID, "err", err)
		}
	}
	issued := map[string]string{}
	versions := map[string]int{}
	var (
		done   []string
		failed error
	)
	for _, hh := range order {
		code, cv, err := hs.IssueCode(ctx, p.Code, hh, actorOf(me), reason)
		if err != nil {
			failed = fmt.Errorf("portal: issue the code of %s household %s (after %d issued): %w", p.Code, hh, len(done), err)
			break
		}
		issued[hh], versions[hh] = code, cv.Version
		done = append(done, hh)
	}
	trailIssued(done, versions)
	if failed != nil && len(done) == 0 {
		return failed
	}
	var stopped []string
	if failed != nil {
		// What was issued is issued: its notices are shown, with what failed.
		s.log.ErrorContext(ctx, "household codes: the batch stopped", "project", p.Code, "issued", len(done), "err", failed)
		stopped = []string{fmt.Sprintf(s.tmpl.msg(rq.Lang, "staff_hh_issue_stopped"), len(done), len(order))}
	}
	s.log.InfoContext(ctx, "household codes issued", "project", p.Code, "households", len(done), "account", me.ID)
	return s.renderNotices(c, rq, me, p, reg, issued, done, stopped)
}

// issuedDetail is the trail's line of codes issued: the households and the
// versions of their codes, never a code.
func issuedDetail(hhs []string, versions map[string]int) string {
	parts := make([]string, len(hhs))
	for i, hh := range hhs {
		parts[i] = fmt.Sprintf("%s v%d", hh, versions[hh])
	}
	return fmt.Sprintf("%d code(s) issued: %s", len(hhs), strings.Join(parts, ", "))
}
