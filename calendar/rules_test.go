package calendar

import (
	"strings"
	"testing"
)

func TestDefaultRules(t *testing.T) {
	rs := DefaultRules()
	codes := []string{RuleProactiveDisclosure, RuleCommentPeriod, RulePreliminaryPublicity,
		RuleRecheckRequest, RuleRecheckAnswer, RuleExpertRequest, RuleExpertOpinion,
		RuleRequestCorrection, RuleRequestAnswer, RulePetitionAcceptance, RulePetitionAnswer}
	if got := len(rs.List()); got != len(codes) {
		t.Errorf("%d rules, want %d", got, len(codes))
	}
	for _, code := range codes {
		r, ok := rs.Rule(code)
		if !ok {
			t.Errorf("no rule %q", code)
			continue
		}
		if len(r.Sources) == 0 || r.Sources[0].Law == "" || r.StartZh == "" || r.StartEn == "" {
			t.Errorf("%s: no source or start: %+v", code, r)
		}
	}
	for _, tc := range []struct {
		code   string
		limit  Limit
		length int
		unit   Unit
		ext    int
	}{
		{RuleProactiveDisclosure, Deadline, 20, WorkingDays, 0},
		{RuleCommentPeriod, Minimum, 30, Days, 0},
		{RulePreliminaryPublicity, Minimum, 7, Days, 0},
		{RuleRecheckRequest, Deadline, 10, Days, 0},
		{RuleRecheckAnswer, Deadline, 10, Days, 0},
		{RuleExpertRequest, Deadline, 10, Days, 0},
		{RuleExpertOpinion, Deadline, 10, Days, 0},
		{RuleRequestCorrection, Deadline, 7, WorkingDays, 0},
		{RuleRequestAnswer, Deadline, 20, WorkingDays, 20},
		{RulePetitionAcceptance, Deadline, 15, Days, 0},
		{RulePetitionAnswer, Deadline, 60, Days, 30},
	} {
		r, _ := rs.Rule(tc.code)
		ext := 0
		if r.Extension != nil {
			ext = r.Extension.Length
		}
		if r.Limit != tc.limit || r.Length != tc.length || r.Unit != tc.unit || ext != tc.ext || r.Roll != (tc.unit == Days) {
			t.Errorf("%s = %s %d %s roll=%v extension %d; want %s %d %s extension %d", tc.code, r.Limit, r.Length, r.Unit, r.Roll, ext, tc.limit, tc.length, tc.unit, tc.ext)
		}
	}
	if r, _ := rs.Rule(RuleRequestAnswer); r.Correction != Restart || !r.Suspensions {
		t.Errorf("request_answer: correction %q, suspensions %v; want restart and suspensions", r.Correction, r.Suspensions)
	}
	if len(rs.Counting()) != 3 {
		t.Errorf("counting provisions = %v", rs.Counting())
	}
	// Copies: changing what a caller got changes nothing inside.
	r, _ := rs.Rule(RuleRequestAnswer)
	r.Sources[0].Law, r.Extension.Length = "changed", 99
	if again, _ := rs.Rule(RuleRequestAnswer); again.Sources[0].Law == "changed" || again.Extension.Length == 99 {
		t.Error("Rule returned shared data")
	}
}

// TestRulesWith: a deployment sets its province's publicity period and adds a clock.
func TestRulesWith(t *testing.T) {
	override, err := ParseRules(strings.NewReader(`{"schema": 1, "rules": [
		{"code": "preliminary_appraisal_publicity", "name_zh": "分户初步评估结果公示期", "name_en": "Publicity",
		 "limit": "minimum", "length": 10, "unit": "days", "roll": true, "start_zh": "公示之日", "start_en": "posting", "local": true,
		 "sources": [{"law": "某省国有土地上房屋征收与补偿条例", "article": "第二十条", "verified": true}]},
		{"code": "survey_publicity", "name_zh": "调查结果公示期", "name_en": "Survey results publicity",
		 "limit": "minimum", "length": 5, "unit": "working_days", "start_zh": "公布之日", "start_en": "posting",
		 "sources": [{"law": "某市办法", "article": "第八条", "verified": true}]}]}`))
	if err != nil {
		t.Fatal(err)
	}
	rs, err := DefaultRules().With(override)
	if err != nil {
		t.Fatal(err)
	}
	if r, _ := rs.Rule(RulePreliminaryPublicity); r.Length != 10 || r.Sources[0].Law != "某省国有土地上房屋征收与补偿条例" {
		t.Errorf("publicity = %+v", r)
	}
	if _, ok := rs.Rule("survey_publicity"); !ok || len(rs.List()) != len(DefaultRules().List())+1 {
		t.Error("new rule not added")
	}
	if len(rs.Counting()) != 3 {
		t.Error("counting provisions lost")
	}
	c := Default()
	r, _ := rs.Rule(RulePreliminaryPublicity)
	// Posted 2026-09-24: the 10th day, 2026-10-04, is in National Day: it ends 2026-10-08.
	if got, err := c.Deadline(Period{Rule: r, Start: D(2026, 9, 24)}); err != nil || got != D(2026, 10, 8) {
		t.Errorf("10-day publicity: %s, %v", got, err)
	}
}

