package households

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/gongshi-archive/gongshi/archive"
	"github.com/gongshi-archive/gongshi/calendar"
	"github.com/gongshi-archive/gongshi/procedure"
)

// Hasher hashes secrets slowly and checks them at a bounded concurrency
// (Argon2id; staff.Hasher is one). Verify returns nil for a match and an error
// otherwise; Burn spends the time of one check, so that a household without a
// code answers as slowly as a wrong code.
type Hasher interface {
	Hash(ctx context.Context, secret string) (string, error)
	Verify(ctx context.Context, stored, secret string) error
	Burn(ctx context.Context, secret string)
}

// Options configure a Service.
type Options struct {
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Calendar and Rules count the publicity windows and the objection clocks;
	// nil means calendar.Default() and calendar.DefaultRules().
	Calendar *calendar.Calendar
	Rules    *calendar.Rules
	// Publicity maps a document type to the calendar rule of its tables'
	// publicity period; nil means the periods of the procedure's table
	// (procedure.DefaultConfig: the preliminary appraisal's, at least 7 days).
	Publicity map[string]string
	// Hasher hashes the query codes; required to issue and check them.
	Hasher Hasher
	// Rand is where codes come from; nil means crypto/rand.
	Rand io.Reader
}

// Service keeps the households of an archive. It holds no state of its own
// beyond its options: every server sharing the store sees the same.
type Service struct {
	a          *archive.Archive
	now        func() time.Time
	cal        *calendar.Calendar
	rules      *calendar.Rules
	publicity  map[string]string
	hasher     Hasher
	rand       io.Reader
	registers  *archive.Versions[Register]
	codes      *archive.Versions[Code]
	objections *archive.Versions[Objection]
}

// New returns the households of archive a.
func New(a *archive.Archive, o Options) (*Service, error) {
	if a == nil {
		return nil, errors.New("households: no archive")
	}
	s := &Service{a: a, now: o.Now, cal: o.Calendar, rules: o.Rules, publicity: o.Publicity, hasher: o.Hasher, rand: o.Rand}
	if s.now == nil {
		s.now = time.Now
	}
	if s.cal == nil {
		s.cal = calendar.Default()
	}
	if s.rules == nil {
		s.rules = calendar.DefaultRules()
	}
	if s.rand == nil {
		s.rand = rand.Reader
	}
	if s.publicity == nil {
		s.publicity = PublicityOf(procedure.DefaultConfig(), a.Catalogue())
	}
	for typ, code := range s.publicity {
		if _, ok := s.rules.Rule(code); !ok {
			return nil, fmt.Errorf("households: the publicity period of %s: no clock rule %q", typ, code)
		}
	}
	for _, code := range []string{calendar.RuleRecheckRequest, calendar.RuleRecheckAnswer, calendar.RuleExpertRequest, calendar.RuleExpertOpinion} {
		if _, ok := s.rules.Rule(code); !ok {
			return nil, fmt.Errorf("households: the objection clock needs the rule %q", code)
		}
	}
	s.registers = archive.NewVersions(a, RegisterVersions)
	s.codes = archive.NewVersions(a, CodeVersions)
	s.objections = archive.NewVersions(a, ObjectionVersions)
	return s, nil
}

// PublicityOf is the publicity period of each table type of cat that the
// procedure's table gives a period (the preliminary appraisal's publicity
// before the final reports): type → calendar rule.
func PublicityOf(cfg *procedure.Config, cat *archive.Catalogue) map[string]string {
	out := map[string]string{}
	for _, t := range cfg.Types {
		if typ, ok := cat.Type(t.Type); ok && typ.Table && t.Period != nil {
			out[t.Type] = t.Period.Rule
		}
	}
	return out
}

// Publicity returns the calendar rule of type typ's publicity period, if it has
// one: what the pages show next to a table's window.
func (s *Service) Publicity(typ string) (calendar.Rule, bool) { return s.publicityRule(typ) }

// Archive is the archive the service keeps the households of.
func (s *Service) Archive() *archive.Archive { return s.a }

// Calendar is the calendar the service counts with.
func (s *Service) Calendar() *calendar.Calendar { return s.cal }

// Rules are the clock rules the service counts with.
func (s *Service) Rules() *calendar.Rules { return s.rules }

// Table returns the latest version of record id's table (archive.ErrNotFound
// when it has none).
func (s *Service) Table(ctx context.Context, id string) (archive.Table, error) {
	return s.a.Table(ctx, id)
}

// RecordState is the archive's state of record id (what archive.Visibility
// reads, the table's window included).
func (s *Service) RecordState(ctx context.Context, id string) (archive.RecordState, error) {
	return s.a.RecordState(ctx, id)
}
