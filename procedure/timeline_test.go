package procedure

import (
	"strings"
	"testing"
	"time"

	"github.com/gongshi-archive/gongshi/archive"
	"github.com/gongshi-archive/gongshi/calendar"
)

var d = archive.D

func newProcedure(t *testing.T) *Procedure {
	t.Helper()
	pr, err := New(archive.DefaultCatalogue(), calendar.Default(), calendar.DefaultRules(), DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	return pr
}

// noon returns 12:00 in China on day x.
func noon(x archive.Date) time.Time {
	return time.Date(x.Year, x.Month, x.Day, 4, 0, 0, 0, time.UTC)
}

func rec(id, typ string, date, published archive.Date) Record {
	return Record{ID: id, Type: typ, Title: "《" + typ + "》", Date: date, Published: published}
}

// entryOf finds a type's entry in a timeline.
func entryOf(t *testing.T, tl Timeline, typ string) Entry {
	t.Helper()
	for _, s := range tl.Steps {
		for _, e := range s.Entries {
			if e.Type == typ {
				return e
			}
		}
	}
	t.Fatalf("no entry %s", typ)
	return Entry{}
}

func stepOf(t *testing.T, tl Timeline, code string) Step {
	t.Helper()
	for _, s := range tl.Steps {
		if s.Code == code {
			return s
		}
	}
	t.Fatalf("no step %s", code)
	return Step{}
}

// lateProject is a project of 2026 with its steps in every state, among them the
// late ones a demo shows: the survey results published five days after their 20
// working days ran out (the Spring Festival in between), the decision dated inside
// the comment period, and the comments on the plan never published.
func lateProject() (Project, []Record) {
	p := Project{Code: "CC-2026-001", Category: archive.CategoryOldCityRenewal,
		Dates: map[string]archive.Date{"announcement": d(2026, 2, 25), "signing_end": d(2026, 12, 31), "site_office": d(2026, 1, 3)}}
	return p, []Record{
		rec("sus", "suspension_notice", d(2026, 1, 5), d(2026, 1, 6)),
		rec("srv", "survey_notice", d(2026, 1, 10), d(2026, 1, 12)),
		rec("res", "survey_result", d(2026, 1, 26), d(2026, 3, 5)), // due 2026-02-28
		rec("plan", "plan_draft", d(2026, 1, 20), d(2026, 1, 20)),  // comment period to 2026-02-24
		rec("risk", "risk_assessment", d(2026, 2, 1), archive.Date{}),
		rec("fund", "funding_proof", d(2026, 2, 2), archive.Date{}),
		rec("dec", "decision", d(2026, 2, 20), d(2026, 2, 25)), // inside the comment period
		rec("pre", "appraisal_preliminary", d(2026, 9, 24), d(2026, 9, 24)),
		rec("rep-2", "appraisal_report", d(2026, 10, 9), archive.Date{}),
		rec("rep-1", "appraisal_report", d(2026, 10, 9), archive.Date{}),
		rec("rck", "recheck", d(2026, 10, 15), archive.Date{}),
		rec("agr", "agreement", d(2026, 11, 2), archive.Date{}),
		rec("cmp", "household_compensation", d(2026, 11, 20), archive.Date{}), // due 2026-12-18
	}
}

func TestTimelineStates(t *testing.T) {
	pr := newProcedure(t)
	p, recs := lateProject()
	tl, err := pr.Timeline(p, recs, noon(d(2026, 12, 1)))
	if err != nil {
		t.Fatal(err)
	}
	if tl.Today != d(2026, 12, 1) || tl.Project != "CC-2026-001" {
		t.Errorf("timeline of %s on %s", tl.Project, tl.Today)
	}
	for _, tc := range []struct {
		typ       string
		state     State
		daysLate  int
		published archive.Date
		records   int
	}{
		{"policy", None, 0, archive.Date{}, 0},
		{"suspension_notice", Published, 0, d(2026, 1, 6), 1},
		{"survey_notice", Published, 0, d(2026, 1, 12), 1},
		{"survey_result", Late, 5, d(2026, 3, 5), 1},
		{"unregistered_finding", None, 0, archive.Date{}, 0},
		{"plan_draft", Published, 0, d(2026, 1, 20), 1},
		// Due 20 working days after the comment period ended on 2026-02-24: 2026-03-23.
		{"plan_feedback", Overdue, 253, archive.Date{}, 0},
		{"hearing", None, 0, archive.Date{}, 0}, // old-city renovation: possible, not held
		{"risk_assessment", Filed, 0, archive.Date{}, 1},
		{"funding_proof", Filed, 0, archive.Date{}, 1},
		{"decision", Late, 0, d(2026, 2, 25), 1}, // published in time, but flagged
		{"subsidy_policy", Pending, 0, archive.Date{}, 0},
		{"appraiser_selection", Pending, 0, archive.Date{}, 0},
		{"appraisal_preliminary", Published, 0, d(2026, 9, 24), 1},
		{"appraisal_report", Filed, 0, archive.Date{}, 2},
		{"recheck", Filed, 0, archive.Date{}, 1},
		{"expert_appraisal", None, 0, archive.Date{}, 0},
		{"agreement", Filed, 0, archive.Date{}, 1},
		{"household_compensation", Awaiting, 0, archive.Date{}, 1},
		{"enforcement", None, 0, archive.Date{}, 0},
		{"audit_result", Pending, 0, archive.Date{}, 0},
	} {
		e := entryOf(t, tl, tc.typ)
		if e.State != tc.state || e.DaysLate != tc.daysLate || e.Published != tc.published || len(e.Records) != tc.records {
			t.Errorf("%s: %s, %d days late, published %s, %d records; want %s, %d, %s, %d",
				tc.typ, e.State, e.DaysLate, e.Published, len(e.Records), tc.state, tc.daysLate, tc.published, tc.records)
		}
	}
	for _, tc := range []struct {
		step  string
		state State
	}{
		{"basis", None},
		{"preparation", Late},
		{"plan", Overdue},
		{"decision", Late},
		{"appraisal", InProgress},
		{"compensation", InProgress},
		{"enforcement", None},
		{"supervision", Pending},
	} {
		if s := stepOf(t, tl, tc.step); s.State != tc.state {
			t.Errorf("step %s: %s, want %s", tc.step, s.State, tc.state)
		}
	}
	if tl.Problems != 4 { // survey_result, plan_feedback, decision, and the comment period cut short
		t.Errorf("problems = %d, want 4", tl.Problems)
	}

	// The decision's flag: dated 2026-02-20, five days before the comment period's
	// last day (2026-02-24) had passed, that day included.
	dec := entryOf(t, tl, "decision")
	if len(dec.Flags) != 1 || dec.Flags[0] != (Flag{Rule: calendar.RuleCommentPeriod, Type: "plan_draft", End: d(2026, 2, 24), Days: 5}) {
		t.Errorf("decision flags = %+v", dec.Flags)
	}
	cp, ok := tl.Period(calendar.RuleCommentPeriod)
	if !ok || cp.Start != d(2026, 1, 20) || cp.End != d(2026, 2, 24) || cp.Status.State != calendar.CutShort || cp.BeforeDate != d(2026, 2, 20) {
		t.Errorf("comment period = %+v", cp)
	}
	pub, ok := tl.Period(calendar.RulePreliminaryPublicity)
	if !ok || pub.End != d(2026, 10, 8) || pub.Status.State != calendar.Met {
		t.Errorf("publicity = %+v", pub)
	}
	// Records in date order, then by id; each with its clock.
	reports := entryOf(t, tl, "appraisal_report").Records
	if reports[0].ID != "rep-1" || reports[1].ID != "rep-2" || reports[0].Clock.State != "" {
		t.Errorf("appraisal reports = %+v", reports)
	}
	survey := entryOf(t, tl, "survey_result").Records[0]
	if survey.Clock.State != calendar.Late || survey.Clock.Deadline != d(2026, 2, 28) || survey.State != Late {
		t.Errorf("survey result = %+v", survey)
	}
	comp := entryOf(t, tl, "household_compensation").Records[0]
	if comp.Clock.State != calendar.Running || comp.Clock.Deadline != d(2026, 12, 18) || comp.Clock.WorkingDaysLeft != 13 {
		t.Errorf("household compensation = %+v", comp)
	}
	if due := entryOf(t, tl, "plan_feedback").Due; due != d(2026, 3, 23) {
		t.Errorf("plan feedback due %s, want 2026-03-23", due)
	}
}

func TestTimelineKeyDates(t *testing.T) {
	pr := newProcedure(t)
	p, recs := lateProject()
	tl, err := pr.Timeline(p, recs, noon(d(2026, 12, 1)))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, k := range tl.KeyDates {
		got = append(got, k.Date.String()+" "+k.Name+" "+k.NameZh)
	}
	want := []string{
		"2026-01-03 site_office site_office",
		"2026-01-20 comment_period_start 征求意见开始",
		"2026-02-24 comment_period_end 征求意见期满",
		"2026-02-25 announcement 征收决定公告（评估时点）",
		"2026-09-24 preliminary_appraisal_publicity_start 初步评估结果公示开始",
		"2026-10-08 preliminary_appraisal_publicity_end 公示期满",
		"2026-12-31 signing_end 签约期截止",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("key dates:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestTimelineCommentCountdown: while the comment period runs, the timeline counts
// down to its last day; the day after, the plan's feedback clock starts.
func TestTimelineCommentCountdown(t *testing.T) {
	pr := newProcedure(t)
	p := Project{Code: "JL-2026-003", Category: archive.CategoryInfrastructure,
		Dates: map[string]archive.Date{"comment_start": d(2026, 9, 1)}}
	recs := []Record{rec("plan", "plan_draft", d(2026, 8, 28), d(2026, 8, 31))}
	for _, tc := range []struct {
		today    archive.Date
		state    calendar.State
		daysLeft int
		feedback State
	}{
		{d(2026, 9, 1), calendar.Running, 37, Pending}, // the 30th day is National Day: it ends 2026-10-08
		{d(2026, 10, 7), calendar.Running, 1, Pending},
		{d(2026, 10, 8), calendar.Running, 0, Pending},
		{d(2026, 10, 9), calendar.Met, -1, Pending},
		{d(2026, 11, 4), calendar.Met, -1, Pending}, // feedback due 20 working days after, one the make-up Saturday 2026-10-10
		{d(2026, 11, 5), calendar.Met, -1, Overdue}, // one day overdue
	} {
		tl, err := pr.Timeline(p, recs, noon(tc.today))
		if err != nil {
			t.Fatal(err)
		}
		cp, _ := tl.Period(calendar.RuleCommentPeriod)
		if cp.Start != d(2026, 9, 1) || cp.End != d(2026, 10, 8) || cp.Status.State != tc.state || cp.Status.DaysLeft != tc.daysLeft {
			t.Errorf("%s: comment period %s to %s, %s, %d days left; want %s, %d", tc.today, cp.Start, cp.End, cp.Status.State, cp.Status.DaysLeft, tc.state, tc.daysLeft)
		}
		if fb := entryOf(t, tl, "plan_feedback"); fb.State != tc.feedback {
			t.Errorf("%s: plan feedback %s (due %s), want %s", tc.today, fb.State, fb.Due, tc.feedback)
		}
		// Infrastructure: the hearing of Art. 11 is for old-city renovation only.
		if h := entryOf(t, tl, "hearing"); h.State != NotApplicable {
			t.Errorf("hearing: %s, want not applicable", h.State)
		}
	}
	// A decision after the period ended raises no flag.
	recs = append(recs, rec("dec", "decision", d(2026, 10, 9), d(2026, 10, 9)))
	tl, err := pr.Timeline(p, recs, noon(d(2026, 10, 20)))
	if err != nil {
		t.Fatal(err)
	}
	if e := entryOf(t, tl, "decision"); e.State != Published || len(e.Flags) != 0 {
		t.Errorf("decision after the period: %+v", e)
	}
	if tl.Problems != 0 {
		t.Errorf("problems = %d", tl.Problems)
	}
}

// TestTimelineDisclosureClock: one type, the day before, of and after its 20th
// working day (2026-10-22 for a decision dated 2026-09-18, across National Day).
func TestTimelineDisclosureClock(t *testing.T) {
	pr := newProcedure(t)
	p := Project{Code: "SP-2026-002"}
	for _, tc := range []struct {
		published, today archive.Date
		state            State
		daysLate         int
	}{
		{archive.Date{}, d(2026, 10, 21), Awaiting, 0},
		{archive.Date{}, d(2026, 10, 22), Awaiting, 0},
		{archive.Date{}, d(2026, 10, 23), Overdue, 1},
		{d(2026, 10, 21), d(2026, 10, 30), Published, 0},
		{d(2026, 10, 22), d(2026, 10, 30), Published, 0},
		{d(2026, 10, 23), d(2026, 10, 30), Late, 1},
		{d(2026, 11, 2), d(2026, 11, 2), Late, 11},
	} {
		tl, err := pr.Timeline(p, []Record{rec("dec", "decision", d(2026, 9, 18), tc.published)}, noon(tc.today))
		if err != nil {
			t.Fatal(err)
		}
		e := entryOf(t, tl, "decision")
		if e.State != tc.state || e.DaysLate != tc.daysLate {
			t.Errorf("published %s, today %s: %s %d days late; want %s %d", tc.published, tc.today, e.State, e.DaysLate, tc.state, tc.daysLate)
		}
		if s := stepOf(t, tl, "decision"); tc.state == Overdue && s.State != Overdue {
			t.Errorf("step: %s, want overdue", s.State)
		}
	}
	// A record filed more closed than its type (a restricted decision draft) has no
	// clock; one published without a clock is published.
	r := rec("dec", "decision", d(2026, 9, 18), archive.Date{})
	r.Disclosure = archive.Restricted
	tl, _ := pr.Timeline(p, []Record{r}, noon(d(2026, 12, 1)))
	if e := entryOf(t, tl, "decision"); e.State != Filed || e.Records[0].Clock.State != "" {
		t.Errorf("restricted decision: %+v", e)
	}
}

// TestTimelineUnknown: a document of December 2026 not yet published in 2027, when
// the calendar has no notice for 2027, is neither on time nor overdue: unknown.
func TestTimelineUnknown(t *testing.T) {
	pr := newProcedure(t)
	p := Project{Code: "YJ-2026-004"}
	recs := []Record{rec("dec", "decision", d(2026, 12, 10), archive.Date{})}
	tl, err := pr.Timeline(p, recs, noon(d(2027, 2, 1)))
	if err != nil {
		t.Fatal(err)
	}
	if e := entryOf(t, tl, "decision"); e.State != Unknown {
		t.Errorf("decision: %s, want unknown", e.State)
	}
	if s := stepOf(t, tl, "decision"); s.State != Unknown {
		t.Errorf("step: %s, want unknown", s.State)
	}
	// Published within days: met, whatever 2027 holds.
	recs[0].Published = d(2026, 12, 14)
	tl, _ = pr.Timeline(p, recs, noon(d(2027, 2, 1)))
	if e := entryOf(t, tl, "decision"); e.State != Published {
		t.Errorf("published decision: %s, want published", e.State)
	}
}

func TestTimelineRejectsUnknownType(t *testing.T) {
	pr := newProcedure(t)
	_, err := pr.Timeline(Project{Code: "X"}, []Record{rec("r1", "no_such_type", d(2026, 1, 5), archive.Date{})}, noon(d(2026, 2, 1)))
	if err == nil || !strings.Contains(err.Error(), "no_such_type") {
		t.Errorf("Timeline = %v, want an error naming the type", err)
	}
}

func TestTimelineEveryStep(t *testing.T) {
	pr := newProcedure(t)
	tl, err := pr.Timeline(Project{Code: "EMPTY"}, nil, noon(d(2026, 6, 1)))
	if err != nil {
		t.Fatal(err)
	}
	cat := archive.DefaultCatalogue()
	if len(tl.Steps) != len(cat.Steps()) {
		t.Fatalf("%d steps, want %d", len(tl.Steps), len(cat.Steps()))
	}
	n := 0
	for _, s := range tl.Steps {
		n += len(s.Entries)
		for _, e := range s.Entries {
			if dt, _ := cat.Type(e.Type); dt.Step != s.Code {
				t.Errorf("%s under step %s, catalogue says %s", e.Type, s.Code, dt.Step)
			}
			if e.State != Pending && e.State != None {
				t.Errorf("%s of an empty project: %s", e.Type, e.State)
			}
		}
	}
	if n != len(cat.Types()) {
		t.Errorf("%d entries, want one per type (%d)", n, len(cat.Types()))
	}
	if cp, _ := tl.Period(calendar.RuleCommentPeriod); cp.Status.State != calendar.NotStarted || !cp.Start.IsZero() {
		t.Errorf("comment period of an empty project: %+v", cp)
	}
	if len(tl.KeyDates) != 0 || tl.Problems != 0 {
		t.Errorf("key dates %v, problems %d", tl.KeyDates, tl.Problems)
	}
}
