package proof

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// The forms of receipt this package reads. A receipt of a form it does not
// know is ErrMalformed, with the advice to use a newer release: its meaning
// may have changed. Within a form, unknown fields are ignored.
const (
	// ReceiptFormat is the form that receipts are issued in.
	ReceiptFormat = "gongshi-receipt/v1"
)

// Receipt proves that one entry is in the log: with the verifier key alone,
// anyone can check that the entry is at Index in the tree whose root the
// checkpoint signs. Record and Project, when present, let the holder read what
// the entry is about: the record version's JSON is bound to the entry by its
// SHA-256; the project's to the project's own entry, ProjectEntry, when the
// receipt carries one (receipts made before projects were ledgered do not, and
// their project is shown as not covered by the ledger).
type Receipt struct {
	Format     string      `json:"format"`
	Index      int64       `json:"index"`
	Entry      string      `json:"entry"`
	Proof      []tlog.Hash `json:"proof"`
	Checkpoint string      `json:"checkpoint"`
	// Record is the record version's canonical JSON, byte for byte.
	Record string `json:"record,omitempty"`
	// Project is the canonical JSON of a version of the record's project.
	Project string `json:"project,omitempty"`
	// ProjectEntry is that project version's ledger entry with its inclusion
	// proof under the same checkpoint.
	ProjectEntry *Inclusion `json:"project_entry,omitempty"`
}

// Inclusion is an entry and its proof of inclusion in the tree of a
// checkpoint given beside it.
type Inclusion struct {
	Index int64       `json:"index"`
	Entry string      `json:"entry"`
	Proof []tlog.Hash `json:"proof"`
}

// ParseReceipt decodes a receipt. Fields it does not know are ignored (a later
// release may add some); a form it does not know is ErrMalformed.
func ParseReceipt(b []byte) (Receipt, error) {
	var r Receipt
	if err := json.Unmarshal(b, &r); err != nil {
		return Receipt{}, fmt.Errorf("ledger: receipt: %w: %v", ErrMalformed, err)
	}
	if r.Format != ReceiptFormat {
		return Receipt{}, fmt.Errorf("ledger: receipt: %w: format %q, this release reads %q (a newer release may read it)", ErrMalformed, r.Format, ReceiptFormat)
	}
	return r, nil
}

// Verified is what a receipt proves.
type Verified struct {
	Entry      Entry
	Index      int64
	Checkpoint Checkpoint
	// Record is the record version the receipt carries (bound to the entry),
	// decoded for display; nil when it carries none.
	Record *Document
	// Project is the project version the receipt carries, decoded for display;
	// nil when it carries none. Project.Bound says whether a ledger entry
	// covers it.
	Project *Document
}

// VerifyReceipt checks r with the verifier key v: the checkpoint's signature,
// the inclusion proof of the entry under the signed root, the record version
// against the entry's digest, the project version against its own entry when
// the receipt carries one, and, when file is not nil, the file's digests
// against the entry's. A "no" is a *NotVerifiedError; a receipt that is not in
// its form is ErrMalformed. What it returns is filled in as far as the checks
// went, so that a "no" can still say which record it is about.
func VerifyReceipt(r Receipt, v note.Verifier, file *Digests) (Verified, error) {
	e, err := ParseEntry([]byte(r.Entry))
	if err != nil {
		return Verified{}, err
	}
	out := Verified{Entry: e, Index: r.Index}
	cp, err := OpenCheckpoint([]byte(r.Checkpoint), v)
	if err != nil {
		return out, err
	}
	out.Checkpoint = cp
	if err := checkInclusion(cp, r.Index, r.Entry, r.Proof); err != nil {
		return out, err
	}
	if r.Record != "" {
		rec, err := bind(r.Record, e, "record")
		out.Record = rec
		if err != nil {
			return out, err
		}
	}
	if r.Project != "" {
		p, err := bindProject(r, cp, out.Record)
		out.Project = p
		if err != nil {
			return out, err
		}
	}
	if file != nil {
		want, ok := e.Content()
		switch {
		case !ok:
			return out, fmt.Errorf("ledger: receipt: %w: the entry names no content", ErrMalformed)
		case file.SHA256 != want.SHA256:
			return out, NotVerified(FileSHA256, "file", file.SHA256.String(), "entry", want.SHA256.String())
		case file.SM3 != want.SM3:
			return out, NotVerified(FileSM3, "file", file.SM3.String(), "entry", want.SM3.String())
		case file.Size != want.Size:
			return out, NotVerified(FileSize, "file", strconv.FormatInt(file.Size, 10), "entry", strconv.FormatInt(want.Size, 10))
		}
	}
	return out, nil
}

// checkInclusion checks that entry is at index in the tree of cp.
func checkInclusion(cp Checkpoint, index int64, entry string, proof []tlog.Hash) error {
	at := []string{"index", strconv.FormatInt(index, 10), "size", strconv.FormatInt(cp.Size, 10)}
	if index < 0 || index >= cp.Size {
		return NotVerified(EntryBeyondTree, at...)
	}
	if err := tlog.CheckRecord(proof, cp.Size, cp.Root, index, tlog.RecordHash([]byte(entry))); err != nil {
		return NotVerified(InclusionFailed, at...)
	}
	return nil
}

