package portal

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"
	"sync"

	"github.com/labstack/echo/v4"
)

//go:embed static
var staticFS embed.FS

// staticFiles are the style sheet, scripts and images, each served at an address
// that holds its content's hash (/static/style.3f2a9c1e.css), so that a browser
// may keep it for a year and a new release is fetched at once.
type staticFiles struct {
	byURL  map[string]*staticFile
	byName map[string]string // "style.css" → its address
}

type staticFile struct {
	body, gz []byte
	ctype    string
	etag     string
}

func loadStatic() (*staticFiles, error) {
	s := &staticFiles{byURL: map[string]*staticFile{}, byName: map[string]string{}}
	err := fs.WalkDir(staticFS, "static", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := staticFS.ReadFile(p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		name := strings.TrimPrefix(p, "static/")
		ext := path.Ext(name)
		u := "/static/" + strings.TrimSuffix(name, ext) + "." + hex.EncodeToString(sum[:4]) + ext
		f := &staticFile{body: b, ctype: mime.TypeByExtension(ext), etag: `"` + hex.EncodeToString(sum[:12]) + `"`}
		if f.ctype == "" {
			f.ctype = "application/octet-stream"
		}
		f.gz = gzipOnce(b)
		s.byURL[u], s.byName[name] = f, u
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("portal: static files: %w", err)
	}
	return s, nil
}

// url is the address of the static file name; templates call it.
func (s *staticFiles) url(name string) string { return s.byName[name] }

// serve answers /static/<name>.<hash>.<ext>.
func (s *staticFiles) serve(c echo.Context) error {
	f, ok := s.byURL[c.Request().URL.Path]
	if !ok {
		return errNotFound
	}
	h := c.Response().Header()
	h.Set("Cache-Control", "public, max-age=31536000, immutable")
	return serveBytes(c, f.ctype, f.etag, f.body, f.gz)
}

// gzipOnce compresses b at the best ratio: it runs once per page or file, not per
// request.
func gzipOnce(b []byte) []byte { return new(gzipper).compress(b) }

// gzipper compresses at the best ratio with its writers used again: a new writer
// at that level allocates about 800 KB (more than rendering a search page), and
// the search cache compresses each distinct query it keeps.
type gzipper struct{ pool sync.Pool }

func (z *gzipper) compress(b []byte) []byte {
	var buf bytes.Buffer
	zw, _ := z.pool.Get().(*gzip.Writer)
	if zw == nil {
		zw, _ = gzip.NewWriterLevel(&buf, gzip.BestCompression)
	} else {
		zw.Reset(&buf)
	}
	zw.Write(b)
	zw.Close()
	z.pool.Put(zw)
	if buf.Len() >= len(b) {
		return nil // not worth it
	}
	return buf.Bytes()
}

// serveBytes answers with body (or its gzip form gz, when the client takes it),
// its ETag, and 304 when the client holds that ETag already.
func serveBytes(c echo.Context, ctype, etag string, body, gz []byte) error {
	r := c.Request()
	h := c.Response().Header()
	h.Set("ETag", etag)
	h.Add("Vary", "Accept-Encoding")
	if etagMatch(r.Header.Get("If-None-Match"), etag) {
		return c.NoContent(http.StatusNotModified)
	}
	h.Set("Content-Type", ctype)
	if gz != nil && acceptsGzip(r) {
		h.Set("Content-Encoding", "gzip")
		body = gz
	}
	h.Set("Content-Length", fmt.Sprint(len(body)))
	if r.Method == http.MethodHead {
		return c.NoContent(http.StatusOK)
	}
	c.Response().WriteHeader(http.StatusOK)
	_, err := c.Response().Write(body)
	return err
}

// etagMatch reports whether an If-None-Match header names etag (or is *).
func etagMatch(header, etag string) bool {
	if header == "" {
		return false
	}
	for _, t := range strings.Split(header, ",") {
		t = strings.TrimSpace(t)
		t = strings.TrimPrefix(t, "W/")
		if t == etag || t == "*" {
			return true
		}
	}
	return false
}

func acceptsGzip(r *http.Request) bool {
	for _, part := range strings.Split(r.Header.Get("Accept-Encoding"), ",") {
		enc, q, _ := strings.Cut(strings.TrimSpace(part), ";")
		if strings.TrimSpace(enc) == "gzip" {
			return !strings.Contains(strings.ReplaceAll(q, " ", ""), "q=0") || strings.Contains(q, "q=0.")
		}
	}
	return false
}
