package portal

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/gongshi-archive/gongshi/archive"
	"github.com/gongshi-archive/gongshi/calendar"
	"github.com/gongshi-archive/gongshi/households"
	"github.com/gongshi-archive/gongshi/requests"
)

// The residents' pages (居民查询): a household enters its number and its query
// code and sees its own records, the area-class documents and de-identified
// tables of its project, and its own objection clock — never another
// household's detail. The household's session is a cookie signed by the server
// (HMAC-SHA256 under HouseholdOptions.SessionKey) naming the project, the
// household and the version of its code; it ends after SessionTTL, and at once
// when the code is revoked or replaced. Pages for a household are rendered per
// request (never from the page cache) and sent private, no-store.

// HouseholdOptions turn on the residents' pages, the per-household tables, the
// disclosure requests and their staff pages. nil: none of them.
type HouseholdOptions struct {
	Households Households
	Requests   Requests
	// SessionKey signs household sessions (at least 32 bytes). Every server
	// sharing a store must have the same key (gongshi serve keeps it in the
	// data directory: keys/household-session.key).
	SessionKey []byte
	// SessionTTL is how long a household stays logged in; 0 means 2 hours.
	SessionTTL time.Duration
	// Backoff slows down wrong codes, per household and per client: growing
	// delays, never a lockout (staff.Limiter is one). Required.
	Backoff Backoff
	// Trail records staff reads of personal data (who looked at which
	// household, when) for the auditor; nil: staff pages show no personal data.
	Trail Trail
	// SubmitEvery and SubmitBurst bound disclosure requests per client: a burst
	// of SubmitBurst, then one each SubmitEvery; zero means 5 and one a minute.
	SubmitEvery time.Duration
	SubmitBurst int
	// NoticeFonts are the TrueType fonts the PDF notices are set in: a CJK font
	// and a Latin one (nil: looked for where Debian installs them).
	NoticeFonts *NoticeFonts
}

// Households is what the portal uses of the households package
// (*households.Service has it).
type Households interface {
	Register(ctx context.Context, project string) (households.Register, error)
	Registers(ctx context.Context) ([]households.Register, error)
	RegisterHistory(ctx context.Context, project string) ([]households.Register, error)
	Codes(ctx context.Context, project string) (map[string]households.Code, error)
	ImportRegister(ctx context.Context, project string, data []byte, o households.ImportOptions, actor archive.Actor, reason string) (households.Register, error)
	CorrectHousehold(ctx context.Context, project, hh string, values map[string]string, actor archive.Actor, reason string) (households.Register, error)
	CheckCode(ctx context.Context, project, hh, code string) (households.Code, error)
	CodeCurrent(ctx context.Context, project, hh string, n int) (bool, error)
	CodeOf(ctx context.Context, project, hh string) (households.Code, error)
	IssueCode(ctx context.Context, project, hh string, actor archive.Actor, reason string) (string, households.Code, error)
	RevokeCode(ctx context.Context, project, hh string, actor archive.Actor, reason string) (households.Code, error)
	Clock(ctx context.Context, project, hh string) (households.ClockView, error)
	ObjectionOf(ctx context.Context, project, hh string) (households.Objection, error)
	RecordStep(ctx context.Context, project, hh string, st households.Step, actor archive.Actor, reason string) (households.Objection, error)
	OpenClocks(ctx context.Context) ([]households.ClockView, error)
	AttachTable(ctx context.Context, id string, data []byte, o households.TableOptions, actor archive.Actor, reason string) (archive.Table, error)
	ReadSealed(ctx context.Context, t archive.Table) (*households.Parsed, error)
	CheckTable(ctx context.Context, id string, n int) (households.TableCheck, error)
	Table(ctx context.Context, id string) (archive.Table, error)
	RecordState(ctx context.Context, id string) (archive.RecordState, error)
	Publicity(typ string) (calendar.Rule, bool)
}

