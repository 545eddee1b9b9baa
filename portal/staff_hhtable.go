package portal

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"github.com/gongshi-archive/gongshi/archive"
	"github.com/gongshi-archive/gongshi/calendar"
	"github.com/gongshi-archive/gongshi/households"
	"github.com/gongshi-archive/gongshi/ingest"
	"github.com/gongshi-archive/gongshi/staff"
)

// A record's per-household table on its staff page (/staff/records/ID): the
// archivist attaches the table (CSV) of a survey result, a preliminary
// appraisal or a compensation record, declaring which columns are public,
// masked or private (the register's policy where nothing is declared) and the
// publicity window; the page lists every problem of a refused file at once, and
// a refused file stores nothing. An inspector (or the archivist) checks the
// table: the same check as 'gongshi households check-table' (the sealed CSV
// against its digests, the masked view derived again), with its verdict in
// plain words. Both go through the households package, as the commands do, and
// both are entries of the staff audit trail.

// maxTableUpload bounds a table's CSV sent from the page: the households
// package refuses more than 16 MiB, so a larger body is not read at all.
const maxTableUpload = 16 << 20

// staffTableSection is the table part of a record's staff page.
type staffTableSection struct {
	// Table is the record's table, when it has one; By who attached it.
	Table *archive.Table
	By    string
	// Register is the project's register (its columns' policy is the default
	// of a table's columns of the same name); nil when it has none.
	Register *households.Register
	// Rule is the type's publicity period, when it has one; Today and Until
	// the window it gives a table posted today (Until "" when the calendar
	// cannot count it).
	Rule         *calendar.Rule
	Today, Until archive.Date
	MaxSize      string
	// Problems are why an attach was refused (nothing stored); Values the form
	// as sent.
	Problems []string
	Values   map[string]string
	// Check is the result of "check table", when it was asked for.
	Check *households.TableCheck
}

// tableCalendar is the calendar the households service counts with (the
// deployment's, when serve was given one).
type tableCalendar interface {
	Calendar() *calendar.Calendar
}

// staffTableSection is the table section of record rec's staff page; nil when
// the record's type has no table or the server has no households.
func (s *Server) staffTableSection(ctx context.Context, lang Lang, rec archive.Record) (*staffTableSection, error) {
	if s.hh == nil {
		return nil, nil
	}
	if typ, ok := s.opts.Archive.Catalogue().Type(rec.Type); !ok || !typ.Table {
		return nil, nil
	}
	hs := s.hh.o.Households
	d := &staffTableSection{Today: archive.DateOf(s.now()), MaxSize: formatBytes(maxTableUpload), Values: map[string]string{}}
	t, err := hs.Table(ctx, rec.ID)
	switch {
	case err == nil:
		d.Table = &t
		d.By = s.actorName(ctx, lang, t.Actor)
	case !errors.Is(err, archive.ErrNotFound):
		return nil, err
	}
	reg, err := hs.Register(ctx, rec.Project)
	switch {
	case err == nil:
		d.Register = &reg
	case !errors.Is(err, households.ErrNoRegister):
		return nil, err
	}
	if r, ok := hs.Publicity(rec.Type); ok {
		d.Rule = &r
		if c, ok := hs.(tableCalendar); ok {
			if last, err := c.Calendar().Deadline(calendar.Period{Rule: r, Start: d.Today}); err == nil {
				d.Until = last
			}
		}
	}
	return d, nil
}

// recordTableData is record id's staff page with its table section (nil
// when the record's type has no table).
func (s *Server) recordTableData(ctx context.Context, rq *request, me staff.Account, id string) (staffRecordData, error) {
	d, err := s.staffRecordData(ctx, rq, me, id, "records")
	if err != nil {
		return d, err
	}
	d.Table, err = s.staffTableSection(ctx, rq.Lang, d.Rec)
	return d, err
}

