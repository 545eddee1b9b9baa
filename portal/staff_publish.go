package portal

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/gongshi-archive/gongshi/archive"
	"github.com/gongshi-archive/gongshi/ingest"
	"github.com/gongshi-archive/gongshi/staff"
)

// Publishing and withdrawing (the archivist's): a publication version of the
// record, with the account as its actor and the reason (required to withdraw),
// so a ledger entry. A record whose class forbids publication (household,
// restricted) is refused by archive.CheckPublishable, and the page says why.
// Once the index has read the entry, the public pages, search and the feeds show
// the record (or no longer do): the page cache is retired by the index's move.

// Publisher changes and reads the publication state of records (*archive.Archive).
type Publisher interface {
	Publish(ctx context.Context, id string, actor archive.Actor, reason string) (archive.Publication, error)
	Withdraw(ctx context.Context, id string, actor archive.Actor, reason string) (archive.Publication, error)
	Publication(ctx context.Context, id string) (archive.Publication, error)
	PublicationHistory(ctx context.Context, id string) ([]archive.Publication, error)
}

func (s *Server) staffPublicationRoutes(g *echo.Group) {
	g.POST("/records/:id/publish", s.staffPublish)
	g.POST("/records/:id/withdraw", s.staffPublish)
}

// publicationState is where record id stands in publication.
func (s *Server) publicationState(ctx context.Context, id string) (archive.PublicationStatus, error) {
	p, err := s.opts.Staff.Records.Publication(ctx, id)
	if errors.Is(err, archive.ErrNotFound) {
		return archive.NotPublished, nil
	}
	return p.Status, err
}

// publicationViews is record id's publication history, newest first, and its
// state now.
func (s *Server) publicationViews(ctx context.Context, lang Lang, id string) ([]publicationView, archive.PublicationStatus, error) {
	h, err := s.opts.Staff.Records.PublicationHistory(ctx, id)
	if err != nil {
		return nil, archive.NotPublished, err
	}
	var out []publicationView
	for i := len(h) - 1; i >= 0; i-- {
		out = append(out, publicationView{Publication: h[i], By: s.actorName(ctx, lang, h[i].Actor)})
	}
	st := archive.NotPublished
	if len(h) > 0 {
		st = h[len(h)-1].Status
	}
	return out, st, nil
}

// publicationChange publishes (or withdraws) record id as me: the one place
// the pages and the API change publication. Refusals are user errors with the
// reason in words.
func (s *Server) publicationChange(ctx context.Context, me staff.Account, id string, publish bool, reason string) (archive.Publication, error) {
	if err := mayFile(me); err != nil {
		return archive.Publication{}, err
	}
	if _, err := s.staffRecord(ctx, id); err != nil {
		return archive.Publication{}, err
	}
	reason = strings.TrimSpace(reason)
	change := s.opts.Staff.Records.Publish
	if !publish {
		change = s.opts.Staff.Records.Withdraw
		if reason == "" {
			return archive.Publication{}, &userError{status: http.StatusUnprocessableEntity, msg: "staff_reason_required", err: ErrBadRequest}
		}
	}
	p, err := change(ctx, id, actorOf(me), reason)
	switch {
	case errors.Is(err, archive.ErrNotPublishable):
		return p, &userError{status: http.StatusUnprocessableEntity, msg: "staff_not_publishable", err: errors.Join(ErrBadRequest, err)}
	case errors.Is(err, archive.ErrNotPublished):
		return p, &userError{status: http.StatusConflict, msg: "staff_not_published", err: errors.Join(ErrBadRequest, err)}
	case errors.Is(err, archive.ErrUnchanged):
		return p, nil
	case errors.Is(err, archive.ErrInvalid):
		return p, &userError{status: http.StatusUnprocessableEntity, msg: "staff_reason_required", err: errors.Join(ErrBadRequest, err)}
	}
	return p, err
}

func (s *Server) staffPublish(c echo.Context) error {
	if err := checkFormCSRF(c); err != nil {
		return err
	}
	ctx := c.Request().Context()
	id := c.Param("id")
	publish := strings.HasSuffix(c.Path(), "/publish")
	if _, err := s.publicationChange(ctx, meOf(c), id, publish, c.FormValue("reason")); err != nil {
		return err
	}
	done := "done_published"
	if !publish {
		done = "done_withdrawn"
	}
	return redirectDone(c, langOf(c.Request().URL.Path), "/staff/records/"+id, done)
}

// publishFiled publishes a document just filed (the form's "publish once
// filed"). A class that forbids publication is said, not an error of the filing.
func (s *Server) publishFiled(ctx context.Context, me staff.Account, res *ingest.Result) error {
	_, err := s.publicationChange(ctx, me, res.Record.ID, true, "")
	var ue *userError
	if errors.As(err, &ue) {
		return fmt.Errorf("%s: %s", res.Record.Title, ue.msg)
	}
	return err
}

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }
