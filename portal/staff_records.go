package portal

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"github.com/gongshi-archive/gongshi/archive"
	"github.com/gongshi-archive/gongshi/ingest"
	"github.com/gongshi-archive/gongshi/staff"
)

// The archivist's records: the latest filings with their publication state, a
// record's versions and history, and the changes — a correction (a new version
// with its reason), publishing and withdrawing (with a reason). Each change is
// a version that names the account as its actor, so a ledger entry.

// RecordWriter makes the changes of the staff pages (*archive.Archive).
type RecordWriter interface {
	CorrectRecord(ctx context.Context, id string, base int, rec archive.Record, reason string) (archive.Record, error)
	Publisher
}

func (s *Server) staffRecordRoutes(g *echo.Group) {
	g.GET("/records", s.staffPage(s.staffRecordsPage))
	g.GET("/records/:id", s.staffPage(s.staffRecordPage))
	g.GET("/records/:id/correct", s.staffPage(s.correctPage))
	g.POST("/records/:id/correct", s.staffCorrect)
	s.staffPublicationRoutes(g)
}

type staffRecordsData struct {
	staffCommon
	Cat      *archive.Catalogue
	Q        string
	Project  string
	Projects []archive.Project
	Rows     []staffRecordRow
	Total    int
	Prev     string
	Next     string
}

type staffRecordRow struct {
	archive.Record
	ProjectName string
	State       archive.PublicationStatus
}

const staffPageSize = 30

func (s *Server) staffRecordsPage(ctx context.Context, rq *request, me staff.Account) (*page, error) {
	q := Query{Text: rq.form("q"), Project: rq.form("project"), Sort: "newest", Limit: staffPageSize}
	if utf8.RuneCountInString(q.Text) > maxQueryRunes || !utf8.ValidString(q.Text) {
		return nil, badRequest("err_query_long", nil)
	}
	if q.Text != "" {
		q.Sort = ""
	}
	if o, err := strconv.Atoi(rq.form("offset")); err == nil && o > 0 && o <= maxOffset {
		q.Offset = o
	}
	res, err := s.opts.Index.Search(ctx, rq.Viewer, q)
	if err != nil {
		return nil, err
	}
	ps, err := s.opts.Archive.Projects(ctx)
	if err != nil {
		return nil, err
	}
	names := map[string]string{}
	for _, p := range ps {
		names[p.Code] = p.Name
	}
	d := staffRecordsData{staffCommon: s.common(rq, me, "records"), Cat: s.opts.Archive.Catalogue(), Q: q.Text,
		Project: q.Project, Projects: ps, Total: res.Total}
	for _, h := range res.Hits {
		st, err := s.publicationState(ctx, h.Record.ID)
		if err != nil {
			return nil, err
		}
		d.Rows = append(d.Rows, staffRecordRow{Record: h.Record, ProjectName: names[h.Record.Project], State: st})
	}
	pageAt := func(off int) string {
		v := rq.query
		v.Set("offset", strconv.Itoa(off))
		return href(rq.Lang, "/staff/records") + "?" + v.Encode()
	}
	if q.Offset > 0 {
		d.Prev = pageAt(max(q.Offset-staffPageSize, 0))
	}
	if q.Offset+len(res.Hits) < res.Total && q.Offset+staffPageSize <= maxOffset {
		d.Next = pageAt(q.Offset + staffPageSize)
	}
	return &page{name: "staff_records", Title: s.tmpl.msg(rq.Lang, "staff_records"), Data: d}, nil
}

type staffRecordData struct {
	staffCommon
	Cat          *archive.Catalogue
	Rec          archive.Record
	Project      archive.Project
	Versions     []versionView
	Publications []publicationView
	State        archive.PublicationStatus
	Publishable  bool
	Report       *ingest.Report
	Problems     []string
	Values       map[string]string
	Classes      []archive.Disclosure
	Table        *staffTableSection // staff_hhtable.go: the record's per-household table
}

type versionView struct {
	archive.Record
	By string // who filed it, as people know them
}

type publicationView struct {
	archive.Publication
	By string
}

// staffRecord is the latest version of record id for a staff viewer (who sees
// every record), or errNotFound.
func (s *Server) staffRecord(ctx context.Context, id string) (archive.Record, error) {
	if !archive.ValidRecordID(id) {
		return archive.Record{}, errNotFound
	}
	rec, err := s.opts.Archive.Record(ctx, id)
	if errors.Is(err, archive.ErrNotFound) {
		return archive.Record{}, errNotFound
	}
	return rec, err
}

// actorName is how people know the actor of a change: the account's name and
// login, or the fixed actor's word.
func (s *Server) actorName(ctx context.Context, lang Lang, a archive.Actor) string {
	if id, ok := a.Account(); ok {
		if acc, err := s.opts.Staff.Accounts.Account(ctx, id); err == nil {
			return acc.Name + " (" + acc.Login + ")"
		}
		return id
	}
	if a == "" {
		return s.tmpl.msg(lang, "actor_unknown")
	}
	return s.tmpl.msg(lang, "actor_"+string(a))
}

func (s *Server) staffRecordData(ctx context.Context, rq *request, me staff.Account, id, section string) (staffRecordData, error) {
	rec, err := s.staffRecord(ctx, id)
	if err != nil {
		return staffRecordData{}, err
	}
	p, err := s.opts.Archive.Project(ctx, rec.Project)
	if err != nil && !errors.Is(err, archive.ErrNotFound) {
		return staffRecordData{}, err
	}
	d := staffRecordData{staffCommon: s.common(rq, me, section), Cat: s.opts.Archive.Catalogue(), Rec: rec, Project: p,
		Publishable: archive.CheckPublishable(rec) == nil, Classes: archive.Disclosures()}
	vs, err := s.opts.Archive.RecordVersions(ctx, id)
	if err != nil {
		return staffRecordData{}, err
	}
	for i := len(vs) - 1; i >= 0; i-- {
		d.Versions = append(d.Versions, versionView{Record: vs[i], By: s.actorName(ctx, rq.Lang, vs[i].Actor)})
	}
	if d.Publications, d.State, err = s.publicationViews(ctx, rq.Lang, id); err != nil {
		return staffRecordData{}, err
	}
	if len(rec.Report) > 0 {
		var rep ingest.Report
		if jsonUnmarshal(rec.Report, &rep) == nil {
			d.Report = &rep
		}
	}
	return d, nil
}

func (s *Server) staffRecordPage(ctx context.Context, rq *request, me staff.Account) (*page, error) {
	d, err := s.recordTableData(ctx, rq, me, rq.param("id")) // staff_hhtable.go: with the record's table
	if err != nil {
		return nil, err
	}
	return &page{name: "staff_record", Title: d.Rec.Title, Data: d}, nil
}

// correctFields are the metadata a correction may change. The project, the
// content and the archival code stay: another file is another filing.
var correctFields = []string{"type", "title", "doc_number", "date", "issuer", "disclosure", "retention", "household", "abstract", "keywords"}

// fieldsOf are rec's correctable fields as the form shows them.
func fieldsOf(rec archive.Record) map[string]string {
	m := map[string]string{"type": rec.Type, "title": rec.Title, "doc_number": rec.DocNumber, "issuer": rec.Issuer,
		"disclosure": string(rec.Disclosure), "retention": string(rec.Retention), "household": rec.Household,
		"abstract": rec.Abstract, "keywords": strings.Join(rec.Keywords, "、")}
	if !rec.Date.IsZero() {
		m["date"] = rec.Date.String()
	}
	return m
}

func (s *Server) correctPage(ctx context.Context, rq *request, me staff.Account) (*page, error) {
	if err := mayFile(me); err != nil {
		return nil, err
	}
	d, err := s.staffRecordData(ctx, rq, me, rq.param("id"), "records")
	if err != nil {
		return nil, err
	}
	d.Values = fieldsOf(d.Rec)
	return &page{name: "staff_correct", Title: d.Rec.Title, Data: d}, nil
}

func (s *Server) staffCorrect(c echo.Context) error {
	if err := checkFormCSRF(c); err != nil {
		return err
	}
	me := meOf(c)
	if err := mayFile(me); err != nil {
		return err
	}
	ctx := c.Request().Context()
	rq := s.requestOf(c)
	id := c.Param("id")
	d, err := s.staffRecordData(ctx, rq, me, id, "records")
	if err != nil {
		return err
	}
	f := map[string]string{"project": d.Rec.Project}
	for _, k := range correctFields {
		f[k] = strings.TrimSpace(c.FormValue(k))
	}
	d.Values = f
	reason := strings.TrimSpace(c.FormValue("reason"))
	meta, problems := ingest.ParseMeta(f)
	if reason == "" {
		problems = append(problems, s.tmpl.msg(rq.Lang, "staff_reason_required"))
	}
	base, err := strconv.Atoi(c.FormValue("base"))
	if err != nil || base != d.Rec.Version {
		// Someone corrected it since the form was opened: show the new latest.
		problems = append(problems, s.tmpl.msg(rq.Lang, "staff_changed_since"))
		d.Values = fieldsOf(d.Rec)
	}
	if len(problems) == 0 {
		next := d.Rec
		next.Type, next.Title, next.DocNumber, next.Issuer = meta.Type, meta.Title, meta.DocNumber, meta.Issuer
		next.Date, next.Disclosure, next.Retention, next.Household = meta.Date, meta.Disclosure, meta.Retention, meta.Household
		next.Abstract, next.Keywords = meta.Abstract, meta.Keywords
		next.Actor = actorOf(me)
		_, err := s.opts.Staff.Records.CorrectRecord(ctx, id, base, next, reason)
		var ve *archive.ValidationError
		switch {
		case errors.As(err, &ve):
			for _, p := range ve.Problems {
				problems = append(problems, p.String())
			}
		case errors.Is(err, archive.ErrVersionExists):
			problems = append(problems, s.tmpl.msg(rq.Lang, "staff_changed_since"))
		case err != nil:
			return err
		default:
			return redirectDone(c, rq.Lang, "/staff/records/"+id, "done_corrected")
		}
	}
	d.Problems = problems
	return s.renderPrivate(c, rq, &page{name: "staff_correct", status: http.StatusUnprocessableEntity, Title: d.Rec.Title, Data: d})
}
