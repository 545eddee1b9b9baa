package portal

import (
	"encoding/xml"
	"strings"
	"testing"

	"github.com/gongshi-archive/gongshi/archive"
)

func TestFeeds(t *testing.T) {
	f := newFixture(t, func(o *Options) { o.BaseURL = "https://gongshi.example.gov.cn" })
	f.project("CC-2026-001", "东天街片区", "长春市", "南关区")
	f.project("JL-2026-003", "站前片区", "吉林市", "船营区")
	a := f.file(archive.Record{Project: "CC-2026-001", Type: "decision", Title: "东天街征收决定"}, "a")
	f.file(archive.Record{Project: "JL-2026-003", Type: "plan_draft", Title: "站前片区补偿方案"}, "b")
	f.file(archive.Record{Project: "JL-2026-003", Type: "funding_proof", Title: "CANARY资金证明"}, "c")
	f.refresh()
	var feed atomFeed
	w := f.get("/feeds/all.atom")
	if w.Code != 200 || !strings.HasPrefix(w.Header().Get("Content-Type"), "application/atom+xml") {
		t.Fatalf("all.atom: %d %s", w.Code, w.Header().Get("Content-Type"))
	}
	if err := xml.Unmarshal(w.Body.Bytes(), &feed); err != nil {
		t.Fatalf("all.atom is not XML: %v", err)
	}
	if len(feed.Entries) != 2 || feed.Entries[0].Title != "站前片区补偿方案" {
		t.Fatalf("all.atom entries: %+v", feed.Entries)
	}
	if feed.Entries[1].Link.Href != "https://gongshi.example.gov.cn/records/"+a.ID {
		t.Errorf("entry link %q", feed.Entries[1].Link.Href)
	}
	if strings.Contains(w.Body.String(), "CANARY") {
		t.Error("the feed holds a restricted record")
	}
	body := f.get("/feeds/projects/CC-2026-001.atom").Body.String()
	if !strings.Contains(body, "东天街征收决定") || strings.Contains(body, "站前片区") {
		t.Error("the project feed holds other projects' records")
	}
	for _, bad := range []string{"/feeds/projects/NO-SUCH-9.atom", "/feeds/projects/CC-2026-001.rss", "/feeds/x.atom"} {
		if w := f.get(bad); w.Code != 404 {
			t.Errorf("%s: %d", bad, w.Code)
		}
	}
}
