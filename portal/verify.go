package portal

import (
	"context"
	"errors"
	"io"
	"mime/multipart"
	"net/http"

	"github.com/labstack/echo/v4"
	"golang.org/x/mod/sumdb/note"

	"github.com/gongshi-archive/gongshi/archive"
	"github.com/gongshi-archive/gongshi/archive/ledger"
	"github.com/gongshi-archive/gongshi/archive/ledger/proof"
)

// The verify page (/verify). With JavaScript, the chosen file is hashed in the
// browser (WebCrypto; nothing is uploaded), its SHA-256 is looked up at
// /verify/sha256/HEX, and the ledger proof of each match (inclusion under the
// signed checkpoint, the checkpoint's signature by the archive's published key)
// is checked in the page. Without JavaScript the same form uploads the file,
// which the server hashes and checks the same way. A receipt is checked likewise,
// and needs no archive at all.
//
// A file whose record the visitor may not see answers exactly as a file nobody
// filed: the lookup lists only records the visitor may see the content of.

type verifyData struct {
	Key     string
	Done    bool
	Result  *verifyResult
	MaxSize string
}

type verifyResult struct {
	// What was checked.
	File        bool
	FileName    string
	SHA256, SM3 string
	Size        int64
	Receipt     bool
	// Verified: a match (or the receipt) checked out.
	Verified bool
	// Reason is why not, in English (from the ledger's verdict), when a receipt
	// did not verify.
	Reason  string
	Matches []verifyMatch
	Unknown bool // the file matches no record the visitor may see
}

// verifyMatch is one record version whose content the file is, as the lookup
// answers it (JSON for the page's script).
type verifyMatch struct {
	Record   string         `json:"record"`
	Version  int            `json:"version"`
	Title    string         `json:"title"`
	Project  string         `json:"project"`
	Date     string         `json:"date"`
	URL      string         `json:"url"`
	Receipt  ledger.Receipt `json:"receipt"`
	Verified bool           `json:"-"`
	Reason   string         `json:"-"`
}

func (s *Server) verifyPage(ctx context.Context, rq *request) (*page, error) {
	return &page{name: "verify", Title: s.tmpl.msg(rq.Lang, "nav_verify"),
		Data: verifyData{Key: s.opts.VerifierKey, MaxSize: formatBytes(s.opts.MaxUpload)}}, nil
}

// matches finds the record versions with content SHA-256 h that v may see the
// content of, each with its receipt.
func (s *Server) matches(ctx context.Context, v Viewer, h archive.Hash) ([]verifyMatch, error) {
	ids, err := s.opts.Archive.RecordsByContent(ctx, h)
	if err != nil {
		return nil, err
	}
	var out []verifyMatch
	for _, id := range ids {
		latest, access, err := s.visibleRecord(ctx, v, id)
		if errors.Is(err, archive.ErrNotFound) || access != archive.AccessContent {
			continue
		}
		if err != nil {
			return nil, err
		}
		versions, err := s.opts.Archive.RecordVersions(ctx, id)
		if err != nil {
			return nil, err
		}
		for _, r := range versions {
			if r.Content.SHA256 != h {
				continue
			}
			rcpt, err := s.receiptOf(ctx, r)
			if errors.Is(err, archive.ErrNotFound) || errors.Is(err, ledger.ErrNotFound) {
				continue // filed, but its entry is not in a signed checkpoint yet
			}
			if err != nil {
				return nil, err
			}
			out = append(out, verifyMatch{Record: r.ID, Version: r.Version, Title: latest.Title, Project: r.Project,
				Date: r.Date.String(), URL: "/records/" + r.ID, Receipt: rcpt})
		}
	}
	return out, nil
}

// verifyLookup answers the page's script: the matches of a SHA-256, as JSON.
func (s *Server) verifyLookup(c echo.Context) error {
	h, err := archive.ParseHash(c.Param("hex"))
	if err != nil {
		return badRequest("err_bad_hash", err)
	}
	ctx := c.Request().Context()
	ms, err := s.matches(ctx, ViewerFrom(ctx), h)
	if err != nil {
		return err
	}
	if ms == nil {
		ms = []verifyMatch{}
	}
	c.Response().Header().Set("Cache-Control", "private, no-store")
	return c.JSON(http.StatusOK, map[string]any{"sha256": h.String(), "matches": ms})
}

