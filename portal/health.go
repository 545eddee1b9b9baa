package portal

import (
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/gongshi-archive/gongshi/archive/ledger"
)

// healthz answers 200 while the process serves: for a supervisor's liveness probe.
func (s *Server) healthz(c echo.Context) error {
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.String(http.StatusOK, "ok\n")
}

// readyz answers 200 when the index has read the whole ledger, so that a load
// balancer sends visitors only to a portal whose pages are current; 503 with the
// lag until then, and when the ledger cannot be read.
func (s *Server) readyz(c echo.Context) error {
	c.Response().Header().Set("Cache-Control", "no-store")
	_, cp, err := s.opts.Ledger.Latest(c.Request().Context())
	if err != nil && !errors.Is(err, ledger.ErrNotFound) {
		s.log.Warn("readyz: ledger unreadable", "err", err.Error())
		return c.String(http.StatusServiceUnavailable, "not ready: the ledger cannot be read\n")
	}
	pos := s.opts.Index.Position()
	if pos < cp.Size {
		return c.String(http.StatusServiceUnavailable,
			"not ready: the index has "+itoa(pos)+" of "+itoa(cp.Size)+" ledger entries\n")
	}
	return c.String(http.StatusOK, "ready: "+itoa(pos)+" ledger entries indexed\n")
}
