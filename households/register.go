package households

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/gongshi-archive/gongshi/archive"
	"github.com/gongshi-archive/gongshi/ingest"
)

// Register is one version of a project's household register (被征收户登记): a
// row per household with the columns the project keeps, each column declared
// public, masked or private.
type Register struct {
	// Project is the project's code, the subject's id.
	Project string
	// Version is 1 for the first import, n+1 for each correction.
	Version int
	// Columns are every column of the register, in the order of the file, with
	// its policy.
	Columns []archive.TableColumn
	// Roles names the column of each role (number, head, address, area,
	// ownership).
	Roles map[Role]string
	// Households are the rows, in the order of the file.
	Households []Household
	// Source is the file this version was imported from.
	Source Source
	// At is when the version was made; Actor made it.
	At    time.Time
	Actor archive.Actor
	// Supersedes is set from version 2 on: the version it replaces and why.
	Supersedes *archive.Supersedes
}

// Household is one row of a register: its number and its values, one per
// column of the register, in the register's column order.
type Household struct {
	Number string   `json:"number"`
	Values []string `json:"values"`
}

// Source is the file a register version was imported from.
type Source struct {
	Name     string       `json:"name,omitempty"`
	Encoding string       `json:"encoding"`
	SHA256   archive.Hash `json:"sha256"`
	Size     int64        `json:"size"`
}

// Value returns household h's value of column col in r, "" when r has no such
// column.
func (r Register) Value(h Household, col string) string {
	for i, c := range r.Columns {
		if c.Name == col && i < len(h.Values) {
			return h.Values[i]
		}
	}
	return ""
}

// Household returns the row of household number hh.
func (r Register) Household(hh string) (Household, bool) {
	for _, h := range r.Households {
		if h.Number == hh {
			return h, true
		}
	}
	return Household{}, false
}

// Column returns the declaration of column name.
func (r Register) Column(name string) (archive.TableColumn, bool) {
	for _, c := range r.Columns {
		if c.Name == name {
			return c, true
		}
	}
	return archive.TableColumn{}, false
}

type registerWire struct {
	Schema     int                   `json:"schema"`
	Project    string                `json:"project"`
	Version    int                   `json:"version"`
	Columns    []archive.TableColumn `json:"columns"`
	Roles      map[Role]string       `json:"roles"`
	Households []Household           `json:"households"`
	Source     Source                `json:"source"`
	At         string                `json:"at"`
	Actor      archive.Actor         `json:"actor,omitempty"`
	Supersedes *archive.Supersedes   `json:"supersedes,omitempty"`
}

// EncodeRegister returns the canonical JSON of r.
func EncodeRegister(r Register) ([]byte, error) {
	b, err := archive.EncodeCanonical(registerWire{Schema: archive.SchemaVersion, Project: r.Project, Version: r.Version,
		Columns: r.Columns, Roles: r.Roles, Households: r.Households, Source: r.Source,
		At: archive.FormatTime(r.At), Actor: r.Actor, Supersedes: r.Supersedes})
	if err != nil {
		return nil, fmt.Errorf("households: encode register %s: %w", r.Project, err)
	}
	return b, nil
}

// DecodeRegister parses what EncodeRegister writes.
func DecodeRegister(b []byte) (Register, error) {
	var w registerWire
	if err := archive.DecodeStrict(b, &w); err != nil {
		return Register{}, fmt.Errorf("households: decode register: %w", err)
	}
	at, err := archive.ParseTime(w.At)
	if err != nil {
		return Register{}, fmt.Errorf("households: decode register %s: at: %w", w.Project, err)
	}
	for _, h := range w.Households {
		if len(h.Values) != len(w.Columns) {
			return Register{}, fmt.Errorf("households: decode register %s: household %s has %d values for %d columns", w.Project, h.Number, len(h.Values), len(w.Columns))
		}
	}
	return Register{Project: w.Project, Version: w.Version, Columns: w.Columns, Roles: w.Roles,
		Households: w.Households, Source: w.Source, At: at, Actor: w.Actor, Supersedes: w.Supersedes}, nil
}

// RegisterVersions is how registers are versioned.
var RegisterVersions = archive.VersionKind[Register]{
	Subject: archive.SubjectHousehold, First: archive.EventCreate,
	Encode: EncodeRegister, Decode: DecodeRegister,
	Ident: func(r Register) (string, int) { return r.Project, r.Version },
	Meta: func(r Register) archive.VersionMeta {
		m := archive.VersionMeta{Time: r.At, Actor: r.Actor}
		if r.Supersedes != nil {
			m.Reason = r.Supersedes.Reason
		}
		return m
	},
}

// ImportOptions say how to read a register file and what of it may be shown.
type ImportOptions struct {
	// Name is the file's name, for messages and the version's source.
	Name string
	// Encoding is the file's; ingest.EncodingAuto detects UTF-8 or GB18030.
	Encoding ingest.Encoding
	// Policy declares the columns; the household number is always public.
	Policy Policy
}

