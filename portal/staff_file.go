package portal

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"github.com/gongshi-archive/gongshi/archive"
	"github.com/gongshi-archive/gongshi/ingest"
	"github.com/gongshi-archive/gongshi/staff"
)

// Filing from the staff pages: one document with its metadata, or a batch (a
// manifest and its files), through the ingest library exactly as 'gongshi
// ingest' files them, with the four-property report shown. The upload is
// streamed to a private temporary folder (never into the archive until ingest
// accepts it), the file names are checked, and the folder is removed when the
// filing is done. A rejected document changes nothing; the page lists every
// reason.

// StaffFiler files documents (*ingest.Filer).
type StaffFiler interface {
	File(ctx context.Context, path string, meta archive.Record) (ingest.Result, error)
	Batch(ctx context.Context, dir string, rows []ingest.Row, workers int, p ingest.Progress) ingest.Summary
}

// The staff routes that take files, with the staff upload limit.
var staffUploadRoutes = map[string]bool{
	"/staff/file": true, "/staff/batch": true, "/api/v1/records": true,
	"/staff/records/:id/table":          true, // staff_hhtable.go
	"/staff/households/:project/import": true, // staff_households.go, which bounds the file itself
}

// isStaffUpload reports whether the request's route is a staff upload.
func (s *Server) isStaffUpload(c echo.Context) bool {
	return s.opts.Staff != nil && staffUploadRoutes[stripLang(c.Path())]
}

// maxStaffUpload is the limit of one staff upload.
func (s *Server) maxStaffUpload() int64 {
	if s.opts.Staff != nil && s.opts.Staff.MaxUpload > 0 {
		return s.opts.Staff.MaxUpload
	}
	return 2 << 30
}

func (s *Server) staffFileRoutes(g *echo.Group) {
	g.GET("/file", s.staffPage(s.filePage))
	g.POST("/file", s.staffFile)
	g.GET("/batch", s.staffPage(s.batchPage))
	g.POST("/batch", s.staffBatch)
}

// fileForm is what the filing form offers.
type fileForm struct {
	staffCommon
	Cat      *archive.Catalogue
	Projects []archive.Project
	Classes  []archive.Disclosure
	// Values are the fields as sent (kept when the form comes back with a problem).
	Values map[string]string
	// Problems are what was wrong with the form itself.
	Problems []string
	MaxSize  string
	// Result is the filing's outcome, when the form was sent; Published: it was
	// published too.
	Result    *ingest.Result
	Published bool
}

func (s *Server) fileFormData(ctx context.Context, rq *request, me staff.Account) (fileForm, error) {
	ps, err := s.opts.Archive.Projects(ctx)
	if err != nil {
		return fileForm{}, err
	}
	return fileForm{staffCommon: s.common(rq, me, "file"), Cat: s.opts.Archive.Catalogue(), Projects: ps,
		Classes: archive.Disclosures(), Values: map[string]string{"project": rq.form("project")},
		MaxSize: formatBytes(s.maxStaffUpload())}, nil
}

func (s *Server) filePage(ctx context.Context, rq *request, me staff.Account) (*page, error) {
	if err := mayFile(me); err != nil {
		return nil, err
	}
	d, err := s.fileFormData(ctx, rq, me)
	if err != nil {
		return nil, err
	}
	return &page{name: "staff_file", Title: s.tmpl.msg(rq.Lang, "staff_file"), Data: d}, nil
}

// mayFile: filing, correcting and publishing are the archivist's.
func mayFile(me staff.Account) error {
	if !me.HasRole(archive.RoleArchivist) {
		return ErrForbidden
	}
	return nil
}

// metaFields are the form fields of a record's metadata, named as ingest's
// flags and manifest columns.
var metaFields = []string{"project", "type", "title", "doc_number", "date", "issuer", "disclosure", "retention",
	"archival_code", "household", "abstract", "keywords"}

// upload is a staff upload read: its fields, and its files in a private folder.
type upload struct {
	dir    string
	fields map[string]string
	files  []uploadedFile
}

type uploadedFile struct {
	field, name, path string
	size              int64
}

func (u *upload) remove() {
	if u.dir != "" {
		os.RemoveAll(u.dir)
	}
}

func (u *upload) file(field string) (uploadedFile, bool) {
	for _, f := range u.files {
		if f.field == field {
			return f, true
		}
	}
	return uploadedFile{}, false
}

// maxField bounds one text field of an upload form.
const maxField = 64 << 10

