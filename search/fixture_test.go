package search

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/gongshi-archive/gongshi/archive"
)

// The behaviour suite's archive: four projects in Jilin and records of every
// class and state, each under a short name. Hidden records carry canary words
// (kqzh…) in every field of their own, which no one who may not see them may ever
// find, count or read.

var fixtureProjects = map[string]archive.Project{
	"CC": {Code: "CC-2024-001", Name: "南关区东天街片区旧城区改建项目", City: "长春市", District: "南关区"},
	"JL": {Code: "JL-2023-002", Name: "船营区站前片区棚户区改造项目", City: "吉林市", District: "船营区"},
	"YB": {Code: "YB-2022-003", Name: "延吉市河南街道路拓宽工程", City: "延边朝鲜族自治州", District: "延吉市"},
	"SP": {Code: "SP-2025-004", Name: "铁西区英雄大路拓宽工程", City: "四平市", District: "铁西区"},
}

// fixtureNow is the moment the suite searches at: the preliminary appraisal's
// publicity window is open.
var fixtureNow = time.Date(2024, 5, 5, 4, 0, 0, 0, time.UTC)

type fixtureRecord struct {
	name    string
	project string // key of fixtureProjects
	rec     archive.Record
	state   archive.RecordState
}

var published = archive.RecordState{Publication: archive.Published}

