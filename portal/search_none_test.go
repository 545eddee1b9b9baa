package portal

import (
	"strings"
	"testing"

	"github.com/gongshi-archive/gongshi/archive"
)

// A search without hits says so once, in each language: the count line (a
// status that a screen reader announces) and nothing more below it. It said it
// twice, one under the other, on the phone and the desktop alike.
func TestSearchWithoutHitsSaysSoOnce(t *testing.T) {
	f := newFixture(t)
	f.project("CC-2026-001", "东天街片区", "长春市", "南关区")
	f.file(archive.Record{Project: "CC-2026-001", Type: "decision", Title: "关于东天街片区房屋征收的决定"}, "a")
	f.refresh()
	for lang, prefix := range map[Lang]string{LangZh: "", LangEn: "/en"} {
		none := messages()[lang]["found_none"]
		if none == "" {
			t.Fatalf("no found_none message in %s", lang)
		}
		body := f.mustGet(prefix+"/search?q=%E6%B2%A1%E6%9C%89%E8%BF%99%E4%B8%AA%E8%AF%8D", 200) // 没有这个词
		if n := strings.Count(body, none); n != 1 {
			t.Errorf("%s: a search without hits says %q %d times, want once", lang, none, n)
		}
		// With hits, it is not said at all.
		body = f.mustGet(prefix+"/search?q=%E5%BE%81%E6%94%B6", 200) // 征收
		if !strings.Contains(body, "关于东天街片区房屋征收的决定") || strings.Contains(body, none) {
			t.Errorf("%s: a search with a hit: the hit shown %v, %q shown %v", lang,
				strings.Contains(body, "关于东天街片区房屋征收的决定"), none, strings.Contains(body, none))
		}
	}
}
