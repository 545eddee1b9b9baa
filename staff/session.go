package staff

import (
	"fmt"
	"time"

	"github.com/gongshi-archive/gongshi/archive"
)

// Session is one version of a login session: version 1 begins it (at a login),
// version 2 ends it (a logout, or an administrator ending it). Sessions are
// stored under the hash of their secret (sessions/<id>/<n>.json, subject
// "session"), so every server behind one store knows every session and none can
// be taken from the store or the ledger; the secret lives only in the person's
// cookie. A session also ends by itself at ExpiresAt, when its account is
// disabled, and when its account gets another password.
type Session struct {
	ID      string
	Version int
	// Account is the account's id.
	Account string
	// Client is the address the login came from, for the auditor.
	Client string
	// CreatedAt is the login; ExpiresAt when the session ends by itself.
	CreatedAt time.Time
	ExpiresAt time.Time
	// PasswordSetAt is the account's at the login: a session lives only while
	// the account keeps that password.
	PasswordSetAt time.Time
	// EndedAt and Reason are set in version 2.
	EndedAt time.Time
	Reason  string
	Actor   archive.Actor
}

// Ended reports whether the session no longer lets anyone in at now.
func (s Session) Ended(now time.Time) bool { return !s.EndedAt.IsZero() || !now.Before(s.ExpiresAt) }

type sessionWire struct {
	Schema    int           `json:"schema"`
	ID        string        `json:"id"`
	Version   int           `json:"version"`
	Account   string        `json:"account"`
	Client    string        `json:"client,omitempty"`
	CreatedAt string        `json:"created_at"`
	ExpiresAt string        `json:"expires_at"`
	Password  string        `json:"password_set_at"`
	EndedAt   string        `json:"ended_at,omitempty"`
	Reason    string        `json:"reason,omitempty"`
	Actor     archive.Actor `json:"actor"`
}

// EncodeSession returns the canonical JSON of s.
func EncodeSession(s Session) ([]byte, error) {
	b, err := archive.EncodeCanonical(sessionWire{Schema: archive.SchemaVersion, ID: s.ID, Version: s.Version,
		Account: s.Account, Client: s.Client, CreatedAt: archive.FormatTime(s.CreatedAt),
		ExpiresAt: archive.FormatTime(s.ExpiresAt), Password: archive.FormatTime(s.PasswordSetAt), EndedAt: archive.FormatTime(s.EndedAt), Reason: s.Reason, Actor: s.Actor})
	if err != nil {
		return nil, fmt.Errorf("staff: encode session: %w", err)
	}
	return b, nil
}

// DecodeSession parses what EncodeSession writes.
func DecodeSession(b []byte) (Session, error) {
	var w sessionWire
	if err := archive.DecodeStrict(b, &w); err != nil {
		return Session{}, fmt.Errorf("staff: decode session: %w", err)
	}
	var tp timeParser
	at := tp.at
	s := Session{ID: w.ID, Version: w.Version, Account: w.Account, Client: w.Client, CreatedAt: at(w.CreatedAt),
		ExpiresAt: at(w.ExpiresAt), PasswordSetAt: at(w.Password), EndedAt: at(w.EndedAt), Reason: w.Reason, Actor: w.Actor}
	if tp.err != nil {
		return Session{}, fmt.Errorf("staff: decode session %s: %w", w.ID, tp.err)
	}
	return s, nil
}

// SessionVersions is how sessions are versioned.
var SessionVersions = archive.VersionKind[Session]{
	Subject: archive.SubjectSession, First: archive.EventCreate,
	Encode: EncodeSession, Decode: DecodeSession,
	Ident: func(s Session) (string, int) { return s.ID, s.Version },
	Meta: func(s Session) archive.VersionMeta {
		m := archive.VersionMeta{Time: s.CreatedAt, Actor: s.Actor, Reason: s.Reason}
		if !s.EndedAt.IsZero() {
			m.Time = s.EndedAt
		}
		return m
	},
}

// TrailEntry is one entry of the staff audit trail: a staff action that is no
// version of anything else (an audit run, an export, a read of a household's
// personal data). Each is version 1 of its own subject (trail/<id>/000001.json,
// subject "trail"), so each is a ledger entry: the trail is as tamper-evident as
// the ledger. Ids begin with the time, so the store lists the trail in order.
type TrailEntry struct {
	ID string
	// Action is what was done, a word of a-z and '_' ("audit", "export").
	Action string
	// Subject names what it was done to ("record <id>", "project <code>"), when
	// it was one thing.
	Subject string
	// Detail says what came of it, in a line (no personal data: the auditor reads
	// it, but the store keeps it for ever).
	Detail string
	Client string
	At     time.Time
	Actor  archive.Actor
}

type trailWire struct {
	Schema  int           `json:"schema"`
	ID      string        `json:"id"`
	Version int           `json:"version"`
	Action  string        `json:"action"`
	Subject string        `json:"subject,omitempty"`
	Detail  string        `json:"detail,omitempty"`
	Client  string        `json:"client,omitempty"`
	At      string        `json:"at"`
	Actor   archive.Actor `json:"actor"`
}

// EncodeTrail returns the canonical JSON of t.
func EncodeTrail(t TrailEntry) ([]byte, error) {
	b, err := archive.EncodeCanonical(trailWire{Schema: archive.SchemaVersion, ID: t.ID, Version: 1, Action: t.Action,
		Subject: t.Subject, Detail: t.Detail, Client: t.Client, At: archive.FormatTime(t.At), Actor: t.Actor})
	if err != nil {
		return nil, fmt.Errorf("staff: encode trail entry: %w", err)
	}
	return b, nil
}

// DecodeTrail parses what EncodeTrail writes.
func DecodeTrail(b []byte) (TrailEntry, error) {
	var w trailWire
	if err := archive.DecodeStrict(b, &w); err != nil {
		return TrailEntry{}, fmt.Errorf("staff: decode trail entry: %w", err)
	}
	if w.Version != 1 {
		return TrailEntry{}, fmt.Errorf("staff: decode trail entry %s: version %d (a trail entry has one)", w.ID, w.Version)
	}
	at, err := archive.ParseTime(w.At)
	if err != nil {
		return TrailEntry{}, fmt.Errorf("staff: decode trail entry %s: %w", w.ID, err)
	}
	return TrailEntry{ID: w.ID, Action: w.Action, Subject: w.Subject, Detail: w.Detail, Client: w.Client, At: at, Actor: w.Actor}, nil
}

// TrailVersions is how trail entries are stored.
var TrailVersions = archive.VersionKind[TrailEntry]{
	Subject: archive.SubjectTrail, First: archive.EventCreate,
	Encode: EncodeTrail, Decode: DecodeTrail,
	Ident: func(t TrailEntry) (string, int) { return t.ID, 1 },
	Meta: func(t TrailEntry) archive.VersionMeta {
		return archive.VersionMeta{Time: t.At, Actor: t.Actor}
	},
}

// newTrailID is an id that sorts by time: 20261201T083015123Z-<6 random>.
func newTrailID(at time.Time) string {
	at = at.UTC()
	return newID(fmt.Sprintf("%s%03dZ-", at.Format("20060102T150405"), at.Nanosecond()/1e6), 6)
}
