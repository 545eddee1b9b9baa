package households

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/gongshi-archive/gongshi/archive"
	"github.com/gongshi-archive/gongshi/calendar"
)

// The residents' objection clock (复核 and 鉴定, 国有土地上房屋征收评估办法 Art.
// 20-24): the appraisal report is delivered; the household may ask the appraisal
// agency for a re-check within 10 days; the agency answers within 10 days; the
// household may ask the expert committee for an expert appraisal within 10 days
// of the answer; the committee gives its opinion within 10 days. Staff record
// each step with its day and the filed document; the clock is a pure function of
// the steps, the calendar and the day (Clock), counted by package calendar.

// StepKind is one step of the objection procedure, in order.
type StepKind string

// The steps.
const (
	StepReportDelivered  StepKind = "report_delivered"  // 评估报告送达
	StepRecheckRequested StepKind = "recheck_requested" // 申请复核
	StepRecheckAnswered  StepKind = "recheck_answered"  // 复核结果送达
	StepExpertRequested  StepKind = "expert_requested"  // 申请鉴定
	StepExpertOpinion    StepKind = "expert_opinion"    // 鉴定意见送达
)

// StepKinds lists the steps in their order.
func StepKinds() []StepKind {
	return []StepKind{StepReportDelivered, StepRecheckRequested, StepRecheckAnswered, StepExpertRequested, StepExpertOpinion}
}

// recordTypes is the document type a step is filed as.
var recordTypes = map[StepKind]string{
	StepReportDelivered: "appraisal_report", StepRecheckRequested: "recheck", StepRecheckAnswered: "recheck",
	StepExpertRequested: "expert_appraisal", StepExpertOpinion: "expert_appraisal",
}

// RecordType is the document type the record of a step of kind k must have.
func RecordType(k StepKind) string { return recordTypes[k] }

// Step is one step as staff recorded it: the day (in China) and the record of the
// filed document (the delivered report, the request, the answer).
type Step struct {
	Kind   StepKind     `json:"kind"`
	Day    archive.Date `json:"day"`
	Record string       `json:"record"`
}

// Objection is one version of a household's objection clock: the steps so far.
type Objection struct {
	// Key is archive.HouseholdKey(Project, Household), the subject's id.
	Key                string
	Version            int
	Project, Household string
	Steps              []Step
	// At is when; Actor who; Reason why, for a correction of a step.
	At     time.Time
	Actor  archive.Actor
	Reason string
}

type objectionWire struct {
	Schema    int           `json:"schema"`
	Key       string        `json:"key"`
	Version   int           `json:"version"`
	Project   string        `json:"project"`
	Household string        `json:"household"`
	Steps     []Step        `json:"steps"`
	At        string        `json:"at"`
	Actor     archive.Actor `json:"actor,omitempty"`
	Reason    string        `json:"reason,omitempty"`
}

// EncodeObjection returns the canonical JSON of o.
func EncodeObjection(o Objection) ([]byte, error) {
	b, err := archive.EncodeCanonical(objectionWire{Schema: archive.SchemaVersion, Key: o.Key, Version: o.Version,
		Project: o.Project, Household: o.Household, Steps: o.Steps, At: archive.FormatTime(o.At), Actor: o.Actor, Reason: o.Reason})
	if err != nil {
		return nil, fmt.Errorf("households: encode objection %s: %w", o.Key, err)
	}
	return b, nil
}

// DecodeObjection parses what EncodeObjection writes.
func DecodeObjection(b []byte) (Objection, error) {
	var w objectionWire
	if err := archive.DecodeStrict(b, &w); err != nil {
		return Objection{}, fmt.Errorf("households: decode objection: %w", err)
	}
	at, err := archive.ParseTime(w.At)
	if err != nil {
		return Objection{}, fmt.Errorf("households: decode objection %s: %w", w.Key, err)
	}
	o := Objection{Key: w.Key, Version: w.Version, Project: w.Project, Household: w.Household, Steps: w.Steps,
		At: at, Actor: w.Actor, Reason: w.Reason}
	if ps := stepProblems(o.Steps); len(ps) > 0 {
		return Objection{}, fmt.Errorf("households: decode objection %s: %s", w.Key, strings.Join(ps, "; "))
	}
	return o, nil
}

// ObjectionVersions is how objection clocks are versioned.
var ObjectionVersions = archive.VersionKind[Objection]{
	Subject: archive.SubjectObjection, First: archive.EventCreate,
	Encode: EncodeObjection, Decode: DecodeObjection,
	Ident: func(o Objection) (string, int) { return o.Key, o.Version },
	Meta: func(o Objection) archive.VersionMeta {
		return archive.VersionMeta{Time: o.At, Actor: o.Actor, Reason: o.Reason}
	},
}

