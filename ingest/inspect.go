package ingest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/gongshi-archive/gongshi/archive"
	"github.com/gongshi-archive/gongshi/internal/ctxio"
	"github.com/gongshi-archive/gongshi/internal/safefile"
)

// Formats that Inspect recognises from content. Only PDF can be filed today
// (the catalogue's allowed formats); the others are named so that a rejection
// can say what the file really is.
const (
	FormatPDF     = "pdf"
	FormatEmpty   = "empty"
	FormatZIP     = "zip" // also OFD, DOCX, XLSX: containers
	FormatPNG     = "png"
	FormatJPEG    = "jpeg"
	FormatTIFF    = "tiff"
	FormatText    = "text"
	FormatUnknown = "unknown"
)

// Inspection is what Inspect found in one file.
type Inspection struct {
	// FileName is the base name of the file as given (never used as a key).
	FileName string `json:"file_name"`
	// Content are the digests and size of the bytes, from one read.
	Content archive.Digests `json:"content"`
	// Format is the format detected from the first bytes.
	Format string `json:"format"`
	// PDF is set when Format is FormatPDF.
	PDF *PDFInfo `json:"pdf,omitempty"`
	// Elapsed is how long the inspection took (not stored; for progress and
	// benchmarks).
	Elapsed time.Duration `json:"-"`
	// file is the identity of the file inspected, for commit to check that it
	// stores the same file.
	file fileID
}

// PDFInfo is what the PDF inspection found.
type PDFInfo struct {
	// Version is the PDF version the file declares, e.g. "1.7".
	Version string `json:"version,omitempty"`
	// Pages is the page count, 0 when the file could not be read.
	Pages int `json:"pages,omitempty"`
	// Valid is true when pdfcpu read and validated the file.
	Valid bool `json:"valid"`
	// Problems summarise why the file is not valid, in pdfcpu's words.
	Problems []string `json:"problems,omitempty"`
	// Encrypted is true when the file has an encryption dictionary.
	Encrypted bool `json:"encrypted,omitempty"`
	// Active lists active content found: "javascript", "launch",
	// "embedded_file", each once.
	Active []string `json:"active,omitempty"`
	// Incomplete says why the file is not whole, when it is not: cut short,
	// without its end-of-file marker, or with a signature's byte range past its
	// end (complete.go).
	Incomplete []string `json:"incomplete,omitempty"`
	// Signatures are the digital signatures, in file order.
	Signatures []Signature `json:"signatures,omitempty"`
}

// Has reports whether the PDF has active content of kind k.
func (p *PDFInfo) Has(k string) bool {
	for _, a := range p.Active {
		if a == k {
			return true
		}
	}
	return false
}

// Kinds of active content.
const (
	ActiveJavaScript   = "javascript"
	ActiveLaunch       = "launch"
	ActiveEmbeddedFile = "embedded_file"
)

// Inspector inspects files. It is safe for concurrent use.
type Inspector struct {
	roots          *TrustRoots
	doubleCheckMax int64
	memoryMax      int64
	budget         int64
	parseTimeout   func(size int64) time.Duration
	now            func() time.Time
}

// DefaultDoubleCheckMax is the largest file whose signatures pdfcpu verifies
// besides Gongshi's own CMS check; see InspectorOptions.DoubleCheckMax.
const DefaultDoubleCheckMax = 64 << 20

// InspectorOptions configure an Inspector. The zero value is usable: no trust
// roots (every intact signature is "untrusted") and full validation of any size.
type InspectorOptions struct {
	// Roots are the certificates that signatures must chain to, to be "valid"
	// (LoadTrustRoots, NewTrustRoots); nil trusts nobody.
	Roots *TrustRoots
	// Now is the clock for certificate checks when a signature carries no signing
	// time; nil means time.Now.
	Now func() time.Time
	// DoubleCheckMax is the largest file (bytes) whose signatures pdfcpu verifies
	// besides Gongshi's own CMS check; 0 means DefaultDoubleCheckMax, a
	// negative value no limit.
	DoubleCheckMax int64
	// MemoryBudget bounds the memory (bytes) that the files inspected at once
	// are expected to need together: a batch starts a file only when its
	// expected need is free, and refuses a file that needs more than the whole
	// budget (ErrOverBudget; docs/ingest.md, "Limits"). 0 means
	// DefaultMemoryBudget, a negative value no budget.
	MemoryBudget int64
	// ParseTimeout, when not zero, replaces the default bound on the time the
	// PDF parsers may take (60 s + 1 s per 10 MB).
	ParseTimeout time.Duration
}

