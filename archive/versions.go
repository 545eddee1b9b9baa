package archive

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/gongshi-archive/gongshi/archive/blob"
)

// Versioned state.
//
// Whatever looks mutable in the archive (a project, later an account, a household,
// a hold, a publication, a request) is a chain of versions, and a record is too:
// version n of subject id is the create-once object
//
//	<prefix><id>/<n, six digits>.json     e.g. projects/CC-2026-001/000002.json
//
// in canonical JSON, the latest is the last listed, and a change is version n+1
// that names who made it (an Actor) and, from version 2 on, what it supersedes and
// why. Every version is a ledger entry (VersionEvent), appended after the version
// is stored and made durable. Versions[T] is the one code path for all of them:
// CreateProject, CorrectProject, CreateRecord and CorrectRecord go through it, and
// so does any kind a later issue adds (a line in subjectKinds, a VersionKind, and
// NewVersions).
//
// Races and re-runs: of two writers of version n only one creates it; the other
// gets ErrVersionExists with the stored version. Before returning it, Put appends
// the stored version's event (Journal.Append is idempotent): a change interrupted
// between its version and its entry is completed by its re-run, and the entry
// always says what the stored version says (its actor, its reason), whoever
// completes it.

// VersionKind says how the versions of one kind of subject are encoded and what
// their ledger entries take from them.
type VersionKind[T any] struct {
	// Subject is the kind; it must be one of SubjectKinds.
	Subject SubjectKind
	// First is the event kind of version 1 (EventCreate; EventFile for records).
	First EventKind
	// Later, when not nil, returns the event kind of a version after the first
	// (a record's tombstone is EventDispose, a hold's release EventRelease);
	// nil means EventNewVersion for all of them.
	Later func(T) EventKind
	// Encode returns the canonical JSON of a version; Decode parses it back,
	// refusing anything else.
	Encode func(T) ([]byte, error)
	Decode func([]byte) (T, error)
	// Ident returns the subject id and version number a version carries.
	Ident func(T) (id string, version int)
	// Meta returns what the version's ledger entry takes from it beyond its id,
	// number and digest.
	Meta func(T) VersionMeta
}

// VersionMeta is what a version's ledger entry takes from the version.
type VersionMeta struct {
	// Time is the version's own time (the event's time), stored in the version so
	// that a re-run derives the same event.
	Time time.Time
	// Actor made the version; "" in versions made before actors were recorded.
	Actor Actor
	// Reason is why (a correction's reason); "" for none.
	Reason string
	// Content are the digests of the version's content, for kinds with content.
	Content Digests
}

// VersionInfo is one stored version as a walk of the store sees it.
type VersionInfo struct {
	ID      string
	Version int
	Key     string
}

// Versions stores and reads the versions of one kind of subject in an Archive. It
// holds no state; it is safe for concurrent use.
type Versions[T any] struct {
	a      *Archive
	k      VersionKind[T]
	prefix string
}

// NewVersions returns the versions of kind k in a. It panics when k's subject
// kind is not in the vocabulary: that is a programming error, not input.
func NewVersions[T any](a *Archive, k VersionKind[T]) *Versions[T] {
	if !k.Subject.Valid() || !k.First.Valid() || k.Encode == nil || k.Decode == nil || k.Ident == nil || k.Meta == nil {
		panic(fmt.Sprintf("archive: NewVersions: incomplete kind %q", k.Subject))
	}
	return &Versions[T]{a: a, k: k, prefix: k.Subject.Prefix()}
}

// Subject is the kind of subject these versions are of.
func (vs *Versions[T]) Subject() SubjectKind { return vs.k.Subject }

func (vs *Versions[T]) idPrefix(id string) string { return vs.prefix + id + "/" }

// Key is the storage key of version n of subject id.
func (vs *Versions[T]) Key(id string, n int) string { return vs.idPrefix(id) + versionName(n) }

