package portal

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"github.com/gongshi-archive/gongshi/archive"
	"github.com/gongshi-archive/gongshi/calendar"
	"github.com/gongshi-archive/gongshi/requests"
	"github.com/gongshi-archive/gongshi/staff"
)

// Disclosure requests on the staff side (/staff/requests): the archivist
// answers them, the inspector and the auditor read them. The list puts the
// late tickets first; a ticket's page has the request (the requester's name and
// contact: each view is a staff trail entry naming the ticket, never the
// person), its history, its clocks, and the steps the law allows: ask once for
// a correction (the period restarts when it comes), extend once with a notice
// by the last day, answer with one of the law's reasons and the records
// released. Every step is a version of the ticket made as the account, so a
// ledger entry; a refused form stores nothing and lists every problem.

// requestReaders may read the tickets; only the archivist changes them.
var requestReaders = []archive.Role{archive.RoleArchivist, archive.RoleInspector, archive.RoleAuditor}

func (s *Server) staffRequestRoutes(g *echo.Group) {
	if s.hh == nil {
		return
	}
	r := g.Group("/requests", requireRole(requestReaders...))
	r.GET("", s.staffPage(s.staffRequestsPage))
	r.GET("/:id", s.staffPage(s.staffTicketPage))
	for _, step := range []string{"correct", "received", "extend", "answer"} {
		r.POST("/:id/"+step, s.staffRequestStep, requireRole(archive.RoleArchivist))
	}
}

// The list's filters.
const (
	showOpen     = "open"     // not answered (the default)
	showLate     = "late"     // not answered and past the last day
	showAnswered = "answered" // answered
	showAll      = "all"
)

type staffRequestsData struct {
	staffCommon
	Show   string
	Shows  []string
	Counts map[string]int
	Rows   []ticketRow
}

// ticketRow is a ticket with its clock today.
type ticketRow = requests.Row

// short is the start of what was asked, for the list.
func short(subject string) string {
	const n = 60
	if utf8.RuneCountInString(subject) <= n {
		return subject
	}
	return string([]rune(subject)[:n]) + "…"
}

// srClockView is what the "srclock" partial shows: a ticket's state and clock.
type srClockView struct {
	Lang Lang
	L    map[string]string
	Row  ticketRow
}

func (s *Server) ticketRowOf(t requests.Ticket) ticketRow {
	return requests.RowOf(t, s.hh.o.Requests.Status(t))
}

func (s *Server) staffRequestsPage(ctx context.Context, rq *request, me staff.Account) (*page, error) {
	show := rq.form("show")
	if !slices.Contains([]string{showOpen, showLate, showAnswered, showAll}, show) {
		show = showOpen
	}
	tickets, err := s.hh.o.Requests.List(ctx)
	if err != nil {
		return nil, err
	}
	d := staffRequestsData{staffCommon: s.common(rq, me, "requests"), Show: show,
		Shows: []string{showOpen, showLate, showAnswered, showAll}, Counts: map[string]int{}}
	for _, t := range tickets {
		r := s.ticketRowOf(t)
		in := map[string]bool{showAll: true, showOpen: t.Answer == nil, showLate: r.State == requests.StateOverdue, showAnswered: t.Answer != nil}
		for k, ok := range in {
			if ok {
				d.Counts[k]++
			}
		}
		if in[show] {
			d.Rows = append(d.Rows, r)
		}
	}
	requests.Order(d.Rows)
	return &page{name: "staff_requests", Title: s.tmpl.msg(rq.Lang, "sr_title"), Data: d}, nil
}

// ---- a ticket ----

type staffTicketData struct {
	staffCommon
	ticketRow
	// Requester is shown when the server records who read it (Trail).
	Requester  *requests.Requester
	Correction calendar.Status // the one correction notice's clock
	History    []ticketEvent
	Named      []candidate // the records the requester named
	Reason     *requests.Reason
	Released   []archive.Record
	// The forms: which steps fit the ticket today, and the answer form's state.
	CanCorrect, CanReceive, CanExtend, CanAnswer bool
	Today                                        archive.Date
	Outcomes                                     []requests.Outcome
	Reasons                                      []requests.Reason
	// Choices are the records the answer may release: those named, those
	// found (Find), those chosen on the form refused.
	Find     string
	FindDone bool
	Found    int
	Choices  []candidate
	// Form is the form refused (its values shown again), Problems what was wrong.
	Form     stepForm
	Problems []string
}

// stepForm is a refused form's values by field.
type stepForm struct {
	Step    string
	Values  map[string]string
	Records []string
}

// Row is the ticket with its clock (for the "srclock" partial).
func (d staffTicketData) Row() ticketRow { return d.ticketRow }

