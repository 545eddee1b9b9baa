package ingest

import (
	"bytes"
	"crypto/x509"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/gongshi-archive/gongshi/ingest/pdftest"
)

// fixtureSet is every kind of file the issue names, made by the test itself.
type fixtureSet struct {
	dir      string
	roots    *x509.CertPool
	rootsPEM []byte
	files    map[string]string // fixture name → path
}

var (
	fixturesOnce sync.Once
	fixtures     *fixtureSet
	fixturesErr  error
)

// signingTime is inside the certificates' validity and before the test clock.
var signingTime = time.Date(2026, 3, 18, 9, 30, 0, 0, time.UTC)

// getFixtures makes the fixtures once per test binary, in a directory removed
// by TestMain.
func getFixtures(t testing.TB) *fixtureSet {
	t.Helper()
	fixturesOnce.Do(func() { fixtures, fixturesErr = makeFixtures(fixtureDir) })
	if fixturesErr != nil {
		t.Fatalf("fixtures: %v", fixturesErr)
	}
	return fixtures
}

var fixtureDir string

func TestMain(m *testing.M) {
	d, err := os.MkdirTemp("", "gongshi-ingest-fixtures-")
	if err != nil {
		panic(err)
	}
	fixtureDir = d
	code := m.Run()
	os.RemoveAll(d)
	os.Exit(code)
}

func makeFixtures(dir string) (*fixtureSet, error) {
	notBefore := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	pki, err := pdftest.NewPKI("吉林省电子政务根证书", "长春市房屋征收经办中心", notBefore)
	if err != nil {
		return nil, err
	}
	stranger, err := pdftest.SelfSigned("某某公司", notBefore)
	if err != nil {
		return nil, err
	}
	fs := &fixtureSet{dir: dir, files: map[string]string{}, roots: x509.NewCertPool()}
	fs.roots.AddCert(pki.Root.Cert)
	fs.rootsPEM = pdftest.PEM(pki.Root.Cert)

	plain := pdftest.Document(pdftest.Options{Pages: 3, Size: 20 << 10})
	signed, err := pdftest.Sign(plain, pki.Signer, []*x509.Certificate{pki.Root.Cert}, signingTime)
	if err != nil {
		return nil, err
	}
	tampered := bytes.Clone(signed)
	i := bytes.Index(tampered, []byte("Gongshi test page"))
	tampered[i] ^= 0x01 // one byte inside the signed range
	incremental, err := pdftest.AppendUpdate(signed)
	if err != nil {
		return nil, err
	}
	untrusted, err := pdftest.Sign(plain, stranger, nil, signingTime)
	if err != nil {
		return nil, err
	}
	broken := bytes.Clone(signed)
	j := bytes.Index(broken, []byte("/Contents<"))
	for k := j + 40; k < j+200; k++ {
		broken[k] = '0'
	}
	encrypted, err := pdftest.Encrypt(plain, "")
	if err != nil {
		return nil, err
	}
	encryptedPW, err := pdftest.Encrypt(plain, "secret")
	if err != nil {
		return nil, err
	}
	js, err := pdftest.Sign(pdftest.Document(pdftest.Options{JavaScript: true}), pki.Signer, nil, signingTime)
	if err != nil {
		return nil, err
	}
	many, err := pdftest.Sign(pdftest.Document(pdftest.Options{Pages: 3000}), pki.Signer, nil, signingTime)
	if err != nil {
		return nil, err
	}
	// A signer whose certificate expired before it signed (2015 to 2025; pdfsign
	// stamps the CMS signing time with the real clock): the bytes are intact, so
	// the signature is untrusted, not invalid.
	oldPKI, err := pdftest.NewPKI("吉林省电子政务根证书（旧）", "长春市房屋征收办公室", time.Date(2015, 6, 1, 0, 0, 0, 0, time.UTC))
	if err != nil {
		return nil, err
	}
	fs.roots.AddCert(oldPKI.Root.Cert)
	expired, err := pdftest.Sign(plain, oldPKI.Signer, []*x509.Certificate{oldPKI.Root.Cert}, time.Date(2020, 5, 1, 0, 0, 0, 0, time.UTC))
	if err != nil {
		return nil, err
	}
	write := map[string][]byte{
		"signed_after_expiry": expired,
		"signed":              signed,
		"tampered":            tampered,
		"incremental":         incremental,
		"unsigned":            plain,
		"untrusted":           untrusted,
		"broken_cms":          broken,
		"encrypted":           encrypted,
		"encrypted_pw":        encryptedPW,
		"javascript":          js,
		"launch":              pdftest.Document(pdftest.Options{Launch: true}),
		"attachment":          pdftest.Document(pdftest.Options{Attachment: true}),
		"truncated":           signed[:len(signed)/2],
		"empty":               {},
		"not_pdf":             []byte("PK\x03\x04 this is a zip archive, not a PDF"),
		"thousands":           many,
		"chinese_name":        signed,
		"spaces_name":         signed,
	}
	names := map[string]string{
		"chinese_name": "征收决定书 第1号.pdf",
		"spaces_name":  "decision   with  spaces .pdf",
		"not_pdf":      "looks-like.pdf",
	}
	for k, b := range write {
		name := names[k]
		if name == "" {
			name = k + ".pdf"
		}
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			return nil, err
		}
		fs.files[k] = p
	}
	return fs, nil
}
