package sheetsafe

import (
	"bytes"
	"encoding/csv"
	"testing"
)

func TestCell(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{`=HYPERLINK("http://evil.example","点击")`, `'=HYPERLINK("http://evil.example","点击")`},
		{"+1+1", "'+1+1"},
		{"-2+3", "'-2+3"},
		{"@SUM(A1:A9)", "'@SUM(A1:A9)"},
		{"\t=1+1", "'\t=1+1"},
		{"\r=1+1", "'\r=1+1"},
		{"\x00=1", "'\x00=1"},
		// Left as they are: ordinary metadata, a formula character later on,
		// a cell quoted already, the empty cell.
		{"关于东天街片区房屋征收的决定", "关于东天街片区房屋征收的决定"},
		{"长征补〔2026〕12号", "长征补〔2026〕12号"},
		{"Z109-WS·2026-Y-CQ01-0001", "Z109-WS·2026-Y-CQ01-0001"},
		{"3-101", "3-101"},
		{"a=b", "a=b"},
		{"'=1", "'=1"},
		{"", ""},
	} {
		if got := Cell(c.in); got != c.want {
			t.Errorf("Cell(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

// What a spreadsheet reads back: every cell as text, the hostile one with its
// quote, the commas and quotes of a cell kept inside it.
func TestWriter(t *testing.T) {
	var b bytes.Buffer
	w := NewWriter(&b, true)
	w.Write([]string{"题名", "文号"})
	w.Write([]string{`=cmd|' /C calc'!A0`, `-1,"2"`})
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	want := "题名,文号\r\n'=cmd|' /C calc'!A0,\"'-1,\"\"2\"\"\"\r\n"
	if b.String() != want {
		t.Fatalf("wrote %q, want %q", b.String(), want)
	}
	rows, err := csv.NewReader(&b).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if rows[1][0] != `'=cmd|' /C calc'!A0` || rows[1][1] != `'-1,"2"` {
		t.Fatalf("read back %q", rows[1])
	}
}
