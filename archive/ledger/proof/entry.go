package proof

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Hash is a SHA-256 or SM3 digest; its text is lower-case hex.
type Hash [32]byte

func (h Hash) String() string { return hex.EncodeToString(h[:]) }

// ParseHash parses 64 lower-case hexadecimal digits.
func ParseHash(s string) (Hash, error) {
	var h Hash
	if len(s) != 2*len(h) || strings.ToLower(s) != s {
		return h, fmt.Errorf("%q is not 64 lower-case hexadecimal digits", s)
	}
	if _, err := hex.Decode(h[:], []byte(s)); err != nil {
		return h, fmt.Errorf("%q is not 64 lower-case hexadecimal digits", s)
	}
	return h, nil
}

// Digests are a file's SHA-256, SM3 and size, as an entry holds them.
type Digests struct {
	SHA256 Hash
	SM3    Hash
	Size   int64
}

// entryPrefix begins the first line of every form of entry; the form's number
// follows.
const entryPrefix = "gongshi ledger entry v"

// Entry is a ledger entry's text read as fields. The ledger writes one
// canonical text per event (its own parser refuses any other spelling); this
// reader is lenient instead, so that it reads forms added after it was
// written: it needs the header line, then lines "name value", each name once.
// That is safe because the bytes it reads are authenticated as they are by the
// inclusion proof, whatever it understands of them.
type Entry struct {
	// Form is the number of the entry's form, N in "gongshi ledger entry vN".
	Form int
	// Fields are the entry's lines after the header, in order.
	Fields []Field
}

// Field is one "name value" line of an entry.
type Field struct {
	Name, Value string
}

// ParseEntry reads an entry's text (see Entry). A text without the header,
// with a line that is not "name value" or a name given twice, or without a
// final newline, is ErrMalformed.
func ParseEntry(text []byte) (Entry, error) {
	bad := func(why string) (Entry, error) {
		return Entry{}, fmt.Errorf("ledger: entry: %w: %s", ErrMalformed, why)
	}
	if !bytes.HasSuffix(text, []byte("\n")) {
		return bad("no final newline")
	}
	lines := strings.Split(strings.TrimSuffix(string(text), "\n"), "\n")
	form, ok := strings.CutPrefix(lines[0], entryPrefix)
	n, err := strconv.Atoi(form)
	if !ok || err != nil || n < 1 || strconv.Itoa(n) != form {
		return bad(fmt.Sprintf("first line %q is not %q and a number", lines[0], entryPrefix))
	}
	e := Entry{Form: n}
	seen := make(map[string]bool, len(lines))
	for i, line := range lines[1:] {
		name, value, ok := strings.Cut(line, " ")
		if !ok || !validName(name) || seen[name] {
			return bad(fmt.Sprintf("line %d, %q, is not a new \"name value\"", i+2, line))
		}
		seen[name] = true
		e.Fields = append(e.Fields, Field{name, value})
	}
	return e, nil
}

func validName(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		if (c < 'a' || c > 'z') && (c < '0' || c > '9') && c != '-' && c != '_' {
			return false
		}
	}
	return true
}

// Get returns the value of the field name.
func (e Entry) Get(name string) (string, bool) {
	for _, f := range e.Fields {
		if f.Name == name {
			return f.Value, true
		}
	}
	return "", false
}

// Kind is the event the entry records (file, new_version, …).
func (e Entry) Kind() string { v, _ := e.Get("kind"); return v }

// The names of the fields this reader needs, in every form it knows: form 1
// ("record <id>", "sha256", "record-sha256", …) is about record versions only;
// form 2 names its subject ("subject <kind> <id>") and prefixes the content's
// fields. A later form that keeps these names is read as well.

// Subject is what the entry is about: its kind ("record", "project", …), id
// and version.
func (e Entry) Subject() (kind, id string, version int) {
	version, _ = strconv.Atoi(e.value("version"))
	if id, ok := e.Get("record"); ok {
		return "record", id, version
	}
	kind, id, _ = strings.Cut(e.value("subject"), " ")
	return kind, id, version
}

// SubjectDigest is the SHA-256 of the subject version's canonical JSON (the
// record or project version), which binds its metadata to the entry without
// revealing it.
func (e Entry) SubjectDigest() (Hash, bool) {
	h, err := ParseHash(e.first("version-sha256", "record-sha256"))
	return h, err == nil
}

// Content returns the digests of the content the entry names, when it names
// one (records do).
func (e Entry) Content() (Digests, bool) {
	sha, err1 := ParseHash(e.first("content-sha256", "sha256"))
	sm3, err2 := ParseHash(e.first("content-sm3", "sm3"))
	size, err3 := strconv.ParseInt(e.first("content-size", "size"), 10, 64)
	if err1 != nil || err2 != nil || err3 != nil || size < 0 {
		return Digests{}, false
	}
	return Digests{SHA256: sha, SM3: sm3, Size: size}, true
}

// Actor is who made the change ("cli", "system", "account:<id>", …; "" in
// form 1, which did not record it).
func (e Entry) Actor() string { return e.value("actor") }

// first returns the value of the first of names the entry has.
func (e Entry) first(names ...string) string {
	for _, n := range names {
		if v, ok := e.Get(n); ok {
			return v
		}
	}
	return ""
}

// Time is when the event happened (zero when the entry has no readable time).
func (e Entry) Time() time.Time {
	t, _ := time.Parse(time.RFC3339Nano, e.value("time"))
	return t
}

func (e Entry) value(name string) string { v, _ := e.Get(name); return v }
