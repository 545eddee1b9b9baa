package calendar

import (
	"bytes"
	_ "embed"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/gongshi-archive/gongshi/internal/strictjson"
)

// defaultRules is the table of the clocks the system keeps, each with its legal
// source; docs/clocks.md explains every line. A deployment overrides rules by code.
//
//go:embed rules.json
var defaultRules []byte

// The codes of the built-in rules, for the packages that start their periods.
const (
	RuleProactiveDisclosure  = "proactive_disclosure"
	RuleCommentPeriod        = "comment_period"
	RulePreliminaryPublicity = "preliminary_appraisal_publicity"
	RuleRecheckRequest       = "recheck_request"
	RuleRecheckAnswer        = "recheck_answer"
	RuleExpertRequest        = "expert_appraisal_request"
	RuleExpertOpinion        = "expert_appraisal_opinion"
	RuleRequestCorrection    = "request_correction_notice"
	RuleRequestAnswer        = "request_answer"
	RulePetitionAcceptance   = "petition_acceptance"
	RulePetitionAnswer       = "petition_answer"
)

// Unit is what a period is counted in.
type Unit string

// The units.
const (
	// Days are calendar days (日).
	Days Unit = "days"
	// WorkingDays are the days the calendar says are worked (工作日).
	WorkingDays Unit = "working_days"
)

// Limit says which side of a period's end an act must fall on.
type Limit string

// The limits.
const (
	// Deadline: the act (an answer, a publication) must come on or before the
	// period's last day.
	Deadline Limit = "deadline"
	// Minimum: the period must run in full before the next act: a decision dated on
	// or before the last day of the comment period came too early.
	Minimum Limit = "minimum"
)

// CorrectionMode says what a request for correction does to a period.
type CorrectionMode string

// The correction modes.
const (
	// NoCorrection: the rule knows no correction.
	NoCorrection CorrectionMode = ""
	// Restart: the period is counted afresh from the day the corrected request is
	// received (政府信息公开条例 Art. 30); until then it does not run.
	Restart CorrectionMode = "restart"
	// Suspend: the days from the correction notice to the corrected request do not
	// count; counting resumes where it stopped.
	Suspend CorrectionMode = "suspend"
)

// Source is the provision a rule comes from.
type Source struct {
	// Law is the instrument, e.g. 中华人民共和国政府信息公开条例.
	Law string `json:"law"`
	// Article is the provision, e.g. 第二十六条.
	Article string `json:"article"`
	// Text is the provision's wording, as far as the rule rests on it.
	Text string `json:"text,omitempty"`
	// Verified says the article number and Text were checked against the published
	// text of the law; false means they come from secondary sources and a
	// deployment should check them.
	Verified bool `json:"verified"`
	// Note says anything else a reader needs, e.g. that the length is set locally.
	Note string `json:"note,omitempty"`
}

// Extension is the one extension a period allows, given by a notice before it ends.
type Extension struct {
	// Length is counted in the rule's unit, after the period's original end.
	Length int `json:"length"`
	// Sources is where the extension comes from.
	Sources []Source `json:"sources"`
}

// Rule is one clock: how long, in which unit, on which side of its end an act must
// fall, and what may stop or lengthen it. Counting starts the day after the event
// (民法典 Art. 201); a period in calendar days whose last day is a rest day ends on the
// next working day when Roll is set (民法典 Art. 203). A period in working days always
// ends on one.
type Rule struct {
	Code   string `json:"code"`
	NameZh string `json:"name_zh"`
	NameEn string `json:"name_en"`
	Limit  Limit  `json:"limit"`
	Length int    `json:"length"`
	Unit   Unit   `json:"unit"`
	Roll   bool   `json:"roll"`
	// StartZh and StartEn name the event the period counts from, e.g. 收到申请之日.
	StartZh string `json:"start_zh"`
	StartEn string `json:"start_en"`
	// Local marks a length the national rules leave to local rules: the value here is
	// a default for the deployment to set.
	Local bool `json:"local,omitempty"`
	// Extension, when set, is the one extension the period allows.
	Extension *Extension `json:"extension,omitempty"`
	// Correction is what a request for correction does to the period.
	Correction CorrectionMode `json:"correction,omitempty"`
	// Suspensions says whether spans of days may be left out of the count (e.g. the
	// time a third party is consulted, 政府信息公开条例 Art. 33).
	Suspensions bool `json:"suspensions,omitempty"`
	// Sources are the provisions the rule rests on.
	Sources []Source `json:"sources"`
}

// Rules is a validated, read-only table of rules. Its methods return copies.
type Rules struct {
	counting []Source
	list     []Rule
	byCode   map[string]int
}

// rulesFile is the JSON form of a rules table.
type rulesFile struct {
	Schema int `json:"schema"`
	// Counting are the provisions on counting every rule follows (民法典 Art. 201, 203).
	Counting []Source `json:"counting,omitempty"`
	Rules    []Rule   `json:"rules"`
}

func (f *rulesFile) SchemaVersion() int { return f.Schema }

// DefaultRules returns the built-in rules table (rules.json in the source).
func DefaultRules() *Rules {
	rs, err := ParseRules(bytes.NewReader(defaultRules))
	if err != nil {
		// The embedded file is checked by the package's tests.
		panic("calendar: built-in rules.json: " + err.Error())
	}
	return rs
}

