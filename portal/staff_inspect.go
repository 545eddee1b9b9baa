package portal

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/gongshi-archive/gongshi/archive"
	"github.com/gongshi-archive/gongshi/archive/audit"
	"github.com/gongshi-archive/gongshi/archive/ledger"
	"github.com/gongshi-archive/gongshi/staff"
)

// The inspector's audit (/staff/audit) and the auditor's activity
// (/staff/activity). An inspector starts a fixity audit of the whole archive (or
// a sample) from the page; it runs in the server, one at a time, and the page
// shows how far it is and what the last run found. The start and the end of
// every run are entries of the staff audit trail (ledgered). Inspectors verify
// any file, unpublished ones too, on the verify page (/verify): logged in, they
// are staff there, and see every record.
//
// The activity is the ledger read backwards: every change to the archive is an
// entry naming its actor, so "who did what" is the ledger itself, not a log
// beside it that could say something else.

// AuditFunc runs one fixity audit of the archive with the sample (0, 1] and
// reports progress (audit.Run with the server's store, archive and ledger).
type AuditFunc func(ctx context.Context, sample float64, progress func(audit.Progress)) (audit.Report, error)

// ActivityLog reads the ledger's entries, oldest first (*ledger.Log).
type ActivityLog interface {
	Entries(ctx context.Context, fn func(index int64, entry []byte) error) error
}

// auditRunner runs one audit at a time and keeps the last result.
type auditRunner struct {
	mu       sync.Mutex
	running  bool
	started  time.Time
	by       string
	progress audit.Progress
	last     *auditRun
}

type auditRun struct {
	Started, Finished time.Time
	By                string
	Sample            float64
	Report            audit.Report
	Err               string
}

func (s *Server) staffInspectRoutes(g *echo.Group) {
	g.GET("/audit", s.staffPage(s.auditPage))
	g.POST("/audit", s.staffStartAudit)
	g.GET("/verify", func(c echo.Context) error {
		return c.Redirect(http.StatusSeeOther, href(langOf(c.Request().URL.Path), "/verify"))
	})
	g.GET("/activity", s.staffPage(s.activityPage))
}

func mayInspect(me staff.Account) error {
	if me.HasRole(archive.RoleInspector) {
		return nil
	}
	return ErrForbidden
}

type auditData struct {
	staffCommon
	Available bool
	Running   bool
	Started   time.Time
	By        string
	Progress  audit.Progress
	Last      *auditRun
}

func (s *Server) auditPage(ctx context.Context, rq *request, me staff.Account) (*page, error) {
	if err := mayInspect(me); err != nil {
		return nil, err
	}
	r := &s.staffState().audits
	r.mu.Lock()
	d := auditData{staffCommon: s.common(rq, me, "audit"), Available: s.opts.Staff.Audit != nil, Running: r.running,
		Started: r.started, By: r.by, Progress: r.progress, Last: r.last}
	r.mu.Unlock()
	return &page{name: "staff_audit", Title: s.tmpl.msg(rq.Lang, "staff_audit"), Data: d}, nil
}

func (s *Server) staffStartAudit(c echo.Context) error {
	if err := checkFormCSRF(c); err != nil {
		return err
	}
	me := meOf(c)
	if err := mayInspect(me); err != nil {
		return err
	}
	if s.opts.Staff.Audit == nil {
		return errNotFound
	}
	pct, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(c.FormValue("sample")), "%"), 64)
	if err != nil || pct <= 0 || pct > 100 {
		return badRequest("staff_audit_sample_bad", err)
	}
	ctx := c.Request().Context()
	r := &s.staffState().audits
	r.mu.Lock()
	if r.running {
		r.mu.Unlock()
		return redirectDone(c, langOf(c.Request().URL.Path), "/staff/audit", "done_audit_running")
	}
	r.running, r.started, r.by, r.progress = true, s.now(), s.actorName(ctx, LangZh, me.As()), audit.Progress{}
	r.mu.Unlock()
	if _, err := s.opts.Staff.Accounts.Record(ctx, staff.TrailEntry{Action: "audit_start", Actor: me.As(),
		Detail: fmt.Sprintf("sample %g%%", pct), Client: c.RealIP()}); err != nil {
		r.mu.Lock()
		r.running = false
		r.mu.Unlock()
		return err
	}
	// The audit outlives the request: it runs under the server's life, not the
	// browser's.
	go s.runAudit(context.WithoutCancel(ctx), me, pct/100, c.RealIP())
	return redirectDone(c, langOf(c.Request().URL.Path), "/staff/audit", "done_audit_started")
}

func (s *Server) runAudit(ctx context.Context, me staff.Account, sample float64, client string) {
	r := &s.staffState().audits
	rep, err := s.opts.Staff.Audit(ctx, sample, func(p audit.Progress) {
		r.mu.Lock()
		r.progress = p
		r.mu.Unlock()
	})
	run := &auditRun{Finished: s.now(), Sample: sample, Report: rep}
	detail := fmt.Sprintf("%d record versions, %d content objects, %d failures, ok %v", rep.RecordVersions, rep.ContentObjects, len(rep.Failures), rep.OK)
	if err != nil {
		run.Err = err.Error()
		detail = "error: " + err.Error()
		s.log.ErrorContext(ctx, "staff audit failed", "account", me.ID, "err", err.Error())
	}
	if len(detail) > 400 {
		detail = detail[:400]
	}
	if _, terr := s.opts.Staff.Accounts.Record(ctx, staff.TrailEntry{Action: "audit_end", Actor: me.As(), Detail: detail, Client: client}); terr != nil {
		s.log.ErrorContext(ctx, "staff audit: recording its end", "err", terr.Error())
	}
	r.mu.Lock()
	run.Started, run.By = r.started, r.by
	r.running, r.last = false, run
	r.mu.Unlock()
}

