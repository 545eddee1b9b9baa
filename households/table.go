package households

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"

	"github.com/gongshi-archive/gongshi/archive"
	"github.com/gongshi-archive/gongshi/calendar"
	"github.com/gongshi-archive/gongshi/ingest"
)

// Parsed is a table's CSV read as text: its header, and each row's values in
// the header's order.
type Parsed struct {
	Header []string
	Rows   [][]string
	// Key is the index of the household-number column.
	Key int
}

// maxTableBytes bounds a table's CSV: a county's largest project has a few
// thousand households; 16 MiB is far beyond that and still small for memory.
const maxTableBytes = 16 << 20

// TableOptions say how to read a table's CSV, what of it may be shown and for
// how long.
type TableOptions struct {
	// Name is the file's name, for messages.
	Name string
	// Encoding is the file's; ingest.EncodingAuto detects UTF-8 or GB18030.
	Encoding ingest.Encoding
	// Policy declares the columns. A column it does not name takes the policy
	// of the column of the same name in the project's household register, if
	// there is one; every other column is private.
	Policy Policy
	// From is the first day of the publicity window (the day the table is
	// posted); zero means today, for a type that has a publicity period, and no
	// window (shown as long as the record) for one that has none.
	From archive.Date
	// To is the last day of the window; zero means the last day of the type's
	// publicity period counted from From (a minimum: a later To may be given, an
	// earlier one is refused).
	To archive.Date
}

// readTable reads a table's CSV and checks its rows: a household-number column,
// each number valid, given once and (when the project has a register) a
// household of the register; every value text.
func readTableData(data []byte, name string, enc ingest.Encoding, reg *Register) (*Parsed, ingest.Encoding, []Problem) {
	if len(data) > maxTableBytes {
		return nil, "", []Problem{{Message: fmt.Sprintf("%d bytes: a table may have at most %d", len(data), maxTableBytes)}}
	}
	t, err := ingest.ReadTable(name, "table", data, ingest.ManifestOptions{Encoding: enc})
	if err != nil {
		var ee *ingest.EncodingError
		if errors.As(err, &ee) {
			return nil, "", []Problem{{Line: ee.Line, Column: ee.Column, Message: err.Error()}}
		}
		return nil, "", []Problem{{Message: err.Error()}}
	}
	p := &Parsed{Header: t.Header, Key: -1}
	key := keyColumn(t.Header)
	p.Key = slices.Index(t.Header, key)
	var ps []Problem
	if key == "" {
		ps = append(ps, Problem{Message: fmt.Sprintf("no household number column: name one 户号 (the file's columns: %v)", t.Header)})
	}
	seen := map[string]int{}
	for _, row := range t.Rows {
		num := ""
		if key != "" {
			num = row.Value(key)
		}
		at := func(col, msg string) {
			ps = append(ps, Problem{Line: row.Line, Household: num, Column: col, Message: msg})
		}
		for _, pr := range row.Problems {
			at("", pr)
		}
		vals := make([]string, len(t.Header))
		for i, c := range t.Header {
			vals[i] = row.Value(c)
			if msg := textProblem(vals[i]); msg != "" {
				at(c, msg)
			}
		}
		switch {
		case key == "":
		case num == "":
			at(key, "empty: every row needs its household number")
		case !archive.ValidHouseholdNumber(num):
			at(key, fmt.Sprintf("%q: a household number is 1 to 24 letters, digits and '-'", num))
		case seen[num] > 0:
			at(key, fmt.Sprintf("given twice (first on line %d)", seen[num]))
		case reg != nil:
			if _, ok := reg.Household(num); !ok {
				at(key, fmt.Sprintf("not a household of the register of %s (version %d)", reg.Project, reg.Version))
			}
		}
		if num != "" && seen[num] == 0 {
			seen[num] = row.Line
		}
		p.Rows = append(p.Rows, vals)
	}
	return p, t.Encoding, ps
}