// stepProblems says what is wrong with a list of steps: they must be the first
// steps of the procedure, in order, each on or after the one before.
func stepProblems(steps []Step) []string {
	var ps []string
	kinds := StepKinds()
	for i, st := range steps {
		switch {
		case i >= len(kinds) || st.Kind != kinds[i]:
			want := "none"
			if i < len(kinds) {
				want = string(kinds[i])
			}
			ps = append(ps, fmt.Sprintf("step %d is %q; the procedure's step %d is %s", i+1, st.Kind, i+1, want))
		case !st.Day.Valid():
			ps = append(ps, fmt.Sprintf("%s: the day %q is not a date", st.Kind, st.Day))
		case i > 0 && st.Day.Before(steps[i-1].Day):
			ps = append(ps, fmt.Sprintf("%s on %s comes before %s on %s", st.Kind, st.Day, steps[i-1].Kind, steps[i-1].Day))
		}
	}
	return ps
}

// ErrStep: a step that does not fit the procedure (out of order, a wrong day, a
// record of another household).
var ErrStep = errors.New("the step does not fit the procedure")

// RecordStep records step st of household hh of project's objection clock, as
// actor: the next step of the procedure, or, with a reason, a correction of a
// step recorded already (its day or record). The record must be filed for the
// same household of the same project, of the step's document type; the day may
// not lie ahead.
func (s *Service) RecordStep(ctx context.Context, project, hh string, st Step, actor archive.Actor, reason string) (Objection, error) {
	key, err := s.codeKey(project, hh)
	if err != nil {
		return Objection{}, err
	}
	fail := func(format string, args ...any) (Objection, error) {
		return Objection{}, fmt.Errorf("households: %s household %s: %s: %s: %w", project, hh, st.Kind, fmt.Sprintf(format, args...), ErrStep)
	}
	reg, err := s.Register(ctx, project)
	if err != nil {
		return Objection{}, err
	}
	if _, ok := reg.Household(hh); !ok {
		return Objection{}, fmt.Errorf("households: %s household %s: %w", project, hh, ErrNoHousehold)
	}
	if !slices.Contains(StepKinds(), st.Kind) {
		return fail("not a step (want one of %v)", StepKinds())
	}
	if !st.Day.Valid() || st.Day.After(archive.DateOf(s.now())) {
		return fail("the day %s is not a date up to today", st.Day)
	}
	rec, err := s.a.Record(ctx, st.Record)
	if err != nil {
		return fail("the record %q: %v", st.Record, err)
	}
	if rec.Project != project || rec.Household != hh || rec.Type != recordTypes[st.Kind] {
		return fail("the record %s is a %s of %s household %q; the step needs a %s of this household", rec.ID, rec.Type, rec.Project, rec.Household, recordTypes[st.Kind])
	}
	cur, err := s.objections.Latest(ctx, key)
	if err != nil && !errors.Is(err, archive.ErrNotFound) {
		return Objection{}, err
	}
	steps := slices.Clone(cur.Steps)
	i := slices.IndexFunc(steps, func(x Step) bool { return x.Kind == st.Kind })
	reason = strings.TrimSpace(reason)
	switch {
	case i >= 0 && reason == "":
		return Objection{}, fmt.Errorf("households: %s household %s: %s is recorded already (%s): %w", project, hh, st.Kind, steps[i].Day, ErrReasonRequired)
	case i >= 0:
		steps[i] = st
	default:
		steps = append(steps, st)
	}
	if ps := stepProblems(steps); len(ps) > 0 {
		return fail("%s", strings.Join(ps, "; "))
	}
	o := Objection{Key: key, Version: cur.Version + 1, Project: project, Household: hh, Steps: steps,
		At: s.now().UTC().Truncate(time.Millisecond), Actor: actor, Reason: reason}
	got, err := s.objections.Put(ctx, o)
	if err != nil {
		return got, fmt.Errorf("households: %w", err)
	}
	return got, nil
}

// ObjectionOf returns household hh's objection clock as recorded (the zero
// Objection, with its key, when nothing is).
func (s *Service) ObjectionOf(ctx context.Context, project, hh string) (Objection, error) {
	key, err := s.codeKey(project, hh)
	if err != nil {
		return Objection{}, err
	}
	o, err := s.objections.Latest(ctx, key)
	if errors.Is(err, archive.ErrNotFound) {
		return Objection{Key: key, Project: project, Household: hh}, nil
	}
	return o, err
}

// Objections calls fn with the latest objection clock of every household that
// has one, in key order.
func (s *Service) Objections(ctx context.Context, fn func(Objection) error) error {
	return s.objections.EachLatest(ctx, fn)
}

// Party is who must act in a stage.
type Party string

// The parties.
const (
	PartyResident  Party = "resident"  // the household: asks for a re-check, an expert appraisal
	PartyAuthority Party = "authority" // the appraisal agency, the expert committee
)

// StageState is where a stage of the clock stands.
type StageState string

// The states of a stage.
const (
	// StageOpen: the period runs and its act has not come (DaysLeft).
	StageOpen StageState = "open"
	// StageDone: the act came in time.
	StageDone StageState = "done"
	// StageLate: the act came after the last day (DaysLate).
	StageLate StageState = "late"
	// StageOverdue: the authority's last day has passed without its act.
	StageOverdue StageState = "overdue"
	// StageLapsed: the household's last day to ask has passed and it did not
	// ask: the right was not used, nobody is late.
	StageLapsed StageState = "lapsed"
	// StageUnknown: the calendar has no data for the days the answer needs.
	StageUnknown StageState = "unknown"
)

