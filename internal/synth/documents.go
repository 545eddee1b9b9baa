package synth

import (
	"fmt"
	"strings"
	"time"

	"github.com/gongshi-archive/gongshi/archive"
)

// doc is a document of a plan before its numbers are given.
type doc struct {
	typ       string
	date      archive.Date
	title     string
	issuer    string
	household string
	abstract  string
	keywords  []string
	number    string // the prefix of its 文号, e.g. 长府征字; "" for none
	court     bool   // a court case number instead
	closed    bool   // filed more closed than its type (a hearing's record)
}

func (pl *plan) add(d doc) {
	if d.date.Compare(pl.s.g.today) > 0 {
		return // not happened yet
	}
	pl.items = append(pl.items, Item{Record: archive.Record{Type: d.typ}, pending: d})
}

func (pl *plan) days(d archive.Date, lo, hi int) archive.Date {
	return d.AddDays(lo + pl.r.IntN(hi-lo+1))
}

func (pl *plan) cityGov() string { return pl.c.name + "人民政府" }

// distGov is the county-level government: 长春市南关区人民政府 for a district,
// 珲春市人民政府 for a county-level city or a county.
func (pl *plan) distGov() string {
	if strings.HasSuffix(pl.d.name, "区") {
		return pl.c.name + pl.d.name + "人民政府"
	}
	return pl.d.name + "人民政府"
}
func (pl *plan) bureau() string { return pl.c.name + "房屋征收经办中心" }
func (pl *plan) office() string { return pl.d.name + "房屋征收管理办公室" }

