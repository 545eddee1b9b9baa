package ingest

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path/filepath"
	"strings"
	"unicode/utf8"

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
		"public_copy_of": "public_copy_of", "公开版本原件": "public_copy_of",
		"keywords": "keywords", "主题词": "keywords", "关键词": "keywords",
		// Notes are for people; the archive does not keep them.
		"note": "", "notes": "", "备注": "",
	}
}

// ErrManifest: the manifest cannot be read as a whole (not a row's problem).
var ErrManifest = errors.New("unreadable manifest")

// ManifestOptions say how to read a manifest.
type ManifestOptions struct {
	// Encoding is the manifest's character encoding; EncodingAuto detects it.
	Encoding Encoding
}

// ReadManifest reads a CSV or JSON manifest. CSV may be UTF-8 with or without a
// byte-order mark, or GB18030/GBK as Excel on Chinese Windows saves it: without
// o.Encoding, a file that is not UTF-8 is read as GB18030 only when all of it is
// GB18030 and it does not look like UTF-8 with a few bad bytes. Bytes that are
// not text in the encoding read are an *EncodingError naming their row, column
// and the bytes: nothing is guessed. JSON is UTF-8 (RFC 8259) unless o.Encoding
// says GB18030. The first CSV row names the columns; a row with more values
// than there are columns is that row's problem (an unquoted comma in a title
// shifts every value after it). JSON is an array of objects with the same keys.
// Paths are checked to stay inside dir; rows with problems are returned with
// them, so that the batch reports every bad row at once. A JSON value may be a
// string or a number (kept as written) or null (empty); two columns that set the
// same field (such as "file" and "文件", or one JSON key twice) make the manifest
// unreadable.
func ReadManifest(path, dir string, o ManifestOptions) ([]Row, error) {
	b, err := safefile.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("ingest: manifest: %w", err)
	}
	_, recs, err := readTable(path, "manifest", b, o)
	if err != nil {
		return nil, err
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

// Table is a CSV or JSON table read as text, the way ReadManifest reads a
// manifest, for other tables a department keeps in Excel (a household
// register, a per-household table).
type Table struct {
	// Encoding is the encoding the bytes were read in (detected or given).
	Encoding Encoding
	// Header is the columns in the order of the file: the CSV's first row, or
	// the keys of a JSON array's objects in the order they first appear.
	Header []string
	// Rows are the rows after the header, in order; empty lines are skipped.
	Rows []TableRow
}

// TableRow is one row of a Table.
type TableRow struct {
	// Line is where the row starts: the CSV line, or the JSON element (from 1).
	Line int
	// Cells are its values by column, in the order of the file, trimmed of
	// space. A CSV row may have fewer cells than the header.
	Cells []TableCell
	// Problems are what is wrong with the row as text (more values than
	// columns, a JSON value that is not a string or number).
	Problems []string
}

// TableCell is one value of a row.
type TableCell struct{ Column, Value string }

// Value returns the row's value of column col, "" when it has none.
func (r TableRow) Value(col string) string {
	for _, c := range r.Cells {
		if c.Column == col {
			return c.Value
		}
	}
	return ""
}

// ReadTable reads the bytes b of a CSV or JSON table named name (for errors;
// what says what it is, e.g. "household register") with the rules of
// ReadManifest: UTF-8 with or without a byte-order mark, or GB18030 as Excel
// writes it, detected strictly (bytes that are not text are an *EncodingError
// naming their row and column; nothing is guessed); the first CSV row or a JSON
// array of objects names the columns; a column named twice, or a JSON key given
// twice, makes the table unreadable (ErrManifest). A row's own problems are on
// the row, so that every bad row can be reported at once.
func ReadTable(name, what string, b []byte, o ManifestOptions) (Table, error) {
	enc, recs, err := readTable(name, what, b, o)
	if err != nil {
		return Table{}, err
	}
	t := Table{Encoding: enc}
	seen := map[string]bool{}
	for _, r := range recs {
		row := TableRow{Line: r.line, Problems: r.problems}
		for _, c := range r.cells {
			row.Cells = append(row.Cells, TableCell{Column: c.col, Value: c.val})
			if !seen[c.col] {
				seen[c.col] = true
				t.Header = append(t.Header, c.col)
			}
		}
		t.Rows = append(t.Rows, row)
	}
	if len(t.Rows) == 0 {
		return Table{}, fmt.Errorf("ingest: %s %s: %w: no rows", what, name, ErrManifest)
	}
	return t, nil
}

// readTable reads the rows of a CSV or JSON table b and says the encoding it
// read them in.
func readTable(path, what string, b []byte, o ManifestOptions) (Encoding, []rawRow, error) {
	b, bom := bytes.CutPrefix(b, []byte("\xef\xbb\xbf"))
	if bom && o.Encoding == EncodingGB18030 {
		return "", nil, fmt.Errorf("ingest: %s %s: %w: it starts with a UTF-8 byte-order mark, but --encoding says gb18030", what, path, ErrManifest)
	}
	if t := bytes.TrimSpace(b); strings.EqualFold(filepath.Ext(path), ".json") || bytes.HasPrefix(t, []byte("[")) {
		enc := o.Encoding
		if enc == EncodingAuto {
			enc = EncodingUTF8
		}
		recs, err := readJSONManifest(path, what, b, o.Encoding)
		return enc, recs, err
	}
	return readCSVManifest(path, what, b, o.Encoding, bom)
}

// readCSVManifest reads the rows of a CSV manifest b in encoding enc. The CSV
// is split before it is decoded: neither UTF-8 nor GB18030 has a comma, quote
// or line break byte inside a character, so the split is the same, and every
// byte that is not text can be named by its row and column.
func readCSVManifest(path, what string, b []byte, enc Encoding, bom bool) (Encoding, []rawRow, error) {
	detected := enc == EncodingAuto
	if detected {
		enc = detectEncoding(b, bom)
	}
	r := csv.NewReader(bytes.NewReader(b))
	r.FieldsPerRecord = -1
	var all [][]string
	var lines []int
	var bad *EncodingError
	for {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return "", nil, fmt.Errorf("ingest: %s %s: %w: %v", what, path, ErrManifest, err)
		}
		line, _ := r.FieldPos(0)
		lines = append(lines, line)
		for j, v := range rec {
			dec, off := enc.decode(v)
			if off < 0 {
				rec[j] = dec
				continue
			}
			if bad != nil {
				bad.More++
				continue
			}
			line, col := r.FieldPos(j)
			bad = &EncodingError{Path: path, What: what, Encoding: enc, Detected: detected, Row: len(all) + 1, Line: line,
				Column: fmt.Sprint(j + 1), Offset: csvOffset(b, line, col, off)}
			bad.Neither = detected && enc == EncodingGB18030
			bad.Bytes, bad.After = enc.badAt(v, off), lastChars(enc, v[:off])
			if len(all) > 0 && j < len(all[0]) && all[0][j] != "" {
				bad.Column = all[0][j]
			}
		}
		all = append(all, rec)
	}
	if bad != nil {
		return "", nil, bad
	}
	if len(all) == 0 {
		return "", nil, fmt.Errorf("ingest: %s %s: %w: empty", what, path, ErrManifest)
	}
	head := all[0]
	for j := range head {
		head[j] = strings.TrimSpace(head[j])
	}
	if err := oneColumnPerField(head); err != nil {
		return "", nil, fmt.Errorf("ingest: %s %s: %w: %v", what, path, ErrManifest, err)
	}
	var recs []rawRow
	for i, row := range all[1:] {
		if len(row) == 1 && strings.TrimSpace(row[0]) == "" {
			continue
		}
		rr := rawRow{line: lines[i+1]}
		for j, v := range row {
			if j < len(head) {
				rr.cells = append(rr.cells, cell{col: head[j], val: strings.TrimSpace(v)})
			}
		}
		if len(row) > len(head) {
			rr.problems = append(rr.problems, fmt.Sprintf("the row has %d values and the header %d columns: a value with a comma in it must be in double quotes (\"关于A,B的决定\")", len(row), len(head)))
		}
		recs = append(recs, rr)
	}
	return enc, recs, nil
}

