package ingest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/gongshi-archive/gongshi/archive"
	"github.com/gongshi-archive/gongshi/archive/blob"
	"github.com/gongshi-archive/gongshi/internal/safefile"
)

// Archive is what filing needs of the record store (*archive.Archive).
type Archive interface {
	Catalogue() *archive.Catalogue
	Project(ctx context.Context, code string) (archive.Project, error)
	PutContentDigested(ctx context.Context, d archive.Digests, r io.Reader) error
	CreateRecord(ctx context.Context, rec archive.Record) (archive.Record, error)
	// CodeHolder returns the id of the record carrying an archival code, or
	// ErrNotFound.
	CodeHolder(ctx context.Context, code string) (string, error)
}

// Status is the outcome of filing one document.
type Status string

// The statuses.
const (
	StatusFiled        Status = "filed"
	StatusAlreadyFiled Status = "already_filed"
	StatusRejected     Status = "rejected"
	StatusError        Status = "error" // an operational error: nothing was decided
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
	// SetMemoryLimit, when not nil, is called by a batch with the memory its
	// process should hold at most right now: what it held when the batch
	// started, plus the expected needs of the files being inspected, plus 64 MiB
	// for committing. The command passes runtime/debug.SetMemoryLimit, so that
	// the garbage collector keeps the process near what its files need one by
	// one instead of twice what they hold together (GOGC's default), which
	// costs little CPU while one large file and small ones are inspected
	// together. A library user that owns its process may do the same.
	SetMemoryLimit func(int64)
}

// Filer files documents. It is safe for concurrent use.
type Filer struct {
	a   Archive
	in  *Inspector
	pol Policies
	num *numberer
	// codes claims the archival codes filers give (a manual --archival-code): num
	// when numbering is on, else a numberer of no class; nil without a store.
	codes *numberer
	now   func() time.Time
	// setLimit is Options.SetMemoryLimit.
	setLimit func(int64)
	// projects remembers the codes of projects seen to exist: a project is never
	// deleted, and asking the store once per document costs a listing and a read
	// (two round trips on S3).
	projects sync.Map
}

// NewFiler returns a Filer over the archive a. store is the archive's blob
// store, where archival item numbers are claimed (the numbers of manual codes
// too); it may be nil when o.Numbering is nil, and then manual codes are only
// checked against the records that carry them.
func NewFiler(a Archive, store blob.Store, o Options) *Filer {
	f := &Filer{a: a, in: o.Inspector, pol: o.Policies, now: o.Now, setLimit: o.SetMemoryLimit}
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
		f.codes = f.num
	} else if store != nil {
		f.codes = newNumberer(store, Numbering{})
	}
	return f
}

// File inspects, checks and commits the document at path with the metadata in
// meta (Project, Type, Title and the optional fields; FileName defaults to the
// path's base name). A rejected document stores nothing; its Result lists every
// reason. The error is operational only (unreadable file, store down).
func (f *Filer) File(ctx context.Context, path string, meta archive.Record) (Result, error) {
	p, res, err := f.prepare(ctx, path, meta)
	if err != nil || res.Status != "" {
		return res, err
	}
	return f.commit(ctx, p)
}

// prepared is a document that passed the checks and waits to be committed.
type prepared struct {
	res  Result
	rec  archive.Record
	rep  *Report
	open func() (*os.File, error) // opens the file again to store it
}

// prepare inspects and checks the document: the CPU-bound half of filing. When
// the document is rejected (or fails), the returned Result has its Status set.
func (f *Filer) prepare(ctx context.Context, path string, meta archive.Record) (prepared, Result, error) {
	return f.prepareWith(ctx, path, func() (*os.File, error) { return safefile.Open(path) }, meta, nil)
}

