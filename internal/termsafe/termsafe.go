package termsafe

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"
)

// Escape returns s with every character that a terminal would not simply draw
// written as a Go-style escape: \n, \r, \t, \x1b and other \xNN for control
// bytes and for bytes that are not UTF-8, \u202e and the like for Unicode's
// format and other invisible characters (bidirectional overrides, zero-width
// characters, line and paragraph separators). Text without such characters is
// returned unchanged.
func Escape(s string) string {
	i := strings.IndexFunc(s, needsEscape)
	if i < 0 && utf8.ValidString(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 16)
	for len(s) > 0 {
		r, n := utf8.DecodeRuneInString(s)
		switch {
		case r == utf8.RuneError && n == 1:
			fmt.Fprintf(&b, `\x%02x`, s[0])
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case needsEscape(r) && r < 0x100:
			fmt.Fprintf(&b, `\x%02x`, r)
		case needsEscape(r) && r <= 0xffff:
			fmt.Fprintf(&b, `\u%04x`, r)
		case needsEscape(r):
			fmt.Fprintf(&b, `\U%08x`, r)
		default:
			b.WriteString(s[:n])
		}
		s = s[n:]
	}
	return b.String()
}

// needsEscape reports whether r is not drawn as itself: controls (C0, DEL, C1),
// format characters (bidirectional controls, zero-width joiners and spaces, the
// byte-order mark), line and paragraph separators, surrogates and unassigned
// code points. Private-use characters are drawn (some systems keep rare
// characters of personal names there), and so is every space.
func needsEscape(r rune) bool {
	if r < 0x80 {
		return r < 0x20 || r == 0x7f
	}
	return !unicode.IsGraphic(r) && !unicode.Is(unicode.Co, r)
}

// EscapeJSON returns the JSON text b with the same characters escaped the JSON
// way (\u202e), so that JSON printed to a terminal cannot act on it either and
// stays the same JSON value. encoding/json already escapes the C0 controls (and
// U+2028, U+2029) but writes DEL, the C1 controls and the bidirectional and
// other format characters as they are. Outside its strings JSON text has only
// ASCII, whose line breaks and indentation are kept.
func EscapeJSON(b []byte) []byte {
	var out []byte
	for i := 0; i < len(b); {
		r, n := utf8.DecodeRune(b[i:])
		if (r < 0x80 && r != 0x7f) || (r == utf8.RuneError && n == 1) || !needsEscape(r) {
			if out != nil {
				out = append(out, b[i:i+n]...)
			}
			i += n
			continue
		}
		if out == nil {
			out = append(make([]byte, 0, len(b)+16), b[:i]...)
		}
		if r > 0xffff {
			r1, r2 := utf16.EncodeRune(r)
			out = fmt.Appendf(out, `\u%04x\u%04x`, r1, r2)
		} else {
			out = fmt.Appendf(out, `\u%04x`, r)
		}
		i += n
	}
	if out == nil {
		return b
	}
	return out
}
