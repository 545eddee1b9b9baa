package portal

import (
	"fmt"
	"log/slog"
	"net/http"
	"runtime"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"github.com/gongshi-archive/gongshi/archive"
)

// recoverPanics turns a panic in a handler into a 500 (through the error
// handler) and a log line with the stack, instead of a dropped connection.
func (s *Server) recoverPanics(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) (err error) {
		defer func() {
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					panic(p)
				}
				buf := make([]byte, 8<<10)
				buf = buf[:runtime.Stack(buf, false)]
				s.log.Error("panic serving request", "route", routeOf(c), "panic", fmt.Sprint(p), "stack", string(buf))
				err = fmt.Errorf("panic: %v", p)
				if !c.Response().Committed {
					s.handleError(err, c)
				}
				err = nil
			}
		}()
		return next(c)
	}
}

// contentSecurityPolicy allows the page's own script, styles, images and forms
// only: no inline script or style, no frames, nothing from elsewhere. Charts are
// inline SVG drawn with presentation attributes, which the policy allows.
const contentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"font-src 'self'; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"

// securityHeaders sets the headers every answer carries, errors included.
func (s *Server) securityHeaders(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		h := c.Response().Header()
		h.Set("Content-Security-Policy", contentSecurityPolicy)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=(), interest-cohort=()")
		if s.opts.HSTS || c.Request().TLS != nil {
			h.Set("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
		}
		return next(c)
	}
}

// routeOf is the route template of the request (/records/:id), never its path
// or query, which can carry identifiers, codes and search words.
func routeOf(c echo.Context) string {
	if p := c.Path(); p != "" && p != "/*" {
		return p
	}
	return "unmatched"
}

// logAndMeasure logs each request and counts it in the metrics, by route
// template. The log line has the method, route, status, size and duration; it
// never has the query string, form values, cookies, codes or tokens.
func (s *Server) logAndMeasure(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		start := time.Now()
		if err := next(c); err != nil {
			c.Error(err) // the error handler writes the answer; its status is logged
		}
		d := time.Since(start)
		res := c.Response()
		route := routeOf(c)
		status := res.Status
		s.metrics.observe(route, c.Request().Method, status, d)
		level := slog.LevelInfo
		if status >= 500 {
			level = slog.LevelError
		}
		s.log.LogAttrs(c.Request().Context(), level, "request",
			slog.String("method", c.Request().Method),
			slog.String("route", route),
			slog.Int("status", status),
			slog.Int64("bytes", res.Size),
			slog.Duration("duration", d),
		)
		return nil
	}
}

// isUpload reports whether the request's route takes a whole file as its body
// (the verify page's fallback without JavaScript), which has its own limit.
func (s *Server) isUpload(c echo.Context) bool {
	return c.Path() == "/verify" || c.Path() == "/en/verify"
}

// limitBody bounds request bodies: forms to MaxBody, uploads to MaxUpload. A
// body over the limit is refused with 413 before it is read.
func (s *Server) limitBody(next echo.HandlerFunc) echo.HandlerFunc {
	small := middleware.BodyLimitWithConfig(middleware.BodyLimitConfig{
		Limit:   strconv.FormatInt(s.opts.MaxBody, 10) + "B",
		Skipper: func(c echo.Context) bool { return s.isUpload(c) || s.isStaffUpload(c) },
	})(next)
	large := middleware.BodyLimitWithConfig(middleware.BodyLimitConfig{
		Limit: strconv.FormatInt(s.opts.MaxUpload, 10) + "B",
	})(next)
	staffUp := middleware.BodyLimitWithConfig(middleware.BodyLimitConfig{
		Limit: strconv.FormatInt(s.maxStaffUpload(), 10) + "B",
	})(next)
	return func(c echo.Context) error {
		switch {
		case s.isStaffUpload(c): // staff_file.go
			return staffUp(c)
		case s.isUpload(c):
			return large(c)
		}
		return small(c)
	}
}

// decideViewer puts the request's viewer into its context, from the
// authenticators; a request whose credentials are wrong is refused here.
func (s *Server) decideViewer(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		v, err := decideViewer(s.opts.Authenticators, c.Request())
		if err != nil {
			return err
		}
		r := c.Request()
		c.SetRequest(r.WithContext(WithViewer(r.Context(), v)))
		return next(c)
	}
}

// requireRole is the auth check of a staff route: the viewer must be staff with
// one of roles (any staff account when roles is empty). The public is sent to the
// login (ErrUnauthenticated); staff without the role get ErrForbidden.
func requireRole(roles ...archive.Role) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			v := ViewerFrom(c.Request().Context())
			if v.Kind != ViewerStaff {
				return ErrUnauthenticated
			}
			if len(roles) == 0 {
				return next(c)
			}
			for _, r := range roles {
				if v.HasRole(r) {
					return next(c)
				}
			}
			return ErrForbidden
		}
	}
}
