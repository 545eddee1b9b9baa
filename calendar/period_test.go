package calendar

import (
	"errors"
	"fmt"
	"testing"
)

func rule(t *testing.T, code string) Rule {
	t.Helper()
	r, ok := DefaultRules().Rule(code)
	if !ok {
		t.Fatalf("no rule %q", code)
	}
	return r
}

// deadlineCase is one period and the last day it must have. The expected days were
// counted by hand on the notices and checked with an independent count over lunar-go's
// data.
type deadlineCase struct {
	name string
	p    Period
	want Date
	// ext: the extension counts; extLate: it came after the original last day.
	ext, extLate bool
}

func deadlineCases(t *testing.T) []deadlineCase {
	r := func(code string) Rule { return rule(t, code) }
	return []deadlineCase{
		{"proactive disclosure across the Spring Festival, ending on a make-up Saturday",
			Period{Rule: r(RuleProactiveDisclosure), Start: D(2026, 1, 26)}, D(2026, 2, 28), false, false},
		{"proactive disclosure across Mid-Autumn and National Day",
			Period{Rule: r(RuleProactiveDisclosure), Start: D(2026, 9, 18)}, D(2026, 10, 22), false, false},
		{"comment period whose 30th day is in the Spring Festival",
			Period{Rule: r(RuleCommentPeriod), Start: D(2026, 1, 20)}, D(2026, 2, 24), false, false},
		{"comment period whose 30th day is National Day",
			Period{Rule: r(RuleCommentPeriod), Start: D(2026, 9, 1)}, D(2026, 10, 8), false, false},
		{"publicity ending in the National Day holiday",
			Period{Rule: r(RulePreliminaryPublicity), Start: D(2026, 9, 24)}, D(2026, 10, 8), false, false},
		{"publicity ending on a make-up Saturday (worked, so it does not move)",
			Period{Rule: r(RulePreliminaryPublicity), Start: D(2026, 10, 3)}, D(2026, 10, 10), false, false},
		{"re-check request whose 10th day is in the Spring Festival",
			Period{Rule: r(RuleRecheckRequest), Start: D(2026, 2, 5)}, D(2026, 2, 24), false, false},
		{"re-check request moved onto a make-up Saturday (2023)",
			Period{Rule: r(RuleRecheckRequest), Start: D(2023, 9, 26)}, D(2023, 10, 7), false, false},
		{"re-check answer due on a make-up Saturday",
			Period{Rule: r(RuleRecheckAnswer), Start: D(2026, 9, 30)}, D(2026, 10, 10), false, false},
		{"expert appraisal request whose 10th day is National Day",
			Period{Rule: r(RuleExpertRequest), Start: D(2026, 9, 27)}, D(2026, 10, 8), false, false},
		{"expert opinion whose 10th day is the last day off of the Spring Festival",
			Period{Rule: r(RuleExpertOpinion), Start: D(2026, 2, 13)}, D(2026, 2, 24), false, false},
		{"correction notice within 7 working days, across the Spring Festival",
			Period{Rule: r(RuleRequestCorrection), Start: D(2026, 2, 10)}, D(2026, 2, 26), false, false},
		{"disclosure request across National Day",
			Period{Rule: r(RuleRequestAnswer), Start: D(2026, 9, 18)}, D(2026, 10, 22), false, false},
		{"disclosure request extended by 20 working days with a notice in time",
			Period{Rule: r(RuleRequestAnswer), Start: D(2026, 9, 18), Extended: D(2026, 10, 20)}, D(2026, 11, 19), true, false},
		{"disclosure request extended on its last day",
			Period{Rule: r(RuleRequestAnswer), Start: D(2026, 9, 18), Extended: D(2026, 10, 22)}, D(2026, 11, 19), true, false},
		{"disclosure request whose extension came a day late",
			Period{Rule: r(RuleRequestAnswer), Start: D(2026, 9, 18), Extended: D(2026, 10, 23)}, D(2026, 10, 22), false, true},
		{"disclosure request counted afresh from the corrected request",
			Period{Rule: r(RuleRequestAnswer), Start: D(2026, 1, 26),
				Corrections: []Correction{{Asked: D(2026, 1, 30), Received: D(2026, 2, 10)}}}, D(2026, 3, 16), false, false},
		{"disclosure request with a third party consulted for two weeks",
			Period{Rule: r(RuleRequestAnswer), Start: D(2026, 1, 26),
				Suspended: []Span{{From: D(2026, 2, 2), To: D(2026, 2, 13)}}}, D(2026, 3, 13), false, false},
		{"petition acceptance whose 15th day is in the Spring Festival",
			Period{Rule: r(RulePetitionAcceptance), Start: D(2026, 1, 31)}, D(2026, 2, 24), false, false},
		{"petition whose 60th day is National Day",
			Period{Rule: r(RulePetitionAnswer), Start: D(2026, 8, 2)}, D(2026, 10, 8), false, false},
		{"petition extended by 30 days: 90 days in all, the 90th a Saturday",
			Period{Rule: r(RulePetitionAnswer), Start: D(2026, 8, 2), Extended: D(2026, 9, 30)}, D(2026, 11, 2), true, false},
	}
}

