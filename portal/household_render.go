package portal

import (
	"strings"

	"github.com/gongshi-archive/gongshi/archive"
	"github.com/gongshi-archive/gongshi/calendar"
)

// householdFuncs are the template functions of the household, request and
// disclosure pages.
func householdFuncs() map[string]any {
	return map[string]any{
		"hasPrefix": strings.HasPrefix,
		"ruleName": func(lang Lang, r calendar.Rule) string {
			if lang == LangEn {
				return r.NameEn
			}
			return r.NameZh
		},
		// dayWindow writes a publicity window as people read it.
		"dayWindow": func(lang Lang, w archive.DateWindow) string {
			switch {
			case w.IsZero():
				return ""
			case w.To.IsZero():
				return formatDate(lang, w.From) + " –"
			}
			return formatDate(lang, w.From) + " – " + formatDate(lang, w.To)
		},
		"isToday": func(d, today archive.Date) bool { return d == today },
	}
}
