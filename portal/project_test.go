package portal

import (
	"strings"
	"testing"
	"time"

	"github.com/gongshi-archive/gongshi/archive"
)

func TestProjectTimeline(t *testing.T) {
	f := newFixture(t)
	f.project("CC-2026-001", "东天街片区旧城区改建项目", "长春市", "南关区")
	f.file(archive.Record{Project: "CC-2026-001", Type: "policy", Title: "征收补偿办法", Date: archive.D(2026, 1, 5)}, "a")
	f.file(archive.Record{Project: "CC-2026-001", Type: "plan_draft", Title: "补偿方案（征求意见稿）", Date: archive.D(2026, 11, 20)}, "b")
	f.file(archive.Record{Project: "CC-2026-001", Type: "funding_proof", Title: "CANARY资金证明", Date: archive.D(2026, 11, 21)}, "c")
	f.refresh()
	body := f.mustGet("/projects/CC-2026-001", 200)
	for _, want := range []string{"东天街片区旧城区改建项目", "征收程序", "征收依据", "征收补偿办法", "补偿方案（征求意见稿）",
		"补偿方案正在征求意见", "<strong class=\"big\">19</strong>", "<svg", "role=\"img\"", "st-published", "st-running", "不适用",
		"/feeds/projects/CC-2026-001.atom"} {
		if !strings.Contains(body, want) {
			t.Errorf("project page lacks %q", want)
		}
	}
	if strings.Contains(body, "CANARY") {
		t.Error("the project page lists a restricted record")
	}
	// The comment period ends on 2026-12-20; a decision dated 2026-12-10 is early.
	f.file(archive.Record{Project: "CC-2026-001", Type: "decision", Title: "征收决定", Date: archive.D(2026, 12, 1)}, "d")
	f.refresh()
	body = f.mustGet("/projects/CC-2026-001", 200)
	if !strings.Contains(body, "征收决定早于征求意见期结束") || !strings.Contains(body, "st-overdue") {
		t.Error("a decision before the comment period ended is not flagged")
	}
	// A month later the period is over: no countdown.
	f.clock.advance(40 * 24 * time.Hour)
	if body := f.mustGet("/projects/CC-2026-001", 200); strings.Contains(body, "补偿方案正在征求意见") {
		t.Error("the countdown runs after the period ended")
	}
}

func TestProjectAbsent(t *testing.T) {
	f := newFixture(t)
	f.refresh()
	for _, p := range []string{"/projects/NO-SUCH-1", "/projects/..%2F", "/projects/" + strings.Repeat("X", 200)} {
		if w := f.get(p); w.Code != 404 {
			t.Errorf("%s: %d", p, w.Code)
		}
	}
}

func TestCommentPeriodEdges(t *testing.T) {
	draft := []Hit{{Record: archive.Record{Type: "plan_draft", Date: archive.D(2026, 3, 1)}}}
	for _, tc := range []struct {
		today   archive.Date
		running bool
		left    int
	}{
		{archive.D(2026, 3, 1), true, 30},
		{archive.D(2026, 3, 30), true, 1},
		{archive.D(2026, 3, 31), false, 0},
		{archive.D(2026, 4, 1), false, 0},
	} {
		c := commentOf(draft, tc.today)
		if c.Running != tc.running || c.DaysLeft != tc.left {
			t.Errorf("today %s: running %v, %d days left; want %v, %d", tc.today, c.Running, c.DaysLeft, tc.running, tc.left)
		}
	}
	for _, tc := range []struct {
		decision archive.Date
		early    bool
	}{{archive.D(2026, 3, 30), true}, {archive.D(2026, 3, 31), false}} {
		hits := append(draft, Hit{Record: archive.Record{Type: "decision", Date: tc.decision}})
		if c := commentOf(hits, archive.D(2026, 5, 1)); c.Early != tc.early {
			t.Errorf("decision %s: early %v, want %v", tc.decision, c.Early, tc.early)
		}
	}
}
