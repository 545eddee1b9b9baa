package retention

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/gongshi-archive/gongshi/archive"
)

// The state this package keeps, each a chain of ledgered versions (archive.Versions):
//
//	holds/<hold id>/<n>.json          a legal hold: version 1 places it, version 2 releases it
//	retention/<record id>/<n>.json    a record's retention, extended (by a person, or when its
//	                                  project closed); the schedule kept at filing is in the record
//	disposals/<disposal id>/<n>.json  a disposal: 1 proposed, 2 approved, 3 carried out
//
// Each version is canonical JSON (fields in a fixed order, times in UTC with
// milliseconds, no HTML escaping) and decodes strictly.

func formatTime(t time.Time) string { return archive.FormatTime(t) }

func parseTime(s string) (time.Time, error) {
	t, err := archive.ParseTime(s)
	if err == nil && t.IsZero() {
		err = errors.New("no time")
	}
	return t, err
}

func encode(v any) ([]byte, error) { return archive.EncodeCanonical(v) }

// decode reads a version strictly (archive.DecodeStrict checks its schema).
func decode(b []byte, v any) error { return archive.DecodeStrict(b, v) }

// eachVersion calls fn with every stored version of vs (every version of every
// subject, in key order), and stops at the first error of a read or of fn.
func eachVersion[T any](ctx context.Context, vs *archive.Versions[T], fn func(T) error) error {
	return vs.Walk(ctx, "", func(v archive.VersionInfo) error {
		x, err := vs.Get(ctx, v.ID, v.Version)
		if err != nil {
			return err
		}
		return fn(x)
	})
}

// ---- holds ----

// Hold is one version of a legal hold (for example while an administrative lawsuit
// over a project is pending): on one record or on a whole project. Version 1
// places it, with its reason; version 2 releases it, with the reason for that.
// While a hold is in force nothing it covers is due, and every object it covers
// carries the storage's legal hold.
type Hold struct {
	ID      string
	Version int
	// Record or Project is what is held (exactly one of them).
	Record  string
	Project string
	// Released: version 2, the hold is no longer in force.
	Released bool
	// Reason is why the hold was placed (version 1) or released (version 2).
	Reason string
	Actor  archive.Actor
	At     time.Time
}

// Covers reports whether h, in force, covers rec.
func (h Hold) Covers(rec archive.Record) bool {
	return !h.Released && (h.Record != "" && h.Record == rec.ID || h.Project != "" && h.Project == rec.Project)
}

// What names what h holds, for people: "record <id>" or "project <code>".
func (h Hold) What() string {
	if h.Record != "" {
		return "record " + h.Record
	}
	return "project " + h.Project
}

type holdWire struct {
	Schema  int           `json:"schema"`
	ID      string        `json:"id"`
	Version int           `json:"version"`
	Record  string        `json:"record,omitempty"`
	Project string        `json:"project,omitempty"`
	Status  string        `json:"status"`
	Reason  string        `json:"reason"`
	Actor   archive.Actor `json:"actor"`
	At      string        `json:"at"`
}

const (
	holdInForce  = "in_force"
	holdReleased = "released"
)

// EncodeHold returns the canonical JSON of h.
func EncodeHold(h Hold) ([]byte, error) {
	status := holdInForce
	if h.Released {
		status = holdReleased
	}
	return encode(holdWire{Schema: archive.SchemaVersion, ID: h.ID, Version: h.Version, Record: h.Record, Project: h.Project,
		Status: status, Reason: h.Reason, Actor: h.Actor, At: formatTime(h.At)})
}

