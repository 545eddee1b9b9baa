package archive

import (
	_ "embed"
	"fmt"
	"os"
	"strings"
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

// LoadSynonyms reads synonym groups from a file in the form of synonyms.txt: a
// group a line, words separated by spaces, # starting a comment.
func LoadSynonyms(path string) ([][]string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("archive: load synonyms: %w", err)
	}
	g, err := ParseSynonyms(string(b))
	if err != nil {
		return nil, fmt.Errorf("archive: load synonyms %s: %w", path, err)
	}
	return g, nil
}

// ParseSynonyms parses synonym groups. A group needs two words or more; a word is at
// most 20 characters.
func ParseSynonyms(s string) ([][]string, error) {
	if !utf8.ValidString(s) {
		return nil, fmt.Errorf("not valid UTF-8")
	}
	var out [][]string
	for i, line := range strings.Split(s, "\n") {
		if k := strings.IndexByte(line, '#'); k >= 0 {
			line = line[:k]
		}
		words := strings.Fields(line)
		if len(words) == 0 {
			continue
		}
		if len(words) < 2 {
			return nil, fmt.Errorf("line %d: a group needs two words or more, not %q", i+1, words)
		}
		for _, w := range words {
			if utf8.RuneCountInString(w) > 20 {
				return nil, fmt.Errorf("line %d: %q is longer than 20 characters", i+1, w)
			}
		}
		out = append(out, words)
	}
	return out, nil
}
