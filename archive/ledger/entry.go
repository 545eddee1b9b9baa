package ledger

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/gongshi-archive/gongshi/archive"
)

// entryHeader is the first line of every entry. A new form of entry gets a new
// header, so that old entries keep their meaning.
const entryHeader = "gongshi ledger entry v1"

// timeLayout is the archive's one spelling of an instant: UTC, milliseconds always.
const timeLayout = "2006-01-02T15:04:05.000Z"

// ErrMalformed reports an entry, checkpoint or receipt that is not in its form.
var ErrMalformed = errors.New("malformed")

// FormatEntry returns the canonical text of e, the bytes that are hashed into the
// tree:
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
// It holds identifiers and digests only: no title, no name, no household, because
// an entry can never be removed from the log.
func FormatEntry(e archive.Event) ([]byte, error) {
	switch {
	case !e.Kind.Valid():
		return nil, fmt.Errorf("ledger: entry: %w: unknown event kind %q", ErrMalformed, e.Kind)
	case !archive.ValidRecordID(e.RecordID):
		return nil, fmt.Errorf("ledger: entry: %w: record id %q", ErrMalformed, e.RecordID)
	case e.Version < 1:
		return nil, fmt.Errorf("ledger: entry: %w: version %d", ErrMalformed, e.Version)
	case e.Content.Size < 0:
		return nil, fmt.Errorf("ledger: entry: %w: size %d", ErrMalformed, e.Content.Size)
	case e.Time.IsZero():
		return nil, fmt.Errorf("ledger: entry: %w: no time", ErrMalformed)
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, "%s\nkind %s\nrecord %s\nversion %d\nsha256 %s\nsm3 %s\nsize %d\nrecord-sha256 %s\ntime %s\n",
		entryHeader, e.Kind, e.RecordID, e.Version, e.Content.SHA256, e.Content.SM3, e.Content.Size,
		e.RecordDigest, e.Time.UTC().Truncate(time.Millisecond).Format(timeLayout))
	return b.Bytes(), nil
}

// ParseEntry parses the text FormatEntry writes, and nothing else: any other
// spelling of the same event is refused, so that one event has one entry hash.
func ParseEntry(text []byte) (archive.Event, error) {
	bad := func(why string) (archive.Event, error) {
		return archive.Event{}, fmt.Errorf("ledger: entry: %w: %s", ErrMalformed, why)
	}
	lines := bytes.Split(text, []byte("\n"))
	want := []string{"", "kind", "record", "version", "sha256", "sm3", "size", "record-sha256", "time"}
	if len(lines) != len(want)+1 || len(lines[len(want)]) != 0 {
		return bad(fmt.Sprintf("want %d lines ending in a newline", len(want)))
	}
	if string(lines[0]) != entryHeader {
		return bad(fmt.Sprintf("first line %q, want %q", lines[0], entryHeader))
	}
	val := make(map[string]string, len(want))
	for i, name := range want[1:] {
		k, v, ok := bytes.Cut(lines[i+1], []byte(" "))
		if !ok || string(k) != name {
			return bad(fmt.Sprintf("line %d is not %q", i+2, name))
		}
		val[name] = string(v)
	}
	var e archive.Event
	var err error
	e.Kind = archive.EventKind(val["kind"])
	e.RecordID = val["record"]
	if e.Version, err = strconv.Atoi(val["version"]); err != nil {
		return bad("version: " + err.Error())
	}
	if e.Content.SHA256, err = archive.ParseHash(val["sha256"]); err != nil {
		return bad("sha256: " + err.Error())
	}
	if e.Content.SM3, err = archive.ParseHash(val["sm3"]); err != nil {
		return bad("sm3: " + err.Error())
	}
	if e.Content.Size, err = strconv.ParseInt(val["size"], 10, 64); err != nil {
		return bad("size: " + err.Error())
	}
	if e.RecordDigest, err = archive.ParseHash(val["record-sha256"]); err != nil {
		return bad("record-sha256: " + err.Error())
	}
	if e.Time, err = time.Parse(timeLayout, val["time"]); err != nil {
		return bad("time: " + err.Error())
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
