package portal

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/gongshi-archive/gongshi/archive"
	"github.com/gongshi-archive/gongshi/staff"
)

// Staff authentication: a session cookie for the staff pages, an API token
// (Authorization: Bearer gst_…) for the CLI and scripts. Both are Authenticators
// that the server adds to Options.Authenticators when Options.Staff is set, so
// staff reach every page as staff (the public pages too: uncached, with what
// their roles may see). Credentials that are present but wrong are refused, never
// served as the public; an ended session also clears its cookie, and a browser is
// sent to the login page.

// StaffAccounts is what the portal needs of the staff service (*staff.Service).
type StaffAccounts interface {
	Login(ctx context.Context, login, password, client string) (secret string, s staff.Session, a staff.Account, err error)
	Session(ctx context.Context, secret string) (staff.Session, staff.Account, error)
	Logout(ctx context.Context, secret, reason string) error
	TokenAccount(ctx context.Context, token string) (staff.Account, staff.Token, error)
	Account(ctx context.Context, id string) (staff.Account, error)
	AccountByLogin(ctx context.Context, login string) (staff.Account, error)
	Accounts(ctx context.Context) ([]staff.Account, error)
	History(ctx context.Context, id string) ([]staff.Account, error)
	CreateAccount(ctx context.Context, n staff.NewAccount, actor archive.Actor) (staff.Account, error)
	SetDisabled(ctx context.Context, id string, disabled bool, actor archive.Actor, reason string) (staff.Account, error)
	SetRoles(ctx context.Context, id string, roles []archive.Role, actor archive.Actor, reason string) (staff.Account, error)
	SetPassword(ctx context.Context, id, password string, mustChange bool, actor archive.Actor, reason string) (staff.Account, error)
	ChangeOwnPassword(ctx context.Context, id, current, next string) (staff.Account, error)
	IssueToken(ctx context.Context, id, name string, ttl time.Duration, actor archive.Actor) (string, staff.Account, error)
	RevokeToken(ctx context.Context, id, tid string, actor archive.Actor, reason string) (staff.Account, error)
	Record(ctx context.Context, t staff.TrailEntry) (staff.TrailEntry, error)
	TrailEntry(ctx context.Context, id string) (staff.TrailEntry, error)
	SessionTTL() time.Duration
}

// The session cookie holds the session's secret (the store keeps only its
// hash). The login form, sent before there is a session, is a visitor's form:
// its token is bound to the visitor cookie (household_csrf.go).
const sessionCookie = "gongshi_staff"

// tokenAuth authenticates API tokens.
type tokenAuth struct{ accounts StaffAccounts }

func (a tokenAuth) Authenticate(r *http.Request) (Viewer, bool, error) {
	tok, ok := bearerToken(r)
	if !ok {
		return Viewer{}, false, nil
	}
	acc, _, err := a.accounts.TokenAccount(r.Context(), tok)
	if errors.Is(err, staff.ErrBadToken) {
		return Viewer{}, false, errors.Join(ErrUnauthenticated, err)
	}
	if err != nil {
		return Viewer{}, false, err
	}
	return staffViewer(acc), true, nil
}

// bearerToken is the request's API token, when it carries one of ours.
func bearerToken(r *http.Request) (string, bool) {
	h := r.Header.Get("Authorization")
	scheme, tok, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || !strings.HasPrefix(tok, "gst_") {
		return "", false
	}
	return tok, true
}

// sessionAuth authenticates the session cookie.
type sessionAuth struct{ accounts StaffAccounts }

func (a sessionAuth) Authenticate(r *http.Request) (Viewer, bool, error) {
	c, err := r.Cookie(sessionCookie)
	if err != nil || c.Value == "" {
		return Viewer{}, false, nil
	}
	_, acc, err := a.accounts.Session(r.Context(), c.Value)
	if errors.Is(err, staff.ErrSessionEnded) {
		return Viewer{}, false, &sessionEnded{err: err}
	}
	if err != nil {
		return Viewer{}, false, err
	}
	return staffViewer(acc), true, nil
}

// sessionEnded is the error of a request whose session cookie no longer works:
// its answer clears the cookie (see Server.unauthenticated).
type sessionEnded struct{ err error }

func (e *sessionEnded) Error() string   { return "session ended: " + e.err.Error() }
func (e *sessionEnded) Unwrap() []error { return []error{ErrUnauthenticated, e.err} }

func staffViewer(a staff.Account) Viewer {
	return Viewer{Kind: ViewerStaff, Account: a.ID, Roles: append([]archive.Role(nil), a.Roles...)}
}

// secureCookies reports whether cookies must be Secure: the request came over
// TLS, or the portal is behind a TLS proxy (Options.HSTS).
func (s *Server) secureCookies(r *http.Request) bool { return r.TLS != nil || s.opts.HSTS }

func (s *Server) setCookie(c echo.Context, name, value string, maxAge time.Duration) {
	ck := &http.Cookie{Name: name, Value: value, Path: "/", HttpOnly: true, Secure: s.secureCookies(c.Request()),
		SameSite: http.SameSiteLaxMode, MaxAge: int(maxAge / time.Second)}
	if maxAge < 0 {
		ck.MaxAge = -1
	}
	c.SetCookie(ck)
}

// unauthenticated is called by the error handler for a 401: an ended session's
// cookie is cleared, and a browser asking for a staff page is sent to the login
// (with the page it wanted). It reports whether it answered the request.
func (s *Server) unauthenticated(c echo.Context, err error) bool {
	if s.opts.Staff == nil {
		return false
	}
	var se *sessionEnded
	if errors.As(err, &se) {
		s.setCookie(c, sessionCookie, "", -1)
	}
	r := c.Request()
	path := stripLang(r.URL.Path)
	if wantsJSON(r) || (r.Method != http.MethodGet && r.Method != http.MethodHead) || !strings.HasPrefix(path, "/staff/") {
		return false
	}
	lang := langOf(r.URL.Path)
	next := ""
	if path != "/staff/login" && path != "/staff/" {
		next = "?next=" + url.QueryEscape(r.URL.Path)
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	_ = c.Redirect(http.StatusSeeOther, href(lang, "/staff/login")+next)
	return true
}

// staffOf returns the account of a staff request (read again: the roles may
// have changed since the request began, but never in the middle of it).
func (s *Server) staffOf(ctx context.Context) (staff.Account, error) {
	v := ViewerFrom(ctx)
	if v.Kind != ViewerStaff || s.opts.Staff == nil {
		return staff.Account{}, ErrUnauthenticated
	}
	return s.opts.Staff.Accounts.Account(ctx, v.Account)
}
