package retention

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/gongshi-archive/gongshi/archive"
	"github.com/gongshi-archive/gongshi/archive/blob"
	"github.com/gongshi-archive/gongshi/internal/parallel"
)

// LockOptions configure Lock.
type LockOptions struct {
	// DryRun counts what would change and changes nothing.
	DryRun bool
	// Actor keeps the schedules of records that have none kept yet; "" means
	// archive.ActorSystem.
	Actor archive.Actor
	// Workers look at objects in parallel (on S3 each look is a round trip); 0
	// means 16.
	Workers int
	// Progress, when not nil, is called after each object, from one goroutine
	// at a time.
	Progress func(done, total int)
	// Project or Record, when set, limit the run to that project's records or
	// that record (and their content): what a close or an extension changed.
	Project string
	Record  string
}

func (o LockOptions) all() bool { return o.Project == "" && o.Record == "" }

func (o LockOptions) covers(r archive.Record) bool {
	return o.all() || o.Project != "" && r.Project == o.Project || o.Record != "" && r.ID == o.Record
}

// LockReport is what Lock did (or, with DryRun, would do).
type LockReport struct {
	DryRun bool `json:"dry_run,omitempty"`
	// Records surveyed; Schedules kept for records whose schedule in force was
	// not kept yet (filed before schedules, or whose project closed since).
	Records   int `json:"records"`
	Schedules int `json:"schedules_kept"`
	// Objects looked at; Extended, the locks extended (or renewed); Held, the
	// legal holds set.
	Objects  int `json:"objects"`
	Extended int `json:"extended"`
	Held     int `json:"held"`
	// Missing are objects a record names that are not stored (content of
	// disposed records is not looked for).
	Missing []string `json:"missing,omitempty"`
}

// want is what one object needs: a retain-until date and whether a hold in
// force covers it.
type want struct {
	until time.Time
	hold  bool
}

func (w want) merge(o want) want {
	if o.until.After(w.until) {
		w.until = o.until
	}
	w.hold = w.hold || o.hold
	return w
}

// Lock gives every object of the archive the lock it needs, idempotently: the
// versions and content of each record until its disposal date (content as long
// as the longest of its records needs), everything kept for ever (the ledger's
// batches, full tiles, checkpoints and damage notices; every other kind of
// version) to the horizon, and the storage's legal hold where a hold in force
// covers an object. Locks only grow: one longer than needed is left as it is. A
// capped lock is renewed when less than Rules.Renew is left, so run it at least
// that often (yearly is the advice). It also keeps the schedule in force of each
// record whose kept schedule differs (records filed before schedules, records
// whose project has closed since): a version of the record's retention state.
// Run it once on an archive made before locks, and after upgrades; a second run
// changes nothing.
func (e *Executor) Lock(ctx context.Context, o LockOptions) (LockReport, error) {
	rep := LockReport{DryRun: o.DryRun}
	if o.Actor == "" {
		o.Actor = archive.ActorSystem
	}
	sv, err := e.survey(ctx)
	if err != nil {
		return rep, err
	}
	forever := want{until: e.rules.Forever(sv.now)}
	wants := map[string]want{}
	shared := map[string]want{} // with a filter: what the other records need of content
	var order []string
	need := func(key string, w want) {
		if _, ok := wants[key]; !ok {
			order = append(order, key)
		}
		wants[key] = wants[key].merge(w)
	}
	err = e.each(ctx, sv, func(en Entry) error {
		if !o.covers(en.Record) {
			// Its content may be another's too: what it needs counts.
			if en.Record.Disposal == nil {
				for _, k := range sv.contentKeys(en.Record) {
					shared[k] = shared[k].merge(want{until: en.Until, hold: len(en.Status.Holds) > 0})
				}
			}
			return nil
		}
		rep.Records++
		held := len(en.Status.Holds) > 0
		if en.Record.Disposal == nil {
			if changed, err := e.keepSchedule(ctx, sv, en, o); err != nil {
				return err
			} else if changed {
				rep.Schedules++
			}
		}
		for i, k := range e.versionKeys(en) {
			w := want{until: en.Until, hold: held}
			if en.Record.Disposal != nil && i == len(en.Versions)-1 {
				w.until = forever.until // the tombstone
			}
			need(k, w)
		}
		if en.Record.Disposal == nil {
			for _, k := range sv.contentKeys(en.Record) {
				need(k, want{until: en.Until, hold: held})
			}
		}
		return nil
	})
	if err != nil {
		return rep, fmt.Errorf("retention: lock: %w", err)
	}
	for k, w := range shared {
		if _, ok := wants[k]; ok {
			wants[k] = wants[k].merge(w)
		}
	}
	if !o.all() {
		return rep, e.finish(ctx, order, wants, sv.now, o, &rep)
	}
	// Everything else that is kept for ever.
	heldProjects := map[string]bool{}
	for _, h := range sv.holds {
		if !h.Released && h.Project != "" {
			heldProjects[h.Project] = true
		}
	}
	for _, kind := range archive.SubjectKinds() {
		if kind == archive.SubjectRecord {
			continue
		}
		err := e.st.List(ctx, kind.Prefix(), "", func(info blob.Info) error {
			w := forever
			if kind == archive.SubjectProject {
				code, _, _ := strings.Cut(strings.TrimPrefix(info.Key, kind.Prefix()), "/")
				w.hold = heldProjects[code]
			}
			need(info.Key, w)
			return nil
		})
		if err != nil {
			return rep, fmt.Errorf("retention: lock: %w", err)
		}
	}
	for _, prefix := range []string{"ledger/batch/", "ledger/checkpoint/", "ledger/damage/", "ledger/tile/"} {
		err := e.st.List(ctx, prefix, "", func(info blob.Info) error {
			if prefix == "ledger/tile/" && strings.Contains(info.Key, ".p/") {
				return nil // a partial tile: replaced by its full one, never locked
			}
			need(info.Key, forever)
			return nil
		})
		if err != nil {
			return rep, fmt.Errorf("retention: lock: %w", err)
		}
	}
	return rep, e.finish(ctx, order, wants, sv.now, o, &rep)
}