// staffHHTableRoutes are the staff pages of households' tables and clocks.
func (s *Server) staffHHTableRoutes(g *echo.Group) {
	g.POST("/records/:id/table", s.staffAttachTable)
	g.POST("/records/:id/table/check", s.staffCheckTable)
	s.staffClockRoutes(g) // staff_clocks.go
}

// tableForm is what the attach form sends besides the file.
var tableFormFields = []string{"public", "masked", "private", "encoding", "from", "to", "reason"}

// readTableUpload reads the attach form after its CSRF token: its fields and
// the CSV (at most maxTableUpload bytes).
func readTableUpload(c echo.Context) (map[string]string, []byte, string, error) {
	mr, err := multipartAfterCSRF(c)
	if err != nil {
		return nil, nil, "", err
	}
	fields := map[string]string{}
	var data []byte
	name := ""
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, nil, "", uploadError(err)
		}
		if part.FileName() == "" {
			b, err := io.ReadAll(io.LimitReader(part, maxField+1))
			part.Close()
			if err != nil {
				return nil, nil, "", uploadError(err)
			}
			if len(b) > maxField || !utf8.Valid(b) {
				return nil, nil, "", badRequest("err_field", fmt.Errorf("field %q: too long or not UTF-8", part.FormName()))
			}
			fields[part.FormName()] = strings.TrimSpace(string(b))
			continue
		}
		if part.FormName() != "table" || data != nil {
			part.Close()
			return nil, nil, "", badRequest("err_upload", fmt.Errorf("unexpected file field %q", part.FormName()))
		}
		if name, err = uploadName(part.FileName()); err != nil {
			part.Close()
			return nil, nil, "", err
		}
		data, err = io.ReadAll(io.LimitReader(part, maxTableUpload+1))
		part.Close()
		if err != nil {
			return nil, nil, "", uploadError(err)
		}
		if len(data) > maxTableUpload {
			return nil, nil, "", &userError{status: http.StatusRequestEntityTooLarge, msg: "err_too_large",
				err: errors.Join(ErrTooLarge, fmt.Errorf("table %q: more than %d bytes", name, maxTableUpload))}
		}
	}
	return fields, data, name, nil
}

// tableOptions are the households package's options from the form, or the
// problems of the form itself.
func (s *Server) tableOptions(lang Lang, f map[string]string, name string) (households.TableOptions, []string) {
	o := households.TableOptions{Name: name, Policy: households.Policy{
		Public:  households.ParsePolicyList(f["public"]),
		Masked:  households.ParsePolicyList(f["masked"]),
		Private: households.ParsePolicyList(f["private"]),
	}}
	var ps []string
	enc, err := ingest.ParseEncoding(f["encoding"])
	if err != nil {
		ps = append(ps, s.tmpl.msg(lang, "stt_bad_encoding"))
	}
	o.Encoding = enc
	for _, d := range []struct {
		key string
		to  *archive.Date
	}{{"from", &o.From}, {"to", &o.To}} {
		if f[d.key] == "" {
			continue
		}
		v, err := archive.ParseDate(f[d.key])
		if err != nil {
			ps = append(ps, fmt.Sprintf(s.tmpl.msg(lang, "stt_bad_date_"+d.key), f[d.key]))
			continue
		}
		*d.to = v
	}
	return o, ps
}

