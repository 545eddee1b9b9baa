package procedure

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/gongshi-archive/gongshi/archive"
	"github.com/gongshi-archive/gongshi/calendar"
)

// Procedure builds timelines. It holds a catalogue, a calendar, a rules table and a
// config checked against each other once, and is read-only, so one value serves every
// request.
type Procedure struct {
	cat        *archive.Catalogue
	cal        *calendar.Calendar
	rules      *calendar.Rules
	cfg        *Config
	byType     map[string]TypeConfig
	disclosure calendar.Rule
}

// New checks cfg against the catalogue and the rules (every type and rule it names
// exists, periods are minimum rules and due clocks deadlines) and returns a
// Procedure. Types of the catalogue that cfg does not list are expected IfAny, with
// the proactive-disclosure clock.
func New(cat *archive.Catalogue, cal *calendar.Calendar, rules *calendar.Rules, cfg *Config) (*Procedure, error) {
	if err := cfg.check(cat, rules); err != nil {
		return nil, err
	}
	pr := &Procedure{cat: cat, cal: cal, rules: rules, cfg: cfg, byType: map[string]TypeConfig{}}
	pr.disclosure, _ = rules.Rule(cfg.DisclosureRule)
	for _, t := range cfg.Types {
		if t.When == "" {
			t.When = Always
		}
		pr.byType[t.Type] = t
	}
	for _, t := range cat.Types() {
		if _, ok := pr.byType[t.Code]; !ok {
			pr.byType[t.Code] = TypeConfig{Type: t.Code, When: IfAny}
		}
	}
	return pr, nil
}

// Project is what a timeline needs of a project.
type Project struct {
	Code string
	// Category decides which types apply; empty when not recorded (every type does).
	Category archive.Category
	// Dates are the project's key dates by name (archive.Project.Dates).
	Dates map[string]archive.Date
}

// ProjectOf returns the Project of an archive project.
func ProjectOf(p archive.Project) Project {
	return Project{Code: p.Code, Category: p.Category, Dates: maps.Clone(p.Dates)}
}

// Record is what a timeline needs of one record; the portal fills it from the archive
// and the record's publication state. Pass only records the viewer may know of: the
// timeline lists every record it is given, with its title.
type Record struct {
	ID    string
	Type  string
	Title string
	// Date is the date the document bears; the disclosure clock counts from it.
	Date archive.Date
	// Disclosure is the record's class; empty means its type's default.
	Disclosure archive.Disclosure
	// Published is the day (in China) the record was first published, zero if never.
	// A later withdrawal does not undo that it was published in time.
	Published archive.Date
}

// RecordOf returns the Record of an archive record first published on published (zero
// if never).
func RecordOf(r archive.Record, published archive.Date) Record {
	return Record{ID: r.ID, Type: r.Type, Title: r.Title, Date: r.Date, Disclosure: r.Disclosure, Published: published}
}

// State is where an entry (a document type of the project) or a step stands.
type State string

// The states. Entries take all but Done and InProgress; steps take all but Awaiting,
// Published and Filed.
const (
	// Published: every record of the type is published, each within its clock.
	Published State = "published"
	// Filed: the records are archived; their class is not proactively published
	// (household, on request, restricted), so no disclosure clock runs.
	Filed State = "filed"
	// Awaiting: a record is filed and its disclosure clock is running.
	Awaiting State = "awaiting"
	// Pending: nothing filed yet, and nothing is due yet.
	Pending State = "pending"
	// Overdue: a clock has run out and its act has not come (a record not published
	// within 20 working days; the comments on the plan not published in time).
	Overdue State = "overdue"
	// Late: the act came after its clock, or came before a period it had to wait for
	// ended (a decision dated within the comment period).
	Late State = "late"
	// Unknown: the answer depends on days the calendar has no notice for.
	Unknown State = "unknown"
	// NotApplicable: the type is not for this project's category.
	NotApplicable State = "not_applicable"
	// None: an occasional type (a hearing, court enforcement) this project has not had.
	None State = "none"
	// Done: every expected type of the step is published or filed.
	Done State = "done"
	// InProgress: some of the step is done and some is not.
	InProgress State = "in_progress"
)

