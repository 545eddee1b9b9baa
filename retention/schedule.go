package retention

import (
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"

	"github.com/gongshi-archive/gongshi/archive"
	"github.com/gongshi-archive/gongshi/calendar"
	"github.com/gongshi-archive/gongshi/internal/safefile"
	"github.com/gongshi-archive/gongshi/internal/strictjson"
)

// Schedules are a deployment's retention schedules: for each document type, the
// period (the catalogue's, Y, D30 or D10, unless the deployment lengthens it) and
// the trigger it is counted from (the document's date unless the deployment says
// the close of the project). A record keeps at least the period it was filed with
// (its archival code names it): a deployment's schedule can lengthen a type's
// period, never shorten it; a province that keeps a type for less loads its own
// catalogue (archive.LoadCatalogue).
type Schedules struct {
	cat     *archive.Catalogue
	trigger archive.RetentionTrigger
	types   map[string]Rule
}

// Rule is a deployment's schedule of one document type; an empty field leaves the
// default.
type Rule struct {
	Period  archive.RetentionCode    `json:"period,omitempty"`
	Trigger archive.RetentionTrigger `json:"trigger,omitempty"`
}

// scheduleFile is the JSON form of a deployment's schedules:
//
//	{"schema": 1, "trigger": "document_date",
//	 "types": {"site_chart": {"period": "D30"}, "agreement": {"trigger": "project_close"}}}
type scheduleFile struct {
	Schema  int                      `json:"schema"`
	Trigger archive.RetentionTrigger `json:"trigger,omitempty"`
	Types   map[string]Rule          `json:"types,omitempty"`
}

func (f *scheduleFile) SchemaVersion() int { return f.Schema }

// maxScheduleFile bounds a schedule file: a few hundred types at most.
const maxScheduleFile = 1 << 20

// DefaultSchedules are the catalogue's periods, each counted from the document's
// date.
func DefaultSchedules(cat *archive.Catalogue) *Schedules {
	return &Schedules{cat: cat, trigger: archive.TriggerDocumentDate, types: map[string]Rule{}}
}

// ParseSchedules reads a deployment's schedules (the form of scheduleFile) over
// the catalogue cat. Every problem is an error: an unknown type, period, trigger
// or field.
func ParseSchedules(r io.Reader, cat *archive.Catalogue) (*Schedules, error) {
	var f scheduleFile
	if err := strictjson.Decode(r, maxScheduleFile, &f, 1); err != nil {
		return nil, fmt.Errorf("retention: schedules: %w", err)
	}
	s := DefaultSchedules(cat)
	var problems []string
	if f.Trigger != "" {
		if !f.Trigger.Valid() {
			problems = append(problems, fmt.Sprintf("trigger %q: want document_date or project_close", f.Trigger))
		}
		s.trigger = f.Trigger
	}
	codes := make([]string, 0, len(f.Types))
	for code := range f.Types {
		codes = append(codes, code)
	}
	sort.Strings(codes)
	for _, code := range codes {
		rule := f.Types[code]
		if _, ok := cat.Type(code); !ok {
			problems = append(problems, fmt.Sprintf("types.%s: not a document type of the catalogue", code))
		}
		if rule.Period != "" && !rule.Period.Valid() {
			problems = append(problems, fmt.Sprintf("types.%s.period %q: want Y, D30 or D10", code, rule.Period))
		}
		if rule.Trigger != "" && !rule.Trigger.Valid() {
			problems = append(problems, fmt.Sprintf("types.%s.trigger %q: want document_date or project_close", code, rule.Trigger))
		}
		s.types[code] = rule
	}
	if len(problems) > 0 {
		return nil, fmt.Errorf("retention: schedules: %s", strings.Join(problems, "; "))
	}
	return s, nil
}

// LoadSchedules reads the schedule file at path; "" means the defaults.
func LoadSchedules(path string, cat *archive.Catalogue) (*Schedules, error) {
	if path == "" {
		return DefaultSchedules(cat), nil
	}
	f, err := safefile.Open(path)
	if err != nil {
		return nil, fmt.Errorf("retention: schedules: %w", err)
	}
	defer f.Close()
	s, err := ParseSchedules(f, cat)
	if err != nil {
		return nil, fmt.Errorf("%w (in %s)", err, path)
	}
	return s, nil
}

