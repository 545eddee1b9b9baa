package ingest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/asn1"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/digitorus/pdf"
	"github.com/digitorus/timestamp"
	gmpkcs7 "github.com/emmansun/gmsm/pkcs7"
	"github.com/emmansun/gmsm/sm3"
	"github.com/emmansun/gmsm/smx509"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/model"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/types"
)

// Signature verdicts. "None" is the absence of any signature and has no verdict
// of its own; see Policy.Unsigned.
const (
	// VerdictValid: the signed bytes are intact and the signer's certificate
	// chains to a configured trust root.
	VerdictValid = "valid"
	// VerdictUntrusted: the signed bytes are intact, but the certificate does not
	// chain to a configured trust root.
	VerdictUntrusted = "untrusted"
	// VerdictInvalid: the signed bytes changed after signing, or the signature
	// data is broken.
	VerdictInvalid = "invalid"
)

// Signature is what the inspection found about one digital signature. It is
// stored in the record (archive.Record.Signatures) as a JSON array of these.
type Signature struct {
	// Signer is the signer certificate's subject common name (or the whole
	// subject when it has none); SignerDN the whole subject.
	Signer   string `json:"signer,omitempty"`
	SignerDN string `json:"signer_dn,omitempty"`
	// Issuer is the subject of the certificate that issued the signer's.
	Issuer string `json:"issuer,omitempty"`
	// Serial is the signer certificate's serial number in hex.
	Serial string `json:"serial,omitempty"`
	// SigningTime is the time the signature claims (a timestamp token's time
	// when there is one, else the signature dictionary's /M).
	SigningTime time.Time `json:"signing_time,omitzero"`
	// TimeSource says where SigningTime comes from: "timestamp" or "claimed".
	TimeSource string `json:"time_source,omitempty"`
	// Algorithm is the signature algorithm, e.g. "ECDSA-SHA256".
	Algorithm string `json:"algorithm,omitempty"`
	// SubFilter is the signature's encoding, e.g. "adbe.pkcs7.detached".
	SubFilter string `json:"sub_filter,omitempty"`
	// CoversWholeFile is true when the signed byte range reaches the end of the
	// file; false when changes were appended after signing.
	CoversWholeFile bool `json:"covers_whole_file"`
	// Verdict is VerdictValid, VerdictUntrusted or VerdictInvalid.
	Verdict string `json:"verdict"`
	// Reason says why, in English.
	Reason string `json:"reason,omitempty"`
}

// rawSig is one signature dictionary as found in the file.
type rawSig struct {
	byteRange []int64
	subFilter string
	claimed   time.Time
	p7        *gmpkcs7.PKCS7 // parsed by gmsm, which knows SM2 certificates
	der       []byte         // the CMS data as the PDF holds it
	parseErr  error
	// rangeErr says why byteRange is not one that a signature can have; such a
	// signature is invalid and no verifier reads its range.
	rangeErr error
}

// signatures verifies the signatures raws that were found in the PDF in f.
// pctx is pdfcpu's context when pdfcpu read and validated the file, else nil.
//
// Each signature is verified on its own: the digest of the bytes its own byte
// range names and the signature value over its signed attributes (verifyCMS).
// Nothing is paired by position with another verifier's list, whose length and
// order need not match ours (a blob that parses but has no signer, for one, is
// skipped by some verifiers and not by others), so one signature can never be
// judged by another's result.
//
// pdfcpu's verdict can only make a signature invalid (a modified document,
// malformed data), never valid; it is used only when its results line up one to
// one, and only for files up to the Inspector's doubleCheckMax: checking a 200 MB
// file twice would make the signature check, not SM3, the bound of ingest. Trust
// is Gongshi's own: the signer's certificate must chain, at the signing time, to
// a configured root.
func (in *Inspector) signatures(ctx context.Context, f io.ReaderAt, size int64, raws []rawSig, pctx *model.Context) []Signature {
	if len(raws) == 0 {
		return nil
	}
	// A verifier reads every section a byte range names into memory: a range
	// that names the whole file many times over makes it allocate that much. No
	// verifier of another library runs on a file with any range that is not the
	// two sections around the signature's contents, inside the file.
	rangesOK := true
	for i := range raws {
		if raws[i].rangeErr == nil {
			raws[i].rangeErr = checkByteRange(raws[i].byteRange, size)
		}
		if raws[i].rangeErr != nil {
			rangesOK = false
		}
	}
	// pdfcpu's results, in its order; used only when they line up one to one.
	var cpu []*model.SignatureValidationResult
	if rangesOK && pctx != nil && size <= in.doubleCheckMax {
		if res, err := pdfcpu.ValidateSignatures(f, pctx, true); err == nil {
			for _, r := range res {
				if r.Signed {
					cpu = append(cpu, r)
				}
			}
		}
	}
	if len(cpu) != len(raws) {
		cpu = nil
	}
	out := make([]Signature, 0, len(raws))
	for i, r := range raws {
		s := Signature{SubFilter: r.subFilter, SigningTime: r.claimed, TimeSource: "claimed"}
		if r.claimed.IsZero() {
			s.TimeSource = ""
		}
		if n := len(r.byteRange); n >= 4 && n%2 == 0 {
			end := r.byteRange[n-2] + r.byteRange[n-1]
			s.CoversWholeFile = end >= size || onlySpaceAfter(f, end, size)
		}
		if r.p7 != nil {
			describeSigner(&s, r.p7)
		}
		var c *model.SignatureValidationResult
		if cpu != nil {
			c = cpu[i]
		}
		in.judge(f, size, &s, r, c)
		out = append(out, s)
	}
	return out
}

