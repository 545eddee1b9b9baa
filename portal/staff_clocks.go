package portal

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/gongshi-archive/gongshi/archive"
	"github.com/gongshi-archive/gongshi/households"
	"github.com/gongshi-archive/gongshi/staff"
)

// The residents' objection clocks on the staff side: a household's clock
// (/staff/households/PROJECT/HH/clock), where the archivist records each step
// with its day and the filed record and an inspector reads it, and the bureau's
// list (/staff/clocks) of every open and every late clock across projects, late
// first — the same clocks as 'gongshi households clocks', counted by the
// households service with the deployment's calendar and clock rules. A step that
// does not fit (a record of the wrong type or of another household, out of
// order, a day ahead) is refused with the package's reason and changes nothing;
// every step recorded is an entry of the staff audit trail.

func (s *Server) staffClockRoutes(g *echo.Group) {
	g.GET("/households/:project/:hh/clock", s.staffPage(s.clockPage))
	g.POST("/households/:project/:hh/clock", s.staffRecordStep)
	g.GET("/clocks", s.staffPage(s.clocksPage))
}

// mayReadClocks: the clocks are the archivist's, who records the steps, and
// the inspector's.
func mayReadClocks(me staff.Account) error {
	if me.HasRole(archive.RoleArchivist) || me.HasRole(archive.RoleInspector) {
		return nil
	}
	return ErrForbidden
}

type staffClockData struct {
	staffCommon
	Cat       *archive.Catalogue
	Project   archive.Project
	Household string
	Clock     households.ClockView
	// Steps are the recorded steps with their records; Version the clock's.
	Steps   []stepView
	Version int
	// Kinds are the steps of the procedure; Next the one to record next ("" when
	// all are).
	Kinds []households.StepKind
	Next  households.StepKind
	// Records are the household's records a step may name (appraisal reports,
	// re-check and expert-appraisal documents).
	Records []archive.Record
	Today   archive.Date
	// Problems are why a step was refused; Values the form as sent.
	Problems []string
	Values   map[string]string
}

type stepView struct {
	households.Step
	Rec archive.Record
}

// stepRecords is how many of a household's records of one type the form offers.
const stepRecords = 200

func (s *Server) clockData(ctx context.Context, rq *request, me staff.Account, project, hh string) (staffClockData, error) {
	if s.hh == nil || archive.ValidateProjectCode(project) != nil || !archive.ValidHouseholdNumber(hh) {
		return staffClockData{}, errNotFound
	}
	hs := s.hh.o.Households
	reg, err := hs.Register(ctx, project)
	if errors.Is(err, households.ErrNoRegister) {
		return staffClockData{}, errNotFound
	}
	if err != nil {
		return staffClockData{}, err
	}
	if _, ok := reg.Household(hh); !ok {
		return staffClockData{}, errNotFound
	}
	p, err := s.opts.Archive.Project(ctx, project)
	if err != nil && !errors.Is(err, archive.ErrNotFound) {
		return staffClockData{}, err
	}
	d := staffClockData{staffCommon: s.common(rq, me, "clocks"), Cat: s.opts.Archive.Catalogue(), Project: p, Household: hh,
		Kinds: households.StepKinds(), Today: archive.DateOf(s.now()), Values: map[string]string{}}
	o, err := hs.ObjectionOf(ctx, project, hh)
	if err != nil {
		return staffClockData{}, err
	}
	d.Version = o.Version
	for _, st := range o.Steps {
		rec, err := s.opts.Archive.Record(ctx, st.Record)
		if err != nil && !errors.Is(err, archive.ErrNotFound) {
			return staffClockData{}, err
		}
		d.Steps = append(d.Steps, stepView{Step: st, Rec: rec})
	}
	if len(o.Steps) < len(d.Kinds) {
		d.Next = d.Kinds[len(o.Steps)]
	}
	if d.Clock, err = hs.Clock(ctx, project, hh); err != nil {
		return staffClockData{}, err
	}
	var types []string
	for _, k := range d.Kinds {
		if t := households.RecordType(k); !slices.Contains(types, t) {
			types = append(types, t)
		}
	}
	for _, t := range types {
		res, err := s.opts.Index.Search(ctx, rq.Viewer, Query{Project: project, Type: t, Sort: "date", Limit: stepRecords})
		if err != nil {
			return staffClockData{}, err
		}
		for _, h := range res.Hits {
			if h.Record.Household == hh {
				d.Records = append(d.Records, h.Record)
			}
		}
	}
	d.Values["kind"] = string(d.Next)
	d.Values["day"] = d.Today.String()
	return d, nil
}

func (s *Server) clockPage(ctx context.Context, rq *request, me staff.Account) (*page, error) {
	if err := mayReadClocks(me); err != nil {
		return nil, err
	}
	d, err := s.clockData(ctx, rq, me, rq.param("project"), rq.param("hh"))
	if err != nil {
		return nil, err
	}
	return &page{name: "staff_clock", Title: fmt.Sprintf(s.tmpl.msg(rq.Lang, "stc_title"), d.Household), Data: d}, nil
}

