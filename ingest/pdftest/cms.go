package pdftest

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"fmt"
	"math/big"
	"regexp"
	"strconv"
	"time"

	gmpkcs7 "github.com/emmansun/gmsm/pkcs7"
	"github.com/emmansun/gmsm/sm2"
	"github.com/emmansun/gmsm/sm3"
	"github.com/emmansun/gmsm/smx509"
)

// KeyAlgorithm is the key algorithm of a fixture certificate.
type KeyAlgorithm int

const (
	// KeyECDSA is ECDSA on P-256; its certificates are signed with
	// ECDSA-with-SHA256 (when the issuer's key is ECDSA).
	KeyECDSA KeyAlgorithm = iota
	// KeySM2 is SM2 (GB/T 32918); its certificates are signed with
	// SM2-with-SM3 (GM/T 0015) when the issuer's key is SM2.
	KeySM2
)

func (a KeyAlgorithm) newKey() (crypto.Signer, error) {
	switch a {
	case KeyECDSA:
		return ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case KeySM2:
		return sm2.GenerateKey(rand.Reader)
	}
	return nil, fmt.Errorf("pdftest: unknown key algorithm %d", a)
}

// certify makes the certificate tmpl for key's public half, signed by issuer
// (self-signed when issuer has no certificate), with gmsm's smx509, which signs
// and parses SM2 certificates as well as ECDSA and RSA ones. The result is
// returned as a *x509.Certificate (smx509's type has the same layout) so that
// fixtures of every algorithm fit Identity; crypto/x509 itself cannot parse an
// SM2 certificate, so use its Raw bytes with smx509 to check it.
func certify(tmpl *x509.Certificate, key crypto.Signer, issuer Identity) (*x509.Certificate, error) {
	parent, signer := tmpl, key
	if issuer.Cert != nil {
		parent, signer = issuer.Cert, issuer.Key
	}
	der, err := smx509.CreateCertificate(rand.Reader, tmpl, parent, key.Public(), signer)
	if err != nil {
		return nil, fmt.Errorf("pdftest: certificate %s: %w", tmpl.Subject.CommonName, err)
	}
	c, err := smx509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("pdftest: certificate %s: %w", tmpl.Subject.CommonName, err)
	}
	return c.ToX509(), nil
}

func serial() *big.Int {
	n, _ := rand.Int(rand.Reader, big.NewInt(1<<62))
	return n
}

// NewCA makes a self-signed root certificate authority named name with a key of
// algorithm alg, valid from notBefore for ten years.
func NewCA(alg KeyAlgorithm, name string, notBefore time.Time) (Identity, error) {
	return newIdentity(alg, name, notBefore, Identity{}, true)
}

// IssueCA makes an intermediate certificate authority named name, with a key of
// algorithm alg, certified by ca.
func IssueCA(ca Identity, alg KeyAlgorithm, name string, notBefore time.Time) (Identity, error) {
	return newIdentity(alg, name, notBefore, ca, true)
}

// IssueSigner makes a document-signing certificate for name, with a key of
// algorithm alg, issued by ca.
func IssueSigner(ca Identity, alg KeyAlgorithm, name string, notBefore time.Time) (Identity, error) {
	return newIdentity(alg, name, notBefore, ca, false)
}

// newIdentity makes a key of algorithm alg and its certificate for name, valid
// from notBefore for ten years, issued by issuer (self-signed without one): a
// certificate authority's when ca is set, else a document signer's.
func newIdentity(alg KeyAlgorithm, name string, notBefore time.Time, issuer Identity, ca bool) (Identity, error) {
	key, err := alg.newKey()
	if err != nil {
		return Identity{}, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial(),
		Subject: pkix.Name{CommonName: name, Organization: []string{"长春市人民政府"},
			OrganizationalUnit: []string{"房屋征收经办中心"}, Country: []string{"CN"}},
		NotBefore: notBefore, NotAfter: notBefore.AddDate(10, 0, 0),
		KeyUsage:    x509.KeyUsageDigitalSignature | x509.KeyUsageContentCommitment,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageEmailProtection},
	}
	if ca {
		tmpl.Subject = pkix.Name{CommonName: name, Organization: []string{"吉林省数字证书认证中心"},
			Country: []string{"CN"}, Province: []string{"吉林省"}}
		tmpl.KeyUsage, tmpl.ExtKeyUsage = x509.KeyUsageCertSign|x509.KeyUsageCRLSign, nil
		tmpl.BasicConstraintsValid, tmpl.IsCA = true, true
	}
	cert, err := certify(tmpl, key, issuer)
	if err != nil {
		return Identity{}, err
	}
	return Identity{Cert: cert, Key: key}, nil
}