// Timeline is a project's procedure on a day: every step of the catalogue with the
// state of each of its document types, the periods that run, and the key dates.
type Timeline struct {
	Project string
	Today   archive.Date
	Steps   []Step
	// Periods are the minimum periods of the procedure (the comment period, the
	// publicity of the preliminary appraisal), opened or not.
	Periods []PeriodView
	// KeyDates are the project's key dates and the periods' starts and ends, by date.
	KeyDates []KeyDate
	// Problems counts the entries overdue or late and the periods cut short.
	Problems int
}

// Step is one step of the procedure (a catalogue step) and its types.
type Step struct {
	Code    string
	NameZh  string
	NameEn  string
	State   State
	Entries []Entry
}

// Entry is one document type within a step, for this project.
type Entry struct {
	Type   string
	NameZh string
	NameEn string
	// Disclosure is the type's default class.
	Disclosure archive.Disclosure
	When       When
	State      State
	// Published is the first day a record of the type was published, zero if none.
	Published archive.Date
	// DaysLate counts the calendar days a Late act was past its clock, or an Overdue
	// clock is past by today.
	DaysLate int
	// Due is the last day of the type's due clock (Config's Due), once it runs.
	Due     archive.Date
	Records []RecordState
	// Flags are the periods this type's first record came too early for.
	Flags []Flag
}

// RecordState is one record of an entry.
type RecordState struct {
	ID        string
	Title     string
	Date      archive.Date
	Published archive.Date
	State     State
	// Clock is the record's proactive-disclosure clock; its State is empty when the
	// record has none (its class is not proactively published).
	Clock calendar.Status
}

// PeriodView is a minimum period of the procedure: its rule, its days, and where it
// stands.
type PeriodView struct {
	Rule   string
	NameZh string
	NameEn string
	Length int
	Unit   calendar.Unit
	// Type is the document type that opens the period (plan_draft).
	Type string
	// Start is the day it opens, End its last day; zero when not opened or unknown.
	Start, End archive.Date
	// Status is where it stands today: NotStarted, Running (with DaysLeft, the
	// countdown), Met (ran in full), CutShort (the next act came too early), Unknown.
	Status calendar.Status
	// Before is the type that must come after the period; BeforeDate the date of its
	// first record, zero if none yet.
	Before     string
	BeforeDate archive.Date
}

// Flag says an act came before a period it had to wait for ended.
type Flag struct {
	// Rule and Type are the period's rule and the type that opened it.
	Rule string
	Type string
	// End is the period's last day, Days how many days of it were still to run on the
	// day of the act, that day included (0 when End is unknown).
	End  archive.Date
	Days int
}

// KeyDate is a dated milestone of the project.
type KeyDate struct {
	Name   string
	NameZh string
	NameEn string
	Date   archive.Date
}

// Timeline returns the procedure of p on the day now falls on in China, from the
// records given. It is a pure function of its arguments. A record whose type the
// catalogue does not have is an error.
func (pr *Procedure) Timeline(p Project, recs []Record, now time.Time) (Timeline, error) {
	today := calendar.DateOf(now)
	byType := map[string][]Record{}
	for _, r := range recs {
		if _, ok := pr.cat.Type(r.Type); !ok {
			return Timeline{}, fmt.Errorf("procedure: record %s: type %q is not in the catalogue", r.ID, r.Type)
		}
		byType[r.Type] = append(byType[r.Type], r)
	}
	for _, rs := range byType {
		slices.SortFunc(rs, func(a, b Record) int {
			if c := a.Date.Compare(b.Date); c != 0 {
				return c
			}
			return cmp.Compare(a.ID, b.ID)
		})
	}
	tl := Timeline{Project: p.Code, Today: today}
	periods := map[string]PeriodView{} // by opening type
	for _, t := range pr.cfg.Types {
		if t.Period != nil {
			pv := pr.period(t, p, byType, today)
			periods[t.Type] = pv
			tl.Periods = append(tl.Periods, pv)
		}
	}
	for _, s := range pr.cat.Steps() {
		step := Step{Code: s.Code, NameZh: s.NameZh, NameEn: s.NameEn}
		for _, code := range pr.typesOf(s.Code) {
			e := pr.entry(pr.byType[code], p, byType[code], periods, tl.Periods, today)
			if e.State == Overdue || e.State == Late {
				tl.Problems++
			}
			step.Entries = append(step.Entries, e)
		}
		step.State = stepState(step.Entries)
		tl.Steps = append(tl.Steps, step)
	}
	for _, pv := range tl.Periods {
		if pv.Status.State == calendar.CutShort {
			tl.Problems++
		}
	}
	tl.KeyDates = pr.keyDates(p, tl.Periods)
	return tl, nil
}

