package archive

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/gongshi-archive/gongshi/archive/blob"
)

// EventKind names a state change that the ledger records (docs/architecture.md:
// every state change is a ledger entry). The names are part of the ledger's
// entry text, so they never change once used.
type EventKind string

// The kinds of state change.
const (
	EventFile          EventKind = "file"           // version 1 of a record was filed
	EventNewVersion    EventKind = "new_version"    // version n+1 of a subject (a record's correction)
	EventPublish       EventKind = "publish"        // a record version was published
	EventWithdraw      EventKind = "withdraw"       // a publication was withdrawn
	EventHold          EventKind = "hold"           // a legal hold was set
	EventRelease       EventKind = "release"        // a legal hold was released
	EventDispose       EventKind = "dispose"        // the content was disposed of (tombstone)
	EventFixityFailure EventKind = "fixity_failure" // an audit found the content damaged or missing
	EventCreate        EventKind = "create"         // version 1 of a subject other than a record
)

// EventKinds lists every kind.
func EventKinds() []EventKind {
	return []EventKind{EventFile, EventNewVersion, EventPublish, EventWithdraw, EventHold,
		EventRelease, EventDispose, EventFixityFailure, EventCreate}
}

// StoresRecordVersion reports whether an event of kind k about a record is the
// entry of one of its versions (file, new_version, and dispose for its tombstone),
// rather than an event about a version (a fixity failure).
func (k EventKind) StoresRecordVersion() bool {
	return k == EventFile || k == EventNewVersion || k == EventDispose
}

// Valid reports whether k is one of the defined kinds.
func (k EventKind) Valid() bool {
	for _, v := range EventKinds() {
		if k == v {
			return true
		}
	}
	return false
}

// Event is one state change of one version of a subject (a record, a project, …),
// as the ledger records it. It carries identifiers and digests only, never
// metadata such as titles or household numbers, because the ledger is public and
// append-only: what enters it cannot be taken back.
//
// An event without an Actor is of the first form of entry, which only records
// had: the entries written before actors were recorded keep that meaning. Every
// event made now has an actor (see VersionEvent).
type Event struct {
	Kind EventKind
	// Subject is the kind of what changed; "" means a record (the events of the
	// first form name nothing else).
	Subject SubjectKind
	// SubjectID is its id. For a record it is the record id, also in RecordID.
	SubjectID string
	// RecordID is the record's id when the subject is a record, else "". Events
	// of the first form set only this.
	RecordID string
	Version  int
	// Content are the digests of the version's content, for subjects that have
	// content (records); zero for the others.
	Content Digests
	// RecordDigest is the SHA-256 of the subject version's canonical JSON (the
	// bytes stored under records/<id>/<version>.json, projects/<code>/…), which
	// binds the metadata to the entry without revealing it. (The name is from
	// when only records were ledgered; it is the digest for every kind.)
	RecordDigest Hash
	// Actor is who made the change (an account, or a fixed token); "" only in
	// events of the first form.
	Actor Actor
	// Reason is the SHA-256 of the reason given for the change (ReasonDigest),
	// the zero Hash when there is none.
	Reason Hash
	// Time is when the change happened. For versions it is the version's own
	// time (a record's FiledAt, a project's UpdatedAt), so that a re-run of an
	// interrupted change produces the same event again.
	Time time.Time
}

// Ref returns the kind and id of the event's subject, for events of either form.
func (e Event) Ref() (SubjectKind, string) {
	k, id := e.Subject, e.SubjectID
	if k == "" {
		k = SubjectRecord
	}
	if k == SubjectRecord && id == "" {
		id = e.RecordID
	}
	return k, id
}

// Journal records events; the ledger implements it. Options.Journal is nil when an
// archive keeps no ledger (tests of the record store alone).
type Journal interface {
	// Append records e and returns its index in the journal. It is idempotent:
	// appending an event with the same kind, record, version and time as one
	// already recorded returns the index of that one and records nothing, so that
	// a re-run after a crash between storing a record and journaling it completes
	// the journal instead of duplicating it.
	Append(ctx context.Context, e Event) (int64, error)
}

