package portal

import (
	"bytes"
	"context"
	"embed"
	"fmt"
	"html/template"
	"io/fs"
	"maps"
	"net/url"
	"strings"

	"github.com/dustin/go-humanize"

	"github.com/gongshi-archive/gongshi/archive"
	"github.com/gongshi-archive/gongshi/ingest"
	"github.com/gongshi-archive/gongshi/procedure"
)

//go:embed templates/*.tmpl
var templateFS embed.FS

// Lang is the language of a page: zh-CN first, English behind /en/.
type Lang string

const (
	LangZh Lang = "zh-CN"
	LangEn Lang = "en"
)

// enPrefix is the path prefix of the English pages. Language is in the address,
// not in a cookie: every address stays printable and cacheable, and the toggle is
// a plain link that needs no JavaScript.
const enPrefix = "/en"

// langOf is the language of a request path.
func langOf(path string) Lang {
	if path == enPrefix || strings.HasPrefix(path, enPrefix+"/") {
		return LangEn
	}
	return LangZh
}

// stripLang is path without its language prefix ("/" for "/en").
func stripLang(path string) string {
	if langOf(path) == LangEn {
		path = strings.TrimPrefix(path, enPrefix)
	}
	if path == "" {
		return "/"
	}
	return path
}

// href is the address of path (which starts with "/") in lang.
func href(lang Lang, path string) string {
	if lang == LangEn {
		if path == "/" {
			return enPrefix + "/"
		}
		return enPrefix + path
	}
	return path
}

// page is what a handler returns: which template, its title and data. The
// route wrapper adds the layout's part (language, addresses, viewer).
type page struct {
	name   string // the template: templates/<name>.tmpl
	status int    // 0 means 200
	// Title is the page's title, before the site's name.
	Title string
	// Data is the page template's data (a struct of the page family).
	Data any
}

// requestInfo is what a page's layout needs to know of the request.
type requestInfo struct {
	Lang   Lang
	Path   string // without the language prefix
	Query  string // the canonical query string, "" for none
	Viewer Viewer
	Today  archive.Date
}

// layoutData is the data of templates/layout.tmpl; the page's own data is .Data.
type layoutData struct {
	Lang     Lang
	L        map[string]string // messages in the page's language
	Title    string
	Path     string
	ZhURL    string
	EnURL    string
	CSS      string
	JS       string
	Viewer   Viewer
	Today    archive.Date
	Data     any
	Status   int
	PageName string
}

// templates are parsed once, at start: one *template.Template per page, each
// the layout with the page's blocks.
type templates struct {
	pages map[string]*template.Template
	msgs  map[Lang]map[string]string
}

func (t *templates) msg(lang Lang, key string) string {
	if m, ok := t.msgs[lang][key]; ok {
		return m
	}
	return t.msgs[LangZh][key]
}

func parseTemplates(static *staticFiles) (*templates, error) {
	msgs := messages()
	funcs := template.FuncMap{
		"href": func(lang Lang, parts ...string) string { return href(lang, strings.Join(parts, "")) },
		"esc":  url.PathEscape,
		"q":    url.QueryEscape,
		"date": formatDate,
		"msg": func(lang Lang, key string) string {
			if m, ok := msgs[lang][key]; ok {
				return m
			}
			return msgs[LangZh][key]
		},
		"typeName":   func(lang Lang, cat *archive.Catalogue, code string) string { return typeName(lang, cat, code) },
		"stepName":   func(lang Lang, cat *archive.Catalogue, code string) string { return stepName(lang, cat, code) },
		"bytes":      formatBytes,
		"add":        func(a, b int) int { return a + b },
		"hex":        func(h archive.Hash) string { return h.String() },
		"chunkHex":   chunkHex,
		"isEn":       func(lang Lang) bool { return lang == LangEn },
		"className":  className,
		"stateWord":  func(lang Lang, st procedure.State) string { return stateWord(lang, st) },
		"stepClass":  stepClass,
		"periodWord": periodWord,
		"propertyName": func(lang Lang, p ingest.Property) string {
			zh, en, _ := strings.Cut(p.Label(), " ")
			if lang == LangEn {
				return en
			}
			return zh
		},
		"outcomeWord": func(lang Lang, o ingest.Outcome) string {
			zh, en, _ := strings.Cut(o.Label(), " ")
			if lang == LangEn {
				return en
			}
			return zh
		},
		"outcomeClass": func(o ingest.Outcome) string {
			switch o {
			case ingest.Pass:
				return "st-published"
			case ingest.Fail:
				return "st-overdue"
			}
			return "st-running"
		},
		"eventName": func(lang Lang, k archive.EventKind) string {
			if m, ok := msgs[lang]["event_"+string(k)]; ok {
				return m
			}
			return string(k)
		},
		"categoryName": func(lang Lang, c archive.Category) string {
			if lang == LangEn {
				return strings.ReplaceAll(string(c), "_", " ")
			}
			return c.Label()
		},
		"dateName": func(lang Lang, name string) string {
			if m, ok := msgs[lang]["date_"+name]; ok {
				return m
			}
			return strings.ReplaceAll(name, "_", " ")
		},
		"rows": func(lang Lang, cat *archive.Catalogue, rows []recordRow, empty string) listData {
			return listData{Lang: lang, Cat: cat, Rows: rows, Empty: empty}
		},
	}
	maps.Copy(funcs, householdFuncs())      // household_render.go
	maps.Copy(funcs, staffFuncs())          // staff_render.go
	maps.Copy(funcs, staffHouseholdFuncs()) // staff_households_messages.go
	base, err := template.New("base").Funcs(funcs).ParseFS(templateFS, "templates/layout.tmpl", "templates/partials.tmpl", "templates/staff_partials.tmpl")
	if err != nil {
		return nil, fmt.Errorf("portal: templates: %w", err)
	}
	names, err := fs.Glob(templateFS, "templates/*.tmpl")
	if err != nil {
		return nil, err
	}
	t := &templates{pages: map[string]*template.Template{}, msgs: msgs}
	for _, n := range names {
		name := strings.TrimSuffix(strings.TrimPrefix(n, "templates/"), ".tmpl")
		if name == "layout" || name == "partials" || name == "staff_partials" {
			continue
		}
		c, err := template.Must(base.Clone()).ParseFS(templateFS, n)
		if err != nil {
			return nil, fmt.Errorf("portal: template %s: %w", name, err)
		}
		t.pages[name] = c
	}
	return t, nil
}

