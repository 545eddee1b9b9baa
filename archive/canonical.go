package archive

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"
)

// The canonical JSON form of projects and records.
//
// The same value always encodes to the same bytes, so that a record's bytes can be
// hashed into the ledger, compared across backends and re-derived by anyone:
//
//   - fields in a fixed order (the order of the wire structs below), "schema" first;
//   - optional fields omitted when empty, never written as null or "";
//   - timestamps in UTC, RFC 3339 with exactly three fractional digits
//     ("2024-03-15T08:30:00.000Z"); civil dates as "2024-03-15";
//   - digests as lowercase hex;
//   - map keys sorted (encoding/json sorts them);
//   - no HTML escaping: CJK, '<', '>' and '&' are written as themselves;
//   - two-space indentation, so an inspector can read a record with any text tool, and
//     one trailing newline;
//   - embedded free-form JSON (a record's signature and four-property reports)
//     re-encoded the same way.
//
// Decoding is strict: unknown fields, trailing data, a schema version other than
// SchemaVersion and non-canonical spellings of digests, dates and times are errors.

type projectWire struct {
	Schema      int             `json:"schema"`
	Code        string          `json:"code"`
	Version     int             `json:"version"`
	Name        string          `json:"name"`
	City        string          `json:"city,omitempty"`
	District    string          `json:"district,omitempty"`
	Department  string          `json:"department,omitempty"`
	Implementer string          `json:"implementer,omitempty"`
	Contact     string          `json:"contact,omitempty"`
	Hotline     string          `json:"hotline,omitempty"`
	Category    Category        `json:"category,omitempty"`
	Dates       map[string]Date `json:"dates,omitempty"`
	Households  int             `json:"households,omitempty"`
	CreatedAt   string          `json:"created_at,omitempty"`
	UpdatedAt   string          `json:"updated_at,omitempty"`
	Supersedes  *Supersedes     `json:"supersedes,omitempty"`
	Actor       Actor           `json:"actor,omitempty"`
}

type recordWire struct {
	Schema       int             `json:"schema"`
	ID           string          `json:"id"`
	Version      int             `json:"version"`
	Project      string          `json:"project"`
	Type         string          `json:"type"`
	Title        string          `json:"title"`
	DocNumber    string          `json:"doc_number,omitempty"`
	Issuer       string          `json:"issuer,omitempty"`
	Abstract     string          `json:"abstract,omitempty"`
	Keywords     []string        `json:"keywords,omitempty"`
	Date         Date            `json:"date,omitzero"`
	Disclosure   Disclosure      `json:"disclosure,omitempty"`
	Retention    RetentionCode   `json:"retention,omitempty"`
	ArchivalCode string          `json:"archival_code,omitempty"`
	Pages        int             `json:"pages,omitempty"`
	Format       string          `json:"format,omitempty"`
	FileName     string          `json:"file_name,omitempty"`
	Household    string          `json:"household,omitempty"`
	PublicCopyOf string          `json:"public_copy_of,omitempty"`
	Content      Digests         `json:"content"`
	Signatures   json.RawMessage `json:"signatures,omitempty"`
	Report       json.RawMessage `json:"report,omitempty"`
	Schedule     *Schedule       `json:"schedule,omitempty"`
	Disposal     *disposalWire   `json:"disposal,omitempty"`
	Supersedes   *Supersedes     `json:"supersedes,omitempty"`
	Actor        Actor           `json:"actor,omitempty"`
	FiledAt      string          `json:"filed_at,omitempty"`
}

func (p Project) wire() projectWire {
	w := projectWire{
		Schema: SchemaVersion, Code: p.Code, Version: p.Version, Name: p.Name,
		City: p.City, District: p.District, Department: p.Department,
		Implementer: p.Implementer, Contact: p.Contact, Hotline: p.Hotline, Category: p.Category, Households: p.Households,
		CreatedAt: formatTime(p.CreatedAt), UpdatedAt: formatTime(p.UpdatedAt),
		Supersedes: p.Supersedes, Actor: p.Actor,
	}
	if len(p.Dates) > 0 {
		w.Dates = p.Dates
	}
	return w
}

