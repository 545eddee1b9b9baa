package search

import (
	"regexp"
	"strings"
	"unicode"

	"github.com/gongshi-archive/gongshi/archive"
)

// Document numbers (文号) and archival codes (档号) are identifiers: they are looked
// up exactly, in a keyword field, by one spelling that whatever a person types maps
// to. Matched as text their characters would find hundreds of other documents of
// the same issuer and year.

// foldAll maps full-width ASCII to ASCII and drops white space.
func foldAll(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r >= 0xFF01 && r <= 0xFF5E {
			r = r - 0xFF01 + '!'
		}
		if unicode.IsSpace(r) || r == '\u3000' {
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// bracket maps every bracket people type around a year to ( and ).
func bracket(r rune) rune {
	switch r {
	case '〔', '[', '［', '(', '（', '【', '〖', '{', '｛', '「':
		return '('
	case '〕', ']', '］', ')', '）', '】', '〗', '}', '｝', '」':
		return ')'
	}
	return r
}

// docNumParts finds a document number in normalized text: issuer abbreviation,
// year in brackets, 第 optional, serial number, 号 optional.
var docNumParts = regexp.MustCompile(`([\p{Han}A-Za-z]{1,20})\(([0-9]{4})\)第?0*([0-9]{1,6})号?`)

// docNumYear finds the prefix of a document number without its serial number:
// 长府征字〔2024〕 stands for all of that issuer's numbers of that year.
var docNumYear = regexp.MustCompile(`^([\p{Han}A-Za-z]{1,20})\(([0-9]{4})\)$`)

// normDocNumber is the one spelling of a 文号 in the index: 长府征字(2024)3号 for
// 长府征字〔2024〕3号, 长府征字[2024]第3号, 长府征字（２０２４）03号 alike. A decree or court
// number keeps its characters, with its brackets and digits folded.
func normDocNumber(s string) string {
	if s == "" {
		return ""
	}
	n := strings.Map(bracket, strings.ToLower(foldAll(s)))
	if m := docNumParts.FindStringSubmatch(n); m != nil && m[0] == n {
		return m[1] + "(" + m[2] + ")" + m[3] + "号"
	}
	return n
}

// normCode is the one spelling of a 档号 in the index: upper case, ASCII, without its
// middle dot, dashes or spaces, so that Z109-ZS·2024-Y-CQ01-0007, z109-zs2024-y-cq01-0007
// and Z109-ZS.2024-Y-CQ01-0007 are one code.
func normCode(s string) string {
	if s == "" {
		return ""
	}
	n := archive.NormalizeArchivalCode(foldAll(s))
	return strings.Map(func(r rune) rune {
		if r == '·' || r == '-' {
			return -1
		}
		return r
	}, n)
}

// codeShape is how the start of a typed archival code looks: fonds, dash, class,
// a dot or not, a year.
var codeShape = regexp.MustCompile(`^[A-Z0-9]{1,12}-[A-Z][A-Z0-9]{0,3}·?[0-9]{4}(-[A-Z0-9-]*)?$`)

// isCodeQuery reports whether the typed chunk is (the start of) an archival code.
func isCodeQuery(chunk string) bool {
	return codeShape.MatchString(archive.NormalizeArchivalCode(foldAll(chunk)))
}

// findDocNumbers takes the document numbers out of a chunk of the query: it
// returns their normalized spellings, exact ones and year prefixes, and the text
// left around them.
func findDocNumbers(chunk string) (exact, prefixes []string, rest string) {
	n := strings.Map(bracket, strings.ToLower(foldAll(chunk)))
	if m := docNumYear.FindStringSubmatch(n); m != nil {
		return nil, []string{m[1] + "(" + m[2] + ")"}, ""
	}
	locs := docNumParts.FindAllStringSubmatchIndex(n, -1)
	if len(locs) == 0 {
		return nil, nil, chunk
	}
	var b strings.Builder
	last := 0
	for _, l := range locs {
		b.WriteString(n[last:l[0]])
		b.WriteByte(' ')
		exact = append(exact, n[l[2]:l[3]]+"("+n[l[4]:l[5]]+")"+n[l[6]:l[7]]+"号")
		last = l[1]
	}
	b.WriteString(n[last:])
	return exact, nil, b.String()
}
