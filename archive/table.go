package archive

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Per-household tables.
//
// A record of a type whose catalogue entry says "table" (survey results,
// preliminary appraisal, compensation per household) may carry a table beside its
// file: a CSV of one row per household, as the department keeps it. The signed PDF
// stays sealed; the portal shows residents the table, de-identified by the table's
// column policy, and the public only its aggregates (see Visibility). The table is
// a chain of versions of subject "table" whose id is the record's
// (tables/<record id>/<n>.json), like the record's publication state: version 1
// attaches it, each later one corrects it (a new CSV, another policy, another
// window) and says why. The CSV itself is content (blobs/sha256/…), named by its
// digests in the version; the version also holds the SHA-256 of the masked view
// that the households package derives from the CSV and the policy, so that an
// inspector can derive it again from the sealed original and compare. The
// version's own digest is in its ledger entry.

// ColumnPolicy says what of a table's (or the household register's) column may
// leave the staff side.
type ColumnPolicy string

// The column policies. A column nobody declared is private.
const (
	// ColumnPublic: shown as it is to whoever sees the rows (the household
	// number, areas, amounts).
	ColumnPublic ColumnPolicy = "public"
	// ColumnMasked: shown masked (a name as surname and "*", an address to the
	// building) to the project's households, in full to the household itself.
	ColumnMasked ColumnPolicy = "masked"
	// ColumnPrivate: never shown outside the staff pages (ID numbers, phones,
	// bank accounts, remarks).
	ColumnPrivate ColumnPolicy = "private"
)

// Valid reports whether p is one of the policies.
func (p ColumnPolicy) Valid() bool {
	return p == ColumnPublic || p == ColumnMasked || p == ColumnPrivate
}

// MaskKind says how a masked column is masked.
type MaskKind string

// The ways of masking.
const (
	// MaskName: a person's name to the surname and "*" (张三 → 张*).
	MaskName MaskKind = "name"
	// MaskAddress: an address to the building (…5栋3单元402室 → …5栋).
	MaskAddress MaskKind = "address"
	// MaskPartial: the first and last character kept, the rest "*".
	MaskPartial MaskKind = "partial"
)

// Valid reports whether k is one of the kinds.
func (k MaskKind) Valid() bool { return k == MaskName || k == MaskAddress || k == MaskPartial }

// TableColumn is one column of a table as declared: its name (the CSV header),
// its policy, and for a masked column how it is masked.
type TableColumn struct {
	Name   string       `json:"name"`
	Policy ColumnPolicy `json:"policy"`
	Mask   MaskKind     `json:"mask,omitempty"`
}

// DateWindow is a publicity period in days (in China): from From to To, both
// included. A zero From or To leaves that side open.
type DateWindow struct {
	From Date `json:"from,omitzero"`
	To   Date `json:"to,omitzero"`
}

// IsZero reports whether w leaves both sides open.
func (w DateWindow) IsZero() bool { return w.From.IsZero() && w.To.IsZero() }

// Window is w as moments: from the start of From to the end of To, in China.
func (w DateWindow) Window() Window {
	var out Window
	if !w.From.IsZero() {
		out.Start = chinaMidnight(w.From)
	}
	if !w.To.IsZero() {
		out.End = chinaMidnight(w.To.AddDays(1))
	}
	return out
}

// chinaMidnight is the moment day d begins in China (UTC+8).
func chinaMidnight(d Date) time.Time {
	return time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, time.FixedZone("CST", 8*3600)).UTC()
}

// Table is one version of a record's per-household table.
type Table struct {
	// Record is the record's id, the subject's id.
	Record string
	// Version is 1 when attached, n+1 for each correction.
	Version int
	// RecordVersion is the version of the record the table was attached to.
	RecordVersion int
	// Content are the digests of the CSV as attached (the sealed original).
	Content Digests
	// Encoding is how the CSV's bytes were read: "utf-8" or "gb18030".
	Encoding string
	// Key is the column that holds the household number (户号); it is public.
	Key string
	// Columns are every column of the CSV, in its order, with its policy.
	Columns []TableColumn
	// Rows is the number of households the table has.
	Rows int
	// MaskRule names the rules that derive the masked view (the households
	// package's), and Masked is the SHA-256 of the masked view they derived.
	MaskRule string
	Masked   Hash
	// Window is the table's publicity period; zero when it is shown for as long
	// as its record is.
	Window DateWindow
	// At is when the version was made; Actor made it.
	At    time.Time
	Actor Actor
	// Supersedes is set from version 2 on.
	Supersedes *Supersedes
}

