package portal

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/gongshi-archive/gongshi/archive"
	"github.com/gongshi-archive/gongshi/staff"
)

// The staff pages (/staff/, and /en/staff/): the login, each role's work, and
// the accounts. Every page is rendered per request (private, no-store), every
// form carries its CSRF token (csrf.go), and every change is made as the
// logged-in account: the version it makes names the account as its actor, so
// the change is a ledger entry that says who made it.

// StaffOptions turn the staff pages and the API's writes on.
type StaffOptions struct {
	// Accounts are the staff accounts and sessions (*staff.Service).
	Accounts StaffAccounts
	// Filer files uploaded documents (*ingest.Filer); nil: no filing here.
	Filer StaffFiler
	// Records makes corrections and publication changes (*archive.Archive).
	Records RecordWriter
	// Audit runs a fixity audit for the inspectors; nil: not from here.
	Audit AuditFunc
	// Activity reads the ledger for the auditor (*ledger.Log); nil: not here.
	Activity ActivityLog
	// TempDir holds uploads while they are filed ("" means os.TempDir()).
	TempDir string
	// MaxUpload bounds one staff upload (a document or a batch); 0 means 2 GiB.
	MaxUpload int64
	// TrustProxy: the portal is behind a reverse proxy that appends the
	// client's address to X-Forwarded-For; the login limits count clients by
	// it. Without it they count the connection's address.
	TrustProxy bool
}

// staffState is what the staff pages keep while the server runs: the audit
// being run, and the last one's result.
type staffState struct {
	audits auditRunner
}

func (s *Server) staffState() *staffState { return s.staff }

// IsStaff reports whether v is a logged-in staff member.
func (v Viewer) IsStaff() bool { return v.Kind == ViewerStaff }

// staffCommon is what every staff page's data carries.
type staffCommon struct {
	Me   staff.Account
	CSRF string
	// Section is the staff navigation's current entry.
	Section string
	// Done is a message of the change just made (after a redirect), by key.
	Done string
}

func (c staffCommon) Can(r archive.Role) bool { return !c.Me.Disabled && c.Me.HasRole(r) }

// staffPageFunc builds a staff page for the logged-in account me.
type staffPageFunc func(ctx context.Context, rq *request, me staff.Account) (*page, error)

// staffRoutes registers the staff pages, when the server has staff.
func (s *Server) staffRoutes(e *echo.Echo) {
	if s.opts.Staff == nil {
		return
	}
	if s.opts.Staff.TrustProxy {
		e.IPExtractor = echo.ExtractIPFromXFFHeader()
	}
	for _, pre := range []string{"", enPrefix} {
		e.GET(pre+"/staff", func(c echo.Context) error {
			return c.Redirect(http.StatusMovedPermanently, pre+"/staff/")
		})
		g := e.Group(pre + "/staff")
		g.GET("/login", s.staffLoginPage)
		g.POST("/login", s.staffLogin)
		in := g.Group("", requireRole(), s.loadStaff)
		in.POST("/logout", s.staffLogout)
		in.GET("/", s.staffPage(s.dashboardPage))
		in.GET("/password", s.staffPage(s.passwordPage))
		in.POST("/password", s.staffPassword)
		s.staffFileRoutes(in)
		s.staffRecordRoutes(in)
		s.staffAccountRoutes(in)
		s.staffInspectRoutes(in)
		s.staffRequestRoutes(in)   // staff_requests.go
		s.staffHHTableRoutes(in)   // staff_hhtable.go, staff_clocks.go
		s.staffHouseholdRoutes(in) // staff_households.go
	}
}

// staffAccountKey is where loadStaff keeps the request's account.
const staffAccountKey = "gongshi.staff.account"

// loadStaff reads the request's account once, for the handlers (meOf). An
// account whose password was set by someone else may do nothing but choose its
// own (and log out).
func (s *Server) loadStaff(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		me, err := s.staffOf(c.Request().Context())
		if err != nil {
			return err
		}
		if me.MustChange {
			switch stripLang(c.Request().URL.Path) {
			case "/staff/password", "/staff/logout":
			default:
				if c.Request().Method != http.MethodGet {
					return ErrForbidden
				}
				return c.Redirect(http.StatusSeeOther, href(langOf(c.Request().URL.Path), "/staff/password"))
			}
		}
		c.Set(staffAccountKey, me)
		return next(c)
	}
}

