package ingest

import (
	"crypto/x509"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/gongshi-archive/gongshi/ingest/pdftest"
)

// A signature whose /ByteRange names the whole file many times over is refused
// for its byte range before any verifier reads it: the inspection of a ~4 MB
// file allocates a bounded amount, not the file times the number of pairs.
func TestHostileByteRangeIsRefusedCheaply(t *testing.T) {
	pki, err := pdftest.NewPKI("根", "签名者", time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	roots := mustTrustRoots(t, pki.Root.Cert)
	in := NewInspector(InspectorOptions{Roots: roots})
	signed, err := pdftest.Sign(pdftest.Document(pdftest.Options{Size: 4 << 20}), pki.Signer, []*x509.Certificate{pki.Root.Cert}, signingTime)
	if err != nil {
		t.Fatal(err)
	}
	hostile, err := pdftest.InflateByteRange(signed, 150)
	if err != nil {
		t.Fatal(err)
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	sigs := inspectBytes(t, in, hostile).PDF.Signatures
	runtime.ReadMemStats(&after)
	alloc := after.TotalAlloc - before.TotalAlloc
	t.Logf("inspecting a %d-byte file allocated %d MiB", len(hostile), alloc>>20)
	if len(sigs) != 1 || sigs[0].Verdict != VerdictInvalid || !strings.Contains(sigs[0].Reason, "byte range") {
		t.Errorf("want one invalid signature refused for its byte range, got %+v", sigs)
	}
	if alloc > 64<<20 {
		t.Errorf("inspecting a %d-byte file allocated %d MiB, want under 64 MiB", len(hostile), alloc>>20)
	}
}

func TestCheckByteRange(t *testing.T) {
	const size = 1000
	for _, tc := range []struct {
		br []int64
		ok bool
	}{
		{[]int64{0, 100, 200, 800}, true},
		{[]int64{0, 100, 100, 900}, true},
		{[]int64{0, 100, 200, 801}, false},
		{[]int64{0, 100, 200}, false},
		{[]int64{0, 100, 200, 300, 400, 500}, false},
		{[]int64{1, 100, 200, 800}, false},
		{[]int64{0, 300, 200, 800}, false},
		{[]int64{0, -1, 200, 800}, false},
		{[]int64{0, 100, 200, 1<<63 - 1}, false}, // overflows br[2]+br[3]
		{[]int64{0, 100, 1001, 0}, false},
	} {
		if err := checkByteRange(tc.br, size); (err == nil) != tc.ok {
			t.Errorf("checkByteRange(%v) = %v, want ok %v", tc.br, err, tc.ok)
		}
	}
}