// NewPKIWith makes a root CA and a signer it certified, as NewPKI does, with
// keys of algorithm alg.
func NewPKIWith(alg KeyAlgorithm, rootName, signerName string, notBefore time.Time) (*PKI, error) {
	root, err := NewCA(alg, rootName, notBefore)
	if err != nil {
		return nil, err
	}
	signer, err := IssueSigner(root, alg, signerName, notBefore)
	if err != nil {
		return nil, err
	}
	return &PKI{Root: root, Signer: signer}, nil
}

// contentsSize is the room SignCMS leaves for the CMS data, in bytes (twice as
// many hexadecimal digits in the file).
const contentsSize = 8192

var (
	kidsRe   = regexp.MustCompile(`/Kids\s*\[\s*(\d+)\s+0\s+R`)
	pagesRe  = regexp.MustCompile(`/Pages\s+(\d+)\s+0\s+R`)
	annotsRe = regexp.MustCompile(`/Annots|/AcroForm`)
)

// SignCMS signs doc as Sign does, but writes the signature itself: an
// incremental update with a signature field on the first page and its
// signature dictionary (/Filter /Adobe.PPKLite /SubFilter /adbe.pkcs7.detached,
// /M the time at), whose /Contents is CMS signed data made by gmsm over the
// bytes its /ByteRange names. An SM2 key signs with SM3 and the GM/T 0010
// content types (1.2.156.10197.6.1.4.2.*), as Chinese CAs' signing software
// does; any other key with SHA-256 and the PKCS #7 ones. chain is the
// certificates the CMS data carries besides the signer's, issuer first. (No
// other library here signs a PDF with SM2: pdfsign and Debian's OpenSSL 3.0
// cannot.) doc must end in a classic cross-reference table, as Document's
// output does, and carry no form or annotations yet.
func SignCMS(doc []byte, who Identity, chain []*x509.Certificate, at time.Time) ([]byte, error) {
	m := startxrefRe.FindSubmatch(doc)
	if m == nil {
		return nil, fmt.Errorf("pdftest: sign CMS: no startxref at the end")
	}
	prev, _ := strconv.Atoi(string(m[1]))
	sm, rm := lastMatch(sizeRe, doc[prev:]), lastMatch(rootRe, doc[prev:])
	if sm == nil || rm == nil {
		return nil, fmt.Errorf("pdftest: sign CMS: no /Size or /Root in the last trailer")
	}
	size, _ := strconv.Atoi(string(sm[1]))
	var rootNum int
	fmt.Sscanf(string(rm[1]), "%d", &rootNum)
	catalog, ok := objectBody(doc, rootNum)
	pm := pagesRe.FindStringSubmatch(catalog)
	if !ok || pm == nil || annotsRe.MatchString(catalog) {
		return nil, fmt.Errorf("pdftest: sign CMS: catalog %d not found, without /Pages, or with a form already", rootNum)
	}
	pagesNum, _ := strconv.Atoi(pm[1])
	pages, _ := objectBody(doc, pagesNum)
	km := kidsRe.FindStringSubmatch(pages)
	if km == nil {
		return nil, fmt.Errorf("pdftest: sign CMS: no first page in %d", pagesNum)
	}
	pageNum, _ := strconv.Atoi(km[1])
	page, ok := objectBody(doc, pageNum)
	if !ok || annotsRe.MatchString(page) {
		return nil, fmt.Errorf("pdftest: sign CMS: page %d not found, or annotated already", pageNum)
	}
	sigNum, fieldNum := size, size+1

	var b bytes.Buffer
	b.Write(doc)
	if !bytes.HasSuffix(doc, []byte("\n")) {
		b.WriteByte('\n')
	}
	offsets := map[int]int{}
	obj := func(n int, body string) {
		offsets[n] = b.Len()
		fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", n, body)
	}
	const placeholder = "/ByteRange [0 0000000000 0000000000 0000000000]"
	offsets[sigNum] = b.Len()
	fmt.Fprintf(&b, "%d 0 obj\n<< /Type /Sig /Filter /Adobe.PPKLite /SubFilter /adbe.pkcs7.detached %s /Contents <", sigNum, placeholder)
	contentsStart := b.Len() - 1 // the '<'
	b.Write(bytes.Repeat([]byte("0"), 2*contentsSize))
	b.WriteString(">")
	contentsEnd := b.Len() // after the '>'
	fmt.Fprintf(&b, " /M (D:%s) /Name (Changchun expropriation office) /Reason (filing) >>\nendobj\n", at.UTC().Format("20060102150405Z"))
	obj(fieldNum, fmt.Sprintf("<< /Type /Annot /Subtype /Widget /FT /Sig /T (Signature1) /V %d 0 R /Rect [0 0 0 0] /F 132 /P %d 0 R >>", sigNum, pageNum))
	obj(rootNum, insertBeforeEnd(catalog, fmt.Sprintf(" /AcroForm << /Fields [%d 0 R] /SigFlags 3 >>", fieldNum)))
	obj(pageNum, insertBeforeEnd(page, fmt.Sprintf(" /Annots [%d 0 R]", fieldNum)))
	xref := b.Len()
	b.WriteString("xref\n0 1\n0000000000 65535 f \n")
	for _, n := range []int{rootNum, pageNum, sigNum, fieldNum} {
		fmt.Fprintf(&b, "%d 1\n%010d 00000 n \n", n, offsets[n])
	}
	fmt.Fprintf(&b, "trailer\n<< /Size %d /Root %d 0 R /Prev %d >>\nstartxref\n%d\n%%%%EOF\n", fieldNum+1, rootNum, prev, xref)

	out := b.Bytes()
	br := []int{0, contentsStart, contentsEnd, len(out) - contentsEnd}
	i := bytes.Index(out[offsets[sigNum]:], []byte(placeholder)) + offsets[sigNum]
	copy(out[i:], fmt.Sprintf("/ByteRange [0 %010d %010d %010d]", br[1], br[2], br[3]))

	_, isSM2 := who.Key.(*sm2.PrivateKey)
	h := sha256.New()
	if isSM2 {
		h = sm3.New()
	}
	h.Write(out[:br[1]])
	h.Write(out[br[2]:])
	cms, err := signedData(h.Sum(nil), isSM2, who, chain)
	if err != nil {
		return nil, err
	}
	if len(cms) > contentsSize {
		return nil, fmt.Errorf("pdftest: sign CMS: %d bytes of CMS data, room for %d", len(cms), contentsSize)
	}
	hex.Encode(out[contentsStart+1:], cms)
	return out, nil
}

