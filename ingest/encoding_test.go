package ingest

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"golang.org/x/text/encoding/simplifiedchinese"
)

const encodingCSV = "文件,项目编号,文件类型,题名,文号,日期,责任者\n" +
	"a.pdf,CC-2026-001,decision,关于房屋征收的决定,长征补〔2026〕12号,2026-03-18,长春市南关区人民政府\n" +
	"b.pdf,CC-2026-001,decision,测试区人民政府公告,长征补〔2026〕13号,2026-03-18,测试区人民政府\n"

func gb(t testing.TB, s string) string {
	t.Helper()
	out, err := simplifiedchinese.GB18030.NewEncoder().String(s)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// damagedUTF8 is a UTF-8 manifest with one byte of its title (测试区人民政府公告)
// removed at a place where the whole file is then valid GB18030: today's code
// filed such a file as mojibake (娴嬭瘯鍖轰汉姘戞斂搴…) with exit code 0. Its other
// values are ASCII, which GB18030 shares.
func damagedUTF8(t testing.TB) (string, int) {
	t.Helper()
	const csv = "file,project,type,title\na.pdf,CC-2026-001,decision,测试区人民政府公告\n"
	title := strings.Index(csv, "测试区人民政府公告")
	for i := title; i < title+len("测试区人民政府公告"); i++ {
		s := csv[:i] + csv[i+1:]
		if _, off := decodeGB18030(s); off < 0 && !utf8.ValidString(s) {
			return s, i
		}
	}
	t.Fatal("no single-byte deletion of the title leaves valid GB18030")
	return "", 0
}

func writeTemp(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// Bytes that are not text in the manifest's encoding are an error that names
// the row, the column and the bytes; nothing is guessed. GB18030 is read only
// when all of the file is GB18030 and it does not look like damaged UTF-8, or
// when --encoding says so.
func TestReadManifestEncoding(t *testing.T) {
	damaged, at := damagedUTF8(t)
	gbCSV := gb(t, encodingCSV)
	gbBad := strings.Replace(gbCSV, gb(t, "公告"), gb(t, "公")+"\xff", 1)
	gbJSON := gb(t, `[{"file": "a.pdf", "project": "CC-2026-001", "type": "decision", "title": "测试区人民政府公告"}]`)
	for _, tc := range []struct {
		name, file, content string
		enc                 Encoding
		// want an error: its row, column, bytes (hex) and words; or the title of
		// the last row.
		row              int
		column, hex, say string
		title            string
	}{
		{name: "utf-8", file: "m.csv", content: encodingCSV, title: "测试区人民政府公告"},
		{name: "gb18030", file: "m.csv", content: gbCSV, title: "测试区人民政府公告"},
		{name: "gb18030 given", file: "m.csv", content: gbCSV, enc: EncodingGB18030, title: "测试区人民政府公告"},
		{name: "cp936 euro", file: "m.csv", content: strings.Replace(gbCSV, gb(t, "公告"), gb(t, "公告")+"\x80", 1), title: "测试区人民政府公告€"},
		{name: "utf-8 with one bad byte", file: "m.csv", content: strings.Replace(encodingCSV, "公告", "公\xff告", 1),
			row: 3, column: "题名", hex: "ff", say: "are not UTF-8, though the rest of the file is"},
		{name: "utf-8 with one byte lost, valid GB18030", file: "m.csv", content: damaged,
			row: 2, column: "title", say: "are not UTF-8, though the rest of the file is"},
		{name: "the same, read as GB18030 because --encoding says so", file: "m.csv", content: damaged, enc: EncodingGB18030,
			title: mustDecodeGB(t, strings.TrimSpace(damaged[strings.Index(damaged, "decision,")+len("decision,"):]))},
		{name: "gb18030 with a bad byte", file: "m.csv", content: gbBad, row: 3, column: "题名", hex: "ff", say: "neither UTF-8 nor GB18030"},
		{name: "gb18030 given, bad byte", file: "m.csv", content: gbBad, enc: EncodingGB18030, row: 3, column: "题名", hex: "ff", say: "are not GB18030 (--encoding gb18030)"},
		{name: "utf-8 given, gb18030 file", file: "m.csv", content: gbCSV, enc: EncodingUTF8, row: 1, column: "1", say: "are not UTF-8 (--encoding utf-8)"},
		{name: "bad header", file: "m.csv", content: strings.Replace(encodingCSV, "题名", "题\xfe名", 1), row: 1, column: "4", hex: "fe"},
		{name: "quoted value", file: "m.csv", content: strings.Replace(encodingCSV, "测试区人民政府公告", `"测试区""人民""政府`+"\xff"+`公告"`, 1),
			row: 3, column: "题名", hex: "ff"},
		{name: "json", file: "m.json", content: `[{"file": "a.pdf", "project": "CC-2026-001", "type": "decision", "title": "测试区人民政府公告"}]`, title: "测试区人民政府公告"},
		{name: "json with a bad byte", file: "m.json", content: `[{"file": "a.pdf", "title": "ok"}, {"file": "b.pdf", "title": "测试区人民` + "\xe6\xb5" + `政府"}]`,
			row: 2, column: `"title"`, hex: "e6 b5", say: "are not UTF-8"},
		{name: "json in gb18030 without --encoding", file: "m.json", content: gbJSON, row: 1, column: `"title"`, say: "are not UTF-8"},
		{name: "json in gb18030, given", file: "m.json", content: gbJSON, enc: EncodingGB18030, title: "测试区人民政府公告"},
		{name: "a byte-order mark and gb18030 given", file: "m.csv", content: "\xef\xbb\xbf" + encodingCSV, enc: EncodingGB18030, say: "byte-order mark"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := writeTemp(t, tc.file, tc.content)
			rows, err := ReadManifest(p, "/batch", ManifestOptions{Encoding: tc.enc})
			if tc.title != "" {
				if err != nil {
					t.Fatal(err)
				}
				if got := rows[len(rows)-1].Meta.Title; got != tc.title {
					t.Fatalf("title %q, want %q", got, tc.title)
				}
				return
			}
			if !errors.Is(err, ErrManifest) {
				t.Fatalf("rows %+v, err %v: want an unreadable manifest", rows, err)
			}
			if !strings.Contains(err.Error(), tc.say) {
				t.Errorf("error %q lacks %q", err, tc.say)
			}
			if tc.row == 0 {
				return
			}
			var ee *EncodingError
			if !errors.As(err, &ee) {
				t.Fatalf("error %v is not an *EncodingError", err)
			}
			if ee.Row != tc.row || ee.Column != tc.column {
				t.Errorf("row %d column %s, want %d %s (%v)", ee.Row, ee.Column, tc.row, tc.column, err)
			}
			if tc.hex != "" && !strings.Contains(err.Error(), "bytes "+tc.hex+" ") {
				t.Errorf("error %q does not name bytes %s", err, tc.hex)
			}
			// The offset is where the bytes are in the file.
			if !bytes.HasPrefix([]byte(tc.content)[ee.Offset:], ee.Bytes) || len(ee.Bytes) == 0 {
				t.Errorf("offset %d holds %x, not the bytes %x", ee.Offset, tc.content[ee.Offset:min(ee.Offset+4, len(tc.content))], ee.Bytes)
			}
			// The bytes named are the character that lost a byte.
			if tc.name == "utf-8 with one byte lost, valid GB18030" && (ee.Offset > at || at-ee.Offset > 3) {
				t.Errorf("offset %d, want the character that lost byte %d", ee.Offset, at)
			}
		})
	}
}

func mustDecodeGB(t *testing.T, s string) string {
	t.Helper()
	out, off := decodeGB18030(s)
	if off >= 0 {
		t.Fatalf("%q is not GB18030 at %d", s, off)
	}
	return out
}

// A row with more values than the header has columns is refused (an unquoted
// comma in a title shifts every value after it, even when the last one is
// empty); so is a JSON key given twice.
func TestReadManifestExtraFields(t *testing.T) {
	p := writeTemp(t, "m.csv", "file,project,type,title,date,household\n"+
		"a.pdf,CC-1,decision,关于A,B的决定,2026-03-18,\n"+
		"b.pdf,CC-1,decision,\"关于A,B的决定\",2026-03-18,\n"+
		"c.pdf,CC-1,decision,t,2026-03-18,,extra\n")
	rows, err := ReadManifest(p, "/batch", ManifestOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range []bool{true, false, true} {
		got := strings.Contains(strings.Join(rows[i].Problems, "\n"), "the row has 7 values and the header 6 columns")
		if got != want {
			t.Errorf("row %s: problems %q, want the extra value named: %v", rows[i].File, rows[i].Problems, want)
		}
	}
	if rows[1].Meta.Title != "关于A,B的决定" || len(rows[1].Problems) > 0 {
		t.Errorf("quoted row: %+v", rows[1])
	}
	p = writeTemp(t, "m.json", `[{"file": "a.pdf", "project": "CC-1", "type": "decision", "title": "t"},
		{"file": "b.pdf", "project": "CC-1", "type": "decision", "title": "t", "title": "u"}]`)
	if _, err := ReadManifest(p, "/batch", ManifestOptions{}); !errors.Is(err, ErrManifest) || !strings.Contains(err.Error(), `row 2: key "title" is given twice`) {
		t.Errorf("JSON key twice: %v", err)
	}
}

func TestParseEncoding(t *testing.T) {
	for in, want := range map[string]Encoding{"": EncodingAuto, "auto": EncodingAuto, "UTF-8": EncodingUTF8, "utf8": EncodingUTF8,
		"gb18030": EncodingGB18030, "GBK": EncodingGB18030, "gb2312": EncodingGB18030} {
		if got, err := ParseEncoding(in); err != nil || got != want {
			t.Errorf("ParseEncoding(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	if _, err := ParseEncoding("big5"); err == nil {
		t.Error("big5 accepted")
	}
}

// FuzzReadManifest: whatever the bytes, a manifest is read or refused, never
// half decoded: every value read is valid UTF-8, and an encoding error's offset
// holds the bytes it names.
func FuzzReadManifest(f *testing.F) {
	f.Add([]byte(encodingCSV), false)
	f.Add([]byte(gb(f, encodingCSV)), false)
	f.Add([]byte(strings.Replace(encodingCSV, "公告", "公\xff告", 1)), false)
	f.Add([]byte(`[{"file": "a.pdf", "title": "测试`+"\xff"+`"}]`), true)
	f.Add([]byte(`[{"file": "a.pdf", "title": "t", "title": "u"}]`), true)
	f.Fuzz(func(t *testing.T, b []byte, asJSON bool) {
		name := "m.csv"
		if asJSON {
			name = "m.json"
		}
		p := writeTemp(t, name, string(b))
		for _, enc := range []Encoding{EncodingAuto, EncodingUTF8, EncodingGB18030} {
			rows, err := ReadManifest(p, "/batch", ManifestOptions{Encoding: enc})
			var ee *EncodingError
			if errors.As(err, &ee) && (ee.Offset < 0 || !bytes.HasPrefix(b[min(ee.Offset, len(b)):], ee.Bytes) || len(ee.Bytes) == 0) {
				t.Fatalf("%s: offset %d does not hold %x", enc, ee.Offset, ee.Bytes)
			}
			for _, r := range rows {
				for _, s := range []string{r.File, r.Meta.Title, r.Meta.Issuer, r.Meta.Project, r.Meta.DocNumber} {
					if !utf8.ValidString(s) {
						t.Fatalf("%s: value %q is not UTF-8", enc, s)
					}
				}
			}
		}
	})
}
