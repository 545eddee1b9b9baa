package procedure

import (
	"bytes"
	_ "embed"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/gongshi-archive/gongshi/archive"
	"github.com/gongshi-archive/gongshi/calendar"
	"github.com/gongshi-archive/gongshi/internal/strictjson"
)

// defaultConfig says, for each document type of the default catalogue, whether a
// project is expected to have it, for which categories, and which clocks govern it.
// docs/clocks.md explains it; a deployment replaces it with ParseConfig.
//
//go:embed steps.json
var defaultConfig []byte

// When says whether a project is expected to have records of a type.
type When string

// The expectations.
const (
	// Always: every project of the type's categories has it; until it is filed the
	// timeline shows it pending.
	Always When = "always"
	// IfAny: only some projects have it (a hearing, a compensation decision, court
	// enforcement); without a record the timeline shows "none", never pending.
	IfAny When = "if_any"
)

// PeriodSpec is a minimum period that a type's first record opens, such as the
// comment period that the draft compensation plan opens.
type PeriodSpec struct {
	// Rule is the calendar rule, e.g. comment_period.
	Rule string `json:"rule"`
	// StartKey names a project key date that, when set, is the period's start instead
	// of the first record's date (the day the plan was actually put out for comment).
	StartKey string `json:"start_key,omitempty"`
	// Before is the type whose first record must come after the period ends (the
	// decision after the comment period).
	Before string `json:"before,omitempty"`
	// Names of the period's start and end in the key dates.
	StartNameZh string `json:"start_name_zh"`
	StartNameEn string `json:"start_name_en"`
	EndNameZh   string `json:"end_name_zh"`
	EndNameEn   string `json:"end_name_en"`
}

// DueSpec makes a type due within a rule after another type's period ends: the
// comments and revisions (Art. 11) are due once the comment period is over.
type DueSpec struct {
	// After is the type whose period's end starts the clock.
	After string `json:"after"`
	// Rule is the calendar rule counted from that end.
	Rule string `json:"rule"`
}

// TypeConfig is what the timeline knows of one document type beyond the catalogue.
type TypeConfig struct {
	Type string `json:"type"`
	// When is Always unless set.
	When When `json:"when,omitempty"`
	// Categories, when set, are the only project categories the type applies to
	// (the hearing of Art. 11 is for old-city renovation). A project with no category
	// recorded gets every type.
	Categories []archive.Category `json:"categories,omitempty"`
	// DisclosureClock turns the proactive-disclosure clock off for the type when set to
	// false; it applies by default to every record whose class is public or area.
	DisclosureClock *bool `json:"disclosure_clock,omitempty"`
	// Period is a minimum period the type's first record opens.
	Period *PeriodSpec `json:"period,omitempty"`
	// Due makes the type due after another type's period.
	Due *DueSpec `json:"due,omitempty"`
}

// KeyDateName labels a project key date (archive.Project.Dates) for people.
type KeyDateName struct {
	Name   string `json:"name"`
	NameZh string `json:"name_zh"`
	NameEn string `json:"name_en"`
}

// Config is the timeline's table: TypeConfig per document type, in the order the
// catalogue does not give (types of one step are shown in this order), and the labels
// of key dates.
type Config struct {
	Schema int `json:"schema"`
	// DisclosureRule is the calendar rule of proactive disclosure.
	DisclosureRule string        `json:"disclosure_rule"`
	Types          []TypeConfig  `json:"types"`
	KeyDates       []KeyDateName `json:"key_dates"`
}

// SchemaVersion is the version of the file c was read from.
func (c *Config) SchemaVersion() int { return c.Schema }

// DefaultConfig returns the built-in table (steps.json in the source), which fits the
// default catalogue.
func DefaultConfig() *Config {
	c, err := ParseConfig(bytes.NewReader(defaultConfig))
	if err != nil {
		panic("procedure: built-in steps.json: " + err.Error())
	}
	return c
}

// ParseConfig reads a table in the format of steps.json. It checks the form here;
// New checks it against a catalogue and a rules table. Unknown fields are errors.
func ParseConfig(r io.Reader) (*Config, error) {
	var c Config
	if err := strictjson.Decode(r, 1<<20, &c, 1); err != nil {
		return nil, fmt.Errorf("procedure: parse config: %w", err)
	}
	return &c, nil
}

// check lists every way c does not fit the catalogue and the rules.
func (c *Config) check(cat *archive.Catalogue, rules *calendar.Rules) error {
	var ps []string
	add := func(format string, args ...any) { ps = append(ps, fmt.Sprintf(format, args...)) }
	rule := func(where, code string, limit calendar.Limit) {
		r, ok := rules.Rule(code)
		switch {
		case !ok:
			add("%s: no rule %q in the rules table", where, code)
		case r.Limit != limit:
			add("%s: rule %q is a %s, want a %s", where, code, r.Limit, limit)
		}
	}
	rule("disclosure_rule", c.DisclosureRule, calendar.Deadline)
	seen := map[string]bool{}
	for i, t := range c.Types {
		where := fmt.Sprintf("types[%d] %q", i, t.Type)
		if _, ok := cat.Type(t.Type); !ok {
			add("%s: not a type of the catalogue", where)
		}
		if seen[t.Type] {
			add("%s: given twice", where)
		}
		seen[t.Type] = true
		if t.When != "" && t.When != Always && t.When != IfAny {
			add("%s: when %q: want always or if_any", where, t.When)
		}
		for _, k := range t.Categories {
			if !k.Valid() {
				add("%s: unknown category %q", where, k)
			}
		}
		if p := t.Period; p != nil {
			rule(where+" period", p.Rule, calendar.Minimum)
			if _, ok := cat.Type(p.Before); p.Before != "" && !ok {
				add("%s: period before %q: not a type of the catalogue", where, p.Before)
			}
			if strings.TrimSpace(p.StartNameZh) == "" || strings.TrimSpace(p.EndNameZh) == "" ||
				strings.TrimSpace(p.StartNameEn) == "" || strings.TrimSpace(p.EndNameEn) == "" {
				add("%s: period: the names of its start and end are required", where)
			}
		}
		if d := t.Due; d != nil {
			rule(where+" due", d.Rule, calendar.Deadline)
			if !slices.ContainsFunc(c.Types, func(o TypeConfig) bool { return o.Type == d.After && o.Period != nil }) {
				add("%s: due after %q: that type opens no period", where, d.After)
			}
		}
	}
	for i, k := range c.KeyDates {
		if k.Name == "" || k.NameZh == "" || k.NameEn == "" {
			add("key_dates[%d]: name, name_zh and name_en are required", i)
		}
	}
	if len(ps) > 0 {
		return fmt.Errorf("procedure: config: %s", strings.Join(ps, "; "))
	}
	return nil
}