// judge sets the verdict of s.
func (in *Inspector) judge(f io.ReaderAt, size int64, s *Signature, r rawSig, c *model.SignatureValidationResult) {
	switch {
	case r.rangeErr != nil:
		s.Verdict, s.Reason = VerdictInvalid, "the signature's byte range is malformed: "+r.rangeErr.Error()
		return
	case r.parseErr != nil:
		s.Verdict, s.Reason = VerdictInvalid, "the signature data is broken: "+r.parseErr.Error()
		return
	case c != nil && c.Reason == model.SignatureReasonMalformed:
		s.Verdict, s.Reason = VerdictInvalid, "the signature data is broken (pdfcpu: malformed)"
		return
	case c != nil && c.Status == model.SignatureStatusInvalid &&
		(c.Reason == model.SignatureReasonDocModified || c.Reason == model.SignatureReasonSignatureForged):
		// Only these two say the bytes or the signature are wrong; pdfcpu's other
		// reasons (an expired or untrusted certificate) are about trust, which is
		// decided below against Gongshi's roots at the signing time.
		s.Verdict, s.Reason = VerdictInvalid, "the signed bytes changed after signing (pdfcpu: "+c.Reason.String()+")"
		return
	}
	// The signed bytes are read and hashed once: for the check, and for the
	// explanation when it fails.
	oid := r.p7.Signers[0].DigestAlgorithm.Algorithm
	digest, err := signedDigest(f, r.byteRange, oid)
	switch {
	case errors.Is(err, errDigestAlgorithm):
		s.Verdict, s.Reason = VerdictInvalid, "the signature does not verify (digest algorithm "+oid.String()+" is not supported)"
		return
	case err != nil:
		s.Verdict, s.Reason = VerdictInvalid, "the signed bytes cannot be read: "+err.Error()
		return
	}
	ts, err := verifyCMS(r, digest)
	switch {
	case errors.Is(err, errTimestamp):
		s.Verdict, s.Reason = VerdictInvalid, "the signature's timestamp token is broken: "+err.Error()
		return
	case err != nil:
		// The CMS check also says no when the certificate was not valid at the
		// signing time the CMS data states; tell that apart from changed bytes.
		s.Verdict, s.Reason = whyNotValid(r, digest)
		return
	}
	if !ts.IsZero() {
		s.SigningTime, s.TimeSource = ts.UTC(), "timestamp"
	}
	leaf, inter := signerCert(r.p7)
	if leaf == nil {
		s.Verdict, s.Reason = VerdictInvalid, "the signature carries no signer certificate"
		return
	}
	at := s.SigningTime
	if at.IsZero() {
		at = in.now()
	}
	switch err := in.roots.verifyChain(leaf, inter, at); {
	case errors.Is(err, errNoRoots):
		s.Verdict, s.Reason = VerdictUntrusted, "intact, but "+err.Error()
		return
	case err != nil:
		s.Verdict, s.Reason = VerdictUntrusted, "intact, but the signer's certificate does not chain to a trust root: "+err.Error()
		return
	}
	s.Verdict, s.Reason = VerdictValid, "intact, and the signer's certificate chains to a trust root at the signing time"
	if s.TimeSource == "claimed" {
		s.Reason += " (as the signature claims it; there is no timestamp token)"
	}
}