// Requests is what the portal uses of the requests package (*requests.Service
// has it).
type Requests interface {
	Submit(ctx context.Context, f requests.Form) (requests.Ticket, string, error)
	Open(ctx context.Context, id, secret string) (requests.Ticket, error)
	Get(ctx context.Context, id string) (requests.Ticket, error)
	List(ctx context.Context) ([]requests.Ticket, error)
	History(ctx context.Context, id string) ([]requests.Ticket, error)
	Status(t requests.Ticket) calendar.Status
	CorrectionStatus(t requests.Ticket) calendar.Status
	AskCorrection(ctx context.Context, id string, day archive.Date, note string, actor archive.Actor) (requests.Ticket, error)
	CorrectionReceived(ctx context.Context, id string, day archive.Date, actor archive.Actor) (requests.Ticket, error)
	Extend(ctx context.Context, id string, day archive.Date, note string, actor archive.Actor) (requests.Ticket, error)
	AnswerRequest(ctx context.Context, id string, a requests.Answer, actor archive.Actor) (requests.Ticket, error)
	Rule() calendar.Rule
	Calendar() *calendar.Calendar
}

// Backoff slows down guessing: Wait is how long key must still wait, Fail counts
// a failure and returns the next delay, Succeed clears the key.
type Backoff interface {
	Wait(key string, now time.Time) time.Duration
	Fail(key string, now time.Time) time.Duration
	Succeed(key string)
}

// Trail records that a staff member read personal data (the ledgered staff
// audit trail): actor, what (an action word), whose (a subject such as
// "household CC-2026-001/0007") and the client's address.
type Trail interface {
	RecordRead(ctx context.Context, actor archive.Actor, action, subject, client string) error
}

// householdState is the server's part for households.
type householdState struct {
	o    HouseholdOptions
	ttl  time.Duration
	subs *clientRate
	// current caches CodeCurrent answers for a few seconds: every page of a
	// household checks its code, and a revocation must end its session soon,
	// not at once.
	mu      sync.Mutex
	current map[string]currentEntry
	fonts   *noticeFonts
	pending pendingImports // staff_households.go: registers waiting for their columns
}

type currentEntry struct {
	ok bool
	at time.Time
}

// currentFor is how long a CodeCurrent answer is reused.
const currentFor = 10 * time.Second

func newHouseholdState(o *HouseholdOptions) (*householdState, error) {
	if o == nil {
		return nil, nil
	}
	switch {
	case o.Households == nil || o.Requests == nil:
		return nil, errors.New("portal: HouseholdOptions needs Households and Requests")
	case len(o.SessionKey) < 32:
		return nil, errors.New("portal: HouseholdOptions.SessionKey must have at least 32 bytes")
	case o.Backoff == nil:
		return nil, errors.New("portal: HouseholdOptions.Backoff is required (wrong codes must slow down)")
	}
	h := &householdState{o: *o, ttl: o.SessionTTL, current: map[string]currentEntry{}}
	if h.ttl <= 0 {
		h.ttl = 2 * time.Hour
	}
	every, burst := o.SubmitEvery, o.SubmitBurst
	if every <= 0 {
		every = time.Minute
	}
	if burst <= 0 {
		burst = 5
	}
	h.subs = newClientRate(every, burst)
	return h, nil
}

// householdCookie is the name of a household's session cookie.
const householdCookie = "gongshi_household"

// session is what a household's cookie says.
type session struct {
	Project, Household string
	Code               int // the version of the code it logged in with
	Expires            time.Time
}

// signSession writes s as a cookie value: the fields, then the HMAC of them.
func (h *householdState) signSession(s session) string {
	payload := strings.Join([]string{"v1", s.Project, s.Household, strconv.Itoa(s.Code), strconv.FormatInt(s.Expires.Unix(), 10)}, "|")
	m := hmac.New(sha256.New, h.o.SessionKey)
	m.Write([]byte(payload))
	enc := base64.RawURLEncoding
	return enc.EncodeToString([]byte(payload)) + "." + enc.EncodeToString(m.Sum(nil))
}

// errSessionEnded: a household cookie that was genuine but no longer lets the
// household in (expired, its code revoked or replaced).
var errSessionEnded = &userError{status: http.StatusUnauthorized, msg: "hh_session_ended", err: ErrUnauthenticated}