// meOf is the account of a request behind loadStaff.
func meOf(c echo.Context) staff.Account {
	me, _ := c.Get(staffAccountKey).(staff.Account)
	return me
}

// staffPage wraps a staff page: rendered for this request only.
func (s *Server) staffPage(fn staffPageFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		ctx := c.Request().Context()
		rq := s.requestOf(c)
		p, err := fn(ctx, rq, meOf(c))
		if err != nil {
			return err
		}
		return s.renderPrivate(c, rq, p)
	}
}

// renderPrivate renders p for this request only: never stored by anyone.
func (s *Server) renderPrivate(c echo.Context, rq *request, p *page) error {
	body, err := s.renderPage(c.Request().Context(), p, rq.requestInfo)
	if err != nil {
		return err
	}
	c.Response().Header().Set("Cache-Control", "private, no-store")
	status := p.status
	if status == 0 {
		status = http.StatusOK
	}
	return c.HTMLBlob(status, body)
}

// common is the staff part of a page's data.
func (s *Server) common(rq *request, me staff.Account, section string) staffCommon {
	return staffCommon{Me: me, CSRF: sessionCSRF(rq.c.Request()), Section: section, Done: doneKey(rq.form("done"))}
}

// doneKey keeps a "done" message key only when it is one of ours.
func doneKey(k string) string {
	if strings.HasPrefix(k, "done_") && len(k) < 40 && !strings.ContainsAny(k, "<>\"'& ") {
		return k
	}
	return ""
}

// redirectDone answers a staff form with a redirect to path with a message of
// what was done (POST, redirect, GET: a reload does not post again).
func redirectDone(c echo.Context, lang Lang, path, done string) error {
	sep := "?"
	if strings.Contains(path, "?") {
		sep = "&"
	}
	return c.Redirect(http.StatusSeeOther, href(lang, path)+sep+"done="+url.QueryEscape(done))
}

// actorOf is the logged-in account as the actor of a change.
func actorOf(me staff.Account) archive.Actor { return me.As() }

// ---- login and logout ----

type staffLoginData struct {
	CSRF       string
	Next       string
	Login      string
	Error      string
	RetryAfter int
	Bye        bool
}

// safeNext keeps a "next" address only when it is one of the staff pages here.
func safeNext(next string) string {
	if p := stripLang(next); strings.HasPrefix(p, "/staff/") && !strings.HasPrefix(next, "//") &&
		!strings.ContainsAny(next, "\\\r\n") && len(next) < 512 {
		return next
	}
	return ""
}

func (s *Server) staffLoginPage(c echo.Context) error {
	rq := s.requestOf(c)
	if rq.Viewer.IsStaff() {
		return c.Redirect(http.StatusSeeOther, href(rq.Lang, "/staff/"))
	}
	d := staffLoginData{CSRF: s.visitorCSRF(c, "login"), Next: safeNext(rq.form("next")), Bye: rq.form("bye") != ""}
	return s.renderPrivate(c, rq, &page{name: "staff_login", Title: s.tmpl.msg(rq.Lang, "staff_login"), Data: d})
}

func (s *Server) staffLogin(c echo.Context) error {
	r := c.Request()
	ctx := r.Context()
	rq := s.requestOf(c)
	if err := s.checkVisitorCSRF(c, "login"); err != nil {
		return err
	}
	login, password := strings.TrimSpace(c.FormValue("login")), c.FormValue("password")
	next := safeNext(c.FormValue("next"))
	secret, sess, acc, err := s.opts.Staff.Accounts.Login(ctx, login, password, c.RealIP())
	var tm *staff.TooManyError
	switch {
	case errors.As(err, &tm):
		s.log.WarnContext(ctx, "staff login refused: too many failures", "login", loggableLogin(login), "client", c.RealIP(),
			"retry_after_s", int(tm.RetryAfter.Seconds()))
		secs := int(tm.RetryAfter.Round(time.Second).Seconds())
		c.Response().Header().Set("Retry-After", fmt.Sprint(max(secs, 1)))
		d := staffLoginData{CSRF: s.visitorCSRF(c, "login"), Next: next, Login: login, Error: "staff_login_wait", RetryAfter: max(secs, 1)}
		return s.renderPrivate(c, rq, &page{name: "staff_login", status: http.StatusTooManyRequests, Title: s.tmpl.msg(rq.Lang, "staff_login"), Data: d})
	case errors.Is(err, staff.ErrBadPassword):
		s.log.WarnContext(ctx, "staff login failed", "login", loggableLogin(login), "client", c.RealIP())
		d := staffLoginData{CSRF: s.visitorCSRF(c, "login"), Next: next, Login: login, Error: "staff_login_bad"}
		return s.renderPrivate(c, rq, &page{name: "staff_login", status: http.StatusUnauthorized, Title: s.tmpl.msg(rq.Lang, "staff_login"), Data: d})
	case err != nil:
		return err
	}
	s.log.InfoContext(ctx, "staff login", "account", acc.ID, "session", sess.ID, "client", c.RealIP())
	s.setCookie(c, sessionCookie, secret, sess.ExpiresAt.Sub(s.now()))
	switch {
	case acc.MustChange:
		next = "/staff/password"
	case next == "":
		next = "/staff/"
	}
	if langOf(next) == LangZh && rq.Lang == LangEn {
		next = href(LangEn, next)
	}
	return c.Redirect(http.StatusSeeOther, next)
}

