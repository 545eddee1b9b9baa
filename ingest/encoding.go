package ingest

import (
	"bytes"
	"fmt"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding/simplifiedchinese"
)

// Encoding is the character encoding of a manifest.
type Encoding string

// The encodings a manifest may have.
const (
	// EncodingAuto: UTF-8 (with or without a byte-order mark); a CSV file that
	// is not UTF-8 is read as GB18030 only when the whole file is GB18030 and it
	// does not look like UTF-8 with a few bad bytes.
	EncodingAuto Encoding = ""
	// EncodingUTF8: UTF-8 and nothing else.
	EncodingUTF8 Encoding = "utf-8"
	// EncodingGB18030: GB18030, which contains GBK and GB2312 (as Excel on
	// Chinese Windows saves CSV).
	EncodingGB18030 Encoding = "gb18030"
)

// ParseEncoding reads the name of an encoding: auto (or empty), utf-8, or
// gb18030 (gbk, gb2312 and cp936 are read as GB18030, which contains them).
func ParseEncoding(s string) (Encoding, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "auto":
		return EncodingAuto, nil
	case "utf-8", "utf8":
		return EncodingUTF8, nil
	case "gb18030", "gbk", "gb2312", "cp936":
		return EncodingGB18030, nil
	}
	return "", fmt.Errorf("encoding %q: want auto, utf-8 or gb18030 (gbk and gb2312 are read as gb18030)", s)
}

// EncodingError says where a manifest's bytes are not text in the encoding it
// was read in: the row and column (or the line) and the bytes themselves. It
// matches ErrManifest.
type EncodingError struct {
	Path string
	// What names the file for people: "manifest" when empty (ReadManifest), or
	// what ReadTable was told ("household register").
	What string
	// Encoding is the one the bytes were read in; Detected is true when it was
	// not given (--encoding) but detected.
	Encoding Encoding
	Detected bool
	// Neither is true when the file is neither UTF-8 nor GB18030 (detection
	// found no encoding that reads it).
	Neither bool
	// Row is the manifest row (CSV: 1 is the header; JSON: the element, from
	// 1), 0 when the bytes are not in a row. Column names the column (its name
	// as the header or the JSON key gives it, or its number).
	Row    int
	Column string
	// Line is the line of the file the bytes are on (from 1).
	Line int
	// Offset is the position of the bytes in the file.
	Offset int
	// Bytes are the bytes that are not text (at most 8); After is the text of
	// the value before them.
	Bytes []byte
	After string
	// More counts the other values with such bytes.
	More int
}

func (e *EncodingError) Error() string {
	what := e.What
	if what == "" {
		what = "manifest"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "ingest: %s %s: ", what, e.Path)
	switch {
	case e.Row > 0:
		fmt.Fprintf(&b, "row %d (line %d), column %s: ", e.Row, e.Line, e.Column)
	default:
		fmt.Fprintf(&b, "line %d: ", e.Line)
	}
	hex := make([]string, len(e.Bytes))
	for i, c := range e.Bytes {
		hex[i] = fmt.Sprintf("%02x", c)
	}
	fmt.Fprintf(&b, "bytes %s (at byte %d of the file", strings.Join(hex, " "), e.Offset)
	if e.After != "" {
		fmt.Fprintf(&b, ", after %q", e.After)
	}
	b.WriteString(") ")
	switch {
	case e.Neither:
		fmt.Fprintf(&b, "are neither UTF-8 nor GB18030: save the %s as UTF-8, or name its encoding with --encoding", what)
	case e.Detected && e.Encoding == EncodingUTF8:
		b.WriteString("are not UTF-8, though the rest of the file is: correct them (a GB18030 file is read as such only when all of it is GB18030; if it is, say so with --encoding gb18030)")
	default:
		fmt.Fprintf(&b, "are not %s (--encoding %s)", e.Encoding.label(), e.Encoding)
	}
	if e.More > 0 {
		fmt.Fprintf(&b, "; %d more value(s) have such bytes", e.More)
	}
	fmt.Fprintf(&b, ": unreadable %s", what)
	return b.String()
}

func (e *EncodingError) Unwrap() error { return ErrManifest }