// errTimestamp: a signature's timestamp token does not parse, does not verify or
// does not stamp this signature.
var errTimestamp = errors.New("timestamp token")

// oidTimeStampToken is id-aa-timeStampToken (RFC 3161 appendix A), an unsigned
// attribute of the signer.
var oidTimeStampToken = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 16, 2, 14}

// verifyCMS verifies the CMS signature of r against digest, the digest of the
// bytes its own byte range names: it must be the one the signature holds, and
// the signature value must verify with the signer's certificate (which must be
// valid at the signing time the CMS data states, when it states one). It returns
// the time of a timestamp token that stamps this signature, if there is one.
// Trust is not checked here.
func verifyCMS(r rawSig, digest []byte) (time.Time, error) {
	// gmsm's pkcs7 verifies against the digest of the signed bytes, computed
	// while streaming them (signedDigest), so that a 2 GB scan is not read into
	// memory once per signature (digitorus/pkcs7 hashes a Content held whole);
	// it also knows SM2 and SM3.
	if err := verifyDigest(r.der, digest); err != nil {
		return time.Time{}, err
	}
	return timestampOf(r.p7)
}

// verifyDigest checks the CMS data der (gmsm's pkcs7) against digest, the digest
// of the signed bytes. gmsm's BER reader panics on some malformed input
// (FuzzVerifyCMS found a two-byte one): a crafted signature must make the
// signature invalid, not bring the ingest down, so a panic is an error here.
func verifyDigest(der, digest []byte) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = fmt.Errorf("the CMS data is malformed (%v)", v)
		}
	}()
	p7, err := gmpkcs7.Parse(der)
	if err != nil {
		return err
	}
	if len(p7.Signers) != 1 {
		return fmt.Errorf("the CMS data has %d signers; a PDF signature has one", len(p7.Signers))
	}
	p7.Content = digest
	return p7.VerifyAsDigest()
}

// checkByteRange checks that br is a signature's byte range in a file of size
// bytes: four values, from the start of the file to the signature's contents
// and from after them to at most the end of the file, nothing negative, nothing
// overlapping, nothing past the end. The signed bytes are then at most the file.
func checkByteRange(br []int64, size int64) error {
	switch {
	case len(br) != 4:
		return fmt.Errorf("it has %d values, not 4", len(br))
	case br[0] < 0 || br[1] < 0 || br[2] < 0 || br[3] < 0:
		return fmt.Errorf("it has a negative value")
	case br[0] != 0:
		return fmt.Errorf("it does not start at the beginning of the file")
	case br[1] > br[2]:
		return fmt.Errorf("its two sections overlap")
	case br[2] > size || br[3] > size-br[2]:
		return fmt.Errorf("it reaches past the end of the file (%d bytes)", size)
	}
	return nil
}

// errDigestAlgorithm: a signature's digest algorithm is not one Gongshi checks.
var errDigestAlgorithm = errors.New("unsupported digest algorithm")

// signedDigest hashes the bytes that the byte range br names in f, in order,
// with the digest algorithm oid of a signature (checked with checkByteRange).
func signedDigest(f io.ReaderAt, br []int64, oid asn1.ObjectIdentifier) ([]byte, error) {
	var h hash.Hash
	switch {
	case oid.Equal(gmpkcs7.OIDDigestAlgorithmSHA256):
		h = sha256.New()
	case oid.Equal(gmpkcs7.OIDDigestAlgorithmSHA384):
		h = sha512.New384()
	case oid.Equal(gmpkcs7.OIDDigestAlgorithmSHA512):
		h = sha512.New()
	case oid.Equal(gmpkcs7.OIDDigestAlgorithmSM3):
		h = sm3.New()
	default:
		// SHA-1 among them: not accepted for new signatures.
		return nil, fmt.Errorf("%w: %s", errDigestAlgorithm, oid)
	}
	for i := 0; i+1 < len(br); i += 2 {
		if _, err := io.Copy(h, io.NewSectionReader(f, br[i], br[i+1])); err != nil {
			return nil, fmt.Errorf("the byte range does not lie in the file: %w", err)
		}
	}
	return h.Sum(nil), nil
}