// signedData is detached CMS signed data of who over the digest.
func signedData(digest []byte, isSM2 bool, who Identity, chain []*x509.Certificate) ([]byte, error) {
	var sd *gmpkcs7.SignedData
	var err error
	if isSM2 {
		sd, err = gmpkcs7.NewSMSignedDataWithDigest(digest)
	} else {
		sd, err = gmpkcs7.NewSignedDataWithDigest(digest)
		if err == nil {
			sd.SetDigestAlgorithm(gmpkcs7.OIDDigestAlgorithmSHA256)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("pdftest: sign CMS: %w", err)
	}
	leaf, err := smx509.ParseCertificate(who.Cert.Raw)
	if err != nil {
		return nil, fmt.Errorf("pdftest: sign CMS: %w", err)
	}
	var parents []*smx509.Certificate
	for _, c := range chain {
		p, err := smx509.ParseCertificate(c.Raw)
		if err != nil {
			return nil, fmt.Errorf("pdftest: sign CMS: %w", err)
		}
		parents = append(parents, p)
	}
	if err := sd.AddSignerChain(leaf, who.Key, parents, gmpkcs7.SignerInfoConfig{}); err != nil {
		return nil, fmt.Errorf("pdftest: sign CMS: %w", err)
	}
	return sd.Finish()
}

// objectBody returns the body of the last definition of object num in doc
// (what lies between "num 0 obj" and "endobj").
func objectBody(doc []byte, num int) (string, bool) {
	re := regexp.MustCompile(`(?s)(?:^|\s)` + strconv.Itoa(num) + `\s+0\s+obj\s*(.*?)\s*endobj`)
	all := re.FindAllSubmatch(doc, -1)
	if len(all) == 0 {
		return "", false
	}
	return string(all[len(all)-1][1]), true
}

// insertBeforeEnd inserts s before the final ">>" of the dictionary d.
func insertBeforeEnd(d, s string) string {
	i := bytes.LastIndex([]byte(d), []byte(">>"))
	if i < 0 {
		return d
	}
	return d[:i] + s + " " + d[i:]
}
