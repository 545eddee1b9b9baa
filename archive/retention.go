package archive

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/gongshi-archive/gongshi/archive/blob"
)

// Retention: what the archive keeps of how long it keeps things.
//
// How long a record is kept is decided by package retention (the schedules, the
// disposal date, legal holds); the archive asks it, through Options.Locks, before it
// stores a version, and does three things with the answer: it keeps the record's
// schedule in the record version (Record.Schedule), it stores the version's object
// with the lock (a retain-until date and a legal hold, which the storage enforces),
// and it extends the lock of the record's content, which only ever grows, so that
// content shared by records of different schedules is kept as long as the longest
// of them needs. A record disposed of at the end of its period gets a last version,
// its tombstone (DisposeRecord), which says when and on whose approval.

// RetentionTrigger names what a retention period is counted from.
type RetentionTrigger string

// The triggers.
const (
	// TriggerDocumentDate: the date the document bears (成文日期).
	TriggerDocumentDate RetentionTrigger = "document_date"
	// TriggerProjectClose: the close of the project (项目结束), unknown until the
	// project's "closed" date is recorded.
	TriggerProjectClose RetentionTrigger = "project_close"
)

// Valid reports whether t is one of the triggers.
func (t RetentionTrigger) Valid() bool { return t == TriggerDocumentDate || t == TriggerProjectClose }

// ProjectClosed is the name of the project date (Project.Dates) on which a project
// was closed: the trigger of the schedules that count from the close of the project.
const ProjectClosed = "closed"

// Schedule is the retention schedule kept with a record version: the period, what
// it is counted from, and the disposal date that gives (computed by package
// retention: from the 1 January after the trigger's date, as archives count).
type Schedule struct {
	// Period is the retention period: Y (permanent), D30 or D10.
	Period RetentionCode `json:"period"`
	// Trigger is what the period is counted from.
	Trigger RetentionTrigger `json:"trigger"`
	// From is the trigger's date; zero while it is unknown (a project not yet
	// closed).
	From Date `json:"from,omitzero"`
	// Due is the disposal date: the first day after the period. Zero for a
	// permanent record, and while From is unknown.
	Due Date `json:"due,omitzero"`
}

// Disposal is what a tombstone says: the record was disposed of at the end of its
// retention period, on an approved list.
type Disposal struct {
	// List is the id of the disposal (the approved list) the record was on.
	List string `json:"list"`
	// Proposer proposed the list; Approver approved it (two different accounts).
	Proposer Actor `json:"proposer"`
	Approver Actor `json:"approver"`
	// Approved is when the list was approved.
	Approved time.Time `json:"approved"`
	// Register is the record id of the destruction list (销毁清册) that lists the
	// record, itself a permanent record.
	Register string `json:"register"`
}

// Lock is the storage lock of an object: retained until a date, and a legal hold.
type Lock struct {
	// Until is the retain-until date; zero for none.
	Until time.Time
	// Hold sets the object's legal hold.
	Hold bool
}

// Locks is asked before a version is stored (Options.Locks); package retention
// implements it. Nil stores every version unlocked and keeps no schedule.
type Locks interface {
	// Record returns, for record version r about to be stored (a filing, a
	// correction, a tombstone), the schedule to keep with it and the lock of its
	// objects: the version's, and its content's (extended, never shortened).
	Record(ctx context.Context, r Record) (*Schedule, Lock, error)
	// Version returns the lock of version n of subject id of any other kind.
	Version(ctx context.Context, kind SubjectKind, id string, n int) (Lock, error)
}

// ErrDisposed: the record was disposed of; its tombstone is its last version, and
// nothing can follow it.
var ErrDisposed = errors.New("record was disposed of")

// putOptions are the options of a version's put with lock l.
func putOptions(l Lock) blob.PutOptions {
	return blob.PutOptions{RetainUntil: l.Until, LegalHold: l.Hold}
}

// recordLock asks the locks for rec's schedule and lock, and sets rec.Schedule.
func (a *Archive) recordLock(ctx context.Context, rec *Record) (Lock, error) {
	rec.Schedule = nil
	if a.locks == nil {
		return Lock{}, nil
	}
	s, l, err := a.locks.Record(ctx, *rec)
	if err != nil {
		return Lock{}, fmt.Errorf("retention: %w", err)
	}
	rec.Schedule = s
	return l, nil
}

// versionLock is the lock of a version of another kind of subject.
func (a *Archive) versionLock(ctx context.Context, kind SubjectKind, id string, n int) (Lock, error) {
	if a.locks == nil {
		return Lock{}, nil
	}
	l, err := a.locks.Version(ctx, kind, id, n)
	if err != nil {
		return Lock{}, fmt.Errorf("retention: %w", err)
	}
	return l, nil
}

