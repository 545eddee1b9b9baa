package archive

import (
	_ "embed"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// defaultSynonyms is the built-in list of people's words for the procedure's terms
// (拆迁 for 征收, 回迁 for 产权调换), a string so that it cannot change.
//
//go:embed synonyms.txt
var defaultSynonyms string

// DefaultSynonyms returns the built-in synonym groups (synonyms.txt beside the
// catalogue): each group a list of words that should find each other's documents.
func DefaultSynonyms() [][]string {
	g, err := ParseSynonyms(defaultSynonyms)
	if err != nil {
		panic("archive: built-in synonyms.txt: " + err.Error()) // checked by the tests
	}
	return g
}

// WithSynonyms returns the built-in groups followed by extra: a deployment's, in
// a file of the form of synonyms.txt (ParseSynonyms).
func WithSynonyms(extra [][]string) [][]string {
	return append(DefaultSynonyms(), extra...)
}

// maxSynonymRunes bounds a word of a group.
const maxSynonymRunes = 20

// ParseSynonyms parses synonym groups. A group is two words or more; a word is
// Chinese characters (汉字) only, at most 20: synonyms stand for the words
// residents type in Chinese, and a query's other words are matched as written.
// An error names the line and what to write instead.
func ParseSynonyms(s string) ([][]string, error) {
	var out [][]string
	for i, line := range strings.Split(s, "\n") {
		n := i + 1
		if !utf8.ValidString(line) {
			return nil, fmt.Errorf("line %d: not valid UTF-8: save the file as UTF-8", n)
		}
		if k := strings.IndexByte(line, '#'); k >= 0 {
			line = line[:k]
		}
		words := strings.Fields(line)
		if len(words) == 0 {
			continue
		}
		for _, w := range words {
			if utf8.RuneCountInString(w) > maxSynonymRunes {
				return nil, fmt.Errorf("line %d: %q is longer than %d characters: use a shorter word", n, w, maxSynonymRunes)
			}
			for _, r := range w {
				if !unicode.Is(unicode.Han, r) {
					return nil, fmt.Errorf("line %d: %q has %q, not a Chinese character: a word is Chinese characters only, separated from the next by spaces", n, w, r)
				}
			}
		}
		if len(words) < 2 {
			return nil, fmt.Errorf("line %d: %q alone is no group: put two words or more on the line, separated by spaces", n, words[0])
		}
		out = append(out, words)
	}
	return out, nil
}