// bind decodes the JSON of a subject version for display and checks it against
// the entry e that names it: its SHA-256 must be the entry's subject digest,
// and its id and version, where it states them, the entry's.
func bind(js string, e Entry, kind string) (*Document, error) {
	doc := DecodeDocument(js)
	sum := Hash(sha256.Sum256([]byte(js)))
	want, ok := e.SubjectDigest()
	subject, id, version := e.Subject()
	if !ok || sum != want || subject != kind {
		if kind == "project" {
			return doc, NotVerified(ProjectAltered, "project", doc.String("code"), "sha256", sum.String(), "entry_sha256", want.String())
		}
		return doc, NotVerified(RecordAltered, "sha256", sum.String(), "entry_sha256", want.String())
	}
	idField := map[string]string{"record": "id", "project": "code"}[kind]
	gotID, gotVersion := doc.String(idField), doc.Int("version")
	if (gotID != "" && gotID != id) || (gotVersion != 0 && gotVersion != version) {
		if kind == "project" {
			return doc, NotVerified(ProjectOther, "project", gotID, "record_project", id)
		}
		return doc, NotVerified(RecordOther, "record", gotID, "version", strconv.Itoa(gotVersion),
			"entry_record", id, "entry_version", strconv.Itoa(version))
	}
	doc.Bound = true
	return doc, nil
}

// bindProject decodes the receipt's project for display and, when the receipt
// carries the project version's entry, checks it: included under the same
// checkpoint, an entry about that project, and the JSON's digest the entry's.
// The project must be the record's.
func bindProject(r Receipt, cp Checkpoint, rec *Document) (*Document, error) {
	doc := DecodeDocument(r.Project)
	if rec != nil {
		if code, owner := doc.String("code"), rec.String("project"); code != "" && owner != "" && code != owner {
			return doc, NotVerified(ProjectOther, "project", code, "record_project", owner)
		}
	}
	if r.ProjectEntry == nil {
		return doc, nil
	}
	pe, err := ParseEntry([]byte(r.ProjectEntry.Entry))
	if err != nil {
		return doc, err
	}
	if err := checkInclusion(cp, r.ProjectEntry.Index, r.ProjectEntry.Entry, r.ProjectEntry.Proof); err != nil {
		return doc, err
	}
	return bind(r.Project, pe, "project")
}

// Document is a record or project version's JSON, as a receipt carries it,
// decoded for display only: every field is kept, known or not, and no schema
// version is refused, so that a receipt made by any release can be shown by any
// later one.
type Document struct {
	// JSON is the document, byte for byte.
	JSON string
	// Schema is its "schema" field (0 when it has none).
	Schema int
	// Fields are its top-level fields, in the order of the JSON, each value as
	// its JSON text.
	Fields []DocumentField
	// DecodeError says why the JSON could not be read for display (the
	// document is still bound by its digest); empty when it could.
	DecodeError string
	// Bound is true when a ledger entry that the receipt proves names the
	// document's SHA-256.
	Bound bool
}

// DocumentField is one top-level field of a Document.
type DocumentField struct {
	Name  string
	Value json.RawMessage
}

// DecodeDocument reads js leniently, for display: an object's top-level fields
// in order, whatever they are. It never fails: a document that is not a JSON
// object has DecodeError set.
func DecodeDocument(js string) *Document {
	d := &Document{JSON: js}
	dec := json.NewDecoder(strings.NewReader(js))
	dec.UseNumber()
	fail := func(err error) *Document {
		d.Fields, d.DecodeError = nil, err.Error()
		return d
	}
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return fail(fmt.Errorf("not a JSON object"))
	}
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return fail(err)
		}
		name, _ := t.(string)
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return fail(err)
		}
		d.Fields = append(d.Fields, DocumentField{Name: name, Value: raw})
	}
	d.Schema = d.Int("schema")
	return d
}

// Get returns the JSON text of the field name.
func (d *Document) Get(name string) (json.RawMessage, bool) {
	if d == nil {
		return nil, false
	}
	for _, f := range d.Fields {
		if f.Name == name {
			return f.Value, true
		}
	}
	return nil, false
}

// String returns the field name when it is a string ("" otherwise).
func (d *Document) String(name string) string {
	var s string
	if raw, ok := d.Get(name); ok {
		json.Unmarshal(raw, &s)
	}
	return s
}

// Int returns the field name when it is an integer (0 otherwise).
func (d *Document) Int(name string) int {
	var n int
	if raw, ok := d.Get(name); ok {
		json.Unmarshal(raw, &n)
	}
	return n
}

// Names returns the names of the document's fields that are not in known, in
// order: what a reader of an older release sees as new.
func (d *Document) Names(known ...string) []string {
	k := make(map[string]bool, len(known))
	for _, n := range known {
		k[n] = true
	}
	var out []string
	for _, f := range d.Fields {
		if !k[f.Name] {
			out = append(out, f.Name)
		}
	}
	return out
}

// compact returns v's JSON on one line, for display.
func compact(v json.RawMessage) string {
	var b bytes.Buffer
	if json.Compact(&b, v) != nil {
		return string(v)
	}
	return b.String()
}

// Text returns the field's value for display: a string as it is, anything
// else as compact JSON.
func (f DocumentField) Text() string {
	var s string
	if json.Unmarshal(f.Value, &s) == nil {
		return s
	}
	return compact(f.Value)
}