// typesOf lists the types of a step: first in the config's order, then the rest in
// the catalogue's.
func (pr *Procedure) typesOf(step string) []string {
	var out []string
	inStep := func(code string) bool {
		t, ok := pr.cat.Type(code)
		return ok && t.Step == step
	}
	for _, t := range pr.cfg.Types {
		if inStep(t.Type) {
			out = append(out, t.Type)
		}
	}
	for _, t := range pr.cat.Types() {
		if t.Step == step && !slices.Contains(out, t.Code) {
			out = append(out, t.Code)
		}
	}
	return out
}

// period computes the minimum period a type opens.
func (pr *Procedure) period(t TypeConfig, p Project, byType map[string][]Record, today archive.Date) PeriodView {
	r, _ := pr.rules.Rule(t.Period.Rule)
	pv := PeriodView{Rule: r.Code, NameZh: r.NameZh, NameEn: r.NameEn, Length: r.Length, Unit: r.Unit,
		Type: t.Type, Before: t.Period.Before}
	if rs := byType[t.Type]; len(rs) > 0 {
		pv.Start = rs[0].Date
	}
	if d := p.Dates[t.Period.StartKey]; t.Period.StartKey != "" && !d.IsZero() {
		pv.Start = d
	}
	if rs := byType[t.Period.Before]; len(rs) > 0 {
		pv.BeforeDate = rs[0].Date
	}
	pv.Status = pr.cal.Status(calendar.Period{Rule: r, Start: pv.Start}, pv.BeforeDate, today)
	pv.End = pv.Status.Deadline
	return pv
}

// entry computes one type's state for the project.
func (pr *Procedure) entry(t TypeConfig, p Project, recs []Record, periods map[string]PeriodView, ordered []PeriodView, today archive.Date) Entry {
	dt, _ := pr.cat.Type(t.Type)
	e := Entry{Type: dt.Code, NameZh: dt.NameZh, NameEn: dt.NameEn, Disclosure: dt.Disclosure, When: t.When}
	clockOn := t.DisclosureClock == nil || *t.DisclosureClock
	for _, r := range recs {
		rs := RecordState{ID: r.ID, Title: r.Title, Date: r.Date, Published: r.Published}
		class := r.Disclosure
		if class == "" {
			class = dt.Disclosure
		}
		if clockOn && (class == archive.Public || class == archive.Area) {
			rs.Clock = pr.cal.Status(calendar.Period{Rule: pr.disclosure, Start: r.Date}, r.Published, today)
			rs.State = recordState(rs.Clock)
		} else if !r.Published.IsZero() {
			rs.State = Published
		} else {
			rs.State = Filed
		}
		if !r.Published.IsZero() && (e.Published.IsZero() || r.Published.Before(e.Published)) {
			e.Published = r.Published
		}
		e.merge(rs.State, rs.Clock.DaysLate)
		e.Records = append(e.Records, rs)
	}
	if t.Due != nil {
		if after := periods[t.Due.After]; !after.End.IsZero() && after.End.Before(today) {
			r, _ := pr.rules.Rule(t.Due.Rule)
			st := pr.cal.Status(calendar.Period{Rule: r, Start: after.End}, e.Published, today)
			e.Due = st.Deadline
			switch st.State {
			case calendar.Overdue:
				e.merge(Overdue, st.DaysLate)
			case calendar.Late:
				e.merge(Late, st.DaysLate)
			case calendar.Unknown:
				e.merge(Unknown, 0)
			}
		}
	}
	for _, pv := range ordered { // in table order, so that flags come out in one order
		if pv.Before == t.Type && pv.Status.State == calendar.CutShort {
			e.Flags = append(e.Flags, Flag{Rule: pv.Rule, Type: pv.Type, End: pv.End, Days: pv.Status.DaysLate})
		}
	}
	if len(e.Flags) > 0 {
		e.merge(Late, 0)
	}
	if e.State == "" {
		switch {
		case len(t.Categories) > 0 && p.Category != "" && !slices.Contains(t.Categories, p.Category):
			e.State = NotApplicable
		case t.When == IfAny:
			e.State = None
		default:
			e.State = Pending
		}
	}
	return e
}