// maxReceipt bounds a receipt upload: a receipt is a few kilobytes.
const maxReceipt = 1 << 20

// verifyUpload is the form's answer without JavaScript: the file (streamed and
// hashed, never stored) and or a receipt.
func (s *Server) verifyUpload(c echo.Context) error {
	ctx := c.Request().Context()
	rq := s.requestOf(c)
	mr, err := c.Request().MultipartReader()
	if err != nil {
		return badRequest("err_upload", err)
	}
	res := &verifyResult{}
	var digests *archive.Digests
	var rcpt *ledger.Receipt
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			return uploadError(err)
		}
		switch part.FormName() {
		case "file":
			if part.FileName() == "" {
				break // the form sent an empty file field
			}
			d, err := archive.DigestReader(ctx, part)
			if err != nil {
				return uploadError(err)
			}
			digests = &d
			res.File, res.FileName, res.SHA256, res.SM3, res.Size = true, part.FileName(), d.SHA256.String(), d.SM3.String(), d.Size
		case "receipt":
			if part.FileName() == "" {
				break
			}
			b, err := io.ReadAll(io.LimitReader(part, maxReceipt+1))
			if err != nil {
				return uploadError(err)
			}
			if len(b) > maxReceipt {
				return &userError{status: http.StatusRequestEntityTooLarge, msg: "err_too_large", err: ErrTooLarge}
			}
			r, err := ledger.ParseReceipt(b)
			if err != nil {
				return badRequest("err_bad_receipt", err)
			}
			rcpt = &r
		}
		part.Close()
	}
	if digests == nil && rcpt == nil {
		return badRequest("err_choose_file", nil)
	}
	v, err := note.NewVerifier(s.opts.VerifierKey)
	if err != nil {
		return err
	}
	switch {
	case rcpt != nil:
		res.Receipt = true
		// proof decodes the receipt's record leniently, for display: a receipt
		// made by any release is shown by this one.
		got, err := proof.VerifyReceipt(*rcpt, v, ledger.ProofDigests(digests))
		if err != nil && !errors.Is(err, ledger.ErrNotVerified) && !errors.Is(err, ledger.ErrMalformed) {
			return err
		}
		res.Verified = err == nil
		if err != nil {
			res.Reason = err.Error()
		}
		if rec := got.Record; rec != nil {
			res.Matches = []verifyMatch{{Record: rec.String("id"), Version: rec.Int("version"), Title: rec.String("title"),
				Project: rec.String("project"), Date: rec.String("date"), Verified: res.Verified}}
		}
	default:
		ms, err := s.matches(ctx, rq.Viewer, digests.SHA256)
		if err != nil {
			return err
		}
		for i := range ms {
			_, err := ledger.VerifyReceipt(ms[i].Receipt, v, digests)
			ms[i].Verified = err == nil
			if err != nil {
				ms[i].Reason = err.Error()
			}
			res.Verified = res.Verified || ms[i].Verified
		}
		res.Matches, res.Unknown = ms, len(ms) == 0
	}
	p := &page{name: "verify", Title: s.tmpl.msg(rq.Lang, "nav_verify"),
		Data: verifyData{Key: s.opts.VerifierKey, Done: true, Result: res, MaxSize: formatBytes(s.opts.MaxUpload)}}
	body, err := s.renderPage(ctx, p, rq.requestInfo)
	if err != nil {
		return err
	}
	c.Response().Header().Set("Cache-Control", "private, no-store")
	return c.HTMLBlob(http.StatusOK, body)
}

// uploadError maps a failure to read an upload: over the limit is 413.
func uploadError(err error) error {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return &userError{status: http.StatusRequestEntityTooLarge, msg: "err_too_large", err: errors.Join(ErrTooLarge, err)}
	}
	if errors.Is(err, multipart.ErrMessageTooLarge) {
		return &userError{status: http.StatusRequestEntityTooLarge, msg: "err_too_large", err: errors.Join(ErrTooLarge, err)}
	}
	return badRequest("err_upload", err)
}
