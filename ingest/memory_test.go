package ingest

import (
	"context"
	"crypto/x509"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/gongshi-archive/gongshi/ingest/pdftest"
)

// Inspecting a large signed PDF holds the file in memory at most once: pdfcpu
// reads each stream's content whole while it validates (pkg/pdfcpu
// readStreamContent), but the digests, and each signature's digest of its byte
// range, are computed streaming. Before, every signature's signed bytes were
// read into one more buffer of the file's size (digitorus/pkcs7 hashes a
// Content held whole): a document with three seals allocated four times its
// size.
func TestInspectLargeFileMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("makes an 80 MiB PDF")
	}
	const size = 80 << 20
	pki, err := pdftest.NewPKI("吉林省电子政务根证书", "长春市房屋征收经办中心", time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	doc, err := pdftest.Sign(pdftest.Document(pdftest.Options{Pages: 2, Size: size}), pki.Signer, []*x509.Certificate{pki.Root.Cert}, signingTime)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "评估报告.pdf")
	if err := os.WriteFile(path, doc, 0o644); err != nil {
		t.Fatal(err)
	}
	doc = nil
	roots := mustTrustRoots(t, pki.Root.Cert)
	in := NewInspector(InspectorOptions{Roots: roots})

	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	ins, err := in.Inspect(context.Background(), path)
	runtime.ReadMemStats(&after)
	if err != nil {
		t.Fatal(err)
	}
	if ins.PDF == nil || len(ins.PDF.Signatures) != 1 || ins.PDF.Signatures[0].Verdict != VerdictValid {
		t.Fatalf("want one valid signature, got %+v", ins.PDF)
	}
	allocated := after.TotalAlloc - before.TotalAlloc
	t.Logf("inspecting %d MiB allocated %d MiB in all", size>>20, allocated>>20)
	if allocated > size+size/2 {
		t.Errorf("inspecting a %d MiB file allocated %d MiB: more than the one copy pdfcpu makes", size>>20, allocated>>20)
	}
}
