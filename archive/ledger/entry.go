package ledger

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/gongshi-archive/gongshi/archive"
)

// The entry headers: the first line of every entry. A new form of entry gets a
// new header, so that old entries keep their meaning.
const (
	entryHeader   = "gongshi ledger entry v1"
	entryHeaderV2 = "gongshi ledger entry v2"
)

// timeLayout is the archive's one spelling of an instant: UTC, milliseconds always.
const timeLayout = "2006-01-02T15:04:05.000Z"

// v1Kinds are the event kinds an entry of the first form can have: those that
// existed when it was the only form.
var v1Kinds = []archive.EventKind{archive.EventFile, archive.EventNewVersion, archive.EventPublish,
	archive.EventWithdraw, archive.EventHold, archive.EventRelease, archive.EventDispose, archive.EventFixityFailure}

// FormatEntry returns the canonical text of e, the bytes that are hashed into the
// tree. An event with an actor has the second form, which names any kind of
// subject:
//
//	gongshi ledger entry v2
//	kind <event kind>
//	subject <subject kind> <subject id>
//	version <n>
//	version-sha256 <SHA-256 of the subject version's canonical JSON, hex>
//	content-sha256 <content SHA-256, hex>     only for subjects with content (records)
//	content-sm3 <content SM3, hex>            〃
//	content-size <content size in bytes>      〃
//	actor <account:<id>, cli, system or backfill>
//	reason-sha256 <SHA-256 of the reason, hex>  only when there is a reason
//	time <UTC, RFC 3339 with milliseconds>
//
// An event without an actor has the first form, which only records had and whose
// entries keep their meaning:
//
//	gongshi ledger entry v1
//	kind file
//	record <record id>
//	version <n>
//	sha256 <content SHA-256, hex>
//	sm3 <content SM3, hex>
//	size <content size in bytes>
//	record-sha256 <SHA-256 of the record version's canonical JSON, hex>
//	time <UTC, RFC 3339 with milliseconds>
//
// It holds identifiers and digests only: no title, no name, no household, no
// reason's text, because an entry can never be removed from the log.
func FormatEntry(e archive.Event) ([]byte, error) {
	bad := func(format string, args ...any) ([]byte, error) {
		return nil, fmt.Errorf("ledger: entry: %w: %s", ErrMalformed, fmt.Sprintf(format, args...))
	}
	kind, id := e.Ref()
	switch {
	case !e.Kind.Valid():
		return bad("unknown event kind %q", e.Kind)
	case e.Version < 1:
		return bad("version %d", e.Version)
	case e.Time.IsZero():
		return bad("no time")
	case e.RecordID != "" && (kind != archive.SubjectRecord || e.RecordID != id):
		return bad("record id %q given for the subject %s %q", e.RecordID, kind, id)
	}
	when := e.Time.UTC().Truncate(time.Millisecond).Format(timeLayout)
	var b bytes.Buffer
	if e.Actor == "" {
		switch {
		case kind != archive.SubjectRecord || e.Subject != "" && e.SubjectID != e.RecordID:
			return bad("an event without an actor can only be a record's (subject %s)", kind)
		case !archive.ValidRecordID(id):
			return bad("record id %q", id)
		case !isV1Kind(e.Kind):
			return bad("event kind %q needs an actor", e.Kind)
		case e.Content.Size < 0:
			return bad("size %d", e.Content.Size)
		case !e.Reason.IsZero():
			return bad("a reason needs an actor")
		}
		fmt.Fprintf(&b, "%s\nkind %s\nrecord %s\nversion %d\nsha256 %s\nsm3 %s\nsize %d\nrecord-sha256 %s\ntime %s\n",
			entryHeader, e.Kind, id, e.Version, e.Content.SHA256, e.Content.SM3, e.Content.Size, e.RecordDigest, when)
		return b.Bytes(), nil
	}
	switch {
	case !kind.Valid():
		return bad("unknown subject kind %q", kind)
	case !kind.ValidID(id):
		return bad("%s id %q", kind, id)
	case !e.Actor.Valid():
		return bad("actor %q", e.Actor)
	case kind.HasContent() && e.Content.Size < 0:
		return bad("size %d", e.Content.Size)
	case !kind.HasContent() && !e.Content.IsZero():
		return bad("a %s has no content", kind)
	case e.Kind == archive.EventFile && kind != archive.SubjectRecord:
		return bad("only a record is filed, not a %s", kind)
	}
	fmt.Fprintf(&b, "%s\nkind %s\nsubject %s %s\nversion %d\nversion-sha256 %s\n", entryHeaderV2, e.Kind, kind, id, e.Version, e.RecordDigest)
	if kind.HasContent() {
		fmt.Fprintf(&b, "content-sha256 %s\ncontent-sm3 %s\ncontent-size %d\n", e.Content.SHA256, e.Content.SM3, e.Content.Size)
	}
	fmt.Fprintf(&b, "actor %s\n", e.Actor)
	if !e.Reason.IsZero() {
		fmt.Fprintf(&b, "reason-sha256 %s\n", e.Reason)
	}
	fmt.Fprintf(&b, "time %s\n", when)
	return b.Bytes(), nil
}

