package ingest

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pdfcpu/pdfcpu/pkg/api"
)

// FuzzInspect feeds arbitrary bytes to the inspection path (format sniffing,
// pdfcpu, the signature scan and both verifiers). It must never panic and must
// always return an inspection. The seeds (every fixture, and pieces of them)
// run as a normal test; to explore further:
//
//	go test -run '^$' -fuzz FuzzInspect -fuzzminimizetime 3s ./ingest
//
// (the seeds are real PDFs of ~25 KB, and minimizing each new input byte by byte
// for the default minute shows as long stretches of "0/sec"; 100 s of fuzzing
// this way ran 15,000 inputs without a failure).
// Time and memory per input are bounded by pdfcpu's resource limits
// (model.DefaultResourceLimits) and by the file's own size.
func FuzzInspect(f *testing.F) {
	fx := getFixtures(f)
	for _, name := range []string{"signed", "tampered", "incremental", "unsigned", "broken_cms", "encrypted",
		"javascript", "launch", "attachment", "truncated", "empty", "not_pdf"} {
		b, err := os.ReadFile(fx.files[name])
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
		if len(b) > 200 {
			f.Add(b[len(b)-200:]) // a tail: trailer and xref without the body
		}
	}
	f.Add([]byte("%PDF-1.7\n1 0 obj << /Type /Catalog /Pages 1 0 R >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF"))
	f.Add([]byte("%PDF-1.4\n%%EOF\n/ByteRange [0 1 2 3] /Filter /Adobe.PPKLite /Contents <3082>"))
	// A real document of a few KB parses in milliseconds; ten seconds means the
	// parsers are stuck, which the fuzzer then reports as a failure.
	in := NewInspector(InspectorOptions{Roots: fx.roots, ParseTimeout: 10 * time.Second})
	f.Fuzz(func(t *testing.T, b []byte) {
		p := filepath.Join(t.TempDir(), "input.pdf")
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
		ins, err := in.Inspect(context.Background(), p)
		if err != nil {
			t.Fatalf("inspect: %v", err)
		}
		if ins.PDF != nil && len(ins.PDF.Problems) > 0 && strings.HasPrefix(ins.PDF.Problems[0], parseTimedOut) {
			t.Fatalf("%s", ins.PDF.Problems[0])
		}
		if ins.Content.Size != int64(len(b)) {
			t.Fatalf("size %d, want %d", ins.Content.Size, len(b))
		}
	})
}

// parsedSignatures finds the signature dictionaries of doc as Inspect does.
func parsedSignatures(t testing.TB, doc []byte) []rawSig {
	t.Helper()
	if err := setupPDFCPU(); err != nil {
		t.Fatal(err)
	}
	pctx, err := api.ReadContext(bytes.NewReader(doc), pdfcpuConfig())
	if err != nil {
		t.Fatal(err)
	}
	return signaturesInParse(pctx.XRefTable, walkParse(context.Background(), pctx.XRefTable).sigs)
}

// FuzzVerifyCMS feeds arbitrary CMS data, as a signature dictionary's
// /Contents would hold it, to the CMS verifier over a real signed file's byte
// range: hostile DER must give an error, never a panic. (Whether it may verify
// cannot be decided by comparing bytes: unsigned attributes are outside the
// signature.) Seeds: the fixtures' own CMS data, whole and cut short.
//
//	go test -run '^$' -fuzz FuzzVerifyCMS ./ingest
func FuzzVerifyCMS(f *testing.F) {
	fx := getFixtures(f)
	doc, err := os.ReadFile(fx.files["signed"])
	if err != nil {
		f.Fatal(err)
	}
	sigs := parsedSignatures(f, doc)
	if len(sigs) != 1 {
		f.Fatalf("the signed fixture has %d signatures", len(sigs))
	}
	good := sigs[0]
	digest, err := signedDigest(bytes.NewReader(doc), good.byteRange, good.p7.Signers[0].DigestAlgorithm.Algorithm)
	if err != nil {
		f.Fatal(err)
	}
	if _, err := verifyCMS(good, digest); err != nil {
		f.Fatalf("the signed fixture's own CMS data does not verify: %v", err)
	}
	f.Add(good.der)
	der := bytes.TrimRight(good.der, "\x00")
	for _, n := range []int{0, 1, 2, 16, len(der) / 2, len(der) - 1} {
		f.Add(der[:n])
	}
	if b, err := os.ReadFile(fx.files["broken_cms"]); err == nil {
		for _, s := range parsedSignatures(f, b) {
			f.Add(s.der)
		}
	}
	f.Fuzz(func(t *testing.T, der []byte) {
		r := good
		r.der = der
		_, _ = verifyCMS(r, digest) // any answer but a panic
	})
}