// prepareWith is prepare for the file that open opens (each time it is called),
// named path.
func (f *Filer) prepareWith(ctx context.Context, path string, open func() (*os.File, error), meta archive.Record, est *estimate) (prepared, Result, error) {
	res := Result{Path: path}
	ins, err := f.in.inspectWith(ctx, path, open, est)
	if errors.Is(err, ErrFileChanged) {
		return prepared{}, changed(res), nil
	}
	if errors.Is(err, ErrOutside) || errors.Is(err, ErrOverBudget) {
		res.Status, res.Reasons = StatusRejected, []string{err.Error()}
		return prepared{}, res, nil
	}
	if errors.Is(err, ErrNotRegular) {
		// A named pipe would block the read for ever, a device stream without
		// end: the document is refused, by what the open handle is.
		res.Status, res.Reasons = StatusRejected, []string{notRegularReason(err)}
		return prepared{}, res, nil
	}
	if err != nil {
		res, err = f.failed(res, err)
		return prepared{}, res, err
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
				res, err = f.failed(res, err)
				return prepared{}, res, err
			}
			rec.Signatures = b
		}
	}
	cat := f.a.Catalogue()
	rec = cat.ApplyDefaults(rec)
	rep := Check(rec, ins, f.pol.For(rec.Type), cat, f.now())
	if _, known := f.projects.Load(rec.Project); !known && rec.Project != "" && archive.ValidateProjectCode(rec.Project) == nil {
		switch _, err := f.a.Project(ctx, rec.Project); {
		case err == nil:
			f.projects.Store(rec.Project, true)
		case errors.Is(err, archive.ErrNotFound):
			rep.add(Integrity, "project", Fail, "项目不存在", "no project %s in the archive: create it first with 'gongshi project create'", rec.Project)
			rep.Verdict = Rejected
		case err != nil:
			res, err = f.failed(res, err)
			return prepared{}, res, err
		}
	}
	if rec.ArchivalCode != "" && !rep.Rejected() {
		// A code the filer gave must not be another record's (the claim is
		// checked when the document is committed, before anything is stored).
		holder, err := f.a.CodeHolder(ctx, rec.ArchivalCode)
		own, _ := archive.RecordID(rec)
		switch {
		case err == nil && holder != own:
			rep.add(Integrity, "archival_code", Fail, "档号已被占用", "the archival code %s is carried by record %s: give this document its own code, or leave it out to have one assigned", rec.ArchivalCode, holder)
			rep.Verdict = Rejected
		case err != nil && !errors.Is(err, archive.ErrNotFound):
			res, err = f.failed(res, err)
			return prepared{}, res, err
		}
	}
	res.Report = rep
	if rep.Rejected() {
		res.Status = StatusRejected
		for _, it := range rep.Failures() {
			res.Reasons = append(res.Reasons, it.Property.Label()+": "+it.Reason)
		}
		return prepared{}, res, nil
	}
	return prepared{res: res, rec: rec, rep: rep, open: open}, Result{}, nil
}

