package portal

import (
	"strings"
	"testing"

	"github.com/gongshi-archive/gongshi/archive"
)

func TestSearchPage(t *testing.T) {
	f := newFixture(t)
	f.project("CC-2026-001", "东天街片区", "长春市", "南关区")
	f.project("JL-2026-003", "站前片区", "吉林市", "船营区")
	f.file(archive.Record{Project: "CC-2026-001", Type: "decision", Title: "关于东天街片区房屋征收的决定"}, "a")
	f.file(archive.Record{Project: "JL-2026-003", Type: "plan_draft", Title: "站前片区补偿方案"}, "b")
	f.file(archive.Record{Project: "JL-2026-003", Type: "funding_proof", Title: "站前片区补偿资金证明"}, "c")
	f.file(archive.Record{Project: "JL-2026-003", Type: "appraisal_report", Title: "站前片区分户评估报告", Household: "7"}, "d")
	f.refresh()
	body := f.mustGet("/search?q=补偿", 200)
	if !strings.Contains(body, "站前片区补偿方案") || !strings.Contains(body, "找到 1 份文件") {
		t.Errorf("search 补偿: the public plan is not the one hit")
	}
	for _, hidden := range []string{"资金证明", "分户评估报告"} {
		if strings.Contains(body, hidden) {
			t.Errorf("search 补偿 shows the hidden %s", hidden)
		}
	}
	// The hits and the filters carry their project's name, from the index's
	// answer; a project filter without hits still names its project.
	if !strings.Contains(body, "站前片区补偿方案") || !strings.Contains(body, "· 站前片区</span>") {
		t.Errorf("search 补偿: the hit lacks its project's name")
	}
	body = f.mustGet("/search?project=JL-2026-003&q=%E6%B2%A1%E6%9C%89%E8%BF%99%E4%B8%AA%E8%AF%8D", 200)
	if !strings.Contains(body, "站前片区") {
		t.Errorf("a project filter without hits does not name its project")
	}
	for _, p := range []string{"NO-SUCH-1", "..%2F..%2Fx", "%E9%95%BF"} {
		if w := f.get("/search?project=" + p); w.Code != 200 {
			t.Errorf("project filter %s: %d, want 200", p, w.Code)
		}
	}
	body = f.mustGet("/search?city=%E9%95%BF%E6%98%A5%E5%B8%82", 200)
	if !strings.Contains(body, "关于东天街片区房屋征收的决定") || strings.Contains(body, "站前片区补偿方案") {
		t.Error("the city filter does not filter")
	}
	body = f.mustGet("/search", 200)
	for _, want := range []string{"缩小范围", "吉林市", "长春市", "征收决定", "?city="} {
		if !strings.Contains(body, want) {
			t.Errorf("facets lack %q", want)
		}
	}
	if body := f.mustGet("/search?q=%3Cscript%3Ealert(1)%3C/script%3E", 200); strings.Contains(body, "<script>alert") {
		t.Error("the query is not escaped")
	}
	for _, bad := range []string{"/search?page=0", "/search?page=x", "/search?year=abc", "/search?sort=evil",
		"/search?q=" + strings.Repeat("长", 300), "/search?page=100000"} {
		if w := f.get(bad); w.Code != 400 {
			t.Errorf("%s: %d, want 400", bad, w.Code)
		}
	}
	// The abstract of an on-request record is content: searching its words must
	// not find the record (a search would otherwise answer what it says).
	f.file(archive.Record{Project: "JL-2026-003", Type: "risk_assessment", Title: "站前片区风险评估", Abstract: "秘密的结论"}, "e")
	f.refresh()
	if body := f.mustGet("/search?q=秘密的结论", 200); strings.Contains(body, "站前片区风险评估") {
		t.Error("searching an on-request record's abstract finds it")
	}
	if body := f.mustGet("/search?q=站前片区风险评估", 200); !strings.Contains(body, "站前片区风险评估") {
		t.Error("an on-request record's catalogue entry is not searchable")
	}
	if w := f.get("/search?q=%ff"); w.Code != 400 && w.Code != 200 {
		t.Errorf("invalid UTF-8: %d", w.Code)
	}
}