// csvOffset is the position in the file b of byte off of the value of the field
// that starts at line and column col (from 1, in bytes, as csv.Reader's FieldPos
// counts them): in a quoted field a doubled quote is one byte of the value, and
// so is a CR LF line break.
func csvOffset(b []byte, line, col, off int) int {
	p := 0
	for l := 1; l < line && p < len(b); l++ {
		i := bytes.IndexByte(b[p:], '\n')
		if i < 0 {
			return -1
		}
		p += i + 1
	}
	p += col - 1
	if p >= len(b) || b[p] != '"' {
		return p + off
	}
	p++
	for k := 0; k < off && p+1 < len(b); k++ {
		if (b[p] == '"' && b[p+1] == '"') || (b[p] == '\r' && b[p+1] == '\n') {
			p++
		}
		p++
	}
	return p
}

// readJSONManifest reads the rows of a JSON manifest b: an array of objects,
// read token by token so that a key given twice is seen (a map would keep one
// of them without a word) and bytes that are not UTF-8 (which encoding/json
// turns into U+FFFD without a word) are named by their row and key.
func readJSONManifest(path, what string, b []byte, enc Encoding) ([]rawRow, error) {
	if enc == EncodingGB18030 {
		s, off := decodeGB18030(string(b))
		if off >= 0 {
			return nil, &EncodingError{Path: path, What: what, Encoding: enc, Line: lineOf(b, off), Offset: off,
				Bytes: enc.badAt(string(b), off)}
		}
		b = []byte(s)
	}
	objs, err := walkJSON(b)
	if err != nil {
		return nil, fmt.Errorf("ingest: %s %s: %w: %v", what, path, ErrManifest, err)
	}
	if !utf8.Valid(b) {
		return nil, jsonEncodingError(path, what, b, objs, enc == EncodingAuto)
	}
	var recs []rawRow
	for i, o := range objs {
		r := rawRow{line: i + 1}
		seen := map[string]bool{}
		for _, c := range o {
			if seen[c.key] {
				return nil, fmt.Errorf("ingest: %s %s: %w: row %d: key %q is given twice: which value is meant is not for the reader to guess", what, path, ErrManifest, r.line, c.key)
			}
			seen[c.key] = true
			var v string
			switch x := c.val.(type) {
			case nil:
			case string:
				v = x
			case json.Number:
				v = x.String()
			default:
				r.problems = append(r.problems, fmt.Sprintf("column %q: %s is not a value (give a string or a number)", c.key, jsonKind(x)))
				continue
			}
			r.cells = append(r.cells, cell{col: c.key, val: strings.TrimSpace(v)})
		}
		if err := oneColumnPerField(r.columns()); err != nil {
			return nil, fmt.Errorf("ingest: %s %s: %w: row %d: %v", what, path, ErrManifest, r.line, err)
		}
		recs = append(recs, r)
	}
	return recs, nil
}