// timestampOf returns the time of the signature's RFC 3161 timestamp token, zero
// when it has none. A token that does not parse, whose own signature does not
// verify, or that stamps another signature value, is an error wrapping
// errTimestamp.
func timestampOf(p7 *gmpkcs7.PKCS7) (time.Time, error) {
	for _, s := range p7.Signers {
		for _, a := range s.UnauthenticatedAttributes {
			if !a.Type.Equal(oidTimeStampToken) {
				continue
			}
			ts, err := timestamp.Parse(a.Value.Bytes)
			if err != nil {
				return time.Time{}, fmt.Errorf("%w: %v", errTimestamp, err)
			}
			if !ts.HashAlgorithm.Available() {
				return time.Time{}, fmt.Errorf("%w: unsupported hash algorithm", errTimestamp)
			}
			h := ts.HashAlgorithm.New()
			h.Write(s.EncryptedDigest)
			if !bytes.Equal(h.Sum(nil), ts.HashedMessage) {
				return time.Time{}, fmt.Errorf("%w: it stamps another signature", errTimestamp)
			}
			return ts.Time, nil
		}
	}
	return time.Time{}, nil
}

// signerCert returns the certificate of the CMS blob's signer and the other
// certificates it carries.
func signerCert(p7 *gmpkcs7.PKCS7) (*smx509.Certificate, []*smx509.Certificate) {
	if p7 == nil || len(p7.Certificates) == 0 {
		return nil, nil
	}
	leaf := p7.GetOnlySigner()
	if leaf == nil {
		leaf = p7.Certificates[0]
	}
	var rest []*smx509.Certificate
	for _, c := range p7.Certificates {
		if c != leaf {
			rest = append(rest, c)
		}
	}
	return leaf, rest
}

func describeSigner(s *Signature, p7 *gmpkcs7.PKCS7) {
	leaf, _ := signerCert(p7)
	if leaf == nil {
		return
	}
	s.Signer = leaf.Subject.CommonName
	s.SignerDN = leaf.Subject.String()
	if s.Signer == "" {
		s.Signer = s.SignerDN
	}
	s.Issuer = leaf.Issuer.String()
	if leaf.Issuer.CommonName != "" {
		s.Issuer = leaf.Issuer.CommonName
	}
	s.Serial = fmt.Sprintf("%x", leaf.SerialNumber)
	s.Algorithm = leaf.SignatureAlgorithm.String()
	if len(p7.Signers) > 0 {
		s.Algorithm = algorithmName(p7.Signers[0].DigestEncryptionAlgorithm.Algorithm.String(),
			p7.Signers[0].DigestAlgorithm.Algorithm.String(), s.Algorithm)
	}
}

// algorithmName names a CMS signer's algorithm from its OIDs, falling back to the
// certificate's signature algorithm.
func algorithmName(sigOID, digestOID, fallback string) string {
	digest := map[string]string{
		"2.16.840.1.101.3.4.2.1": "SHA256", "2.16.840.1.101.3.4.2.2": "SHA384",
		"2.16.840.1.101.3.4.2.3": "SHA512", "1.3.14.3.2.26": "SHA1", "1.2.156.10197.1.401": "SM3",
	}[digestOID]
	key := ""
	switch {
	case strings.HasPrefix(sigOID, "1.2.840.10045"):
		key = "ECDSA"
	case strings.HasPrefix(sigOID, "1.2.840.113549.1.1"):
		key = "RSA"
	case strings.HasPrefix(sigOID, "1.2.156.10197.1.301"), sigOID == "1.2.156.10197.1.501":
		key = "SM2"
	}
	if key == "" || digest == "" {
		return fallback
	}
	return key + "-" + digest
}

// onlySpaceAfter reports whether the bytes from off to size are all white space:
// an end-of-line after the signed range is not a change.
func onlySpaceAfter(f io.ReaderAt, off, size int64) bool {
	if size-off > 64 {
		return false
	}
	buf := make([]byte, size-off)
	if _, err := f.ReadAt(buf, off); err != nil && err != io.EOF {
		return false
	}
	return len(bytes.TrimSpace(buf)) == 0
}

