package pdftest

import (
	"bytes"
	"fmt"
	"regexp"
	"strconv"
)

// The damaged files that ingest's integrity check must refuse: a signed file
// cut short (as a copy interrupted halfway leaves it), a file without its
// end-of-file marker, and a signature whose /ByteRange reaches past the end.

// CutShort returns the first num/den of doc, as an interrupted copy leaves it.
func CutShort(doc []byte, num, den int) []byte {
	return bytes.Clone(doc[:len(doc)*num/den])
}

var lastByteRangeRe = regexp.MustCompile(`/ByteRange\s*\[\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*\]( *)`)

// lastByteRange returns the four values of the last /ByteRange of doc and where
// its match is.
func lastByteRange(doc []byte) ([4]int64, []int, error) {
	all := lastByteRangeRe.FindAllSubmatchIndex(doc, -1)
	if len(all) == 0 {
		return [4]int64{}, nil, fmt.Errorf("pdftest: no /ByteRange")
	}
	m := all[len(all)-1]
	var v [4]int64
	for i := range v {
		v[i], _ = strconv.ParseInt(string(doc[m[2+2*i]:m[3+2*i]]), 10, 64)
	}
	return v, m, nil
}

// CutAfterSignature cuts the signed doc in the middle of the bytes that its last
// signature signed after its contents: the signature dictionary, with its
// /ByteRange, is still there, and the end of the file it names is not.
func CutAfterSignature(doc []byte) ([]byte, error) {
	br, _, err := lastByteRange(doc)
	if err != nil {
		return nil, err
	}
	return bytes.Clone(doc[:br[2]+br[3]/2]), nil
}

// WithoutEOF returns doc without its final end-of-file marker (and the line
// break after it): the rest of the file is intact.
func WithoutEOF(doc []byte) ([]byte, error) {
	t := bytes.TrimRight(doc, "\r\n \t\x00\f")
	if !bytes.HasSuffix(t, []byte("%%EOF")) {
		return nil, fmt.Errorf("pdftest: no %%%%EOF at the end")
	}
	return bytes.Clone(t[:len(t)-len("%%EOF")]), nil
}

// StretchByteRange rewrites, in place, the last /ByteRange of the signed doc so
// that its second section reaches extra bytes past the end of the file; the
// file keeps its size (pdfsign pads the array with spaces) and its %%EOF.
func StretchByteRange(doc []byte, extra int64) ([]byte, error) {
	br, m, err := lastByteRange(doc)
	if err != nil {
		return nil, err
	}
	old := m[1] - m[0]
	s := fmt.Sprintf("/ByteRange [%d %d %d %d]", br[0], br[1], br[2], br[3]+extra)
	if len(s) > old {
		return nil, fmt.Errorf("pdftest: no room to rewrite the /ByteRange")
	}
	out := bytes.Clone(doc)
	copy(out[m[0]:m[1]], s+string(bytes.Repeat([]byte(" "), old-len(s))))
	return out, nil
}