// loggableLogin is what the log may say of a login typed: the login when it is
// spelled as one (a password typed in the login field by mistake usually is
// not), else only that it was malformed.
func loggableLogin(login string) string {
	l := staff.NormalizeLogin(login)
	if staff.CheckLogin(l) != nil {
		return "(malformed)"
	}
	return l
}

func (s *Server) staffLogout(c echo.Context) error {
	if err := checkFormCSRF(c); err != nil {
		return err
	}
	r := c.Request()
	if err := s.opts.Staff.Accounts.Logout(r.Context(), cookieValue(r, sessionCookie), "logout"); err != nil {
		return err
	}
	s.setCookie(c, sessionCookie, "", -1)
	return c.Redirect(http.StatusSeeOther, href(langOf(r.URL.Path), "/staff/login")+"?bye=1")
}

// ---- the dashboard and one's own password ----

type dashboardData struct {
	staffCommon
	Roles []archive.Role
}

func (s *Server) dashboardPage(ctx context.Context, rq *request, me staff.Account) (*page, error) {
	d := dashboardData{staffCommon: s.common(rq, me, "home"), Roles: me.Roles}
	return &page{name: "staff_home", Title: s.tmpl.msg(rq.Lang, "staff_home"), Data: d}, nil
}

type passwordData struct {
	staffCommon
	Error string
	Min   int
}

func (s *Server) passwordPage(ctx context.Context, rq *request, me staff.Account) (*page, error) {
	return &page{name: "staff_password", Title: s.tmpl.msg(rq.Lang, "staff_password"),
		Data: passwordData{staffCommon: s.common(rq, me, "password"), Min: staff.MinPassword}}, nil
}

func (s *Server) staffPassword(c echo.Context) error {
	if err := checkFormCSRF(c); err != nil {
		return err
	}
	ctx := c.Request().Context()
	rq := s.requestOf(c)
	me := meOf(c)
	current, next, again := c.FormValue("current"), c.FormValue("new"), c.FormValue("again")
	fail := func(status int, msg string) error {
		d := passwordData{staffCommon: s.common(rq, me, "password"), Error: msg, Min: staff.MinPassword}
		return s.renderPrivate(c, rq, &page{name: "staff_password", status: status, Title: s.tmpl.msg(rq.Lang, "staff_password"), Data: d})
	}
	if next != again {
		return fail(http.StatusBadRequest, "staff_password_differ")
	}
	if err := staff.CheckPasswordRule(next); err != nil {
		return fail(http.StatusBadRequest, "staff_password_rule")
	}
	acc, err := s.opts.Staff.Accounts.ChangeOwnPassword(ctx, me.ID, current, next)
	var tm *staff.TooManyError
	switch {
	case errors.As(err, &tm):
		return fail(http.StatusTooManyRequests, "staff_login_wait")
	case errors.Is(err, staff.ErrBadPassword):
		return fail(http.StatusBadRequest, "staff_password_wrong")
	case errors.Is(err, archive.ErrInvalid):
		return fail(http.StatusBadRequest, "staff_password_same")
	case err != nil:
		return err
	}
	// The change ended every session of the account, this one too: a new one.
	secret, sess, _, err := s.opts.Staff.Accounts.Login(ctx, acc.Login, next, c.RealIP())
	if err != nil {
		return err
	}
	s.setCookie(c, sessionCookie, secret, sess.ExpiresAt.Sub(s.now()))
	return redirectDone(c, rq.Lang, "/staff/", "done_password")
}