// V is the value of field k of the form of step as sent, if it was refused.
func (d staffTicketData) V(step, k string) string {
	if d.Form.Step != step {
		return ""
	}
	return d.Form.Values[k]
}

// Day is the day field of step's form: as sent, else today.
func (d staffTicketData) Day(step string) string {
	if v := d.V(step, "day"); v != "" {
		return v
	}
	return d.Today.String()
}

// Chosen reports whether record id was chosen on the answer form refused.
func (d staffTicketData) Chosen(id string) bool {
	return d.Form.Step == "answer" && slices.Contains(d.Form.Records, id)
}

// ticketEvent is one version of a ticket: what it added, when, by whom.
type ticketEvent struct {
	Version int
	At      time.Time
	By      string
	Kind    string // "received" or a step kind
	Day     archive.Date
	Note    string
}

// candidate is a record that may be released, and whether its class lets it.
type candidate struct {
	archive.Record
	Grantable bool
}

func (s *Server) candidateOf(rec archive.Record) candidate {
	return candidate{Record: rec, Grantable: archive.CheckGrantable(rec) == nil}
}

// staffTicketPage is a ticket's page (GET), or the page again with the
// problems of a refused step (form set).
func (s *Server) staffTicketPage(ctx context.Context, rq *request, me staff.Account) (*page, error) {
	return s.ticketPageFor(ctx, rq, me, stepForm{}, nil, http.StatusOK)
}

func (s *Server) ticketPageFor(ctx context.Context, rq *request, me staff.Account, form stepForm, problems []string, status int) (*page, error) {
	id := rq.param("id")
	t, err := s.hh.o.Requests.Get(ctx, id)
	if errors.Is(err, archive.ErrNotFound) {
		return nil, errNotFound
	}
	if err != nil {
		return nil, err
	}
	d := staffTicketData{staffCommon: s.common(rq, me, "requests"), ticketRow: s.ticketRowOf(t), Form: form, Problems: problems,
		Today: s.today(), Outcomes: requests.Outcomes(), Reasons: requests.Reasons(), Correction: s.hh.o.Requests.CorrectionStatus(t)}
	// The requester: personal data, shown only where the read is recorded.
	if s.hh.o.Trail != nil {
		if err := s.hh.o.Trail.RecordRead(ctx, actorOf(me), "request_read", "request "+t.ID, clientOf(rq.c)); err != nil {
			return nil, err
		}
		r := t.Requester
		d.Requester = &r
	}
	hist, err := s.hh.o.Requests.History(ctx, t.ID)
	if err != nil {
		return nil, err
	}
	for _, v := range hist {
		ev := ticketEvent{Version: v.Version, At: v.At, By: s.actorName(ctx, rq.Lang, v.Actor), Kind: "received", Day: v.Received}
		if v.Version > 1 && len(v.Steps) > 0 {
			st := v.Steps[len(v.Steps)-1]
			ev.Kind, ev.Day, ev.Note = string(st.Kind), st.Day, st.Note
		}
		d.History = append(d.History, ev)
	}
	for _, rid := range t.Records {
		if rec, err := s.opts.Archive.Record(ctx, rid); err == nil {
			d.Named = append(d.Named, s.candidateOf(rec))
		} else if !errors.Is(err, archive.ErrNotFound) {
			return nil, err
		}
	}
	if t.Answer != nil {
		if r, ok := requests.ReasonOf(t.Answer.Reason); ok {
			d.Reason = &r
		}
		for _, rid := range t.Answer.Records {
			if rec, err := s.opts.Archive.Record(ctx, rid); err == nil {
				d.Released = append(d.Released, rec)
			}
		}
	}
	if me.HasRole(archive.RoleArchivist) && t.Answer == nil {
		paused := d.Status.State == calendar.Paused
		d.CanCorrect = !has(t, requests.StepCorrectionAsked)
		d.CanReceive = paused
		d.CanExtend = !paused && !has(t, requests.StepExtended) && d.Status.State != calendar.Overdue
		d.CanAnswer = true
		d.Choices = slices.Clone(d.Named)
		add := func(c candidate) {
			if !slices.ContainsFunc(d.Choices, func(x candidate) bool { return x.ID == c.ID }) {
				d.Choices = append(d.Choices, c)
			}
		}
		for _, rid := range d.Form.Records {
			if rec, err := s.staffRecord(ctx, rid); err == nil {
				add(s.candidateOf(rec))
			}
		}
		if d.Find = strings.TrimSpace(rq.form("find")); d.Find != "" {
			found, err := s.findReleasable(ctx, rq.Viewer, d.Find)
			if err != nil {
				return nil, err
			}
			for _, c := range found {
				add(c)
			}
			d.Found, d.FindDone = len(found), true
		}
	}
	rq.c.Response().Header().Set("Referrer-Policy", "no-referrer")
	return &page{name: "staff_request", status: status, Title: s.tmpl.msg(rq.Lang, "sr_ticket") + " " + t.ID, Data: d}, nil
}