// openSession reads a cookie value: errSessionForged when it is not one the
// server signed, errSessionEnded when it has expired.
func (h *householdState) openSession(v string, now time.Time) (session, error) {
	forged := &userError{status: http.StatusUnauthorized, msg: "hh_session_ended", err: errors.Join(ErrUnauthenticated, errors.New("household session not signed by this server"))}
	p64, m64, ok := strings.Cut(v, ".")
	enc := base64.RawURLEncoding
	payload, err1 := enc.DecodeString(p64)
	mac, err2 := enc.DecodeString(m64)
	if !ok || err1 != nil || err2 != nil {
		return session{}, forged
	}
	m := hmac.New(sha256.New, h.o.SessionKey)
	m.Write(payload)
	if !hmac.Equal(mac, m.Sum(nil)) {
		return session{}, forged
	}
	f := strings.Split(string(payload), "|")
	if len(f) != 5 || f[0] != "v1" {
		return session{}, forged
	}
	code, err1 := strconv.Atoi(f[3])
	exp, err2 := strconv.ParseInt(f[4], 10, 64)
	if err1 != nil || err2 != nil {
		return session{}, forged
	}
	s := session{Project: f[1], Household: f[2], Code: code, Expires: time.Unix(exp, 0)}
	if !now.Before(s.Expires) {
		return session{}, errSessionEnded
	}
	return s, nil
}

// codeCurrent asks (or remembers for a few seconds) whether a session's code
// is still the household's.
func (h *householdState) codeCurrent(ctx context.Context, s session, now time.Time) (bool, error) {
	key := archive.HouseholdKey(s.Project, s.Household) + "#" + strconv.Itoa(s.Code)
	h.mu.Lock()
	e, ok := h.current[key]
	h.mu.Unlock()
	if ok && now.Sub(e.at) < currentFor {
		return e.ok, nil
	}
	cur, err := h.o.Households.CodeCurrent(ctx, s.Project, s.Household, s.Code)
	if err != nil {
		return false, err
	}
	h.mu.Lock()
	if len(h.current) > 10_000 {
		clear(h.current)
	}
	h.current[key] = currentEntry{ok: cur, at: now}
	h.mu.Unlock()
	return cur, nil
}

// householdAuth is the Authenticator of household sessions.
type householdAuth struct{ s *Server }

// exempt are the addresses where a session that ended is ignored rather than
// refused, so that the household can log in again or out.
func exemptFromSession(path string) bool {
	p := stripLang(path)
	return p == "/household" || p == "/household/login" || p == "/household/logout"
}

func (a householdAuth) Authenticate(r *http.Request) (Viewer, bool, error) {
	c, err := r.Cookie(householdCookie)
	if err != nil || c.Value == "" {
		return Viewer{}, false, nil
	}
	h := a.s.hh
	now := a.s.now()
	s, err := h.openSession(c.Value, now)
	if err == nil {
		var cur bool
		cur, err = h.codeCurrent(r.Context(), s, now)
		if err != nil {
			return Viewer{}, false, err
		}
		if !cur {
			err = errSessionEnded
		}
	}
	if err != nil {
		if exemptFromSession(r.URL.Path) {
			return Viewer{}, false, nil
		}
		return Viewer{}, false, err
	}
	return Viewer{Kind: ViewerHousehold, Project: s.Project, Household: s.Household}, true, nil
}

// setHouseholdCookie sets (or, with an empty value, clears) the session cookie.
func (s *Server) setHouseholdCookie(c echo.Context, value string, maxAge int) {
	http.SetCookie(c.Response(), &http.Cookie{Name: householdCookie, Value: value, Path: "/", MaxAge: maxAge,
		HttpOnly: true, Secure: s.opts.HSTS || c.Request().TLS != nil, SameSite: http.SameSiteLaxMode})
}

// clientOf is the client's address, for slowing down guesses: the connection's
// peer, unless the server was told to trust a proxy's header (an IPExtractor);
// a header a client sets itself would let it count as anyone.
func clientOf(c echo.Context) string {
	if c.Echo().IPExtractor != nil {
		return c.RealIP()
	}
	host, _, err := net.SplitHostPort(c.Request().RemoteAddr)
	if err != nil {
		return c.Request().RemoteAddr
	}
	return host
}

