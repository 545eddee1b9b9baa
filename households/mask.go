package households

import (
	"bytes"
	"crypto/sha256"
	"encoding/csv"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/gongshi-archive/gongshi/archive"
)

// MaskRule names the rules below. A table's version records it with the digest
// of the masked view they derived, so that the view can be derived again the same
// way; a change to the rules is a new name.
const MaskRule = "gongshi-mask-1"

// compoundSurnames are the two-character surnames (复姓) a name keeps whole.
var compoundSurnames = []string{"欧阳", "司马", "上官", "诸葛", "东方", "皇甫", "尉迟", "公孙", "慕容", "长孙",
	"宇文", "司徒", "夏侯", "轩辕", "令狐", "钟离", "端木", "百里", "呼延", "澹台", "南宫", "西门", "独孤", "万俟"}

// MaskValue masks v the way kind says:
//
//   - name: each name (several are separated by 、，,; or /) to its surname and
//     one "*" whatever the length of the given name: 张三 → 张*, 欧阳明月 → 欧阳*,
//     "Zhang San" → Zhang *;
//   - address: to the building — up to the first 号楼, 栋 or 幢, else up to the
//     first 号, else the first half — and "*" for what was left out:
//     南关区东天街88号5栋3单元402室 → 南关区东天街88号5栋*;
//   - partial: the first and last characters and "***" between, whatever the
//     length (1 or 2 characters: the first and "*").
//
// An empty value stays empty.
func MaskValue(kind archive.MaskKind, v string) string {
	if v == "" {
		return ""
	}
	switch kind {
	case archive.MaskName:
		return maskNames(v)
	case archive.MaskAddress:
		return maskAddress(v)
	}
	return maskPartial(v)
}

func maskNames(v string) string {
	var b strings.Builder
	start := 0
	for i, r := range v {
		if strings.ContainsRune("、，,;；/", r) {
			b.WriteString(maskName(v[start:i]))
			b.WriteRune(r)
			start = i + utf8.RuneLen(r)
		}
	}
	b.WriteString(maskName(v[start:]))
	return b.String()
}

func maskName(n string) string {
	n = strings.TrimSpace(n)
	if n == "" {
		return ""
	}
	if first, _, ok := strings.Cut(n, " "); ok && isLatin(n) {
		return first + " *"
	}
	for _, s := range compoundSurnames {
		if strings.HasPrefix(n, s) && n != s {
			return s + "*"
		}
	}
	r, size := utf8.DecodeRuneInString(n)
	if isLatin(n) {
		return n[:size] + "*"
	}
	return string(r) + "*"
}

func isLatin(s string) bool {
	for _, r := range s {
		if r > unicode.MaxLatin1 {
			return false
		}
	}
	return true
}

func maskAddress(v string) string {
	cut := -1
	for _, m := range []string{"号楼", "栋", "幢"} {
		if i := strings.Index(v, m); i >= 0 && (cut < 0 || i+len(m) < cut) {
			cut = i + len(m)
		}
	}
	if cut < 0 {
		if i := strings.Index(v, "号"); i >= 0 {
			cut = i + len("号")
		}
	}
	if cut < 0 {
		rs := []rune(v)
		cut = len(string(rs[:(len(rs)+1)/2]))
	}
	if cut >= len(v) {
		return v
	}
	return v[:cut] + "*"
}

func maskPartial(v string) string {
	rs := []rune(v)
	if len(rs) <= 2 {
		return string(rs[0]) + "*"
	}
	return string(rs[0]) + "***" + string(rs[len(rs)-1])
}

// View is a table as someone may see it: the header and rows of the columns
// shown to them, in the table's order.
type View struct {
	Header []string
	Rows   [][]string
	// Keys are the household numbers of the rows, in their order.
	Keys []string
}

// maskedColumns are the indices of t's columns that a masked view shows.
func shownColumns(t archive.Table) []int {
	var out []int
	for i, c := range t.Columns {
		if c.Policy != archive.ColumnPrivate {
			out = append(out, i)
		}
	}
	return out
}

