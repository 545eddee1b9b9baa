package calendar

import (
	"errors"
	"fmt"
	"slices"
)

// Span is a run of days, From to To inclusive. A zero To means the span has not ended.
type Span struct {
	From Date
	To   Date
}

// Correction is one request for correction of the thing whose period runs (a
// disclosure request that was unclear): the day the requester was asked, and the day
// the corrected request came back, zero while it is awaited.
type Correction struct {
	Asked    Date
	Received Date
}

// Period is one running clock: a rule, the event it counts from, and what happened to
// it since.
type Period struct {
	Rule Rule
	// Start is the day of the event; counting begins the day after (民法典 Art. 201).
	Start Date
	// Extended is the day the extension was notified, zero if none. It counts only when
	// the rule has an extension and the notice came on or before the original last day.
	Extended Date
	// Corrections are the requests for correction, in order; what they do is the
	// rule's Correction mode.
	Corrections []Correction
	// Suspended are spans of days that do not count (the rule must allow them).
	Suspended []Span
}

// ErrPaused: the period is stopped (a correction awaited, a suspension not ended), so
// it has no last day yet.
var ErrPaused = errors.New("period is paused")

// State is where a period stands on a day.
type State string

// The states.
const (
	// NotStarted: the event it counts from has not happened.
	NotStarted State = "not_started"
	// Running: the period has not ended and the act has not come.
	Running State = "running"
	// Paused: the period is stopped by a correction or a suspension.
	Paused State = "paused"
	// Met: a deadline's act came in time, or a minimum period ran in full.
	Met State = "met"
	// Late: a deadline's act came after the last day.
	Late State = "late"
	// Overdue: a deadline's last day has passed and the act has not come.
	Overdue State = "overdue"
	// CutShort: a minimum period's next act came on or before its last day.
	CutShort State = "cut_short"
	// Unknown: the answer depends on days the calendar has no notice for.
	Unknown State = "unknown"
	// Invalid: the period does not fit its rule (an extension the rule does not
	// allow, a span that ends before it starts).
	Invalid State = "invalid"
)

// Status is a period's state on a day, with the figures a page shows.
type Status struct {
	State State
	// Deadline is the period's last day: the last day to act for a deadline, the last
	// day of the period for a minimum. Zero when it is not known (Err says why) or the
	// period is paused or not started.
	Deadline Date
	// DaysLeft, while Running, counts the calendar days from today to Deadline: 0 on
	// the last day itself. WorkingDaysLeft counts the working days after today up to
	// Deadline, for periods in working days. Both are -1 when Deadline is unknown.
	DaysLeft        int
	WorkingDaysLeft int
	// DaysLate is how many calendar days a Late act or an Overdue period is past the
	// Deadline; for CutShort, how many days of the period were still to run on the
	// day of the act, that day included (0 when the Deadline is unknown).
	DaysLate int
	// Extended says the extension counts; ExtensionLate that it was notified after the
	// period had ended, so it does not.
	Extended      bool
	ExtensionLate bool
	// Err says why the State is Unknown or Invalid, or why the Deadline of an
	// otherwise known state is missing. It wraps ErrUnknown where data is missing.
	Err error
}

// Deadline returns the last day of p: for a deadline rule the last day to act, for a
// minimum rule the last day of the period. It is ErrPaused while a correction is
// awaited or a suspension has not ended, and an *UnknownError where the calendar data
// it needs ends.
func (c *Calendar) Deadline(p Period) (Date, error) {
	pl, err := newPlan(p, Date{})
	if err != nil {
		return Date{}, err
	}
	if pl.paused {
		return Date{}, ErrPaused
	}
	w, err := c.walk(pl, Date{})
	return w.end, err
}

