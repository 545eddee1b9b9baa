package search

import (
	"unicode"
	"unicode/utf8"

	"github.com/blevesearch/bleve/v2/analysis"
	"github.com/blevesearch/bleve/v2/registry"
)

// The analysis of Chinese text.
//
// Chinese has no spaces between words, and no word list is good at the names,
// places and legal terms of this archive, so text is indexed by character and by
// pair of characters: 补偿方案 gives the unigrams 补 偿 方 案 and the bigrams 补偿 偿方
// 方案. A query of two characters or more looks for its bigrams (all of them, in one
// field: the words of the query appear as written), and ranks below those the
// records that hold only all its characters; a one-character query looks for the
// unigram. Letters and digits form words (CQ01, 2024, 126.66), lower-cased;
// full-width letters and digits (ＣＱ０１) are folded to ASCII first. Everything else
// (punctuation, brackets, spaces) separates.
//
// This is what bleve's cjk analyzer (unicode tokenizer, cjk_width, to_lower,
// cjk_bigram with unigrams) does; it is written out here because the query side
// needs its structure (which characters form a run, which words), because a
// pass over the runes costs a fraction of the Unicode word segmentation (see
// BenchmarkAnalyze), and so that one function decides both sides. It is
// registered with bleve under analyzerName, so that the index mapping names the
// analyzer its text fields were indexed with.

// analyzerName is the name of the analyzer in bleve's registry and mapping.
const analyzerName = "gongshi_cjk"

func init() {
	// bleve's registry is how a mapping names an analyzer; it is filled by init
	// functions, bleve's own analyzers included.
	if err := registry.RegisterAnalyzer(analyzerName, func(map[string]interface{}, *registry.Cache) (analysis.Analyzer, error) {
		return cjkAnalyzer{}, nil
	}); err != nil {
		panic(err)
	}
}

// unit is a run of CJK characters or a word of letters and digits, normalized,
// with its place in the original text.
type unit struct {
	text       string // normalized: width folded, lower case
	cjk        bool
	start, end int // byte offsets in the original text
	// runes holds the normalized characters of a CJK run, with their offsets.
	runes []runeAt
}

type runeAt struct {
	r          rune
	start, end int
}

// isCJK reports whether r is written without spaces between words: Han, the kana
// and Hangul (Korean appears in Yanbian's documents).
func isCJK(r rune) bool {
	return unicode.Is(unicode.Han, r) || unicode.Is(unicode.Hiragana, r) ||
		unicode.Is(unicode.Katakana, r) || unicode.Is(unicode.Hangul, r)
}

// normRune folds full-width ASCII (U+FF01 to U+FF5E) to ASCII and lowers case.
func normRune(r rune) rune {
	if r >= 0xFF01 && r <= 0xFF5E {
		r = r - 0xFF01 + '!'
	}
	if r < utf8.RuneSelf {
		if r >= 'A' && r <= 'Z' {
			r += 'a' - 'A'
		}
		return r
	}
	return unicode.ToLower(r)
}

func isWordRune(r rune) bool {
	if r < utf8.RuneSelf {
		return r >= 'a' && r <= 'z' || r >= '0' && r <= '9'
	}
	return (unicode.IsLetter(r) || unicode.IsDigit(r)) && !isCJK(r)
}

func isDigit(r rune) bool { return r >= '0' && r <= '9' }

// analyze splits s into units. Invalid UTF-8 separates like punctuation.
func analyze(s string, fn func(u unit)) {
	var (
		cur     []byte // normalized text of the unit being read
		runes   []runeAt
		kind    int // 0 none, 1 cjk, 2 word
		ustart  int
		prevEnd int
	)
	flush := func(end int) {
		if kind != 0 {
			fn(unit{text: string(cur), cjk: kind == 1, start: ustart, end: end, runes: runes})
		}
		cur, runes, kind = cur[:0], nil, 0
	}
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size <= 1 {
			flush(i)
			i += max(size, 1)
			prevEnd = i
			continue
		}
		n := normRune(r)
		switch {
		case isCJK(n):
			if kind != 1 {
				flush(i)
				kind, ustart = 1, i
			}
			cur = utf8.AppendRune(cur, n)
			runes = append(runes, runeAt{n, i, i + size})
		case isWordRune(n):
			if kind != 2 {
				flush(i)
				kind, ustart = 2, i
			}
			cur = utf8.AppendRune(cur, n)
		case (n == '.' || n == ',') && kind == 2 && len(cur) > 0 && isDigit(rune(cur[len(cur)-1])) &&
			i+size < len(s) && isDigit(normRune(rune(s[i+size]))):
			// 126.66 and 1,234,567 are one number.
			cur = append(cur, byte(n))
		default:
			flush(i)
		}
		i += size
		prevEnd = i
	}
	flush(prevEnd)
}