// LoadRules returns the built-in rules with those of a deployment's rules file (in
// the format of rules.json, holding only the rules it changes or adds) in their place.
// A nil r gives the built-in rules.
func LoadRules(r io.Reader) (*Rules, error) {
	if r == nil {
		return DefaultRules(), nil
	}
	o, err := ParseRules(r)
	if err != nil {
		return nil, err
	}
	return DefaultRules().With(o)
}

// ParseRules reads a rules table in the format of rules.json and checks every rule:
// a snake-case code given once, both names, a known limit and unit, a length of 1 to
// 3660, Roll only for calendar days, an extension of at least one unit, a known
// correction mode, at least one source naming its law. Unknown fields are errors.
// A deployment's file may hold only the rules it changes; see Rules.With.
func ParseRules(r io.Reader) (*Rules, error) {
	var f rulesFile
	if err := strictjson.Decode(r, maxFileSize, &f, 1); err != nil {
		return nil, fmt.Errorf("calendar: parse rules: %w", err)
	}
	return newRules(f.Counting, f.Rules)
}

func newRules(counting []Source, list []Rule) (*Rules, error) {
	var ps []string
	byCode := map[string]int{}
	for i, r := range list {
		for _, p := range r.problems() {
			ps = append(ps, fmt.Sprintf("rules[%d] %q: %s", i, r.Code, p))
		}
		if _, dup := byCode[r.Code]; dup {
			ps = append(ps, fmt.Sprintf("rules[%d] %q: code given twice", i, r.Code))
		}
		byCode[r.Code] = i
	}
	for i, s := range counting {
		if strings.TrimSpace(s.Law) == "" {
			ps = append(ps, fmt.Sprintf("counting[%d]: law is required", i))
		}
	}
	if len(ps) > 0 {
		return nil, fmt.Errorf("calendar: rules: %s", strings.Join(ps, "; "))
	}
	rs := &Rules{counting: slices.Clone(counting), byCode: byCode}
	for _, r := range list {
		rs.list = append(rs.list, cloneRule(r))
	}
	return rs, nil
}

// maxLength bounds a period's length: ten years of days.
const maxLength = 3660

func (r Rule) problems() []string {
	var ps []string
	add := func(format string, args ...any) { ps = append(ps, fmt.Sprintf(format, args...)) }
	if !snakeCode(r.Code) {
		add("code must be 1 to 40 lowercase letters, digits and '_', starting with a letter")
	}
	if strings.TrimSpace(r.NameZh) == "" || strings.TrimSpace(r.NameEn) == "" {
		add("name_zh and name_en are required")
	}
	if r.Limit != Deadline && r.Limit != Minimum {
		add("limit %q: want deadline or minimum", r.Limit)
	}
	if r.Length < 1 || r.Length > maxLength {
		add("length %d: want 1 to %d", r.Length, maxLength)
	}
	switch r.Unit {
	case Days:
	case WorkingDays:
		if r.Roll {
			add("roll applies to periods in calendar days; one in working days always ends on a working day")
		}
	default:
		add("unit %q: want days or working_days", r.Unit)
	}
	if r.Extension != nil && (r.Extension.Length < 1 || r.Extension.Length > maxLength) {
		add("extension length %d: want 1 to %d", r.Extension.Length, maxLength)
	}
	if r.Correction != NoCorrection && r.Correction != Restart && r.Correction != Suspend {
		add("correction %q: want restart, suspend or none", r.Correction)
	}
	if len(r.Sources) == 0 {
		add("no source: every rule names the provision it comes from")
	}
	for i, s := range r.Sources {
		if strings.TrimSpace(s.Law) == "" {
			add("sources[%d]: law is required", i)
		}
	}
	return ps
}

func snakeCode(s string) bool {
	if len(s) == 0 || len(s) > 40 || s[0] < 'a' || s[0] > 'z' {
		return false
	}
	return strings.Trim(s, "abcdefghijklmnopqrstuvwxyz0123456789_") == ""
}

func cloneRule(r Rule) Rule {
	r.Sources = slices.Clone(r.Sources)
	if r.Extension != nil {
		e := *r.Extension
		e.Sources = slices.Clone(e.Sources)
		r.Extension = &e
	}
	return r
}

// Rule returns the rule with the given code.
func (rs *Rules) Rule(code string) (Rule, bool) {
	i, ok := rs.byCode[code]
	if !ok {
		return Rule{}, false
	}
	return cloneRule(rs.list[i]), true
}

// List returns every rule in table order.
func (rs *Rules) List() []Rule {
	out := make([]Rule, len(rs.list))
	for i, r := range rs.list {
		out[i] = cloneRule(r)
	}
	return out
}

// Counting returns the provisions on counting that every rule follows.
func (rs *Rules) Counting() []Source { return slices.Clone(rs.counting) }

// With returns a table where each rule of o replaces the rule of the same code, or is
// added after the others when its code is new: how a deployment sets, say, its
// province's publicity period. The counting provisions of o, when it has any, replace
// those of rs.
func (rs *Rules) With(o *Rules) (*Rules, error) {
	list := rs.List()
	for _, r := range o.list {
		if i, ok := rs.byCode[r.Code]; ok {
			list[i] = cloneRule(r)
		} else {
			list = append(list, cloneRule(r))
		}
	}
	counting := rs.counting
	if len(o.counting) > 0 {
		counting = o.counting
	}
	return newRules(counting, list)
}