// DecodeHold parses what EncodeHold writes.
func DecodeHold(b []byte) (Hold, error) {
	var w holdWire
	if err := decode(b, &w); err != nil {
		return Hold{}, fmt.Errorf("retention: decode hold: %w", err)
	}
	at, err := parseTime(w.At)
	if err != nil {
		return Hold{}, fmt.Errorf("retention: decode hold %s: %w", w.ID, err)
	}
	if w.Status != holdInForce && w.Status != holdReleased || (w.Record == "") == (w.Project == "") {
		return Hold{}, fmt.Errorf("retention: decode hold %s: status %q, record %q, project %q", w.ID, w.Status, w.Record, w.Project)
	}
	return Hold{ID: w.ID, Version: w.Version, Record: w.Record, Project: w.Project, Released: w.Status == holdReleased,
		Reason: w.Reason, Actor: w.Actor, At: at}, nil
}

// HoldVersions is how holds are versioned: version 1 is a "hold" entry of the
// ledger, the release a "release" entry.
var HoldVersions = archive.VersionKind[Hold]{
	Subject: archive.SubjectHold, First: archive.EventHold,
	Later:  func(Hold) archive.EventKind { return archive.EventRelease },
	Encode: EncodeHold, Decode: DecodeHold,
	Ident: func(h Hold) (string, int) { return h.ID, h.Version },
	Meta: func(h Hold) archive.VersionMeta {
		return archive.VersionMeta{Time: h.At, Actor: h.Actor, Reason: h.Reason}
	},
}

// ---- extensions of a record's retention ----

// Extension is one version of a record's retention state: a schedule that the
// record must be kept at least as long as (merged with the one kept at filing,
// see Rules.Schedule), with who extended it and why. A person extends a record's
// retention ('gongshi retention extend'); the close of its project extends it
// too, when the record's schedule counts from it.
type Extension struct {
	Record   string
	Version  int
	Schedule archive.Schedule
	Reason   string
	Actor    archive.Actor
	At       time.Time
}

type extensionWire struct {
	Schema   int              `json:"schema"`
	Record   string           `json:"record"`
	Version  int              `json:"version"`
	Schedule archive.Schedule `json:"schedule"`
	Reason   string           `json:"reason"`
	Actor    archive.Actor    `json:"actor"`
	At       string           `json:"at"`
}

// EncodeExtension returns the canonical JSON of x.
func EncodeExtension(x Extension) ([]byte, error) {
	return encode(extensionWire{Schema: archive.SchemaVersion, Record: x.Record, Version: x.Version, Schedule: x.Schedule,
		Reason: x.Reason, Actor: x.Actor, At: formatTime(x.At)})
}

// DecodeExtension parses what EncodeExtension writes.
func DecodeExtension(b []byte) (Extension, error) {
	var w extensionWire
	if err := decode(b, &w); err != nil {
		return Extension{}, fmt.Errorf("retention: decode extension: %w", err)
	}
	at, err := parseTime(w.At)
	if err != nil {
		return Extension{}, fmt.Errorf("retention: decode extension %s: %w", w.Record, err)
	}
	if !w.Schedule.Period.Valid() || !w.Schedule.Trigger.Valid() {
		return Extension{}, fmt.Errorf("retention: decode extension %s: schedule %+v", w.Record, w.Schedule)
	}
	return Extension{Record: w.Record, Version: w.Version, Schedule: w.Schedule, Reason: w.Reason, Actor: w.Actor, At: at}, nil
}

// ExtensionVersions is how extensions are versioned.
var ExtensionVersions = archive.VersionKind[Extension]{
	Subject: archive.SubjectRetention, First: archive.EventCreate,
	Encode: EncodeExtension, Decode: DecodeExtension,
	Ident: func(x Extension) (string, int) { return x.Record, x.Version },
	Meta: func(x Extension) archive.VersionMeta {
		return archive.VersionMeta{Time: x.At, Actor: x.Actor, Reason: x.Reason}
	},
}

// ---- disposals ----

// Step is how far a disposal is.
type Step string

