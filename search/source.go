package search

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/gongshi-archive/gongshi/archive"
	"github.com/gongshi-archive/gongshi/archive/ledger"
)

// Source is what the index is derived from: the ledger, in order, and the records
// it names. The index stores how far into the ledger it has applied, and asks for
// the rest.
type Source interface {
	// Size is the number of entries in the ledger.
	Size(ctx context.Context) (int64, error)
	// Changes calls fn with what each entry from index from (included) to index
	// to (excluded) changed, in order.
	Changes(ctx context.Context, from, to int64, fn func(Change) error) error
	// Doc returns the latest version of record id with its project and state. The
	// hint says what the ledger tells of it, which a source may use to read less.
	// A record that is gone (or was never stored) is ErrGone.
	Doc(ctx context.Context, id string, hint Hint) (Doc, error)
}

// Hint is what the ledger says of a record, as far as the index has read it.
type Hint struct {
	// Version is the latest version the ledger names (0 when unknown): a source
	// may read it without listing the versions.
	Version int
	// Stateless: the whole ledger was read and no entry changed the record's
	// state (its publication, …): its state is the zero state, and a source
	// need not look for one.
	Stateless bool
}

// Change is what one ledger entry changed: a record (filed, corrected, published,
// withdrawn, disposed …) or a project (whose names its records carry), or nothing
// the index keeps.
type Change struct {
	Index   int64
	Record  string
	Version int
	// State: the entry changed the record's state (a publication), not its
	// version.
	State   bool
	Project string
}

// ErrGone: the record is not in the archive (Source.Doc).
var ErrGone = errors.New("record not in the archive")

// StateFunc returns the state of a record, for ArchiveSource.
type StateFunc func(ctx context.Context, id string) (archive.RecordState, error)

// ArchiveSource is the Source of an archive and its ledger. state gives each
// record's state (publication, windows, disposal); nil means the archive's
// RecordState, which is made of ledgered versions only, so that a rebuild asks
// for the state of only the records whose state the ledger says changed. A
// state of its own is asked for every record.
func ArchiveSource(a *archive.Archive, l *ledger.Log, state StateFunc) Source {
	ledgered := state == nil
	if state == nil {
		state = a.RecordState
	}
	return &archiveSource{a: a, l: l, state: state, ledgered: ledgered}
}

type archiveSource struct {
	a        *archive.Archive
	l        *ledger.Log
	state    StateFunc
	ledgered bool     // state comes from ledgered versions alone: Hint.Stateless holds
	projects sync.Map // code → *projectEntry, for the length of one read of many records
}

func (s *archiveSource) Size(ctx context.Context) (int64, error) {
	_, cp, err := s.l.Latest(ctx)
	if errors.Is(err, ledger.ErrNotFound) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	return cp.Size, nil
}

// errStop ends a read of entries early.
var errStop = errors.New("stop")

func (s *archiveSource) Changes(ctx context.Context, from, to int64, fn func(Change) error) error {
	err := s.l.Entries(ctx, func(i int64, entry []byte) error {
		if i < from {
			return nil
		}
		if i >= to {
			return errStop
		}
		e, err := ledger.ParseEntry(entry)
		if err != nil {
			return fmt.Errorf("ledger entry %d: %w", i, err)
		}
		c := Change{Index: i}
		switch kind, id := e.Ref(); kind {
		case archive.SubjectRecord:
			c.Record, c.Version = id, e.Version
		case archive.SubjectPublication, archive.SubjectTable, archive.SubjectGrant:
			// The record's state changed (its publication, its table, the
			// requests granted it), not its version; these subjects' ids are
			// the record's.
			c.Record, c.State = id, true
		case archive.SubjectProject:
			c.Project = id
		}
		return fn(c)
	})
	if errors.Is(err, errStop) {
		return nil
	}
	return err
}

type projectEntry struct {
	once sync.Once
	p    archive.Project
	err  error
}

func (s *archiveSource) Doc(ctx context.Context, id string, hint Hint) (Doc, error) {
	var rec archive.Record
	var err error
	if version := hint.Version; version > 0 {
		rec, err = s.a.RecordVersion(ctx, id, version)
		if errors.Is(err, archive.ErrNotFound) {
			rec, err = s.a.Record(ctx, id) // a later version than the ledger named
		}
	} else {
		rec, err = s.a.Record(ctx, id)
	}
	if errors.Is(err, archive.ErrNotFound) {
		return Doc{}, fmt.Errorf("record %s: %w", id, ErrGone)
	}
	if err != nil {
		return Doc{}, err
	}
	v, _ := s.projects.LoadOrStore(rec.Project, &projectEntry{})
	pe := v.(*projectEntry)
	pe.once.Do(func() { pe.p, pe.err = s.a.Project(ctx, rec.Project) })
	if pe.err != nil {
		s.projects.Delete(rec.Project) // try again next time
		return Doc{}, fmt.Errorf("record %s: %w", id, pe.err)
	}
	d := Doc{Record: rec, Project: pe.p}
	if !(hint.Stateless && s.ledgered) {
		if d.State, err = s.state(ctx, id); err != nil {
			return Doc{}, fmt.Errorf("record %s: state: %w", id, err)
		}
	}
	return d, nil
}

// forgetProject drops a cached project (its new version was appended).
func (s *archiveSource) forgetProject(code string) { s.projects.Delete(code) }