// MaskedView derives the de-identified view of a table from the sealed CSV and
// the table's declared columns: the public and masked columns (masked by
// MaskValue), never a private one, every row in the order of the file. It is a
// pure function: the same CSV and columns give the same view, whose canonical
// bytes (EncodeView) have the SHA-256 that the table's version records.
func MaskedView(rows *Parsed, t archive.Table) View {
	idx := shownColumns(t)
	v := View{}
	for _, i := range idx {
		v.Header = append(v.Header, t.Columns[i].Name)
	}
	for _, r := range rows.Rows {
		out := make([]string, len(idx))
		for j, i := range idx {
			c := t.Columns[i]
			out[j] = r[i]
			if c.Policy == archive.ColumnMasked {
				out[j] = MaskValue(c.Mask, r[i])
			}
		}
		v.Rows = append(v.Rows, out)
		v.Keys = append(v.Keys, r[rows.Key])
	}
	return v
}

// OwnRow is household hh's row as the household itself may see it: the public
// and masked columns as they are (a household reads its own name in full), never
// a private one.
func OwnRow(rows *Parsed, t archive.Table, hh string) (View, bool) {
	idx := shownColumns(t)
	for _, r := range rows.Rows {
		if r[rows.Key] != hh {
			continue
		}
		v := View{Keys: []string{hh}}
		out := make([]string, len(idx))
		for j, i := range idx {
			v.Header = append(v.Header, t.Columns[i].Name)
			out[j] = r[i]
		}
		v.Rows = [][]string{out}
		return v, true
	}
	return View{}, false
}

// EncodeView is the canonical bytes of a view: CSV (RFC 4180 as encoding/csv
// writes it) in UTF-8 without a byte-order mark, lines ending in LF, the header
// first.
func EncodeView(v View) []byte {
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	w.Write(v.Header)
	w.WriteAll(v.Rows) // flushes; writing to a buffer does not fail
	return b.Bytes()
}

// ViewDigest is the SHA-256 of EncodeView(v).
func ViewDigest(v View) archive.Hash { return sha256.Sum256(EncodeView(v)) }

// Aggregates are the figures over all rows of a table that the public may see.
type Aggregates struct {
	// Rows is the number of households in the table.
	Rows int
	// Columns are the public numeric columns, each with its figures; none when
	// the table has fewer than MinAggregateRows households (then a sum would be
	// one household's value).
	Columns []ColumnFigures
}

// ColumnFigures are the sum and mean of one public numeric column.
type ColumnFigures struct {
	Name string
	// Count is how many households have a value; Sum and Mean are written with
	// two decimals.
	Count     int
	Sum, Mean string
}

// MinAggregateRows is the fewest households a table must have for its sums and
// means to be shown to the public.
const MinAggregateRows = 3

// TableAggregates computes the public figures of a table: the number of
// households, and for each public column (not the household number) whose every
// value is a number, the sum and the mean, in hundredths, exactly.
func TableAggregates(rows *Parsed, t archive.Table) Aggregates {
	ag := Aggregates{Rows: len(rows.Rows)}
	if ag.Rows < MinAggregateRows {
		return ag
	}
	for i, c := range t.Columns {
		if c.Policy != archive.ColumnPublic || i == rows.Key {
			continue
		}
		var sum int64
		n := 0
		numeric := true
		for _, r := range rows.Rows {
			if r[i] == "" {
				continue
			}
			cents, ok := parseCents(r[i])
			if !ok {
				numeric = false
				break
			}
			sum += cents
			n++
		}
		if !numeric || n == 0 {
			continue
		}
		mean := (sum*2 + int64(n)) / (int64(n) * 2) // rounded half up
		ag.Columns = append(ag.Columns, ColumnFigures{Name: c.Name, Count: n, Sum: formatCents(sum), Mean: formatCents(mean)})
	}
	return ag
}

// parseCents reads a non-negative decimal with at most two decimals as
// hundredths, exactly (money and areas must not pick up float errors).
func parseCents(s string) (int64, bool) {
	whole, frac, dot := strings.Cut(s, ".")
	if whole == "" || len(whole) > 12 || (dot && (frac == "" || len(frac) > 2)) {
		return 0, false
	}
	var n int64
	for _, c := range whole + (frac + "00")[:2] {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	return n, true
}

func formatCents(n int64) string { return fmt.Sprintf("%d.%02d", n/100, n%100) }
