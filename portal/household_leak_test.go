package portal

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/gongshi-archive/gongshi/archive"
	"github.com/gongshi-archive/gongshi/households"
	"github.com/gongshi-archive/gongshi/requests"
	"github.com/gongshi-archive/gongshi/search"
)

// The households' leak test. Two households of one project, A (0001) and B
// (0002), with canaries in every private and masked column of the register and
// of three tables, in the free-text 备注, in the titles, abstracts, keywords and
// files of their own records and in B's objection clock; a disclosure request
// with canaries in the requester's name, contact and subject. Logged in as A,
// every page, API answer, feed, search, download and error page is walked (both
// languages, HTML and JSON), and nothing of B may appear, nor any private column
// of A; walked as the public, no personal column at all — not even masked — and
// no requester's data; the request log and the metrics likewise. The walk runs
// over the search package's index, as gongshi serve does, so search applies the
// same rules.

func TestHouseholdsLeak(t *testing.T) {
	f := newHHFixture(t)
	// Household data with canaries: the fixture's register has them in 户主,
	// 房屋坐落 (masked), 身份证号, 联系电话, 备注 (private).
	privA := []string{"220102195001011111", "13900000111", "CANARYNOTEA", "13911112222"}
	privB := []string{"220102196002022222", "13900000222", "CANARYNOTEB"}
	maskedA := []string{"CANARYHEADA", "CANARYADDRA"}
	maskedB := []string{"CANARYHEADB", "CANARYADDRB"}

	var recsA, recsB []archive.Record
	var bContent []string
	for _, hh := range []string{"0001", "0002"} {
		tag := "CANARY" + map[string]string{"0001": "A", "0002": "B"}[hh]
		for _, typ := range []string{"appraisal_report", "agreement", "recheck", "expert_appraisal"} {
			r := f.file(archive.Record{Project: hhProject, Type: typ, Household: hh, Title: tag + typ + "标题",
				Abstract: tag + typ + "摘要", Keywords: []string{tag + typ + "词"}}, tag+typ+" file bytes")
			if hh == "0001" {
				recsA = append(recsA, r)
			} else {
				recsB = append(recsB, r)
				bContent = append(bContent, r.Title, r.Abstract, r.Keywords[0], tag+typ+" file bytes", r.Content.SHA256.String(), r.ID)
			}
		}
	}
	// B's objection clock: delivered and asked; A's: delivered only.
	for _, s := range []struct {
		hh   string
		kind households.StepKind
		rec  archive.Record
	}{{"0001", households.StepReportDelivered, recsA[0]}, {"0002", households.StepReportDelivered, recsB[0]}, {"0002", households.StepRecheckRequested, recsB[2]}} {
		if _, err := f.hs.RecordStep(f.ctx, hhProject, s.hh, households.Step{Kind: s.kind, Day: archive.D(2026, 12, 1), Record: s.rec.ID}, archive.ActorCLI, ""); err != nil {
			t.Fatal(err)
		}
	}
	// Three tables, published, in and out of their windows.
	tableCSV := "户号,户主,房屋坐落,建筑面积,补偿金额（元）,银行账号,备注\n" +
		"0001,张甲CANARYHEADA,东天街88号5栋CANARYADDRA,86.5,709300,6222CANARYACCTA,CANARYNOTEA\n" +
		"0002,李乙CANARYHEADB,东天街88号6栋CANARYADDRB,64.2,523230,6222CANARYACCTB,CANARYNOTEB\n" +
		"0003,王丙,东天街90号,120,948000,6222000,\n"
	privA = append(privA, "6222CANARYACCTA")
	privB = append(privB, "6222CANARYACCTB")
	var tables []archive.Record
	for _, typ := range []string{"survey_result", "appraisal_preliminary", "household_compensation"} {
		r := f.file(archive.Record{Project: hhProject, Type: typ, Title: typ + "公示"}, typ+" pdf")
		if _, err := f.hs.AttachTable(f.ctx, r.ID, []byte(tableCSV), households.TableOptions{From: archive.D(2026, 12, 1),
			Policy: households.Policy{Public: []string{"补偿金额（元）"}}}, archive.ActorCLI, ""); err != nil {
			t.Fatal(err)
		}
		tables = append(tables, r)
	}
	public := f.file(archive.Record{Project: hhProject, Type: "decision", Title: "征收决定"}, "decision pdf")
	f.publish(append([]archive.Record{public}, tables...)...)
	// A disclosure request, with canaries in what the requester wrote.
	tk, secret, err := f.rs.Submit(f.ctx, requests.Form{Requester: requests.Requester{Name: "CANARYREQNAME", Org: "CANARYREQORG",
		Contact: "CANARYREQPHONE", Address: "CANARYREQADDR"}, Subject: "CANARYREQSUBJECT 请公开", Project: hhProject})
	if err != nil {
		t.Fatal(err)
	}
	requester := []string{"CANARYREQNAME", "CANARYREQORG", "CANARYREQPHONE", "CANARYREQADDR", "CANARYREQSUBJECT"}
	// A second request, answered with a grant of an on-request record and a
	// note: its link and the file it releases are walked too, and neither
	// requester appears on the other's link (nor on its own).
	risk := f.file(archive.Record{Project: hhProject, Type: "risk_assessment", Title: "社会稳定风险评估报告"}, "risk pdf")
	f.publish(risk)
	tk2, secret2, err := f.rs.Submit(f.ctx, requests.Form{Requester: requests.Requester{Name: "CANARYREQ2NAME", Org: "CANARYREQ2ORG",
		Contact: "CANARYREQ2MAIL@example.cn", Address: "CANARYREQ2ADDR"}, Subject: "CANARYREQ2SUBJECT 请公开风险评估", Records: []string{risk.ID}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.rs.AnswerRequest(f.ctx, tk2.ID, requests.Answer{Outcome: requests.Granted, Records: []string{risk.ID},
		Note: "请点击下载", Day: archive.D(2026, 12, 1)}, archive.AccountActor("u-archivist")); err != nil {
		t.Fatal(err)
	}
	requester = append(requester, "CANARYREQ2NAME", "CANARYREQ2ORG", "CANARYREQ2MAIL", "CANARYREQ2ADDR", "CANARYREQ2SUBJECT")

	// The index of gongshi serve: the search package's, over the archive's state.
	ix, err := search.Open(f.ctx, search.Options{Dir: t.TempDir(), Now: f.clock.now, Source: search.ArchiveSource(f.arch, f.led, nil)})
	if err != nil {
		t.Fatal(err)
	}
	defer ix.Close()
	if err := ix.CatchUp(f.ctx); err != nil {
		t.Fatal(err)
	}
	f.srv.opts.Index = NewSearchIndex(ix, f.arch.Catalogue(), f.arch.RecordState, f.clock.now)

	// Every address a visitor can reach.
	var ids []string
	for _, r := range append(append(append(recsA, recsB...), tables...), public, risk) {
		ids = append(ids, r.ID)
	}
	paths := []string{"/", "/projects/" + hhProject, "/search", "/search?q=CANARY", "/search?q=标题", "/search?q=0002",
		"/search?project=" + hhProject, "/search?type=appraisal_report", "/search?type=agreement", "/feeds/all.atom",
		"/feeds/projects/" + hhProject + ".atom", "/sitemap.xml", "/verify", "/ledger/checkpoint", "/no/such/page",
		"/household", "/requests/new", "/disclosure", "/disclosure/catalogue", "/disclosure/catalogue/" + hhProject,
		"/disclosure/report/2026", "/requests/" + tk.ID + "/wrongwrongwrongwrong", "/healthz", "/readyz",
		"/api/v1/whoami", "/api/v1/projects", "/api/v1/projects/" + hhProject, "/api/v1/search?q=CANARY",
		"/api/v1/search?project=" + hhProject, "/api/v1/search?q=0002", "/api/v1/search?type=appraisal_report&limit=100",
		ticketPath(tk.ID, secret), ticketPath(tk2.ID, secret2), ticketPath(tk2.ID, secret2) + "/records/" + risk.ID + "/file",
		ticketPath(tk.ID, secret) + "/records/" + risk.ID + "/file", "/requests/" + tk2.ID + "/" + secret}
	for _, id := range ids {
		paths = append(paths, "/records/"+id, "/records/"+id+"/file", "/records/"+id+"/receipt", "/records/"+id+"/table",
			"/records/"+id+"/table.csv", "/requests/new?record="+id,
			"/api/v1/records/"+id, "/api/v1/records/"+id+"/file", "/api/v1/records/"+id+"/receipt")
	}
	for _, c := range append(append(append(maskedB, privB...), bContent...), requester...) {
		paths = append(paths, "/search?q="+url.QueryEscape(c), "/api/v1/search?q="+url.QueryEscape(c))
	}
	for _, r := range recsB {
		paths = append(paths, "/verify/sha256/"+r.Content.SHA256.String(), "/api/v1/verify/sha256/"+r.Content.SHA256.String())
	}
	walk := func(b *browser) []string {
		var answers []string
		for _, p := range paths {
			for _, lang := range []string{"", "/en"} {
				path := lang + p
				if strings.HasPrefix(p, "/feeds") || strings.HasPrefix(p, "/ledger") || strings.HasPrefix(p, "/verify/sha256") || p == "/sitemap.xml" || strings.HasPrefix(p, "/health") || strings.HasPrefix(p, "/ready") || strings.HasPrefix(p, "/api/") {
					if lang != "" {
						continue
					}
				}
				for _, accept := range []string{"", "application/json"} {
					req := httptest.NewRequest(http.MethodGet, path, nil)
					if accept != "" {
						req.Header.Set("Accept", accept)
					}
					w := b.send(req)
					if w.Code >= 500 {
						t.Errorf("GET %s: %d", path, w.Code)
					}
					answers = append(answers, "GET "+path+"\n"+stripEcho(path, w.Body.String()))
				}
			}
		}
		w := b.get("/metrics")
		answers = append(answers, "GET /metrics\n"+w.Body.String())
		return answers
	}

	// As household A.
	a := f.browser("192.0.2.1")
	if w := a.login("0001", f.codes["0001"]); w.Code != http.StatusSeeOther {
		t.Fatalf("login: %d", w.Code)
	}
	answers := walk(a)
	answers = append(answers, "the request log\n"+f.log.String())
	for _, never := range append(append(append(maskedB, privB...), append(bContent, privA...)...), requester...) {
		if where := whereBody(answers, never); where != "" {
			t.Errorf("household A sees %q in %s", never, where)
		}
	}
	// What A may see is there (the walk reached the pages that show it).
	for _, want := range append(append([]string{}, maskedA...), recsA[0].Title, recsA[0].Abstract, "李*", "东天街88号6栋*", "709300") {
		if whereBody(answers, want) == "" {
			t.Errorf("household A never sees %q: the walk missed its page", want)
		}
	}

	// The API answers the household as the pages do: its own record is there.
	apiOwn := false
	for _, a := range answers {
		if strings.HasPrefix(a, "GET /api/v1/records/"+recsA[0].ID+"\n") && strings.Contains(a, recsA[0].Title) {
			apiOwn = true
		}
	}
	if !apiOwn {
		t.Error("the API never shows household A its own record: the walk missed it")
	}

	// As the public.
	pub := f.browser("198.51.100.1")
	answers = walk(pub)
	answers = append(answers, "the request log\n"+f.log.String())
	for _, never := range append(append(append(append(maskedA, maskedB...), append(privA, privB...)...), bContent...), requester...) {
		if where := whereBody(answers, never); where != "" {
			t.Errorf("the public sees %q in %s", never, where)
		}
	}
	for _, never := range []string{"张*", "李*", "东天街88号5栋", "东天街88号6栋", recsA[0].Title, tables[0].Title} {
		if where := whereBody(answers, never); where != "" {
			t.Errorf("the public sees the personal or area value %q in %s", never, where)
		}
	}
	if whereBody(answers, "2180530.00") == "" {
		t.Error("the public never sees the tables' figures: the walk missed them")
	}
	// The walk reached the answered ticket's page and its file (behind its link only).
	granted, elsewhere := 0, 0
	for _, a := range answers {
		if strings.HasSuffix(a, "\nrisk pdf") {
			if strings.HasPrefix(a, "GET "+ticketPath(tk2.ID, secret2)+"/records/") {
				granted++
			} else {
				elsewhere++
			}
		}
	}
	if granted == 0 || elsewhere != 0 || whereBody(answers, "请点击下载") == "" {
		t.Errorf("the granted file: %d answers behind its ticket's link, %d elsewhere; the answer's note seen: %v", granted, elsewhere, whereBody(answers, "请点击下载") != "")
	}
	// The ticket's own link shows its state, and nothing of the requester either.
	w := f.get(ticketPath(tk.ID, secret))
	for _, never := range requester {
		if strings.Contains(w.Body.String(), never) {
			t.Errorf("the ticket's page shows %q", never)
		}
	}
}

// stripEcho takes out of a body what the request itself sent (its path
// segments and query values, which pages echo in the search box and the
// language toggle): those are the visitor's words, not the archive's.
func stripEcho(target, body string) string {
	u, err := url.Parse(target)
	if err != nil {
		return body
	}
	for _, seg := range strings.Split(u.Path, "/") {
		if len(seg) > 3 {
			body = strings.ReplaceAll(body, seg, "")
		}
	}
	for _, vs := range u.Query() {
		for _, v := range vs {
			body = strings.ReplaceAll(body, v, "")
			body = strings.ReplaceAll(body, url.QueryEscape(v), "")
		}
	}
	return body
}
