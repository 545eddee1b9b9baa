package portal

import (
	"html/template"
	"path/filepath"
	"time"

	"github.com/gongshi-archive/gongshi/archive"
	"github.com/gongshi-archive/gongshi/ingest"
)

// staffFuncs are the template functions of the staff pages.
func staffFuncs() template.FuncMap {
	msgs := messages()
	word := func(lang Lang, key string) string {
		if m, ok := msgs[lang][key]; ok {
			return m
		}
		return msgs[LangZh][key]
	}
	return template.FuncMap{
		"roleName": func(lang Lang, r archive.Role) string { return word(lang, "role_"+string(r)) },
		"pubWord": func(lang Lang, st archive.PublicationStatus) string {
			if st == archive.NotPublished {
				return word(lang, "pub_none")
			}
			return word(lang, "pub_"+string(st))
		},
		"pubClass": func(st archive.PublicationStatus) string {
			switch st {
			case archive.Published:
				return "st-published"
			case archive.Withdrawn:
				return "st-overdue"
			}
			return "st-pending"
		},
		"statusClass": func(st ingest.Status) string {
			switch st {
			case ingest.StatusFiled, ingest.StatusAlreadyFiled:
				return "st-published"
			case ingest.StatusRejected:
				return "st-overdue"
			}
			return "st-running"
		},
		"retentions": func() []archive.RetentionCode {
			return []archive.RetentionCode{archive.Permanent, archive.Years30, archive.Years10}
		},
		"base": filepath.Base,
		// when writes a moment as people in China read it.
		"when": func(t time.Time) string {
			if t.IsZero() {
				return ""
			}
			return t.In(chinaZone).Format("2006-01-02 15:04:05")
		},
		"reportOf": func(lang Lang, l map[string]string, r *ingest.Report) reportView {
			return reportView{Lang: lang, L: l, Report: r}
		},
		"metaForm": func(lang Lang, l map[string]string, cat *archive.Catalogue, ps []archive.Project, classes []archive.Disclosure, v map[string]string) metaFormView {
			if v == nil {
				v = map[string]string{}
			}
			return metaFormView{Lang: lang, L: l, Cat: cat, Projects: ps, Classes: classes, Values: v}
		},
		"tokenList": func(lang Lang, l map[string]string, ts []tokenView, csrf, revokeURL string) tokenListView {
			return tokenListView{Lang: lang, L: l, Tokens: ts, CSRF: csrf, RevokeURL: revokeURL}
		},
		"short": short, // staff_requests.go
		"srClock": func(lang Lang, l map[string]string, r ticketRow) srClockView {
			return srClockView{Lang: lang, L: l, Row: r}
		}, // staff_requests.go
		"ternary": func(c bool, a, b string) string {
			if c {
				return a
			}
			return b
		},
	}
}

// chinaZone is how staff pages show times: China has one zone, no daylight
// saving.
var chinaZone = time.FixedZone("CST", 8*3600)

type reportView struct {
	Lang   Lang
	L      map[string]string
	Report *ingest.Report
}

type metaFormView struct {
	Lang     Lang
	L        map[string]string
	Cat      *archive.Catalogue
	Projects []archive.Project
	Classes  []archive.Disclosure
	Values   map[string]string
}

type tokenListView struct {
	Lang      Lang
	L         map[string]string
	Tokens    []tokenView
	CSRF      string
	RevokeURL string
}
