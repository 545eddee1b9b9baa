package procedure

import (
	"strings"
	"testing"

	"github.com/gongshi-archive/gongshi/archive"
	"github.com/gongshi-archive/gongshi/calendar"
)

// TestDefaultConfigCoversCatalogue: the built-in table lists every type of the
// built-in catalogue once, so none falls back to the defaults unnoticed.
func TestDefaultConfigCoversCatalogue(t *testing.T) {
	cfg := DefaultConfig()
	listed := map[string]bool{}
	for _, tc := range cfg.Types {
		listed[tc.Type] = true
	}
	for _, dt := range archive.DefaultCatalogue().Types() {
		if !listed[dt.Code] {
			t.Errorf("type %s missing from steps.json", dt.Code)
		}
	}
	if _, err := New(archive.DefaultCatalogue(), calendar.Default(), calendar.DefaultRules(), cfg); err != nil {
		t.Fatal(err)
	}
}

func TestConfigRejects(t *testing.T) {
	base := `"schema": 1, "disclosure_rule": "proactive_disclosure", "key_dates": []`
	for _, tc := range []struct{ name, in, want string }{
		{"schema", `{"schema": 2}`, "schema 2"},
		{"unknown field", `{` + base + `, "type": []}`, `unknown field "type"`},
		{"trailing", `{` + base + `, "types": []} {}`, "data after the JSON object"},
		{"unknown type", `{` + base + `, "types": [{"type": "nope"}]}`, `"nope": not a type of the catalogue`},
		{"twice", `{` + base + `, "types": [{"type": "policy"}, {"type": "policy"}]}`, "given twice"},
		{"when", `{` + base + `, "types": [{"type": "policy", "when": "sometimes"}]}`, `when "sometimes"`},
		{"category", `{` + base + `, "types": [{"type": "hearing", "categories": ["old_town"]}]}`, `unknown category "old_town"`},
		{"disclosure rule", `{"schema": 1, "disclosure_rule": "comment_period", "types": [], "key_dates": []}`, "is a minimum, want a deadline"},
		{"period rule", `{` + base + `, "types": [{"type": "plan_draft", "period": {"rule": "proactive_disclosure", "start_name_zh": "a", "start_name_en": "a", "end_name_zh": "b", "end_name_en": "b"}}]}`, "is a deadline, want a minimum"},
		{"period names", `{` + base + `, "types": [{"type": "plan_draft", "period": {"rule": "comment_period"}}]}`, "names of its start and end"},
		{"period before", `{` + base + `, "types": [{"type": "plan_draft", "period": {"rule": "comment_period", "before": "nope", "start_name_zh": "a", "start_name_en": "a", "end_name_zh": "b", "end_name_en": "b"}}]}`, `before "nope"`},
		{"no such rule", `{` + base + `, "types": [{"type": "plan_feedback", "due": {"after": "plan_draft", "rule": "soon"}}]}`, `no rule "soon"`},
		{"due without period", `{` + base + `, "types": [{"type": "plan_feedback", "due": {"after": "plan_draft", "rule": "proactive_disclosure"}}]}`, "opens no period"},
		{"key date", `{"schema": 1, "disclosure_rule": "proactive_disclosure", "types": [], "key_dates": [{"name": "x"}]}`, "key_dates[0]"},
	} {
		cfg, err := ParseConfig(strings.NewReader(tc.in))
		if err == nil {
			_, err = New(archive.DefaultCatalogue(), calendar.Default(), calendar.DefaultRules(), cfg)
		}
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want an error containing %q", tc.name, err, tc.want)
		}
	}
}

// TestConfigDefaults: a type the table does not list is occasional, with the
// disclosure clock; a type can have its clock turned off.
func TestConfigDefaults(t *testing.T) {
	cfg, err := ParseConfig(strings.NewReader(`{"schema": 1, "disclosure_rule": "proactive_disclosure",
		"types": [{"type": "site_chart", "disclosure_clock": false}], "key_dates": []}`))
	if err != nil {
		t.Fatal(err)
	}
	pr, err := New(archive.DefaultCatalogue(), calendar.Default(), calendar.DefaultRules(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	tl, err := pr.Timeline(Project{Code: "P"}, []Record{
		rec("pol", "policy", d(2026, 1, 5), archive.Date{}),
		rec("chart", "site_chart", d(2026, 1, 5), archive.Date{}),
	}, noon(d(2026, 6, 1)))
	if err != nil {
		t.Fatal(err)
	}
	if e := entryOf(t, tl, "policy"); e.State != Overdue || e.When != IfAny {
		t.Errorf("policy: %s %s, want overdue if_any", e.State, e.When)
	}
	if e := entryOf(t, tl, "site_chart"); e.State != Filed || e.When != Always {
		t.Errorf("site chart without a clock: %s %s, want filed always", e.State, e.When)
	}
	if e := entryOf(t, tl, "decision"); e.State != None {
		t.Errorf("decision not in the table: %s, want none", e.State)
	}
}

func TestRecordOf(t *testing.T) {
	r := archive.Record{ID: "r1", Type: "decision", Title: "关于征收的决定", Date: d(2026, 3, 18), Disclosure: archive.Public}
	if got := RecordOf(r, d(2026, 3, 19)); got != (Record{ID: "r1", Type: "decision", Title: "关于征收的决定", Date: d(2026, 3, 18), Disclosure: archive.Public, Published: d(2026, 3, 19)}) {
		t.Errorf("RecordOf = %+v", got)
	}
}