func isV1Kind(k archive.EventKind) bool {
	for _, v := range v1Kinds {
		if k == v {
			return true
		}
	}
	return false
}

// ParseEntry parses the text FormatEntry writes, and nothing else: any other
// spelling of the same event is refused, so that one event has one entry hash.
// An entry of the first form gives the event as it always did (RecordID set,
// Subject empty); one of the second form sets Subject and SubjectID, and RecordID
// too when the subject is a record. Event.Ref names the subject of either.
func ParseEntry(text []byte) (archive.Event, error) {
	bad := func(why string) (archive.Event, error) {
		return archive.Event{}, fmt.Errorf("ledger: entry: %w: %s", ErrMalformed, why)
	}
	header, _, _ := bytes.Cut(text, []byte("\n"))
	var want []string
	switch string(header) {
	case entryHeader:
		want = []string{"kind", "record", "version", "sha256", "sm3", "size", "record-sha256", "time"}
	case entryHeaderV2:
		// The optional lines are checked below: the text is formatted again from
		// what was read and must come out the same.
		want = []string{"kind", "subject", "version", "version-sha256", "content-sha256?", "content-sm3?",
			"content-size?", "actor", "reason-sha256?", "time"}
	default:
		return bad(fmt.Sprintf("first line %q, want %q or %q", header, entryHeader, entryHeaderV2))
	}
	if !bytes.HasSuffix(text, []byte("\n")) || len(text) <= len(header)+1 {
		return bad("the entry does not end in a newline after its lines")
	}
	lines := bytes.Split(text[len(header)+1:len(text)-1], []byte("\n"))
	val := make(map[string]string, len(want))
	i := 0
	for _, name := range want {
		optional := strings.HasSuffix(name, "?")
		name = strings.TrimSuffix(name, "?")
		if i >= len(lines) {
			if optional {
				continue
			}
			return bad(fmt.Sprintf("no line %q", name))
		}
		k, v, ok := bytes.Cut(lines[i], []byte(" "))
		if !ok || string(k) != name {
			if optional {
				continue
			}
			return bad(fmt.Sprintf("line %d is not %q", i+2, name))
		}
		val[name] = string(v)
		i++
	}
	if i != len(lines) {
		return bad(fmt.Sprintf("line %d is not part of the entry", i+2))
	}
	var e archive.Event
	var err error
	e.Kind = archive.EventKind(val["kind"])
	if e.Version, err = strconv.Atoi(val["version"]); err != nil {
		return bad("version: " + err.Error())
	}
	if e.Time, err = time.Parse(timeLayout, val["time"]); err != nil {
		return bad("time: " + err.Error())
	}
	hash := func(name string, h *archive.Hash) error {
		v, ok := val[name]
		if !ok {
			return nil
		}
		if *h, err = archive.ParseHash(v); err != nil {
			return fmt.Errorf("%s: %v", name, err)
		}
		return nil
	}
	size := func(name string) error {
		v, ok := val[name]
		if !ok {
			return nil
		}
		if e.Content.Size, err = strconv.ParseInt(v, 10, 64); err != nil {
			return fmt.Errorf("%s: %v", name, err)
		}
		return nil
	}
	var errs []error
	if string(header) == entryHeader {
		e.RecordID = val["record"]
		errs = append(errs, hash("sha256", &e.Content.SHA256), hash("sm3", &e.Content.SM3), size("size"),
			hash("record-sha256", &e.RecordDigest))
	} else {
		kind, id, ok := strings.Cut(val["subject"], " ")
		if !ok {
			return bad("subject: want its kind and id")
		}
		e.Subject, e.SubjectID = archive.SubjectKind(kind), id
		if e.Subject == archive.SubjectRecord {
			e.RecordID = id
		}
		e.Actor = archive.Actor(val["actor"])
		errs = append(errs, hash("version-sha256", &e.RecordDigest), hash("content-sha256", &e.Content.SHA256),
			hash("content-sm3", &e.Content.SM3), size("content-size"), hash("reason-sha256", &e.Reason))
	}
	if err := errors.Join(errs...); err != nil {
		return bad(err.Error())
	}
	again, err := FormatEntry(e)
	if err != nil {
		return archive.Event{}, err
	}
	if !bytes.Equal(again, text) {
		return bad("not in canonical form")
	}
	return e, nil
}
