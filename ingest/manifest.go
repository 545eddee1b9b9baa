package ingest

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding/simplifiedchinese"

	"github.com/gongshi-archive/gongshi/archive"
)

// Row is one document of a batch manifest: a file, relative to the batch's
// folder, and its metadata, with the same names as the flags of 'gongshi ingest'.
type Row struct {
	// Line is where the row is in the manifest (CSV line, or JSON index + 1).
	Line int    `json:"line"`
	File string `json:"file"`
	// Meta is the metadata; FileName is the file's base name.
	Meta archive.Record `json:"-"`
	// Problems are what is wrong with the row itself (unknown column values, a
	// path outside the folder); such a row is rejected without being read.
	Problems []string `json:"problems,omitempty"`
}

// columnAliases maps manifest column names (English as the flags, or Chinese as
// archivists name them) to the field they set.
func columnAliases() map[string]string {
	return map[string]string{
		"file": "file", "文件": "file", "文件名": "file", "path": "file",
		"project": "project", "项目编号": "project", "项目": "project",
		"type": "type", "文件类型": "type", "类型": "type",
		"title": "title", "题名": "title", "标题": "title",
		"doc_number": "doc_number", "doc-number": "doc_number", "文号": "doc_number",
		"date": "date", "日期": "date", "成文日期": "date",
		"issuer": "issuer", "责任者": "issuer",
		"disclosure": "disclosure", "公开属性": "disclosure",
		"retention": "retention", "保管期限": "retention",
		"archival_code": "archival_code", "archival-code": "archival_code", "档号": "archival_code",
		"household": "household", "户号": "household",
		// Notes are for people; the archive does not keep them.
		"note": "", "notes": "", "备注": "",
	}
}

// ErrManifest: the manifest cannot be read as a whole (not a row's problem).
var ErrManifest = errors.New("unreadable manifest")

// ReadManifest reads a CSV or JSON manifest. CSV may be UTF-8 with or without a
// byte-order mark, or GB18030/GBK as Excel on Chinese Windows saves it; the first
// row names the columns. JSON is an array of objects with the same keys. Paths
// are checked to stay inside dir; rows with problems are returned with them, so
// that the batch reports every bad row at once.
func ReadManifest(path, dir string) ([]Row, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("ingest: manifest: %w", err)
	}
	b = bytes.TrimPrefix(b, []byte("\xef\xbb\xbf"))
	if !utf8.Valid(b) {
		dec, err := simplifiedchinese.GB18030.NewDecoder().Bytes(b)
		if err != nil {
			return nil, fmt.Errorf("ingest: manifest %s: neither UTF-8 nor GB18030: %w", path, ErrManifest)
		}
		b = dec
	}
	var recs []map[string]string
	var lines []int
	if t := bytes.TrimSpace(b); strings.EqualFold(filepath.Ext(path), ".json") || bytes.HasPrefix(t, []byte("[")) {
		var raw []map[string]any
		if err := json.Unmarshal(t, &raw); err != nil {
			return nil, fmt.Errorf("ingest: manifest %s: %w: %v", path, ErrManifest, err)
		}
		for i, o := range raw {
			m := map[string]string{}
			for k, v := range o {
				m[k] = strings.TrimSpace(fmt.Sprint(v))
			}
			recs = append(recs, m)
			lines = append(lines, i+1)
		}
	} else {
		r := csv.NewReader(bytes.NewReader(b))
		r.FieldsPerRecord = -1
		all, err := r.ReadAll()
		if err != nil {
			return nil, fmt.Errorf("ingest: manifest %s: %w: %v", path, ErrManifest, err)
		}
		if len(all) == 0 {
			return nil, fmt.Errorf("ingest: manifest %s: %w: empty", path, ErrManifest)
		}
		head := all[0]
		for i, row := range all[1:] {
			if len(row) == 1 && strings.TrimSpace(row[0]) == "" {
				continue
			}
			m := map[string]string{}
			for j, v := range row {
				if j < len(head) {
					m[strings.TrimSpace(head[j])] = strings.TrimSpace(v)
				}
			}
			recs = append(recs, m)
			lines = append(lines, i+2)
		}
	}
	var out []Row
	aliases := columnAliases()
	for i, m := range recs {
		out = append(out, parseRow(m, lines[i], dir, aliases))
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("ingest: manifest %s: %w: no rows", path, ErrManifest)
	}
	return out, nil
}

func parseRow(m map[string]string, line int, dir string, aliases map[string]string) Row {
	row := Row{Line: line}
	f := map[string]string{}
	for k, v := range m {
		name, ok := aliases[strings.ToLower(k)]
		if !ok {
			row.Problems = append(row.Problems, fmt.Sprintf("unknown column %q (a misspelt column is not ignored; notes go in 备注)", k))
			continue
		}
		if name == "" {
			continue
		}
		f[name] = v
	}
	meta, problems := ParseMeta(f)
	row.Meta = meta
	row.Problems = append(row.Problems, problems...)
	row.File = f["file"]
	if _, err := ResolveIn(dir, row.File); err != nil {
		row.Problems = append(row.Problems, err.Error())
	}
	return row
}

// ParseMeta builds a record's metadata from field values named as the flags
// (project, type, title, doc_number, date, issuer, disclosure, retention,
// archival_code, household). Values that cannot be parsed are problems; rules of
// the catalogue are for Check.
func ParseMeta(f map[string]string) (archive.Record, []string) {
	var problems []string
	r := archive.Record{
		Project: f["project"], Type: f["type"], Title: f["title"],
		DocNumber: archive.NormalizeDocNumber(f["doc_number"]), Issuer: f["issuer"],
		Household: f["household"], ArchivalCode: f["archival_code"],
	}
	if s := f["date"]; s != "" {
		d, err := archive.ParseDate(s)
		if err != nil {
			problems = append(problems, "日期 (date): "+err.Error())
		}
		r.Date = d
	}
	if s := f["disclosure"]; s != "" {
		d, err := archive.ParseDisclosure(s)
		if err != nil {
			problems = append(problems, "公开属性 (disclosure): "+err.Error())
		}
		r.Disclosure = d
	}
	if s := f["retention"]; s != "" {
		d, err := archive.ParseRetention(s)
		if err != nil {
			problems = append(problems, "保管期限 (retention): "+err.Error())
		}
		r.Retention = d
	}
	return r, problems
}

// ErrOutside: a manifest path leaves the batch's folder.
var ErrOutside = errors.New("path leaves the batch folder")

// ResolveIn returns dir/name when name is a relative path that stays inside dir
// ("../x.pdf" and "/etc/passwd" do not).
func ResolveIn(dir, name string) (string, error) {
	switch {
	case name == "":
		return "", errors.New("文件 (file): required")
	case filepath.IsAbs(name) || !filepath.IsLocal(name):
		return "", fmt.Errorf("文件 (file): %q: %w", name, ErrOutside)
	}
	return filepath.Join(dir, name), nil
}
