package portal

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"

	"github.com/labstack/echo/v4"
)

// CSRF protection of the staff forms. Every form that changes something carries
// a token that only the browser holding the session could have: an HMAC of the
// session cookie's secret, under a purpose word (the login form, sent before
// there is a session, is a visitor's form: household_csrf.go). A forged cross-site POST has the cookie (a
// SameSite=Lax cookie is not even sent with one) but not the token, and is
// refused with 403 before anything is read or changed. Requests a browser marks
// as cross-site (Sec-Fetch-Site, Origin) are refused as well.
//
// In an upload the token must be the first field (forms put it first), so that
// the check is made before the file is read.
//
// The verify page's upload carries none: it changes nothing, and that page is
// rendered once for everyone (see cache.go).

// csrfField is the name of the token's form field.
const csrfField = "csrf"

// ErrCSRF: a form without its token, or with a wrong one (403).
var ErrCSRF = errors.New("missing or wrong CSRF token")

func csrfToken(secret, purpose string) string { return formToken(secret, "gongshi csrf "+purpose) }

// formToken is a form's token: the HMAC-SHA256 of label under a cookie's
// secret (the staff session's, or a visitor's: household_csrf.go).
func formToken(secret, label string) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(label))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// randomSecret is 256 random bits for a cookie.
func randomSecret() string {
	b := make([]byte, 32)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

func cookieValue(r *http.Request, name string) string {
	c, err := r.Cookie(name)
	if err != nil {
		return ""
	}
	return c.Value
}

// sessionCSRF is the token of the request's session ("" without one).
func sessionCSRF(r *http.Request) string {
	if v := cookieValue(r, sessionCookie); v != "" {
		return csrfToken(v, "staff")
	}
	return ""
}

func csrfError() error {
	return &userError{status: http.StatusForbidden, msg: "err_csrf", err: errors.Join(ErrForbidden, ErrCSRF)}
}

// sameSite refuses a request that a browser says came from another site.
func sameSite(r *http.Request) error {
	if fromOtherSite(r) {
		return csrfError()
	}
	return nil
}

// fromOtherSite reports whether the browser says the request came from another
// site (Sec-Fetch-Site, Origin): such a POST is refused whatever its token
// (staff forms here, visitors' forms in household_csrf.go).
func fromOtherSite(r *http.Request) bool {
	switch r.Header.Get("Sec-Fetch-Site") {
	case "cross-site", "same-site":
		return true
	}
	if o := r.Header.Get("Origin"); o != "" && o != "null" {
		u, err := url.Parse(o)
		if err != nil || u.Host != r.Host {
			return true
		}
	}
	return false
}

// checkCSRF compares the token a form sent with want ("" never matches).
func checkCSRF(r *http.Request, got, want string) error {
	if err := sameSite(r); err != nil {
		return err
	}
	if want == "" || !hmac.Equal([]byte(got), []byte(want)) {
		return csrfError()
	}
	return nil
}

// checkFormCSRF checks the token of a url-encoded staff form.
func checkFormCSRF(c echo.Context) error {
	r := c.Request()
	return checkCSRF(r, c.FormValue(csrfField), sessionCSRF(r))
}

// multipartAfterCSRF opens an upload's parts and checks that the first is the
// session's CSRF token, before any file is read.
func multipartAfterCSRF(c echo.Context) (*multipart.Reader, error) {
	r := c.Request()
	if err := sameSite(r); err != nil {
		return nil, err
	}
	mr, err := r.MultipartReader()
	if err != nil {
		return nil, badRequest("err_upload", err)
	}
	part, err := mr.NextPart()
	if err != nil {
		return nil, uploadError(err)
	}
	defer part.Close()
	if part.FormName() != csrfField {
		return nil, csrfError()
	}
	b, err := io.ReadAll(io.LimitReader(part, 128))
	if err != nil {
		return nil, uploadError(err)
	}
	if err := checkCSRF(r, string(b), sessionCSRF(r)); err != nil {
		return nil, err
	}
	return mr, nil
}