// Status returns where p stands on today. act is the day of the act the rule awaits,
// zero if it has not come: for a deadline rule the act itself (the publication, the
// answer), for a minimum rule the act that must not come before the period ends (the
// decision after the comment period). Status needs the calendar only for the days up
// to the answer: a document published in December is met even when its last day
// would fall in a year the calendar does not know.
func (c *Calendar) Status(p Period, act, today Date) Status {
	if p.Start.IsZero() || (act.IsZero() && p.Start.After(today)) {
		return Status{State: NotStarted, DaysLeft: -1, WorkingDaysLeft: -1}
	}
	until := today
	if !act.IsZero() {
		until = act
	}
	pl, err := newPlan(p, until)
	if err != nil {
		return Status{State: Invalid, DaysLeft: -1, WorkingDaysLeft: -1, Err: err}
	}
	if pl.paused && act.IsZero() {
		// Stopped until the requester answers: no day runs.
		return Status{State: Paused, DaysLeft: -1, WorkingDaysLeft: -1}
	}
	if pl.paused {
		// The act came while the count was void (a correction awaited): nothing was
		// late.
		return Status{State: Met, DaysLeft: -1, WorkingDaysLeft: -1}
	}
	w, err := c.walk(pl, until)
	st := Status{DaysLeft: -1, WorkingDaysLeft: -1, Extended: w.extended, ExtensionLate: w.extensionLate}
	if err != nil {
		st.State, st.Err = Unknown, err
		return st
	}
	end, found := w.end, w.found
	if found {
		st.Deadline = end
	} else if full, err := c.walk(pl, Date{}); err == nil {
		st.Deadline, st.Extended, st.ExtensionLate = full.end, full.extended, full.extensionLate
	} else {
		st.Err = err
	}
	switch {
	case pl.rule.Limit == Deadline && !act.IsZero() && found && end.Before(act):
		st.State, st.DaysLate = Late, act.DaysSince(end)
	case pl.rule.Limit == Deadline && !act.IsZero():
		st.State = Met
	case pl.rule.Limit == Minimum && !act.IsZero() && found && end.Before(act):
		st.State = Met
	case pl.rule.Limit == Minimum && !act.IsZero():
		st.State = CutShort
		if !st.Deadline.IsZero() {
			st.DaysLate = st.Deadline.DaysSince(act) + 1
		}
	case found && end.Before(today) && pl.rule.Limit == Deadline:
		st.State, st.DaysLate = Overdue, today.DaysSince(end)
	case found && end.Before(today):
		st.State = Met
	case pl.open:
		// A suspension still running: the last day moves with it.
		st.State, st.Deadline = Paused, Date{}
	default:
		st.State = Running
		if !st.Deadline.IsZero() {
			st.DaysLeft = st.Deadline.DaysSince(today)
			if pl.rule.Unit == WorkingDays {
				st.WorkingDaysLeft, _ = c.WorkdaysBetween(today, st.Deadline)
			}
		}
	}
	return st
}

// plan is a period reduced to what the count needs.
type plan struct {
	rule     Rule
	start    Date
	extended Date
	skip     []Span // closed spans of days that do not count
	paused   bool   // a restart correction is awaited: the count is void
	open     bool   // a suspension was still running on the day asked about
}

// newPlan checks p against its rule and closes spans still open on until (or leaves
// them open, unbounded, when until is zero).
func newPlan(p Period, until Date) (plan, error) {
	r := p.Rule
	if ps := r.problems(); len(ps) > 0 {
		return plan{}, fmt.Errorf("calendar: rule %q: %v", r.Code, ps)
	}
	if !p.Start.Valid() {
		return plan{}, fmt.Errorf("calendar: %s: start %q is not a date", r.Code, p.Start)
	}
	pl := plan{rule: r, start: p.Start, extended: p.Extended}
	if !p.Extended.IsZero() && r.Extension == nil {
		return plan{}, fmt.Errorf("calendar: %s allows no extension", r.Code)
	}
	if len(p.Suspended) > 0 && !r.Suspensions {
		return plan{}, fmt.Errorf("calendar: %s allows no suspension", r.Code)
	}
	if len(p.Corrections) > 0 && r.Correction == NoCorrection {
		return plan{}, fmt.Errorf("calendar: %s allows no correction", r.Code)
	}
	closeSpan := func(s Span) (Span, error) {
		if s.From.IsZero() || (!s.To.IsZero() && s.To.Before(s.From)) {
			return Span{}, fmt.Errorf("calendar: %s: span %s to %s is not a run of days", r.Code, s.From, s.To)
		}
		if s.To.IsZero() {
			// Still running: it stops the count on until, if it has begun by then.
			pl.open = pl.open || until.IsZero() || !s.From.After(until)
			s.To = until
			if until.IsZero() {
				s.To = D(9999, 12, 31)
			}
		}
		return s, nil
	}
	for _, s := range p.Suspended {
		s, err := closeSpan(s)
		if err != nil {
			return plan{}, err
		}
		pl.skip = append(pl.skip, s)
	}
	for _, k := range p.Corrections {
		if k.Asked.IsZero() || (!k.Received.IsZero() && k.Received.Before(k.Asked)) {
			return plan{}, fmt.Errorf("calendar: %s: correction asked %s, received %s", r.Code, k.Asked, k.Received)
		}
		switch r.Correction {
		case Restart:
			// The count starts afresh from the last corrected request; one still
			// awaited voids it.
			pl.paused = k.Received.IsZero()
			if !pl.paused {
				pl.start = k.Received
			}
		case Suspend:
			s, err := closeSpan(Span{From: k.Asked.AddDays(1), To: k.Received})
			if err != nil {
				return plan{}, err
			}
			pl.skip = append(pl.skip, s)
		}
	}
	if pl.open && until.IsZero() {
		pl.paused = true
	}
	return pl, nil
}