func TestDeadline(t *testing.T) {
	c := Default()
	for _, tc := range deadlineCases(t) {
		if got, err := c.Deadline(tc.p); err != nil || got != tc.want {
			t.Errorf("%s: Deadline = %s, %v; want %s", tc.name, got, err, tc.want)
		}
	}
	// Without Art. 203's roll the comment period would end in the holiday.
	p := Period{Rule: rule(t, RuleCommentPeriod), Start: D(2026, 1, 20)}
	p.Rule.Roll = false
	if got, err := c.Deadline(p); err != nil || got != D(2026, 2, 19) {
		t.Errorf("comment period without roll: Deadline = %s, %v; want 2026-02-19", got, err)
	}
}

// TestStatusAroundDeadline: every period, on the day before, the day of and the day
// after its last day, with the act on each of those days and with no act yet.
func TestStatusAroundDeadline(t *testing.T) {
	c := Default()
	for _, tc := range deadlineCases(t) {
		end := tc.want
		before, after := end.AddDays(-1), end.AddDays(1)
		wdLeft, wdLast := -1, -1 // working days left the day before and on the last day
		if tc.p.Rule.Unit == WorkingDays {
			wdLeft, wdLast = 1, 0
		}
		type check struct {
			act, today Date
			want       Status
		}
		var checks []check
		if tc.p.Rule.Limit == Deadline {
			checks = []check{
				{before, after, Status{State: Met}},
				{end, after, Status{State: Met}},
				{after, after, Status{State: Late, DaysLate: 1}},
				{Date{}, before, Status{State: Running, DaysLeft: 1, WorkingDaysLeft: wdLeft}},
				{Date{}, end, Status{State: Running, DaysLeft: 0, WorkingDaysLeft: wdLast}},
				{Date{}, after, Status{State: Overdue, DaysLate: 1}},
				{Date{}, end.AddDays(5), Status{State: Overdue, DaysLate: 5}},
			}
		} else {
			checks = []check{
				{before, before, Status{State: CutShort, DaysLate: 2}},
				{end, end, Status{State: CutShort, DaysLate: 1}},
				{after, after, Status{State: Met}},
				{Date{}, before, Status{State: Running, DaysLeft: 1, WorkingDaysLeft: wdLeft}},
				{Date{}, end, Status{State: Running, DaysLeft: 0, WorkingDaysLeft: wdLast}},
				{Date{}, after, Status{State: Met}},
			}
		}
		for _, ck := range checks {
			got := c.Status(tc.p, ck.act, ck.today)
			want := ck.want
			want.Deadline = end
			want.Extended, want.ExtensionLate = tc.ext, tc.extLate
			if want.State != Running {
				want.DaysLeft, want.WorkingDaysLeft = -1, -1
			}
			if got != want {
				t.Errorf("%s: act %s, today %s:\n got %+v\nwant %+v", tc.name, ck.act, ck.today, got, want)
			}
		}
	}
}