// readUpload reads a staff upload form (after its CSRF token) into a new private
// folder: text fields into memory, each file under its own name. Two files of
// one name, or a name that is not a plain file name, are refused, and so is the
// whole upload past the limit (413); the folder is then removed.
func (s *Server) readUpload(c echo.Context, mr *multipart.Reader) (*upload, error) {
	tmp := ""
	if s.opts.Staff != nil {
		tmp = s.opts.Staff.TempDir
	}
	dir, err := os.MkdirTemp(tmp, "gongshi-upload-")
	if err != nil {
		return nil, err
	}
	u := &upload{dir: dir, fields: map[string]string{}}
	ok := false
	defer func() {
		if !ok {
			u.remove()
		}
	}()
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, err
	}
	defer root.Close()
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, uploadError(err)
		}
		if part.FileName() == "" {
			b, err := io.ReadAll(io.LimitReader(part, maxField+1))
			part.Close()
			if err != nil {
				return nil, uploadError(err)
			}
			if len(b) > maxField || !utf8.Valid(b) {
				return nil, badRequest("err_field", fmt.Errorf("field %q: too long or not UTF-8", part.FormName()))
			}
			u.fields[part.FormName()] = strings.TrimSpace(string(b))
			continue
		}
		name, err := uploadName(part.FileName())
		if err != nil {
			part.Close()
			return nil, err
		}
		f, err := root.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if errors.Is(err, os.ErrExist) {
			part.Close()
			return nil, badRequest("err_file_twice", fmt.Errorf("%q sent twice", name))
		}
		if err != nil {
			part.Close()
			return nil, err
		}
		n, err := io.Copy(f, part)
		part.Close()
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return nil, uploadError(err)
		}
		if n == 0 {
			// An empty file field: the form's "no file chosen".
			root.Remove(name)
			continue
		}
		u.files = append(u.files, uploadedFile{field: part.FormName(), name: name, path: filepath.Join(dir, name), size: n})
	}
	ok = true
	return u, nil
}

// uploadName is the name an uploaded file is kept under: its base name (some
// browsers send a whole Windows path), when that is a plain, printable file
// name; anything else is refused with a message that says so.
func uploadName(sent string) (string, error) {
	name := sent
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		name = name[i+1:]
	}
	bad := func(why string) (string, error) {
		return "", badRequest("err_file_name", fmt.Errorf("file name %q: %s", sent, why))
	}
	switch {
	case name == "" || name == "." || name == "..":
		return bad("empty")
	case !utf8.ValidString(name):
		return bad("not UTF-8")
	case len(name) > 240:
		return bad("longer than 240 bytes")
	case strings.HasPrefix(name, "."):
		return bad("starts with a dot")
	case !filepath.IsLocal(name):
		return bad("not a plain file name")
	}
	for _, r := range name {
		if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
			return bad("has control or invisible characters")
		}
	}
	return name, nil
}

// staffUpload reads the upload of a staff form whose handler needs the
// archivist's role.
func (s *Server) staffUpload(c echo.Context) (*upload, error) {
	if err := mayFile(meOf(c)); err != nil {
		return nil, err
	}
	mr, err := multipartAfterCSRF(c)
	if err != nil {
		return nil, err
	}
	return s.readUpload(c, mr)
}

func (s *Server) staffFile(c echo.Context) error {
	ctx := c.Request().Context()
	rq := s.requestOf(c)
	me := meOf(c)
	u, err := s.staffUpload(c)
	if err != nil {
		return err
	}
	defer u.remove()
	d, err := s.fileFormData(ctx, rq, me)
	if err != nil {
		return err
	}
	d.Values = u.fields
	res, problems, err := s.fileOne(ctx, u, me, nil)
	if err != nil {
		return err
	}
	d.Problems, d.Result = problems, res
	status := http.StatusOK
	if len(problems) > 0 || res != nil && res.Status == ingest.StatusRejected {
		status = http.StatusUnprocessableEntity
	}
	if res != nil && res.Status == ingest.StatusFiled && u.fields["publish"] != "" {
		if err := s.publishFiled(ctx, me, res); err != nil {
			d.Problems = append(d.Problems, err.Error())
		} else {
			d.Published = true
		}
	}
	if res != nil && (res.Status == ingest.StatusFiled || res.Status == ingest.StatusAlreadyFiled) {
		// Filed: the form is for the next document (of the same project).
		d.Values = map[string]string{"project": u.fields["project"]}
	}
	return s.renderPrivate(c, rq, &page{name: "staff_file", status: status, Title: s.tmpl.msg(rq.Lang, "staff_file"), Data: d})
}

