package portal

import (
	"crypto/hmac"
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"
)

// Forms of visitors without a session (the household login, the disclosure
// request) carry a token bound to a cookie of the visitor's browser: an HMAC of
// the cookie's random secret under the form's purpose. A page from another site
// can make the browser post the form, but cannot read the token; a request the
// browser marks as cross-site is refused outright. Such forms are on uncached
// pages, since the token is the visitor's.

// visitorCookie holds the visitor's form secret.
const visitorCookie = "gongshi_form"

// errVisitorCSRF: a visitor's form without its token, or with a wrong one.
var errVisitorCSRF = errors.New("missing or wrong form token")

func visitorToken(secret, purpose string) string {
	return formToken(secret, "gongshi visitor form "+purpose) // csrf.go
}

// visitorCSRF returns the token of form purpose for this visitor, giving the
// browser its secret when it has none.
func (s *Server) visitorCSRF(c echo.Context, purpose string) string {
	v := ""
	if ck, err := c.Request().Cookie(visitorCookie); err == nil && len(ck.Value) == 43 {
		v = ck.Value
	} else {
		v = randomSecret()
		http.SetCookie(c.Response(), &http.Cookie{Name: visitorCookie, Value: v, Path: "/", HttpOnly: true,
			Secure: s.opts.HSTS || c.Request().TLS != nil, SameSite: http.SameSiteStrictMode})
	}
	return visitorToken(v, purpose)
}

func visitorCSRFError() error {
	return &userError{status: http.StatusForbidden, msg: "hh_form_expired", err: errors.Join(ErrForbidden, errVisitorCSRF)}
}

// crossSite refuses a request that the browser says came from another site.
func crossSite(r *http.Request) error {
	if fromOtherSite(r) { // csrf.go
		return visitorCSRFError()
	}
	return nil
}

// checkVisitorCSRF checks the token of a posted form of purpose.
func (s *Server) checkVisitorCSRF(c echo.Context, purpose string) error {
	r := c.Request()
	if err := crossSite(r); err != nil {
		return err
	}
	ck, err := r.Cookie(visitorCookie)
	if err != nil || len(ck.Value) != 43 {
		return visitorCSRFError()
	}
	if !hmac.Equal([]byte(c.FormValue("csrf")), []byte(visitorToken(ck.Value, purpose))) {
		return visitorCSRFError()
	}
	return nil
}