func fixtureRecords() []fixtureRecord {
	d := archive.D
	return []fixtureRecord{
		{"dec", "CC", archive.Record{Type: "decision", Title: "长春市南关区人民政府关于东天街片区国有土地上房屋征收的决定",
			DocNumber: "长府征字〔2024〕3号", Issuer: "长春市南关区人民政府", Date: d(2024, 3, 18),
			ArchivalCode: "Z101-WS·2024-Y-NG01-0007",
			Abstract:     "决定对东天街片区国有土地上房屋实施征收，被征收人可以依法申请行政复议。", Keywords: []string{"征收决定"}}, published},
		{"plan", "CC", archive.Record{Type: "plan_draft", Title: "东天街片区旧城区改建项目国有土地上房屋征收补偿方案（征求意见稿）",
			Issuer: "长春市南关区人民政府", Date: d(2024, 2, 1), Abstract: "征求意见期限为30日。"}, published},
		{"planApart", "CC", archive.Record{Type: "plan_feedback", Title: "东天街片区房屋征收补偿安置方案修改情况的公告",
			Issuer: "长春市南关区人民政府", Date: d(2024, 3, 10), Abstract: "根据意见作了修改。"}, published},
		{"rehouse", "JL", archive.Record{Type: "resettlement_housing", Title: "站前片区产权调换房源信息公告",
			Issuer: "船营区房屋征收管理办公室", Date: d(2023, 6, 10), Abstract: "用于产权调换的房源共120套。"}, published},
		{"audit", "YB", archive.Record{Type: "audit_result", Title: "河南街道路拓宽工程征收补偿费用审计结果公告",
			DocNumber: "延边审征字[2022]2号", Issuer: "延边朝鲜族自治州审计局", Date: d(2022, 11, 2),
			Abstract: "补偿资金使用合规。"}, published},
		{"cq", "CC", archive.Record{Type: "policy", Title: "南关区CQ01地块2024年度房屋征收计划",
			Issuer: "长春市南关区人民政府", Date: d(2024, 1, 5), Abstract: "年度计划。"}, published},
		{"policyJL", "JL", archive.Record{Type: "policy", Title: "吉林市国有土地上房屋征收与补偿实施办法",
			DocNumber: "吉市政发(2021)12号", Issuer: "吉林市人民政府", Date: d(2021, 9, 1),
			ArchivalCode: "Z102-WS·2021-D30-CY02-0001", Abstract: "规定补偿标准和评估程序。"}, published},
		{"surveyCC", "CC", archive.Record{Type: "survey_result", Title: "东天街片区房屋调查登记结果公示",
			Issuer: "南关区房屋征收管理办公室", Date: d(2023, 12, 1), Abstract: "共调查登记412户。"}, published},
		{"surveyJL", "JL", archive.Record{Type: "survey_result", Title: "站前片区房屋调查登记结果公示",
			Issuer: "船营区房屋征收管理办公室", Date: d(2023, 3, 1), Abstract: "共调查登记200户。"}, published},
		{"prelim", "CC", archive.Record{Type: "appraisal_preliminary", Title: "东天街片区分户初步评估结果公示",
			Issuer: "吉林省华信房地产土地评估有限公司", Date: d(2024, 4, 30), Abstract: "公示期7日。"},
			archive.RecordState{Publication: archive.Published, Window: archive.Window{
				Start: time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC), End: time.Date(2024, 5, 8, 0, 0, 0, 0, time.UTC)}}},
		// Public's view of an on-request record: its catalogue entry; the canary is
		// in its content.
		{"risk", "CC", archive.Record{Type: "risk_assessment", Title: "东天街片区社会稳定风险评估报告",
			Issuer: "长春市南关区人民政府", Date: d(2024, 1, 20),
			Abstract: "风险等级为低，kqzhrisk。", Keywords: []string{"kqzhriskkw"}}, published},

		// Hidden from the public: every field of its own holds a canary.
		{"report12", "CC", archive.Record{Type: "appraisal_report", Title: "东天街片区0012号房屋征收分户评估报告kqzhtitle12",
			Issuer: "kqzhissuer12评估公司", Date: d(2024, 4, 10), Household: "H-0012",
			Abstract: "被征收人kqzhname12，身份证kqzhid12。", Keywords: []string{"kqzhkw12"}}, archive.RecordState{}},
		{"agree13", "CC", archive.Record{Type: "agreement", Title: "东天街片区房屋征收补偿协议kqzhtitle13",
			Issuer: "kqzhissuer13征收办", Date: d(2024, 4, 20), Household: "H-0013",
			Abstract: "被征收人kqzhname13，银行账号kqzhacct13。", Keywords: []string{"kqzhkw13"}}, archive.RecordState{}},
		{"funding", "CC", archive.Record{Type: "funding_proof", Title: "东天街片区征收补偿资金专户存储证明kqzhtitlefund",
			Issuer: "kqzhissuerfund财政局", Date: d(2024, 2, 20), Abstract: "资金kqzhabsfund。",
			Keywords: []string{"kqzhkwfund"}}, archive.RecordState{}},
		{"draft", "JL", archive.Record{Type: "decision", Title: "关于站前片区国有土地上房屋征收的决定kqzhtitledraft",
			DocNumber: "吉市政征字〔2023〕5号", Issuer: "kqzhissuerdraft人民政府", Date: d(2023, 8, 1),
			Abstract: "草稿kqzhabsdraft。", Keywords: []string{"kqzhkwdraft"}}, archive.RecordState{}},
		{"withdrawn", "YB", archive.Record{Type: "decision", Title: "延吉市人民政府关于河南街片区房屋征收的决定kqzhtitlewd",
			DocNumber: "延市政征字（2022）7号", Issuer: "kqzhissuerwd人民政府", Date: d(2022, 5, 6),
			Abstract: "已撤回kqzhabswd。", Keywords: []string{"kqzhkwwd"}}, archive.RecordState{Publication: archive.Withdrawn}},
		{"hearingRec", "SP", archive.Record{Type: "hearing", Disclosure: archive.Restricted,
			Title: "英雄大路拓宽工程听证会记录kqzhtitlehear", Issuer: "kqzhissuerhear人民政府", Date: d(2025, 1, 9),
			Abstract: "出席人员kqzhabshear。", Keywords: []string{"kqzhkwhear"}}, published},
		{"closedWindow", "SP", archive.Record{Type: "appraisal_preliminary", Title: "英雄大路分户初步评估结果公示kqzhtitlewin",
			Issuer: "kqzhissuerwin评估公司", Date: d(2024, 3, 1), Abstract: "已过公示期kqzhabswin。", Keywords: []string{"kqzhkwwin"}},
			archive.RecordState{Publication: archive.Published, Window: archive.Window{
				Start: time.Date(2024, 3, 2, 0, 0, 0, 0, time.UTC), End: time.Date(2024, 3, 9, 0, 0, 0, 0, time.UTC)}}},
	}
}

