package pdftest

import (
	"bytes"
	"crypto"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/digitorus/pdf"
	"github.com/digitorus/pdfsign/sign"
	"github.com/digitorus/pkcs7"
	"github.com/pdfcpu/pdfcpu/pkg/api"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/model"
)

// Identity is a certificate and its private key.
type Identity struct {
	Cert *x509.Certificate
	Key  crypto.Signer
}

// PKI is a root CA and a signer it certified.
type PKI struct {
	Root   Identity
	Signer Identity
}

// NewPKI makes a root CA named for a provincial e-government CA and a signer named
// for a city's expropriation office, with Chinese subject and issuer names
// (UTF8String), valid from notBefore for ten years. ECDSA P-256 keeps key
// generation fast; NewPKIWith makes SM2 ones.
func NewPKI(rootName, signerName string, notBefore time.Time) (*PKI, error) {
	return NewPKIWith(KeyECDSA, rootName, signerName, notBefore)
}

// Issue makes an ECDSA document-signing certificate for name, issued by ca.
func Issue(ca Identity, name string, notBefore time.Time) (Identity, error) {
	return IssueSigner(ca, KeyECDSA, name, notBefore)
}

// SelfSigned makes a self-signed signer, trusted by nobody.
func SelfSigned(name string, notBefore time.Time) (Identity, error) {
	p, err := NewPKI(name+" 自签根", name, notBefore)
	if err != nil {
		return Identity{}, err
	}
	return p.Signer, nil
}

// PEM encodes certificates as PEM.
func PEM(certs ...*x509.Certificate) []byte {
	var b bytes.Buffer
	for _, c := range certs {
		pem.Encode(&b, &pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})
	}
	return b.Bytes()
}

// Options shape a plain PDF.
type Options struct {
	// Pages is the page count; 0 means 1.
	Pages int
	// Size pads the file with an unreferenced-free filler stream (a page's XObject)
	// up to about this many bytes; 0 means no padding.
	Size int
	// JavaScript adds a document-open JavaScript action.
	JavaScript bool
	// Launch adds a document-open launch action that starts a program.
	Launch bool
	// Attachment embeds a file in the document's name tree.
	Attachment bool
	// Title goes into the document information dictionary.
	Title string
	// Objects adds this many small dictionaries that nothing refers to: the
	// shape of a hostile file that makes a parser hold a million objects.
	Objects int
	// OrphanSignature, when not nil, adds a signature dictionary that no form
	// field refers to, whose CMS data parses but has no signer: a degenerate
	// SignedData carrying only this certificate. It takes the object that
	// JavaScript, Launch and Attachment use, so it goes with none of them. Its
	// object number is lower than any signature that Sign adds later.
	OrphanSignature *x509.Certificate
}

