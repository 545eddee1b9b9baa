package ingest

import (
	"bytes"
	"context"
	"crypto/x509"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/gongshi-archive/gongshi/ingest/pdftest"
)

// inspectBytes writes b to a file in a temporary directory and inspects it.
func inspectBytes(t *testing.T, in *Inspector, b []byte) *Inspection {
	t.Helper()
	p := filepath.Join(t.TempDir(), "doc.pdf")
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	ins, err := in.Inspect(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	if ins.PDF == nil {
		t.Fatalf("no PDF inspection: %+v", ins)
	}
	return ins
}

// A signature dictionary whose CMS data parses but has no signer does not shift
// the verdicts of the signatures after it: each signature is judged by its own
// CMS data over its own byte range, never by another's result.
func TestSignatureVerdictsNotPairedByPosition(t *testing.T) {
	pki, err := pdftest.NewPKI("根", "签名者", time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	roots := mustTrustRoots(t, pki.Root.Cert)
	in := NewInspector(InspectorOptions{Roots: roots})
	chain := []*x509.Certificate{pki.Root.Cert}
	doc := pdftest.Document(pdftest.Options{OrphanSignature: pki.Signer.Cert})

	t.Run("orphan then intact", func(t *testing.T) {
		signed, err := pdftest.Sign(doc, pki.Signer, chain, signingTime)
		if err != nil {
			t.Fatal(err)
		}
		sigs := inspectBytes(t, in, signed).PDF.Signatures
		if len(sigs) != 2 {
			t.Fatalf("want the orphan and the real signature, got %+v", sigs)
		}
		if sigs[0].Verdict != VerdictInvalid {
			t.Errorf("orphan: %s (%s), want invalid", sigs[0].Verdict, sigs[0].Reason)
		}
		if sigs[1].Verdict != VerdictValid {
			t.Errorf("intact signature: %s (%s), want valid", sigs[1].Verdict, sigs[1].Reason)
		}
	})

	t.Run("orphan, intact, tampered", func(t *testing.T) {
		once, err := pdftest.Sign(doc, pki.Signer, chain, signingTime)
		if err != nil {
			t.Fatal(err)
		}
		twice, err := pdftest.Sign(once, pki.Signer, chain, signingTime)
		if err != nil {
			t.Fatal(err)
		}
		// One byte that only the second signature covers: its own /Location.
		i := bytes.LastIndex(twice, []byte("/Location (Changchun)"))
		if i < len(once) {
			t.Fatalf("no /Location in the second update (%d < %d)", i, len(once))
		}
		twice[i+len("/Location (")] = 'D'
		sigs := inspectBytes(t, in, twice).PDF.Signatures
		if len(sigs) != 3 {
			t.Fatalf("want three signatures, got %+v", sigs)
		}
		for k, want := range []string{VerdictInvalid, VerdictValid, VerdictInvalid} {
			if sigs[k].Verdict != want {
				t.Errorf("signature %d: %s (%s), want %s", k, sigs[k].Verdict, sigs[k].Reason, want)
			}
		}
	})
}
