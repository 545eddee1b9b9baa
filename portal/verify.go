package portal

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"slices"
	"strconv"

	"github.com/labstack/echo/v4"
	"golang.org/x/mod/sumdb/note"

	"github.com/gongshi-archive/gongshi/archive"
	"github.com/gongshi-archive/gongshi/archive/ledger/proof"
	"github.com/gongshi-archive/gongshi/verify"
)

// The verify page (/verify). With JavaScript, the chosen file is hashed in the
// browser (WebCrypto; nothing is uploaded), its SHA-256 is looked up at
// /verify/sha256/HEX, and the ledger proof of each match (inclusion under the
// signed checkpoint, the checkpoint's signature by the archive's published key)
// is checked in the page. Without JavaScript the same form uploads the file,
// which the server hashes and checks the same way. A receipt is checked likewise,
// and needs no archive at all.
//
// Every verdict is the verify package's (Options.Verifier): the record versions
// with the file's content are found through the archive's lookups and, where
// those are damaged, through the ledger itself, so a deleted or forged lookup
// never decides. A file whose record the visitor may not see answers exactly as
// a file nobody filed: the Verifier is asked to admit only records the visitor
// may see the content of, and treats the others as absent — the same answer,
// status and work (its content index answers both, no search of the ledger).

// Verifier is what the verify page asks of the verify package;
// *verify.Verifier implements it. Give it a content index
// (verify.Options.Contents), which requests that admit records need.
type Verifier interface {
	Verify(ctx context.Context, req verify.Request) (*verify.Result, error)
}

type verifyData struct {
	Key     string
	Done    bool
	Result  *verifyResult
	MaxSize string
	// Plain are the plain words of each reason, for the page's script.
	Plain []plainWords
}

// plainWords is what a reason means for a reader, keyed by its code.
type plainWords struct{ Code, Text string }

// plainCodes are the reasons a verify page can give about a record version,
// each with words a reader without the technical terms understands
// (messages "why_<code>"); the technical text stays, folded, beneath.
var plainCodes = []proof.Code{proof.RecordAltered, proof.RecordOther, proof.ProjectAltered, proof.ProjectOther,
	proof.FileSHA256, proof.FileSM3, proof.FileSize, proof.CheckpointOtherKey, proof.CheckpointAltered,
	proof.CheckpointOtherLog, proof.EntryBeyondTree, proof.InclusionFailed, proof.HashesDisagree,
	proof.NotInLedger, proof.NotYetCovered, proof.RecordMissing}

// plainText is the plain words of reason r in lang ("" for a code without).
func (s *Server) plainText(lang Lang, r proof.Reason) string {
	if !slices.Contains(plainCodes, r.Code) {
		return ""
	}
	return s.tmpl.msg(lang, "why_"+string(r.Code))
}

func (s *Server) plainWords(lang Lang) []plainWords {
	out := make([]plainWords, len(plainCodes))
	for i, c := range plainCodes {
		out[i] = plainWords{string(c), s.tmpl.msg(lang, "why_"+string(c))}
	}
	return out
}

// verifyResult is a verdict as the page shows it.
type verifyResult struct {
	// What was checked.
	File        bool
	FileName    string
	SHA256, SM3 string
	Size        int64
	Receipt     bool
	// Verified: a match (or the receipt) checked out.
	Verified bool
	// Unknown: the file matches no record the visitor may see.
	Unknown bool
	// Reasons say why not, in the page's language, when no record version was
	// considered.
	Reasons []string
	Matches []verifyMatch
	// Derived lists the archive's lookups found damaged (staff only: they
	// decided nothing, and gongshi audit --repair rebuilds them).
	Derived []string
}

// verifyMatch is one record version whose content the file is: shown on the
// page, and the JSON the page's script reads.
type verifyMatch struct {
	Record   string `json:"record"`
	Version  int    `json:"version"`
	Latest   int    `json:"latest_version,omitempty"`
	Title    string `json:"title"`
	Project  string `json:"project"`
	Date     string `json:"date"`
	Day      string `json:"-"` // Date in the page's language
	URL      string `json:"url"`
	Verified bool   `json:"verified"`
	// Bound: the title and date shown are the record's as its ledger entry
	// names it; otherwise they are only what the archive's copy says.
	Bound bool `json:"record_bound"`
	// Reason is why the version did not verify (its JSON has both languages);
	// Why is its text in the page's language, Plain what it means for a
	// reader.
	Reason *proof.Reason `json:"reason,omitempty"`
	Why    string        `json:"-"`
	Plain  string        `json:"-"`
	// Receipt is the receipt of a verified version, for the page's script to
	// check and the holder to keep.
	Receipt *proof.Receipt `json:"receipt,omitempty"`
	// Disposed: the record was disposed of at the end of its retention period
	// (its tombstone says on which list and on whose approval). The file is
	// still what was filed; the archive no longer keeps it, and the record has
	// no page.
	Disposed *verifyDisposed `json:"disposed,omitempty"`
}

