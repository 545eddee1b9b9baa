package households

import (
	"errors"
	"strings"
	"testing"

	"github.com/gongshi-archive/gongshi/archive"
)

// objectionRecords files the documents of household hh's objection procedure.
func (f *fixture) objectionRecords(hh string) map[StepKind]string {
	out := map[StepKind]string{}
	for _, k := range StepKinds() {
		r := f.file(archive.Record{Type: RecordType(k), Title: string(k) + " " + hh, Household: hh})
		out[k] = r.ID
	}
	return out
}

// The clock on the day before, the day of and the day after each deadline, for
// the act in time, late and missing: the household's requests lapse (nobody is
// late), the agency's and the committee's answers are overdue; a last day on a
// Sunday moves to Monday (民法典 Art. 203).
func TestClockDeadlines(t *testing.T) {
	f := newFixture(t)
	cal, rules := f.s.Calendar(), f.s.Rules()
	d := archive.D
	steps := func(days ...archive.Date) Objection {
		o := Objection{Project: project, Household: "0001"}
		for i, day := range days {
			o.Steps = append(o.Steps, Step{Kind: StepKinds()[i], Day: day})
		}
		return o
	}
	type want struct {
		state    StageState
		deadline archive.Date
		left     int // DaysLeft when open, DaysLate when late or overdue
	}
	// Delivered Monday 2 March: ask by Thursday 12 March. Asked on 12 March:
	// the answer is due Sunday 22 March, moved to Monday 23 March. Answered on
	// 23 March: the expert appraisal is asked by Thursday 2 April. Asked on 2
	// April: the opinion is due Sunday 12 April, moved to Monday 13 April.
	tests := []struct {
		name  string
		o     Objection
		today archive.Date
		want  []want // per stage started
	}{
		{"ask: day before", steps(d(2026, 3, 2)), d(2026, 3, 11), []want{{StageOpen, d(2026, 3, 12), 1}}},
		{"ask: last day", steps(d(2026, 3, 2)), d(2026, 3, 12), []want{{StageOpen, d(2026, 3, 12), 0}}},
		{"ask: day after, not asked", steps(d(2026, 3, 2)), d(2026, 3, 13), []want{{StageLapsed, d(2026, 3, 12), 1}}},
		{"asked on the last day", steps(d(2026, 3, 2), d(2026, 3, 12)), d(2026, 3, 12),
			[]want{{StageDone, d(2026, 3, 12), 0}, {StageOpen, d(2026, 3, 23), 11}}},
		{"asked the day after", steps(d(2026, 3, 2), d(2026, 3, 13)), d(2026, 3, 13),
			[]want{{StageLate, d(2026, 3, 12), 1}, {StageOpen, d(2026, 3, 23), 10}}},

		{"answer: day before (Sunday)", steps(d(2026, 3, 2), d(2026, 3, 12)), d(2026, 3, 22),
			[]want{{StageDone, d(2026, 3, 12), 0}, {StageOpen, d(2026, 3, 23), 1}}},
		{"answer: last day (rolled to Monday)", steps(d(2026, 3, 2), d(2026, 3, 12)), d(2026, 3, 23),
			[]want{{StageDone, d(2026, 3, 12), 0}, {StageOpen, d(2026, 3, 23), 0}}},
		{"answer: day after, none", steps(d(2026, 3, 2), d(2026, 3, 12)), d(2026, 3, 24),
			[]want{{StageDone, d(2026, 3, 12), 0}, {StageOverdue, d(2026, 3, 23), 1}}},
		{"answered on the last day", steps(d(2026, 3, 2), d(2026, 3, 12), d(2026, 3, 23)), d(2026, 3, 24),
			[]want{{StageDone, d(2026, 3, 12), 0}, {StageDone, d(2026, 3, 23), 0}, {StageOpen, d(2026, 4, 2), 9}}},
		{"answered the day after", steps(d(2026, 3, 2), d(2026, 3, 12), d(2026, 3, 24)), d(2026, 3, 24),
			[]want{{StageDone, d(2026, 3, 12), 0}, {StageLate, d(2026, 3, 23), 1}, {StageOpen, d(2026, 4, 3), 10}}},

		{"expert: day before", steps(d(2026, 3, 2), d(2026, 3, 12), d(2026, 3, 23)), d(2026, 4, 1),
			[]want{{StageDone, d(2026, 3, 12), 0}, {StageDone, d(2026, 3, 23), 0}, {StageOpen, d(2026, 4, 2), 1}}},
		{"expert: last day", steps(d(2026, 3, 2), d(2026, 3, 12), d(2026, 3, 23)), d(2026, 4, 2),
			[]want{{StageDone, d(2026, 3, 12), 0}, {StageDone, d(2026, 3, 23), 0}, {StageOpen, d(2026, 4, 2), 0}}},
		{"expert: day after, not asked", steps(d(2026, 3, 2), d(2026, 3, 12), d(2026, 3, 23)), d(2026, 4, 3),
			[]want{{StageDone, d(2026, 3, 12), 0}, {StageDone, d(2026, 3, 23), 0}, {StageLapsed, d(2026, 4, 2), 1}}},

		{"opinion: day before (Sunday)", steps(d(2026, 3, 2), d(2026, 3, 12), d(2026, 3, 23), d(2026, 4, 2)), d(2026, 4, 12),
			[]want{{StageDone, d(2026, 3, 12), 0}, {StageDone, d(2026, 3, 23), 0}, {StageDone, d(2026, 4, 2), 0}, {StageOpen, d(2026, 4, 13), 1}}},
		{"opinion: last day", steps(d(2026, 3, 2), d(2026, 3, 12), d(2026, 3, 23), d(2026, 4, 2)), d(2026, 4, 13),
			[]want{{StageDone, d(2026, 3, 12), 0}, {StageDone, d(2026, 3, 23), 0}, {StageDone, d(2026, 4, 2), 0}, {StageOpen, d(2026, 4, 13), 0}}},
		{"opinion: day after, none", steps(d(2026, 3, 2), d(2026, 3, 12), d(2026, 3, 23), d(2026, 4, 2)), d(2026, 4, 14),
			[]want{{StageDone, d(2026, 3, 12), 0}, {StageDone, d(2026, 3, 23), 0}, {StageDone, d(2026, 4, 2), 0}, {StageOverdue, d(2026, 4, 13), 1}}},
		{"opinion on the last day", steps(d(2026, 3, 2), d(2026, 3, 12), d(2026, 3, 23), d(2026, 4, 2), d(2026, 4, 13)), d(2026, 5, 1),
			[]want{{StageDone, d(2026, 3, 12), 0}, {StageDone, d(2026, 3, 23), 0}, {StageDone, d(2026, 4, 2), 0}, {StageDone, d(2026, 4, 13), 0}}},
		{"opinion the day after", steps(d(2026, 3, 2), d(2026, 3, 12), d(2026, 3, 23), d(2026, 4, 2), d(2026, 4, 14)), d(2026, 5, 1),
			[]want{{StageDone, d(2026, 3, 12), 0}, {StageDone, d(2026, 3, 23), 0}, {StageDone, d(2026, 4, 2), 0}, {StageLate, d(2026, 4, 13), 1}}},

		// Delivered on Friday 5 February 2026: the 10th day is a Spring Festival
		// day off (15-23 February), so the last day is Tuesday 24 February.
		{"across the Spring Festival", steps(d(2026, 2, 5)), d(2026, 2, 23), []want{{StageOpen, d(2026, 2, 24), 1}}},
		{"nothing delivered", steps(), d(2026, 3, 2), nil},
	}
	for _, tc := range tests {
		c := Clock(cal, rules, tc.o, tc.today)
		if len(c.Stages) != len(tc.want) {
			t.Errorf("%s: %d stages, want %d: %+v", tc.name, len(c.Stages), len(tc.want), c.Stages)
			continue
		}
		for i, w := range tc.want {
			s := c.Stages[i]
			n := s.Status.DaysLeft
			if w.state == StageLate || w.state == StageOverdue || w.state == StageLapsed {
				n = s.Status.DaysLate
			}
			if w.state == StageDone {
				n = 0
			}
			if s.State != w.state || s.Status.Deadline != w.deadline || n != w.left {
				t.Errorf("%s: stage %d (%s): %s %s %d, want %s %s %d", tc.name, i+1, s.Rule.Code, s.State, s.Status.Deadline, n, w.state, w.deadline, w.left)
			}
		}
		// Exactly the late steps are flagged: a lapsed request is nobody's lateness.
		late := 0
		for _, w := range tc.want {
			if w.state == StageLate || w.state == StageOverdue {
				late++
			}
		}
		if got := len(c.Late()); got != late {
			t.Errorf("%s: %d late stages flagged, want %d", tc.name, got, late)
		}
	}
}

