package archive

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"
)

// Grants of disclosure requests.
//
// When staff grant a request for a record (依申请公开, 政府信息公开条例 Art. 36),
// the record's content is released to whoever holds that request ticket's link.
// Which tickets a record is released to is a chain of versions of subject "grant"
// whose id is the record's (grants/<record id>/<n>.json), like its publication
// state: each version lists every ticket granted so far, adds one, names its
// actor and time, and is a ledger entry. Visibility reads the latest list
// (RecordState.Grants).

// GrantList is one version of the tickets granted a record's content.
type GrantList struct {
	// Record is the record's id, the subject's id.
	Record string
	// Version is 1 for the first grant, n+1 for each next one.
	Version int
	// Tickets are every ticket granted so far, sorted; Ticket is the one this
	// version added.
	Tickets []string
	Ticket  string
	// RecordVersion is the version of the record that was the latest then.
	RecordVersion int
	// At is when; Actor who.
	At    time.Time
	Actor Actor
}

type grantWire struct {
	Schema        int      `json:"schema"`
	Record        string   `json:"record"`
	Version       int      `json:"version"`
	Ticket        string   `json:"ticket"`
	Tickets       []string `json:"tickets"`
	RecordVersion int      `json:"record_version"`
	At            string   `json:"at"`
	Actor         Actor    `json:"actor,omitempty"`
}

// EncodeGrantList returns the canonical JSON of g.
func EncodeGrantList(g GrantList) ([]byte, error) {
	b, err := encodeCanonical(grantWire{Schema: SchemaVersion, Record: g.Record, Version: g.Version,
		Ticket: g.Ticket, Tickets: g.Tickets, RecordVersion: g.RecordVersion, At: formatTime(g.At), Actor: g.Actor})
	if err != nil {
		return nil, fmt.Errorf("archive: encode grants %s: %w", g.Record, err)
	}
	return b, nil
}

// DecodeGrantList parses what EncodeGrantList writes.
func DecodeGrantList(b []byte) (GrantList, error) {
	var w grantWire
	if err := decodeStrict(b, &w); err != nil {
		return GrantList{}, fmt.Errorf("archive: decode grants: %w", err)
	}
	at, err := parseTime(w.At)
	if err != nil {
		return GrantList{}, fmt.Errorf("archive: decode grants %s: at: %w", w.Record, err)
	}
	if !slices.IsSorted(w.Tickets) || !slices.Contains(w.Tickets, w.Ticket) || len(slices.Compact(slices.Clone(w.Tickets))) != len(w.Tickets) {
		return GrantList{}, fmt.Errorf("archive: decode grants %s: tickets must be sorted, once each, and hold the one added", w.Record)
	}
	for _, t := range w.Tickets {
		if !ValidTicketID(t) {
			return GrantList{}, fmt.Errorf("archive: decode grants %s: %q is not a ticket id", w.Record, t)
		}
	}
	return GrantList{Record: w.Record, Version: w.Version, Ticket: w.Ticket, Tickets: w.Tickets,
		RecordVersion: w.RecordVersion, At: at, Actor: w.Actor}, nil
}

// GrantVersions is how grant lists are versioned.
var GrantVersions = VersionKind[GrantList]{
	Subject: SubjectGrant, First: EventCreate,
	Encode: EncodeGrantList, Decode: DecodeGrantList,
	Ident: func(g GrantList) (string, int) { return g.Record, g.Version },
	Meta: func(g GrantList) VersionMeta {
		return VersionMeta{Time: g.At, Actor: g.Actor}
	},
}

func (a *Archive) grants() *Versions[GrantList] { return NewVersions(a, GrantVersions) }

// Grant releases the content of record id to the holder of request ticket's
// link, as actor. A record whose class is never released on request is
// ErrNotGrantable; a ticket granted already is ErrUnchanged with the list.
func (a *Archive) Grant(ctx context.Context, id, ticket string, actor Actor) (GrantList, error) {
	fail := func(g GrantList, err error) (GrantList, error) {
		return g, fmt.Errorf("archive: grant %s to %s: %w", id, ticket, err)
	}
	if !ValidTicketID(ticket) {
		return fail(GrantList{}, fmt.Errorf("%q is not a ticket id: %w", ticket, ErrInvalid))
	}
	for range publicationRetries {
		rec, err := a.Record(ctx, id)
		if err != nil {
			return fail(GrantList{}, err)
		}
		if err := CheckGrantable(rec); err != nil {
			return fail(GrantList{}, err)
		}
		cur, err := a.grants().Latest(ctx, id)
		if err != nil && !errors.Is(err, ErrNotFound) {
			return fail(GrantList{}, err)
		}
		if slices.Contains(cur.Tickets, ticket) {
			return fail(cur, ErrUnchanged)
		}
		tickets := append(slices.Clone(cur.Tickets), ticket)
		slices.Sort(tickets)
		g := GrantList{Record: id, Version: cur.Version + 1, Ticket: ticket, Tickets: tickets,
			RecordVersion: rec.Version, At: normTime(a.now()), Actor: a.actorOf(actor)}
		got, err := a.grants().put(ctx, g)
		if errors.Is(err, ErrVersionExists) {
			continue // another grant came first: decide again on it
		}
		if err != nil {
			return fail(got, err)
		}
		return got, nil
	}
	return fail(GrantList{}, fmt.Errorf("other grants kept coming first: %w", ErrVersionExists))
}

// Grants returns the latest list of tickets granted record id (the zero list
// when none was).
func (a *Archive) Grants(ctx context.Context, id string) (GrantList, error) {
	if err := checkRecordID(id); err != nil {
		return GrantList{}, fmt.Errorf("archive: grants: %w", err)
	}
	g, err := a.grants().Latest(ctx, id)
	if errors.Is(err, ErrNotFound) {
		return GrantList{Record: id}, nil
	}
	return g, err
}
