package portal

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/gongshi-archive/gongshi/archive"
	"github.com/gongshi-archive/gongshi/internal/testenv"
	"github.com/gongshi-archive/gongshi/requests"
)

// Disclosure on request in a real browser: a visitor asks for an on-request
// record with the form, the archivist logs in and grants it from the ticket's
// page, the visitor opens the ticket's link and downloads the record there.
// Then the staff list, a ticket's page (with its forms, and with a refused
// form's problems) and the requester's answered page at a phone's width and a
// desktop's, in Chinese and English: screenshots, no sideways scrolling,
// axe-core clean.
func TestRequestBrowser(t *testing.T) {
	testenv.Chromium(t)
	f := newSRFixture(t)
	risk := f.file(archive.Record{Project: "CC-2026-001", Type: "risk_assessment", Title: "东天街片区社会稳定风险评估报告",
		Date: archive.D(2026, 3, 1)}, "%PDF-1.7 risk assessment")
	if _, err := f.arch.Publish(f.ctx, risk.ID, archive.ActorCLI, ""); err != nil {
		t.Fatal(err)
	}
	f.refresh()
	srv := httptest.NewServer(f.srv)
	defer srv.Close()
	fctx, stop := context.WithCancel(context.Background())
	defer stop()
	go f.idx.Follow(fctx, 20*time.Millisecond)
	// A second ticket, unanswered, for the pages with forms.
	open, _, err := f.rs.Submit(f.ctx, requests.Form{Requester: requests.Requester{Name: "王女士", Contact: "13800002222"},
		Subject: "请公开东天街片区征收补偿方案的论证材料，以及社会稳定风险评估报告全文。", Records: []string{risk.ID}})
	if err != nil {
		t.Fatal(err)
	}
	var link string

	t.Run("ask, grant, download", func(t *testing.T) {
		b := newBrowser(t, srv.URL)
		err := chromedp.Do(b.ctx, chromedp.EmulateViewport(390, 860), chromedp.Navigate(srv.URL+"/requests/new?record="+risk.ID),
			chromedp.SendKeys("#rq-subject", "请公开东天街片区社会稳定风险评估报告"), chromedp.SendKeys("#rq-name", "张先生"),
			chromedp.SendKeys("#rq-contact", "13800001111"), chromedp.Submit("#rq-contact"), chromedp.WaitVisible("a.ticket-link"))
		if err != nil {
			t.Fatal(err)
		}
		link, _ = chromedp.Run(b.ctx, chromedp.Text("a.ticket-link"))
		link = strings.TrimPrefix(strings.TrimSpace(link), srv.URL)
		id := strings.Split(strings.TrimPrefix(link, "/requests/"), "/")[0]
		if !strings.HasPrefix(link, "/requests/") || id == "" {
			t.Fatalf("the ticket's link: %q", link)
		}
		b.login("archivist", f.pw["archivist"])
		err = chromedp.Do(b.ctx, chromedp.EmulateViewport(1280, 900), chromedp.Navigate(srv.URL+"/staff/requests"),
			chromedp.Click(`a[href="/staff/requests/`+id+`"]`), chromedp.WaitVisible("#h-answer"),
			chromedp.Click(`input[name="outcome"][value="granted"]`), chromedp.Click(`input[name="record"][value="`+risk.ID+`"]`),
			chromedp.SendKeys("#a-note", "请点击下面的链接下载。"), chromedp.Submit("#a-note"), chromedp.WaitVisible(".notice.good"))
		if err != nil {
			t.Fatal(err)
		}
		if got, _ := chromedp.Run(b.ctx, chromedp.Text("main")); !strings.Contains(got, "答复已保存") || !strings.Contains(got, "予以公开") {
			t.Fatalf("after the answer: %q", got)
		}
		b.logout()
		// The visitor opens the link and downloads the record (the page's own
		// link, fetched as the browser would).
		err = chromedp.Do(b.ctx, chromedp.Navigate(srv.URL+link), chromedp.WaitVisible(`a[download]`))
		if err != nil {
			t.Fatal(err)
		}
		body, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](`fetch(document.querySelector('a[download]').href).then(r => r.status + ' ' + r.headers.get('content-type') + ' ' + r.statusText).then(s => s)`, chromedp.EvalAwaitPromise))
		if err != nil || !strings.HasPrefix(body, "200 application/pdf") {
			t.Fatalf("downloading the granted record: %q %v", body, err)
		}
		text, _ := chromedp.Run(b.ctx, chromedp.Evaluate[string](`fetch(document.querySelector('a[download]').href).then(r => r.text())`, chromedp.EvalAwaitPromise))
		if text != "%PDF-1.7 risk assessment" {
			t.Fatalf("the file downloaded: %q", text)
		}
		// The same record's public address stays closed.
		pub, _ := chromedp.Run(b.ctx, chromedp.Evaluate[int](`fetch('/records/`+risk.ID+`/file').then(r => r.status)`, chromedp.EvalAwaitPromise))
		if pub != 404 {
			t.Fatalf("the public address of the granted record: %d", pub)
		}
	})
	if link == "" {
		t.FailNow()
	}

	t.Run("pages", func(t *testing.T) {
		b := newBrowser(t, srv.URL)
		b.shoot("request-answered", link)
		b.login("archivist", f.pw["archivist"])
		b.shoot("staff-requests", "/staff/requests?show=all")
		b.shoot("staff-request", "/staff/requests/"+open.ID)
		b.shoot("staff-request-answered", "/staff/requests/"+strings.Split(strings.TrimPrefix(link, "/requests/"), "/")[0])
		// A refused answer: the problems, listed at the top of the page.
		err := chromedp.Do(b.ctx, chromedp.EmulateViewport(390, 860), chromedp.Navigate(srv.URL+"/staff/requests/"+open.ID),
			chromedp.Click(`input[name="outcome"][value="refused"]`), chromedp.Click(`input[name="record"][value="`+risk.ID+`"]`),
			chromedp.Submit("#a-note"), chromedp.WaitVisible(".notice.bad"))
		if err != nil {
			t.Fatal(err)
		}
		b.screenshot("staff-request-problems-zh-390")
		b.check("a refused answer at 390 px")
	})
}
