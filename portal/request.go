package portal

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/gongshi-archive/gongshi/archive"
	"github.com/gongshi-archive/gongshi/calendar"
	"github.com/gongshi-archive/gongshi/requests"
)

// Disclosure on request (依申请公开): the form (/requests/new, no script
// needed), the ticket it gives (its id, the due date and a link for it alone),
// the ticket's page behind that link (/requests/ID/KEY: its state, the answer,
// and the documents released to it), and the documents' files. The requester's
// name and contact go to the store and the staff pages only: no page shows
// them, the log has only the route.

type requestFormData struct {
	CSRF     string
	Projects []archive.Project
	// Record is the document the visitor came from (a catalogue entry), if any.
	Record *archive.Record
	// The values sent, shown again with Problems when the form was refused.
	Form     requests.Form
	Problems map[string]string
	Wait     int // seconds to wait before sending again (rate limit)
}

func (s *Server) requestFormPage(ctx context.Context, rq *request) (*page, error) {
	if s.hh == nil {
		return nil, errNotFound
	}
	d, err := s.requestForm(ctx, rq.c, rq.Viewer)
	if err != nil {
		return nil, err
	}
	if id := rq.form("record"); id != "" {
		if rec, _, err := s.visibleRecord(ctx, publicViewer, id); err == nil {
			d.Record = &rec
			d.Form.Records = []string{rec.ID}
			d.Form.Project = rec.Project
		}
	}
	d.Form.Project = firstNonEmpty(rq.form("project"), d.Form.Project)
	return &page{name: "request_new", Title: s.tmpl.msg(rq.Lang, "rq_title"), Data: d}, nil
}

func firstNonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func (s *Server) requestForm(ctx context.Context, c echo.Context, v Viewer) (requestFormData, error) {
	projects, err := s.opts.Archive.Projects(ctx)
	if err != nil {
		return requestFormData{}, err
	}
	return requestFormData{CSRF: s.visitorCSRF(c, "request"), Projects: projects}, nil
}

type ticketCreatedData struct {
	Ticket requests.Ticket
	Status calendar.Status
	// Link is the address of the ticket's page, absolute when the portal knows
	// its base address.
	Link string
}

// requestSubmit files a request from the form and answers with its ticket.
func (s *Server) requestSubmit(c echo.Context) error {
	if s.hh == nil {
		return errNotFound
	}
	if err := s.checkVisitorCSRF(c, "request"); err != nil {
		return err
	}
	r := c.Request()
	ctx := r.Context()
	lang := langOf(r.URL.Path)
	ri := requestInfo{Lang: lang, Path: "/requests/new", Today: s.today()}
	f := requests.Form{
		Requester: requests.Requester{Name: c.FormValue("name"), Org: c.FormValue("org"), Contact: c.FormValue("contact"), Address: c.FormValue("address")},
		Subject:   c.FormValue("subject"),
		Project:   c.FormValue("project"),
	}
	// Only documents the public may know of can be named; others are dropped
	// as if never named (the form does not say whether they exist).
	for _, id := range r.Form["record"] {
		if rec, _, err := s.visibleRecord(ctx, publicViewer, strings.TrimSpace(id)); err == nil && !slices.Contains(f.Records, rec.ID) {
			f.Records = append(f.Records, rec.ID)
		}
	}
	again := func(status int, problems map[string]string, wait time.Duration) error {
		d, err := s.requestForm(ctx, c, publicViewer)
		if err != nil {
			return err
		}
		d.Form, d.Problems, d.Wait = f, problems, int((wait+time.Second-1)/time.Second)
		body, err := s.renderPage(ctx, &page{name: "request_new", status: status, Title: s.tmpl.msg(lang, "rq_title"), Data: d}, ri)
		if err != nil {
			return err
		}
		c.Response().Header().Set("Cache-Control", "no-store")
		return c.HTMLBlob(status, body)
	}
	if ok, wait := s.hh.subs.allow(clientOf(c), s.now()); !ok {
		s.log.InfoContext(ctx, "disclosure request refused: too many from the client", "wait", wait.Round(time.Second).String())
		return again(http.StatusTooManyRequests, nil, wait)
	}
	t, secret, err := s.hh.o.Requests.Submit(ctx, f)
	var fe *requests.FormError
	if errors.As(err, &fe) {
		return again(http.StatusBadRequest, fe.Problems, 0)
	}
	if err != nil {
		return err
	}
	d := ticketCreatedData{Ticket: t, Status: s.hh.o.Requests.Status(t), Link: s.opts.BaseURL + href(lang, ticketPath(t.ID, secret))}
	body, err := s.renderPage(ctx, &page{name: "request_created", Title: s.tmpl.msg(lang, "rq_created_title"), Data: d},
		requestInfo{Lang: lang, Path: "/requests", Today: s.today()})
	if err != nil {
		return err
	}
	c.Response().Header().Set("Cache-Control", "private, no-store")
	return c.HTMLBlob(http.StatusCreated, body)
}