func has(t requests.Ticket, k requests.StepKind) bool {
	return slices.ContainsFunc(t.Steps, func(s requests.Step) bool { return s.Kind == k })
}

// findReleasable finds records by id, 档号 or words (the staff search), at
// most 20, for the answer's choice.
func (s *Server) findReleasable(ctx context.Context, v Viewer, q string) ([]candidate, error) {
	if utf8.RuneCountInString(q) > maxQueryRunes || !utf8.ValidString(q) {
		return nil, badRequest("err_query_long", nil)
	}
	if archive.ValidRecordID(q) {
		rec, err := s.opts.Archive.Record(ctx, q)
		if err == nil {
			return []candidate{s.candidateOf(rec)}, nil
		}
		if !errors.Is(err, archive.ErrNotFound) {
			return nil, err
		}
	}
	res, err := s.opts.Index.Search(ctx, v, Query{Text: q, Limit: 20})
	if err != nil {
		return nil, err
	}
	var out []candidate
	for _, h := range res.Hits {
		out = append(out, s.candidateOf(h.Record))
	}
	return out, nil
}

// staffRequestStep makes one step of a ticket from its form: the step, or the
// ticket's page again with every problem and nothing stored.
func (s *Server) staffRequestStep(c echo.Context) error {
	if err := checkFormCSRF(c); err != nil {
		return err
	}
	ctx := c.Request().Context()
	rq := s.requestOf(c)
	me := meOf(c)
	id := c.Param("id")
	if _, err := s.hh.o.Requests.Get(ctx, id); errors.Is(err, archive.ErrNotFound) {
		return errNotFound
	} else if err != nil {
		return err
	}
	step := c.Path()[strings.LastIndexByte(c.Path(), '/')+1:]
	form := stepForm{Step: step, Values: map[string]string{}}
	for _, k := range []string{"day", "note", "outcome", "reason"} {
		form.Values[k] = c.FormValue(k)
	}
	var problems []string
	day, err := archive.ParseDate(strings.TrimSpace(form.Values["day"]))
	if err != nil {
		problems = append(problems, s.tmpl.msg(rq.Lang, "sr_bad_day"))
	}
	actor := actorOf(me)
	rs := s.hh.o.Requests
	done := "done_sr_" + step
	switch step {
	case "correct":
		_, err = rs.AskCorrection(ctx, id, day, form.Values["note"], actor)
	case "received":
		_, err = rs.CorrectionReceived(ctx, id, day, actor)
	case "extend":
		_, err = rs.Extend(ctx, id, day, form.Values["note"], actor)
	case "answer":
		for _, r := range c.Request().Form["record"] {
			if r = strings.TrimSpace(r); r != "" && !slices.Contains(form.Records, r) {
				form.Records = append(form.Records, r)
			}
		}
		_, err = rs.AnswerRequest(ctx, id, requests.Answer{Outcome: requests.Outcome(form.Values["outcome"]), Reason: form.Values["reason"],
			Records: form.Records, Note: form.Values["note"], Day: day}, actor)
	default:
		return errNotFound
	}
	var fe *requests.FormError
	switch {
	case errors.As(err, &fe):
		keys := make([]string, 0, len(fe.Problems))
		for k := range fe.Problems {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			problems = append(problems, s.tmpl.msg(rq.Lang, "sr_field_"+k)+s.tmpl.msg(rq.Lang, "colon")+fe.Problems[k])
		}
	case errors.Is(err, requests.ErrStep):
		if len(problems) == 0 { // a day that is no date says so already
			problems = append(problems, s.tmpl.msg(rq.Lang, "sr_step_refused")+stepWhy(id, err))
		}
	case err != nil:
		return err
	}
	if len(problems) > 0 {
		s.log.InfoContext(ctx, "request step refused", "ticket", id, "step", step, "account", me.ID, "problems", len(problems))
		p, perr := s.ticketPageFor(ctx, rq, me, form, problems, http.StatusUnprocessableEntity)
		if perr != nil {
			return perr
		}
		return s.renderPrivate(c, rq, p)
	}
	s.log.InfoContext(ctx, "request step", "ticket", id, "step", step, "account", me.ID)
	return redirectDone(c, rq.Lang, "/staff/requests/"+id, done)
}

// stepWhy is the package's reason a step does not fit the ticket, without the
// ticket's name and the sentinel's words.
func stepWhy(id string, err error) string {
	msg := strings.TrimPrefix(err.Error(), "requests: ticket "+id+": ")
	return strings.TrimSuffix(msg, ": "+requests.ErrStep.Error())
}