// publicityRule is the calendar rule of type typ's publicity period, if it has
// one.
func (s *Service) publicityRule(typ string) (calendar.Rule, bool) {
	code, ok := s.publicity[typ]
	if !ok {
		return calendar.Rule{}, false
	}
	return s.rules.Rule(code)
}

// AttachTable reads, checks and attaches a per-household table (CSV) to record
// id, as actor: the next version of the record's table (a later one corrects the
// table and needs reason). The CSV is stored as content and stays sealed; the
// version holds its digests, every column's policy, the digest of the masked
// view derived from it, and the publicity window. A file with any problem stores
// nothing (*ImportError lists every one).
func (s *Service) AttachTable(ctx context.Context, id string, data []byte, o TableOptions, actor archive.Actor, reason string) (archive.Table, error) {
	rec, err := s.a.Record(ctx, id)
	if err != nil {
		return archive.Table{}, fmt.Errorf("households: table of %s: %w", id, err)
	}
	what := fmt.Sprintf("table of %s (%s)", id, rec.Title)
	if typ, ok := s.a.Catalogue().Type(rec.Type); !ok || !typ.Table {
		return archive.Table{}, fmt.Errorf("households: %s: type %q: %w", what, rec.Type, archive.ErrNoTable)
	}
	var reg *Register
	if r, err := s.Register(ctx, rec.Project); err == nil {
		reg = &r
	} else if !errors.Is(err, ErrNoRegister) {
		return archive.Table{}, err
	}
	parsed, enc, ps := readTableData(data, o.Name, o.Encoding, reg)
	var cols []archive.TableColumn
	if parsed != nil && parsed.Key >= 0 {
		var inherit map[string]archive.TableColumn
		if reg != nil {
			inherit = map[string]archive.TableColumn{}
			for _, c := range reg.Columns {
				inherit[c.Name] = c
			}
		}
		var dps []Problem
		cols, dps = declare(parsed.Header, parsed.Header[parsed.Key], o.Policy, inherit)
		ps = append(ps, dps...)
	}
	win, wps := s.window(rec, o)
	ps = append(ps, wps...)
	prev, err := s.a.Table(ctx, id)
	switch {
	case err == nil:
		if reason == "" {
			ps = append(ps, Problem{Message: fmt.Sprintf("the record has a table already (version %d): say why this one replaces it", prev.Version)})
		}
	case !errors.Is(err, archive.ErrNotFound):
		return archive.Table{}, err
	}
	if len(ps) > 0 {
		return archive.Table{}, &ImportError{What: what, Problems: ps}
	}
	d, err := s.a.PutContent(ctx, bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return archive.Table{}, fmt.Errorf("households: %s: %w", what, err)
	}
	t := archive.Table{Record: id, RecordVersion: rec.Version, Content: d, Encoding: string(enc),
		Key: parsed.Header[parsed.Key], Columns: cols, Rows: len(parsed.Rows), MaskRule: MaskRule, Window: win, Actor: actor}
	t.Masked = ViewDigest(MaskedView(parsed, t))
	if reason != "" && prev.Version > 0 {
		t.Supersedes = &archive.Supersedes{Reason: reason}
	}
	got, err := s.a.PutTable(ctx, t)
	if err != nil {
		return got, fmt.Errorf("households: %w", err)
	}
	return got, nil
}

