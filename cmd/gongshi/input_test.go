package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/text/encoding/simplifiedchinese"

	"github.com/gongshi-archive/gongshi/archive"
)

// records counts the records of the archive that c uses.
func records(t *testing.T, c *cli) int {
	t.Helper()
	a, closeArchive, err := c.config(t).openArchive(context.Background(), env{getenv: func(k string) string { return c.env[k] }})
	if err != nil {
		t.Fatal(err)
	}
	defer closeArchive()
	n := 0
	if err := a.Records(context.Background(), func(archive.Record) error { n++; return nil }); err != nil {
		t.Fatal(err)
	}
	return n
}

// The manifest: UTF-8 with one bad byte in one title. It is refused with
// the row, column and bytes named, and nothing is filed; the same rows in
// GB18030 are read, with or without --encoding.
func TestIngestManifestEncoding(t *testing.T) {
	c := &cli{t: t, now: time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC), env: map[string]string{"GONGSHI_DATA": t.TempDir()}}
	createProject(t, c)
	fx := makeIngestFixtures(t)
	fx.signed(t, "a.pdf", "a")
	fx.signed(t, "b.pdf", "b")
	csv := "文件,项目编号,文件类型,题名,文号,日期,责任者\n" +
		"a.pdf,CC-2026-001,decision,关于房屋征收的决定,长征补〔2026〕12号,2026-03-18,长春市南关区人民政府\n" +
		"b.pdf,CC-2026-001,decision,测试区人民政府公告,长征补〔2026〕13号,2026-03-18,测试区人民政府\n"
	manifest := filepath.Join(t.TempDir(), "m.csv")
	os.WriteFile(manifest, []byte(strings.Replace(csv, "人民政府公告", "人民政府\xe5公告", 1)), 0o644)
	out, errOut, code := c.run("ingest", fx.dir, "--manifest", manifest, "--trust-roots", fx.roots)
	if code != exitOperator || !strings.Contains(errOut, "row 3 (line 3), column 题名: bytes e5 ") ||
		!strings.Contains(errOut, `after "测试区人民政府"`) || !strings.Contains(errOut, "are not UTF-8") {
		t.Fatalf("damaged UTF-8: code %d\n%s\n%s", code, out, errOut)
	}
	if n := records(t, c); n != 0 {
		t.Fatalf("%d records filed from a manifest that was refused", n)
	}
	os.WriteFile(manifest, []byte(gbk(t, csv)), 0o644)
	for _, enc := range []string{"auto", "gb18030"} {
		if out, errOut, code := c.run("ingest", fx.dir, "--manifest", manifest, "--trust-roots", fx.roots, "--encoding", enc); code != exitOK {
			t.Fatalf("GB18030 manifest, --encoding %s: code %d\n%s\n%s", enc, code, out, errOut)
		}
	}
	if _, errOut, code := c.run("ingest", fx.dir, "--manifest", manifest, "--encoding", "utf-8"); code != exitOperator || !strings.Contains(errOut, "are not UTF-8 (--encoding utf-8)") {
		t.Fatalf("GB18030 manifest read as UTF-8: code %d %s", code, errOut)
	}
	if _, errOut, code := c.run("ingest", fx.dir, "--manifest", manifest, "--encoding", "latin1"); code != exitOperator || !strings.Contains(errOut, "--encoding") {
		t.Fatalf("--encoding latin1: code %d %s", code, errOut)
	}
}

func gbk(t *testing.T, s string) string {
	t.Helper()
	out, err := simplifiedchinese.GB18030.NewEncoder().String(s)
	if err != nil {
		t.Fatal(err)
	}
	return out
}
