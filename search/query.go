package search

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// A query, parsed. The user's text is never syntax: it is cut into chunks at
// spaces; a chunk that is (the start of) an archival code, or holds document
// numbers, is looked up in the identifier fields; the rest is analyzed into words
// (CJK runs and words of letters and digits), each with its synonym alternates.

const (
	maxWords    = 16 // words of a query; more are dropped
	maxWordRune = 32 // characters of one CJK run; more are cut
	maxAlts     = 8  // alternates of one word, itself included
)

// queryWord is one word of the query with its alternates: the word as typed first.
type queryWord struct {
	alts []unit
}

// parsedQuery is what a query asks for.
type parsedQuery struct {
	words []queryWord
	// Identifiers: document numbers (normalized, exact), their year prefixes, and
	// archival code prefixes (normalized). Any of them matches.
	docNums    []string
	docPrefix  []string
	codePrefix []string
}

func (p parsedQuery) hasIDs() bool {
	return len(p.docNums)+len(p.docPrefix)+len(p.codePrefix) > 0
}

func (p parsedQuery) empty() bool { return len(p.words) == 0 && !p.hasIDs() }

// sanitize makes any string a query: valid UTF-8 (bad bytes become spaces),
// control characters as spaces, at most maxQueryRune characters.
func sanitize(q string) string {
	var b strings.Builder
	n := 0
	for i := 0; i < len(q) && n < maxQueryRune; {
		r, size := utf8.DecodeRuneInString(q[i:])
		i += size
		if r == utf8.RuneError && size <= 1 || unicode.IsControl(r) {
			r = ' '
		}
		b.WriteRune(r)
		n++
	}
	return b.String()
}

// parseQuery parses the user's text.
func parseQuery(q string, syn *synonyms) parsedQuery {
	var p parsedQuery
	seen := map[string]bool{}
	for _, chunk := range strings.FieldsFunc(sanitize(q), func(r rune) bool { return unicode.IsSpace(r) || r == '\u3000' }) {
		if isCodeQuery(chunk) {
			p.codePrefix = appendNew(p.codePrefix, normCode(chunk))
			continue
		}
		exact, prefixes, rest := findDocNumbers(chunk)
		for _, e := range exact {
			// The issuer's abbreviation cannot be told from text typed before it
			// (关于长府征字〔2024〕3号): every tail of it is a candidate.
			open := strings.IndexByte(e, '(')
			for i := range e[:open] {
				if utf8.RuneStart(e[i]) {
					p.docNums = appendNew(p.docNums, e[i:])
				}
			}
		}
		for _, pre := range prefixes {
			p.docPrefix = appendNew(p.docPrefix, pre)
		}
		analyze(rest, func(u unit) {
			if len(p.words) >= maxWords {
				return
			}
			if u.cjk && len(u.runes) > maxWordRune {
				u.runes = u.runes[:maxWordRune]
				u.text = runesText(u.runes)
			}
			if seen[u.text] {
				return
			}
			seen[u.text] = true
			p.words = append(p.words, queryWord{alts: syn.alternates(u)})
		})
	}
	return p
}

func appendNew(ss []string, s string) []string {
	for _, x := range ss {
		if x == s {
			return ss
		}
	}
	return append(ss, s)
}

func runesText(rs []runeAt) string {
	var b strings.Builder
	for _, r := range rs {
		b.WriteRune(r.r)
	}
	return b.String()
}

// cjkUnit makes a unit of normalized CJK text that is not from the query (a
// synonym), without offsets.
func cjkUnit(s string) unit {
	u := unit{text: s, cjk: true}
	for _, r := range s {
		u.runes = append(u.runes, runeAt{r: r})
	}
	return u
}

// synonyms maps a word to the others of its groups.
type synonyms struct {
	groups [][]string // normalized words
}

func newSynonyms(groups [][]string) *synonyms {
	s := &synonyms{}
	for _, g := range groups {
		var norm []string
		for _, w := range g {
			var b strings.Builder
			analyze(w, func(u unit) { b.WriteString(u.text) })
			if b.Len() > 0 {
				norm = appendNew(norm, b.String())
			}
		}
		if len(norm) > 1 {
			s.groups = append(s.groups, norm)
		}
	}
	return s
}

// alternates returns u and, for each word of a group found in u, u with that word
// replaced by each other of the group (拆迁补偿 → 征收补偿), at most maxAlts in all.
func (s *synonyms) alternates(u unit) []unit {
	out := []unit{u}
	if s == nil || !u.cjk {
		return out
	}
	have := map[string]bool{u.text: true}
	for _, g := range s.groups {
		for _, w := range g {
			if !strings.Contains(u.text, w) {
				continue
			}
			for _, other := range g {
				alt := strings.Replace(u.text, w, other, 1)
				if other == w || have[alt] || len(out) >= maxAlts {
					continue
				}
				have[alt] = true
				out = append(out, cjkUnit(alt))
			}
		}
	}
	return out
}