func (w projectWire) project() (Project, error) {
	p := Project{
		Code: w.Code, Version: w.Version, Name: w.Name, City: w.City, District: w.District,
		Department: w.Department, Implementer: w.Implementer, Contact: w.Contact, Hotline: w.Hotline, Category: w.Category,
		Households: w.Households, Supersedes: w.Supersedes, Actor: w.Actor,
	}
	if len(w.Dates) > 0 {
		p.Dates = w.Dates
	}
	var err1, err2 error
	p.CreatedAt, err1 = parseTime(w.CreatedAt)
	p.UpdatedAt, err2 = parseTime(w.UpdatedAt)
	return p, errors.Join(err1, err2)
}

func (r Record) wire() (recordWire, error) {
	sig, err := canonicalRaw(r.Signatures)
	if err != nil {
		return recordWire{}, fmt.Errorf("signatures: %w", err)
	}
	rep, err := canonicalRaw(r.Report)
	if err != nil {
		return recordWire{}, fmt.Errorf("report: %w", err)
	}
	return recordWire{
		Schema: SchemaVersion, ID: r.ID, Version: r.Version, Project: r.Project, Type: r.Type,
		Title: r.Title, DocNumber: r.DocNumber, Issuer: r.Issuer, Abstract: r.Abstract,
		Keywords: nilIfEmpty(r.Keywords), Date: r.Date, Disclosure: r.Disclosure, Retention: r.Retention, ArchivalCode: r.ArchivalCode,
		Pages: r.Pages, Format: r.Format, FileName: r.FileName, Household: r.Household, PublicCopyOf: r.PublicCopyOf,
		Content: r.Content, Signatures: sig, Report: rep, Schedule: r.Schedule, Disposal: r.Disposal.wire(),
		Supersedes: r.Supersedes, Actor: r.Actor, FiledAt: formatTime(r.FiledAt),
	}, nil
}

// disposalWire is the JSON form of a Disposal, its time as every stored time is.
type disposalWire struct {
	List     string `json:"list"`
	Proposer Actor  `json:"proposer"`
	Approver Actor  `json:"approver"`
	Approved string `json:"approved"`
	Register string `json:"register,omitempty"`
}

func (d *Disposal) wire() *disposalWire {
	if d == nil {
		return nil
	}
	return &disposalWire{List: d.List, Proposer: d.Proposer, Approver: d.Approver, Approved: formatTime(d.Approved), Register: d.Register}
}

func (w *disposalWire) disposal() (*Disposal, error) {
	if w == nil {
		return nil, nil
	}
	at, err := parseTime(w.Approved)
	if err != nil {
		return nil, fmt.Errorf("disposal.approved: %w", err)
	}
	return &Disposal{List: w.List, Proposer: w.Proposer, Approver: w.Approver, Approved: at, Register: w.Register}, nil
}

func (w recordWire) record() (Record, error) {
	sig, err := canonicalRaw(w.Signatures)
	if err != nil {
		return Record{}, fmt.Errorf("signatures: %w", err)
	}
	rep, err := canonicalRaw(w.Report)
	if err != nil {
		return Record{}, fmt.Errorf("report: %w", err)
	}
	filed, err := parseTime(w.FiledAt)
	if err != nil {
		return Record{}, fmt.Errorf("filed_at: %w", err)
	}
	disp, err := w.Disposal.disposal()
	if err != nil {
		return Record{}, err
	}
	return Record{
		ID: w.ID, Version: w.Version, Project: w.Project, Type: w.Type, Title: w.Title,
		DocNumber: w.DocNumber, Issuer: w.Issuer, Abstract: w.Abstract,
		Keywords: nilIfEmpty(w.Keywords), Date: w.Date, Disclosure: w.Disclosure,
		Retention: w.Retention, ArchivalCode: w.ArchivalCode, Pages: w.Pages,
		Format: w.Format, FileName: w.FileName, Household: w.Household, PublicCopyOf: w.PublicCopyOf, Content: w.Content,
		Signatures: sig, Report: rep, Schedule: w.Schedule, Disposal: disp, Supersedes: w.Supersedes,
		Actor: w.Actor, FiledAt: filed,
	}, nil
}

// nilIfEmpty makes "no keywords" one value, so that an empty list and none encode
// alike (omitted).
func nilIfEmpty(s []string) []string {
	if len(s) == 0 {
		return nil
	}
	return s
}

// EncodeProject returns the canonical JSON of p.
func EncodeProject(p Project) ([]byte, error) {
	b, err := encodeCanonical(p.wire())
	if err != nil {
		return nil, fmt.Errorf("archive: encode project %s: %w", p.Code, err)
	}
	return b, nil
}

