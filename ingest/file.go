package ingest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/gongshi-archive/gongshi/archive"
	"github.com/gongshi-archive/gongshi/archive/blob"
)

// Archive is what filing needs of the record store (*archive.Archive).
type Archive interface {
	Catalogue() *archive.Catalogue
	Project(ctx context.Context, code string) (archive.Project, error)
	PutContentKnown(ctx context.Context, d archive.Digests, r io.Reader) error
	CreateRecord(ctx context.Context, rec archive.Record) (archive.Record, error)
}

// Status is the outcome of filing one document.
type Status string

// The statuses.
const (
	Filed        Status = "filed"
	AlreadyFiled Status = "already_filed"
	RejectedDoc  Status = "rejected"
	Failed       Status = "error" // an operational error: nothing was decided
)

// Result is what happened to one document.
type Result struct {
	Path   string         `json:"path"`
	Status Status         `json:"status"`
	Record archive.Record `json:"record,omitzero"`
	Report *Report        `json:"report,omitempty"`
	// Reasons are every reason of a rejection, or the operational error.
	Reasons []string `json:"reasons,omitempty"`
	// Inspection is what the file held (not in JSON output: the record and
	// report say it).
	Inspection *Inspection `json:"-"`
}

// Options configure a Filer.
type Options struct {
	Inspector *Inspector
	Policies  Policies
	// Numbering, when not nil, assigns archival codes to filings without one.
	Numbering *Numbering
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Filer files documents. It is safe for concurrent use.
type Filer struct {
	a   Archive
	in  *Inspector
	pol Policies
	num *numberer
	now func() time.Time
}

// NewFiler returns a Filer over the archive a. store is the archive's blob
// store, where archival item numbers are claimed; it may be nil when
// o.Numbering is nil.
func NewFiler(a Archive, store blob.Store, o Options) *Filer {
	f := &Filer{a: a, in: o.Inspector, pol: o.Policies, now: o.Now}
	if f.in == nil {
		f.in = NewInspector(InspectorOptions{})
	}
	if f.pol.Default == (Policy{}) {
		f.pol.Default = DefaultPolicy()
	}
	if f.now == nil {
		f.now = time.Now
	}
	if o.Numbering != nil {
		f.num = newNumberer(store, *o.Numbering)
	}
	return f
}

// File inspects, checks and commits the document at path with the metadata in
// meta (Project, Type, Title and the optional fields; FileName defaults to the
// path's base name). A rejected document stores nothing; its Result lists every
// reason. The error is operational only (unreadable file, store down).
func (f *Filer) File(ctx context.Context, path string, meta archive.Record) (Result, error) {
	res := Result{Path: path}
	ins, err := f.in.Inspect(ctx, path)
	if err != nil {
		return f.failed(res, err)
	}
	res.Inspection = ins
	rec := meta
	if rec.FileName == "" {
		rec.FileName = filepath.Base(path)
	}
	rec.Format = ins.Format
	if ins.Format == FormatPDF {
		rec.Format = "pdf"
	}
	rec.Content = ins.Content
	if ins.PDF != nil {
		rec.Pages = ins.PDF.Pages
		if len(ins.PDF.Signatures) > 0 {
			b, err := json.Marshal(ins.PDF.Signatures)
			if err != nil {
				return f.failed(res, err)
			}
			rec.Signatures = b
		}
	}
	cat := f.a.Catalogue()
	rec = cat.ApplyDefaults(rec)
	now := f.now()
	rep := Check(rec, ins, f.pol.For(rec.Type), cat, now)
	if rec.Project != "" && archive.ValidateProjectCode(rec.Project) == nil {
		switch _, err := f.a.Project(ctx, rec.Project); {
		case errors.Is(err, archive.ErrNotFound):
			rep.add(Integrity, "project", Fail, "项目不存在", "no project %s in the archive: create it first with 'gongshi project create'", rec.Project)
			rep.Verdict = Rejected
		case err != nil:
			return f.failed(res, err)
		}
	}
	res.Report = rep
	if rep.Rejected() {
		res.Status = RejectedDoc
		for _, it := range rep.Failures() {
			res.Reasons = append(res.Reasons, it.Property.Label()+": "+it.Reason)
		}
		return res, nil
	}

	// Content first, then the archival code, then the record (ARCHITECTURE.md:
	// crash safety by ordering).
	src, err := os.Open(path)
	if err != nil {
		return f.failed(res, err)
	}
	err = f.a.PutContentKnown(ctx, ins.Content, src)
	src.Close()
	if err != nil {
		return f.failed(res, err)
	}
	if f.num != nil && rec.ArchivalCode == "" {
		filing, err := archive.RecordID(rec)
		if err != nil {
			return f.failed(res, err)
		}
		code, err := f.num.assign(ctx, filing, rec.Date.Year, rec.Retention)
		if err != nil {
			return f.failed(res, err)
		}
		rec.ArchivalCode = code
		rep.add(Integrity, "numbering", Pass, "档号已按顺序分配", "archival code %s, the next item of its class", code)
	}
	rb, err := json.Marshal(rep)
	if err != nil {
		return f.failed(res, err)
	}
	rec.Report = rb
	stored, err := f.a.CreateRecord(ctx, rec)
	switch {
	case errors.Is(err, archive.ErrRecordExists):
		res.Status, res.Record = AlreadyFiled, stored
		if len(stored.Report) > 0 {
			var prev Report
			if json.Unmarshal(stored.Report, &prev) == nil {
				res.Report = &prev
			}
		}
		return res, nil
	case errors.Is(err, archive.ErrInvalid):
		// Check ran the same validator; reaching this means the archive knows a
		// rule ingest does not. Report it as a rejection all the same.
		res.Status = RejectedDoc
		res.Reasons = append(res.Reasons, err.Error())
		return res, nil
	case err != nil:
		return f.failed(res, err)
	}
	res.Status, res.Record = Filed, stored
	return res, nil
}

func (f *Filer) failed(res Result, err error) (Result, error) {
	res.Status = Failed
	res.Reasons = []string{err.Error()}
	return res, fmt.Errorf("ingest: %s: %w", res.Path, err)
}