// NewInspector returns an Inspector.
func NewInspector(o InspectorOptions) *Inspector {
	in := &Inspector{roots: o.Roots, now: o.Now, doubleCheckMax: o.DoubleCheckMax, parseTimeout: parseTimeout,
		memoryMax: 64 << 20}
	if o.ParseTimeout > 0 {
		in.parseTimeout = func(int64) time.Duration { return o.ParseTimeout }
	}
	switch {
	case in.doubleCheckMax == 0:
		in.doubleCheckMax = DefaultDoubleCheckMax
	case in.doubleCheckMax < 0:
		in.doubleCheckMax = 1<<63 - 1
	}
	if in.now == nil {
		in.now = time.Now
	}
	switch in.budget = o.MemoryBudget; {
	case in.budget == 0:
		in.budget = DefaultMemoryBudget()
	case in.budget < 0:
		in.budget = 0
	}
	return in
}

// ErrNotRegular: the path is not a regular file (a directory, a device, a pipe,
// a socket). Such a path is opened without blocking and refused by what the
// open handle is (safefile.Open), never read.
var ErrNotRegular = safefile.ErrNotRegular

// Inspect reads the file at path and inspects it. Its error is operational (the
// file cannot be read, ctx is done); whatever is wrong with the content is in
// the Inspection, for Check to judge.
//
// The digests come from one sequential read of the file. A PDF is parsed by
// pdfcpu, which needs random access, from the same open file, through positional
// reads, in a second pass that runs at the same time as the first (the page
// cache serves both): a file put in the path's place meanwhile is never read.
// A file changed in place during the inspection is found by its size, change
// time or modification time, and the inspection fails with ErrFileChanged (the
// store's SHA-256 check at commit would not find it: the digests and the
// verdicts could then be of different bytes). Commit checks the same identity.
func (in *Inspector) Inspect(ctx context.Context, path string) (*Inspection, error) {
	return in.inspectWith(ctx, path, func() (*os.File, error) { return safefile.Open(path) }, nil)
}

// inspectWith inspects the file that open opens, named path in reports.
//
// est, when not nil, is the file's expected cost as the batch estimated it
// before admitting it; nil means Inspect estimates it here.
func (in *Inspector) inspectWith(ctx context.Context, path string, open func() (*os.File, error), est *estimate) (*Inspection, error) {
	start := time.Now()
	f, err := open()
	if err != nil {
		return nil, fmt.Errorf("ingest: inspect: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("ingest: inspect: %w", err)
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("ingest: inspect %s: %s, %w", path, safefile.Kind(fi.Mode()), ErrNotRegular)
	}
	ins := &Inspection{FileName: filepath.Base(path), file: fileIdentity(fi)}

	head := make([]byte, 1024)
	n, err := io.ReadFull(f, head)
	if err != nil && err != io.EOF && err != io.ErrUnexpectedEOF {
		return nil, fmt.Errorf("ingest: inspect: %w", err)
	}
	head = head[:n]
	ins.Format = sniff(head)

	var pdfDone chan *PDFInfo
	d := archive.NewDigester()
	d.Write(head)
	var derr error
	var whole *wholeScan // is the file whole? (complete.go)
	if ins.Format == FormatPDF {
		whole = newWholeScan(fi.Size())
		whole.Write(head)
		digest := io.MultiWriter(d, whole)
		// The parse and the digests run at the same time, on the two cores.
		// A file up to memoryMax is read into memory once, and both read that
		// copy: pdfcpu reads each object through a new buffered reader at its
		// offset, a system call or more each (a file of a million small objects
		// spent a third of its time in them). A larger file is left where it is:
		// pdfcpu reads it through positional reads (a section reader: pread) and
		// the digests read it sequentially, the page cache serving both. The
		// parsing goroutine may outlive Inspect (see parseTimeout); its reads of
		// a closed file then fail.
		if est == nil {
			e := estimateFile(f, fi.Size())
			est = &e
		}
		if err := overBudget(*est, in.budget); err != nil {
			return nil, fmt.Errorf("ingest: inspect %s: %w", path, err)
		}
		var src pdfSource
		var rest []byte
		if fi.Size() <= in.memoryMax {
			buf := make([]byte, fi.Size())
			copy(buf, head)
			if derr = readRest(ctx, f, buf[len(head):]); derr == nil {
				rest, src = buf[len(head):], bytes.NewReader(buf)
			}
		} else {
			src = io.NewSectionReader(f, 0, fi.Size())
		}
		if src != nil {
			pdfDone = make(chan *PDFInfo, 1)
			go func() {
				pdfDone <- in.inspectPDF(ctx, src, fi.Size(), in.pdfLimits(*est))
			}()
		}
		if rest != nil {
			digest.Write(rest)
		} else if derr == nil {
			_, derr = io.Copy(digest, ctxio.Reader(ctx, f))
		}
	} else {
		_, derr = io.Copy(d, ctxio.Reader(ctx, f))
	}
	if testHookInspectRead != nil {
		testHookInspectRead(path)
	}
	if pdfDone != nil && derr == nil {
		limit := in.parseTimeout(fi.Size())
		timer := time.NewTimer(limit)
		select {
		case ins.PDF = <-pdfDone:
		case <-timer.C:
			// A hostile file can keep a parser busy far longer than any real
			// document needs. The document is refused; the parser's goroutine is
			// left to finish on its own, since Go cannot stop it.
			ins.PDF = &PDFInfo{Problems: []string{fmt.Sprintf("%s %s", parseTimedOut, limit)}}
		case <-ctx.Done():
			derr = ctx.Err()
		}
		timer.Stop()
	}
	if derr == nil {
		derr = checkSame(f, ins.file)
	}
	if derr != nil {
		return nil, fmt.Errorf("ingest: inspect %s: %w", path, derr)
	}
	if whole != nil && ins.PDF != nil {
		ins.PDF.Incomplete = whole.problems()
	}
	ins.Content = d.Sum()
	if ins.Content.Size != fi.Size() {
		return nil, fmt.Errorf("ingest: inspect %s: %w", path, ErrFileChanged)
	}
	ins.Elapsed = time.Since(start)
	return ins, nil
}

// readRest fills buf from f, which must then be at its end: a file that grew or
// shrank since its size was taken is ErrFileChanged.
func readRest(ctx context.Context, f io.Reader, buf []byte) error {
	_, err := io.ReadFull(ctxio.Reader(ctx, f), buf)
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		return ErrFileChanged
	}
	if err != nil {
		return err
	}
	if n, _ := f.Read(make([]byte, 1)); n > 0 {
		return ErrFileChanged
	}
	return nil
}

// testHookInspectRead, when set by a test, runs after Inspect's digest pass.
var testHookInspectRead func(path string)

// parseTimedOut starts the problem reported when the parsers took too long.
const parseTimedOut = "the PDF parser did not finish within"

// parseTimeout bounds the time the PDF parsers may take on a file of size bytes:
// generous for real documents (pdfcpu reads a 200 MB file in well under that),
// short enough that one hostile file cannot stall a batch.
func parseTimeout(size int64) time.Duration {
	return 60*time.Second + time.Duration(size/(10<<20))*time.Second
}

// sniff names the format of a file from its first bytes. A PDF may have up to
// 1024 bytes of junk before "%PDF-" (ISO 32000-1, annex H.3 item 3.4.1).
func sniff(head []byte) string {
	switch {
	case len(head) == 0:
		return FormatEmpty
	case bytes.Contains(head, []byte("%PDF-")):
		return FormatPDF
	case bytes.HasPrefix(head, []byte("PK\x03\x04")):
		return FormatZIP
	case bytes.HasPrefix(head, []byte("\x89PNG\r\n\x1a\n")):
		return FormatPNG
	case bytes.HasPrefix(head, []byte("\xff\xd8\xff")):
		return FormatJPEG
	case bytes.HasPrefix(head, []byte("II*\x00")), bytes.HasPrefix(head, []byte("MM\x00*")):
		return FormatTIFF
	case isText(head):
		return FormatText
	}
	return FormatUnknown
}

func isText(b []byte) bool {
	for _, c := range b {
		if c < 0x09 || (c > 0x0d && c < 0x20 && c != 0x1b) {
			return false
		}
	}
	return true
}
