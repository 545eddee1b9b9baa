package archive

import (
	"crypto/sha256"
	"strings"
)

// SubjectKind names what a ledger entry is about: the kind of thing whose state
// changed. Every kind is a chain of create-once versions stored under its own
// prefix (see Versions), and each version is a ledger entry. The names are part of
// the ledger's entry text and of storage keys, so they never change once used.
//
// The vocabulary lives in one place, subjectKinds below: an issue that adds a kind
// of state (accounts, households, holds, …) adds or completes its line there, and
// stores its versions with NewVersions.
type SubjectKind string

// The kinds of subject.
const (
	SubjectRecord      SubjectKind = "record"      // a filed document (records/<id>/…)
	SubjectProject     SubjectKind = "project"     // an expropriation project (projects/<code>/…)
	SubjectAccount     SubjectKind = "account"     // a staff account
	SubjectHousehold   SubjectKind = "household"   // an affected household (被征收户)
	SubjectHold        SubjectKind = "hold"        // a legal hold on records
	SubjectPublication SubjectKind = "publication" // the publication state of a record
	SubjectRequest     SubjectKind = "request"     // a request for disclosure (依申请公开)
	SubjectTable       SubjectKind = "table"       // a record's per-household table
	SubjectGrant       SubjectKind = "grant"       // the requests granted a record's content
	SubjectCode        SubjectKind = "code"        // a household's query code (its hash)
	SubjectObjection   SubjectKind = "objection"   // a household's re-check and expert-appraisal clock
	SubjectRetention   SubjectKind = "retention"   // a record's retention schedule, extended (package retention)
	SubjectDisposal    SubjectKind = "disposal"    // a disposal: a list of records proposed, approved, carried out
	SubjectSession     SubjectKind = "session"     // a staff member's login session (v2: its end)
	SubjectTrail       SubjectKind = "trail"       // one entry of the staff audit trail
)

// subjectSpec is what the archive knows of a subject kind.
type subjectSpec struct {
	kind SubjectKind
	// prefix is where its versions are stored: <prefix><id>/<000001>.json.
	prefix string
	// validID reports whether s is an id of this kind. Ids are key segments and
	// words of the entry text: never empty, never with '/', '.' or a space.
	validID func(s string) bool
	// content: the kind's versions name a content object, whose digests the
	// entry carries.
	content bool
}

// subjectKinds is the vocabulary. The kinds after project have the generic id
// rule until the issue that introduces them gives them their own (before any of
// their versions is stored: the rule decides which entries parse).
var subjectKinds = []subjectSpec{
	{SubjectRecord, "records/", ValidRecordID, true},
	{SubjectProject, "projects/", func(s string) bool { return ValidateProjectCode(s) == nil }, false},
	{SubjectAccount, "accounts/", validGenericID, false},
	// The household register of a project: the id is the project's code.
	{SubjectHousehold, "households/", func(s string) bool { return ValidateProjectCode(s) == nil }, false},
	{SubjectHold, "holds/", ValidHoldID, false},
	{SubjectPublication, "publications/", ValidRecordID, false}, // the id is the record's
	{SubjectRequest, "requests/", ValidTicketID, false},
	{SubjectTable, "tables/", ValidRecordID, false}, // the id is the record's
	{SubjectGrant, "grants/", ValidRecordID, false}, // the id is the record's
	{SubjectCode, "codes/", ValidHouseholdKey, false},
	{SubjectObjection, "objections/", ValidHouseholdKey, false},
	{SubjectRetention, "retention/", ValidRecordID, false}, // the id is the record's
	{SubjectDisposal, "disposals/", ValidDisposalID, false},
	{SubjectSession, "sessions/", validGenericID, false},
	{SubjectTrail, "trail/", validGenericID, false},
}

func (k SubjectKind) spec() (subjectSpec, bool) {
	for _, s := range subjectKinds {
		if s.kind == k {
			return s, true
		}
	}
	return subjectSpec{}, false
}

// SubjectKinds lists every kind, in the order above.
func SubjectKinds() []SubjectKind {
	out := make([]SubjectKind, len(subjectKinds))
	for i, s := range subjectKinds {
		out[i] = s.kind
	}
	return out
}

// Valid reports whether k is one of the defined kinds.
func (k SubjectKind) Valid() bool {
	_, ok := k.spec()
	return ok
}

// ValidID reports whether id is an id of a subject of kind k.
func (k SubjectKind) ValidID(id string) bool {
	s, ok := k.spec()
	return ok && s.validID(id)
}

// HasContent reports whether versions of kind k name a content object, whose
// digests their ledger entries carry (records).
func (k SubjectKind) HasContent() bool {
	s, _ := k.spec()
	return s.content
}

// Prefix is the key prefix under which versions of kind k are stored, e.g.
// "projects/"; "" for an unknown kind.
func (k SubjectKind) Prefix() string {
	s, _ := k.spec()
	return s.prefix
}