// The steps, one version each.
const (
	// Proposed: version 1, a list of records due, proposed by one account.
	Proposed Step = "proposed"
	// Approved: version 2, approved by another account. From here the disposal
	// is carried out (and an interrupted one is carried on by the same command).
	Approved Step = "approved"
	// Done: version 3, carried out: every record on the list has its tombstone,
	// the destruction lists are filed, the content no kept record needs is gone.
	Done Step = "done"
)

// Disposal is one version of a disposal.
type Disposal struct {
	ID      string `json:"id"`
	Version int    `json:"version"`
	Step    Step   `json:"step"`
	// Records are the ids of the records on the list, in order.
	Records []string `json:"records"`
	// Reason is the proposer's (version 1), the approver's (2), or the report
	// of what was done (3).
	Reason string `json:"reason"`
	// Proposer and Approver are the two accounts; Approver is empty until
	// version 2.
	Proposer archive.Actor `json:"proposer"`
	Approver archive.Actor `json:"approver,omitempty"`
	// Registers are the record ids of the destruction lists filed (one per
	// project), version 3.
	Registers []string `json:"registers,omitempty"`
	// Deleted are the content objects deleted, Kept those kept because another
	// record that is kept needs them (version 3).
	Deleted []string      `json:"deleted,omitempty"`
	Kept    []string      `json:"kept,omitempty"`
	Actor   archive.Actor `json:"actor"`
	At      time.Time     `json:"at"`
}

type disposalWire struct {
	Schema    int           `json:"schema"`
	ID        string        `json:"id"`
	Version   int           `json:"version"`
	Step      Step          `json:"step"`
	Records   []string      `json:"records"`
	Reason    string        `json:"reason"`
	Proposer  archive.Actor `json:"proposer"`
	Approver  archive.Actor `json:"approver,omitempty"`
	Registers []string      `json:"registers,omitempty"`
	Deleted   []string      `json:"deleted,omitempty"`
	Kept      []string      `json:"kept,omitempty"`
	Actor     archive.Actor `json:"actor"`
	At        string        `json:"at"`
}

// EncodeDisposal returns the canonical JSON of d.
func EncodeDisposal(d Disposal) ([]byte, error) {
	return encode(disposalWire{Schema: archive.SchemaVersion, ID: d.ID, Version: d.Version, Step: d.Step, Records: d.Records,
		Reason: d.Reason, Proposer: d.Proposer, Approver: d.Approver, Registers: d.Registers, Deleted: d.Deleted,
		Kept: d.Kept, Actor: d.Actor, At: formatTime(d.At)})
}

// DecodeDisposal parses what EncodeDisposal writes.
func DecodeDisposal(b []byte) (Disposal, error) {
	var w disposalWire
	if err := decode(b, &w); err != nil {
		return Disposal{}, fmt.Errorf("retention: decode disposal: %w", err)
	}
	at, err := parseTime(w.At)
	if err != nil {
		return Disposal{}, fmt.Errorf("retention: decode disposal %s: %w", w.ID, err)
	}
	if w.Step != Proposed && w.Step != Approved && w.Step != Done {
		return Disposal{}, fmt.Errorf("retention: decode disposal %s: step %q", w.ID, w.Step)
	}
	return Disposal{ID: w.ID, Version: w.Version, Step: w.Step, Records: w.Records, Reason: w.Reason,
		Proposer: w.Proposer, Approver: w.Approver, Registers: w.Registers, Deleted: w.Deleted, Kept: w.Kept,
		Actor: w.Actor, At: at}, nil
}

// DisposalVersions is how disposals are versioned: each step an entry under the
// account that took it.
var DisposalVersions = archive.VersionKind[Disposal]{
	Subject: archive.SubjectDisposal, First: archive.EventCreate,
	Encode: EncodeDisposal, Decode: DecodeDisposal,
	Ident: func(d Disposal) (string, int) { return d.ID, d.Version },
	Meta: func(d Disposal) archive.VersionMeta {
		return archive.VersionMeta{Time: d.At, Actor: d.Actor, Reason: d.Reason}
	},
}
