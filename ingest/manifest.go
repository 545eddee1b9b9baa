package ingest

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"sort"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding/simplifiedchinese"

	"github.com/gongshi-archive/gongshi/archive"
	"github.com/gongshi-archive/gongshi/internal/safefile"
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
		"abstract": "abstract", "摘要": "abstract", "内容摘要": "abstract",
		"keywords": "keywords", "主题词": "keywords", "关键词": "keywords",
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
// that the batch reports every bad row at once. A JSON value may be a string or
// a number (kept as written) or null (empty); two columns that set the same
// field (such as "file" and "文件") make the manifest unreadable.
func ReadManifest(path, dir string) ([]Row, error) {
	b, err := safefile.ReadFile(path)
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
	var recs []rawRow
	if t := bytes.TrimSpace(b); strings.EqualFold(filepath.Ext(path), ".json") || bytes.HasPrefix(t, []byte("[")) {
		// Numbers are kept as written (a household number 12345678 is not
		// 1.2345678e+07), null is an empty value.
		dec := json.NewDecoder(bytes.NewReader(t))
		dec.UseNumber()
		var raw []map[string]any
		if err := dec.Decode(&raw); err != nil {
			return nil, fmt.Errorf("ingest: manifest %s: %w: %v", path, ErrManifest, err)
		}
		if dec.More() {
			return nil, fmt.Errorf("ingest: manifest %s: %w: data after the array", path, ErrManifest)
		}
		for i, o := range raw {
			r := rawRow{line: i + 1}
			keys := make([]string, 0, len(o))
			for k := range o {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			for _, k := range keys {
				var v string
				switch x := o[k].(type) {
				case nil:
				case string:
					v = x
				case json.Number:
					v = x.String()
				default:
					r.problems = append(r.problems, fmt.Sprintf("column %q: %s is not a value (give a string or a number)", k, jsonKind(x)))
					continue
				}
				r.cells = append(r.cells, cell{col: k, val: strings.TrimSpace(v)})
			}
			if err := oneColumnPerField(r.columns()); err != nil {
				return nil, fmt.Errorf("ingest: manifest %s: %w: row %d: %v", path, ErrManifest, r.line, err)
			}
			recs = append(recs, r)
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
		for j := range head {
			head[j] = strings.TrimSpace(head[j])
		}
		if err := oneColumnPerField(head); err != nil {
			return nil, fmt.Errorf("ingest: manifest %s: %w: %v", path, ErrManifest, err)
		}
		for i, row := range all[1:] {
			if len(row) == 1 && strings.TrimSpace(row[0]) == "" {
				continue
			}
			rr := rawRow{line: i + 2}
			for j, v := range row {
				if j < len(head) {
					rr.cells = append(rr.cells, cell{col: head[j], val: strings.TrimSpace(v)})
				}
			}
			recs = append(recs, rr)
		}
	}
	var out []Row
	aliases := columnAliases()
	for _, r := range recs {
		out = append(out, parseRow(r, dir, aliases))
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("ingest: manifest %s: %w: no rows", path, ErrManifest)
	}
	return out, nil
}

// rawRow is one row of a manifest as read: its columns in order, and what was
// wrong with values that are not text.
type rawRow struct {
	line     int
	cells    []cell
	problems []string
}

type cell struct{ col, val string }

func (r rawRow) columns() []string {
	cols := make([]string, len(r.cells))
	for i, c := range r.cells {
		cols[i] = c.col
	}
	return cols
}

// jsonKind names a JSON value that is neither text, a number nor null.
func jsonKind(v any) string {
	switch v.(type) {
	case bool:
		return "true or false"
	case []any:
		return "an array"
	case map[string]any:
		return "an object"
	}
	return fmt.Sprintf("%T", v)
}

// oneColumnPerField reports two columns that set the same field (such as "file"
// and "文件"): which one should win is not for the reader to guess.
func oneColumnPerField(cols []string) error {
	aliases := columnAliases()
	seen := map[string]string{}
	for _, c := range cols {
		name, ok := aliases[strings.ToLower(c)]
		if !ok || name == "" {
			continue // unknown columns are the rows' problems; notes are dropped
		}
		if prev, dup := seen[name]; dup {
			return fmt.Errorf("columns %q and %q both set %s: keep one", prev, c, name)
		}
		seen[name] = c
	}
	return nil
}

func parseRow(r rawRow, dir string, aliases map[string]string) Row {
	row := Row{Line: r.line, Problems: r.problems}
	f := map[string]string{}
	for _, c := range r.cells {
		name, ok := aliases[strings.ToLower(c.col)]
		if !ok {
			row.Problems = append(row.Problems, fmt.Sprintf("unknown column %q (a misspelt column is not ignored; notes go in 备注)", c.col))
			continue
		}
		if name == "" {
			continue
		}
		f[name] = c.val
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

// splitKeywords splits a keywords value at the separators archivists use.
func splitKeywords(s string) []string {
	var out []string
	for _, k := range strings.FieldsFunc(s, func(r rune) bool { return strings.ContainsRune(",;，；、", r) }) {
		if k = strings.TrimSpace(k); k != "" {
			out = append(out, k)
		}
	}
	return out
}

// ParseMeta builds a record's metadata from field values named as the flags
// (project, type, title, doc_number, date, issuer, disclosure, retention,
// archival_code, household, abstract, keywords). Keywords are one value separated
// by commas, semicolons or 、 (as archivists type them), spaces around them
// trimmed. Values that cannot be parsed are problems; rules of
// the catalogue are for Check.
func ParseMeta(f map[string]string) (archive.Record, []string) {
	var problems []string
	r := archive.Record{
		Project: f["project"], Type: f["type"], Title: f["title"],
		DocNumber: archive.NormalizeDocNumber(f["doc_number"]), Issuer: f["issuer"],
		Household: f["household"], ArchivalCode: f["archival_code"],
		Abstract: f["abstract"], Keywords: splitKeywords(f["keywords"]),
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
// ("../x.pdf" and "/etc/passwd" do not), symbolic links followed: a link in the
// folder to a file outside it does not either. A path that does not exist (yet)
// is not refused here; opening it fails later. Batch opens the files through an
// os.Root of dir, so a link made after this check cannot lead outside either.
func ResolveIn(dir, name string) (string, error) {
	switch {
	case name == "":
		return "", errors.New("文件 (file): required")
	case filepath.IsAbs(name) || !filepath.IsLocal(name):
		return "", fmt.Errorf("文件 (file): %q: %w", name, ErrOutside)
	}
	p := filepath.Join(dir, name)
	if err := linkOutside(dir, name); err != nil {
		return "", err
	}
	return p, nil
}

// linkOutside returns an error wrapping ErrOutside when dir/name resolves, through
// symbolic links, to a path outside dir.
func linkOutside(dir, name string) error {
	real, err := filepath.EvalSymlinks(filepath.Join(dir, name))
	if err != nil {
		return nil // nothing there, or nothing to follow: the open will say
	}
	base, err := filepath.EvalSymlinks(dir)
	if err != nil {
		return nil
	}
	if rel, err := filepath.Rel(base, real); err != nil || !filepath.IsLocal(rel) {
		return fmt.Errorf("文件 (file): %q is a symbolic link to %s: %w", name, real, ErrOutside)
	}
	return nil
}

// openInError explains why os.Root refused to open name in dir: a symbolic link
// that leads outside is ErrOutside; anything else is err.
func openInError(dir, name string, err error) error {
	if errors.Is(err, fs.ErrNotExist) {
		return err
	}
	if e := linkOutside(dir, name); e != nil {
		return e
	}
	return err
}