// VersionEvent returns the ledger event of a stored version: v as decoded from
// raw, its canonical bytes. A version without an actor was made before actors
// were recorded: for a record the event is of the first form (as its entry was
// then); any other kind's gets ActorBackfill.
func VersionEvent[T any](k VersionKind[T], v T, raw []byte) Event {
	id, n := k.Ident(v)
	m := k.Meta(v)
	e := Event{Kind: k.First, Subject: k.Subject, SubjectID: id, Version: n,
		RecordDigest: sha256.Sum256(raw), Actor: m.Actor, Reason: ReasonDigest(m.Reason), Time: normTime(m.Time)}
	if n > 1 {
		e.Kind = EventNewVersion
		if k.Later != nil {
			e.Kind = k.Later(v)
		}
	}
	if k.Subject.HasContent() {
		e.Content = m.Content
	}
	if k.Subject == SubjectRecord {
		e.RecordID = id
		if e.Actor == "" {
			e.Subject, e.SubjectID, e.Reason = "", "", Hash{}
		}
	} else if e.Actor == "" {
		e.Actor = ActorBackfill
	}
	return e
}

// Put stores v, version n of subject id as v says, create-once, and appends its
// ledger event. The version must name its actor. When version n exists already
// the result is the stored version and ErrVersionExists, after its event is
// appended (idempotent: see the notes above).
func (vs *Versions[T]) Put(ctx context.Context, v T) (T, error) {
	id, n := vs.k.Ident(v)
	got, err := vs.put(ctx, v)
	if err != nil {
		return got, fmt.Errorf("archive: %s %s version %d: %w", vs.k.Subject, id, n, err)
	}
	return got, nil
}

// put is Put with errors not yet prefixed, for the callers in this package,
// which say what they were doing.
func (vs *Versions[T]) put(ctx context.Context, v T) (T, error) {
	return vs.putLocked(ctx, v, nil)
}

// putLocked is put with the lock of the version's object; nil asks the
// archive's Locks (a record's callers ask before, since the schedule is part of
// the version).
func (vs *Versions[T]) putLocked(ctx context.Context, v T, lock *Lock) (T, error) {
	var zero T
	id, n := vs.k.Ident(v)
	var ps problems
	if !vs.k.Subject.ValidID(id) {
		ps.add("id", fmt.Sprintf("%q is not a %s id", id, vs.k.Subject))
	}
	if n < 1 || n > maxVersion {
		ps.add("version", fmt.Sprintf("%d is not a version number (1 to %d)", n, maxVersion))
	}
	if a := vs.k.Meta(v).Actor; !a.Valid() {
		ps.add("actor", fmt.Sprintf("a new version must name a valid actor, not %q", a))
	}
	if err := ps.err(string(vs.k.Subject) + " " + id); err != nil {
		return zero, err
	}
	if lock == nil {
		l, err := vs.a.versionLock(ctx, vs.k.Subject, id, n)
		if err != nil {
			return zero, err
		}
		lock = &l
	}
	b, err := vs.k.Encode(v)
	if err != nil {
		return zero, err
	}
	// A journal that would refuse the event (a damaged ledger) says so first:
	// nothing is stored that the ledger cannot record.
	if r, ok := vs.a.journalTo.(interface{ Ready(context.Context) error }); ok {
		if err := r.Ready(ctx); err != nil {
			return zero, err
		}
	}
	opts := putOptions(*lock)
	opts.Deferred = true // made durable with the rest before its entry (journal)
	err = vs.a.putWith(ctx, vs.Key(id, n), b, opts)
	if errors.Is(err, blob.ErrExists) {
		stored, raw, gerr := vs.get(ctx, id, n)
		if gerr != nil {
			return zero, gerr
		}
		if jerr := vs.a.journal(ctx, VersionEvent(vs.k, stored, raw)); jerr != nil {
			return zero, jerr
		}
		return stored, fmt.Errorf("version %d: %w", n, ErrVersionExists)
	}
	if err != nil {
		return zero, err
	}
	if err := vs.a.journal(ctx, VersionEvent(vs.k, v, b)); err != nil {
		return zero, fmt.Errorf("stored, but: %w", err)
	}
	return v, nil
}