// renderPage executes p in the layout and returns the HTML.
func (s *Server) renderPage(ctx context.Context, p *page, ri requestInfo) ([]byte, error) {
	t, ok := s.tmpl.pages[p.name]
	if !ok {
		return nil, fmt.Errorf("portal: no template %q", p.name)
	}
	path := ri.Path
	if ri.Query != "" {
		path += "?" + ri.Query
	}
	d := layoutData{
		Lang: ri.Lang, L: s.tmpl.msgs[ri.Lang], Title: p.Title, Path: ri.Path,
		ZhURL: href(LangZh, path), EnURL: href(LangEn, path),
		CSS: s.static.url("style.css"), JS: s.static.url("verify.js"),
		Viewer: ri.Viewer, Today: ri.Today, Data: p.Data, Status: p.status, PageName: p.name,
	}
	var b bytes.Buffer
	if err := t.ExecuteTemplate(&b, "layout", d); err != nil {
		return nil, fmt.Errorf("portal: render %s: %w", p.name, err)
	}
	return b.Bytes(), nil
}

// listData is the data of the "records" partial: a list of records.
type listData struct {
	Lang  Lang
	Cat   *archive.Catalogue
	Rows  []recordRow
	Empty string
}

// className is the name of a disclosure class in lang.
func className(lang Lang, d archive.Disclosure) string {
	zh := map[archive.Disclosure]string{archive.Public: "主动公开", archive.Area: "项目范围内公开",
		archive.OnRequest: "依申请公开", archive.Household: "仅向本户公开", archive.Restricted: "不公开"}
	en := map[archive.Disclosure]string{archive.Public: "Public", archive.Area: "Residents of the project",
		archive.OnRequest: "On request", archive.Household: "The household only", archive.Restricted: "Not public"}
	if lang == LangEn {
		return en[d]
	}
	return zh[d]
}

// formatDate writes a date as people read it in lang: 2026年3月18日, or
// 2026-03-18 in English (unambiguous where day-month order differs).
func formatDate(lang Lang, d archive.Date) string {
	if d.IsZero() {
		return ""
	}
	if lang == LangEn {
		return d.String()
	}
	return fmt.Sprintf("%d年%d月%d日", d.Year, int(d.Month), d.Day)
}

func typeName(lang Lang, cat *archive.Catalogue, code string) string {
	if t, ok := cat.Type(code); ok {
		if lang == LangEn {
			return t.NameEn
		}
		return t.NameZh
	}
	return code
}

func stepName(lang Lang, cat *archive.Catalogue, code string) string {
	for _, st := range cat.Steps() {
		if st.Code == code {
			if lang == LangEn {
				return st.NameEn
			}
			return st.NameZh
		}
	}
	return code
}

func formatBytes(n int64) string { return humanize.IBytes(uint64(max(n, 0))) }

// chunkHex splits a hex digest into groups of eight, so that a person comparing
// it with a printout can keep their place.
func chunkHex(h archive.Hash) string {
	x := h.String()
	var b strings.Builder
	for i := 0; i < len(x); i += 8 {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(x[i : i+8])
	}
	return b.String()
}
