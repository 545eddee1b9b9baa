package main

import (
	"fmt"

	"github.com/gongshi-archive/gongshi/archive"
)

// The demo's archive: four projects of Jilin Province at different stages,
// fictitious in every detail, and a document of every type of the catalogue
// among them, each published (when its class allows) a few days after its date
// — except one, published weeks late, which the project page flags.

// demoProjects are the demo's projects.
func demoProjects() []archive.Project {
	return []archive.Project{
		{
			Code: "CC-2026-001", Name: "南关区东天街片区旧城区改建项目", City: "长春市", District: "南关区",
			Department: "长春市房屋征收经办中心", Implementer: "南关区房屋征收服务中心",
			Category: archive.CategoryOldCityRenewal, Households: 412,
			Dates: map[string]archive.Date{"decision": archive.D(2026, 3, 18), "announcement": archive.D(2026, 3, 20),
				"signing_start": archive.D(2026, 4, 1), "signing_end": archive.D(2026, 6, 30)},
		},
		{
			Code: "JL-2026-003", Name: "船营区站前片区棚户区改造项目", City: "吉林市", District: "船营区",
			Department: "吉林市房屋征收管理办公室", Implementer: "船营区房屋征收经办处",
			Category: archive.CategoryAffordableHousing, Households: 286,
			Dates: map[string]archive.Date{"decision": archive.D(2026, 5, 11), "announcement": archive.D(2026, 5, 12)},
		},
		{
			Code: "YJ-2026-002", Name: "河南街道老旧小区周边道路改造项目", City: "延边朝鲜族自治州", District: "延吉市",
			Department: "延吉市房屋征收与补偿办公室", Category: archive.CategoryInfrastructure, Households: 120,
		},
		{
			Code: "SP-2026-002", Name: "铁西区英雄大路拓宽工程", City: "四平市", District: "铁西区",
			Department: "四平市房屋征收管理中心", Category: archive.CategoryInfrastructure, Households: 57,
		},
	}
}

// demoDoc is one document of the demo: its metadata, when it was filed and
// when published.
type demoDoc struct {
	Project, Type, Title, DocNumber, Issuer, Household, Abstract string
	Keywords                                                     []string
	Date                                                         archive.Date
	// PublishAfter is how many days after its date it was published; -1: never
	// (its class forbids it, or it is not published yet).
	PublishAfter int
}

// demoLate is the document published late: its project page flags the step.
const demoLate = "JL-2026-003 subsidy_policy"