func (s *Server) staffRecordStep(c echo.Context) error {
	if err := checkFormCSRF(c); err != nil {
		return err
	}
	me := meOf(c)
	if err := mayFile(me); err != nil {
		return err
	}
	ctx := c.Request().Context()
	rq := s.requestOf(c)
	project, hh := c.Param("project"), c.Param("hh")
	d, err := s.clockData(ctx, rq, me, project, hh)
	if err != nil {
		return err
	}
	for _, k := range []string{"kind", "day", "record", "reason"} {
		d.Values[k] = strings.TrimSpace(c.FormValue(k))
	}
	st := households.Step{Kind: households.StepKind(d.Values["kind"]), Record: d.Values["record"]}
	day, err := archive.ParseDate(d.Values["day"])
	switch {
	case !slices.Contains(d.Kinds, st.Kind):
		d.Problems = append(d.Problems, s.tmpl.msg(rq.Lang, "stc_bad_kind"))
	case err != nil:
		d.Problems = append(d.Problems, fmt.Sprintf(s.tmpl.msg(rq.Lang, "stc_bad_day"), d.Values["day"]))
	case st.Record == "":
		d.Problems = append(d.Problems, s.tmpl.msg(rq.Lang, "stc_no_record"))
	}
	if len(d.Problems) == 0 {
		st.Day = day
		o, err := s.hh.o.Households.RecordStep(ctx, project, hh, st, actorOf(me), d.Values["reason"])
		switch {
		case errors.Is(err, households.ErrStep):
			d.Problems = append(d.Problems, s.tmpl.msg(rq.Lang, "stc_refused"), stepReason(err, project, hh, st))
		case errors.Is(err, households.ErrReasonRequired):
			d.Problems = append(d.Problems, s.tmpl.msg(rq.Lang, "stc_reason_required"))
		case err != nil:
			return err
		default:
			if _, err := s.opts.Staff.Accounts.Record(ctx, staff.TrailEntry{Action: "household_clock_step",
				Subject: "household " + project + "/" + hh,
				Detail:  fmt.Sprintf("%s on %s, record %s (clock version %d)", st.Kind, st.Day, st.Record, o.Version),
				Client:  clientOf(c), Actor: actorOf(me)}); err != nil {
				return fmt.Errorf("recording the step in the staff trail: %w", err)
			}
			return redirectDone(c, rq.Lang, "/staff/households/"+project+"/"+hh+"/clock", "done_step_recorded")
		}
	}
	return s.renderPrivate(c, rq, &page{name: "staff_clock", status: http.StatusUnprocessableEntity,
		Title: fmt.Sprintf(s.tmpl.msg(rq.Lang, "stc_title"), hh), Data: d})
}

// stepReason is the households package's reason step st was refused, without
// the operation's words around it.
func stepReason(err error, project, hh string, st households.Step) string {
	msg := strings.TrimSuffix(err.Error(), ": "+households.ErrStep.Error())
	return strings.TrimPrefix(msg, fmt.Sprintf("households: %s household %s: %s: ", project, hh, st.Kind))
}

// ---- the bureau's list ----

type staffClocksData struct {
	staffCommon
	Projects []archive.Project
	Project  string
	// Rows are the stages that run or are late, late first (most days late
	// first), then those the calendar cannot count, then the running ones
	// (fewest days left first).
	Rows                []clockRow
	Late, Unknown, Open int
}

type clockRow struct {
	Project, ProjectName, Household string
	Stage                           households.Stage
	Late                            bool
}

// rank orders the rows: late, then those the calendar cannot count, then
// running.
func (r clockRow) rank() int {
	switch {
	case r.Late:
		return 0
	case r.Stage.State == households.StageUnknown:
		return 1
	}
	return 2
}

func (s *Server) clocksPage(ctx context.Context, rq *request, me staff.Account) (*page, error) {
	if err := mayReadClocks(me); err != nil {
		return nil, err
	}
	if s.hh == nil {
		return nil, errNotFound
	}
	ps, err := s.opts.Archive.Projects(ctx)
	if err != nil {
		return nil, err
	}
	names := map[string]string{}
	for _, p := range ps {
		names[p.Code] = p.Name
	}
	d := staffClocksData{staffCommon: s.common(rq, me, "clocks"), Projects: ps, Project: rq.form("project")}
	if _, ok := names[d.Project]; !ok {
		d.Project = ""
	}
	cvs, err := s.hh.o.Households.OpenClocks(ctx)
	if err != nil {
		return nil, err
	}
	for _, cv := range cvs {
		if d.Project != "" && cv.Project != d.Project {
			continue
		}
		for _, st := range cv.Stages {
			r := clockRow{Project: cv.Project, ProjectName: names[cv.Project], Household: cv.Household, Stage: st}
			switch st.State {
			case households.StageLate, households.StageOverdue:
				r.Late = true
				d.Late++
			case households.StageOpen:
				d.Open++
			case households.StageUnknown:
				d.Unknown++
			default:
				continue
			}
			d.Rows = append(d.Rows, r)
		}
	}
	slices.SortStableFunc(d.Rows, func(a, b clockRow) int {
		switch {
		case a.rank() != b.rank():
			return cmp.Compare(a.rank(), b.rank())
		case a.Late:
			if c := cmp.Compare(b.Stage.Status.DaysLate, a.Stage.Status.DaysLate); c != 0 {
				return c
			}
		default:
			if c := cmp.Compare(a.Stage.Status.DaysLeft, b.Stage.Status.DaysLeft); c != 0 {
				return c
			}
		}
		return cmp.Or(cmp.Compare(a.Project, b.Project), cmp.Compare(a.Household, b.Household))
	})
	return &page{name: "staff_clocks", Title: s.tmpl.msg(rq.Lang, "staff_clocks"), Data: d}, nil
}