type tableWire struct {
	Schema        int           `json:"schema"`
	Record        string        `json:"record"`
	Version       int           `json:"version"`
	RecordVersion int           `json:"record_version"`
	Content       Digests       `json:"content"`
	Encoding      string        `json:"encoding"`
	Key           string        `json:"key"`
	Columns       []TableColumn `json:"columns"`
	Rows          int           `json:"rows"`
	MaskRule      string        `json:"mask_rule"`
	Masked        Hash          `json:"masked_sha256"`
	Window        *DateWindow   `json:"window,omitempty"`
	At            string        `json:"at"`
	Actor         Actor         `json:"actor,omitempty"`
	Supersedes    *Supersedes   `json:"supersedes,omitempty"`
}

// EncodeTable returns the canonical JSON of t.
func EncodeTable(t Table) ([]byte, error) {
	w := tableWire{Schema: SchemaVersion, Record: t.Record, Version: t.Version, RecordVersion: t.RecordVersion,
		Content: t.Content, Encoding: t.Encoding, Key: t.Key, Columns: t.Columns, Rows: t.Rows,
		MaskRule: t.MaskRule, Masked: t.Masked, At: formatTime(t.At), Actor: t.Actor, Supersedes: t.Supersedes}
	if !t.Window.IsZero() {
		win := t.Window
		w.Window = &win
	}
	b, err := encodeCanonical(w)
	if err != nil {
		return nil, fmt.Errorf("archive: encode table %s: %w", t.Record, err)
	}
	return b, nil
}

// DecodeTable parses what EncodeTable writes.
func DecodeTable(b []byte) (Table, error) {
	var w tableWire
	if err := decodeStrict(b, &w); err != nil {
		return Table{}, fmt.Errorf("archive: decode table: %w", err)
	}
	at, err := parseTime(w.At)
	if err != nil {
		return Table{}, fmt.Errorf("archive: decode table %s: at: %w", w.Record, err)
	}
	t := Table{Record: w.Record, Version: w.Version, RecordVersion: w.RecordVersion, Content: w.Content,
		Encoding: w.Encoding, Key: w.Key, Columns: w.Columns, Rows: w.Rows, MaskRule: w.MaskRule,
		Masked: w.Masked, At: at, Actor: w.Actor, Supersedes: w.Supersedes}
	if w.Window != nil {
		t.Window = *w.Window
	}
	if err := checkTable(t); err != nil {
		return Table{}, fmt.Errorf("archive: decode table %s: %w", w.Record, err)
	}
	return t, nil
}

// TableVersions is how tables are versioned.
var TableVersions = VersionKind[Table]{
	Subject: SubjectTable, First: EventCreate,
	Encode: EncodeTable, Decode: DecodeTable,
	Ident: func(t Table) (string, int) { return t.Record, t.Version },
	Meta: func(t Table) VersionMeta {
		m := VersionMeta{Time: t.At, Actor: t.Actor}
		if t.Supersedes != nil {
			m.Reason = t.Supersedes.Reason
		}
		return m
	},
}

// checkTable checks a table version's form, every problem at once.
func checkTable(t Table) error {
	var ps problems
	if t.RecordVersion < 1 {
		ps.add("record_version", "required")
	}
	if t.Content.IsZero() || t.Content.Size <= 0 {
		ps.add("content", "the CSV's digests and size are required")
	}
	if t.Encoding != "utf-8" && t.Encoding != "gb18030" {
		ps.add("encoding", fmt.Sprintf("%q: want utf-8 or gb18030", t.Encoding))
	}
	if t.Rows < 1 {
		ps.add("rows", "a table has at least one household")
	}
	if t.MaskRule == "" || t.Masked.IsZero() {
		ps.add("masked_sha256", "the masked view's rule and digest are required")
	}
	seen := map[string]bool{}
	key := false
	for i, c := range t.Columns {
		field := fmt.Sprintf("columns[%d]", i)
		switch {
		case c.Name == "" || seen[c.Name]:
			ps.add(field, fmt.Sprintf("column name %q empty or repeated", c.Name))
		case !c.Policy.Valid():
			ps.add(field, fmt.Sprintf("column %q: policy %q (want public, masked or private)", c.Name, c.Policy))
		case c.Policy == ColumnMasked && !c.Mask.Valid():
			ps.add(field, fmt.Sprintf("column %q: masked how? %q (want name, address or partial)", c.Name, c.Mask))
		case c.Policy != ColumnMasked && c.Mask != "":
			ps.add(field, fmt.Sprintf("column %q: a mask for a column that is not masked", c.Name))
		}
		seen[c.Name] = true
		if c.Name == t.Key {
			key = true
			if c.Policy != ColumnPublic {
				ps.add("key", fmt.Sprintf("the household number column %q must be public", c.Name))
			}
		}
	}
	if !key {
		ps.add("key", fmt.Sprintf("%q is not one of the columns", t.Key))
	}
	if !t.Window.From.IsZero() && !t.Window.To.IsZero() && t.Window.To.Before(t.Window.From) {
		ps.add("window", fmt.Sprintf("ends (%s) before it starts (%s)", t.Window.To, t.Window.From))
	}
	checkSupersedes(&ps, t.Version, t.Supersedes)
	return ps.err("table of " + t.Record)
}