func (enc Encoding) label() string {
	if enc == EncodingGB18030 {
		return "GB18030"
	}
	return "UTF-8"
}

// decode returns s decoded from enc to UTF-8, and -1; or, when s is not text
// in enc, the offset of the first bytes that are not.
func (enc Encoding) decode(s string) (string, int) {
	if enc == EncodingGB18030 {
		return decodeGB18030(s)
	}
	if utf8.ValidString(s) {
		return s, -1
	}
	for i, r := range s {
		if r == utf8.RuneError {
			if _, n := utf8.DecodeRuneInString(s[i:]); n == 1 {
				return "", i
			}
		}
	}
	return s, -1 // unreachable: s is not valid
}

// badAt returns the bytes of s at off that are not text in enc: the GB18030
// sequence (at most 4 bytes) or the run of bytes that are not UTF-8 (at most 8).
func (enc Encoding) badAt(s string, off int) []byte {
	end := off + 1
	if enc == EncodingGB18030 {
		end = min(off+4, len(s))
	} else {
		for end < len(s) && end-off < 8 {
			if r, n := utf8.DecodeRuneInString(s[end:]); r != utf8.RuneError || n != 1 {
				break
			}
			end++
		}
	}
	return []byte(s[off:end])
}

// lastChars returns the last characters (at most 12) of s, text in enc: what
// comes before bytes that are not, to find them by.
func lastChars(enc Encoding, s string) string {
	before, _ := enc.decode(s)
	if r := []rune(before); len(r) > 12 {
		before = "…" + string(r[len(r)-12:])
	}
	return before
}

// decodeGB18030 decodes s strictly. golang.org/x/text's decoder writes U+FFFD
// for bytes that are not GB18030 and carries on, so the result is encoded again:
// GB18030 maps every code point one to one, and the only text that does not come
// back the same is text that was not GB18030. The exception is the single byte
// 0x80, the euro sign of Windows code page 936, which Excel writes and the
// decoder reads; it is accepted.
func decodeGB18030(s string) (string, int) {
	out, err := simplifiedchinese.GB18030.NewDecoder().String(s)
	if err != nil {
		return "", 0
	}
	if back, err := simplifiedchinese.GB18030.NewEncoder().String(out); err == nil && back == s {
		return out, -1
	}
	enc := simplifiedchinese.GB18030.NewEncoder()
	off := 0
	for _, r := range out {
		e, err := enc.String(string(r))
		switch {
		case err == nil && strings.HasPrefix(s[off:], e):
			off += len(e)
		case r == '€' && off < len(s) && s[off] == 0x80:
			off++
		default:
			return "", off
		}
	}
	return out, -1
}

// mostlyUTF8 reports whether b, which is not valid UTF-8, has at least as many
// well-formed multi-byte UTF-8 sequences as bytes that are not UTF-8: UTF-8 with
// a few bad bytes. Chinese text in GB18030 is mostly not UTF-8 at all (a
// two-byte character forms a UTF-8 sequence about one time in ten), and UTF-8
// Chinese text is very often GB18030 byte for byte, so "it decodes as GB18030"
// alone would read a damaged UTF-8 file as mojibake without a word.
func mostlyUTF8(b []byte) bool {
	valid, invalid := 0, 0
	for len(b) > 0 {
		r, n := utf8.DecodeRune(b)
		switch {
		case r == utf8.RuneError && n == 1:
			invalid++
		case n > 1:
			valid++
		}
		b = b[n:]
	}
	return valid >= invalid
}

// detectEncoding chooses how to read a CSV manifest b (without its byte-order
// mark) when no encoding is given: UTF-8 when it is UTF-8 or looks like UTF-8
// with bad bytes (which are then reported), else GB18030 (whose bad bytes, if
// any, are reported as being neither).
func detectEncoding(b []byte, bom bool) Encoding {
	if bom || utf8.Valid(b) || mostlyUTF8(b) {
		return EncodingUTF8
	}
	return EncodingGB18030
}

// lineOf returns the line (from 1) of offset off in b. Neither encoding has a
// newline byte inside a multi-byte character.
func lineOf(b []byte, off int) int {
	return bytes.Count(b[:min(off, len(b))], []byte("\n")) + 1
}
