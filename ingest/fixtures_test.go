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
	roots    *TrustRoots
	rootsPEM []byte
	// sm2RootPEM is the SM2 root that the sm2_* fixtures chain to.
	sm2RootPEM []byte
	files      map[string]string // fixture name → path
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

// mustTrustRoots returns the trust roots certs.
func mustTrustRoots(tb testing.TB, certs ...*x509.Certificate) *TrustRoots {
	tb.Helper()
	r, err := NewTrustRoots(certs...)
	if err != nil {
		tb.Fatal(err)
	}
	return r
}

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
	fs := &fixtureSet{dir: dir, files: map[string]string{}}
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
	sm2 := map[string][]byte{}
	sm2PKI, err := makeSM2Fixtures(plain, pki, notBefore, sm2)
	if err != nil {
		return nil, err
	}
	if fs.roots, err = NewTrustRoots(pki.Root.Cert, oldPKI.Root.Cert, sm2PKI.Root.Cert); err != nil {
		return nil, err
	}
	fs.sm2RootPEM = pdftest.PEM(sm2PKI.Root.Cert)
	expired, err := pdftest.Sign(plain, oldPKI.Signer, []*x509.Certificate{oldPKI.Root.Cert}, time.Date(2020, 5, 1, 0, 0, 0, 0, time.UTC))
	if err != nil {
		return nil, err
	}
	cutAfterSignature, err := pdftest.CutAfterSignature(signed)
	if err != nil {
		return nil, err
	}
	noEOF, err := pdftest.WithoutEOF(signed)
	if err != nil {
		return nil, err
	}
	stretched, err := pdftest.StretchByteRange(signed, 4096)
	if err != nil {
		return nil, err
	}
	write := map[string][]byte{
		"cut_two_thirds":      pdftest.CutShort(signed, 2, 3),
		"cut_after_signature": cutAfterSignature,
		"no_eof":              noEOF,
		"byte_range_past_end": stretched,
		"appended_junk":       append(bytes.Clone(signed), "\nthis is not PDF\n"...),
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
	for k, b := range sm2 {
		write[k] = b
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

// makeSM2Fixtures signs plain with SM2 certificates (SM2 keys, SM2-with-SM3
// certificate signatures, SM3 digests, GM/T 0010 CMS), the way Chinese
// government CAs issue them, and with chains that mix SM2 and ECDSA, into out;
// it returns the SM2 PKI whose root the trusted fixtures chain to. ecdsa is the
// trusted ECDSA PKI.
//
//	sm2_signed          SM2 signer under an SM2 root that is trusted: valid
//	sm2_tampered        the same, one signed byte changed: invalid
//	sm2_untrusted       a self-signed SM2 signer: untrusted
//	sm2_forged_issuer   an SM2 signer certified by a root with the trusted SM2
//	                    root's name but another key: untrusted
//	sm2_under_ecdsa     SM2 signer ← ECDSA intermediate ← the trusted ECDSA
//	                    root: valid
//	ecdsa_under_sm2     ECDSA signer ← SM2 intermediate ← the trusted SM2 root:
//	                    valid
//	mixed_no_intermediate  sm2_under_ecdsa's signer without its intermediate
//	                    in the CMS data: untrusted
func makeSM2Fixtures(plain []byte, ecdsa *pdftest.PKI, notBefore time.Time, out map[string][]byte) (*pdftest.PKI, error) {
	const rootName = "国家政务服务平台SM2根证书"
	sm2PKI, err := pdftest.NewPKIWith(pdftest.KeySM2, rootName, "长春市房屋征收经办中心", notBefore)
	if err != nil {
		return nil, err
	}
	stranger, err := pdftest.NewPKIWith(pdftest.KeySM2, "某某公司 自签根", "某某公司", notBefore)
	if err != nil {
		return nil, err
	}
	forger, err := pdftest.NewPKIWith(pdftest.KeySM2, rootName, "长春市房屋征收经办中心", notBefore)
	if err != nil {
		return nil, err
	}
	ecdsaInter, err := pdftest.IssueCA(ecdsa.Root, pdftest.KeyECDSA, "吉林省电子政务中级证书", notBefore)
	if err != nil {
		return nil, err
	}
	sm2UnderECDSA, err := pdftest.IssueSigner(ecdsaInter, pdftest.KeySM2, "长春市南关区人民政府", notBefore)
	if err != nil {
		return nil, err
	}
	sm2Inter, err := pdftest.IssueCA(sm2PKI.Root, pdftest.KeySM2, "吉林省SM2中级证书", notBefore)
	if err != nil {
		return nil, err
	}
	ecdsaUnderSM2, err := pdftest.IssueSigner(sm2Inter, pdftest.KeyECDSA, "长春市朝阳区人民政府", notBefore)
	if err != nil {
		return nil, err
	}
	sign := func(name string, who pdftest.Identity, chain ...*x509.Certificate) error {
		b, err := pdftest.SignCMS(plain, who, chain, signingTime)
		out[name] = b
		return err
	}
	if err := sign("sm2_signed", sm2PKI.Signer, sm2PKI.Root.Cert); err != nil {
		return nil, err
	}
	tampered := bytes.Clone(out["sm2_signed"])
	tampered[bytes.Index(tampered, []byte("Gongshi test page"))] ^= 0x01
	out["sm2_tampered"] = tampered
	if err := sign("sm2_untrusted", stranger.Signer); err != nil {
		return nil, err
	}
	if err := sign("sm2_forged_issuer", forger.Signer, forger.Root.Cert); err != nil {
		return nil, err
	}
	if err := sign("sm2_under_ecdsa", sm2UnderECDSA, ecdsaInter.Cert); err != nil {
		return nil, err
	}
	if err := sign("mixed_no_intermediate", sm2UnderECDSA); err != nil {
		return nil, err
	}
	// (pdfsign cannot sign this: digitorus/pkcs7 checks the chain with
	// crypto/x509, which does not know SM2.)
	if err := sign("ecdsa_under_sm2", ecdsaUnderSM2, sm2Inter.Cert); err != nil {
		return nil, err
	}
	return sm2PKI, nil
}