// money formats an amount of yuan as documents write it: 1,234,567.89元.
func money(yuan float64) string {
	s := fmt.Sprintf("%.2f", yuan)
	intPart, frac, _ := strings.Cut(s, ".")
	var b strings.Builder
	for i, c := range intPart {
		if i > 0 && (len(intPart)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String() + "." + frac + "元"
}

// generate lays out the project's procedure: each step's documents at plausible
// intervals after the one before, per household where the law makes them so.
func (pl *plan) generate() {
	r, p, n := pl.r, pl.p, len(pl.hh)
	area := 0.0
	for _, h := range pl.hh {
		area += h.area
	}
	price := float64(4200 + r.IntN(5800)) // yuan per m²
	total := area * price * (1.1 + r.Float64()*0.3)
	t0 := pl.start

	pl.add(doc{typ: "policy", date: pl.days(t0, -400, -30), issuer: pl.cityGov(), number: pl.c.gov + "发",
		title: oneOf(r,
			pl.c.name+"国有土地上房屋征收与补偿实施办法",
			"关于进一步做好"+pl.c.name+"国有土地上房屋征收补偿工作的通知",
			pl.c.name+"国有土地上房屋征收评估工作规程",
			pl.c.name+"棚户区改造房屋征收补偿安置指导意见"),
		abstract: "依据《国有土地上房屋征收与补偿条例》，规定" + pl.c.name + "行政区域内国有土地上房屋征收的程序、补偿标准、产权调换和评估要求。",
		keywords: []string{"房屋征收", "补偿", "政策"}})
	pl.add(doc{typ: "survey_notice", date: t0, issuer: pl.office(),
		title:    "关于对" + p.Name + "征收范围内房屋进行入户调查的通知",
		abstract: "征收部门将对" + pl.place + "片区征收范围内房屋的权属、区位、用途、建筑面积等情况组织调查登记，请被征收人予以配合。",
		keywords: []string{"入户调查", pl.place}})
	pl.add(doc{typ: "suspension_notice", date: pl.days(t0, 3, 15), issuer: pl.distGov(), number: pl.d.gov + "停字",
		title:    "关于" + pl.place + "片区房屋征收范围内暂停办理相关手续的通知",
		abstract: "自通知之日起，征收范围内暂停办理新建、扩建、改建房屋和改变房屋用途等相关手续，暂停期限最长不超过1年。",
		keywords: []string{"暂停办理", pl.place}})
	survey := pl.days(t0, 30, 60)
	pl.add(doc{typ: "survey_result", date: survey, issuer: pl.office(),
		title:    p.Name + "房屋调查登记结果公示",
		abstract: fmt.Sprintf("本次共调查登记被征收房屋%d户，总建筑面积%.2f平方米，现予公示。", n, area),
		keywords: []string{"调查登记", "公示"}})
	if r.IntN(3) > 0 {
		pl.add(doc{typ: "unregistered_finding", date: pl.days(survey, 10, 30), issuer: pl.distGov(),
			title:    p.Name + "未经登记建筑调查认定处理结果",
			abstract: fmt.Sprintf("对征收范围内%d处未经登记建筑进行调查、认定和处理，认定为合法建筑的给予补偿。", 1+r.IntN(40)),
			keywords: []string{"未经登记建筑", "认定"}})
	}
	plan := pl.days(survey, 20, 50)
	pl.add(doc{typ: "plan_draft", date: plan, issuer: pl.distGov(),
		title:    p.Name + "国有土地上房屋征收补偿方案（征求意见稿）",
		abstract: fmt.Sprintf("补偿方式包括货币补偿和房屋产权调换，评估时点为征收决定公告之日，征求意见期限不少于30日。被征收房屋%d户。", n),
		keywords: []string{"征收补偿方案", "征求意见", "产权调换"}})
	pl.add(doc{typ: "plan_feedback", date: pl.days(plan, 32, 50), issuer: pl.distGov(),
		title:    p.Name + "征收补偿方案征求意见情况及修改情况的公告",
		abstract: fmt.Sprintf("征求意见期间共收到意见%d条，根据公众意见对补偿方案作了修改。", 3+r.IntN(120)),
		keywords: []string{"征求意见", "修改情况"}})
	if strings.Contains(pl.kind, "旧城区") || r.IntN(5) == 0 {
		h := pl.days(plan, 35, 55)
		pl.add(doc{typ: "hearing", date: h, issuer: pl.distGov(),
			title:    p.Name + "征收补偿方案听证会公告",
			abstract: "因多数被征收人认为补偿方案不符合条例规定，定于近期组织召开听证会。",
			keywords: []string{"听证"}})
		pl.add(doc{typ: "hearing", date: pl.days(h, 7, 15), issuer: pl.distGov(), closed: true,
			title:    p.Name + "征收补偿方案听证会记录",
			abstract: "听证会记录，载明出席人员及其陈述意见。",
			keywords: []string{"听证", "记录"}})
	}
	pl.add(doc{typ: "risk_assessment", date: pl.days(plan, 15, 40), issuer: pl.distGov(),
		title:    p.Name + "社会稳定风险评估报告",
		abstract: "对房屋征收可能引发的社会稳定风险进行评估，风险等级为" + oneOf(r, "低", "低", "中") + "。",
		keywords: []string{"社会稳定风险评估"}})
	pl.add(doc{typ: "funding_proof", date: pl.days(plan, 30, 55), issuer: pl.c.name + "财政局",
		title:    p.Name + "征收补偿资金足额到位专户存储证明",
		abstract: "征收补偿费用" + money(total) + "已足额到位并专户存储、专款专用。",
		keywords: []string{"补偿资金", "专户存储"}})
	// The decision after the comment period of at least 30 days; a few come too early.
	decision := pl.days(plan, 31, 80)
	if r.IntN(40) == 0 {
		decision = pl.days(plan, 10, 28)
	}
	pl.add(doc{typ: "decision", date: decision, issuer: pl.distGov(), number: pl.d.gov + "征字",
		title:    pl.distGov() + "关于" + pl.place + "片区国有土地上房屋征收的决定",
		abstract: fmt.Sprintf("为了%s，决定对%s片区国有土地上房屋实施征收，被征收人%d户。被征收人对征收决定不服的，可以依法申请行政复议，也可以依法提起行政诉讼。", oneOf(pl.r, "改善居民居住条件", "实施城市规划", "推进棚户区改造", "完善基础设施"), pl.place, n),
		keywords: []string{"征收决定", pl.place, "行政复议"}})
	pl.add(doc{typ: "subsidy_policy", date: pl.days(decision, 0, 5), issuer: pl.distGov(),
		title:    p.Name + "房屋征收补助和奖励办法",
		abstract: "对在签约期限内签订补偿协议并搬迁的被征收人给予搬迁补助、临时安置补助和签约奖励。",
		keywords: []string{"补助", "奖励", "搬迁"}})
	pl.add(doc{typ: "appraiser_selection", date: pl.days(decision, 5, 20), issuer: pl.office(),
		title:    p.Name + "房地产价格评估机构选定结果公告",
		abstract: "经被征收人协商选定（或投票、抽签确定）" + pl.appraise + "为本项目房地产价格评估机构。",
		keywords: []string{"评估机构", "选定"}})
	batches := 1 + n/150
	for b := 1; b <= batches; b++ {
		pl.add(doc{typ: "appraisal_preliminary", date: pl.days(decision, 25, 40), issuer: pl.appraise,
			title:    fmt.Sprintf("%s分户初步评估结果公示（第%d批）", p.Name, b),
			abstract: "公示分户初步评估结果，公示期不少于7日，被征收人对评估结果有异议的可以申请复核评估。",
			keywords: []string{"初步评估", "公示"}})
	}
	for k, h := range pl.hh {
		rep := pl.days(decision, 40, 70)
		value := h.area * price * (0.9 + r.Float64()*0.3)
		pl.add(doc{typ: "appraisal_report", date: rep, issuer: pl.appraise, household: h.number,
			title:    fmt.Sprintf("%s片区%s号房屋征收分户评估报告", pl.place, h.number),
			abstract: fmt.Sprintf("被征收人%s，房屋坐落于%s，建筑面积%.2f平方米，评估价值%s。", h.head, h.address, h.area, money(value)),
			keywords: []string{"分户评估", "评估报告"}})
		rc := pl.days(rep, 2, 10)
		if r.IntN(12) == 0 {
			pl.add(doc{typ: "recheck", date: rc, issuer: pl.appraise, household: h.number,
				title:    fmt.Sprintf("关于%s片区%s号房屋评估结果复核申请的答复", pl.place, h.number),
				abstract: fmt.Sprintf("被征收人%s对评估结果申请复核，经复核，%s。", h.head, oneOf(r, "维持原评估结果", "调整评估价值")),
				keywords: []string{"复核", "评估"}})
			if r.IntN(4) == 0 {
				pl.add(doc{typ: "expert_appraisal", date: pl.days(rc, 12, 25), issuer: pl.c.name + "房地产价格评估专家委员会", household: h.number,
					title:    fmt.Sprintf("关于%s片区%s号房屋评估结果的鉴定意见书", pl.place, h.number),
					abstract: "评估专家委员会对复核结果进行鉴定，鉴定意见为" + oneOf(r, "评估程序合法、结果合理", "评估结果需予以调整") + "。",
					keywords: []string{"专家鉴定", "估价"}})
			}
		}
		if r.IntN(13) > 0 {
			how := oneOf(r, "货币补偿", "房屋产权调换", "货币补偿")
			pl.add(doc{typ: "agreement", date: pl.days(rep, 5, 150), issuer: pl.office(), household: h.number,
				title:    fmt.Sprintf("%s房屋征收补偿协议（%s号）", p.Name, h.number),
				abstract: fmt.Sprintf("征收部门与被征收人%s就%s房屋的补偿方式（%s）、补偿金额%s、搬迁期限等事项达成协议。", h.head, h.address, how, money(value*1.15)),
				keywords: []string{"补偿协议", how}})
			continue
		}
		cd := pl.days(rep, 160, 230)
		pl.add(doc{typ: "compensation_decision", date: cd, issuer: pl.distGov(), household: h.number, number: pl.d.gov + "征补字",
			title:    fmt.Sprintf("%s关于%s片区%s号房屋征收补偿决定", pl.distGov(), pl.place, h.number),
			abstract: "征收部门与被征收人在签约期限内未达成补偿协议，依照条例第二十六条作出补偿决定，被征收人不服的，可以依法申请行政复议，也可以依法提起行政诉讼。",
			keywords: []string{"补偿决定"}})
		if k%2 == 0 {
			pl.add(doc{typ: "enforcement", date: pl.days(cd, 90, 180), issuer: pl.c.name + oneOf(r, "南关区", "中级", "朝阳区") + "人民法院", household: h.number, court: true,
				title:    fmt.Sprintf("关于%s片区%s号房屋征收补偿决定的非诉执行裁定书", pl.place, h.number),
				abstract: "被执行人在法定期限内不申请行政复议或者不提起行政诉讼，又不搬迁，依法裁定准予强制执行。",
				keywords: []string{"强制执行", "裁定"}})
		}
	}
	for b := 1; b <= 1+r.IntN(3); b++ {
		pl.add(doc{typ: "household_compensation", date: pl.days(decision, 100, 220), issuer: pl.office(),
			title:    fmt.Sprintf("%s分户补偿情况公布（第%d批）", p.Name, b),
			abstract: "公布分户补偿情况，包括被征收房屋面积、补偿方式和补偿金额，接受被征收人监督。",
			keywords: []string{"分户补偿", "公布"}})
	}
	pl.add(doc{typ: "audit_result", date: pl.days(decision, 250, 420), issuer: pl.c.name + "审计局", number: pl.c.short + "审征字",
		title:    p.Name + "征收补偿费用审计结果公告",
		abstract: "对征收补偿费用管理和使用情况进行审计，补偿资金" + money(total*0.98) + "，" + oneOf(r, "未发现违规问题", "发现问题已整改") + "。",
		keywords: []string{"审计", "补偿费用"}})
	for b := 0; b < 1+r.IntN(2); b++ {
		pl.add(doc{typ: "resettlement_housing", date: pl.days(decision, 20, 120), issuer: pl.office(),
			title:    p.Name + oneOf(r, "产权调换房源信息公告", "回迁安置房源及交付时间公告"),
			abstract: fmt.Sprintf("用于产权调换的安置房位于%s，共%d套，预计交付时间为%d年。", pl.d.name+oneOf(r, placeNames...), n/2+r.IntN(n/2+1), decision.Year+2+r.IntN(2)),
			keywords: []string{"产权调换", "安置房"}})
	}
	if r.IntN(8) == 0 {
		pl.add(doc{typ: "misconduct_record", date: pl.days(decision, 60, 300), issuer: pl.c.name + "住房和城乡建设局",
			title:    "关于" + pl.appraise + "评估活动中不良行为的记录",
			abstract: "该估价机构在" + p.Name + "评估中出具不实估价报告，记入不良行为记录。",
			keywords: []string{"不良行为", "估价机构"}})
	}
	for _, t := range []string{"“五化”工作流程图", "任务分解表", "进度计划表"} {
		if r.IntN(3) > 0 {
			pl.add(doc{typ: "site_chart", date: pl.days(decision, 0, 10), issuer: pl.office(),
				title: p.Name + t, abstract: "征收工作“五化”公开：" + t + "。", keywords: []string{"五化"}})
		}
	}
	for k := 0; k < r.IntN(5); k++ {
		pl.add(doc{typ: "petition", date: pl.days(decision, 10, 300), issuer: pl.bureau(),
			title:    "关于" + pl.place + "片区居民来信反映" + oneOf(r, "补偿标准", "回迁安置", "评估价格", "搬迁期限") + "问题的答复",
			abstract: "对来信反映的问题进行了调查核实，现答复如下。",
			keywords: []string{"信访", "答复"}})
	}
	for q := t0; q.Compare(decision.AddDays(400)) < 0; q = q.AddDays(91) {
		quarter := (int(q.Month)-1)/3 + 1
		pl.add(doc{typ: "quarterly_report", date: q.AddDays(15), issuer: pl.bureau(),
			title:    fmt.Sprintf("%s%d年第%d季度房屋征收统计报表", pl.d.name, q.Year, quarter),
			abstract: "本季度房屋征收项目进展、签约户数和补偿资金使用情况。",
			keywords: []string{"季报", "统计"}})
	}
}

// bracketStyles are the brackets 文号 are filed with: mostly the standard 〔〕,
// some as keyboards give them.
var bracketStyles = [][2]string{{"〔", "〕"}, {"〔", "〕"}, {"〔", "〕"}, {"〔", "〕"}, {"〔", "〕"}, {"〔", "〕"},
	{"[", "]"}, {"（", "）"}, {"(", ")"}, {"［", "］"}}

// finish gives the document its numbers, id and state, in date order.
func (pl *plan) finish(it *Item, k int) {
	d, s, r := it.pending, pl.s, pl.r
	rec := archive.Record{
		Project: pl.p.Code, Type: d.typ, Title: d.title, Issuer: d.issuer, Date: d.date,
		Household: d.household, Abstract: d.abstract, Keywords: d.keywords,
		Format: "pdf", Pages: 1 + r.IntN(30),
	}
	if d.closed {
		rec.Disclosure = archive.Restricted
	}
	switch {
	case d.number != "":
		key := d.number + "|" + fmt.Sprint(d.date.Year)
		s.docSeq[key]++
		b := bracketStyles[r.IntN(len(bracketStyles))]
		rec.DocNumber = fmt.Sprintf("%s%s%d%s%d号", d.number, b[0], d.date.Year, b[1], s.docSeq[key])
	case d.court:
		key := "court|" + fmt.Sprint(d.date.Year)
		s.docSeq[key]++
		rec.DocNumber = fmt.Sprintf("（%d）吉%s行审%d号", d.date.Year, oneOf(r, "0102", "0104", "0202", "0302", "2401"), s.docSeq[key])
	}
	rec = s.g.cat.ApplyDefaults(rec)
	// Most records carry an archival code (档号) of their department's class.
	if r.IntN(10) < 7 {
		class := fmt.Sprintf("%s-WS·%d-%s-%s", pl.c.fonds, d.date.Year, rec.Retention, pl.d.dept)
		s.itemSeq[class]++
		if item := s.itemSeq[class]; item <= 9999 {
			rec.ArchivalCode = fmt.Sprintf("%s-%04d", class, item)
		}
	}
	it.Content = []byte(fmt.Sprintf("gongshi synthetic document\nseed %d\nproject %d %s\ndocument %d\n%s\n",
		s.g.seed, s.projects, pl.p.Code, k, d.title))
	it.Record = rec
	it.Record.FileName = fmt.Sprintf("%s-%s.pdf", pl.p.Code, d.typ)
	dg := archive.NewDigester()
	dg.Write(it.Content)
	it.Record.Content = dg.Sum()
	id, err := archive.RecordID(it.Record)
	if err != nil {
		panic("synth: " + err.Error()) // every field is generated valid
	}
	it.Record.ID, it.Record.Version = id, 1
	filed := pl.s.g.now
	if at := d.date.AddDays(1 + r.IntN(20)); at.Compare(pl.s.g.today) < 0 {
		filed = chinaMorning(at, r.IntN(9*60))
	}
	it.Record.FiledAt = filed
	it.Project = pl.p
	it.State = pl.state(rec)
	if it.State.Publication != archive.NotPublished {
		// Published a few days after filing (a withdrawn record was published first).
		at := filed.Add(time.Duration(1+r.IntN(5*24)) * time.Hour)
		if at.After(pl.s.g.now) {
			at = pl.s.g.now
		}
		it.State.FirstPublishedAt = at
		if it.State.Publication == archive.Published {
			it.State.PublishedAt = at
		}
	}
	it.pending = doc{}
}

// state: public, area and on-request records are published some days after they
// were filed — all but those of the last weeks, and one in a hundred was withdrawn.
func (pl *plan) state(rec archive.Record) archive.RecordState {
	switch rec.Disclosure {
	case archive.Public, archive.Area, archive.OnRequest:
	default:
		return archive.RecordState{}
	}
	age := pl.s.g.today.AddDays(-20).Compare(rec.Date) // < 0: of the last 20 days
	switch x := pl.r.IntN(100); {
	case age < 0 && x < 50:
		return archive.RecordState{}
	case x == 0:
		return archive.RecordState{Publication: archive.Withdrawn}
	case x < 4:
		return archive.RecordState{}
	}
	return archive.RecordState{Publication: archive.Published}
}

// chinaMorning is minutes after 08:30 in China on day d.
func chinaMorning(d archive.Date, minutes int) time.Time {
	return time.Date(d.Year, d.Month, d.Day, 0, 30+minutes, 0, 0, time.UTC) // 08:30 CST is 00:30 UTC
}