// Ledger appends the event of the stored version n of id (idempotent: an event
// already in the ledger is not appended again) and returns it. It is how versions
// stored before their kind was ledgered get their entries ('gongshi ledger
// backfill').
func (vs *Versions[T]) Ledger(ctx context.Context, id string, n int) (Event, error) {
	v, raw, err := vs.get(ctx, id, n)
	if err != nil {
		return Event{}, fmt.Errorf("archive: ledger %s %s version %d: %w", vs.k.Subject, id, n, err)
	}
	e := VersionEvent(vs.k, v, raw)
	if err := vs.a.journal(ctx, e); err != nil {
		return Event{}, fmt.Errorf("archive: ledger %s %s version %d: %w", vs.k.Subject, id, n, err)
	}
	return e, nil
}

// Get returns version n of subject id, or ErrNotFound.
func (vs *Versions[T]) Get(ctx context.Context, id string, n int) (T, error) {
	v, _, err := vs.get(ctx, id, n)
	if err != nil {
		return v, fmt.Errorf("archive: %s %s version %d: %w", vs.k.Subject, id, n, err)
	}
	return v, nil
}

// Bytes returns the stored canonical JSON of version n of id, exactly as stored
// (the bytes whose SHA-256 its ledger entry holds), or ErrNotFound.
func (vs *Versions[T]) Bytes(ctx context.Context, id string, n int) ([]byte, error) {
	if err := vs.checkRef(id, n); err != nil {
		return nil, fmt.Errorf("archive: %s %s version %d: %w", vs.k.Subject, id, n, err)
	}
	b, err := vs.a.get(ctx, vs.Key(id, n))
	if err != nil {
		return nil, fmt.Errorf("archive: %s %s version %d: %w", vs.k.Subject, id, n, err)
	}
	return b, nil
}

func (vs *Versions[T]) checkRef(id string, n int) error {
	if !vs.k.Subject.ValidID(id) {
		var ps problems
		ps.add("id", fmt.Sprintf("%q is not a %s id", id, vs.k.Subject))
		return ps.err(string(vs.k.Subject) + " id")
	}
	if n < 1 || n > maxVersion {
		return ErrNotFound
	}
	return nil
}

// get reads, decodes and checks version n of id; errors are not prefixed.
func (vs *Versions[T]) get(ctx context.Context, id string, n int) (T, []byte, error) {
	var zero T
	if err := vs.checkRef(id, n); err != nil {
		return zero, nil, err
	}
	b, err := vs.a.get(ctx, vs.Key(id, n))
	if err != nil {
		return zero, nil, err
	}
	v, err := vs.k.Decode(b)
	if err != nil {
		return zero, nil, fmt.Errorf("%w: %w", ErrCorrupt, err)
	}
	if gid, gn := vs.k.Ident(v); gid != id || gn != n {
		return zero, nil, fmt.Errorf("stored document says %s version %d: %w", gid, gn, ErrCorrupt)
	}
	return v, b, nil
}

// Numbers returns the version numbers stored of id, ascending.
func (vs *Versions[T]) Numbers(ctx context.Context, id string) ([]int, error) {
	if !vs.k.Subject.ValidID(id) {
		return nil, vs.checkRef(id, 1)
	}
	return vs.a.versions(ctx, vs.idPrefix(id))
}

// Latest returns the latest version of id, or ErrNotFound.
func (vs *Versions[T]) Latest(ctx context.Context, id string) (T, error) {
	var zero T
	ns, err := vs.Numbers(ctx, id)
	if err != nil {
		return zero, fmt.Errorf("archive: %s %s: %w", vs.k.Subject, id, err)
	}
	if len(ns) == 0 {
		return zero, fmt.Errorf("archive: %s %s: %w", vs.k.Subject, id, ErrNotFound)
	}
	return vs.Get(ctx, id, ns[len(ns)-1])
}