// RecordEvent returns the event of kind k for the record version r as stored: its
// content digests, the SHA-256 of its canonical JSON and its filing time. For the
// version's own event (k is EventFile for version 1, EventNewVersion after) it is
// VersionEvent's, with the record's actor. For any other kind (a fixity failure,
// a publication) it is an event of the first form, without an actor: set
// Subject, SubjectID and Actor for an entry that names who made the change.
func RecordEvent(k EventKind, r Record) (Event, error) {
	b, err := EncodeRecord(r)
	if err != nil {
		return Event{}, err
	}
	e := VersionEvent(RecordVersions, r, b)
	if k != e.Kind {
		e.Kind, e.Subject, e.SubjectID, e.Actor, e.Reason = k, "", "", "", Hash{}
	}
	return e, nil
}

// journal makes the deferred writes of a stored version durable, then appends its
// event when the archive has a journal. Content, marker and version went in as
// deferred puts: one Sync makes them all durable (on the filesystem store, one
// syncfs instead of two fsyncs each, see blob.Syncer), and it comes first, so that
// the ledger never names a version that a power failure could take back.
func (a *Archive) journal(ctx context.Context, e Event) error {
	if err := blob.Sync(ctx, a.store); err != nil {
		return fmt.Errorf("making version %d durable: %w", e.Version, err)
	}
	if a.journalTo == nil {
		return nil
	}
	if _, err := a.journalTo.Append(ctx, e); err != nil {
		return fmt.Errorf("journal %s of version %d: %w", e.Kind, e.Version, err)
	}
	return nil
}

// Content lookup. A file in an inspector's hands is identified by its digests only;
// record ids are derived from the digest and the metadata and cannot be inverted. So
// CreateRecord leaves a create-once marker by-content/<aa>/<sha256 hex>.<record id>
// before it stores the record version. A marker without a record (a crash in
// between) is harmless: RecordsByContent skips ids without a stored record. The
// markers share 256 directories: a directory per content would cost the
// filesystem store a directory creation, and its fsync, for every document.

func byContentPrefix(h Hash) string {
	x := h.String()
	return "by-content/" + x[:2] + "/" + x + "."
}
func byContentKey(h Hash, id string) string { return byContentPrefix(h) + id }
func (a *Archive) putByContent(ctx context.Context, r Record) error {
	err := a.put(ctx, byContentKey(r.Content.SHA256, r.ID), []byte(r.ID+"\n"), true)
	if err != nil && !errors.Is(err, blob.ErrExists) {
		return fmt.Errorf("content index: %w", err)
	}
	return nil
}

// RecordsByContent returns the ids of the records whose content (in any version) has
// the SHA-256 h, in id order; none when no record has it.
func (a *Archive) RecordsByContent(ctx context.Context, h Hash) ([]string, error) {
	prefix := byContentPrefix(h)
	var ids []string
	err := a.store.List(ctx, prefix, "", func(info blob.Info) error {
		if id := strings.TrimPrefix(info.Key, prefix); ValidRecordID(id) {
			ids = append(ids, id)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("archive: records by content %s: %w", h, err)
	}
	out := ids[:0]
	for _, id := range ids {
		vs, err := a.versions(ctx, recordPrefix(id))
		if err != nil {
			return nil, fmt.Errorf("archive: records by content %s: %w", h, err)
		}
		if len(vs) > 0 {
			out = append(out, id)
		}
	}
	return out, nil
}

// RecordVersionBytes returns the stored canonical JSON of version n of record id,
// exactly as stored (the bytes whose SHA-256 the ledger holds), or ErrNotFound.
func (a *Archive) RecordVersionBytes(ctx context.Context, id string, n int) ([]byte, error) {
	if err := checkRecordID(id); err != nil {
		return nil, fmt.Errorf("archive: record: %w", err)
	}
	return a.recordVersions.Bytes(ctx, id, n)
}

// RecordVersionInfo is one stored record version as a walk of the archive sees it.
type RecordVersionInfo = VersionInfo

// WalkRecordVersions calls fn for every stored record version file in key order,
// starting after the key after ("" for all), without reading them. Keys under
// records/ that are not version files are skipped. It is how an audit enumerates
// the archive in an order it can resume.
func (a *Archive) WalkRecordVersions(ctx context.Context, after string, fn func(RecordVersionInfo) error) error {
	return a.recordVersions.Walk(ctx, after, fn)
}