// verifyDisposed is what the verify page says of a disposal: the list, the
// approving account (an opaque id, never a name) and the day of approval. The
// destruction register (销毁清册) is a restricted record: it is not named.
type verifyDisposed struct {
	List     string `json:"list"`
	Approver string `json:"approver"`
	Approved string `json:"approved"` // YYYY-MM-DD, China's day
	// Zh and En say it in each language (for the page's script); Text in the
	// page's.
	Zh   string `json:"zh"`
	En   string `json:"en"`
	Text string `json:"-"`
}

// verifyJSON is the lookup's answer.
type verifyJSON struct {
	SHA256   string         `json:"sha256"`
	Verified bool           `json:"verified"`
	Reasons  []proof.Reason `json:"reasons,omitempty"`
	Matches  []verifyMatch  `json:"matches"`
}

func (s *Server) verifyPage(ctx context.Context, rq *request) (*page, error) {
	return &page{name: "verify", Title: s.tmpl.msg(rq.Lang, "nav_verify"),
		Data: verifyData{Key: s.opts.VerifierKey, MaxSize: formatBytes(s.opts.MaxUpload), Plain: s.plainWords(rq.Lang)}}, nil
}

// admitting is the verify request's Admit for viewer v: the records whose
// content v may see. A disposed record (its latest version a tombstone) is
// admitted to whoever could see its content just before: its file may be in
// their hands, and the answer for it is that it was filed and then disposed of,
// on which list, on whose approval — never "not found".
func (s *Server) admitting(v Viewer) func(context.Context, archive.Record) (bool, error) {
	return func(ctx context.Context, latest archive.Record) (bool, error) {
		if latest.Disposal != nil {
			latest.Disposal = nil
		}
		access, err := s.opts.Index.Access(ctx, v, latest)
		return access == archive.AccessContent, err
	}
}

// verifyFile asks the Verifier about the file with digests d (of which only
// the SHA-256 when shaOnly) for the viewer v. ErrBusy becomes the honest
// "try again later" (503 with Retry-After), never "not verified".
func (s *Server) verifyFile(ctx context.Context, c echo.Context, v Viewer, d archive.Digests, shaOnly bool) (*verify.Result, error) {
	res, err := s.opts.Verifier.Verify(ctx, verify.Request{Digests: d, SHA256Only: shaOnly, Admit: s.admitting(v)})
	if errors.Is(err, verify.ErrBusy) {
		c.Response().Header().Set("Retry-After", strconv.Itoa(verifyRetryAfter))
		return nil, &userError{status: http.StatusServiceUnavailable, msg: "verify_busy", err: err}
	}
	return res, err
}

// verifyRetryAfter is the Retry-After of a busy answer, in seconds: the
// content index reads the ledger once at start, and a search waits its turn.
const verifyRetryAfter = 30

// matchOf is the page's form of a match, its reason in lang.
func (s *Server) matchOf(lang Lang, m *verify.Match) verifyMatch {
	vm := verifyMatch{Record: m.Record, Version: m.Version, Latest: m.Latest, Title: m.Title, Project: m.Project,
		Date: m.Date, URL: "/records/" + m.Record, Verified: m.Verified, Bound: m.RecordBound, Reason: m.Reason, Receipt: m.Receipt()}
	if m.Reason != nil {
		vm.Why, vm.Plain = reasonText(lang, *m.Reason), s.plainText(lang, *m.Reason)
	}
	vm.Day = m.Date
	if d, err := archive.ParseDate(m.Date); err == nil {
		vm.Day = formatDate(lang, d)
	}
	if d := m.Disposed; d != nil {
		approver, _ := archive.Actor(d.Approver).Account()
		day := archive.DateOf(d.Approved)
		vm.Disposed = &verifyDisposed{List: d.List, Approver: approver, Approved: day.String()}
		say := func(l Lang) string {
			return fmt.Sprintf(s.tmpl.msg(l, "verify_disposed"), formatDate(l, day), d.List, approver)
		}
		vm.Disposed.Zh, vm.Disposed.En, vm.Disposed.Text = say(LangZh), say(LangEn), say(lang)
		vm.URL = ""
	}
	return vm
}

