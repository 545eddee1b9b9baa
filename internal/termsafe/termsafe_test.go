package termsafe

import (
	"testing"
	"unicode/utf8"
)

func TestEscape(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"征收决定书 第1号.pdf", "征收决定书 第1号.pdf"},
		{"征收决定书　第1号.pdf", "征收决定书　第1号.pdf"}, // an ideographic space is drawn
		{"a\nb", `a\nb`},
		{"x.pdf\r已归档 filed: y.pdf", `x.pdf\r已归档 filed: y.pdf`},
		{"tab\there", `tab\there`},
		{"\x1b[31mred\x1b[0m", `\x1b[31mred\x1b[0m`},
		{"\x1b]0;title\x07", `\x1b]0;title\x07`},
		{"del\x7f", `del\x7f`},
		{"c1\u009b31m", `c1\x9b31m`},
		{"report\u202efdp.exe", `report\u202efdp.exe`}, // right-to-left override
		{"\u2066isolate\u2069", `\u2066isolate\u2069`},
		{"zero\u200bwidth", `zero\u200bwidth`},
		{"bom\ufeff", `bom\ufeff`},
		{"line\u2028sep", `line\u2028sep`},
		{"bad \xff\xfe utf-8", `bad \xff\xfe utf-8`},
		{"private \ue000 use", "private \ue000 use"},
		{"unassigned \U000e0080", `unassigned \U000e0080`},
		{"emoji 🏠", "emoji 🏠"},
		{"", ""},
	} {
		if got := Escape(tc.in); got != tc.want {
			t.Errorf("Escape(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// Whatever the input, the output has no byte that a terminal acts on.
func FuzzEscape(f *testing.F) {
	for _, s := range []string{"征收", "a\nb\x1b[0m", "\u202e", "\xff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := Escape(s)
		if !utf8.ValidString(out) {
			t.Fatalf("Escape(%q) = %q is not UTF-8", s, out)
		}
		for _, r := range out {
			if needsEscape(r) {
				t.Fatalf("Escape(%q) = %q keeps %U", s, out, r)
			}
		}
		for i := 0; i < len(out); i++ {
			if out[i] < 0x20 || out[i] == 0x7f {
				t.Fatalf("Escape(%q) = %q keeps byte %#x", s, out, out[i])
			}
		}
	})
}
