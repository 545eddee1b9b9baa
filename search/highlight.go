package search

import (
	"unicode/utf8"
)

// Highlighting marks where the query matched in a title or an abstract: the
// characters covered by a matched bigram, by a matched single character (a
// one-character query, or a match by characters), or a matched word. It works on
// the stored text, so the index keeps no positions.

// abstractWindow is how many characters of an abstract a hit shows around its
// first match.
const abstractWindow = 80

type highlighter struct {
	bigrams map[string]bool
	chars   map[string]bool // one-character query words
	uni     map[string]bool // every character of the query's CJK words
	words   map[string]bool
}

func newHighlighter(q parsedQuery) *highlighter {
	h := &highlighter{bigrams: map[string]bool{}, chars: map[string]bool{}, uni: map[string]bool{}, words: map[string]bool{}}
	for _, w := range q.words {
		for _, u := range w.alts {
			switch {
			case !u.cjk:
				h.words[u.text] = true
			case len(u.runes) == 1:
				h.chars[u.text] = true
			default:
				for _, b := range u.bigrams() {
					h.bigrams[b] = true
				}
				for _, c := range u.unigrams() {
					h.uni[c] = true
				}
			}
		}
	}
	return h
}

// fragments cuts text into matched and unmatched pieces. With chars, single
// characters of the query's words are marked too. With window > 0, only about
// window characters around the first match are kept (the whole text when it is
// no longer), with "…" where it was cut.
func (h *highlighter) fragments(text string, chars bool, window int) []Fragment {
	if text == "" {
		return nil
	}
	mark := make([]bool, len(text)) // by byte offset of a rune's start
	any := false
	analyze(text, func(u unit) {
		if !u.cjk {
			if h.words[u.text] {
				for i := u.start; i < u.end; i++ {
					mark[i] = true
				}
				any = true
			}
			return
		}
		for k, ra := range u.runes {
			c := string(ra.r)
			if h.chars[c] || chars && h.uni[c] {
				mark[ra.start], any = true, true
			}
			if k+1 < len(u.runes) && h.bigrams[c+string(u.runes[k+1].r)] {
				mark[ra.start], mark[u.runes[k+1].start], any = true, true, true
			}
		}
	})
	start, end := 0, len(text)
	if window > 0 && utf8.RuneCountInString(text) > window {
		first := 0
		for i := range mark {
			if mark[i] {
				first = i
				break
			}
		}
		// Start a fifth of the window before the first match, on a rune boundary.
		start = first
		for n := 0; n < window/5 && start > 0; n++ {
			_, size := utf8.DecodeLastRuneInString(text[:start])
			start -= size
		}
		end = start
		for n := 0; n < window && end < len(text); n++ {
			_, size := utf8.DecodeRuneInString(text[end:])
			end += size
		}
	}
	var out []Fragment
	if start > 0 {
		out = append(out, Fragment{Text: "…"})
	}
	// Runs of runes alike (marked or not) are one fragment: a slice of text.
	from, m := start, false
	for i := start; i < end; {
		_, size := utf8.DecodeRuneInString(text[i:])
		if i == from {
			m = mark[i]
		} else if mark[i] != m {
			out = append(out, Fragment{Text: text[from:i], Match: m})
			from, m = i, mark[i]
		}
		i += size
	}
	if from < end {
		out = append(out, Fragment{Text: text[from:end], Match: m})
	}
	if end < len(text) {
		out = append(out, Fragment{Text: "…"})
	}
	_ = any
	return out
}