// finish applies what the objects need and makes it durable.
func (e *Executor) finish(ctx context.Context, order []string, wants map[string]want, now time.Time, o LockOptions, rep *LockReport) error {
	if err := e.apply(ctx, order, wants, now, o, rep); err != nil {
		return err
	}
	if !o.DryRun {
		if err := blob.Sync(ctx, e.st); err != nil {
			return fmt.Errorf("retention: lock: %w", err)
		}
	}
	return nil
}

// keepSchedule stores the schedule in force of en as a version of its
// retention state when the last one kept differs.
func (e *Executor) keepSchedule(ctx context.Context, sv *survey, en Entry, o LockOptions) (bool, error) {
	var last *archive.Schedule
	if xs := sv.kept[en.Record.ID]; len(xs) > 0 {
		last = &xs[len(xs)-1]
	} else if en.Record.Schedule != nil {
		last = en.Record.Schedule
	}
	now := en.Status.Schedule
	if last != nil && *last == now {
		return false, nil
	}
	if o.DryRun {
		return true, nil
	}
	reason := "the schedule in force, kept with the record (gongshi retention lock)"
	if last == nil {
		reason = "the schedule of a record filed before schedules were kept (gongshi retention lock)"
	}
	if _, err := e.extend(ctx, en.Record.ID, now, reason, o.Actor); err != nil {
		return false, err
	}
	sv.kept[en.Record.ID] = append(sv.kept[en.Record.ID], now)
	return true, nil
}

// extend stores the next version of record id's retention state with schedule s.
func (e *Executor) extend(ctx context.Context, id string, s archive.Schedule, reason string, actor archive.Actor) (Extension, error) {
	for range 5 {
		ns, err := e.exts.Numbers(ctx, id)
		if err != nil {
			return Extension{}, err
		}
		x := Extension{Record: id, Version: len(ns) + 1, Schedule: s, Reason: reason, Actor: actor, At: e.now()}
		if len(ns) > 0 {
			x.Version = ns[len(ns)-1] + 1
		}
		got, err := e.exts.Put(ctx, x)
		if errors.Is(err, archive.ErrVersionExists) {
			continue // another extension came first: take the next number
		}
		return got, err
	}
	return Extension{}, fmt.Errorf("retention: extend %s: other extensions kept coming first", id)
}

// outcome is what lock did to one object.
type outcome struct {
	extended, held, missing bool
	err                     error
}

// lockOne extends the lock of the object under key, or sets its legal hold, as
// w needs at now (with dryRun, only says so).
func (e *Executor) lockOne(ctx context.Context, key string, w want, now time.Time, dryRun bool) outcome {
	r, err := e.st.Retention(ctx, key)
	if errors.Is(err, blob.ErrNotFound) {
		return outcome{missing: true}
	}
	if err != nil {
		return outcome{err: err}
	}
	var out outcome
	if to, ok := e.rules.Renewal(r.Until, w.until, now); ok {
		out.extended = true
		if !dryRun {
			if err := e.st.ExtendRetention(ctx, key, to); err != nil {
				return outcome{err: err}
			}
		}
	}
	if w.hold && !r.LegalHold {
		out.held = true
		if !dryRun {
			if err := e.st.SetLegalHold(ctx, key, true); err != nil {
				return outcome{err: err}
			}
		}
	}
	return out
}

// apply looks at every object and extends or holds what needs it, on parallel
// workers.
func (e *Executor) apply(ctx context.Context, order []string, wants map[string]want, now time.Time, o LockOptions, rep *LockReport) error {
	workers := o.Workers
	if workers <= 0 {
		workers = 16
	}
	results := make([]outcome, len(order))
	var mu sync.Mutex
	done := 0
	// Each object's error is kept in its outcome, so that one failure does not
	// stop the others: the report names them all.
	err := parallel.For(ctx, len(order), workers, func(ctx context.Context, i int) error {
		results[i] = e.lockOne(ctx, order[i], wants[order[i]], now, o.DryRun)
		if o.Progress != nil {
			mu.Lock()
			done++
			o.Progress(done, len(order))
			mu.Unlock()
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("retention: lock: %w (what is done stays done; run it again)", err)
	}
	var errs []error
	for i, r := range results {
		rep.Objects++
		switch {
		case r.err != nil:
			errs = append(errs, fmt.Errorf("%s: %w", order[i], r.err))
		case r.missing:
			if strings.HasPrefix(order[i], "blobs/") || strings.HasPrefix(order[i], "records/") {
				rep.Missing = append(rep.Missing, order[i])
			}
		}
		if r.extended {
			rep.Extended++
		}
		if r.held {
			rep.Held++
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("retention: lock: %d objects not locked: %w", len(errs), errors.Join(errs[:min(len(errs), 10)]...))
	}
	return nil
}
