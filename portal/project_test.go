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
	f.file(archive.Record{Project: "CC-2026-001", Type: "policy", Title: "征收补偿办法", Date: archive.D(2026, 11, 25)}, "a")
	f.file(archive.Record{Project: "CC-2026-001", Type: "plan_draft", Title: "补偿方案（征求意见稿）", Date: archive.D(2026, 11, 20)}, "b")
	f.file(archive.Record{Project: "CC-2026-001", Type: "funding_proof", Title: "CANARY资金证明", Date: archive.D(2026, 11, 21)}, "c")
	f.refresh()
	body := f.mustGet("/projects/CC-2026-001", 200)
	for _, want := range []string{"东天街片区旧城区改建项目", "征收程序", "征收依据", "征收补偿办法", "补偿方案（征求意见稿）",
		"正在进行", "还剩 <strong class=\"big\">", "<svg", "role=\"img\"", "st-published", "不适用",
		"/feeds/projects/CC-2026-001.atom"} {
		if !strings.Contains(body, want) {
			t.Errorf("project page lacks %q", want)
		}
	}
	if strings.Contains(body, "CANARY") {
		t.Error("the project page lists a restricted record")
	}
	en := f.mustGet("/en/projects/CC-2026-001", 200)
	if !strings.Contains(en, "The procedure") || !strings.Contains(en, "Legal basis") {
		t.Error("the English project page is not in English")
	}
	// A decision dated within the comment period is late: flagged.
	f.file(archive.Record{Project: "CC-2026-001", Type: "decision", Title: "征收决定", Date: archive.D(2026, 12, 1)}, "d")
	f.refresh()
	body = f.mustGet("/projects/CC-2026-001", 200)
	if !strings.Contains(body, "逾期或未按时的事项") || !strings.Contains(body, "st-overdue") || !strings.Contains(body, "早于期限结束") {
		t.Error("a decision within the comment period is not flagged")
	}
	// Two months later the period is over: no countdown.
	f.clock.advance(60 * 24 * time.Hour)
	if body := f.mustGet("/projects/CC-2026-001", 200); strings.Contains(body, "还剩 <strong class=\"big\">") {
		t.Error("the countdown runs after the period ended")
	}
}

// A document published after its clock shows as late, with its days.
func TestProjectOverdueStep(t *testing.T) {
	f := newFixture(t)
	f.project("CC-2026-001", "东天街片区", "长春市", "南关区")
	f.file(archive.Record{Project: "CC-2026-001", Type: "risk_assessment", Title: "风险评估", Date: archive.D(2026, 1, 5)}, "r")
	f.file(archive.Record{Project: "CC-2026-001", Type: "decision", Title: "征收决定", Date: archive.D(2026, 1, 5)}, "d")
	f.refresh()
	body := f.mustGet("/projects/CC-2026-001", 200)
	// Published (the stand-in says: on the filing day, 2026-12-01), months past
	// its 20 working days.
	if !strings.Contains(body, "未按时") || !strings.Contains(body, "st-overdue") {
		t.Fatal("a decision published months after its date is not flagged late")
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