func TestStatusRunning(t *testing.T) {
	c := Default()
	p := Period{Rule: rule(t, RuleProactiveDisclosure), Start: D(2026, 1, 26)}
	// On 2026-02-13, the Friday before the Spring Festival: 15 days to go, of which
	// two working days before the holiday and five after it.
	got := c.Status(p, Date{}, D(2026, 2, 13))
	want := Status{State: Running, Deadline: D(2026, 2, 28), DaysLeft: 15, WorkingDaysLeft: 6}
	if got != want {
		t.Errorf("Status = %+v, want %+v", got, want)
	}
	if got := c.Status(p, Date{}, D(2026, 1, 26)); got.State != Running || got.WorkingDaysLeft != 20 {
		t.Errorf("on the document's own date: %+v, want running with 20 working days left", got)
	}
	if got := c.Status(p, Date{}, D(2026, 1, 25)); got.State != NotStarted {
		t.Errorf("the day before the document's date: %+v, want not started", got)
	}
	if got := c.Status(Period{Rule: p.Rule}, Date{}, D(2026, 1, 25)); got.State != NotStarted {
		t.Errorf("no start: %+v, want not started", got)
	}
	// A document published before the date it bears is in time.
	if got := c.Status(p, D(2026, 1, 20), D(2026, 3, 1)); got.State != Met {
		t.Errorf("published early: %+v, want met", got)
	}
}

func TestStatusPaused(t *testing.T) {
	c := Default()
	r := rule(t, RuleRequestAnswer)
	awaiting := Period{Rule: r, Start: D(2026, 1, 26), Corrections: []Correction{{Asked: D(2026, 1, 30)}}}
	if got := c.Status(awaiting, Date{}, D(2026, 6, 1)); got.State != Paused || !got.Deadline.IsZero() {
		t.Errorf("correction awaited: %+v, want paused", got)
	}
	if _, err := c.Deadline(awaiting); !errors.Is(err, ErrPaused) {
		t.Errorf("Deadline while a correction is awaited = %v, want ErrPaused", err)
	}
	if got := c.Status(awaiting, D(2026, 6, 1), D(2026, 6, 1)); got.State != Met {
		t.Errorf("answered while a correction was awaited: %+v, want met", got)
	}
	consulting := Period{Rule: r, Start: D(2026, 1, 26), Suspended: []Span{{From: D(2026, 2, 2)}}}
	if got := c.Status(consulting, Date{}, D(2026, 4, 1)); got.State != Paused {
		t.Errorf("third party still consulted: %+v, want paused", got)
	}
	if got := c.Status(consulting, Date{}, D(2026, 1, 30)); got.State != Running || got.Deadline != D(2026, 2, 28) {
		t.Errorf("before the consultation: %+v, want running to 2026-02-28", got)
	}
	// A consultation begun after the last day does not save a late answer.
	lateConsult := Period{Rule: r, Start: D(2026, 1, 26), Suspended: []Span{{From: D(2026, 3, 2)}}}
	if got := c.Status(lateConsult, Date{}, D(2026, 3, 10)); got.State != Overdue || got.Deadline != D(2026, 2, 28) {
		t.Errorf("consultation begun after the deadline: %+v, want overdue since 2026-02-28", got)
	}
}