func TestParseRulesRejects(t *testing.T) {
	rule := func(fields string) string {
		return `{"schema": 1, "rules": [{"code": "x", "name_zh": "甲", "name_en": "A", "limit": "deadline", "length": 10, "unit": "days",
			"start_zh": "s", "start_en": "s", "sources": [{"law": "L", "article": "1", "verified": true}]` + fields + `}]}`
	}
	for _, tc := range []struct{ name, in, want string }{
		{"schema", `{"schema": 2, "rules": []}`, "schema 2"},
		{"unknown field", rule(`, "lenght": 5`), `unknown field "lenght"`},
		{"trailing data", rule(``) + `[]`, "data after the JSON object"},
		{"roll in working days", strings.Replace(rule(`, "roll": true`), `"days"`, `"working_days"`, 1), "roll applies to periods in calendar days"},
		{"zero length", strings.Replace(rule(``), `"length": 10`, `"length": 0`, 1), "length 0"},
		{"unknown unit", strings.Replace(rule(``), `"unit": "days"`, `"unit": "weeks"`, 1), `unit "weeks"`},
		{"unknown limit", strings.Replace(rule(``), `"deadline"`, `"maximum"`, 1), `limit "maximum"`},
		{"bad code", strings.Replace(rule(``), `"code": "x"`, `"code": "X-1"`, 1), "code must be"},
		{"no source", strings.Replace(rule(``), `[{"law": "L", "article": "1", "verified": true}]`, `[]`, 1), "no source"},
		{"bad extension", rule(`, "extension": {"length": 0, "sources": []}`), "extension length 0"},
		{"bad correction", rule(`, "correction": "pause"`), `correction "pause"`},
		{"twice", strings.Replace(rule(``), `"rules": [`, `"rules": [{"code": "x", "name_zh": "甲", "name_en": "A", "limit": "deadline", "length": 1, "unit": "days", "start_zh": "s", "start_en": "s", "sources": [{"law": "L", "verified": true}]}, `, 1), "code given twice"},
	} {
		_, err := ParseRules(strings.NewReader(tc.in))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: ParseRules = %v, want an error containing %q", tc.name, err, tc.want)
		}
	}
}

// FuzzParseRules: a rules file never panics the parser, and an accepted rule always
// gives a deadline on the built-in calendar or a clear error.
func FuzzParseRules(f *testing.F) {
	f.Add(string(defaultRules))
	f.Fuzz(func(t *testing.T, s string) {
		rs, err := ParseRules(strings.NewReader(s))
		if err != nil {
			return
		}
		c := Default()
		for _, r := range rs.List() {
			if _, err := c.Deadline(Period{Rule: r, Start: D(2024, 5, 1)}); err != nil && r.Length < 200 {
				t.Fatalf("rule %s: %v", r.Code, err)
			}
		}
	})
}

func TestLoadRules(t *testing.T) {
	rs, err := LoadRules(strings.NewReader(`{"schema": 1, "rules": [{"code": "recheck_request", "name_zh": "申请复核评估期限", "name_en": "Re-check request",
		"limit": "deadline", "length": 15, "unit": "days", "roll": true, "start_zh": "收到评估报告之日", "start_en": "delivery",
		"sources": [{"law": "某省办法", "article": "第十条", "verified": true}]}]}`))
	if err != nil {
		t.Fatal(err)
	}
	if r, _ := rs.Rule(RuleRecheckRequest); r.Length != 15 {
		t.Errorf("recheck_request = %d days", r.Length)
	}
	if len(rs.List()) != len(DefaultRules().List()) {
		t.Error("LoadRules lost rules")
	}
	if rs, err := LoadRules(nil); err != nil || len(rs.List()) != len(DefaultRules().List()) {
		t.Errorf("LoadRules(nil) = %v", err)
	}
	if _, err := LoadRules(strings.NewReader(`{"schema": 1, "rules": [{"code": "x"}]}`)); err == nil {
		t.Error("LoadRules accepted a broken rule")
	}
}
