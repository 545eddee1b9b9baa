package ingest

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/text/encoding/simplifiedchinese"

	"github.com/gongshi-archive/gongshi/archive"
)

func TestReadManifest(t *testing.T) {
	csv := "文件,项目编号,文件类型,题名,文号,日期,责任者\n征收决定 第1号.pdf,CC-2026-001,decision,关于房屋征收的决定,长征补[2026]12号,2026-03-18,长春市南关区人民政府\n"
	gbk, err := simplifiedchinese.GB18030.NewEncoder().String(csv)
	if err != nil {
		t.Fatal(err)
	}
	want := archive.Record{Project: "CC-2026-001", Type: "decision", Title: "关于房屋征收的决定",
		DocNumber: "长征补〔2026〕12号", Issuer: "长春市南关区人民政府", Date: archive.D(2026, time.March, 18)}
	for _, tc := range []struct {
		name, file, content string
	}{
		{"utf-8", "m.csv", csv},
		{"utf-8 with BOM", "m.csv", "\xef\xbb\xbf" + csv},
		{"gb18030", "m.csv", gbk},
		{"json", "m.json", `[{"file": "征收决定 第1号.pdf", "project": "CC-2026-001", "type": "decision", "title": "关于房屋征收的决定",
			"doc_number": "长征补[2026]12号", "date": "2026-03-18", "issuer": "长春市南关区人民政府"}]`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), tc.file)
			os.WriteFile(p, []byte(tc.content), 0o644)
			rows, err := ReadManifest(p, "/batch", ManifestOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if len(rows) != 1 || len(rows[0].Problems) > 0 || rows[0].File != "征收决定 第1号.pdf" {
				t.Fatalf("rows %+v", rows)
			}
			got := rows[0].Meta
			if got.Project != want.Project || got.Title != want.Title || got.DocNumber != want.DocNumber ||
				got.Issuer != want.Issuer || got.Date != want.Date || got.Type != want.Type {
				t.Errorf("meta %+v, want %+v", got, want)
			}
		})
	}
}

// A bad row is reported with every problem; the others are unaffected.
func TestReadManifestRowProblems(t *testing.T) {
	p := filepath.Join(t.TempDir(), "m.csv")
	os.WriteFile(p, []byte("file,project,type,title,date,colour,备注\n../x.pdf,CC-1,decision,t,2026-02-30,red\n/etc/passwd,CC-1,decision,t,2026-01-01,\nok.pdf,CC-1,decision,t,2026-01-01,\n"), 0o644)
	rows, err := ReadManifest(p, "/batch", ManifestOptions{})
	if err != nil {
		t.Fatal(err)
	}
	all := strings.Join(rows[0].Problems, "\n")
	for _, w := range []string{"leaves the batch folder", "no such day", `unknown column "colour"`} {
		if !strings.Contains(all, w) {
			t.Errorf("row 1 problems lack %q: %q", w, rows[0].Problems)
		}
	}
	if !strings.Contains(strings.Join(rows[1].Problems, "\n"), "leaves the batch folder") {
		t.Errorf("absolute path accepted: %q", rows[1].Problems)
	}
	if len(rows[2].Problems) != 1 || !strings.Contains(rows[2].Problems[0], "colour") {
		t.Errorf("row 3: %q", rows[2].Problems)
	}
}

// JSON numbers are kept as written, null is empty, and other values are the
// row's problem.
func TestReadManifestJSONValues(t *testing.T) {
	p := filepath.Join(t.TempDir(), "m.json")
	os.WriteFile(p, []byte(`[
		{"file": "a.pdf", "project": "CC-1", "type": "decision", "title": "t", "household": 12345678, "archival_code": null},
		{"file": "b.pdf", "project": "CC-1", "type": "decision", "title": "t", "household": 1234567890123456789, "doc_number": 12.50},
		{"file": "c.pdf", "project": "CC-1", "type": "decision", "title": ["t"], "household": true}
	]`), 0o644)
	rows, err := ReadManifest(p, "/batch", ManifestOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 3 {
		t.Fatalf("rows %+v", rows)
	}
	if r := rows[0]; len(r.Problems) > 0 || r.Meta.Household != "12345678" || r.Meta.ArchivalCode != "" {
		t.Errorf("row 1: household %q archival code %q problems %q", r.Meta.Household, r.Meta.ArchivalCode, r.Problems)
	}
	if r := rows[1]; len(r.Problems) > 0 || r.Meta.Household != "1234567890123456789" || r.Meta.DocNumber != "12.50" {
		t.Errorf("row 2: household %q doc number %q problems %q", r.Meta.Household, r.Meta.DocNumber, r.Problems)
	}
	all := strings.Join(rows[2].Problems, "\n")
	for _, w := range []string{`column "title": an array`, `column "household": true or false`} {
		if !strings.Contains(all, w) {
			t.Errorf("row 3 problems lack %q: %q", w, rows[2].Problems)
		}
	}
}

// Two columns that set one field make the manifest unreadable, naming both,
// whatever the order of a JSON object's keys.
func TestReadManifestAliasedColumns(t *testing.T) {
	for _, tc := range []struct{ file, content string }{
		{"m.csv", "file,project,文件,type,title\na.pdf,CC-1,b.pdf,decision,t\n"},
		{"m.csv", "File,project,file,type,title\na.pdf,CC-1,b.pdf,decision,t\n"},
		{"m.json", `[{"file": "a.pdf", "文件": "b.pdf", "project": "CC-1", "type": "decision", "title": "t"}]`},
		{"m.json", `[{"文件": "b.pdf", "project": "CC-1", "type": "decision", "title": "t", "file": "a.pdf"}]`},
	} {
		p := filepath.Join(t.TempDir(), tc.file)
		os.WriteFile(p, []byte(tc.content), 0o644)
		rows, err := ReadManifest(p, "/batch", ManifestOptions{})
		if !errors.Is(err, ErrManifest) {
			t.Errorf("%s: %v, rows %+v: want ErrManifest", tc.content, err, rows)
			continue
		}
		low := strings.ToLower(err.Error())
		if !strings.Contains(low, `"file"`) || !(strings.Contains(err.Error(), `"文件"`) || strings.Count(low, `"file"`) == 2) {
			t.Errorf("%s: %v: want both columns named", tc.content, err)
		}
	}
}
