package archive

import "testing"

// FuzzParseArchivalCode: parsing never panics, and a parsed 档号 prints back to the
// very string it came from (the canonical spelling is the only one accepted).
func FuzzParseArchivalCode(f *testing.F) {
	for _, s := range []string{"Z109-ZS·2024-Y-CQ01-0007", "Z109-ZS·2024-D30-0001", "Z109-ZS・2024-Y-CQ01-0007",
		"Z109-ZS.2024-Y-CQ01-0007", "", "-·--", "Z109-ZS·0000-Y-0000"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		a, err := ParseArchivalCode(s)
		if err != nil {
			return
		}
		if got := a.String(); got != s {
			t.Fatalf("ParseArchivalCode(%q).String() = %q", s, got)
		}
	})
}

// FuzzParseDate: parsing never panics, and a parsed date prints back to its input.
func FuzzParseDate(f *testing.F) {
	for _, s := range []string{"2026-03-18", "2024-02-29", "2023-02-29", "1949-10-01", "99999-01-01", "2026-3-8", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseDate(s)
		if err != nil {
			return
		}
		if got := d.String(); got != s {
			t.Fatalf("ParseDate(%q).String() = %q", s, got)
		}
	})
}
