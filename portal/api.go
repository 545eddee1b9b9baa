package portal

import (
	_ "embed"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/gongshi-archive/gongshi/archive"
	"github.com/gongshi-archive/gongshi/ingest"
	"github.com/gongshi-archive/gongshi/search"
)

// The JSON API (/api/v1), described by /api/v1/openapi.json (api_openapi.json,
// hand-written; the tests validate every answer they get against it). It
// applies the pages' visibility exactly: the same viewer (from a session cookie
// or an API token), the same index, the same rules for records, files and
// receipts, and the same answer for a record the viewer may not see as for one
// that does not exist. Writes (filing, publishing) need an API token
// (Authorization: Bearer gst_…): a browser's cookie alone does not reach them,
// so no other site can make a browser write through the API.

//go:embed api_openapi.json
var openAPIDoc []byte

func (s *Server) apiRoutes(e *echo.Echo) {
	g := e.Group("/api/v1")
	g.GET("/openapi.json", func(c echo.Context) error {
		c.Response().Header().Set("Cache-Control", "no-cache")
		return c.Blob(http.StatusOK, "application/json", openAPIDoc)
	})
	g.GET("/whoami", s.apiWhoami)
	g.GET("/projects", s.apiProjects)
	g.GET("/projects/:code", s.apiProject)
	g.GET("/records/:id", s.apiRecord)
	g.GET("/records/:id/receipt", s.recordReceipt)
	g.GET("/records/:id/file", s.recordFile)
	g.GET("/search", s.apiSearch)
	g.GET("/verify/sha256/:hex", s.verifyLookup)
	if s.opts.Staff != nil {
		w := g.Group("", s.requireToken)
		w.POST("/records", s.apiIngest)
		w.POST("/records/:id/publish", s.apiPublication)
		w.POST("/records/:id/withdraw", s.apiPublication)
	}
}

// apiJSON answers with v, never to be stored by a shared cache when the viewer
// is not the public.
func apiJSON(c echo.Context, status int, v any) error {
	c.Response().Header().Set("Cache-Control", cacheControlFor(ViewerFrom(c.Request().Context())))
	return c.JSON(status, v)
}

// requireToken admits staff who came with an API token (writes of the API).
func (s *Server) requireToken(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if _, ok := bearerToken(c.Request()); !ok || !ViewerFrom(c.Request().Context()).IsStaff() {
			return ErrUnauthenticated
		}
		me, err := s.staffOf(c.Request().Context())
		if err != nil {
			return err
		}
		c.Set(staffAccountKey, me)
		return next(c)
	}
}

type apiViewer struct {
	Kind    string         `json:"kind"` // public, household or staff
	Account string         `json:"account,omitempty"`
	Login   string         `json:"login,omitempty"`
	Name    string         `json:"name,omitempty"`
	Roles   []archive.Role `json:"roles,omitempty"`
	Project string         `json:"project,omitempty"`
}

func (s *Server) apiWhoami(c echo.Context) error {
	ctx := c.Request().Context()
	v := ViewerFrom(ctx)
	out := apiViewer{Kind: "public"}
	switch v.Kind {
	case ViewerHousehold:
		out = apiViewer{Kind: "household", Project: v.Project}
	case ViewerStaff:
		me, err := s.staffOf(ctx)
		if err != nil {
			return err
		}
		out = apiViewer{Kind: "staff", Account: me.ID, Login: me.Login, Name: me.Name, Roles: me.Roles}
	}
	return apiJSON(c, http.StatusOK, out)
}

func (s *Server) apiProjects(c echo.Context) error {
	ps, err := s.opts.Archive.Projects(c.Request().Context())
	if err != nil {
		return err
	}
	if ps == nil {
		ps = []archive.Project{}
	}
	return apiJSON(c, http.StatusOK, map[string]any{"projects": ps})
}

func (s *Server) apiProject(c echo.Context) error {
	code := c.Param("code")
	if archive.ValidateProjectCode(code) != nil {
		return errNotFound
	}
	p, err := s.opts.Archive.Project(c.Request().Context(), code)
	if errors.Is(err, archive.ErrNotFound) {
		return errNotFound
	}
	if err != nil {
		return err
	}
	return apiJSON(c, http.StatusOK, p)
}

// apiRecordOut is a record as the API gives it: the record's canonical JSON,
// cut to its catalogue entry when that is all the viewer may see.
type apiRecordOut struct {
	Access string   `json:"access"` // catalogue or content
	Record any      `json:"record"` // archive.Record, or apiCatalogueEntry
	Links  apiLinks `json:"links"`
}

// apiCatalogueEntry is a record's catalogue entry (archive.CatalogueFields) in the
// canonical record's spelling: what a viewer who may only know of the record
// gets, and nothing else (no digests, not even empty ones).
type apiCatalogueEntry struct {
	ID           string             `json:"id"`
	Version      int                `json:"version"`
	Project      string             `json:"project"`
	Type         string             `json:"type"`
	Title        string             `json:"title"`
	DocNumber    string             `json:"doc_number,omitempty"`
	Issuer       string             `json:"issuer,omitempty"`
	Date         archive.Date       `json:"date,omitzero"`
	Disclosure   archive.Disclosure `json:"disclosure,omitempty"`
	ArchivalCode string             `json:"archival_code,omitempty"`
}

type apiLinks struct {
	Page    string `json:"page"`
	File    string `json:"file,omitempty"`
	Receipt string `json:"receipt,omitempty"`
}