// For returns the schedule of rec as the deployment's rules give it now: the
// longest of the period rec was filed with (or its type's) and the deployment's for
// its type, counted from the type's trigger. Its From and Due are not filled in
// (see Compute).
func (s *Schedules) For(rec archive.Record) archive.Schedule {
	rec = s.cat.ApplyDefaults(rec)
	period := rec.Retention
	trigger := s.trigger
	if r, ok := s.types[rec.Type]; ok {
		period = LongerPeriod(period, r.Period)
		if r.Trigger != "" {
			trigger = r.Trigger
		}
	}
	if !period.Valid() {
		period = archive.Permanent // an unknown period is kept for ever, never disposed of
	}
	return archive.Schedule{Period: period, Trigger: trigger}
}

// periods, from the shortest.
var periods = []archive.RetentionCode{archive.Years10, archive.Years30, archive.Permanent}

// LongerPeriod returns the longer of two periods; an empty one is none.
func LongerPeriod(a, b archive.RetentionCode) archive.RetentionCode {
	if slices.Index(periods, b) > slices.Index(periods, a) {
		return b
	}
	return a
}

// laterTrigger returns the trigger of the two that ends a period later: the close
// of the project (which Compute never lets fall before the document's date).
func laterTrigger(a, b archive.RetentionTrigger) archive.RetentionTrigger {
	if a == archive.TriggerProjectClose || b == archive.TriggerProjectClose {
		return archive.TriggerProjectClose
	}
	if a == "" {
		return b
	}
	return a
}

// Merge returns the schedule that keeps a record at least as long as both a and b:
// the longer period, counted from the later trigger. It is how retention is
// extended and never shortened: the schedule kept with a record, a later
// extension and the deployment's current rules merge into the one in force. (It
// may keep a record longer than either alone, never shorter.)
func Merge(a, b archive.Schedule) archive.Schedule {
	return archive.Schedule{Period: LongerPeriod(a.Period, b.Period), Trigger: laterTrigger(a.Trigger, b.Trigger)}
}

// Compute fills in From and Due of schedule s for rec: From is the trigger's date
// (the document's date; or the project's close, never earlier than the document's
// date, and zero while the project is not closed); Due is the first day after the
// period, counted from the 1 January that follows From, as archives count
// (a D10 record of 18 March 2026 is kept through 2036 and due on 1 January 2037).
// A permanent schedule has no Due.
func Compute(s archive.Schedule, rec archive.Record, closed archive.Date) archive.Schedule {
	s.From, s.Due = archive.Date{}, archive.Date{}
	from := documentDate(rec)
	if s.Trigger == archive.TriggerProjectClose {
		if closed.IsZero() {
			return s
		}
		if closed.After(from) {
			from = closed
		}
	}
	s.From = from
	if years := s.Period.Years(); years > 0 && !from.IsZero() {
		s.Due = DueDate(from, years)
	}
	return s
}

// DueDate is the first day after a period of years counted from the 1 January
// that follows from.
func DueDate(from calendar.Date, years int) calendar.Date {
	return calendar.D(from.Year+1, 1, 1).AddYears(years)
}

// LeastDue is the earliest the disposal date of s can be: its Due, or for a
// schedule that waits for the close of its project, the Due counted from the
// document's date (the project closes no earlier). Zero for a permanent schedule.
func LeastDue(s archive.Schedule, rec archive.Record) archive.Date {
	if !s.Due.IsZero() || s.Period.Years() == 0 {
		return s.Due
	}
	from := documentDate(rec)
	if from.IsZero() {
		return archive.Date{}
	}
	return DueDate(from, s.Period.Years())
}

// documentDate is the date a record's period counts from: the date it bears, or
// for a record without one, the day it was filed.
func documentDate(rec archive.Record) archive.Date {
	if !rec.Date.IsZero() {
		return rec.Date
	}
	if !rec.FiledAt.IsZero() {
		return archive.DateOf(rec.FiledAt)
	}
	return archive.Date{}
}

// ProjectClosed returns the date project p was closed, zero when it is open.
func ProjectClosed(p archive.Project) archive.Date {
	return p.Dates[archive.ProjectClosed]
}
