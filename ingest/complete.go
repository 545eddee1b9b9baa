package ingest

import (
	"bytes"
	"fmt"
	"strconv"
)

// wholeScan watches the bytes of a PDF as the digest pass reads them, for what
// says whether the file is whole: its end (the end-of-file marker %%EOF, and the
// startxref offset before it) and every signature dictionary's /ByteRange,
// which names the bytes the signer signed and so, for a file cut short after it
// was signed, bytes that are no longer there.
//
// It reads the raw bytes, not a parse: a file cut short is one that the parsers
// may reconstruct without a word (pdfcpu's relaxed mode rebuilds a missing
// cross-reference table) or cannot open at all (then no signature is found, and
// the file would pass as unsigned). A signature dictionary is never in a
// compressed object stream (its /Contents must be at a byte offset that its
// /ByteRange leaves out), so the raw bytes hold every one. The scan costs no read
// of its own; it keeps the last tailSize bytes and a few bytes per /ByteRange.
type wholeScan struct {
	size int64 // the file's size, known before the read
	n    int64 // bytes seen
	tail []byte
	// prev holds the last len(byteRangeKey)-1 bytes seen, to find a key that
	// two writes split.
	prev []byte
	// open are the keys found whose arrays are not complete yet: the bytes
	// after the key so far, and where the key is.
	open []openRange
	// past is the first /ByteRange that reaches past the end, and pastMore
	// counts the others.
	past     *pastRange
	pastMore int
}

type openRange struct {
	at    int64
	after []byte
}

type pastRange struct {
	at     int64
	values []int64
	end    int64
}

const (
	byteRangeKey = "/ByteRange"
	// byteRangeMax bounds the bytes read after a key for its array: four
	// numbers of a file up to 2^63 bytes and generous white space.
	byteRangeMax = 256
	// tailSize is where the end-of-file marker must be: as PDF readers look for
	// it, in the last 1024 bytes.
	tailSize = 1024
)

func newWholeScan(size int64) *wholeScan { return &wholeScan{size: size} }

// Write watches p, the next bytes of the file. It never fails.
func (s *wholeScan) Write(p []byte) (int, error) {
	// Arrays begun in earlier writes get their next bytes.
	kept := s.open[:0]
	for _, o := range s.open {
		o.after = append(o.after, p[:min(byteRangeMax-len(o.after), len(p))]...)
		if !s.done(o) {
			kept = append(kept, o)
		}
	}
	s.open = kept
	// A key split between the last write and this one.
	if len(s.prev) > 0 {
		j := append(bytes.Clone(s.prev), p[:min(len(p), len(byteRangeKey)-1)]...)
		if i := bytes.Index(j, []byte(byteRangeKey)); i >= 0 && i < len(s.prev) {
			k := i + len(byteRangeKey) - len(s.prev) // where the array begins in p
			s.found(s.n-int64(len(s.prev))+int64(i), p[k:])
		}
	}
	// Keys in this write.
	for off := 0; ; {
		i := bytes.Index(p[off:], []byte(byteRangeKey))
		if i < 0 {
			break
		}
		at := off + i
		s.found(s.n+int64(at), p[at+len(byteRangeKey):])
		off = at + 1
	}
	s.n += int64(len(p))
	s.prev = append(s.prev, p[max(0, len(p)-(len(byteRangeKey)-1)):]...)
	s.prev = s.prev[max(0, len(s.prev)-(len(byteRangeKey)-1)):]
	s.tail = append(s.tail, p[max(0, len(p)-tailSize):]...)
	if len(s.tail) > 2*tailSize {
		s.tail = append(s.tail[:0], s.tail[len(s.tail)-tailSize:]...)
	}
	return len(p), nil
}

// found starts the array of a key at offset at, whose next bytes are after.
func (s *wholeScan) found(at int64, after []byte) {
	o := openRange{at: at, after: bytes.Clone(after[:min(byteRangeMax, len(after))])}
	if !s.done(o) {
		s.open = append(s.open, o)
	}
}