// Staff record the steps with their filed documents, in order, one ledger entry
// each; a step out of order, with another household's record, or ahead of today
// is refused; a correction needs its reason; the bureau's list has exactly the
// open and late clocks.
func TestRecordSteps(t *testing.T) {
	f := newFixture(t)
	f.register()
	recs := f.objectionRecords("0001")
	other := f.objectionRecords("0002")
	f.setDay(archive.D(2026, 3, 2))
	actor := archive.AccountActor("u-1")
	if _, err := f.s.RecordStep(f.ctx, project, "0001", Step{Kind: StepRecheckRequested, Day: archive.D(2026, 3, 2), Record: recs[StepRecheckRequested]}, actor, ""); !errors.Is(err, ErrStep) {
		t.Fatalf("a request before the delivery: %v", err)
	}
	if _, err := f.s.RecordStep(f.ctx, project, "0001", Step{Kind: StepReportDelivered, Day: archive.D(2026, 3, 2), Record: other[StepReportDelivered]}, actor, ""); !errors.Is(err, ErrStep) {
		t.Fatalf("another household's report: %v", err)
	}
	if _, err := f.s.RecordStep(f.ctx, project, "0001", Step{Kind: StepReportDelivered, Day: archive.D(2026, 3, 3), Record: recs[StepReportDelivered]}, actor, ""); !errors.Is(err, ErrStep) {
		t.Fatalf("tomorrow: %v", err)
	}
	if _, err := f.s.RecordStep(f.ctx, project, "0001", Step{Kind: StepReportDelivered, Day: archive.D(2026, 3, 2), Record: recs[StepRecheckRequested]}, actor, ""); err == nil || !strings.Contains(err.Error(), "needs a appraisal_report") {
		t.Fatalf("a step with a record of the wrong type: %v", err)
	}
	o, err := f.s.RecordStep(f.ctx, project, "0001", Step{Kind: StepReportDelivered, Day: archive.D(2026, 3, 2), Record: recs[StepReportDelivered]}, actor, "")
	if err != nil || o.Version != 1 {
		t.Fatalf("delivered: %+v %v", o, err)
	}
	f.setDay(archive.D(2026, 3, 24))
	if _, err := f.s.RecordStep(f.ctx, project, "0001", Step{Kind: StepRecheckRequested, Day: archive.D(2026, 3, 1), Record: recs[StepRecheckRequested]}, actor, ""); !errors.Is(err, ErrStep) {
		t.Fatalf("a request dated before the delivery: %v", err)
	}
	if _, err := f.s.RecordStep(f.ctx, project, "0001", Step{Kind: StepRecheckRequested, Day: archive.D(2026, 3, 12), Record: recs[StepRecheckRequested]}, actor, ""); err != nil {
		t.Fatal(err)
	}
	if _, err := f.s.RecordStep(f.ctx, project, "0001", Step{Kind: StepReportDelivered, Day: archive.D(2026, 3, 3), Record: recs[StepReportDelivered]}, actor, ""); !errors.Is(err, ErrReasonRequired) {
		t.Fatalf("a correction without reason: %v", err)
	}
	if _, err := f.s.RecordStep(f.ctx, project, "0001", Step{Kind: StepReportDelivered, Day: archive.D(2026, 3, 3), Record: recs[StepReportDelivered]}, actor, "送达回证日期更正"); err != nil {
		t.Fatal(err)
	}
	if n := f.entries(archive.SubjectObjection); n != 3 {
		t.Fatalf("%d entries", n)
	}
	// Household 0001: the answer was due 23 March (requested 12 March) and has
	// not come on 24 March: late. Household 0002: delivered 20 March, open.
	f.setDay(archive.D(2026, 3, 20))
	if _, err := f.s.RecordStep(f.ctx, project, "0002", Step{Kind: StepReportDelivered, Day: archive.D(2026, 3, 20), Record: other[StepReportDelivered]}, actor, ""); err != nil {
		t.Fatal(err)
	}
	f.setDay(archive.D(2026, 3, 24))
	open, err := f.s.OpenClocks(f.ctx)
	if err != nil || len(open) != 2 {
		t.Fatalf("open clocks: %d, %v", len(open), err)
	}
	if late := open[0].Late(); len(late) != 1 || late[0].Rule.Code != "recheck_answer" || late[0].Status.DaysLate != 1 {
		t.Fatalf("0001 late: %+v", late)
	}
	if cur, ok := open[1].Current(); !ok || cur.Status.DaysLeft != 6 || open[1].Household != "0002" {
		t.Fatalf("0002: %+v", open[1])
	}
	// Three weeks on, 0002 let its request lapse: it leaves the list.
	f.setDay(archive.D(2026, 4, 14))
	open, _ = f.s.OpenClocks(f.ctx)
	if len(open) != 1 || open[0].Household != "0001" {
		t.Fatalf("after the lapse: %+v", open)
	}
}

// A clock the calendar cannot count (its last day falls in a year the holiday
// data does not have) is on the bureau's list, its stage unknown: the bureau
// must see it as much as a running one.
func TestOpenClocksUnknown(t *testing.T) {
	f := newFixture(t)
	f.register()
	recs := f.objectionRecords("0001")
	f.setDay(archive.D(2026, 12, 28))
	if _, err := f.s.RecordStep(f.ctx, project, "0001", Step{Kind: StepReportDelivered, Day: archive.D(2026, 12, 28), Record: recs[StepReportDelivered]}, archive.ActorCLI, ""); err != nil {
		t.Fatal(err)
	}
	for _, y := range f.s.Calendar().Years() {
		if y.Year == 2027 {
			t.Fatal("the built-in calendar has 2027 now: move this test to a year it lacks")
		}
	}
	open, err := f.s.OpenClocks(f.ctx)
	if err != nil || len(open) != 1 || !open[0].Unknown() || open[0].Open() || len(open[0].Late()) != 0 {
		t.Fatalf("open clocks %+v %v", open, err)
	}
}
