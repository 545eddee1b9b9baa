package retention

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/gongshi-archive/gongshi/archive"
	"github.com/gongshi-archive/gongshi/archive/blob"
)

// Executor carries out what the rules decide: it reads the archive, asks the
// rules, and stores what they say (holds, extensions, disposals, tombstones,
// locks). Every change is a ledgered version made through the archive, by the
// actor who asked for it. It is safe for concurrent use; every write is
// create-once, so two executors racing on one change store it once.
type Executor struct {
	a         *archive.Archive
	st        blob.Store
	rules     *Rules
	now       func() time.Time
	holds     *archive.Versions[Hold]
	exts      *archive.Versions[Extension]
	disposals *archive.Versions[Disposal]
}

// Options configure an Executor.
type Options struct {
	// Archive is the archive, opened with this package's Locks (archive.Options.Locks)
	// so that what the executor stores is locked too, and with the ledger as its
	// journal.
	Archive *archive.Archive
	// Store is the archive's store.
	Store blob.Store
	// Rules are the rules; nil means the defaults.
	Rules *Rules
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// New returns an executor.
func New(o Options) *Executor {
	if o.Rules == nil {
		o.Rules = &Rules{}
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return &Executor{a: o.Archive, st: o.Store, rules: o.Rules, now: o.Now,
		holds: archive.NewVersions(o.Archive, HoldVersions), exts: archive.NewVersions(o.Archive, ExtensionVersions),
		disposals: archive.NewVersions(o.Archive, DisposalVersions)}
}

// Sentinel errors, wrapped with what was asked.
var (
	// ErrNotDue: a record on a list for disposal is not due (its period runs, it
	// is permanent or waits for its project's close, or it is held).
	ErrNotDue = errors.New("not due for disposal")
	// ErrLocked: the storage still locks an object a disposal would delete.
	ErrLocked = errors.New("still locked in the storage")
	// ErrSameAccount: the approver of a disposal is the account that proposed it.
	ErrSameAccount = errors.New("proposer and approver are the same account")
	// ErrNotAccount: a step that needs a staff account was asked by another actor.
	ErrNotAccount = errors.New("needs a staff account")
	// ErrReleased: the hold is released already.
	ErrReleased = errors.New("hold already released")
	// ErrStep: the disposal is not at the step the command needs.
	ErrStep = errors.New("disposal is not at that step")
)

// Entry is one record as the executor surveys it: its latest version, its
// version numbers and where it stands.
type Entry struct {
	Record   archive.Record
	Versions []int
	Status   Status
	// Until is the retain-until date its objects need now (zero: none).
	Until time.Time
}

// VersionKeys are the storage keys of the entry's record versions.
func (e *Executor) versionKeys(en Entry) []string {
	keys := make([]string, len(en.Versions))
	for i, n := range en.Versions {
		keys[i] = e.a.RecordStore().Key(en.Record.ID, n)
	}
	return keys
}

// survey is what every command reads first: every hold, extension and project
// close date, for the walk of the records.
type survey struct {
	holds  []Hold
	kept   map[string][]archive.Schedule // extensions, by record id
	closed map[string]archive.Date       // by project code
	tables map[string][]string           // content keys of a record's per-household tables, by record id
	now    time.Time
}

func (e *Executor) survey(ctx context.Context) (*survey, error) {
	sv := &survey{kept: map[string][]archive.Schedule{}, closed: map[string]archive.Date{}, tables: map[string][]string{}, now: e.now()}
	if err := eachVersion(ctx, e.a.TableStore(), func(t archive.Table) error {
		if k := archive.ContentKey(t.Content.SHA256); !slices.Contains(sv.tables[t.Record], k) {
			sv.tables[t.Record] = append(sv.tables[t.Record], k)
		}
		return nil
	}); err != nil {
		return nil, fmt.Errorf("retention: tables: %w", err)
	}
	if err := e.holds.EachLatest(ctx, func(h Hold) error {
		sv.holds = append(sv.holds, h)
		return nil
	}); err != nil {
		return nil, fmt.Errorf("retention: holds: %w", err)
	}
	if err := eachVersion(ctx, e.exts, func(x Extension) error {
		sv.kept[x.Record] = append(sv.kept[x.Record], x.Schedule)
		return nil
	}); err != nil {
		return nil, fmt.Errorf("retention: extensions: %w", err)
	}
	ps, err := e.a.Projects(ctx)
	if err != nil {
		return nil, fmt.Errorf("retention: %w", err)
	}
	for _, p := range ps {
		if c := ProjectClosed(p); !c.IsZero() {
			sv.closed[p.Code] = c
		}
	}
	return sv, nil
}

// contentKeys are the content objects of a record: its document's, and the
// CSVs of its per-household tables (which are kept, locked, held and disposed of
// with it).
func (sv *survey) contentKeys(rec archive.Record) []string {
	return append([]string{archive.ContentKey(rec.Content.SHA256)}, sv.tables[rec.ID]...)
}

// entry evaluates record rec (its latest version) with the survey.
func (e *Executor) entry(sv *survey, rec archive.Record) Entry {
	kept := sv.kept[rec.ID]
	if rec.Schedule != nil {
		kept = append([]archive.Schedule{*rec.Schedule}, kept...)
	}
	s := e.rules.Schedule(e.a.Catalogue(), rec, kept, sv.closed[rec.Project])
	en := Entry{Record: rec, Status: e.rules.Status(rec, s, sv.holds, sv.now)}
	if rec.Disposal == nil {
		en.Until = e.rules.Until(rec, s, sv.now)
	}
	return en
}

// each calls fn with every record's entry, in id order, with its version
// numbers.
func (e *Executor) each(ctx context.Context, sv *survey, fn func(Entry) error) error {
	return e.a.Records(ctx, func(rec archive.Record) error {
		ns, err := e.a.RecordStore().Numbers(ctx, rec.ID)
		if err != nil {
			return err
		}
		en := e.entry(sv, rec)
		en.Versions = ns
		return fn(en)
	})
}

// Entries returns where every record stands now (or only those for which keep
// says yes), for reports.
func (e *Executor) Entries(ctx context.Context, keep func(Entry) bool) ([]Entry, error) {
	sv, err := e.survey(ctx)
	if err != nil {
		return nil, err
	}
	var out []Entry
	err = e.each(ctx, sv, func(en Entry) error {
		if keep == nil || keep(en) {
			out = append(out, en)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("retention: %w", err)
	}
	return out, nil
}

// Due returns the records whose period has run and that no hold covers: what
// may be proposed for disposal.
func (e *Executor) Due(ctx context.Context) ([]Entry, error) {
	return e.Entries(ctx, func(en Entry) bool { return en.Status.State == Due })
}

// StatusOf returns where record id stands now.
func (e *Executor) StatusOf(ctx context.Context, id string) (Entry, error) {
	sv, err := e.survey(ctx)
	if err != nil {
		return Entry{}, err
	}
	rec, err := e.a.Record(ctx, id)
	if err != nil {
		return Entry{}, fmt.Errorf("retention: %w", err)
	}
	ns, err := e.a.RecordStore().Numbers(ctx, id)
	if err != nil {
		return Entry{}, fmt.Errorf("retention: %w", err)
	}
	en := e.entry(sv, rec)
	en.Versions = ns
	return en, nil
}

// account checks that actor is a staff account.
func account(actor archive.Actor) error {
	if _, ok := actor.Account(); !ok {
		return fmt.Errorf("%q: %w", actor, ErrNotAccount)
	}
	return nil
}

// checkReason says what is wrong with a reason, or nil.
func checkReason(what, reason string) error {
	r := strings.TrimSpace(reason)
	switch {
	case r == "":
		return fmt.Errorf("%s needs a reason", what)
	case len(reason) > 2000:
		return fmt.Errorf("%s: the reason is %d bytes, at most 2000", what, len(reason))
	case strings.ContainsFunc(reason, func(c rune) bool { return c < 0x20 && c != '\n' || c == 0x7f }):
		return fmt.Errorf("%s: the reason holds a control character", what)
	}
	return nil
}