// done judges o's array when it is complete (closed, or as long as an array
// may be) and reports whether it was.
func (s *wholeScan) done(o openRange) bool {
	end := bytes.IndexByte(o.after, ']')
	if end < 0 && len(o.after) < byteRangeMax {
		return false
	}
	if end < 0 {
		return true // not an array of numbers: the signature check says so
	}
	vals, ok := parseIntArray(o.after[:end])
	if !ok {
		return true
	}
	for i := 0; i+1 < len(vals); i += 2 {
		start, n := vals[i], vals[i+1]
		if start < 0 || n < 0 {
			continue // malformed, not past the end: the signature check says so
		}
		if start > s.size || n > s.size-start {
			if s.past == nil {
				s.past = &pastRange{at: o.at, values: vals, end: sat(start, n)}
			} else {
				s.pastMore++
			}
			break
		}
	}
	return true
}

// sat is a+b, or the largest int64 when that overflows.
func sat(a, b int64) int64 {
	if a > 1<<63-1-b {
		return 1<<63 - 1
	}
	return a + b
}

// parseIntArray reads "[ 0 123 456 789 " (the array up to its closing bracket).
func parseIntArray(b []byte) ([]int64, bool) {
	b = bytes.TrimLeft(b, pdfSpace)
	if len(b) == 0 || b[0] != '[' {
		return nil, false
	}
	var out []int64
	for _, f := range bytes.FieldsFunc(b[1:], isPDFSpace) {
		v, err := strconv.ParseInt(string(f), 10, 64)
		if err != nil {
			return nil, false
		}
		out = append(out, v)
	}
	return out, true
}

// pdfSpace is PDF's white space (ISO 32000-1, 7.2.2): NUL, HT, LF, FF, CR, SP.
const pdfSpace = "\x00\t\n\f\r "

func isPDFSpace(r rune) bool { return r < 0x80 && bytes.IndexByte([]byte(pdfSpace), byte(r)) >= 0 }

// problems says why the file watched is not whole, nil when nothing says so: it
// does not end with %%EOF (only white space may follow, as PDF/A requires),
// the startxref before it points past the end, or a signature's /ByteRange
// names bytes past the end.
func (s *wholeScan) problems() []string {
	var out []string
	tail := s.tail[max(0, len(s.tail)-tailSize):]
	t := bytes.TrimRight(tail, pdfSpace)
	switch eof := bytes.LastIndex(tail, []byte("%%EOF")); {
	case !bytes.HasSuffix(t, []byte("%%EOF")) && eof < 0:
		out = append(out, "the file does not end with the end-of-file marker %%EOF: it is cut short, or its end is damaged")
	case !bytes.HasSuffix(t, []byte("%%EOF")):
		out = append(out, fmt.Sprintf("%d bytes after the last end-of-file marker %%%%EOF are not part of the PDF: the end of the file is damaged, or something was appended to it",
			len(tail)-eof-len("%%EOF")))
	default:
		out = append(out, s.checkStartxref(t[:len(t)-len("%%EOF")])...)
	}
	if p := s.past; p != nil {
		msg := fmt.Sprintf("the signature dictionary at byte %d has a /ByteRange %v that reaches byte %d, past the end of the file (%d bytes): the file was cut short after it was signed",
			p.at, p.values, p.end, s.size)
		if s.pastMore > 0 {
			msg += fmt.Sprintf(" (and %d more /ByteRange like it)", s.pastMore)
		}
		out = append(out, msg)
	}
	return out
}

// checkStartxref checks the offset that "startxref" gives at the end of before
// (the file's tail up to its %%EOF): it must be inside the file.
func (s *wholeScan) checkStartxref(before []byte) []string {
	before = bytes.TrimRight(before, pdfSpace)
	i := len(before)
	for i > 0 && before[i-1] >= '0' && before[i-1] <= '9' {
		i--
	}
	off, err := strconv.ParseInt(string(before[i:]), 10, 64)
	if err != nil || !bytes.HasSuffix(bytes.TrimRight(before[:i], pdfSpace), []byte("startxref")) {
		return []string{"the end-of-file marker is not preceded by startxref and the offset of the cross-reference table: the end of the file is damaged"}
	}
	if off >= s.size {
		return []string{fmt.Sprintf("startxref says the cross-reference table is at byte %d, past the end of the file (%d bytes): the file is cut short", off, s.size)}
	}
	return nil
}