// commit stores a prepared document: content first, then the archival code,
// then the record (docs/architecture.md, "Durability": crash safety by ordering). It is the
// I/O-bound half of filing.
func (f *Filer) commit(ctx context.Context, p prepared) (Result, error) {
	res, rec, rep := p.res, p.rec, p.rep
	open := p.open
	if open == nil {
		open = func() (*os.File, error) { return safefile.Open(res.Path) }
	}
	src, err := open()
	if err != nil {
		return f.failed(res, err)
	}
	// The path is opened again: it must still be the file inspected, unchanged,
	// or the record would pair these bytes with another file's verdicts.
	if res.Inspection == nil {
		err = ErrFileChanged
	} else {
		err = checkSame(src, res.Inspection.file)
	}
	if errors.Is(err, ErrFileChanged) {
		src.Close()
		return changed(res), nil
	}
	if err != nil {
		src.Close()
		return f.failed(res, err)
	}
	// The filing's identity: the id its record would have without an archival
	// code. It holds the claim of its code.
	var filing string
	if f.codes != nil {
		f0 := rec
		f0.ArchivalCode = ""
		if filing, err = archive.RecordID(f0); err != nil {
			src.Close()
			return f.failed(res, err)
		}
	}
	manual := rec.ArchivalCode != ""
	if manual && f.codes != nil {
		// Before anything is stored: a code another filing holds is refused.
		err := f.codes.claimCode(ctx, rec.ArchivalCode, filing)
		if errors.Is(err, ErrCodeTaken) {
			src.Close()
			return rejectAtCommit(res, rep, "the archival code %s is held by another filing: give this document its own code, or leave it out to have one assigned", rec.ArchivalCode), nil
		}
		if err != nil {
			src.Close()
			return f.failed(res, err)
		}
	}
	err = f.a.PutContentDigested(ctx, rec.Content, src)
	src.Close()
	if err != nil {
		return f.failed(res, err)
	}
	numbered := !manual && f.num != nil
	for attempt := 0; ; attempt++ {
		r, rp := rec, rep.clone()
		if numbered {
			code, err := f.num.assign(ctx, filing, r.Date.Year, r.Retention)
			if err != nil {
				return f.failed(res, err)
			}
			r.ArchivalCode = code
			if f.num.contested(code, filing) {
				// The filing's result names a number whose claim holds another
				// filing: it is this filing's only if its record carries it.
				own, err := archive.RecordID(r)
				if err != nil {
					return f.failed(res, err)
				}
				holder, err := f.a.CodeHolder(ctx, code)
				if err != nil && !errors.Is(err, archive.ErrNotFound) {
					return f.failed(res, err)
				}
				if holder != own {
					if attempt >= 8 {
						return rejectAtCommit(res, rp, "the archival code %s is held by another filing", code), nil
					}
					f.num.reject(code, filing)
					continue
				}
			}
			rp.add(Integrity, "numbering", Pass, "档号已按顺序分配", "archival code %s, the next item of its class", code)
		}
		rb, err := json.Marshal(rp)
		if err != nil {
			return f.failed(res, err)
		}
		r.Report = rb
		stored, err := f.a.CreateRecord(ctx, r)
		switch {
		case errors.Is(err, archive.ErrRecordExists):
			res.Status, res.Record, res.Report = StatusAlreadyFiled, stored, rp
			if len(stored.Report) > 0 {
				var prev Report
				if json.Unmarshal(stored.Report, &prev) == nil {
					res.Report = &prev
				}
			}
			return res, nil
		case errors.Is(err, archive.ErrCodeInUse) && numbered && attempt < 8:
			// The number is carried by a record whose claim is missing (damage
			// that the audit names): never hand it out, take the next one.
			f.num.reject(r.ArchivalCode, filing)
			continue
		case errors.Is(err, archive.ErrCodeInUse):
			return rejectAtCommit(res, rp, "%v", err), nil
		case errors.Is(err, archive.ErrInvalid):
			// Check ran the same validator; reaching this means the archive knows a
			// rule ingest does not. Report it as a rejection all the same.
			res.Status, res.Report = StatusRejected, rp
			res.Reasons = append(res.Reasons, err.Error())
			return res, nil
		case err != nil:
			return f.failed(res, err)
		}
		res.Status, res.Record, res.Report = StatusFiled, stored, rp
		return res, nil
	}
}

// rejectAtCommit rejects a document at commit for its archival code.
func rejectAtCommit(res Result, rep *Report, en string, args ...any) Result {
	rep = rep.clone()
	rep.add(Integrity, "archival_code", Fail, "档号已被占用", en, args...)
	rep.Verdict = Rejected
	res.Status, res.Report = StatusRejected, rep
	for _, it := range rep.Failures() {
		res.Reasons = append(res.Reasons, it.Property.Label()+": "+it.Reason)
	}
	return res
}

// notRegularReason says why a path that is not a regular file is refused.
func notRegularReason(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	return fmt.Sprintf("文件 (file): %v: only regular files are filed, never pipes, devices or sockets", err)
}

// changed rejects a document whose file changed while it was being filed.
func changed(res Result) Result {
	res.Status = StatusRejected
	res.Reasons = []string{ErrFileChanged.Error()}
	return res
}

func (f *Filer) failed(res Result, err error) (Result, error) {
	res.Status = StatusError
	res.Reasons = []string{err.Error()}
	return res, fmt.Errorf("ingest: %s: %w", res.Path, err)
}

// clone returns a copy of r that can be added to without changing r.
func (r *Report) clone() *Report {
	c := *r
	c.Items = slices.Clone(r.Items)
	return &c
}