func (pl plan) skipped(d Date) bool {
	return slices.ContainsFunc(pl.skip, func(s Span) bool { return !d.Before(s.From) && !d.After(s.To) })
}

// walked is the outcome of a count.
type walked struct {
	end   Date // the last day, when found
	found bool // false: the last day is after the limit
	// extended: the extension counts; extensionLate: it was notified after the
	// original last day, so it does not.
	extended, extensionLate bool
}

// walk counts pl from its start and returns its last day, or found=false when the
// last day is after limit: nothing after limit is looked at, so a state decided
// before the calendar data ends is still known. Where a day the count needs has no
// data it returns an *UnknownError. A zero limit is no limit.
func (c *Calendar) walk(pl plan, limit Date) (walked, error) {
	w := counter{c: c, pl: pl, limit: limit, day: pl.start}
	nominal, ok, err := w.advance(pl.rule.Length)
	if ok && err == nil {
		var end Date
		end, ok, err = w.roll(nominal)
		if ok && err == nil {
			if pl.extended.IsZero() {
				return walked{end: end, found: true}, nil
			}
			if pl.extended.After(end) {
				return walked{end: end, found: true, extensionLate: true}, nil
			}
			w.day = nominal
			nominal, ok, err = w.advance(pl.rule.Extension.Length)
			if ok && err == nil {
				end, ok, err = w.roll(nominal)
			}
			return walked{end: end, found: ok && err == nil, extended: true}, err
		}
	}
	if err != nil {
		return walked{}, err
	}
	// The original last day is after the limit: an extension notified by then
	// counts, and only moves the last day further.
	return walked{extended: !pl.extended.IsZero() && !pl.extended.After(limit)}, nil
}

// counter walks a plan day by day.
type counter struct {
	c     *Calendar
	pl    plan
	limit Date
	day   Date // the last day passed
}

func (w *counter) beyond(d Date) bool { return !w.limit.IsZero() && d.After(w.limit) }

// advance passes n more units and returns the day the n-th falls on.
func (w *counter) advance(n int) (Date, bool, error) {
	for n > 0 {
		w.day = w.day.AddDays(1)
		if w.beyond(w.day) {
			return Date{}, false, nil
		}
		if w.pl.skipped(w.day) {
			continue
		}
		if w.pl.rule.Unit == WorkingDays {
			ok, err := w.c.IsWorkday(w.day)
			if err != nil {
				return Date{}, false, err
			}
			if !ok {
				continue
			}
		}
		n--
	}
	return w.day, true, nil
}

// roll moves a last day that is a rest day to the next working day when the rule
// rolls (民法典 Art. 203).
func (w *counter) roll(d Date) (Date, bool, error) {
	if !w.pl.rule.Roll {
		return d, true, nil
	}
	for {
		if w.beyond(d) {
			return Date{}, false, nil
		}
		ok, err := w.c.IsWorkday(d)
		if err != nil || ok {
			return d, err == nil, err
		}
		d = d.AddDays(1)
	}
}
