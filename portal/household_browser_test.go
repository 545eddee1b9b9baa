package portal

import (
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/gongshi-archive/gongshi/archive"
	"github.com/gongshi-archive/gongshi/households"
	"github.com/gongshi-archive/gongshi/internal/testenv"
	"github.com/gongshi-archive/gongshi/requests"
)

// The residents' flow in a real browser: a household chooses its project,
// types its number and its code (in lower case, as people do), and sees its own
// appraisal report and its re-check clock with the days left; then its pages,
// the project's table and the disclosure pages, at a phone's and a desktop's
// width in both languages: screenshots, no sideways scrolling, axe-core clean.
// Two browsers, each with its own time budget: the household's and a visitor's.
func TestHouseholdBrowser(t *testing.T) {
	testenv.Chromium(t) // before the fixture: skipped (or failed in CI) at once
	f := newHHFixture(t)
	report := f.file(archive.Record{Project: hhProject, Type: "appraisal_report", Title: "0001号房屋分户评估报告", Household: "0001",
		Issuer: "吉林省正衡房地产估价有限公司", Date: archive.D(2026, 11, 30)}, "%PDF report A")
	decision := f.file(archive.Record{Project: hhProject, Type: "decision", Title: "关于东天街片区房屋征收的决定", Date: archive.D(2026, 3, 18)}, "%PDF decision")
	table, _ := f.appraisalTable()
	f.publish(decision)
	f.clock.t = time.Date(2026, 12, 3, 2, 0, 0, 0, time.UTC)
	if _, err := f.hs.RecordStep(f.ctx, hhProject, "0001", households.Step{Kind: households.StepReportDelivered, Day: archive.D(2026, 12, 1), Record: report.ID}, archive.ActorCLI, ""); err != nil {
		t.Fatal(err)
	}
	tk, secret, err := f.rs.Submit(f.ctx, requests.Form{Requester: requests.Requester{Name: "王五", Contact: "13900000000"},
		Subject: "请公开东天街片区补偿资金审计结果", Project: hhProject})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(f.srv)
	defer srv.Close()

	t.Run("resident", func(t *testing.T) {
		b := newBrowser(t, srv.URL)
		ctx := b.ctx
		b.householdLogin(hhProject, "0001", strings.ToLower(households.FormatCode(f.codes["0001"])))
		days, err := chromedp.Run(ctx, chromedp.Text(".clock-days"))
		if err != nil || !strings.Contains(days, "还剩 8 天") {
			t.Errorf("the clock says %q (%v), want 还剩 8 天", days, err)
		}
		body, err := chromedp.Run(ctx, chromedp.Text("main"))
		if err != nil || !strings.Contains(body, report.Title) || !strings.Contains(body, decision.Title) {
			t.Errorf("the household's page lacks its report or the project's decision (%v):\n%s", err, body)
		}
		// Its own report opens.
		if err := chromedp.Do(ctx, chromedp.Click(`a[href="/records/`+report.ID+`"]`), chromedp.WaitVisible("h1")); err != nil {
			t.Fatalf("opening the report: %v", err)
		}
		if h1, _ := chromedp.Run(ctx, chromedp.Text("h1")); !strings.Contains(h1, report.Title) {
			t.Errorf("the report's page is %q", h1)
		}
		for name, path := range map[string]string{"household-home": "/household", "household-report": "/records/" + report.ID,
			"household-table": "/records/" + table.ID + "/table"} {
			b.shoot(name, path)
		}
		// Logged out, the login form in both languages.
		b.householdLogout()
		b.shoot("household-login", "/household")
	})

	t.Run("visitor", func(t *testing.T) {
		b := newBrowser(t, srv.URL)
		for name, path := range map[string]string{"request-new": "/requests/new", "request-ticket": ticketPath(tk.ID, secret),
			"disclosure-guide": "/disclosure", "disclosure-catalogue": "/disclosure/catalogue/" + hhProject, "disclosure-report": "/disclosure/report/2026", "table-public": "/records/" + table.ID + "/table"} {
			b.shoot(name, path)
		}
	})
}
