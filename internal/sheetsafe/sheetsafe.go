package sheetsafe

import (
	"encoding/csv"
	"io"
	"strings"
)

// formulaStart are the first characters that make a spreadsheet read a cell as
// a formula (OWASP's list; NUL as OWASP ASVS 1.2.10 adds).
const formulaStart = "=+-@\t\r\x00"

// Cell is s as a cell that no spreadsheet takes for a formula: s with a leading
// single quote when it begins with one of = + - @ tab CR NUL, else s.
func Cell(s string) string {
	if s != "" && strings.ContainsRune(formulaStart, rune(s[0])) {
		return "'" + s
	}
	return s
}

// Writer is a csv.Writer whose every cell goes through Cell.
type Writer struct {
	w   *csv.Writer
	row []string
}

// NewWriter returns a Writer to w; with crlf, lines end in CRLF (what
// spreadsheet programs on Windows expect).
func NewWriter(w io.Writer, crlf bool) *Writer {
	cw := csv.NewWriter(w)
	cw.UseCRLF = crlf
	return &Writer{w: cw}
}

// Write writes one row, each cell through Cell.
func (w *Writer) Write(cells []string) error {
	w.row = w.row[:0]
	for _, c := range cells {
		w.row = append(w.row, Cell(c))
	}
	return w.w.Write(w.row)
}

// Flush writes what is buffered and returns the first error of any Write or
// of the flush.
func (w *Writer) Flush() error {
	w.w.Flush()
	return w.w.Error()
}
