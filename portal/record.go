package portal

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/gongshi-archive/gongshi/archive"
	"github.com/gongshi-archive/gongshi/archive/ledger"
	"github.com/gongshi-archive/gongshi/archive/ledger/proof"
	"github.com/gongshi-archive/gongshi/ingest"
)

// The document page (/records/ID): metadata, the file to download, its SHA-256
// and SM3, the signatures in plain words, the four-property summary, the ledger
// entry with its receipt, and a link to verify. Its file (/records/ID/file) and
// receipt (/records/ID/receipt) answer only a viewer who may see the content.

type recordData struct {
	Cat        *archive.Catalogue
	Rec        archive.Record
	Project    archive.Project
	Content    bool // the viewer may see the content (download, digests, report)
	Signatures []signatureView
	Unsigned   bool
	Properties []propertyView
	Ledger     []ledger.Located
	Corrected  bool
	// Copies are the public copies of this record the viewer may see; when
	// there is one and the viewer is not staff, the download is the copy's.
	Copies []recordRow
	// Download is the address of the file the page offers.
	Download string
	// Original is the record this one is the public copy of, when the viewer
	// may know of it; IsCopy says it is a copy even when the original is hidden.
	Original *recordRow
	IsCopy   bool
	// Requests: disclosure requests are served (an on-request record offers
	// the form); Table: the record has a table the viewer may see (household_table.go).
	Requests bool
	Table    *archive.Table
}

type signatureView struct {
	ingest.Signature
	// Words is the verdict in plain words, in the page's language.
	Words string
}

type propertyView struct {
	Property ingest.Property
	Outcome  ingest.Outcome
	Checks   int
}

// visibleRecord returns the latest version of record id and what the viewer may
// see of it. A record the viewer may not see at all is errNotFound, exactly as a
// record that does not exist or an id that is malformed.
func (s *Server) visibleRecord(ctx context.Context, v Viewer, id string) (archive.Record, archive.Access, error) {
	if !archive.ValidRecordID(id) {
		return archive.Record{}, archive.AccessNone, errNotFound
	}
	rec, err := s.opts.Archive.Record(ctx, id)
	if errors.Is(err, archive.ErrNotFound) {
		return archive.Record{}, archive.AccessNone, errNotFound
	}
	if err != nil {
		return archive.Record{}, archive.AccessNone, err
	}
	access, err := s.opts.Index.Access(ctx, v, rec)
	if err != nil {
		return archive.Record{}, archive.AccessNone, err
	}
	switch access {
	case archive.AccessNone:
		return archive.Record{}, archive.AccessNone, errNotFound
	case archive.AccessCatalogue:
		rec = CatalogueOnly(rec)
	}
	return rec, access, nil
}

func (s *Server) recordPage(ctx context.Context, rq *request) (*page, error) {
	rec, access, err := s.visibleRecord(ctx, rq.Viewer, rq.param("id"))
	if err != nil {
		return nil, err
	}
	p, err := s.opts.Archive.Project(ctx, rec.Project)
	if err != nil && !errors.Is(err, archive.ErrNotFound) {
		return nil, err
	}
	d := recordData{Cat: s.opts.Archive.Catalogue(), Rec: rec, Project: p, Content: access == archive.AccessContent,
		Download: "/records/" + rec.ID + "/file"}
	if err := s.relatives(ctx, rq.Viewer, rec, &d); err != nil {
		return nil, err
	}
	d.Requests = s.hh != nil
	d.Table = s.recordTable(ctx, rq.Viewer, rec) // household_table.go
	if d.Content {
		d.Corrected = rec.Supersedes != nil
		var sigs []ingest.Signature
		if len(rec.Signatures) > 0 && json.Unmarshal(rec.Signatures, &sigs) == nil {
			for _, sg := range sigs {
				d.Signatures = append(d.Signatures, signatureView{Signature: sg, Words: signatureWords(rq.Lang, sg.Verdict)})
			}
		}
		d.Unsigned = len(d.Signatures) == 0
		d.Properties = propertiesOf(rec.Report)
		locs, err := s.opts.Ledger.Lookup(ctx, rec.ID, rec.Version)
		if err != nil && !errors.Is(err, ledger.ErrNotFound) {
			return nil, err
		}
		d.Ledger = locs
	}
	return &page{name: "record", Title: rec.Title, Data: d}, nil
}

// relatives fills in a record's public copies and, for a copy, its original, as
// far as the viewer may know of them. A copy of a hidden original says only that
// it is a copy: the original's title is the original's.
func (s *Server) relatives(ctx context.Context, v Viewer, rec archive.Record, d *recordData) error {
	if rec.PublicCopyOf != "" {
		d.IsCopy = true
		if orig, _, err := s.visibleRecord(ctx, v, rec.PublicCopyOf); err == nil {
			d.Original = &recordRow{Record: orig}
		} else if !errors.Is(err, archive.ErrNotFound) {
			return err
		}
	}
	copies, err := s.publicCopies(ctx, v, rec.ID)
	if err != nil {
		return err
	}
	for _, c := range copies {
		d.Copies = append(d.Copies, recordRow{Record: c})
	}
	if len(copies) > 0 && v.Kind != ViewerStaff {
		d.Download = "/records/" + copies[0].ID + "/file"
	}
	return nil
}

// publicCopies are the public copies of record id that v may see the content
// of, newest first.
func (s *Server) publicCopies(ctx context.Context, v Viewer, id string) ([]archive.Record, error) {
	res, err := s.opts.Index.Search(ctx, v, Query{PublicCopyOf: id, Sort: "newest", Limit: 10})
	if err != nil {
		return nil, err
	}
	var out []archive.Record
	for _, h := range res.Hits {
		if h.Access == archive.AccessContent && h.Record.PublicCopyOf == id {
			out = append(out, h.Record)
		}
	}
	return out, nil
}