// LockObject extends the lock of the object under key to l: its retention to
// l.Until (never shorter), and its legal hold set when l.Hold. It is how the lock
// of shared content grows with each record that names it, and how package
// retention gives existing objects their locks. A Syncer store may leave the
// extension to its next Sync.
func (a *Archive) LockObject(ctx context.Context, key string, l Lock) error {
	if !l.Until.IsZero() {
		if err := a.store.ExtendRetention(ctx, key, l.Until); err != nil {
			return err
		}
	}
	if l.Hold {
		if err := a.store.SetLegalHold(ctx, key, true); err != nil {
			return err
		}
	}
	return nil
}

// lockRecordContent asks for rec's schedule and lock (setting rec.Schedule), and
// extends the lock of its content to it, before the record version is stored:
// a record is never stored with content less locked than it needs.
func (a *Archive) lockRecordContent(ctx context.Context, rec *Record) (Lock, error) {
	l, err := a.recordLock(ctx, rec)
	if err != nil {
		return Lock{}, err
	}
	if err := a.LockObject(ctx, ContentKey(rec.Content.SHA256), l); err != nil {
		return Lock{}, fmt.Errorf("content %s: lock: %w", rec.Content.SHA256, err)
	}
	return l, nil
}

// Tombstone returns the tombstone of record version prev for disposal d: the
// last version, which keeps what identifies the record (its catalogue entry, its
// content's digests, its schedule) and drops what describes the content or a
// person (abstract, keywords, household, file name, page count, signature and
// four-property reports): those went with the content, and the destruction list
// keeps the catalogue entry.
func Tombstone(prev Record, d Disposal, at time.Time, actor Actor) Record {
	return Record{
		ID: prev.ID, Version: prev.Version + 1, Project: prev.Project, Type: prev.Type,
		Title: prev.Title, DocNumber: prev.DocNumber, Issuer: prev.Issuer, Date: prev.Date,
		Disclosure: prev.Disclosure, Retention: prev.Retention, ArchivalCode: prev.ArchivalCode,
		Format: prev.Format, PublicCopyOf: prev.PublicCopyOf, Content: prev.Content,
		Schedule: prev.Schedule, Disposal: &d,
		Supersedes: &Supersedes{Version: prev.Version, Reason: "disposed of on list " + d.List + " (销毁)"},
		Actor:      actor, FiledAt: normTime(at),
	}
}

// DisposeRecord stores the tombstone of record id, whose latest version is base,
// for disposal d, as actor, ledgered with an entry of kind dispose. It does not
// touch the content: package retention deletes it, when no record that is kept
// needs it. A tombstone already stored for d is returned with ErrRecordExists
// (the re-run of an interrupted disposal); a record already disposed of otherwise
// is ErrDisposed.
func (a *Archive) DisposeRecord(ctx context.Context, id string, base int, d Disposal, actor Actor) (Record, error) {
	prev, err := a.RecordVersion(ctx, id, base)
	if err != nil {
		return Record{}, fmt.Errorf("archive: dispose of record %s: %w", id, err)
	}
	if prev.Disposal != nil {
		if prev.Disposal.List == d.List {
			return prev, fmt.Errorf("archive: dispose of record %s: %w", id, ErrRecordExists)
		}
		return Record{}, fmt.Errorf("archive: dispose of record %s: on list %s: %w", id, prev.Disposal.List, ErrDisposed)
	}
	var ps problems
	if base >= maxVersion {
		ps.add("version", fmt.Sprintf("version %d is the last possible", base))
	}
	if d.List == "" || !SubjectDisposal.ValidID(d.List) {
		ps.add("disposal.list", fmt.Sprintf("%q is not a disposal id", d.List))
	}
	if d.Register != "" && !ValidRecordID(d.Register) {
		ps.add("disposal.register", fmt.Sprintf("%q is not a record id", d.Register))
	}
	if _, ok := d.Proposer.Account(); !ok {
		ps.add("disposal.proposer", fmt.Sprintf("%q is not a staff account", d.Proposer))
	}
	if _, ok := d.Approver.Account(); !ok {
		ps.add("disposal.approver", fmt.Sprintf("%q is not a staff account", d.Approver))
	}
	if d.Proposer == d.Approver {
		ps.add("disposal.approver", "the approver must be another account than the proposer")
	}
	d.Approved = normTime(d.Approved)
	if err := ps.err("disposal of record " + id); err != nil {
		return Record{}, fmt.Errorf("archive: dispose of record %s: %w", id, err)
	}
	tomb := Tombstone(prev, d, a.now(), a.actorOf(actor))
	schedule := tomb.Schedule
	lock, err := a.recordLock(ctx, &tomb)
	if err != nil {
		return Record{}, fmt.Errorf("archive: dispose of record %s: %w", id, err)
	}
	tomb.Schedule = schedule // the tombstone keeps the schedule the record had
	stored, err := a.recordVersions.putLocked(ctx, tomb, &lock)
	if errors.Is(err, ErrVersionExists) && stored.Disposal != nil && stored.Disposal.List == d.List {
		return stored, fmt.Errorf("archive: dispose of record %s: %w", id, ErrRecordExists)
	}
	if err != nil {
		return Record{}, fmt.Errorf("archive: dispose of record %s: %w", id, err)
	}
	return stored, nil
}