// DecodeProject parses a project version written by EncodeProject.
func DecodeProject(b []byte) (Project, error) {
	var w projectWire
	if err := decodeStrict(b, &w); err != nil {
		return Project{}, fmt.Errorf("archive: decode project: %w", err)
	}
	p, err := w.project()
	if err != nil {
		return Project{}, fmt.Errorf("archive: decode project %s: %w", w.Code, err)
	}
	return p, nil
}

// EncodeRecord returns the canonical JSON of r.
func EncodeRecord(r Record) ([]byte, error) {
	w, err := r.wire()
	if err != nil {
		return nil, fmt.Errorf("archive: encode record %s: %w", r.ID, err)
	}
	b, err := encodeCanonical(w)
	if err != nil {
		return nil, fmt.Errorf("archive: encode record %s: %w", r.ID, err)
	}
	return b, nil
}

// DecodeRecord parses a record version written by EncodeRecord. It checks the form,
// not the rules of the catalogue (see Catalogue.ValidateRecord).
func DecodeRecord(b []byte) (Record, error) {
	var w recordWire
	if err := decodeStrict(b, &w); err != nil {
		return Record{}, fmt.Errorf("archive: decode record: %w", err)
	}
	r, err := w.record()
	if err != nil {
		return Record{}, fmt.Errorf("archive: decode record %s: %w", w.ID, err)
	}
	return r, nil
}

// MarshalJSON returns the canonical JSON of p, so that the API serves what is stored.
func (p Project) MarshalJSON() ([]byte, error) { return EncodeProject(p) }

// UnmarshalJSON parses the canonical JSON of a project.
func (p *Project) UnmarshalJSON(b []byte) error {
	v, err := DecodeProject(b)
	if err != nil {
		return err
	}
	*p = v
	return nil
}

// MarshalJSON returns the canonical JSON of r, so that the API serves what is stored.
func (r Record) MarshalJSON() ([]byte, error) { return EncodeRecord(r) }

// UnmarshalJSON parses the canonical JSON of a record.
func (r *Record) UnmarshalJSON(b []byte) error {
	v, err := DecodeRecord(b)
	if err != nil {
		return err
	}
	*r = v
	return nil
}

// EncodeCanonical writes v (a wire struct of fixed field order) in the canonical
// form above: for the versions of kinds kept outside this package (staff
// accounts, sessions), so that every stored version has one spelling.
func EncodeCanonical(v any) ([]byte, error) { return encodeCanonical(v) }

// DecodeStrict is the strict decoding above, for the same kinds: exactly one JSON
// value, no unknown field, the schema version this code reads.
func DecodeStrict(b []byte, v any) error { return decodeStrict(b, v) }

// FormatTime writes t as stored versions spell times (UTC, milliseconds; "" for
// the zero time); ParseTime accepts only that spelling.
func FormatTime(t time.Time) string { return formatTime(t) }

// ParseTime parses what FormatTime writes.
func ParseTime(s string) (time.Time, error) { return parseTime(s) }

func encodeCanonical(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil { // Encode writes the trailing newline
		return nil, err
	}
	return buf.Bytes(), nil
}

// decodeStrict decodes exactly one JSON value into v (a wire struct), refusing unknown
// fields, trailing data and schema versions other than SchemaVersion.
func decodeStrict(b []byte, v any) error {
	var head struct {
		Schema *int `json:"schema"`
	}
	if err := json.Unmarshal(b, &head); err != nil {
		return err
	}
	if head.Schema == nil {
		return fmt.Errorf("%w: no schema field", ErrSchema)
	}
	if *head.Schema != SchemaVersion {
		return fmt.Errorf("%w: schema %d (this version reads %d)", ErrSchema, *head.Schema, SchemaVersion)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
		return errors.New("trailing data after the JSON value")
	}
	return nil
}

// canonicalRaw re-encodes free-form JSON canonically: objects with sorted keys, numbers
// as written, no HTML escaping, no insignificant space. Empty input and null are "no
// value" (nil).
func canonicalRaw(raw json.RawMessage) (json.RawMessage, error) {
	if len(bytes.TrimSpace(raw)) == 0 {
		return nil, nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("trailing data after the JSON value")
	}
	if v == nil {
		return nil, nil
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}