// signatureWords says what a signature verdict means for a reader.
func signatureWords(lang Lang, verdict string) string {
	zh := map[string]string{
		ingest.VerdictValid:     "签名有效：文件签署后没有被改动，签名证书可信。",
		ingest.VerdictUntrusted: "文件签署后没有被改动，但签名证书不在本系统的信任名单中。",
		ingest.VerdictInvalid:   "签名无效：文件在签署后被改动过，或者签名已损坏。",
	}
	en := map[string]string{
		ingest.VerdictValid:     "Valid: the file has not changed since it was signed, and the certificate is trusted.",
		ingest.VerdictUntrusted: "The file has not changed since it was signed, but the certificate is not on this archive's trust list.",
		ingest.VerdictInvalid:   "Not valid: the file was changed after signing, or the signature is broken.",
	}
	if lang == LangEn {
		return en[verdict]
	}
	return zh[verdict]
}

// propertiesOf sums up a four-property report: per property, the worst outcome
// of its checks.
func propertiesOf(raw json.RawMessage) []propertyView {
	var rep ingest.Report
	if len(raw) == 0 || json.Unmarshal(raw, &rep) != nil {
		return nil
	}
	rank := map[ingest.Outcome]int{ingest.Pass: 0, ingest.Warn: 1, ingest.Fail: 2}
	var out []propertyView
	for _, p := range ingest.Properties() {
		v := propertyView{Property: p, Outcome: ingest.Pass}
		for _, it := range rep.Items {
			if it.Property == p {
				v.Checks++
				if rank[it.Outcome] > rank[v.Outcome] {
					v.Outcome = it.Outcome
				}
			}
		}
		if v.Checks > 0 {
			out = append(out, v)
		}
	}
	return out
}

// contentRecord is the latest version of record id when the request's viewer
// may see its content, else errNotFound.
func (s *Server) contentRecord(ctx context.Context, id string) (archive.Record, error) {
	rec, access, err := s.visibleRecord(ctx, ViewerFrom(ctx), id)
	if err != nil {
		return archive.Record{}, err
	}
	if access != archive.AccessContent {
		return archive.Record{}, errNotFound
	}
	return rec, nil
}

// recordFile sends the record's file to a viewer who may see its content.
func (s *Server) recordFile(c echo.Context) error {
	ctx := c.Request().Context()
	rec, err := s.contentRecord(ctx, c.Param("id"))
	if err != nil {
		return err
	}
	// Where a public copy exists, everyone but staff gets the copy: the original
	// holds what the copy redacts.
	if v := ViewerFrom(ctx); v.Kind != ViewerStaff {
		copies, err := s.publicCopies(ctx, v, rec.ID)
		if err != nil {
			return err
		}
		if len(copies) > 0 {
			c.Response().Header().Set("Cache-Control", cacheControlFor(v))
			return c.Redirect(http.StatusSeeOther, "/records/"+copies[0].ID+"/file")
		}
	}
	etag := `"` + rec.Content.SHA256.String() + `"`
	h := c.Response().Header()
	h.Set("ETag", etag)
	h.Set("Cache-Control", cacheControlFor(ViewerFrom(ctx)))
	if etagMatch(c.Request().Header.Get("If-None-Match"), etag) {
		return c.NoContent(http.StatusNotModified)
	}
	rc, err := s.opts.Archive.OpenContent(ctx, rec.Content.SHA256)
	if err != nil {
		return err
	}
	defer rc.Close()
	h.Set("Content-Type", "application/pdf")
	h.Set("Content-Length", fmt.Sprint(rec.Content.Size))
	h.Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": downloadName(rec)}))
	if c.Request().Method == http.MethodHead {
		return c.NoContent(http.StatusOK)
	}
	c.Response().WriteHeader(http.StatusOK)
	_, err = io.Copy(c.Response(), rc)
	return err
}

// downloadName is the file name a download gets: the name it was filed under,
// or the record id when that name is unusable.
func downloadName(r archive.Record) string {
	name := r.FileName
	if name == "" || strings.ContainsAny(name, "/\\\x00") {
		name = r.ID + ".pdf"
	}
	return name
}

func cacheControlFor(v Viewer) string {
	if v.IsPublic() {
		return "no-cache"
	}
	return "private, no-store"
}

// recordReceipt sends the receipt of the record's latest version: the ledger
// entry, its inclusion proof under the latest signed checkpoint, the record
// JSON and the project JSON with the project version's own entry, which
// `gongshi verify FILE --receipt R` checks offline. The verify package makes it
// as it makes a verify page's, so that a damaged lookup key does not lose it.
func (s *Server) recordReceipt(c echo.Context) error {
	ctx := c.Request().Context()
	rec, err := s.contentRecord(ctx, c.Param("id"))
	if err != nil {
		return err
	}
	res, err := s.verifyFile(ctx, c, ViewerFrom(ctx), rec.Content, false)
	if err != nil {
		return err
	}
	var r *proof.Receipt
	for i := range res.Matches {
		if m := &res.Matches[i]; m.Record == rec.ID && m.Version == rec.Version {
			r = m.Receipt()
		}
	}
	if r == nil {
		// Not in a signed checkpoint yet, or it does not verify: no receipt to
		// give (the verify page says why).
		return errNotFound
	}
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	h := c.Response().Header()
	h.Set("Cache-Control", cacheControlFor(ViewerFrom(ctx)))
	h.Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": rec.ID + ".receipt.json"}))
	return c.Blob(http.StatusOK, "application/json", append(b, '\n'))
}