// indexTerms calls fn with every term the unit is indexed under: the unigrams and
// bigrams of a CJK run, a word itself.
func (u unit) indexTerms(fn func(term string, start, end int)) {
	if !u.cjk {
		fn(u.text, u.start, u.end)
		return
	}
	off := 0
	for k, ra := range u.runes {
		w := utf8.RuneLen(ra.r)
		fn(u.text[off:off+w], ra.start, ra.end)
		if k+1 < len(u.runes) {
			w2 := utf8.RuneLen(u.runes[k+1].r)
			fn(u.text[off:off+w+w2], ra.start, u.runes[k+1].end)
		}
		off += w
	}
}

// bigrams returns the bigrams of a CJK run (none for one character).
func (u unit) bigrams() []string {
	var out []string
	off := 0
	for k := 0; k+1 < len(u.runes); k++ {
		w, w2 := utf8.RuneLen(u.runes[k].r), utf8.RuneLen(u.runes[k+1].r)
		out = append(out, u.text[off:off+w+w2])
		off += w
	}
	return out
}

// unigrams returns the characters of a CJK run, each once.
func (u unit) unigrams() []string {
	var out []string
	seen := map[rune]bool{}
	off := 0
	for _, ra := range u.runes {
		w := utf8.RuneLen(ra.r)
		if !seen[ra.r] {
			seen[ra.r] = true
			out = append(out, u.text[off:off+w])
		}
		off += w
	}
	return out
}

// cjkAnalyzer is the bleve Analyzer of the text fields. It gives the terms of
// analyze and indexTerms in one pass without building units, its terms sharing
// one buffer: indexing analyzes every field of every record, and allocations are
// most of its cost.
type cjkAnalyzer struct{}

func (cjkAnalyzer) Analyze(input []byte) analysis.TokenStream {
	// Each character is in at most three terms (itself and two bigrams).
	buf := make([]byte, 0, 3*len(input))
	tokens := make([]analysis.Token, 0, 2*utf8.RuneCount(input))
	emit := func(from int, start, end int, typ analysis.TokenType) {
		tokens = append(tokens, analysis.Token{Start: start, End: end, Term: buf[from:len(buf):len(buf)],
			Position: len(tokens) + 1, Type: typ})
	}
	var (
		prevCJK   rune // the previous character when it was CJK, else 0
		prevStart int
		wordFrom  = -1 // where the word being read starts in buf, -1 none
		wordStart int
		lastDigit bool
	)
	endWord := func(end int) {
		if wordFrom >= 0 {
			emit(wordFrom, wordStart, end, analysis.AlphaNumeric)
			wordFrom = -1
		}
	}
	for i := 0; i < len(input); {
		r, size := utf8.DecodeRune(input[i:])
		if r == utf8.RuneError && size <= 1 {
			endWord(i)
			prevCJK = 0
			i += max(size, 1)
			continue
		}
		n := normRune(r)
		switch {
		case isCJK(n):
			endWord(i)
			from := len(buf)
			buf = utf8.AppendRune(buf, n)
			emit(from, i, i+size, analysis.Single)
			if prevCJK != 0 {
				// The bigram of the previous character and this one.
				from = len(buf)
				buf = utf8.AppendRune(buf, prevCJK)
				buf = utf8.AppendRune(buf, n)
				emit(from, prevStart, i+size, analysis.Double)
			}
			prevCJK, prevStart = n, i
		case isWordRune(n):
			prevCJK = 0
			if wordFrom < 0 {
				wordFrom, wordStart = len(buf), i
			}
			buf = utf8.AppendRune(buf, n)
			lastDigit = isDigit(n)
		case (n == '.' || n == ',') && wordFrom >= 0 && lastDigit && i+size < len(input) && isDigit(normRune(rune(input[i+size]))):
			// 126.66 and 1,234,567 are one number.
			buf = append(buf, byte(n))
			lastDigit = false
		default:
			endWord(i)
			prevCJK = 0
		}
		i += size
	}
	endWord(len(input))
	out := make(analysis.TokenStream, len(tokens))
	for i := range tokens {
		out[i] = &tokens[i]
	}
	return out
}