func recordOut(rec archive.Record, access archive.Access) apiRecordOut {
	out := apiRecordOut{Access: access.String(), Record: rec, Links: apiLinks{Page: "/records/" + rec.ID}}
	if access != archive.AccessContent {
		out.Record = apiCatalogueEntry{ID: rec.ID, Version: rec.Version, Project: rec.Project, Type: rec.Type, Title: rec.Title,
			DocNumber: rec.DocNumber, Issuer: rec.Issuer, Date: rec.Date, Disclosure: rec.Disclosure, ArchivalCode: rec.ArchivalCode}
	} else {
		out.Links.File = "/api/v1/records/" + rec.ID + "/file"
		out.Links.Receipt = "/api/v1/records/" + rec.ID + "/receipt"
	}
	return out
}

func (s *Server) apiRecord(c echo.Context) error {
	ctx := c.Request().Context()
	rec, access, err := s.visibleRecord(ctx, ViewerFrom(ctx), c.Param("id"))
	if err != nil {
		return err
	}
	return apiJSON(c, http.StatusOK, recordOut(rec, access))
}

// wireSearcher is an index that answers the search package's requests (the
// wire form of GET /api/v1/search, which 'gongshi search' sends).
type wireSearcher interface {
	wireSearch() search.Searcher
}

func (x *SearchIndex) wireSearch() search.Searcher { return x.ix }

func (s *Server) apiSearch(c echo.Context) error {
	ws, ok := s.opts.Index.(wireSearcher)
	if !ok {
		return echo.NewHTTPError(http.StatusNotImplemented, "this server's index does not answer the search API")
	}
	ctx := c.Request().Context()
	v := ViewerFrom(ctx)
	req, err := search.ParseValues(c.QueryParams(), searchViewer(v))
	if errors.Is(err, search.ErrBadRequest) {
		return badRequest("err_bad_request", err)
	}
	if err != nil {
		return err
	}
	res, err := ws.wireSearch().Search(ctx, req)
	if errors.Is(err, search.ErrBadRequest) {
		return badRequest("err_bad_request", err)
	}
	if err != nil {
		return err
	}
	return apiJSON(c, http.StatusOK, res)
}

// apiIngestOut is the answer of a filing through the API: the filing's result
// (as 'gongshi ingest --json' prints it; its path is the file's name) and the
// publication, when one was asked for.
type apiIngestOut struct {
	ingest.Result
	Problems    []string           `json:"problems,omitempty"`
	Publication *apiPublicationOut `json:"publication,omitempty"`
	PublishErr  string             `json:"publish_error,omitempty"`
}

func (s *Server) apiIngest(c echo.Context) error {
	ctx := c.Request().Context()
	me := meOf(c)
	if err := mayFile(me); err != nil {
		return err
	}
	mr, err := c.Request().MultipartReader()
	if err != nil {
		return badRequest("err_upload", err)
	}
	u, err := s.readUpload(c, mr)
	if err != nil {
		return err
	}
	defer u.remove()
	res, problems, err := s.fileOne(ctx, u, me, nil)
	if err != nil {
		return err
	}
	if len(problems) > 0 {
		return apiJSON(c, http.StatusUnprocessableEntity, apiIngestOut{Result: ingest.Result{Status: ingest.StatusRejected, Reasons: problems}, Problems: problems})
	}
	if f, ok := u.file("file"); ok {
		res.Path = f.name // never the server's temporary path
	}
	out := apiIngestOut{Result: *res}
	status := http.StatusCreated
	switch res.Status {
	case ingest.StatusAlreadyFiled:
		status = http.StatusOK
	case ingest.StatusRejected:
		return apiJSON(c, http.StatusUnprocessableEntity, out)
	}
	if p := strings.ToLower(u.fields["publish"]); p == "1" || p == "true" {
		pub, err := s.publicationChange(ctx, me, res.Record.ID, true, u.fields["reason"])
		var ue *userError
		switch {
		case errors.As(err, &ue):
			out.PublishErr = s.tmpl.msg(LangEn, ue.msg)
		case err != nil:
			return err
		default:
			po := publicationOut(pub)
			out.Publication = &po
		}
	}
	return apiJSON(c, status, out)
}

type apiPublicationIn struct {
	Reason string `json:"reason"`
}

func (s *Server) apiPublication(c echo.Context) error {
	ctx := c.Request().Context()
	var in apiPublicationIn
	if c.Request().ContentLength != 0 {
		if err := c.Bind(&in); err != nil {
			return badRequest("err_bad_request", err)
		}
	}
	publish := strings.HasSuffix(c.Path(), "/publish")
	p, err := s.publicationChange(ctx, meOf(c), c.Param("id"), publish, in.Reason)
	if err != nil {
		return err
	}
	return apiJSON(c, http.StatusOK, publicationOut(p))
}

// apiPublicationOut is a record's publication state as the API gives it.
type apiPublicationOut struct {
	Record        string                    `json:"record"`
	Version       int                       `json:"version"`
	Status        archive.PublicationStatus `json:"status"`
	RecordVersion int                       `json:"record_version"`
	At            time.Time                 `json:"at"`
	Actor         archive.Actor             `json:"actor,omitempty"`
	Reason        string                    `json:"reason,omitempty"`
}

func publicationOut(p archive.Publication) apiPublicationOut {
	return apiPublicationOut{Record: p.Record, Version: p.Version, Status: p.Status, RecordVersion: p.RecordVersion,
		At: p.At, Actor: p.Actor, Reason: p.Reason}
}