// ---- the activity ----

type activityData struct {
	staffCommon
	Rows   []activityRow
	Actor  string
	Kind   string
	Actors []actorChoice
	Kinds  []archive.SubjectKind
	More   string
	Total  int
}

type activityRow struct {
	Index   int64
	Event   archive.Event
	By      string
	Subject archive.SubjectKind
	ID      string
	Link    string
	Detail  string
	What    string
}

// activityWord says what an entry did, by its subject and kind ("logged in",
// "corrected a document"), or by the event kind alone.
func (s *Server) activityWord(lang Lang, subject archive.SubjectKind, kind archive.EventKind) string {
	if m := s.tmpl.msg(lang, "act_"+string(subject)+"_"+string(kind)); m != "" {
		return m
	}
	if m := s.tmpl.msg(lang, "event_"+string(kind)); m != "" {
		return m + " · " + s.tmpl.msg(lang, "subject_"+string(subject))
	}
	return string(kind) + " " + string(subject)
}

type actorChoice struct{ Value, Label string }

// activityPageSize is how many entries the activity shows at a time.
const activityPageSize = 100

func mayReadActivity(me staff.Account) error {
	if me.HasRole(archive.RoleAuditor) || me.HasRole(archive.RoleSecurityOfficer) {
		return nil
	}
	return ErrForbidden
}

func (s *Server) activityPage(ctx context.Context, rq *request, me staff.Account) (*page, error) {
	if err := mayReadActivity(me); err != nil {
		return nil, err
	}
	if s.opts.Staff.Activity == nil {
		return nil, errNotFound
	}
	d := activityData{staffCommon: s.common(rq, me, "activity"), Actor: rq.form("actor"), Kind: rq.form("kind"),
		Kinds: archive.SubjectKinds()}
	before := int64(-1)
	if b, err := strconv.ParseInt(rq.form("before"), 10, 64); err == nil && b >= 0 {
		before = b
	}
	// The newest entries that match, a page of them: the ledger is read once,
	// oldest first, keeping the last page's worth.
	var keep []activityRow
	err := s.opts.Staff.Activity.Entries(ctx, func(i int64, b []byte) error {
		if before >= 0 && i >= before {
			return nil
		}
		ev, err := ledger.ParseEntry(b)
		if err != nil {
			return nil // the audit reports entries that do not parse
		}
		kind, id := ev.Ref()
		if kind == "" {
			kind = archive.SubjectRecord
		}
		if d.Actor != "" && string(ev.Actor) != d.Actor || d.Kind != "" && string(kind) != d.Kind {
			return nil
		}
		d.Total++
		keep = append(keep, activityRow{Index: i, Event: ev, Subject: kind, ID: id})
		if len(keep) > 2*activityPageSize {
			keep = append(keep[:0], keep[len(keep)-activityPageSize:]...)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(keep) > activityPageSize {
		keep = keep[len(keep)-activityPageSize:]
	}
	names := map[archive.Actor]string{}
	for i := len(keep) - 1; i >= 0; i-- {
		row := keep[i]
		if _, ok := names[row.Event.Actor]; !ok {
			names[row.Event.Actor] = s.actorName(ctx, rq.Lang, row.Event.Actor)
		}
		row.By = names[row.Event.Actor]
		row.What = s.activityWord(rq.Lang, row.Subject, row.Event.Kind)
		switch row.Subject {
		case archive.SubjectRecord, archive.SubjectPublication:
			row.Link = "/staff/records/" + row.ID
		case archive.SubjectAccount:
			row.Link = "/staff/accounts/" + row.ID
		case archive.SubjectProject:
			row.Link = "/projects/" + row.ID
		case archive.SubjectTrail:
			row.Detail = s.trailDetail(ctx, row.ID)
		}
		d.Rows = append(d.Rows, row)
	}
	if len(keep) > 0 && d.Total > len(keep) {
		v := rq.query
		v.Set("before", strconv.FormatInt(keep[0].Index, 10))
		d.More = href(rq.Lang, "/staff/activity") + "?" + v.Encode()
	}
	// The accounts, to filter by.
	if list, err := s.opts.Staff.Accounts.Accounts(ctx); err == nil {
		for _, a := range list {
			d.Actors = append(d.Actors, actorChoice{Value: string(a.As()), Label: a.Name + " (" + a.Login + ")"})
		}
	}
	d.Actors = append(d.Actors, actorChoice{Value: string(archive.ActorCLI), Label: s.tmpl.msg(rq.Lang, "actor_cli")},
		actorChoice{Value: string(archive.ActorSystem), Label: s.tmpl.msg(rq.Lang, "actor_system")})
	return &page{name: "staff_activity", Title: s.tmpl.msg(rq.Lang, "staff_activity"), Data: d}, nil
}

// trailDetail is what a trail entry says, for the activity.
func (s *Server) trailDetail(ctx context.Context, id string) string {
	e, err := s.opts.Staff.Accounts.TrailEntry(ctx, id)
	if err != nil {
		return ""
	}
	return strings.TrimSpace(e.Action + " " + e.Subject + " " + e.Detail)
}