func (s *Server) staffAttachTable(c echo.Context) error {
	if s.hh == nil {
		return errNotFound
	}
	me := meOf(c)
	if err := mayFile(me); err != nil {
		return err
	}
	fields, data, name, err := readTableUpload(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	rq := s.requestOf(c)
	d, err := s.recordTableData(ctx, rq, me, c.Param("id"))
	if err != nil {
		return err
	}
	if d.Table == nil {
		return errNotFound
	}
	for _, k := range tableFormFields {
		d.Table.Values[k] = fields[k]
	}
	o, problems := s.tableOptions(rq.Lang, fields, name)
	if data == nil {
		problems = append(problems, s.tmpl.msg(rq.Lang, "stt_no_file"))
	}
	if len(problems) == 0 {
		t, err := s.hh.o.Households.AttachTable(ctx, d.Rec.ID, data, o, actorOf(me), fields["reason"])
		var ie *households.ImportError
		switch {
		case errors.As(err, &ie):
			for _, p := range ie.Problems {
				problems = append(problems, s.problemLine(rq.Lang, p))
			}
		case errors.Is(err, archive.ErrNoTable):
			problems = append(problems, s.tmpl.msg(rq.Lang, "stt_no_table_type"))
		case err != nil:
			return err
		default:
			if _, err := s.opts.Staff.Accounts.Record(ctx, staff.TrailEntry{Action: "household_table_attach",
				Subject: "table " + t.Record + " (" + d.Rec.Project + ")",
				Detail:  fmt.Sprintf("version %d, %d households, window %s to %s", t.Version, t.Rows, t.Window.From, t.Window.To),
				Client:  clientOf(c), Actor: actorOf(me)}); err != nil {
				return fmt.Errorf("recording the attach in the staff trail: %w", err)
			}
			return redirectDone(c, rq.Lang, "/staff/records/"+d.Rec.ID, "done_table_attached")
		}
	}
	d.Table.Problems = problems
	return s.renderPrivate(c, rq, &page{name: "staff_record", status: http.StatusUnprocessableEntity, Title: d.Rec.Title, Data: d})
}

// problemLine is a problem of a refused file as the page lists it: where it is
// in the words of the page's language, then what (the households package's
// words).
func (s *Server) problemLine(lang Lang, p households.Problem) string {
	var b strings.Builder
	if p.Line > 0 {
		fmt.Fprintf(&b, s.tmpl.msg(lang, "stt_at_line"), p.Line)
	}
	if p.Household != "" {
		fmt.Fprintf(&b, s.tmpl.msg(lang, "stt_at_household"), p.Household)
	}
	if p.Column != "" {
		fmt.Fprintf(&b, s.tmpl.msg(lang, "stt_at_column"), p.Column)
	}
	b.WriteString(p.Message)
	return b.String()
}

// mayCheckTable: the check is the inspector's, and the archivist's who
// attached the table.
func mayCheckTable(me staff.Account) error {
	if me.HasRole(archive.RoleInspector) || me.HasRole(archive.RoleArchivist) {
		return nil
	}
	return ErrForbidden
}

func (s *Server) staffCheckTable(c echo.Context) error {
	if s.hh == nil {
		return errNotFound
	}
	if err := checkFormCSRF(c); err != nil {
		return err
	}
	me := meOf(c)
	if err := mayCheckTable(me); err != nil {
		return err
	}
	ctx := c.Request().Context()
	rq := s.requestOf(c)
	d, err := s.recordTableData(ctx, rq, me, c.Param("id"))
	if err != nil {
		return err
	}
	if d.Table == nil || d.Table.Table == nil {
		return errNotFound
	}
	chk, err := s.hh.o.Households.CheckTable(ctx, d.Rec.ID, 0)
	if err != nil {
		return err
	}
	verdict := "whole"
	switch {
	case !chk.ContentOK:
		verdict = "the stored CSV does not match its digests"
	case !chk.MaskedOK:
		verdict = "the masked view derived again differs from the recorded one"
	}
	if _, err := s.opts.Staff.Accounts.Record(ctx, staff.TrailEntry{Action: "household_table_check",
		Subject: "table " + d.Rec.ID + " (" + d.Rec.Project + ")",
		Detail:  fmt.Sprintf("version %d: %s", chk.Table.Version, verdict), Client: clientOf(c), Actor: actorOf(me)}); err != nil {
		return fmt.Errorf("recording the check in the staff trail: %w", err)
	}
	d.Table.Check = &chk
	return s.renderPrivate(c, rq, &page{name: "staff_record", Title: d.Rec.Title, Data: d})
}
