package ingest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"sync"

	"github.com/pdfcpu/pdfcpu/pkg/api"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/model"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/types"
)

// pdfcpu keeps its configuration directory and its trust store in package
// variables of its own. Gongshi wants neither: no configuration files written to
// the user's home, no revocation look-ups over the network, and trust decided by
// Gongshi's own roots. setupPDFCPU points pdfcpu, once per process, at no config
// directory and an empty private trust store. This is the one piece of process
// state in the package, forced by pdfcpu's design.
var setupPDFCPU = sync.OnceValue(func() error {
	api.DisableConfigDir()
	dir, err := os.MkdirTemp("", "gongshi-pdfcpu-trust-")
	if err != nil {
		return fmt.Errorf("ingest: pdfcpu trust store: %w", err)
	}
	model.TrustedCertDir = dir
	return pdfcpu.LoadCertificates()
})

func pdfcpuConfig() *model.Configuration {
	conf := model.NewDefaultConfiguration()
	conf.Offline = true // never fetch CRLs or OCSP answers while filing
	conf.ValidationMode = model.ValidationRelaxed
	conf.Cmd = model.VALIDATESIGNATURES
	conf.Optimize = false
	return conf
}

// inspectPDF validates the PDF in f (size bytes) with pdfcpu, finds encryption,
// active content and signatures. It never fails: what goes wrong is a problem
// of the file, reported in the result. A panic inside a parser is caught and
// reported the same way, so that one hostile file cannot stop a batch.
//
// The file is parsed once. pdfcpu reads every object into memory (object
// streams included) and then validates; everything else is found in that
// parse: signature dictionaries and active content by one pass over the
// objects it holds (walkParse), each signature's signed bytes by its byte
// range. Reading and validating are two steps, so that a file pdfcpu can read
// but finds invalid still has its signatures and active content reported.
func (in *Inspector) inspectPDF(ctx context.Context, f pdfSource, size int64, lim model.ResourceLimits) (info *PDFInfo) {
	info = &PDFInfo{}
	defer func() {
		if r := recover(); r != nil {
			info.Valid = false
			info.Problems = append(info.Problems, fmt.Sprintf("the PDF parser failed: %v", r))
		}
	}()
	if err := setupPDFCPU(); err != nil {
		info.Problems = append(info.Problems, err.Error())
		return info
	}
	info.Encrypted = hasEncryptTrailer(f, size)
	conf := pdfcpuConfig()
	conf.Limits = lim
	pctx, err := api.ReadContext(f, conf)
	if err != nil {
		info.Problems = append(info.Problems, summarise(err))
		if isPasswordError(err) {
			info.Encrypted = true
		}
		// Nothing was parsed. A broken file may be a signed file that was
		// damaged, and the report should say so: see signaturesOfUnreadable.
		info.Signatures = in.signatures(ctx, f, size, signaturesOfUnreadable(f, size), nil)
		return info
	}
	if pctx.Encrypt != nil || pctx.E != nil {
		info.Encrypted = true
	}
	verr := api.ValidateContext(pctx)
	// After validation, which has parsed the objects of object streams it
	// reached: walkParse parses only the ones it did not.
	found := walkParse(ctx, pctx.XRefTable)
	info.Active = found.active
	if verr != nil {
		info.Problems = append(info.Problems, summarise(fmt.Errorf("validation error (obj#:%d): %w", pctx.CurObj, verr)))
		info.Signatures = in.signatures(ctx, f, size, signaturesInParse(pctx.XRefTable, found.sigs), nil)
		return info
	}
	info.Valid = true
	info.Version = pctx.XRefTable.VersionString()
	info.Pages = pctx.PageCount
	info.Signatures = in.signatures(ctx, f, size, signaturesInParse(pctx.XRefTable, found.sigs), pctx)
	return info
}

// pdfSource is the file as pdfcpu and the signature checks read it: pdfcpu
// seeks and reads, the checks read byte ranges at their offsets.
type pdfSource interface {
	io.ReadSeeker
	io.ReaderAt
}

// summarise shortens pdfcpu's error chain to what an archivist can act on.
func summarise(err error) string {
	s := err.Error()
	for _, p := range []string{"prepare PDF context: ", "read context: "} {
		s = strings.ReplaceAll(s, p, "")
	}
	if len(s) > 300 {
		s = s[:300] + "…"
	}
	return s
}

// isPasswordError says whether pdfcpu could not read the file because of its
// encryption (a password it lacks, a scheme it does not know, a broken
// encryption dictionary): by pdfcpu's sentinels, never by its words.
func isPasswordError(err error) bool {
	for _, e := range []error{pdfcpu.ErrWrongPassword, pdfcpu.ErrOwnerPasswordRequired, pdfcpu.ErrEncrypted,
		pdfcpu.ErrUnsupportedEncryptionFeature, pdfcpu.ErrMalformedEncryption,
		model.ErrMissingEncryptDictObject, model.ErrWrongTypeEncryptDictObject} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}

