package portal

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/gongshi-archive/gongshi/archive/blob"
	"github.com/gongshi-archive/gongshi/archive/ledger"
)

// The ledger as static C2SP tlog-tiles: /ledger/checkpoint is the latest signed
// checkpoint, /ledger/tile/<L>/<N>[.p/<W>] the hash tiles, so that any tlog client
// (and the verify page's script) can check proofs against the archive's published
// key without trusting this server. Tiles never change once written: they are
// marked immutable. The checkpoint changes with every entry.

const tileHeight = 8

func (s *Server) ledgerCheckpoint(c echo.Context) error {
	signed, _, err := s.opts.Ledger.Latest(c.Request().Context())
	if errors.Is(err, ledger.ErrNotFound) {
		return errNotFound
	}
	if err != nil {
		return err
	}
	h := c.Response().Header()
	h.Set("Cache-Control", "no-cache")
	h.Set("Access-Control-Allow-Origin", "*")
	return serveBytes(c, "text/plain; charset=utf-8", etagOf(signed), signed, nil)
}

// ledgerTile serves one hash tile. Its path is parsed and written again, so that
// only the one spelling of a tile's path reaches the store.
func (s *Server) ledgerTile(c echo.Context) error {
	if s.opts.Tiles == nil {
		return errNotFound
	}
	rest := c.Param("*")
	if strings.HasPrefix(rest, "entries/") {
		return errNotFound // entry bundles are not stored: the ledger keeps batches
	}
	t, err := tlog.ParseTilePath(fmt.Sprintf("tile/%d/%s", tileHeight, rest))
	if err != nil || t.H != tileHeight || t.L < 0 || t.L > 8 {
		return errNotFound
	}
	key := "ledger/tile/" + strings.TrimPrefix(t.Path(), fmt.Sprintf("tile/%d/", tileHeight))
	if key != "ledger/tile/"+rest {
		return errNotFound
	}
	rc, err := s.opts.Tiles.Get(c.Request().Context(), key)
	if err != nil {
		if errors.Is(err, blob.ErrNotFound) {
			return errNotFound
		}
		return err
	}
	defer rc.Close()
	b, err := io.ReadAll(io.LimitReader(rc, 1<<20))
	if err != nil {
		return err
	}
	h := c.Response().Header()
	h.Set("Cache-Control", "public, max-age=31536000, immutable")
	h.Set("Access-Control-Allow-Origin", "*")
	h.Set("Content-Type", "application/octet-stream")
	return c.Blob(http.StatusOK, "application/octet-stream", b)
}
