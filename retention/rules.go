package retention

import (
	"time"

	"github.com/gongshi-archive/gongshi/archive"
)

// Rules are the pure rules of retention: the schedules, how a disposal date
// becomes the moment a lock ends, and how far the storage lets a lock reach. Every
// method is a function of its arguments: the executor (Executor) reads the
// archive, asks the rules, and writes what they say.
type Rules struct {
	// Schedules are the deployment's schedules; nil means the catalogue's.
	Schedules *Schedules
	// Horizon is the longest lock the storage is asked for: what a permanent
	// record gets, renewed before it runs out (see Renew). 0 means
	// DefaultHorizon.
	Horizon time.Duration
	// Renew is how much of a capped lock may be left before 'gongshi retention
	// lock' renews it to the full Horizon again. 0 means DefaultRenew.
	Renew time.Duration
	// Instant is the moment a disposal date begins, when the lock of a record due
	// that day ends; nil means midnight of the day in China. Tests on a server
	// whose clock cannot be injected map dates to moments seconds away.
	Instant func(archive.Date) time.Time
}

// DefaultHorizon is 100 years: the longest object-lock period S3 accepts as a
// bucket's default retention (AWS and MinIO both refuse more: 36,500 days), and
// so the longest one can count on every S3 server to honour. A lock is a promise
// the storage keeps even against the archive's own administrators, which is why
// it is not set to the year 9999: a compliance lock can never be shortened, so a
// lock far beyond any need would bind storage that a later appraisal, a move to
// another bucket or a change of the catalogue might need back, with no way out;
// a lock that reaches a century and is renewed in time never lapses, and never
// binds more than a century ahead.
const DefaultHorizon = 100 * 365 * 24 * time.Hour

// DefaultRenew is 10 years: 'gongshi retention lock', run at least once a
// decade (the docs say yearly), renews every capped lock with less than this left.
const DefaultRenew = 10 * 365 * 24 * time.Hour

func (r *Rules) horizon() time.Duration {
	if r.Horizon > 0 {
		return r.Horizon
	}
	return DefaultHorizon
}

func (r *Rules) renew() time.Duration {
	if r.Renew > 0 {
		return r.Renew
	}
	return DefaultRenew
}

func (r *Rules) schedules(cat *archive.Catalogue) *Schedules {
	if r.Schedules != nil {
		return r.Schedules
	}
	return DefaultSchedules(cat)
}

// chinaZone: disposal dates are days in China.
var chinaZone = time.FixedZone("CST", 8*3600)

// instant is the moment day d begins.
func (r *Rules) instant(d archive.Date) time.Time {
	if r.Instant != nil {
		return r.Instant(d)
	}
	return time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, chinaZone)
}

// State is where a record stands in its retention.
type State string

// The states.
const (
	// Permanent: kept for ever (Y).
	Permanent State = "permanent"
	// Waiting: counted from the close of a project that is not closed yet; Due
	// is the earliest it can be.
	Waiting State = "waiting"
	// Kept: its period runs until Due.
	Kept State = "kept"
	// Due: its period has run; it may be proposed for disposal.
	Due State = "due"
	// Held: a legal hold covers it. A held record is never due while the hold is
	// in force, whatever its period.
	Held State = "held"
	// Disposed: disposed of; its tombstone is its last version.
	Disposed State = "disposed"
)

// Status is a record's standing in its retention at one moment.
type Status struct {
	State State `json:"state"`
	// Schedule is the schedule in force (merged and computed).
	Schedule archive.Schedule `json:"schedule"`
	// Due is the disposal date; while Waiting, the earliest it can be; zero for
	// a permanent record.
	Due archive.Date `json:"due,omitzero"`
	// Holds are the ids of the holds in force that cover the record.
	Holds []string `json:"holds,omitempty"`
}

// Schedule is the schedule in force for rec: the deployment's current rules
// merged with every schedule kept for it (at filing, in extensions), computed
// with the project's close date (zero while open). Retention only grows: a rule
// shorter than one kept changes nothing.
func (r *Rules) Schedule(cat *archive.Catalogue, rec archive.Record, kept []archive.Schedule, closed archive.Date) archive.Schedule {
	s := r.schedules(cat).For(rec)
	for _, k := range kept {
		s = Merge(s, k)
	}
	return Compute(s, rec, closed)
}

// Status says where rec stands at now, with the schedule s in force (see
// Schedule) and the holds (any; those that cover rec count).
func (r *Rules) Status(rec archive.Record, s archive.Schedule, holds []Hold, now time.Time) Status {
	st := Status{Schedule: s, Due: LeastDue(s, rec)}
	for _, h := range holds {
		if h.Covers(rec) {
			st.Holds = append(st.Holds, h.ID)
		}
	}
	today := archive.DateOf(now)
	switch {
	case rec.Disposal != nil:
		st.State = Disposed
	case len(st.Holds) > 0:
		st.State = Held
	case s.Period.Years() == 0:
		st.State = Permanent
	case s.Due.IsZero():
		st.State = Waiting
	case !today.Before(s.Due):
		st.State = Due
	default:
		st.State = Kept
	}
	return st
}

// Until is the retain-until date that the objects of a record with schedule s
// need at now: the moment its disposal date begins (for a schedule waiting for
// its project's close, the earliest that can be), or for a permanent one, and
// for one due beyond the horizon, now plus the horizon. Zero when the record
// needs no lock (its date already past).
func (r *Rules) Until(rec archive.Record, s archive.Schedule, now time.Time) time.Time {
	limit := now.Add(r.horizon())
	due := LeastDue(s, rec)
	if due.IsZero() {
		return limit
	}
	until := r.instant(due)
	if !until.After(now) {
		return time.Time{}
	}
	if until.After(limit) {
		return limit
	}
	return until
}

// Forever is the lock of what is kept for ever (the ledger, tombstones, the
// states of holds and disposals, projects): now plus the horizon.
func (r *Rules) Forever(now time.Time) time.Time { return now.Add(r.horizon()) }

// Renewal returns the retain-until an object should be extended to at now, when
// it is locked until have and needs want (as Until or Forever give it), and
// whether it needs extending at all. A lock short of what it needs and not capped
// by the horizon is extended to want at once (a date became known, a schedule was
// extended); a capped one (want is the horizon away) is renewed only when less
// than Renew is left, so that a daily run does not touch every permanent object.
func (r *Rules) Renewal(have, want, now time.Time) (time.Time, bool) {
	switch {
	case want.IsZero() || !have.Before(want):
		return time.Time{}, false
	case want.Before(now.Add(r.horizon())):
		return want, true
	case have.Before(now.Add(r.renew())):
		return want, true
	}
	return time.Time{}, false
}