// Limits of a register's values.
const (
	maxValue      = 500     // characters of one value
	maxHouseholds = 100_000 // rows of one register
	maxArea       = 100_000 // square metres of one household's building
)

// areaPattern is a building area as the register writes it: square metres with
// at most two decimals, without thousands separators.
var areaPattern = regexp.MustCompile(`^[0-9]{1,6}(\.[0-9]{1,2})?$`)

// ParseRegister reads a register file (CSV in UTF-8 or GB18030 as Excel writes
// it, or a JSON array of objects) for project and checks it, returning every
// problem at once as an *ImportError. It stores nothing. The version, time and
// actor are left for the store to set.
func ParseRegister(project string, data []byte, o ImportOptions) (Register, error) {
	what := "household register of " + project
	refuse := func(ps []Problem) error { return &ImportError{What: what, Problems: ps} }
	t, err := ingest.ReadTable(o.Name, "household register", data, ingest.ManifestOptions{Encoding: o.Encoding})
	if err != nil {
		var ee *ingest.EncodingError
		if errors.As(err, &ee) {
			return Register{}, refuse([]Problem{{Line: ee.Line, Column: ee.Column, Message: err.Error()}})
		}
		return Register{}, refuse([]Problem{{Message: err.Error()}})
	}
	var ps []Problem
	roles := findRoles(t.Header)
	for _, r := range Roles() {
		if roles[r] == "" {
			ps = append(ps, Problem{Message: fmt.Sprintf("no %s column: name one %s (the file's columns: %s)", roleLabel(r), strings.Join(roleAliases[r][:2], " or "), strings.Join(t.Header, ", "))})
		}
	}
	cols, dps := declare(t.Header, roles[RoleNumber], o.Policy, nil)
	ps = append(ps, dps...)
	if len(t.Rows) > maxHouseholds {
		ps = append(ps, Problem{Message: fmt.Sprintf("%d households: at most %d in one register", len(t.Rows), maxHouseholds)})
	}
	reg := Register{Project: project, Columns: cols, Roles: roles,
		Source: Source{Name: o.Name, Encoding: string(t.Encoding), SHA256: sha256.Sum256(data), Size: int64(len(data))}}
	seen := map[string]int{}
	for _, row := range t.Rows {
		num := row.Value(roles[RoleNumber])
		at := func(col, msg string) {
			ps = append(ps, Problem{Line: row.Line, Household: num, Column: col, Message: msg})
		}
		for _, p := range row.Problems {
			at("", p)
		}
		h := Household{Number: num, Values: make([]string, len(cols))}
		for i, c := range cols {
			v := row.Value(c.Name)
			h.Values[i] = v
			if msg := textProblem(v); msg != "" {
				at(c.Name, msg)
			}
		}
		switch {
		case roles[RoleNumber] == "":
		case num == "":
			at(roles[RoleNumber], "empty: every household needs its number")
		case !archive.ValidHouseholdNumber(num):
			at(roles[RoleNumber], fmt.Sprintf("%q: a household number is 1 to 24 letters, digits and '-' (such as 0007 or A-3-201)", num))
		case seen[num] > 0:
			at(roles[RoleNumber], fmt.Sprintf("given twice (first on line %d)", seen[num]))
		default:
			seen[num] = row.Line
		}
		for _, r := range []Role{RoleHead, RoleAddress, RoleOwnership} {
			if col := roles[r]; col != "" && row.Value(col) == "" {
				at(col, "empty: "+roleLabel(r)+" is required")
			}
		}
		if col := roles[RoleArea]; col != "" {
			if msg := areaProblem(row.Value(col)); msg != "" {
				at(col, msg)
			}
		}
		reg.Households = append(reg.Households, h)
	}
	if len(ps) > 0 {
		return Register{}, refuse(ps)
	}
	return reg, nil
}

// textProblem says what is wrong with a value as text, "" for nothing.
func textProblem(v string) string {
	switch {
	case utf8.RuneCountInString(v) > maxValue:
		return fmt.Sprintf("%d characters: at most %d", utf8.RuneCountInString(v), maxValue)
	case strings.IndexFunc(v, unicode.IsControl) >= 0:
		return "contains a control character (a line break or tab inside a cell)"
	}
	return ""
}

// areaProblem says what is wrong with a building area, "" for nothing.
func areaProblem(v string) string {
	switch {
	case v == "":
		return "empty: 建筑面积 (building area) is required"
	case !areaPattern.MatchString(v):
		return fmt.Sprintf("%q is not an area in square metres (write it like 86.5, without units or thousands separators)", v)
	}
	var f float64
	fmt.Sscan(v, &f)
	if f <= 0 || f >= maxArea {
		return fmt.Sprintf("%s square metres: want more than 0 and less than %d", v, maxArea)
	}
	return ""
}