// ValidHouseholdNumber reports whether hh is a household number (户号) as the
// household register keeps it: 1 to 24 characters of A-Z, a-z, 0-9 and '-',
// starting and ending with a letter or digit ("0007", "A-3-201"). It is typed
// by residents at the query page, so it stays plain.
func ValidHouseholdNumber(hh string) bool {
	if hh == "" || len(hh) > 24 || hh[0] == '-' || hh[len(hh)-1] == '-' {
		return false
	}
	for i := 0; i < len(hh); i++ {
		c := hh[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

// HouseholdKey is the subject id of household hh of project: "CC-2026-001_0007".
// Project codes have no '_', so the key splits back at its first one.
func HouseholdKey(project, hh string) string { return project + "_" + hh }

// ValidHouseholdKey reports whether s is a HouseholdKey of a valid project code
// and household number.
func ValidHouseholdKey(s string) bool {
	p, hh, ok := strings.Cut(s, "_")
	return ok && ValidateProjectCode(p) == nil && ValidHouseholdNumber(hh)
}

// ValidTicketID reports whether s is the id of a disclosure request's ticket:
// the day it was received and six characters of the query-code alphabet,
// "20261201-K7M3PX" (what a requester reads out on the telephone).
func ValidTicketID(s string) bool {
	day, tail, ok := strings.Cut(s, "-")
	if !ok || len(day) != 8 || !allDigits(day) || len(tail) != 6 {
		return false
	}
	for i := 0; i < len(tail); i++ {
		if !strings.ContainsRune(CodeAlphabet, rune(tail[i])) {
			return false
		}
	}
	return true
}

// CodeAlphabet is the alphabet of query codes and ticket ids: digits and
// capital letters without those a reader takes for another (0 O D Q, 1 I L,
// 2 Z, 5 S, 6 G, 8 B, U V), 19 symbols, so about 4.25 bits each.
const CodeAlphabet = "3479ACEFHJKMNPRTWXY"

// validGenericID: 1 to 64 characters of a-z, A-Z, 0-9, '-' and '_', starting with
// a letter or digit.
func validGenericID(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		alnum := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
		if !alnum && (i == 0 || c != '-' && c != '_') {
			return false
		}
	}
	return true
}

// Holds and disposals (package retention) have ids that say what they are about,
// so that the holds of one project or record are found by one listing:
//
//	P_<project code>_<8 of a-z2-7>     a hold on a whole project     P_CC-2026-001_k3mdx2qa
//	R_<record id>_<8 of a-z2-7>        a hold on one record
//	D<yyyymmdd>-<8 of a-z2-7>          a disposal, by the day it was proposed
//
// ('_' never occurs in a project code or a record id, so "P_<code>_" is the prefix
// of that project's holds alone.)

// ValidHoldID reports whether s is the id of a hold.
func ValidHoldID(s string) bool {
	kind, rest, ok := strings.Cut(s, "_")
	if !ok {
		return false
	}
	subject, suffix, ok := strings.Cut(rest, "_")
	if !ok || !validSuffix(suffix) {
		return false
	}
	switch kind {
	case "P":
		return ValidateProjectCode(subject) == nil
	case "R":
		return ValidRecordID(subject)
	}
	return false
}

// ValidDisposalID reports whether s is the id of a disposal.
func ValidDisposalID(s string) bool {
	day, suffix, ok := strings.Cut(s, "-")
	return ok && len(day) == 9 && day[0] == 'D' && allDigits(day[1:]) && validSuffix(suffix)
}

// validSuffix: the 8 random characters of a hold's or a disposal's id.
func validSuffix(s string) bool {
	if len(s) != 8 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !(c >= 'a' && c <= 'z' || c >= '2' && c <= '7') {
			return false
		}
	}
	return true
}

// Actor is who made a change, as the ledger and the version record it: an
// account, or one of the fixed tokens below. Never a name or any other personal
// data: the ledger is public and permanent.
type Actor string

// The fixed actors. An account is AccountActor(id).
const (
	// ActorCLI: an operator at the archive's machine, through the gongshi command.
	ActorCLI Actor = "cli"
	// ActorSystem: the archive itself (the audit, scheduled work).
	ActorSystem Actor = "system"
	// ActorBackfill: a change made before such changes were ledgered, given its
	// entry later by 'gongshi ledger backfill'; who made it is not known.
	ActorBackfill Actor = "backfill"
)

const accountActorPrefix = "account:"

// AccountActor is the actor of a change made by the staff account id.
func AccountActor(id string) Actor { return Actor(accountActorPrefix + id) }

// Account returns the account id of an account actor.
func (a Actor) Account() (string, bool) {
	id, ok := strings.CutPrefix(string(a), accountActorPrefix)
	return id, ok && SubjectAccount.ValidID(id)
}

// Valid reports whether a is a fixed actor or an account actor with a valid id.
func (a Actor) Valid() bool {
	switch a {
	case ActorCLI, ActorSystem, ActorBackfill:
		return true
	}
	_, ok := a.Account()
	return ok
}

// ReasonDigest is the SHA-256 of a reason's text (UTF-8, as given), which a
// ledger entry carries instead of the text; the zero Hash for no reason.
func ReasonDigest(reason string) Hash {
	if reason == "" {
		return Hash{}
	}
	return sha256.Sum256([]byte(reason))
}
