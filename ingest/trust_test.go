package ingest

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// --trust-roots reads SM2 roots as it reads ECDSA and RSA ones: a folder with
// the SM2 root makes the SM2-signed fixture valid, one with only the ECDSA root
// leaves it untrusted (and the ECDSA-signed one valid), and a file that holds
// no certificate is refused rather than silently trusting nobody.
func TestLoadTrustRootsSM2(t *testing.T) {
	fx := getFixtures(t)
	verdict := func(roots *TrustRoots, fixture string) string {
		t.Helper()
		ins, err := NewInspector(InspectorOptions{Roots: roots}).Inspect(context.Background(), fx.files[fixture])
		if err != nil || ins.PDF == nil || len(ins.PDF.Signatures) != 1 {
			t.Fatalf("%s: %v %+v", fixture, err, ins)
		}
		return ins.PDF.Signatures[0].Verdict
	}
	write := func(dir, name string, b []byte) {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}

	both := t.TempDir()
	write(both, "国家SM2根.pem", fx.sm2RootPEM)
	write(both, "吉林省根.crt", fx.rootsPEM)
	write(both, "readme.txt", []byte("not a certificate, and not read"))
	roots, n, err := LoadTrustRoots(both)
	if err != nil || n != 2 || roots.Len() != 2 {
		t.Fatalf("LoadTrustRoots: %d roots, %v", n, err)
	}
	for fixture, want := range map[string]string{"sm2_signed": VerdictValid, "signed": VerdictValid,
		"sm2_under_ecdsa": VerdictValid, "ecdsa_under_sm2": VerdictValid, "sm2_tampered": VerdictInvalid} {
		if got := verdict(roots, fixture); got != want {
			t.Errorf("roots SM2+ECDSA, %s: %s, want %s", fixture, got, want)
		}
	}

	ecdsaOnly := t.TempDir()
	write(ecdsaOnly, "吉林省根.pem", fx.rootsPEM)
	roots, _, err = LoadTrustRoots(ecdsaOnly)
	if err != nil {
		t.Fatal(err)
	}
	for fixture, want := range map[string]string{"sm2_signed": VerdictUntrusted, "signed": VerdictValid,
		"sm2_under_ecdsa": VerdictValid, "ecdsa_under_sm2": VerdictUntrusted} {
		if got := verdict(roots, fixture); got != want {
			t.Errorf("ECDSA root only, %s: %s, want %s", fixture, got, want)
		}
	}

	// A DER SM2 root is read too.
	der := t.TempDir()
	sm2Root, err := parseCerts(fx.sm2RootPEM)
	if err != nil || len(sm2Root) != 1 {
		t.Fatalf("SM2 root PEM: %v", err)
	}
	write(der, "root.cer", sm2Root[0].Raw)
	if roots, _, err = LoadTrustRoots(der); err != nil || verdict(roots, "sm2_signed") != VerdictValid {
		t.Fatalf("DER SM2 root: %v", err)
	}

	bad := t.TempDir()
	write(bad, "root.pem", []byte("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"))
	if _, _, err := LoadTrustRoots(bad); err == nil || !strings.Contains(err.Error(), "root.pem") {
		t.Fatalf("a file without a certificate: %v", err)
	}
}