// fileOne files the one document of an upload with the metadata of its fields,
// as me. Problems are what is wrong with the form (the document is then not
// read); a rejected document comes back as the result's status and reasons.
func (s *Server) fileOne(ctx context.Context, u *upload, me staff.Account, edit func(*archive.Record)) (*ingest.Result, []string, error) {
	f, ok := u.file("file")
	meta, problems := ingest.ParseMeta(u.fields)
	if !ok {
		problems = append(problems, "文件 (file): choose the document to file")
	}
	for _, k := range []string{"project", "type", "title"} {
		if u.fields[k] == "" {
			problems = append(problems, fmt.Sprintf("%s: required", k))
		}
	}
	if len(problems) > 0 {
		return nil, problems, nil
	}
	meta.FileName = f.name
	meta.Actor = actorOf(me)
	if edit != nil {
		edit(&meta)
	}
	if s.opts.Staff.Filer == nil {
		return nil, nil, fmt.Errorf("portal: no filer: %w", ErrForbidden)
	}
	res, err := s.opts.Staff.Filer.File(ctx, f.path, meta)
	if err != nil && res.Status != ingest.StatusError {
		return nil, nil, err
	}
	if err != nil {
		// An operational failure: nothing decided, nothing filed. Said as such.
		s.log.ErrorContext(ctx, "staff filing failed", "account", me.ID, "err", err.Error())
		return nil, nil, err
	}
	return &res, nil, nil
}

type batchForm struct {
	staffCommon
	MaxSize  string
	Problems []string
	Summary  *ingest.Summary
	Publish  bool
}

func (s *Server) batchPage(ctx context.Context, rq *request, me staff.Account) (*page, error) {
	if err := mayFile(me); err != nil {
		return nil, err
	}
	return &page{name: "staff_batch", Title: s.tmpl.msg(rq.Lang, "staff_batch"),
		Data: batchForm{staffCommon: s.common(rq, me, "batch"), MaxSize: formatBytes(s.maxStaffUpload())}}, nil
}

func (s *Server) staffBatch(c echo.Context) error {
	ctx := c.Request().Context()
	rq := s.requestOf(c)
	me := meOf(c)
	u, err := s.staffUpload(c)
	if err != nil {
		return err
	}
	defer u.remove()
	d := batchForm{staffCommon: s.common(rq, me, "batch"), MaxSize: formatBytes(s.maxStaffUpload()), Publish: u.fields["publish"] != ""}
	sum, problems, err := s.fileBatch(ctx, u, me)
	if err != nil {
		return err
	}
	d.Problems, d.Summary = problems, sum
	status := http.StatusOK
	if len(problems) > 0 {
		status = http.StatusUnprocessableEntity
	}
	if sum != nil && d.Publish {
		for i := range sum.Results {
			if sum.Results[i].Status == ingest.StatusFiled {
				if err := s.publishFiled(ctx, me, &sum.Results[i]); err != nil {
					d.Problems = append(d.Problems, err.Error())
				}
			}
		}
	}
	return s.renderPrivate(c, rq, &page{name: "staff_batch", status: status, Title: s.tmpl.msg(rq.Lang, "staff_batch"), Data: d})
}

// fileBatch files the documents of a batch upload: its manifest (a file in the
// "manifest" field) names the other files by their names.
func (s *Server) fileBatch(ctx context.Context, u *upload, me staff.Account) (*ingest.Summary, []string, error) {
	m, ok := u.file("manifest")
	if !ok {
		return nil, []string{"清单 (manifest): choose the manifest (CSV or JSON)"}, nil
	}
	if len(u.files) < 2 {
		return nil, []string{"文件 (files): choose the documents the manifest names"}, nil
	}
	rows, err := ingest.ReadManifest(m.path, u.dir, ingest.ManifestOptions{})
	if errors.Is(err, ingest.ErrManifest) {
		return nil, []string{err.Error()}, nil
	}
	if err != nil {
		return nil, nil, err
	}
	for i := range rows {
		rows[i].Meta.Actor = actorOf(me)
		if rows[i].File == m.name {
			rows[i].Problems = append(rows[i].Problems, "文件 (file): the manifest itself")
		}
	}
	if s.opts.Staff.Filer == nil {
		return nil, nil, fmt.Errorf("portal: no filer: %w", ErrForbidden)
	}
	sum := s.opts.Staff.Filer.Batch(ctx, u.dir, rows, 0, nil)
	return &sum, nil, nil
}