// severity orders entry states: an entry takes the worst of its records and clocks.
func severity(s State) int {
	switch s {
	case Overdue:
		return 6
	case Late:
		return 5
	case Unknown:
		return 4
	case Awaiting:
		return 3
	case Published:
		return 2
	case Filed:
		return 1
	}
	return 0
}

// merge folds one record's or clock's state into the entry: the worst wins, and the
// days late of the worst.
func (e *Entry) merge(s State, daysLate int) {
	switch {
	case severity(s) > severity(e.State):
		e.State, e.DaysLate = s, daysLate
	case s == e.State && daysLate > e.DaysLate:
		e.DaysLate = daysLate
	}
}

// recordState is a record's state from its disclosure clock.
func recordState(st calendar.Status) State {
	switch st.State {
	case calendar.Met:
		return Published
	case calendar.Late:
		return Late
	case calendar.Overdue:
		return Overdue
	case calendar.Unknown, calendar.Invalid:
		return Unknown
	}
	// Running, paused, or a document dated after today: not due yet.
	return Awaiting
}

// stepState sums up a step's entries.
func stepState(es []Entry) State {
	counts := map[State]int{}
	n := 0
	for _, e := range es {
		counts[e.State]++
		if e.State != NotApplicable && e.State != None {
			n++
		}
	}
	switch {
	case n == 0 && counts[None] == 0:
		return NotApplicable
	case n == 0:
		return None
	case counts[Overdue] > 0:
		return Overdue
	case counts[Late] > 0:
		return Late
	case counts[Unknown] > 0:
		return Unknown
	case counts[Published]+counts[Filed] == n:
		return Done
	case counts[Pending] == n:
		return Pending
	}
	return InProgress
}

// keyDates lists the project's key dates, labelled, and the periods' starts and ends,
// in date order.
func (pr *Procedure) keyDates(p Project, periods []PeriodView) []KeyDate {
	var out []KeyDate
	labelled := map[string]bool{}
	for _, k := range pr.cfg.KeyDates {
		labelled[k.Name] = true
		if d := p.Dates[k.Name]; !d.IsZero() {
			out = append(out, KeyDate{Name: k.Name, NameZh: k.NameZh, NameEn: k.NameEn, Date: d})
		}
	}
	for _, name := range slices.Sorted(maps.Keys(p.Dates)) {
		if d := p.Dates[name]; !labelled[name] && !d.IsZero() {
			out = append(out, KeyDate{Name: name, NameZh: name, NameEn: name, Date: d})
		}
	}
	for _, pv := range periods {
		t := pr.byType[pv.Type]
		if !pv.Start.IsZero() && (t.Period.StartKey == "" || p.Dates[t.Period.StartKey].IsZero()) {
			out = append(out, KeyDate{Name: pv.Rule + "_start", NameZh: t.Period.StartNameZh, NameEn: t.Period.StartNameEn, Date: pv.Start})
		}
		if !pv.End.IsZero() {
			out = append(out, KeyDate{Name: pv.Rule + "_end", NameZh: t.Period.EndNameZh, NameEn: t.Period.EndNameEn, Date: pv.End})
		}
	}
	slices.SortStableFunc(out, func(a, b KeyDate) int { return a.Date.Compare(b.Date) })
	return out
}

// Period returns the period of the given rule (calendar.RuleCommentPeriod for the
// countdown), and whether the procedure has one.
func (tl Timeline) Period(rule string) (PeriodView, bool) {
	for _, pv := range tl.Periods {
		if pv.Rule == rule {
			return pv, true
		}
	}
	return PeriodView{}, false
}