// jsonCell is one key and value of a JSON manifest's object, and where the two
// are in the file: from start (just after what came before the key) to end.
type jsonCell struct {
	key        string
	val        any
	start, end int64
}

// walkJSON reads b as an array of objects, in the order of the file. Numbers
// are kept as written (a household number 12345678 is not 1.2345678e+07).
func walkJSON(b []byte) ([][]jsonCell, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	delim := func(want json.Delim, what string) error {
		t, err := dec.Token()
		if err != nil {
			return err
		}
		if d, ok := t.(json.Delim); !ok || d != want {
			return fmt.Errorf("%s, not %v", what, t)
		}
		return nil
	}
	if err := delim('[', "want an array of objects"); err != nil {
		return nil, err
	}
	var out [][]jsonCell
	for dec.More() {
		if err := delim('{', fmt.Sprintf("element %d is not an object", len(out)+1)); err != nil {
			return nil, err
		}
		var cells []jsonCell
		for dec.More() {
			start := dec.InputOffset()
			t, err := dec.Token()
			if err != nil {
				return nil, err
			}
			c := jsonCell{key: t.(string), start: start} // an object's tokens here are keys
			if err := dec.Decode(&c.val); err != nil {
				return nil, err
			}
			c.end = dec.InputOffset()
			cells = append(cells, c)
		}
		if err := delim('}', "want the end of an object"); err != nil {
			return nil, err
		}
		out = append(out, cells)
	}
	if err := delim(']', "want the end of the array"); err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("data after the array")
	}
	return out, nil
}

// jsonEncodingError names the first bytes of b that are not UTF-8 by the row
// and key of the object they are in.
func jsonEncodingError(path, what string, b []byte, objs [][]jsonCell, detected bool) error {
	_, off := EncodingUTF8.decode(string(b))
	e := &EncodingError{Path: path, What: what, Encoding: EncodingUTF8, Detected: detected, Line: lineOf(b, off), Offset: off,
		Bytes: EncodingUTF8.badAt(string(b), off)}
	for i, o := range objs {
		for _, c := range o {
			switch _, bad := EncodingUTF8.decode(string(b[c.start:c.end])); {
			case bad < 0:
			case c.start <= int64(off) && int64(off) < c.end:
				e.Row, e.Column = i+1, fmt.Sprintf("%q", c.key)
				// The text before the bytes, from the quote that opens their string.
				raw := string(b[c.start:off])
				e.After = lastChars(EncodingUTF8, raw[strings.LastIndexByte(raw, '"')+1:])
			default:
				e.More++
			}
		}
	}
	return e
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
// archival_code, household, abstract, keywords, public_copy_of). Keywords are one value separated
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
		PublicCopyOf: f["public_copy_of"],
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