func (a *Archive) tables() *Versions[Table] { return NewVersions(a, TableVersions) }

// ErrNoTable: the record's type does not carry a per-household table.
var ErrNoTable = errors.New("the document type carries no per-household table")

// PutTable stores t as the next version of its record's table: version 1
// attaches it, a later one (with Supersedes and its reason) corrects it. The
// record must exist, be of a type that carries a table (DocType.Table) and of
// class public or area; the CSV must be stored (PutContent) already. The version
// number, time and actor are set here (t.Actor, or the archive's default). Of two
// writers racing for one version, one wins; the other gets ErrVersionExists.
func (a *Archive) PutTable(ctx context.Context, t Table) (Table, error) {
	fail := func(err error) (Table, error) {
		return Table{}, fmt.Errorf("archive: table of %s: %w", t.Record, err)
	}
	if err := checkRecordID(t.Record); err != nil {
		return fail(err)
	}
	rec, err := a.Record(ctx, t.Record)
	if err != nil {
		return fail(err)
	}
	typ, ok := a.cat.Type(rec.Type)
	if !ok || !typ.Table {
		return fail(fmt.Errorf("type %q: %w", rec.Type, ErrNoTable))
	}
	if rec.Disclosure != Public && rec.Disclosure != Area {
		return fail(fmt.Errorf("the record is of class %q: a table is shown to the project's households, so its record must be public or area: %w", rec.Disclosure, ErrNoTable))
	}
	if t.RecordVersion == 0 {
		t.RecordVersion = rec.Version
	}
	if t.RecordVersion > rec.Version {
		return fail(fmt.Errorf("record version %d: %w", t.RecordVersion, ErrNotFound))
	}
	ns, err := a.tables().Numbers(ctx, t.Record)
	if err != nil {
		return fail(err)
	}
	t.Version = len(ns) + 1
	if len(ns) > 0 {
		t.Version = ns[len(ns)-1] + 1
	}
	if t.Version == 1 {
		t.Supersedes = nil
	} else if t.Supersedes == nil {
		t.Supersedes = &Supersedes{}
	}
	if t.Supersedes != nil {
		t.Supersedes.Version = t.Version - 1
	}
	t.At, t.Actor = normTime(a.now()), a.actorOf(t.Actor)
	if err := checkTable(t); err != nil {
		return fail(err)
	}
	if ok, err := a.HasContent(ctx, t.Content); err != nil {
		return fail(err)
	} else if !ok {
		return fail(fmt.Errorf("the CSV %s is not stored: %w", t.Content.SHA256, ErrNotFound))
	}
	// The CSV is kept (locked, held) as long as its record (Options.Locks).
	if a.locks != nil {
		_, lock, err := a.locks.Record(ctx, rec)
		if err != nil {
			return fail(fmt.Errorf("retention: %w", err))
		}
		if err := a.LockObject(ctx, ContentKey(t.Content.SHA256), lock); err != nil {
			return fail(fmt.Errorf("the CSV %s: lock: %w", t.Content.SHA256, err))
		}
	}
	got, err := a.tables().put(ctx, t)
	if err != nil {
		return got, fmt.Errorf("archive: table of %s: %w", t.Record, err)
	}
	return got, nil
}

// Table returns the latest version of record id's table, or ErrNotFound when it
// has none.
func (a *Archive) Table(ctx context.Context, id string) (Table, error) {
	if err := checkRecordID(id); err != nil {
		return Table{}, fmt.Errorf("archive: table: %w", err)
	}
	return a.tables().Latest(ctx, id)
}

// TableHistory returns every version of record id's table, oldest first (none
// when it has none).
func (a *Archive) TableHistory(ctx context.Context, id string) ([]Table, error) {
	if err := checkRecordID(id); err != nil {
		return nil, fmt.Errorf("archive: table: %w", err)
	}
	h, err := a.tables().History(ctx, id)
	if errors.Is(err, ErrNotFound) {
		return nil, nil
	}
	return h, err
}

// TableStore returns the table versions of the archive.
func (a *Archive) TableStore() *Versions[Table] { return a.tables() }