// isSigDict reports whether d, an object of the file, is a signature
// dictionary: the filter that nearly every signing tool writes (Adobe.PPKLite),
// or the type a signature dictionary declares, with a byte range either way
// (ISO 32000-1, 12.8.1, table 252).
func isSigDict(d types.Dict) bool {
	if n := d.NameEntry("Filter"); n != nil && *n == "Adobe.PPKLite" {
		return true
	}
	_, hasRange := d["ByteRange"]
	t := d.NameEntry("Type")
	return hasRange && t != nil && *t == "Sig"
}

// signaturesInParse reads the signature dictionaries of a file from pdfcpu's
// parse: the objects walkParse found (objs, ascending), and the value of every
// signature field that pdfcpu's validation met in the AcroForm and on the pages
// (XRefTable.Signatures), whatever filter it names. They come in object-number
// order, each once.
func signaturesInParse(xt *model.XRefTable, objs []int) []rawSig {
	all := slices.Clone(objs)
	for _, fields := range xt.Signatures {
		for nr := range fields {
			e, ok := xt.Table[nr]
			if !ok || e == nil {
				continue
			}
			field, ok := resolved(e.Object).(types.Dict)
			if !ok {
				continue
			}
			if ref := field.IndirectRefEntry("V"); ref != nil {
				all = append(all, ref.ObjectNumber.Value())
			}
		}
	}
	slices.Sort(all)
	all = slices.Compact(all)
	var out []rawSig
	for _, nr := range all {
		e, ok := xt.Table[nr]
		if !ok || e == nil || e.Free {
			continue
		}
		if d, ok := resolved(e.Object).(types.Dict); ok {
			out = append(out, sigFromDict(d))
		}
	}
	return out
}

// resolved is o, or the object it stands for when o is an object of an object
// stream that pdfcpu has not parsed yet (nil when it does not parse).
func resolved(o types.Object) types.Object {
	if lazy, ok := o.(types.LazyObjectStreamObject); ok {
		d, _ := lazy.DecodedObject(context.Background())
		return d
	}
	return o
}

// sigFromDict reads one signature dictionary: its byte range, sub-filter,
// claimed signing time and CMS data.
func sigFromDict(d types.Dict) rawSig {
	r := rawSig{}
	if n := d.NameEntry("SubFilter"); n != nil {
		r.subFilter = *n
	}
	br, ok := d["ByteRange"].(types.Array)
	if !ok {
		r.rangeErr = errors.New("it is missing or not an array")
	}
	for _, v := range br {
		i, ok := v.(types.Integer)
		if !ok {
			r.rangeErr = fmt.Errorf("it holds %v, not an integer", v)
			break
		}
		r.byteRange = append(r.byteRange, int64(i.Value()))
	}
	if m, err := types.StringOrHexLiteral(d["M"]); err == nil {
		if t, err := parsePDFDate(*m); err == nil {
			r.claimed = t
		}
	}
	r.der, r.parseErr = pdfBytes(d["Contents"])
	if r.parseErr == nil {
		r.p7, r.parseErr = parsePKCS7(r.der)
	}
	if r.parseErr == nil && len(r.p7.Signers) == 0 {
		r.p7, r.parseErr = nil, fmt.Errorf("no signer in the CMS data")
	}
	return r
}

// pdfBytes returns the bytes of a PDF string, hexadecimal (as signatures' CMS
// data nearly always is) or literal.
func pdfBytes(o types.Object) ([]byte, error) {
	switch v := o.(type) {
	case types.HexLiteral:
		h := strings.Map(func(r rune) rune {
			if strings.ContainsRune(" \t\r\n\f\x00", r) {
				return -1
			}
			return r
		}, v.Value())
		if len(h)%2 == 1 {
			h += "0" // ISO 32000-1, 7.3.4.3: a missing last digit is 0
		}
		return hex.DecodeString(h)
	case types.StringLiteral:
		return types.Unescape(v.Value())
	case nil:
		return nil, errors.New("the signature has no /Contents")
	}
	return nil, fmt.Errorf("/Contents is a %T, not a string", o)
}