func reasonText(lang Lang, r proof.Reason) string {
	if lang == LangEn {
		return r.String()
	}
	return r.Chinese()
}

// verifyLookup answers the page's script: the verdict on a SHA-256, with the
// receipt of each verified record version, as JSON.
func (s *Server) verifyLookup(c echo.Context) error {
	h, err := archive.ParseHash(c.Param("hex"))
	if err != nil {
		return badRequest("err_bad_hash", err)
	}
	ctx := c.Request().Context()
	c.Response().Header().Set("Cache-Control", "private, no-store")
	res, err := s.verifyFile(ctx, c, ViewerFrom(ctx), archive.Digests{SHA256: h}, true)
	if err != nil {
		return err
	}
	out := verifyJSON{SHA256: h.String(), Verified: res.Verified, Reasons: res.Reasons, Matches: []verifyMatch{}}
	for i := range res.Matches {
		out.Matches = append(out.Matches, s.matchOf(langOf(c.Request().URL.Path), &res.Matches[i]))
	}
	return c.JSON(http.StatusOK, out)
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
	out := &verifyResult{}
	var digests *archive.Digests
	var rcpt *proof.Receipt
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
			out.File, out.FileName, out.SHA256, out.SM3, out.Size = true, part.FileName(), d.SHA256.String(), d.SM3.String(), d.Size
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
			r, err := proof.ParseReceipt(b)
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
	var res *verify.Result
	switch {
	case rcpt != nil:
		// A receipt needs no archive: the visitor holds it, and what it says of
		// its record is theirs to read.
		out.Receipt = true
		key, err := note.NewVerifier(s.opts.VerifierKey)
		if err != nil {
			return err
		}
		if digests != nil {
			res, err = verify.Offline(*rcpt, key, *digests)
		} else {
			res, err = verify.OfflineReceipt(*rcpt, key)
		}
		if errors.Is(err, proof.ErrMalformed) {
			return badRequest("err_bad_receipt", err)
		}
		if err != nil {
			return err
		}
	default:
		if res, err = s.verifyFile(ctx, c, rq.Viewer, *digests, false); err != nil {
			return err
		}
	}
	out.Verified = res.Verified
	for _, r := range res.Reasons {
		out.Reasons = append(out.Reasons, reasonText(rq.Lang, r))
	}
	for i := range res.Matches {
		m := s.matchOf(rq.Lang, &res.Matches[i])
		m.Receipt = nil // the page links the record's own receipt
		out.Matches = append(out.Matches, m)
	}
	out.Unknown = !out.Receipt && len(out.Matches) == 0
	if rq.Viewer.Kind == ViewerStaff {
		for _, d := range res.Derived {
			out.Derived = append(out.Derived, s.derivedText(rq.Lang, d))
		}
	}
	p := &page{name: "verify", Title: s.tmpl.msg(rq.Lang, "nav_verify"),
		Data: verifyData{Key: s.opts.VerifierKey, Done: true, Result: out, MaxSize: formatBytes(s.opts.MaxUpload), Plain: s.plainWords(rq.Lang)}}
	body, err := s.renderPage(ctx, p, rq.requestInfo)
	if err != nil {
		return err
	}
	c.Response().Header().Set("Cache-Control", "private, no-store")
	return c.HTMLBlob(http.StatusOK, body)
}

// derivedText says in lang which lookup was found damaged.
func (s *Server) derivedText(lang Lang, d verify.Derived) string {
	what := s.tmpl.msg(lang, "derived_"+d.Object) + " · " + s.tmpl.msg(lang, "derived_"+d.Problem)
	switch {
	case d.Record != "" && d.Version > 0:
		what += " · " + d.Record + " " + s.tmpl.msg(lang, "version") + " " + strconv.Itoa(d.Version)
	case d.Record != "":
		what += " · " + d.Record
	case d.Project != "":
		what += " · " + d.Project
	}
	return what
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
