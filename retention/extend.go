package retention

import (
	"context"
	"fmt"
	"maps"

	"github.com/gongshi-archive/gongshi/archive"
)

// Close records that project code closed on date (the project's "closed" date,
// a new version of the project, for reason), and then keeps the disposal date of
// each of its records whose schedule counts from the close, and extends their
// locks to match: the close is unknown at filing, and locks only grow. A project
// closed already on that date is only locked again (the re-run of an interrupted
// close); one closed on another date is refused: a close date is not changed.
func (e *Executor) Close(ctx context.Context, code string, date archive.Date, reason string, actor archive.Actor) (LockReport, error) {
	if err := checkReason("closing a project", reason); err != nil {
		return LockReport{}, err
	}
	if !date.Valid() || date.IsZero() {
		return LockReport{}, fmt.Errorf("retention: close %s: %q is not a date", code, date)
	}
	if today := archive.DateOf(e.now()); date.After(today) {
		return LockReport{}, fmt.Errorf("retention: close %s: %s is after today (%s): record a close when it has happened", code, date, today)
	}
	p, err := e.a.Project(ctx, code)
	if err != nil {
		return LockReport{}, fmt.Errorf("retention: close %s: %w", code, err)
	}
	switch old := ProjectClosed(p); {
	case old == date:
	case !old.IsZero():
		return LockReport{}, fmt.Errorf("retention: close %s: the project closed on %s already", code, old)
	default:
		q := p
		q.Dates = maps.Clone(p.Dates)
		if q.Dates == nil {
			q.Dates = map[string]archive.Date{}
		}
		q.Dates[archive.ProjectClosed] = date
		q.Actor = actor
		if _, err := e.a.CorrectProject(ctx, code, p.Version, q, reason); err != nil {
			return LockReport{}, fmt.Errorf("retention: close %s: %w", code, err)
		}
	}
	rep, err := e.Lock(ctx, LockOptions{Project: code, Actor: actor})
	if err != nil {
		return rep, fmt.Errorf("retention: close %s: the project is closed, but: %w", code, err)
	}
	return rep, nil
}

// Extend extends the retention of record id to at least period, counted from
// trigger ("" keeps the record's), for reason, as actor: a version of the
// record's retention state, then the locks of its versions and content. A
// period no longer than the one in force changes nothing and says so.
func (e *Executor) Extend(ctx context.Context, id string, period archive.RetentionCode, trigger archive.RetentionTrigger, reason string, actor archive.Actor) (Entry, error) {
	if err := checkReason("an extension", reason); err != nil {
		return Entry{}, err
	}
	if !period.Valid() {
		return Entry{}, fmt.Errorf("retention: extend %s: period %q: want Y, D30 or D10", id, period)
	}
	if trigger != "" && !trigger.Valid() {
		return Entry{}, fmt.Errorf("retention: extend %s: trigger %q: want document_date or project_close", id, trigger)
	}
	en, err := e.StatusOf(ctx, id)
	if err != nil {
		return Entry{}, err
	}
	if en.Record.Disposal != nil {
		return en, fmt.Errorf("retention: extend %s: %w", id, archive.ErrDisposed)
	}
	cur := en.Status.Schedule
	if trigger == "" {
		trigger = cur.Trigger
	}
	merged := Merge(cur, archive.Schedule{Period: period, Trigger: trigger})
	if merged.Period == cur.Period && merged.Trigger == cur.Trigger {
		return en, fmt.Errorf("retention: extend %s: it is kept %s counted from %s already; retention is extended, never shortened", id, cur.Period, cur.Trigger)
	}
	p, err := e.a.Project(ctx, en.Record.Project)
	if err != nil {
		return en, fmt.Errorf("retention: extend %s: %w", id, err)
	}
	if _, err := e.extend(ctx, id, Compute(merged, en.Record, ProjectClosed(p)), reason, actor); err != nil {
		return en, fmt.Errorf("retention: extend %s: %w", id, err)
	}
	// Keeps the computed schedule (From, Due) and extends the locks.
	if _, err := e.Lock(ctx, LockOptions{Record: id, Actor: actor}); err != nil {
		return en, fmt.Errorf("retention: extend %s: extended, but: %w", id, err)
	}
	return e.StatusOf(ctx, id)
}