// ticketPath is the address of a ticket's page.
func ticketPath(id, secret string) string { return "/requests/" + id + "/" + secret }

type ticketData struct {
	Ticket  requests.Ticket
	Status  calendar.Status
	State   requests.State
	Reason  *requests.Reason
	Records []recordRow
	Base    string // the ticket's page, for the documents' addresses
}

// openTicket opens the ticket of the address's id and key: errNotFound for a
// wrong key, as for no such ticket.
func (s *Server) openTicket(ctx context.Context, id, key string) (requests.Ticket, error) {
	if s.hh == nil {
		return requests.Ticket{}, errNotFound
	}
	t, err := s.hh.o.Requests.Open(ctx, id, key)
	if errors.Is(err, archive.ErrNotFound) {
		return requests.Ticket{}, errNotFound
	}
	return t, err
}

func (s *Server) ticketPage(ctx context.Context, rq *request) (*page, error) {
	t, err := s.openTicket(ctx, rq.param("id"), rq.param("key"))
	if err != nil {
		return nil, err
	}
	rq.c.Response().Header().Set("Cache-Control", "private, no-store")
	rq.c.Response().Header().Set("Referrer-Policy", "no-referrer")
	st := s.hh.o.Requests.Status(t)
	d := ticketData{Ticket: t, Status: st, State: t.StateOf(st), Base: ticketPath(t.ID, rq.param("key"))}
	if t.Answer != nil {
		if r, ok := requests.ReasonOf(t.Answer.Reason); ok {
			d.Reason = &r
		}
		rv := Viewer{Kind: ViewerRequester, Ticket: t.ID}
		for _, id := range t.Answer.Records {
			if rec, access, err := s.visibleRecord(ctx, rv, id); err == nil && access == archive.AccessContent {
				d.Records = append(d.Records, recordRow{Record: rec})
			} else if err != nil && !errors.Is(err, archive.ErrNotFound) {
				return nil, err
			}
		}
	}
	return &page{name: "request_ticket", Title: s.tmpl.msg(rq.Lang, "rq_ticket_title") + " " + t.ID, Data: d}, nil
}

// ticketFile sends a document released to the ticket, to the holder of its
// link: the record's file as its page would, seen as the ticket.
func (s *Server) ticketFile(c echo.Context) error {
	ctx := c.Request().Context()
	t, err := s.openTicket(ctx, c.Param("id"), c.Param("key"))
	if err != nil {
		return err
	}
	rid := c.Param("rid")
	if t.Answer == nil || !slices.Contains(t.Answer.Records, rid) {
		return errNotFound
	}
	c.Response().Header().Set("Referrer-Policy", "no-referrer")
	r := c.Request()
	c.SetRequest(r.WithContext(WithViewer(ctx, Viewer{Kind: ViewerRequester, Ticket: t.ID})))
	c.SetParamNames("id")
	c.SetParamValues(rid)
	return s.recordFile(c)
}