// loginData is the data of the household login form.
type loginData struct {
	CSRF      string
	Project   string
	Household string
	Projects  []archive.Project
	// Wrong: the last attempt failed; Wait is how long to wait before the next
	// (rounded up to seconds); Ended: a session ended.
	Wrong bool
	Wait  int
	Ended bool
}

// householdPage is /household: the login form for the public, the household's
// own page once logged in.
func (s *Server) householdPage(ctx context.Context, rq *request) (*page, error) {
	if s.hh == nil {
		return nil, errNotFound
	}
	if rq.Viewer.Kind == ViewerHousehold {
		return s.householdHome(ctx, rq)
	}
	d, err := s.loginForm(ctx, rq.c)
	if err != nil {
		return nil, err
	}
	if c, err := rq.c.Request().Cookie(householdCookie); err == nil && c.Value != "" {
		d.Ended = true // the cookie was ignored: it no longer lets anyone in
		s.setHouseholdCookie(rq.c, "", -1)
	}
	return &page{name: "household_login", Title: s.tmpl.msg(rq.Lang, "hh_login_title"), Data: d}, nil
}

func (s *Server) loginForm(ctx context.Context, c echo.Context) (loginData, error) {
	projects, err := s.opts.Archive.Projects(ctx)
	if err != nil {
		return loginData{}, err
	}
	return loginData{CSRF: s.visitorCSRF(c, "household"), Projects: projects}, nil
}

// householdLogin checks a household number and code. A wrong one answers the
// form again with how long to wait; attempts are slowed down per household and
// per client, growing, never refused for good; the log says that an attempt
// failed, never the code.
func (s *Server) householdLogin(c echo.Context) error {
	if s.hh == nil {
		return errNotFound
	}
	r := c.Request()
	if err := s.checkVisitorCSRF(c, "household"); err != nil {
		return err
	}
	ctx := r.Context()
	lang := langOf(r.URL.Path)
	project := strings.TrimSpace(c.FormValue("project"))
	hh := strings.TrimSpace(c.FormValue("household"))
	code := c.FormValue("code")
	now := s.now()
	keys := []string{"hh:" + archive.HouseholdKey(project, hh), "client:" + clientOf(c)}
	var wait time.Duration
	for _, k := range keys {
		wait = max(wait, s.hh.o.Backoff.Wait(k, now))
	}
	again := func(wait time.Duration) error {
		d, err := s.loginForm(ctx, c)
		if err != nil {
			return err
		}
		d.Project, d.Household, d.Wrong, d.Wait = project, hh, true, int((wait+time.Second-1)/time.Second)
		c.Response().Header().Set("Cache-Control", "no-store")
		body, err := s.renderPage(ctx, &page{name: "household_login", status: http.StatusUnauthorized,
			Title: s.tmpl.msg(lang, "hh_login_title"), Data: d}, requestInfo{Lang: lang, Path: "/household", Today: s.today()})
		if err != nil {
			return err
		}
		return c.HTMLBlob(http.StatusUnauthorized, body)
	}
	if wait > 0 {
		s.log.InfoContext(ctx, "household login refused: waiting", "wait", wait.Round(time.Second).String())
		return again(wait)
	}
	got, err := s.hh.o.Households.CheckCode(ctx, project, hh, code)
	if errors.Is(err, households.ErrBadCode) {
		for _, k := range keys {
			wait = max(wait, s.hh.o.Backoff.Fail(k, now))
		}
		s.log.InfoContext(ctx, "household login failed", "next_wait", wait.Round(time.Second).String())
		return again(wait)
	}
	if err != nil {
		return err
	}
	s.hh.o.Backoff.Succeed(keys[0])
	exp := now.Add(s.hh.ttl)
	s.setHouseholdCookie(c, s.hh.signSession(session{Project: got.Project, Household: got.Household, Code: got.Version, Expires: exp}), int(s.hh.ttl/time.Second))
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.Redirect(http.StatusSeeOther, href(lang, "/household"))
}