// hiddenFromPublic are the fixture's records the public may not even know of.
var hiddenFromPublic = []string{"report12", "agree13", "funding", "draft", "withdrawn", "hearingRec", "closedWindow",
	"surveyCC", "surveyJL", "prelim"}

// canaries are the words that only hidden fields hold.
var canaries = []string{"kqzhrisk", "kqzhriskkw", "kqzhtitle12", "kqzhissuer12", "kqzhname12", "kqzhid12", "kqzhkw12",
	"kqzhtitle13", "kqzhissuer13", "kqzhname13", "kqzhacct13", "kqzhkw13",
	"kqzhtitlefund", "kqzhissuerfund", "kqzhabsfund", "kqzhkwfund",
	"kqzhtitledraft", "kqzhissuerdraft", "kqzhabsdraft", "kqzhkwdraft",
	"kqzhtitlewd", "kqzhissuerwd", "kqzhabswd", "kqzhkwwd",
	"kqzhtitlehear", "kqzhissuerhear", "kqzhabshear", "kqzhkwhear",
	"kqzhtitlewin", "kqzhissuerwin", "kqzhabswin", "kqzhkwwin"}

// fixture is the suite's archive as a source, with the ids of its records by name.
type fixture struct {
	src   *memSource
	ids   map[string]string // name → id
	names map[string]string // id → name
}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	cat := archive.DefaultCatalogue()
	f := &fixture{src: newMemSource(), ids: map[string]string{}, names: map[string]string{}}
	for _, fr := range fixtureRecords() {
		p := fixtureProjects[fr.project]
		r := fr.rec
		r.Project, r.Format, r.FileName = p.Code, "pdf", fr.name+".pdf"
		dg := archive.NewDigester()
		dg.Write([]byte(fr.name + r.Title))
		r.Content = dg.Sum()
		r = cat.ApplyDefaults(r)
		id, err := archive.RecordID(r)
		if err != nil {
			t.Fatal(err)
		}
		r.ID, r.Version, r.FiledAt = id, 1, time.Date(r.Date.Year, r.Date.Month, r.Date.Day, 2, 0, 0, 0, time.UTC)
		if err := cat.ValidateRecord(r, fixtureNow.AddDate(2, 0, 0)); err != nil {
			t.Fatalf("fixture %s: %v", fr.name, err)
		}
		st := fr.state
		if st.Publication == archive.Published {
			st.PublishedAt = r.FiledAt.Add(24 * time.Hour)
			st.FirstPublishedAt = st.PublishedAt
		}
		f.src.put(Doc{Record: r, Project: p, State: st})
		f.ids[fr.name], f.names[id] = id, fr.name
	}
	return f
}

// clock is a settable clock for the index.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}

// openFixture opens an index of the fixture in a new directory, caught up.
func openFixture(t testing.TB, f *fixture, clk *clock) *Index {
	t.Helper()
	ctx := context.Background()
	ix, err := Open(ctx, Options{Dir: t.TempDir(), Source: f.src, Now: clk.Now, Shards: 2})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ix.Close() })
	if err := ix.CatchUp(ctx); err != nil {
		t.Fatal(err)
	}
	return ix
}

func (f *fixture) namesOf(hits []Hit) []string {
	out := make([]string, len(hits))
	for i, h := range hits {
		out[i] = f.names[h.ID]
		if out[i] == "" {
			out[i] = "?" + h.ID
		}
	}
	return out
}