// Stage is one period of the clock: what starts it, who must act, by when.
type Stage struct {
	// Rule is the calendar rule (recheck_request, recheck_answer,
	// expert_appraisal_request, expert_appraisal_opinion).
	Rule  calendar.Rule
	Party Party
	// From is the step that started it; Act the step that ended it, if any.
	From Step
	Act  *Step
	// Status is the calendar's answer (Deadline, DaysLeft, DaysLate); State what
	// it means here.
	Status calendar.Status
	State  StageState
}

// ClockView is a household's objection clock on one day.
type ClockView struct {
	Project, Household string
	// Stages are the periods that have started, in order.
	Stages []Stage
}

// Current is the stage that runs, if one does.
func (c ClockView) Current() (Stage, bool) {
	for _, s := range c.Stages {
		if s.State == StageOpen {
			return s, true
		}
	}
	return Stage{}, false
}

// Open reports whether a stage runs.
func (c ClockView) Open() bool { _, ok := c.Current(); return ok }

// Late lists the stages whose act came late or, for the authority, has not come
// by its last day: exactly the steps the bureau must look at.
func (c ClockView) Late() []Stage {
	var out []Stage
	for _, s := range c.Stages {
		if s.State == StageLate || s.State == StageOverdue {
			out = append(out, s)
		}
	}
	return out
}

// stages of the clock: the rule, who acts, the step that starts it and the one
// that ends it.
var stages = []struct {
	rule        string
	party       Party
	from, until StepKind
}{
	{calendar.RuleRecheckRequest, PartyResident, StepReportDelivered, StepRecheckRequested},
	{calendar.RuleRecheckAnswer, PartyAuthority, StepRecheckRequested, StepRecheckAnswered},
	{calendar.RuleExpertRequest, PartyResident, StepRecheckAnswered, StepExpertRequested},
	{calendar.RuleExpertOpinion, PartyAuthority, StepExpertRequested, StepExpertOpinion},
}

// Clock is the objection clock of o on today: each stage that has started, with
// the calendar's status of its period. A household that let a period lapse has
// no later stage.
func Clock(cal *calendar.Calendar, rules *calendar.Rules, o Objection, today archive.Date) ClockView {
	v := ClockView{Project: o.Project, Household: o.Household}
	step := func(k StepKind) *Step {
		for i := range o.Steps {
			if o.Steps[i].Kind == k {
				return &o.Steps[i]
			}
		}
		return nil
	}
	for _, sd := range stages {
		from := step(sd.from)
		if from == nil {
			break
		}
		rule, ok := rules.Rule(sd.rule)
		if !ok {
			break // New checked the rules; a caller's own set may lack one
		}
		act := step(sd.until)
		var actDay archive.Date
		if act != nil {
			actDay = act.Day
		}
		st := cal.Status(calendar.Period{Rule: rule, Start: from.Day}, actDay, today)
		sg := Stage{Rule: rule, Party: sd.party, From: *from, Act: act, Status: st}
		switch {
		case st.Err != nil && st.Deadline.IsZero():
			// The calendar cannot say the last day (a year without
			// holiday data): neither days left nor late.
			sg.State = StageUnknown
		case st.State == calendar.Running:
			sg.State = StageOpen
		case st.State == calendar.Met:
			sg.State = StageDone
		case st.State == calendar.Late:
			sg.State = StageLate
		case st.State == calendar.Overdue:
			sg.State = StageOverdue
			if sd.party == PartyResident {
				sg.State = StageLapsed
			}
		case st.State == calendar.NotStarted:
			continue
		default:
			sg.State = StageUnknown
		}
		v.Stages = append(v.Stages, sg)
		if sg.State == StageLapsed || act == nil {
			break
		}
	}
	return v
}

// Clock is household hh's objection clock today.
func (s *Service) Clock(ctx context.Context, project, hh string) (ClockView, error) {
	o, err := s.ObjectionOf(ctx, project, hh)
	if err != nil {
		return ClockView{}, err
	}
	return Clock(s.cal, s.rules, o, archive.DateOf(s.now())), nil
}

// Unknown reports whether a stage cannot be counted (the calendar lacks the
// days it needs): a clock the bureau must look at as much as a running one.
func (c ClockView) Unknown() bool {
	return slices.ContainsFunc(c.Stages, func(s Stage) bool { return s.State == StageUnknown })
}

// OpenClocks returns the clocks of every household, across projects, that have
// a stage running or a late one, or one the calendar cannot count, today: the
// bureau's list.
func (s *Service) OpenClocks(ctx context.Context) ([]ClockView, error) {
	today := archive.DateOf(s.now())
	var out []ClockView
	err := s.Objections(ctx, func(o Objection) error {
		if c := Clock(s.cal, s.rules, o, today); c.Open() || len(c.Late()) > 0 || c.Unknown() {
			out = append(out, c)
		}
		return nil
	})
	return out, err
}
