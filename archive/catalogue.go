package archive

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"fmt"
	"os"
	"slices"
)

// defaultCatalogue is the built-in table of document types (docs/architecture.md,
// "The domain"), a string so that it cannot
// change. A deployment replaces it with LoadCatalogue when its province's rules differ.
//
//go:embed catalogue.json
var defaultCatalogue string

// Step is a stage of the expropriation procedure that document types belong to.
type Step struct {
	Code   string `json:"code"`
	NameZh string `json:"name_zh"`
	NameEn string `json:"name_en"`
}

// DocType is one entry of the document-type catalogue.
type DocType struct {
	// Code is the stable identifier used in records, e.g. "decision".
	Code   string `json:"code"`
	NameZh string `json:"name_zh"`
	NameEn string `json:"name_en"`
	// Step is the code of the procedure step the type belongs to.
	Step string `json:"step"`
	// Disclosure is the default class of the type's records, and the most open one a
	// record of the type may have.
	Disclosure Disclosure `json:"disclosure"`
	// Clock describes the deadline that governs the type, for people; the retention
	// and portal packages implement the deadlines themselves.
	Clock   string `json:"clock,omitempty"`
	ClockZh string `json:"clock_zh,omitempty"`
	// Retention is the default retention period of the type's records.
	Retention RetentionCode `json:"retention"`
	// Mandatory lists record fields (JSON names) that the type requires beyond those
	// every record requires (see RecordFields).
	Mandatory []string `json:"mandatory"`
	// Table: a record of the type may carry a per-household table (Table) beside
	// its file: the survey results (Decree 590 Art. 15), the preliminary
	// appraisal (评估办法 Art. 16), the compensation of each household (Art. 29).
	// Only a type whose class is public or area may have one.
	Table bool `json:"table,omitempty"`
}

// catalogueFile is the JSON form of a catalogue.
type catalogueFile struct {
	Schema  int       `json:"schema"`
	Formats []string  `json:"formats"`
	Steps   []Step    `json:"steps"`
	Types   []DocType `json:"types"`
}

// Catalogue is a validated, read-only document-type catalogue. Its methods return
// copies, so that no caller can change it under another.
type Catalogue struct {
	file   catalogueFile
	byCode map[string]int
}

// DefaultCatalogue returns the built-in catalogue (catalogue.json). It parses the embedded
// file on each call rather than sharing one value, which keeps the package free of
// global state; the file is small.
func DefaultCatalogue() *Catalogue {
	c, err := ParseCatalogue([]byte(defaultCatalogue))
	if err != nil {
		// The embedded file is checked by the package's tests; reaching this is a
		// build of broken source.
		panic("archive: built-in catalogue.json: " + err.Error())
	}
	return c
}

// LoadCatalogue reads a catalogue from a JSON file in the format of the built-in one
// (see catalogue.json in the source), replacing the built-in catalogue entirely.
func LoadCatalogue(path string) (*Catalogue, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("archive: load catalogue: %w", err)
	}
	c, err := ParseCatalogue(b)
	if err != nil {
		return nil, fmt.Errorf("archive: load catalogue %s: %w", path, err)
	}
	return c, nil
}

// ParseCatalogue parses and checks a catalogue: schema 1, unique codes, known steps,
// valid disclosure classes and retention codes, known mandatory fields. Unknown JSON
// fields are errors, so that a misspelt key in an override is not silently ignored.
func ParseCatalogue(b []byte) (*Catalogue, error) {
	var f catalogueFile
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("parse catalogue: %w", err)
	}
	var ps problems
	if f.Schema != 1 {
		ps.list = append(ps.list, Problem{Field: "schema", Message: fmt.Sprintf("schema %d: this version reads schema 1", f.Schema)})
	}
	if len(f.Formats) == 0 {
		ps.list = append(ps.list, Problem{Field: "formats", Message: "no allowed formats"})
	}
	steps := map[string]bool{}
	for i, s := range f.Steps {
		if s.Code == "" || steps[s.Code] {
			ps.list = append(ps.list, Problem{Field: fmt.Sprintf("steps[%d]", i), Message: fmt.Sprintf("step code %q empty or repeated", s.Code)})
		}
		steps[s.Code] = true
	}
	byCode := map[string]int{}
	for i, t := range f.Types {
		at := func(msg string, args ...any) {
			ps.list = append(ps.list, Problem{Field: fmt.Sprintf("types[%d]", i), Message: fmt.Sprintf("type %q: ", t.Code) + fmt.Sprintf(msg, args...)})
		}
		if !typeCodeOK(t.Code) {
			at("code must be 1 to 40 lowercase letters, digits and '_', starting with a letter")
		}
		if _, dup := byCode[t.Code]; dup {
			at("code repeated")
		}
		byCode[t.Code] = i
		if t.NameZh == "" || t.NameEn == "" {
			at("name_zh and name_en are required")
		}
		if !steps[t.Step] {
			at("unknown step %q", t.Step)
		}
		if !t.Disclosure.Valid() {
			at("unknown disclosure class %q", t.Disclosure)
		}
		if !t.Retention.Valid() {
			at("unknown retention code %q (want Y, D30 or D10)", t.Retention)
		}
		for _, m := range t.Mandatory {
			if !slices.Contains(optionalFields(), m) {
				at("mandatory field %q is not one of %v", m, optionalFields())
			}
		}
		if t.Table && t.Disclosure != Public && t.Disclosure != Area {
			at("a per-household table is shown to the project's households: the class must be public or area, not %q", t.Disclosure)
		}
	}
	if len(f.Types) == 0 {
		ps.list = append(ps.list, Problem{Field: "types", Message: "no document types"})
	}
	if err := ps.err("catalogue"); err != nil {
		return nil, err
	}
	return &Catalogue{file: f, byCode: byCode}, nil
}

// typeCodeOK: a type code is a snake-case name of up to 40 bytes.
func typeCodeOK(s string) bool { return snakeName(s, 40) }

// RecordFields lists the record fields every record must have, whatever its type.
func RecordFields() []string {
	return []string{"project", "type", "title", "date", "format", "file_name", "content"}
}

// optionalFields are the record fields a catalogue may make mandatory for a type.
func optionalFields() []string {
	return []string{"doc_number", "issuer", "archival_code", "pages", "household"}
}

// Type returns the document type with the given code.
func (c *Catalogue) Type(code string) (DocType, bool) {
	i, ok := c.byCode[code]
	if !ok {
		return DocType{}, false
	}
	return cloneType(c.file.Types[i]), true
}

// Types returns every document type in catalogue order.
func (c *Catalogue) Types() []DocType {
	out := make([]DocType, len(c.file.Types))
	for i, t := range c.file.Types {
		out[i] = cloneType(t)
	}
	return out
}

// Steps returns the procedure steps in catalogue order.
func (c *Catalogue) Steps() []Step { return slices.Clone(c.file.Steps) }

// Formats returns the file formats allowed for filing (usability, DA/T 70).
func (c *Catalogue) Formats() []string { return slices.Clone(c.file.Formats) }

func cloneType(t DocType) DocType {
	t.Mandatory = slices.Clone(t.Mandatory)
	return t
}