// ImportRegister reads, checks and stores a register file as the next version of
// project's register, as actor. The project must exist. The first import needs
// no reason; a later one corrects the register and must say why. A file with any
// problem stores nothing (*ImportError lists them all).
func (s *Service) ImportRegister(ctx context.Context, project string, data []byte, o ImportOptions, actor archive.Actor, reason string) (Register, error) {
	if _, err := s.a.Project(ctx, project); err != nil {
		return Register{}, fmt.Errorf("households: register of %s: %w", project, err)
	}
	reg, err := ParseRegister(project, data, o)
	if err != nil {
		return Register{}, err
	}
	return s.putRegister(ctx, reg, actor, reason)
}

// putRegister stores reg as the next version, checking the reason's rule.
func (s *Service) putRegister(ctx context.Context, reg Register, actor archive.Actor, reason string) (Register, error) {
	ns, err := s.registers.Numbers(ctx, reg.Project)
	if err != nil {
		return Register{}, fmt.Errorf("households: register of %s: %w", reg.Project, err)
	}
	reg.Version = 1
	if len(ns) > 0 {
		reg.Version = ns[len(ns)-1] + 1
		if strings.TrimSpace(reason) == "" {
			return Register{}, fmt.Errorf("households: register of %s has version %d already: %w", reg.Project, ns[len(ns)-1], ErrReasonRequired)
		}
		reg.Supersedes = &archive.Supersedes{Version: reg.Version - 1, Reason: strings.TrimSpace(reason)}
	}
	reg.At, reg.Actor = s.now().UTC().Truncate(time.Millisecond), actor
	got, err := s.registers.Put(ctx, reg)
	if err != nil {
		return got, fmt.Errorf("households: %w", err)
	}
	return got, nil
}

// CorrectHousehold stores a new version of project's register in which household
// hh's values of the columns named in values are replaced, as actor, for reason
// (required). The household number itself cannot be changed this way.
func (s *Service) CorrectHousehold(ctx context.Context, project, hh string, values map[string]string, actor archive.Actor, reason string) (Register, error) {
	reg, err := s.Register(ctx, project)
	if err != nil {
		return Register{}, err
	}
	i := slices.IndexFunc(reg.Households, func(h Household) bool { return h.Number == hh })
	if i < 0 {
		return Register{}, fmt.Errorf("households: %s household %s: %w", project, hh, ErrNoHousehold)
	}
	var ps []Problem
	row := slices.Clone(reg.Households[i].Values)
	for col, v := range values {
		j := slices.IndexFunc(reg.Columns, func(c archive.TableColumn) bool { return c.Name == col })
		v = strings.TrimSpace(v)
		switch {
		case j < 0:
			ps = append(ps, Problem{Household: hh, Column: col, Message: "no such column"})
		case col == reg.Roles[RoleNumber]:
			ps = append(ps, Problem{Household: hh, Column: col, Message: "the household number cannot be corrected: import the register again"})
		case textProblem(v) != "":
			ps = append(ps, Problem{Household: hh, Column: col, Message: textProblem(v)})
		case col == reg.Roles[RoleArea] && areaProblem(v) != "":
			ps = append(ps, Problem{Household: hh, Column: col, Message: areaProblem(v)})
		case v == "" && slices.Contains([]string{reg.Roles[RoleHead], reg.Roles[RoleAddress], reg.Roles[RoleOwnership]}, col):
			ps = append(ps, Problem{Household: hh, Column: col, Message: "empty: required"})
		default:
			row[j] = v
		}
	}
	if len(ps) > 0 {
		slices.SortFunc(ps, func(a, b Problem) int { return strings.Compare(a.Column, b.Column) })
		return Register{}, &ImportError{What: fmt.Sprintf("correction of %s household %s", project, hh), Problems: ps}
	}
	reg.Households = slices.Clone(reg.Households)
	reg.Households[i] = Household{Number: hh, Values: row}
	return s.putRegister(ctx, reg, actor, reason)
}

// Register returns the latest version of project's register, or ErrNoRegister.
func (s *Service) Register(ctx context.Context, project string) (Register, error) {
	r, err := s.registers.Latest(ctx, project)
	if errors.Is(err, archive.ErrNotFound) {
		return Register{}, fmt.Errorf("households: %s: %w", project, ErrNoRegister)
	}
	return r, err
}

// RegisterHistory returns every version of project's register, oldest first.
func (s *Service) RegisterHistory(ctx context.Context, project string) ([]Register, error) {
	h, err := s.registers.History(ctx, project)
	if errors.Is(err, archive.ErrNotFound) {
		return nil, nil
	}
	return h, err
}

// Registers returns the latest register of every project that has one.
func (s *Service) Registers(ctx context.Context) ([]Register, error) {
	var out []Register
	err := s.registers.EachLatest(ctx, func(r Register) error {
		out = append(out, r)
		return nil
	})
	return out, err
}