// History returns every version of id, oldest first, or ErrNotFound.
func (vs *Versions[T]) History(ctx context.Context, id string) ([]T, error) {
	ns, err := vs.Numbers(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("archive: %s %s: %w", vs.k.Subject, id, err)
	}
	if len(ns) == 0 {
		return nil, fmt.Errorf("archive: %s %s: %w", vs.k.Subject, id, ErrNotFound)
	}
	out := make([]T, 0, len(ns))
	for _, n := range ns {
		v, err := vs.Get(ctx, id, n)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

// EachLatest calls fn with the latest version of every subject of the kind, in
// key order, and stops at the first error fn returns (returned as is).
func (vs *Versions[T]) EachLatest(ctx context.Context, fn func(T) error) error {
	latest, err := vs.a.latestKeys(ctx, vs.prefix)
	if err != nil {
		return fmt.Errorf("archive: %s: %w", vs.k.Subject, err)
	}
	for _, l := range latest {
		if !vs.k.Subject.ValidID(l.name) {
			continue
		}
		v, err := vs.Get(ctx, l.name, l.version)
		if err != nil {
			return err
		}
		if err := fn(v); err != nil {
			return err
		}
	}
	return nil
}

// Walk calls fn for every stored version file of the kind in key order, starting
// after the key after ("" for all), without reading them. Keys that are not
// version files of a valid id are skipped. It is how an audit or a backfill
// enumerates the versions in an order it can resume.
func (vs *Versions[T]) Walk(ctx context.Context, after string, fn func(VersionInfo) error) error {
	return vs.walk(ctx, vs.prefix, after, fn)
}

// WalkIDs is Walk of the versions of the subjects whose id starts with
// idPrefix: one listing of the store under that prefix. Kinds whose ids say
// what they are about (the holds of a project) are found so.
func (vs *Versions[T]) WalkIDs(ctx context.Context, idPrefix string, fn func(VersionInfo) error) error {
	return vs.walk(ctx, vs.prefix+idPrefix, "", fn)
}

func (vs *Versions[T]) walk(ctx context.Context, prefix, after string, fn func(VersionInfo) error) error {
	return vs.a.store.List(ctx, prefix, after, func(info blob.Info) error {
		id, file, ok := strings.Cut(strings.TrimPrefix(info.Key, vs.prefix), "/")
		n := parseVersionName(file)
		if !ok || n == 0 || !vs.k.Subject.ValidID(id) {
			return nil
		}
		return fn(VersionInfo{ID: id, Version: n, Key: info.Key})
	})
}

// The kinds of this package.

// ProjectVersions is how projects are versioned.
var ProjectVersions = VersionKind[Project]{
	Subject: SubjectProject, First: EventCreate,
	Encode: EncodeProject, Decode: DecodeProject,
	Ident: func(p Project) (string, int) { return p.Code, p.Version },
	Meta: func(p Project) VersionMeta {
		m := VersionMeta{Time: p.UpdatedAt, Actor: p.Actor}
		if p.Supersedes != nil {
			m.Reason = p.Supersedes.Reason
		}
		return m
	},
}

// RecordVersions is how records are versioned.
var RecordVersions = VersionKind[Record]{
	Subject: SubjectRecord, First: EventFile,
	Later: func(r Record) EventKind {
		if r.Disposal != nil {
			return EventDispose
		}
		return EventNewVersion
	},
	Encode: EncodeRecord, Decode: DecodeRecord,
	Ident: func(r Record) (string, int) { return r.ID, r.Version },
	Meta: func(r Record) VersionMeta {
		m := VersionMeta{Time: r.FiledAt, Actor: r.Actor, Content: r.Content}
		if r.Supersedes != nil {
			m.Reason = r.Supersedes.Reason
		}
		return m
	},
}

// ProjectStore returns the project versions of the archive.
func (a *Archive) ProjectStore() *Versions[Project] { return a.projectVersions }

// RecordStore returns the record versions of the archive.
func (a *Archive) RecordStore() *Versions[Record] { return a.recordVersions }