// householdLogout ends the session on this browser.
func (s *Server) householdLogout(c echo.Context) error {
	if s.hh == nil {
		return errNotFound
	}
	if err := crossSite(c.Request()); err != nil {
		return err
	}
	s.setHouseholdCookie(c, "", -1)
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.Redirect(http.StatusSeeOther, href(langOf(c.Request().URL.Path), "/"))
}

// householdHomeData is the data of a household's own page.
type householdHomeData struct {
	Cat       *archive.Catalogue
	Project   archive.Project
	Household string
	// Row is the household's own row of the register: the public and masked
	// columns as they are, never a private one.
	Row []cellView
	// Clock is its objection clock; Current the stage that runs.
	Clock   households.ClockView
	Current *households.Stage
	// Own are the household's own records; Area the project's documents it may
	// read; Tables the project's tables it may see.
	Own    []recordRow
	Area   []recordRow
	Tables []tableLink
}

type cellView struct{ Name, Value string }

type tableLink struct {
	Record archive.Record
	Window archive.DateWindow
}

// householdRecords is how many of a project's records the household page lists.
const householdRecords = 500

func (s *Server) householdHome(ctx context.Context, rq *request) (*page, error) {
	v := rq.Viewer
	p, err := s.opts.Archive.Project(ctx, v.Project)
	if err != nil {
		return nil, err
	}
	d := householdHomeData{Cat: s.opts.Archive.Catalogue(), Project: p, Household: v.Household}
	if reg, err := s.hh.o.Households.Register(ctx, v.Project); err == nil {
		if row, ok := reg.Household(v.Household); ok {
			for i, c := range reg.Columns {
				if c.Policy != archive.ColumnPrivate {
					d.Row = append(d.Row, cellView{Name: c.Name, Value: row.Values[i]})
				}
			}
		}
	} else if !errors.Is(err, households.ErrNoRegister) {
		return nil, err
	}
	if d.Clock, err = s.hh.o.Households.Clock(ctx, v.Project, v.Household); err != nil {
		return nil, err
	}
	if cur, ok := d.Clock.Current(); ok {
		d.Current = &cur
	}
	res, err := s.opts.Index.Search(ctx, v, Query{Project: v.Project, Sort: "date", Limit: householdRecords})
	if err != nil {
		return nil, err
	}
	for _, h := range res.Hits {
		row := recordRow{Record: h.Record}
		switch {
		case h.Record.Disclosure == archive.Household:
			d.Own = append(d.Own, row)
		default:
			d.Area = append(d.Area, row)
		}
		if t, ok := s.tableOf(ctx, v, h.Record); ok {
			d.Tables = append(d.Tables, tableLink{Record: h.Record, Window: t.Window})
		}
	}
	return &page{name: "household_home", Title: s.tmpl.msg(rq.Lang, "hh_home_title"), Data: d}, nil
}

// tableOf is record rec's table when v may see rows of it (masked or more).
func (s *Server) tableOf(ctx context.Context, v Viewer, rec archive.Record) (archive.Table, bool) {
	if typ, ok := s.opts.Archive.Catalogue().Type(rec.Type); !ok || !typ.Table {
		return archive.Table{}, false
	}
	view, t, err := s.tableView(ctx, v, rec)
	return t, err == nil && view >= archive.TableMasked
}

// tableView is what v may see of record rec's table, and the table.
func (s *Server) tableView(ctx context.Context, v Viewer, rec archive.Record) (archive.TableView, archive.Table, error) {
	t, err := s.hh.o.Households.Table(ctx, rec.ID)
	if err != nil {
		return archive.TableNone, archive.Table{}, err
	}
	st, err := s.hh.o.Households.RecordState(ctx, rec.ID)
	if err != nil {
		return archive.TableNone, archive.Table{}, err
	}
	vis := archive.Visibility(rec, st, s.now())
	view := archive.TableNone
	for _, av := range v.archiveViewers() {
		view = max(view, vis.TableFor(av))
	}
	return view, t, nil
}