// Document writes a well-formed PDF 1.7 with a classic cross-reference table.
func Document(o Options) []byte {
	if o.Pages <= 0 {
		o.Pages = 1
	}
	var b bytes.Buffer
	b.WriteString("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
	var offsets []int
	obj := func(body string) int {
		offsets = append(offsets, b.Len())
		n := len(offsets)
		fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", n, body)
		return n
	}
	// Object numbers are fixed up front: 1 catalog, 2 pages, 3 font, 4 info,
	// 5 content, 6 filler, 7 extra, 8.. pages.
	const firstPage = 8
	kids := make([]string, o.Pages)
	for i := range kids {
		kids[i] = fmt.Sprintf("%d 0 R", firstPage+i)
	}
	catalog := "<< /Type /Catalog /Pages 2 0 R"
	switch {
	case o.JavaScript:
		catalog += " /OpenAction 7 0 R"
	case o.Launch:
		catalog += " /OpenAction 7 0 R"
	case o.Attachment:
		catalog += " /Names << /EmbeddedFiles << /Names [(readme.txt) 7 0 R] >> >>"
	}
	catalog += " >>"
	obj(catalog)
	obj(fmt.Sprintf("<< /Type /Pages /Count %d /Kids [%s] >>", o.Pages, strings.Join(kids, " ")))
	obj("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
	title := o.Title
	if title == "" {
		title = "Gongshi test document"
	}
	obj(fmt.Sprintf("<< /Title (%s) /Producer (gongshi pdftest) >>", title))
	content := "BT /F1 18 Tf 72 720 Td (Gongshi test page) Tj ET"
	obj(fmt.Sprintf("<< /Length %d >>\nstream\n%s\nendstream", len(content), content))
	// The filler is a form XObject of comment lines, referenced from page 1, so
	// that the file is as large as asked and every byte belongs to the document.
	pad := max(o.Size-b.Len()-200*o.Pages-600, 0)
	offsets = append(offsets, b.Len())
	fmt.Fprintf(&b, "6 0 obj\n<< /Type /XObject /Subtype /Form /BBox [0 0 1 1] /Length %d >>\nstream\n", pad)
	writeFiller(&b, pad)
	b.WriteString("\nendstream\nendobj\n")
	switch {
	case o.JavaScript:
		obj("<< /Type /Action /S /JavaScript /JS (app.alert\\('gongshi'\\);) >>")
	case o.Launch:
		obj("<< /Type /Action /S /Launch /F (cmd.exe) >>")
	case o.Attachment:
		obj(fmt.Sprintf("<< /Type /Filespec /F (readme.txt) /EF << /F %d 0 R >> >>", firstPage+o.Pages))
	case o.OrphanSignature != nil:
		cms, err := pkcs7.DegenerateCertificate(o.OrphanSignature.Raw)
		if err != nil {
			panic(fmt.Sprintf("pdftest: degenerate CMS: %v", err))
		}
		obj(fmt.Sprintf("<< /Type /Sig /Filter /Adobe.PPKLite /SubFilter /adbe.pkcs7.detached /ByteRange [0 0 0 0] /Contents <%x> >>", cms))
	default:
		obj("<< >>")
	}
	for i := 0; i < o.Pages; i++ {
		res := "<< /Font << /F1 3 0 R >> >>"
		if i == 0 {
			res = "<< /Font << /F1 3 0 R >> /XObject << /X1 6 0 R >> >>"
		}
		obj(fmt.Sprintf("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources %s /Contents 5 0 R >>", res))
	}
	if o.Attachment {
		data := "embedded"
		obj(fmt.Sprintf("<< /Type /EmbeddedFile /Length %d >>\nstream\n%s\nendstream", len(data), data))
	}
	for k := range o.Objects {
		obj(fmt.Sprintf("<< /K %d >>", k))
	}
	xref := b.Len()
	fmt.Fprintf(&b, "xref\n0 %d\n0000000000 65535 f \n", len(offsets)+1)
	for _, off := range offsets {
		fmt.Fprintf(&b, "%010d 00000 n \n", off)
	}
	fmt.Fprintf(&b, "trailer\n<< /Size %d /Root 1 0 R /Info 4 0 R >>\nstartxref\n%d\n%%%%EOF\n", len(offsets)+1, xref)
	return b.Bytes()
}

// writeFiller writes n bytes of PDF comment lines (valid content-stream syntax
// that draws nothing) with varying digits, so that the bytes do not compress to
// nothing on the way to a store.
func writeFiller(b *bytes.Buffer, n int) {
	b.Grow(n)
	line := []byte("% gongshi filler 0000000000000000 abcdefghijklmnopqrstuvwxyz ABCDEFGHIJKLMNOPQRSTUVWXYZ\n")
	var x uint64 = 0x9e3779b97f4a7c15
	for n > 0 {
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
		hex := strconv.FormatUint(x, 16)
		copy(line[17:33], fmt.Sprintf("%016s", hex))
		k := min(n, len(line))
		if k < len(line) {
			// The last line is shorter; end it with a newline when there is room.
			b.Write(line[:k-1])
			b.WriteByte('\n')
		} else {
			b.Write(line)
		}
		n -= k
	}
}

// Sign signs doc as an approval signature of who, at the time given, and returns
// the signed file (doc with an incremental update holding the signature).
func Sign(doc []byte, who Identity, chain []*x509.Certificate, at time.Time) ([]byte, error) {
	rdr, err := pdf.NewReader(bytes.NewReader(doc), int64(len(doc)))
	if err != nil {
		return nil, fmt.Errorf("pdftest: sign: read: %w", err)
	}
	var out bytes.Buffer
	chains := [][]*x509.Certificate{append([]*x509.Certificate{who.Cert}, chain...)}
	err = sign.Sign(bytes.NewReader(doc), &out, rdr, int64(len(doc)), sign.SignData{
		Signature: sign.SignDataSignature{
			Info: sign.SignDataSignatureInfo{
				// ASCII only: pdfsign writes text strings as UTF-16 without escaping
				// the bytes 0x28, 0x29 and 0x5C that some Chinese characters contain,
				// and the result does not parse. The certificate carries the Chinese
				// names.
				Name: "Changchun expropriation office", Location: "Changchun", Reason: "filing",
				ContactInfo: "0431-00000000", Date: at,
			},
			CertType:   sign.ApprovalSignature,
			DocMDPPerm: sign.AllowFillingExistingFormFieldsAndSignaturesPerms,
		},
		Signer:            who.Key,
		DigestAlgorithm:   crypto.SHA256,
		Certificate:       who.Cert,
		CertificateChains: chains,
	})
	if err != nil {
		return nil, fmt.Errorf("pdftest: sign: %w", err)
	}
	return out.Bytes(), nil
}

var (
	startxrefRe = regexp.MustCompile(`startxref\s+(\d+)\s+%%EOF\s*$`)
	sizeRe      = regexp.MustCompile(`/Size\s+(\d+)`)
	rootRe      = regexp.MustCompile(`/Root\s+(\d+\s+\d+\s+R)`)
)

// AppendUpdate appends an incremental update to doc that adds a new document
// information dictionary, as an editor saving a signed file would: the signed
// bytes stay intact, but the signature no longer covers the whole file.
func AppendUpdate(doc []byte) ([]byte, error) {
	m := startxrefRe.FindSubmatch(doc)
	if m == nil {
		return nil, fmt.Errorf("pdftest: append update: no startxref at the end")
	}
	prev, _ := strconv.Atoi(string(m[1]))
	tail := doc[prev:]
	sm := lastMatch(sizeRe, tail)
	rm := lastMatch(rootRe, tail)
	if sm == nil || rm == nil {
		return nil, fmt.Errorf("pdftest: append update: no /Size or /Root in the last trailer")
	}
	size, _ := strconv.Atoi(string(sm[1]))
	var b bytes.Buffer
	b.Write(doc)
	if !bytes.HasSuffix(doc, []byte("\n")) {
		b.WriteByte('\n')
	}
	off := b.Len()
	fmt.Fprintf(&b, "%d 0 obj\n<< /Title (changed after signing) /Producer (an editor) >>\nendobj\n", size)
	xref := b.Len()
	fmt.Fprintf(&b, "xref\n0 1\n0000000000 65535 f \n%d 1\n%010d 00000 n \n", size, off)
	fmt.Fprintf(&b, "trailer\n<< /Size %d /Root %s /Info %d 0 R /Prev %d >>\nstartxref\n%d\n%%%%EOF\n", size+1, rm[1], size, prev, xref)
	return b.Bytes(), nil
}

var (
	objHeaderRe = regexp.MustCompile(`(\d+)\s+0\s+obj\b`)
	byteRangeRe = regexp.MustCompile(`/ByteRange\s*\[[^\]]*\]`)
)

// InflateByteRange appends an incremental update to the signed doc that
// redefines its last signature dictionary with a /ByteRange of pairs pairs
// [0 len(doc)]: a verifier that reads every section into memory reads the file
// pairs times over.
func InflateByteRange(doc []byte, pairs int) ([]byte, error) {
	i := bytes.LastIndex(doc, []byte("/ByteRange"))
	if i < 0 {
		return nil, fmt.Errorf("pdftest: inflate byte range: no /ByteRange")
	}
	hs := objHeaderRe.FindAllSubmatchIndex(doc[:i], -1)
	if len(hs) == 0 {
		return nil, fmt.Errorf("pdftest: inflate byte range: no object around /ByteRange")
	}
	h := hs[len(hs)-1]
	num, _ := strconv.Atoi(string(doc[h[2]:h[3]]))
	end := bytes.Index(doc[i:], []byte("endobj"))
	if end < 0 {
		return nil, fmt.Errorf("pdftest: inflate byte range: no endobj")
	}
	body := string(doc[h[1] : i+end])
	var br strings.Builder
	br.WriteString("/ByteRange [")
	for k := 0; k < pairs; k++ {
		fmt.Fprintf(&br, " 0 %d", len(doc))
	}
	br.WriteString(" ]")
	body = byteRangeRe.ReplaceAllLiteralString(body, br.String())
	return ReplaceObject(doc, num, body)
}

// ReplaceObject appends an incremental update to doc that gives object num the
// new body (the text between "obj" and "endobj").
func ReplaceObject(doc []byte, num int, body string) ([]byte, error) {
	m := startxrefRe.FindSubmatch(doc)
	if m == nil {
		return nil, fmt.Errorf("pdftest: replace object: no startxref at the end")
	}
	prev, _ := strconv.Atoi(string(m[1]))
	tail := doc[prev:]
	sm := lastMatch(sizeRe, tail)
	rm := lastMatch(rootRe, tail)
	if sm == nil || rm == nil {
		return nil, fmt.Errorf("pdftest: replace object: no /Size or /Root in the last trailer")
	}
	var b bytes.Buffer
	b.Write(doc)
	if !bytes.HasSuffix(doc, []byte("\n")) {
		b.WriteByte('\n')
	}
	off := b.Len()
	fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", num, body)
	xref := b.Len()
	fmt.Fprintf(&b, "xref\n0 1\n0000000000 65535 f \n%d 1\n%010d 00000 n \n", num, off)
	fmt.Fprintf(&b, "trailer\n<< /Size %s /Root %s /Prev %d >>\nstartxref\n%d\n%%%%EOF\n", sm[1], rm[1], prev, xref)
	return b.Bytes(), nil
}

func lastMatch(re *regexp.Regexp, b []byte) [][]byte {
	all := re.FindAllSubmatch(b, -1)
	if len(all) == 0 {
		return nil
	}
	return all[len(all)-1]
}

// Encrypt encrypts doc with AES-256 and the given user password ("" opens without
// a password but is encrypted all the same).
func Encrypt(doc []byte, userPW string) ([]byte, error) {
	api.DisableConfigDir()
	conf := model.NewAESConfiguration(userPW, "owner-secret", 256)
	var out bytes.Buffer
	if err := api.Encrypt(bytes.NewReader(doc), &out, conf); err != nil {
		return nil, fmt.Errorf("pdftest: encrypt: %w", err)
	}
	return out.Bytes(), nil
}
