package portal

import (
	"context"
	"errors"
	"fmt"
	"mime"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/gongshi-archive/gongshi/archive"
	"github.com/gongshi-archive/gongshi/calendar"
	"github.com/gongshi-archive/gongshi/households"
)

// The per-household table of a record (/records/ID/table): the public sees only
// its aggregates, the project's households every row de-identified (and their
// own row in full), archivists and inspectors the masked rows, and the original
// after saying so (each such read is recorded in the staff trail). The table is
// derived from the sealed CSV on every request — never from the signed PDF — and
// the page says which digest the masked view has, so anyone holding the
// original can derive it again.

type tableData struct {
	Cat     *archive.Catalogue
	Rec     archive.Record
	Project archive.Project
	Table   archive.Table
	View    archive.TableView
	// Rule is the publicity period's rule, when the type has one; Open says the
	// window runs today.
	Rule    *calendar.Rule
	Open    bool
	Closed  bool
	Figures households.Aggregates
	Rows    households.View
	// Own is the viewer's own row (a household), in full.
	Own *households.View
	// Full: the rows are the original (staff who asked); CanReveal: staff who
	// may ask. CSRF for the reveal form.
	Full      bool
	CanReveal bool
	CSRF      string
}

func (s *Server) tablePage(ctx context.Context, rq *request) (*page, error) {
	d, err := s.tableData(ctx, rq.Viewer, rq.param("id"), false, "")
	if err != nil {
		return nil, err
	}
	if d.CanReveal {
		d.CSRF = s.visitorCSRF(rq.c, "reveal")
	}
	return &page{name: "household_table", Title: s.tmpl.msg(rq.Lang, "tb_title"), Data: d}, nil
}

// tableReveal shows staff the original rows, after recording that they did.
func (s *Server) tableReveal(c echo.Context) error {
	if s.hh == nil {
		return errNotFound
	}
	ctx := c.Request().Context()
	v := ViewerFrom(ctx)
	if v.Kind != ViewerStaff {
		return ErrUnauthenticated
	}
	if err := s.checkVisitorCSRF(c, "reveal"); err != nil {
		return err
	}
	d, err := s.tableData(ctx, v, c.Param("id"), true, clientOf(c))
	if err != nil {
		return err
	}
	rq := s.requestOf(c)
	body, err := s.renderPage(ctx, &page{name: "household_table", Title: d.Rec.Title, Data: d}, rq.requestInfo)
	if err != nil {
		return err
	}
	c.Response().Header().Set("Cache-Control", "private, no-store")
	return c.HTMLBlob(http.StatusOK, body)
}

// tableData builds the table page for v; full asks for the original (staff with
// TableFull only, recorded first).
func (s *Server) tableData(ctx context.Context, v Viewer, id string, full bool, client string) (tableData, error) {
	if s.hh == nil {
		return tableData{}, errNotFound
	}
	// The table has a visibility of its own: the public may see the figures
	// of an area record's table without seeing the record. So the record is
	// read as stored, and what the page names of it depends on the view.
	if !archive.ValidRecordID(id) {
		return tableData{}, errNotFound
	}
	rec, err := s.opts.Archive.Record(ctx, id)
	if errors.Is(err, archive.ErrNotFound) {
		return tableData{}, errNotFound
	}
	if err != nil {
		return tableData{}, err
	}
	view, t, err := s.tableView(ctx, v, rec)
	if errors.Is(err, archive.ErrNotFound) || view == archive.TableNone {
		return tableData{}, errNotFound
	}
	if err != nil {
		return tableData{}, err
	}
	if access, err := s.opts.Index.Access(ctx, v, rec); err != nil {
		return tableData{}, err
	} else if access < archive.AccessContent {
		// Only the figures: the page names the type and the project, not the
		// document (its title is not the viewer's to read).
		rec = archive.Record{ID: rec.ID, Project: rec.Project, Type: rec.Type}
	}
	p, err := s.opts.Archive.Project(ctx, rec.Project)
	if err != nil && !errors.Is(err, archive.ErrNotFound) {
		return tableData{}, err
	}
	d := tableData{Cat: s.opts.Archive.Catalogue(), Rec: rec, Project: p, Table: t, View: view}
	if r, ok := s.hh.o.Households.Publicity(rec.Type); ok {
		d.Rule = &r
	}
	w := t.Window.Window()
	d.Open = w.Contains(s.now())
	d.Closed = !w.End.IsZero() && !s.now().Before(w.End)
	parsed, err := s.hh.o.Households.ReadSealed(ctx, t)
	if err != nil {
		return tableData{}, err
	}
	switch {
	case view == archive.TableAggregates:
		d.Figures = households.TableAggregates(parsed, t)
	case view == archive.TableFull && full:
		if s.hh.o.Trail == nil {
			return tableData{}, ErrForbidden
		}
		actor := archive.AccountActor(v.Account)
		if err := s.hh.o.Trail.RecordRead(ctx, actor, "household_table_read", "table "+rec.ID+" ("+rec.Project+")", client); err != nil {
			return tableData{}, fmt.Errorf("recording the read: %w", err)
		}
		d.Full = true
		d.Rows = households.View{Header: parsed.Header, Rows: parsed.Rows}
		d.Figures = households.TableAggregates(parsed, t)
	default:
		d.Rows = households.MaskedView(parsed, t)
		d.Figures = households.TableAggregates(parsed, t)
		d.CanReveal = view == archive.TableFull && s.hh.o.Trail != nil
		if v.Kind == ViewerHousehold && v.Project == rec.Project {
			if own, ok := households.OwnRow(parsed, t, v.Household); ok {
				d.Own = &own
			}
		}
	}
	return d, nil
}

// tableCSV is the masked view as a CSV file (/records/ID/table.csv), for those
// who may see the rows: the bytes whose SHA-256 the table's version records.
func (s *Server) tableCSV(c echo.Context) error {
	if s.hh == nil {
		return errNotFound
	}
	ctx := c.Request().Context()
	v := ViewerFrom(ctx)
	rec, _, err := s.visibleRecord(ctx, v, c.Param("id"))
	if err != nil {
		return err
	}
	view, t, err := s.tableView(ctx, v, rec)
	if errors.Is(err, archive.ErrNotFound) || view < archive.TableMasked {
		return errNotFound
	}
	if err != nil {
		return err
	}
	parsed, err := s.hh.o.Households.ReadSealed(ctx, t)
	if err != nil {
		return err
	}
	b := households.EncodeView(households.MaskedView(parsed, t))
	h := c.Response().Header()
	h.Set("Cache-Control", cacheControlFor(v))
	h.Set("ETag", `"`+t.Masked.String()+`"`)
	h.Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": rec.ID + "-masked.csv"}))
	return c.Blob(http.StatusOK, "text/csv; charset=utf-8", b)
}

// recordTable is record rec's table when rec's page should offer it to v (v may
// see at least its figures); nil otherwise.
func (s *Server) recordTable(ctx context.Context, v Viewer, rec archive.Record) *archive.Table {
	if s.hh == nil {
		return nil
	}
	if typ, ok := s.opts.Archive.Catalogue().Type(rec.Type); !ok || !typ.Table {
		return nil
	}
	view, t, err := s.tableView(ctx, v, rec)
	if err != nil || view == archive.TableNone {
		return nil
	}
	return &t
}