// hasEncryptTrailer looks for /Encrypt in the last 64 KiB of the file, where the
// last trailer or cross-reference stream is: encryption must be found even in a
// file pdfcpu cannot open without its password.
func hasEncryptTrailer(f io.ReaderAt, size int64) bool {
	n := min(size, 64<<10)
	buf := make([]byte, n)
	if _, err := f.ReadAt(buf, size-n); err != nil && err != io.EOF {
		return false
	}
	return strings.Contains(string(buf), "/Encrypt")
}

// parseFindings is what one pass over a parse found.
type parseFindings struct {
	// active lists the kinds of active content, each once, in a fixed order.
	active []string
	// sigs are the object numbers of the signature dictionaries, ascending.
	sigs []int
}

// walkParse makes one pass over every object that pdfcpu loaded (object
// streams included), in memory: it reads nothing from the file, and parses
// only the objects of object streams that pdfcpu's validation left unparsed. It finds
// actions that run code and embedded files, walking direct dictionaries nested
// in objects too (an /OpenAction is often written in place), and the objects
// that are signature dictionaries (isSigDict). The signature fields of the
// AcroForm name most signatures, but a damaged file, or an incremental update
// that dropped a field, can hold a signature dictionary no field refers to; it
// is found here all the same, and judged like any other.
func walkParse(ctx context.Context, xt *model.XRefTable) parseFindings {
	found := map[string]bool{}
	var walk func(o types.Object, depth int)
	walk = func(o types.Object, depth int) {
		if depth > 32 {
			return
		}
		switch v := o.(type) {
		case types.Dict:
			checkDict(v, found)
			for _, e := range v {
				walk(e, depth+1)
			}
		case types.StreamDict:
			checkDict(v.Dict, found)
			for _, e := range v.Dict {
				walk(e, depth+1)
			}
		case types.Array:
			for _, e := range v {
				walk(e, depth+1)
			}
		}
	}
	var out parseFindings
	for nr, e := range xt.Table {
		if e == nil || e.Free || e.Object == nil {
			continue
		}
		o := e.Object
		if lazy, ok := o.(types.LazyObjectStreamObject); ok {
			// An object of an object stream that validation did not reach:
			// pdfcpu has its bytes but has not parsed them yet. Only one whose
			// bytes name what the walk looks for is parsed (most are not: on
			// the real-world batch, parsing them all cost a quarter more CPU);
			// one that does not parse holds nothing that could run.
			if data, err := lazy.GetData(); err != nil || !mayMatter(data) {
				continue
			}
			if o, _ = lazy.DecodedObject(ctx); o == nil {
				continue
			}
		}
		if d, ok := o.(types.Dict); ok && isSigDict(d) {
			out.sigs = append(out.sigs, nr)
		}
		walk(o, 0)
	}
	slices.Sort(out.sigs)
	for _, k := range []string{ActiveJavaScript, ActiveLaunch, ActiveEmbeddedFile} {
		if found[k] {
			out.active = append(out.active, k)
		}
	}
	return out
}

// walkedNames are the names that checkDict and isSigDict look for, as they
// are written in a file.
var walkedNames = [][]byte{[]byte("/JavaScript"), []byte("/JS"), []byte("/Launch"),
	[]byte("/EmbeddedFile"), []byte("/Adobe.PPKLite"), []byte("/ByteRange")}

// mayMatter reports whether the bytes of an unparsed object could hold a name
// that the walk looks for: one of walkedNames, or any name written with a #
// escape (/J#53 is /JS), which a byte search cannot rule out.
func mayMatter(data []byte) bool {
	if bytes.IndexByte(data, '#') >= 0 {
		return true
	}
	for _, n := range walkedNames {
		if bytes.Contains(data, n) {
			return true
		}
	}
	return false
}

func checkDict(d types.Dict, found map[string]bool) {
	name := func(k string) string {
		if n, ok := d[k].(types.Name); ok {
			return string(n)
		}
		return ""
	}
	switch name("S") {
	case "JavaScript":
		found[ActiveJavaScript] = true
	case "Launch":
		found[ActiveLaunch] = true
	}
	if _, ok := d["JS"]; ok {
		found[ActiveJavaScript] = true
	}
	if _, ok := d["JavaScript"]; ok { // the names tree of document-level scripts
		found[ActiveJavaScript] = true
	}
	if _, ok := d["EmbeddedFiles"]; ok || name("Type") == "EmbeddedFile" {
		found[ActiveEmbeddedFile] = true
	}
}
