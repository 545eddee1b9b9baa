package archive

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Publication state.
//
// Whether a record is published is a chain of versions like any other state
// (Versions): publications/<record id>/<n>.json, version 1 a publication, each
// later one a withdrawal or a publication again, each with its actor, its time and
// its reason, and each a ledger entry (the subject "publication <record id>").
// Nothing is overwritten: a withdrawn record's history shows when it was shown
// and why it no longer is.

// Publication is one version of a record's publication state.
type Publication struct {
	// Record is the record's id, the subject's id.
	Record string
	// Version is 1 for the first publication, n+1 for each change.
	Version int
	// Status is Published or Withdrawn.
	Status PublicationStatus
	// RecordVersion is the version of the record that was the latest when this
	// version was made (what was published, or shown until the withdrawal).
	RecordVersion int
	// At is when the change was made.
	At time.Time
	// Actor made it.
	Actor Actor
	// Reason is why; required for a withdrawal.
	Reason string
}

type publicationWire struct {
	Schema        int               `json:"schema"`
	Record        string            `json:"record"`
	Version       int               `json:"version"`
	Status        PublicationStatus `json:"status"`
	RecordVersion int               `json:"record_version"`
	At            string            `json:"at"`
	Actor         Actor             `json:"actor,omitempty"`
	Reason        string            `json:"reason,omitempty"`
}

// EncodePublication returns the canonical JSON of p.
func EncodePublication(p Publication) ([]byte, error) {
	b, err := encodeCanonical(publicationWire{Schema: SchemaVersion, Record: p.Record, Version: p.Version,
		Status: p.Status, RecordVersion: p.RecordVersion, At: formatTime(p.At), Actor: p.Actor, Reason: p.Reason})
	if err != nil {
		return nil, fmt.Errorf("archive: encode publication %s: %w", p.Record, err)
	}
	return b, nil
}

// DecodePublication parses what EncodePublication writes.
func DecodePublication(b []byte) (Publication, error) {
	var w publicationWire
	if err := decodeStrict(b, &w); err != nil {
		return Publication{}, fmt.Errorf("archive: decode publication: %w", err)
	}
	at, err := parseTime(w.At)
	if err != nil {
		return Publication{}, fmt.Errorf("archive: decode publication %s: at: %w", w.Record, err)
	}
	if w.Status != Published && w.Status != Withdrawn {
		return Publication{}, fmt.Errorf("archive: decode publication %s: status %q", w.Record, w.Status)
	}
	return Publication{Record: w.Record, Version: w.Version, Status: w.Status, RecordVersion: w.RecordVersion,
		At: at, Actor: w.Actor, Reason: w.Reason}, nil
}

// PublicationVersions is how publication states are versioned.
var PublicationVersions = VersionKind[Publication]{
	Subject: SubjectPublication, First: EventPublish,
	Encode: EncodePublication, Decode: DecodePublication,
	Ident: func(p Publication) (string, int) { return p.Record, p.Version },
	Meta: func(p Publication) VersionMeta {
		return VersionMeta{Time: p.At, Actor: p.Actor, Reason: p.Reason}
	},
}

// Sentinel errors of publication.
var (
	// ErrUnchanged: the record is already in the asked state (published, or
	// withdrawn); nothing was stored.
	ErrUnchanged = errors.New("already in that state")
	// ErrNotPublished: a withdrawal of a record that is not published.
	ErrNotPublished = errors.New("not published")
)

// Publish publishes record id (its latest version) for those its class allows
// (see Visibility), as actor for reason (may be empty). A record whose class
// forbids publication is ErrNotPublishable; one already published is
// ErrUnchanged with its publication.
func (a *Archive) Publish(ctx context.Context, id string, actor Actor, reason string) (Publication, error) {
	p, err := a.changePublication(ctx, id, Published, actor, reason)
	if err != nil {
		return p, fmt.Errorf("archive: publish %s: %w", id, err)
	}
	return p, nil
}

// Withdraw ends the publication of record id, as actor, for reason (required).
// A record that is not published is ErrNotPublished.
func (a *Archive) Withdraw(ctx context.Context, id string, actor Actor, reason string) (Publication, error) {
	p, err := a.changePublication(ctx, id, Withdrawn, actor, reason)
	if err != nil {
		return p, fmt.Errorf("archive: withdraw %s: %w", id, err)
	}
	return p, nil
}

// publicationRetries is how often a change that lost a race for its version
// reads the new latest and decides again.
const publicationRetries = 5

func (a *Archive) changePublication(ctx context.Context, id string, to PublicationStatus, actor Actor, reason string) (Publication, error) {
	var ps problems
	checkText(&ps, "reason", reason, maxReason, to == Withdrawn)
	if err := ps.err("publication of " + id); err != nil {
		return Publication{}, err
	}
	for range publicationRetries {
		rec, err := a.Record(ctx, id)
		if err != nil {
			return Publication{}, err
		}
		cur, err := a.Publication(ctx, id)
		if err != nil && !errors.Is(err, ErrNotFound) {
			return Publication{}, err
		}
		switch {
		case cur.Status == to:
			return cur, ErrUnchanged
		case to == Withdrawn && cur.Status != Published:
			return Publication{}, ErrNotPublished
		case to == Published:
			if err := CheckPublishable(rec); err != nil {
				return Publication{}, err
			}
		}
		p := Publication{Record: id, Version: cur.Version + 1, Status: to, RecordVersion: rec.Version,
			At: normTime(a.now()), Actor: a.actorOf(actor), Reason: reason}
		got, err := a.publications().put(ctx, p)
		if errors.Is(err, ErrVersionExists) {
			continue // another change came first: decide again on it
		}
		if err != nil {
			return got, err
		}
		return got, nil
	}
	return Publication{}, fmt.Errorf("other changes kept coming first: %w", ErrVersionExists)
}

func (a *Archive) publications() *Versions[Publication] {
	return NewVersions(a, PublicationVersions)
}

// Publication returns the latest publication version of record id, or
// ErrNotFound when it was never published.
func (a *Archive) Publication(ctx context.Context, id string) (Publication, error) {
	if err := checkRecordID(id); err != nil {
		return Publication{}, fmt.Errorf("archive: publication: %w", err)
	}
	return a.publications().Latest(ctx, id)
}

// PublicationHistory returns every publication version of record id, oldest
// first (none when it was never published).
func (a *Archive) PublicationHistory(ctx context.Context, id string) ([]Publication, error) {
	if err := checkRecordID(id); err != nil {
		return nil, fmt.Errorf("archive: publication: %w", err)
	}
	h, err := a.publications().History(ctx, id)
	if errors.Is(err, ErrNotFound) {
		return nil, nil
	}
	return h, err
}

// RecordState returns what visibility reads about record id beyond its metadata:
// its publication status, and when it was first and last published; its
// per-household table's presence and publicity window; the request tickets
// granted its content. Every part is a chain of ledgered versions.
func (a *Archive) RecordState(ctx context.Context, id string) (RecordState, error) {
	st, err := a.publicationState(ctx, id)
	if err != nil {
		return RecordState{}, err
	}
	t, err := a.Table(ctx, id)
	switch {
	case err == nil:
		st.Table = TableState{Attached: true, Window: t.Window.Window()}
	case !errors.Is(err, ErrNotFound):
		return RecordState{}, err
	}
	g, err := a.Grants(ctx, id)
	if err != nil {
		return RecordState{}, err
	}
	st.Grants = g.Tickets
	return st, nil
}

func (a *Archive) publicationState(ctx context.Context, id string) (RecordState, error) {
	p, err := a.Publication(ctx, id)
	if errors.Is(err, ErrNotFound) {
		return RecordState{}, nil
	}
	if err != nil {
		return RecordState{}, err
	}
	st := RecordState{Publication: p.Status}
	if p.Status == Published {
		st.PublishedAt = p.At
	}
	st.FirstPublishedAt = p.At
	if p.Version > 1 {
		first, err := a.publications().Get(ctx, id, 1)
		if err != nil {
			return RecordState{}, err
		}
		st.FirstPublishedAt = first.At
	}
	return st, nil
}