// TestStatusUnknown: where the calendar data ends, a state that does not depend on
// the missing days is still given; one that does is Unknown, never guessed.
func TestStatusUnknown(t *testing.T) {
	c := Default()
	p := Period{Rule: rule(t, RuleProactiveDisclosure), Start: D(2026, 12, 10)}
	if _, err := c.Deadline(p); !errors.Is(err, ErrUnknown) {
		t.Errorf("Deadline in 2027 = %v, want ErrUnknown", err)
	}
	if got := c.Status(p, D(2026, 12, 15), D(2027, 3, 1)); got.State != Met || !got.Deadline.IsZero() || !errors.Is(got.Err, ErrUnknown) {
		t.Errorf("published within days: %+v, want met with the deadline unknown", got)
	}
	if got := c.Status(p, Date{}, D(2026, 12, 20)); got.State != Running || got.DaysLeft != -1 || !errors.Is(got.Err, ErrUnknown) {
		t.Errorf("still running in December: %+v, want running with days left unknown", got)
	}
	if got := c.Status(p, Date{}, D(2026, 12, 30)); got.State != Running || !errors.Is(got.Err, ErrUnknown) {
		t.Errorf("14 working days passed by 2026-12-30: %+v, want running", got)
	}
	if got := c.Status(p, Date{}, D(2027, 1, 20)); got.State != Unknown || !errors.Is(got.Err, ErrUnknown) {
		t.Errorf("in 2027 without its notice: %+v, want unknown", got)
	}
	if got := c.Status(p, D(2027, 1, 20), D(2027, 1, 20)); got.State != Unknown {
		t.Errorf("published in 2027: %+v, want unknown", got)
	}
	cp := Period{Rule: rule(t, RuleCommentPeriod), Start: D(2026, 12, 20)}
	if got := c.Status(cp, D(2026, 12, 30), D(2026, 12, 30)); got.State != CutShort || got.DaysLate != 0 || !errors.Is(got.Err, ErrUnknown) {
		t.Errorf("decision ten days into a comment period that ends in 2027: %+v, want cut short, by an unknown number of days", got)
	}
	// A period in calendar days that does not roll needs no holiday data.
	cp.Rule.Roll = false
	if got, err := c.Deadline(cp); err != nil || got != D(2027, 1, 19) {
		t.Errorf("comment period without roll into 2027: %s, %v", got, err)
	}
}

func TestStatusInvalid(t *testing.T) {
	c := Default()
	for i, p := range []Period{
		{Rule: rule(t, RuleProactiveDisclosure), Start: D(2026, 1, 5), Extended: D(2026, 1, 6)},
		{Rule: rule(t, RuleRecheckAnswer), Start: D(2026, 1, 5), Suspended: []Span{{From: D(2026, 1, 6), To: D(2026, 1, 7)}}},
		{Rule: rule(t, RulePetitionAnswer), Start: D(2026, 1, 5), Corrections: []Correction{{Asked: D(2026, 1, 6)}}},
		{Rule: rule(t, RuleRequestAnswer), Start: D(2026, 1, 5), Suspended: []Span{{From: D(2026, 1, 9), To: D(2026, 1, 7)}}},
		{Rule: rule(t, RuleRequestAnswer), Start: D(2026, 1, 5), Corrections: []Correction{{Asked: D(2026, 1, 9), Received: D(2026, 1, 7)}}},
		{Rule: Rule{Code: "broken"}, Start: D(2026, 1, 5)},
	} {
		if got := c.Status(p, Date{}, D(2026, 2, 1)); got.State != Invalid || got.Err == nil {
			t.Errorf("case %d: %+v, want invalid", i, got)
		}
		if _, err := c.Deadline(p); err == nil {
			t.Errorf("case %d: Deadline accepted it", i)
		}
	}
}

func ExampleCalendar_Status() {
	c := Default()
	r, _ := DefaultRules().Rule(RuleCommentPeriod)
	plan := Period{Rule: r, Start: D(2026, 1, 20)} // the draft plan, published
	for _, decision := range []Date{D(2026, 2, 19), D(2026, 2, 25)} {
		st := c.Status(plan, decision, decision)
		fmt.Println(decision, st.State, st.Deadline, st.DaysLate)
	}
	// Output:
	// 2026-02-19 cut_short 2026-02-24 6
	// 2026-02-25 met 2026-02-24 0
}
