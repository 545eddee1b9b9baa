package main

import (
	"io"
	"strings"

	"github.com/mattn/go-runewidth"

	"github.com/gongshi-archive/gongshi/internal/termsafe"
)

// writeTable prints rows in aligned columns, measuring text by its width on a
// terminal: a Chinese character takes two columns, which text/tabwriter ignores.
// Every cell is escaped for the terminal (termsafe): the cells are metadata.
func writeTable(w io.Writer, rows [][]string) error {
	var widths []int
	for _, row := range rows {
		for i, cell := range row {
			cell = termsafe.Escape(cell)
			row[i] = cell
			if i == len(widths) {
				widths = append(widths, 0)
			}
			widths[i] = max(widths[i], runewidth.StringWidth(cell))
		}
	}
	var b strings.Builder
	for _, row := range rows {
		for i, cell := range row {
			b.WriteString(cell)
			if i < len(row)-1 {
				b.WriteString(strings.Repeat(" ", widths[i]-runewidth.StringWidth(cell)+2))
			}
		}
		b.WriteByte('\n')
	}
	_, err := io.WriteString(w, b.String())
	return err
}
