package portal

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/gongshi-archive/gongshi/archive"
	"github.com/gongshi-archive/gongshi/search"
)

// userError is an error whose Message the visitor may read: what was wrong with
// their request, in their language. Every other error is shown only by its
// status, so that no internal detail (a key, a record id, a path) reaches a page.
type userError struct {
	status int
	// msg is the key of a message in the page's language (messages.go).
	msg string
	err error
}

func (e *userError) Error() string {
	if e.err == nil {
		return e.msg
	}
	return e.msg + ": " + e.err.Error()
}
func (e *userError) Unwrap() error { return e.err }

// badRequest returns a 400 error whose page shows the message with key msg.
func badRequest(msg string, err error) error {
	return &userError{status: http.StatusBadRequest, msg: msg, err: errors.Join(ErrBadRequest, err)}
}

// errNotFound is what every "no such thing" and "not for you" returns: the
// same status and the same page, so that a record's existence cannot be learnt
// from its address.
var errNotFound = fmt.Errorf("portal: %w", archive.ErrNotFound)

// statusOf maps an error to the status of the answer, and says whether it is
// the server's fault (logged as an error).
func statusOf(err error) (status int, msg string, serverFault bool) {
	var ue *userError
	var he *echo.HTTPError
	switch {
	case errors.As(err, &ue):
		return ue.status, ue.msg, false
	case errors.Is(err, archive.ErrNotFound):
		return http.StatusNotFound, "err_not_found", false
	case errors.Is(err, ErrUnauthenticated):
		return http.StatusUnauthorized, "err_unauthenticated", false
	case errors.Is(err, ErrForbidden):
		return http.StatusForbidden, "err_forbidden", false
	case errors.Is(err, ErrTooLarge):
		return http.StatusRequestEntityTooLarge, "err_too_large", false
	case errors.Is(err, ErrBadRequest):
		return http.StatusBadRequest, "err_bad_request", false
	case errors.As(err, &he):
		switch he.Code {
		case http.StatusNotFound:
			return http.StatusNotFound, "err_not_found", false
		case http.StatusMethodNotAllowed:
			return http.StatusMethodNotAllowed, "err_method", false
		case http.StatusRequestEntityTooLarge:
			return http.StatusRequestEntityTooLarge, "err_too_large", false
		}
		if he.Code >= 400 && he.Code < 500 {
			return he.Code, "err_bad_request", false
		}
		return http.StatusInternalServerError, "err_internal", true
	case errors.Is(err, context.Canceled):
		// The visitor went away; nobody reads the answer.
		return 499, "err_internal", false
	case errors.Is(err, context.DeadlineExceeded):
		return http.StatusServiceUnavailable, "err_unavailable", true
	case errors.Is(err, search.ErrUnavailable):
		// The index was found damaged and is being rebuilt (the search package
		// logs what it found); the visitor is told to come back.
		return http.StatusServiceUnavailable, "err_rebuilding", false
	}
	return http.StatusInternalServerError, "err_internal", true
}

// handleError is echo's error handler: the one place where errors become
// statuses and error pages. The page is in the visitor's language and says only
// what the status means (and a userError's message); the error itself goes to
// the log, and only when it is the server's fault.
func (s *Server) handleError(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	status, msg, fault := statusOf(err)
	if fault {
		s.log.ErrorContext(c.Request().Context(), "request failed", "route", routeOf(c), "status", status, "err", err.Error())
	}
	if status == 499 {
		c.Response().WriteHeader(status)
		return
	}
	lang := langOf(c.Request().URL.Path)
	if status == http.StatusUnauthorized {
		if s.unauthenticated(c, err) { // auth.go: an ended session, a staff page
			return
		}
		c.Response().Header().Set("WWW-Authenticate", `Bearer realm="gongshi"`)
	}
	if status == http.StatusServiceUnavailable {
		c.Response().Header().Set("Retry-After", "120")
	}
	h := c.Response().Header()
	h.Set("Cache-Control", "no-store")
	if wantsJSON(c.Request()) {
		_ = c.JSON(status, map[string]any{"error": s.tmpl.msg(lang, msg), "status": status})
		return
	}
	p := &page{name: "error", status: status, Title: s.tmpl.msg(lang, msg),
		Data: errorData{Status: status, Message: s.tmpl.msg(lang, msg)}}
	body, rerr := s.renderPage(c.Request().Context(), p, requestInfo{Lang: lang, Path: stripLang(c.Request().URL.Path)})
	if rerr != nil {
		s.log.ErrorContext(c.Request().Context(), "rendering the error page", "err", rerr.Error())
		_ = c.String(status, http.StatusText(status))
		return
	}
	if c.Request().Method == http.MethodHead {
		_ = c.NoContent(status)
		return
	}
	_ = c.HTMLBlob(status, body)
}

type errorData struct {
	Status  int
	Message string
}

// wantsJSON reports whether the answer should be JSON: the API, and clients that
// ask only for JSON.
func wantsJSON(r *http.Request) bool {
	if len(r.URL.Path) >= 5 && r.URL.Path[:5] == "/api/" {
		return true
	}
	return r.Header.Get("Accept") == "application/json"
}