func demoDocs() []demoDoc {
	d := archive.D
	cc, jl, yj, sp := "CC-2026-001", "JL-2026-003", "YJ-2026-002", "SP-2026-002"
	ccGov, ccDept, ccAppr := "长春市南关区人民政府", "长春市房屋征收经办中心", "吉林省华正房地产估价有限公司"
	jlGov, jlDept := "吉林市船营区人民政府", "吉林市房屋征收管理办公室"
	return []demoDoc{
		// 长春: from the policy to the compensation of each household.
		{Project: cc, Type: "policy", Title: "长春市国有土地上房屋征收与补偿办法", Issuer: "长春市人民政府", DocNumber: "长府发〔2026〕1号",
			Date: d(2026, 1, 8), PublishAfter: 4, Abstract: "规定本市国有土地上房屋征收与补偿的程序、补偿标准和监督管理。", Keywords: []string{"征收", "补偿", "办法"}},
		{Project: cc, Type: "suspension_notice", Title: "关于在东天街片区暂停办理相关手续的通知", Issuer: ccGov, DocNumber: "南府通〔2026〕2号",
			Date: d(2026, 1, 15), PublishAfter: 2},
		{Project: cc, Type: "survey_notice", Title: "东天街片区房屋征收入户调查通知", Issuer: ccDept, Date: d(2026, 1, 20), PublishAfter: 1},
		{Project: cc, Type: "survey_result", Title: "东天街片区房屋调查登记结果", Issuer: ccDept, Date: d(2026, 2, 5), PublishAfter: 3,
			Abstract: "共调查登记房屋412户，其中住宅398户、非住宅14户。"},
		{Project: cc, Type: "unregistered_finding", Title: "东天街片区未经登记建筑调查认定结果", Issuer: ccGov, Date: d(2026, 2, 10), PublishAfter: 3},
		{Project: cc, Type: "plan_draft", Title: "东天街片区房屋征收补偿方案（征求意见稿）", Issuer: ccGov, Date: d(2026, 2, 12), PublishAfter: 0,
			Abstract: "征求意见期为30日，被征收人可以书面或者到现场提出意见。", Keywords: []string{"补偿方案", "征求意见"}},
		{Project: cc, Type: "hearing", Title: "东天街片区补偿方案听证会通知及笔录", Issuer: ccGov, Date: d(2026, 3, 10), PublishAfter: 2},
		{Project: cc, Type: "plan_feedback", Title: "东天街片区补偿方案征求意见情况和修改情况", Issuer: ccGov, Date: d(2026, 3, 16), PublishAfter: 1},
		{Project: cc, Type: "risk_assessment", Title: "东天街片区房屋征收社会稳定风险评估报告", Issuer: ccGov, Date: d(2026, 3, 2), PublishAfter: 3},
		{Project: cc, Type: "funding_proof", Title: "东天街片区征收补偿费用足额到位及专户存储证明", Issuer: "长春市财政局", Date: d(2026, 3, 5), PublishAfter: -1},
		{Project: cc, Type: "decision", Title: "关于东天街片区房屋征收的决定", Issuer: ccGov, DocNumber: "长征补〔2026〕12号",
			Date: d(2026, 3, 18), PublishAfter: 2, Abstract: "决定对东天街片区范围内国有土地上房屋实施征收。", Keywords: []string{"征收决定"}},
		{Project: cc, Type: "subsidy_policy", Title: "东天街片区搬迁奖励和补助办法", Issuer: ccGov, Date: d(2026, 3, 18), PublishAfter: 2},
		{Project: cc, Type: "appraiser_selection", Title: "东天街片区房地产价格评估机构选定结果", Issuer: ccDept, Date: d(2026, 3, 25), PublishAfter: 1},
		{Project: cc, Type: "site_chart", Title: "东天街片区征收工作流程图、任务分解表和进度表", Issuer: ccDept, Date: d(2026, 3, 25), PublishAfter: 1},
		{Project: cc, Type: "resettlement_housing", Title: "东天街片区产权调换安置房源信息", Issuer: ccDept, Date: d(2026, 4, 1), PublishAfter: 1},
		{Project: cc, Type: "appraisal_preliminary", Title: "东天街片区分户初步评估结果", Issuer: ccAppr, Date: d(2026, 4, 20), PublishAfter: 1},
		{Project: cc, Type: "appraisal_report", Title: "东天街片区3号楼101室分户评估报告", Issuer: ccAppr, Household: "3-101", Date: d(2026, 5, 6), PublishAfter: -1},
		{Project: cc, Type: "appraisal_report", Title: "东天街片区3号楼102室分户评估报告", Issuer: ccAppr, Household: "3-102", Date: d(2026, 5, 6), PublishAfter: -1},
		{Project: cc, Type: "recheck", Title: "3号楼102室评估复核申请及答复", Issuer: ccAppr, Household: "3-102", Date: d(2026, 5, 14), PublishAfter: -1},
		{Project: cc, Type: "expert_appraisal", Title: "3号楼102室评估专家委员会鉴定意见", Issuer: "长春市房地产价格评估专家委员会", Household: "3-102",
			Date: d(2026, 5, 28), PublishAfter: -1},
		{Project: cc, Type: "agreement", Title: "3号楼101室房屋征收补偿协议", Household: "3-101", Date: d(2026, 6, 5), PublishAfter: -1},
		{Project: cc, Type: "compensation_decision", Title: "关于3号楼102室房屋征收补偿的决定", Issuer: ccGov, DocNumber: "南征补决〔2026〕3号",
			Date: d(2026, 7, 20), PublishAfter: 2},
		{Project: cc, Type: "household_compensation", Title: "东天街片区分户补偿情况", Issuer: ccDept, Date: d(2026, 8, 10), PublishAfter: 3},
		{Project: cc, Type: "enforcement", Title: "关于申请人民法院强制执行3号楼102室的申请书", Issuer: ccGov, Date: d(2026, 9, 28), PublishAfter: -1},

		// 吉林: the decision made; its subsidy rules published weeks late.
		{Project: jl, Type: "policy", Title: "吉林市国有土地上房屋征收与补偿实施办法", Issuer: "吉林市人民政府", DocNumber: "吉市政发〔2026〕5号",
			Date: d(2026, 2, 20), PublishAfter: 3},
		{Project: jl, Type: "suspension_notice", Title: "关于在站前片区暂停办理相关手续的通知", Issuer: jlGov, DocNumber: "船政通〔2026〕4号",
			Date: d(2026, 2, 25), PublishAfter: 1},
		{Project: jl, Type: "survey_notice", Title: "站前片区房屋征收入户调查通知", Issuer: jlDept, Date: d(2026, 3, 2), PublishAfter: 1},
		{Project: jl, Type: "survey_result", Title: "站前片区房屋调查登记结果", Issuer: jlDept, Date: d(2026, 3, 20), PublishAfter: 2},
		{Project: jl, Type: "plan_draft", Title: "站前片区房屋征收补偿方案（征求意见稿）", Issuer: jlGov, Date: d(2026, 3, 30), PublishAfter: 0},
		{Project: jl, Type: "plan_feedback", Title: "站前片区补偿方案征求意见情况和修改情况", Issuer: jlGov, Date: d(2026, 5, 6), PublishAfter: 1},
		{Project: jl, Type: "funding_proof", Title: "站前片区征收补偿资金专户存储证明", Issuer: "吉林市财政局", Date: d(2026, 5, 4), PublishAfter: -1},
		{Project: jl, Type: "decision", Title: "关于站前片区房屋征收的决定", Issuer: jlGov, DocNumber: "船政征〔2026〕7号", Date: d(2026, 5, 11), PublishAfter: 1},
		{Project: jl, Type: "subsidy_policy", Title: "站前片区搬迁奖励和补助办法", Issuer: jlGov, Date: d(2026, 5, 13), PublishAfter: 49,
			Abstract: "按期签约搬迁的，给予搬迁奖励；对困难家庭给予补助。"},
		{Project: jl, Type: "misconduct_record", Title: "房地产价格评估机构及估价师不良行为记录（2026年第二季度）", Issuer: "吉林市住房和城乡建设局",
			Date: d(2026, 7, 3), PublishAfter: 3},

		// 延吉: the compensation plan open for comments now.
		{Project: yj, Type: "policy", Title: "延吉市国有土地上房屋征收与补偿实施细则", Issuer: "延吉市人民政府", DocNumber: "延市政发〔2026〕9号",
			Date: d(2026, 6, 1), PublishAfter: 2},
		{Project: yj, Type: "suspension_notice", Title: "关于在河南街道改造范围内暂停办理相关手续的通知", Issuer: "延吉市人民政府", DocNumber: "延市政通〔2026〕21号",
			Date: d(2026, 9, 10), PublishAfter: 1},
		{Project: yj, Type: "survey_notice", Title: "河南街道改造项目房屋征收入户调查通知", Issuer: "延吉市房屋征收与补偿办公室", Date: d(2026, 9, 15), PublishAfter: 1},
		{Project: yj, Type: "survey_result", Title: "河南街道改造项目房屋调查登记结果", Issuer: "延吉市房屋征收与补偿办公室", Date: d(2026, 10, 20), PublishAfter: 2},
		{Project: yj, Type: "quarterly_report", Title: "延吉市房屋征收工作季度统计报表（2026年第三季度）", Issuer: "延吉市房屋征收与补偿办公室",
			Date: d(2026, 10, 8), PublishAfter: -1},
		{Project: yj, Type: "plan_draft", Title: "河南街道改造项目房屋征收补偿方案（征求意见稿）", Issuer: "延吉市人民政府", Date: d(2026, 11, 16), PublishAfter: 0,
			Abstract: "征求意见期自2026年11月16日起不少于30日。", Keywords: []string{"补偿方案", "征求意见"}},

		// 四平: just begun.
		{Project: sp, Type: "suspension_notice", Title: "关于在英雄大路拓宽范围内暂停办理相关手续的通知", Issuer: "四平市铁西区人民政府", DocNumber: "铁政通〔2026〕15号",
			Date: d(2026, 10, 12), PublishAfter: 1},
		{Project: sp, Type: "survey_notice", Title: "英雄大路拓宽工程房屋征收入户调查通知", Issuer: "四平市房屋征收管理中心", Date: d(2026, 10, 19), PublishAfter: 1},
		{Project: sp, Type: "petition", Title: "关于英雄大路拓宽补偿标准的来信及答复", Issuer: "四平市房屋征收管理中心", Date: d(2026, 11, 2), PublishAfter: -1},
	}
}

// demoToday is the audit result filed by the demo's own 'gongshi ingest' step,
// dated a few days before the day the demo runs: the newest filing.
func demoToday(today archive.Date) demoDoc {
	date := today.AddDays(-3)
	return demoDoc{Project: "CC-2026-001", Type: "audit_result", Title: "东天街片区房屋征收补偿费用审计结果",
		Issuer: "长春市南关区审计局", DocNumber: fmt.Sprintf("南审报〔%d〕8号", date.Year), Date: date, PublishAfter: 0,
		Abstract: "审计了征收补偿费用的拨付和使用，未发现挪用、截留。"}
}
