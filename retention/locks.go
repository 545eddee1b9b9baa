package retention

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/gongshi-archive/gongshi/archive"
	"github.com/gongshi-archive/gongshi/archive/blob"
)

// Locks is the archive's retention policy (archive.Options.Locks): asked before
// each version is stored, it says how long the storage must keep its objects and
// whether a legal hold covers them, and for a record which schedule to keep with
// it. It reads the holds and, for records counted from the close of their
// project, the project, through an archive of its own over the same store.
type Locks struct {
	a     *archive.Archive
	rules *Rules
	now   func() time.Time
	holds *archive.Versions[Hold]
	exts  *archive.Versions[Extension]
}

var _ archive.Locks = (*Locks)(nil)

// NewLocks returns the policy of rules over the store st, whose records are
// validated against cat; now is the clock (nil: time.Now).
func NewLocks(st blob.Store, cat *archive.Catalogue, rules *Rules, now func() time.Time) *Locks {
	if now == nil {
		now = time.Now
	}
	a := archive.New(st, archive.Options{Catalogue: cat, Now: now})
	return &Locks{a: a, rules: rules, now: now, holds: archive.NewVersions(a, HoldVersions), exts: archive.NewVersions(a, ExtensionVersions)}
}

// Record implements archive.Locks: the schedule in force (the deployment's rules,
// merged for a correction with what the record had), the lock until its
// disposal date (or the horizon), and a legal hold when a hold in force covers
// the record or its project. A tombstone is kept for ever.
func (l *Locks) Record(ctx context.Context, r archive.Record) (*archive.Schedule, archive.Lock, error) {
	now := l.now()
	if r.Disposal != nil {
		return r.Schedule, archive.Lock{Until: l.rules.Forever(now)}, nil
	}
	var kept []archive.Schedule
	if r.Version > 1 {
		k, err := keptSchedules(ctx, l.a, l.exts, r.ID)
		if err != nil {
			return nil, archive.Lock{}, err
		}
		kept = k
	}
	closed, err := l.closed(ctx, r, kept)
	if err != nil {
		return nil, archive.Lock{}, err
	}
	s := l.rules.Schedule(l.a.Catalogue(), r, kept, closed)
	held, err := heldNow(ctx, l.holds, r)
	if err != nil {
		return nil, archive.Lock{}, err
	}
	return &s, archive.Lock{Until: l.rules.Until(r, s, now), Hold: held}, nil
}

// Version implements archive.Locks: every other kind of state is kept for
// ever, and a project's versions are held while a hold covers the project.
func (l *Locks) Version(ctx context.Context, kind archive.SubjectKind, id string, n int) (archive.Lock, error) {
	lock := archive.Lock{Until: l.rules.Forever(l.now())}
	if kind == archive.SubjectProject {
		hs, err := holdsOf(ctx, l.holds, projectHoldPrefix(id))
		if err != nil {
			return archive.Lock{}, err
		}
		for _, h := range hs {
			lock.Hold = lock.Hold || !h.Released
		}
	}
	return lock, nil
}

// closed is the close date of r's project when r's schedule counts from it.
func (l *Locks) closed(ctx context.Context, r archive.Record, kept []archive.Schedule) (archive.Date, error) {
	s := l.rules.schedules(l.a.Catalogue()).For(r)
	for _, k := range kept {
		s = Merge(s, k)
	}
	if s.Trigger != archive.TriggerProjectClose {
		return archive.Date{}, nil
	}
	p, err := l.a.Project(ctx, r.Project)
	if errors.Is(err, archive.ErrNotFound) {
		return archive.Date{}, nil // the archive refuses the record itself
	}
	if err != nil {
		return archive.Date{}, err
	}
	return ProjectClosed(p), nil
}

// keptSchedules returns the schedules kept for record id: in each of its versions
// and in each extension.
func keptSchedules(ctx context.Context, a *archive.Archive, exts *archive.Versions[Extension], id string) ([]archive.Schedule, error) {
	var out []archive.Schedule
	vs, err := a.RecordVersions(ctx, id)
	if err != nil && !errors.Is(err, archive.ErrNotFound) {
		return nil, err
	}
	for _, v := range vs {
		if v.Schedule != nil {
			out = append(out, *v.Schedule)
		}
	}
	xs, err := exts.History(ctx, id)
	if err != nil && !errors.Is(err, archive.ErrNotFound) {
		return nil, err
	}
	for _, x := range xs {
		out = append(out, x.Schedule)
	}
	return out, nil
}

// The prefixes of the holds of a project and of a record, within holds/: '_'
// occurs in neither a project code nor a record id, so each names only its own.
func projectHoldPrefix(code string) string { return "P_" + code + "_" }
func recordHoldPrefix(id string) string    { return "R_" + id + "_" }

// heldNow reports whether a hold in force covers record r (by its project or
// by itself): one listing each, normally empty.
func heldNow(ctx context.Context, holds *archive.Versions[Hold], r archive.Record) (bool, error) {
	for _, prefix := range []string{projectHoldPrefix(r.Project), recordHoldPrefix(r.ID)} {
		if r.Version == 1 && prefix == recordHoldPrefix(r.ID) {
			continue // no hold can name a record before it is filed
		}
		hs, err := holdsOf(ctx, holds, prefix)
		if err != nil {
			return false, err
		}
		for _, h := range hs {
			if h.Covers(r) {
				return true, nil
			}
		}
	}
	return false, nil
}

// holdsOf returns the latest version of every hold whose id starts with prefix.
func holdsOf(ctx context.Context, holds *archive.Versions[Hold], prefix string) ([]Hold, error) {
	var ids []string
	err := holds.WalkIDs(ctx, prefix, func(v archive.VersionInfo) error {
		if len(ids) == 0 || ids[len(ids)-1] != v.ID {
			ids = append(ids, v.ID)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("holds %s: %w", prefix, err)
	}
	out := make([]Hold, 0, len(ids))
	for _, id := range ids {
		h, err := holds.Latest(ctx, id)
		if err != nil {
			return nil, err
		}
		out = append(out, h)
	}
	return out, nil
}
