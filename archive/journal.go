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

// EventKind names a state change that the ledger records (ARCHITECTURE.md, invariant
// 3: every state change is a ledger entry). The names are part of the ledger's
// entry text, so they never change once used.
type EventKind string

// The kinds of state change.
const (
	EventFile          EventKind = "file"           // version 1 of a record was filed
	EventNewVersion    EventKind = "new_version"    // a correction: version n+1 of a record
	EventPublish       EventKind = "publish"        // a record version was published
	EventWithdraw      EventKind = "withdraw"       // a publication was withdrawn
	EventHold          EventKind = "hold"           // a legal hold was set
	EventRelease       EventKind = "release"        // a legal hold was released
	EventDispose       EventKind = "dispose"        // the content was disposed of (tombstone)
	EventFixityFailure EventKind = "fixity_failure" // an audit found the content damaged or missing
)

// EventKinds lists every kind.
func EventKinds() []EventKind {
	return []EventKind{EventFile, EventNewVersion, EventPublish, EventWithdraw, EventHold,
		EventRelease, EventDispose, EventFixityFailure}
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

// Event is one state change of one record version, as the ledger records it. It
// carries identifiers and digests only, never metadata such as titles or household
// numbers, because the ledger is public and append-only: what enters it cannot be
// taken back.
type Event struct {
	Kind     EventKind
	RecordID string
	Version  int
	// Content are the digests of the record version's content.
	Content Digests
	// RecordDigest is the SHA-256 of the record version's canonical JSON (the bytes
	// stored under records/<id>/<version>.json), which binds the metadata to the
	// entry without revealing it.
	RecordDigest Hash
	// Time is when the change happened. For filing and corrections it is the
	// record's FiledAt, so that a re-run of an interrupted filing produces the
	// same event again.
	Time time.Time
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
// content digests, the SHA-256 of its canonical JSON and its filing time.
func RecordEvent(k EventKind, r Record) (Event, error) {
	b, err := EncodeRecord(r)
	if err != nil {
		return Event{}, err
	}
	return Event{Kind: k, RecordID: r.ID, Version: r.Version, Content: r.Content,
		RecordDigest: sha256.Sum256(b), Time: normTime(r.FiledAt)}, nil
}

// journal makes the writes of the stored version r durable, then appends the event
// of kind k for it when the archive has a journal. Content, marker and version went
// in as deferred puts: one Sync makes them all durable (on the filesystem store, one
// syncfs instead of two fsyncs each, see blob.Syncer), and it comes first, so that
// the ledger never names a version that a power failure could take back.
func (a *Archive) journal(ctx context.Context, k EventKind, r Record) error {
	if err := blob.Sync(ctx, a.store); err != nil {
		return fmt.Errorf("making version %d durable: %w", r.Version, err)
	}
	if a.journalTo == nil {
		return nil
	}
	e, err := RecordEvent(k, r)
	if err != nil {
		return err
	}
	if _, err := a.journalTo.Append(ctx, e); err != nil {
		return fmt.Errorf("journal %s of version %d: %w", k, r.Version, err)
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
	if n < 1 || n > maxVersion {
		return nil, fmt.Errorf("archive: record %s version %d: %w", id, n, ErrNotFound)
	}
	b, err := a.get(ctx, recordKey(id, n))
	if err != nil {
		return nil, fmt.Errorf("archive: record %s version %d: %w", id, n, err)
	}
	return b, nil
}

// RecordVersionInfo is one stored record version as a walk of the archive sees it.
type RecordVersionInfo struct {
	ID      string
	Version int
	Key     string
}

// WalkRecordVersions calls fn for every stored record version file in key order,
// starting after the key after ("" for all), without reading them. Keys under
// records/ that are not version files are skipped. It is how an audit enumerates
// the archive in an order it can resume.
func (a *Archive) WalkRecordVersions(ctx context.Context, after string, fn func(RecordVersionInfo) error) error {
	return a.store.List(ctx, "records/", after, func(info blob.Info) error {
		id, file, ok := strings.Cut(strings.TrimPrefix(info.Key, "records/"), "/")
		n := parseVersionName(file)
		if !ok || n == 0 || !ValidRecordID(id) {
			return nil
		}
		return fn(RecordVersionInfo{ID: id, Version: n, Key: info.Key})
	})
}