// signaturesOfUnreadable finds the signature dictionaries of a file that pdfcpu
// could not read at all (a damaged cross-reference table, a file cut short):
// such a file is rejected, but when it was signed the report should say what
// became of its signatures. Only a file that holds the bytes "/ByteRange" can
// have one, which a scan at memory speed tells; only then does digitorus/pdf,
// a second reader that recovers from other damage than pdfcpu, walk it.
func signaturesOfUnreadable(f io.ReaderAt, size int64) (out []rawSig) {
	if !containsAt(f, size, []byte("/ByteRange")) {
		return nil
	}
	defer func() {
		if recover() != nil {
			out = nil
		}
	}()
	rdr, err := pdf.NewReader(f, size)
	if err != nil {
		return nil
	}
	for _, x := range rdr.Xref() {
		v := rdr.Resolve(x.Ptr(), x.Ptr())
		if v.Key("Filter").Name() != "Adobe.PPKLite" {
			continue
		}
		r := rawSig{subFilter: v.Key("SubFilter").Name()}
		br := v.Key("ByteRange")
		for i := 0; i < br.Len(); i++ {
			r.byteRange = append(r.byteRange, br.Index(i).Int64())
		}
		if t, err := parsePDFDate(v.Key("M").Text()); err == nil {
			r.claimed = t
		}
		r.der = []byte(v.Key("Contents").RawString())
		r.p7, r.parseErr = parsePKCS7(r.der)
		if r.parseErr == nil && len(r.p7.Signers) == 0 {
			r.p7, r.parseErr = nil, fmt.Errorf("no signer in the CMS data")
		}
		out = append(out, r)
	}
	return out
}

// containsAt reports whether the size bytes of f hold pat, reading them in
// blocks of 1 MiB.
func containsAt(f io.ReaderAt, size int64, pat []byte) bool {
	const block = 1 << 20
	buf := make([]byte, block+len(pat))
	for off := int64(0); off < size; off += block {
		n, err := f.ReadAt(buf[:min(int64(len(buf)), size-off)], off)
		if bytes.Contains(buf[:n], pat) {
			return true
		}
		if err != nil && err != io.EOF {
			return false
		}
	}
	return false
}

// parsePKCS7 parses a signature's CMS data with gmsm's pkcs7 (signer,
// certificates, timestamp tokens), which reads RSA, ECDSA and SM2 certificates
// and both the PKCS #7 and the GM/T 0010 content types. A panic on crafted data
// makes that one signature broken; it must not drop the file's other
// signatures, as the scan's own recover would.
func parsePKCS7(der []byte) (p7 *gmpkcs7.PKCS7, err error) {
	defer func() {
		if v := recover(); v != nil {
			p7, err = nil, fmt.Errorf("the CMS data is malformed (%v)", v)
		}
	}()
	return gmpkcs7.Parse(der)
}

// parsePDFDate parses a PDF date string, D:YYYYMMDDHHmmSSOHH'mm'.
func parsePDFDate(s string) (time.Time, error) {
	s = strings.TrimPrefix(strings.TrimSpace(s), "D:")
	s = strings.ReplaceAll(s, "'", "")
	for _, layout := range []string{"20060102150405-0700", "20060102150405Z0700", "20060102150405Z", "20060102150405"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("not a PDF date: %q", s)
}

// whyNotValid explains a signature whose CMS check failed: the signed
// bytes no longer match the digest the signature holds (invalid), or they match
// and the signer's certificate was not valid at the signing time the signature
// states (untrusted: nothing was changed, but the signer could not sign then),
// or the signature value itself does not verify (invalid).
func whyNotValid(r rawSig, digest []byte) (verdict, reason string) {
	p7 := r.p7
	var want []byte
	if err := p7.UnmarshalSignedAttribute(gmpkcs7.OIDAttributeMessageDigest, &want); err != nil {
		return VerdictInvalid, "the signature data is broken: no message digest"
	}
	if !bytes.Equal(digest, want) {
		return VerdictInvalid, "the signed bytes changed after signing: they no longer match the digest in the signature"
	}
	leaf, _ := signerCert(p7)
	var at time.Time
	if leaf != nil && p7.UnmarshalSignedAttribute(gmpkcs7.OIDAttributeSigningTime, &at) == nil &&
		(at.Before(leaf.NotBefore) || at.After(leaf.NotAfter)) {
		return VerdictUntrusted, fmt.Sprintf("the signed bytes are intact, but the signer's certificate (valid %s to %s) was not valid at the signing time the signature states, %s",
			leaf.NotBefore.UTC().Format(time.DateOnly), leaf.NotAfter.UTC().Format(time.DateOnly), at.UTC().Format(time.DateOnly))
	}
	return VerdictInvalid, "the signed bytes are intact, but the signature value does not verify: the signature data is broken"
}