// window is the publicity window of a table of rec, from the options and the
// type's publicity period.
func (s *Service) window(rec archive.Record, o TableOptions) (archive.DateWindow, []Problem) {
	rule, has := s.publicityRule(rec.Type)
	w := archive.DateWindow{From: o.From, To: o.To}
	if w.From.IsZero() && (has || !w.To.IsZero()) {
		w.From = archive.DateOf(s.now())
	}
	if !has {
		if !w.To.IsZero() && w.To.Before(w.From) {
			return w, []Problem{{Message: fmt.Sprintf("the window ends (%s) before it starts (%s)", w.To, w.From)}}
		}
		return w, nil
	}
	last, err := s.cal.Deadline(calendar.Period{Rule: rule, Start: w.From})
	if err != nil {
		if w.To.IsZero() {
			return w, []Problem{{Message: fmt.Sprintf("the publicity period (%s, %d days from %s) cannot be counted: %v; give its last day", rule.NameZh, rule.Length, w.From, err)}}
		}
		return w, nil
	}
	switch {
	case w.To.IsZero():
		w.To = last
	case w.To.Before(last):
		return w, []Problem{{Message: fmt.Sprintf("the publicity period (%s) runs at least until %s when posted on %s; %s is too early", rule.NameZh, last, w.From, w.To)}}
	}
	return w, nil
}

// ReadSealed reads the CSV of table version t from the archive, checks it against
// the version's digests, and parses it as the version says (its encoding, its
// columns).
func (s *Service) ReadSealed(ctx context.Context, t archive.Table) (*Parsed, error) {
	rc, err := s.a.OpenContent(ctx, t.Content.SHA256)
	if err != nil {
		return nil, fmt.Errorf("households: table of %s: %w", t.Record, err)
	}
	defer rc.Close()
	data, err := io.ReadAll(io.LimitReader(rc, maxTableBytes+1))
	if err != nil {
		return nil, fmt.Errorf("households: table of %s: %w", t.Record, err)
	}
	d, err := archive.DigestReader(ctx, bytes.NewReader(data))
	if err != nil {
		return nil, err
	}
	if d != t.Content {
		return nil, fmt.Errorf("households: table of %s: the stored CSV does not match the version's digests: %w", t.Record, archive.ErrDigestMismatch)
	}
	return ParseSealed(data, t)
}

// ParseSealed parses a table's CSV as its version t says: in t's encoding, with
// t's columns in t's order. It is how anyone holding the CSV and the version
// derives the masked view again.
func ParseSealed(data []byte, t archive.Table) (*Parsed, error) {
	p, _, ps := readTableData(data, "table", ingest.Encoding(t.Encoding), nil)
	if len(ps) > 0 {
		return nil, fmt.Errorf("households: table of %s: the CSV no longer reads: %w", t.Record, &ImportError{What: "table of " + t.Record, Problems: ps})
	}
	names := make([]string, len(t.Columns))
	for i, c := range t.Columns {
		names[i] = c.Name
	}
	if !slices.Equal(names, p.Header) || p.Header[p.Key] != t.Key {
		return nil, fmt.Errorf("households: table of %s: the CSV's columns %v are not the version's %v: %w", t.Record, p.Header, names, archive.ErrCorrupt)
	}
	return p, nil
}

// TableCheck is what CheckTable found.
type TableCheck struct {
	Table archive.Table
	// ContentOK: the stored CSV has the version's SHA-256, SM3 and size.
	ContentOK bool
	// MaskedOK: the masked view derived again has the version's digest; Got is
	// its digest.
	MaskedOK bool
	Got      archive.Hash
}

// CheckTable derives the masked view of record id's table (version n, 0 for the
// latest) again from the sealed CSV and compares its digest with the one the
// version recorded: what an inspector runs to see that the residents' view came
// from the original.
func (s *Service) CheckTable(ctx context.Context, id string, n int) (TableCheck, error) {
	var t archive.Table
	var err error
	if n == 0 {
		t, err = s.a.Table(ctx, id)
	} else {
		t, err = s.a.TableStore().Get(ctx, id, n)
	}
	if err != nil {
		return TableCheck{}, fmt.Errorf("households: table of %s: %w", id, err)
	}
	c := TableCheck{Table: t}
	p, err := s.ReadSealed(ctx, t)
	if errors.Is(err, archive.ErrDigestMismatch) {
		return c, nil
	}
	if err != nil {
		return c, err
	}
	c.ContentOK = true
	c.Got = ViewDigest(MaskedView(p, t))
	c.MaskedOK = c.Got == t.Masked
	return c, nil
}
