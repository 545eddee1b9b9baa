package termsafe

import (
	"encoding/json"
	"strings"
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

func TestEscapeJSON(t *testing.T) {
	v := map[string]string{"name": "report\u202efdp.exe\x7f\u0085\U000e0080 征收\x1b[31m\n"}
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	out := EscapeJSON(b)
	for _, r := range string(out) {
		if r != '\n' && needsEscape(r) {
			t.Errorf("EscapeJSON kept %U: %s", r, out)
		}
	}
	var back map[string]string
	if err := json.Unmarshal(out, &back); err != nil || back["name"] != v["name"] {
		t.Errorf("EscapeJSON changed the value: %s → %q (%v)", out, back, err)
	}
	if !strings.Contains(string(out), `\u202e`) || !strings.Contains(string(out), "\n  \"name\"") {
		t.Errorf("EscapeJSON(%s) = %s", b, out)
	}
	if plain := []byte(`{"a": "征收"}`); &EscapeJSON(plain)[0] != &plain[0] {
		t.Error("EscapeJSON copied text that needs nothing")
	}
}
