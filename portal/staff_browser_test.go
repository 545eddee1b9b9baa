package portal

import (
	"context"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/gongshi-archive/gongshi/archive"
	"github.com/gongshi-archive/gongshi/internal/testenv"
)

// The staff pages in a real browser: an archivist logs in, files a document
// with the form (the file chosen in the page), publishes it once filed, logs
// out, and finds it as the public in search and in the feed. Then every staff
// page, as the roles that use it, at a phone's width and a desktop's, in Chinese
// and English: saved as screenshots, no sideways scrolling, axe-core's WCAG 2.1
// A/AA checks clean.
func TestStaffBrowser(t *testing.T) {
	testenv.Chromium(t) // before the fixture: skipped (or failed in CI) at once
	sf := newStaffFixture(t)
	rec := sf.file(archive.Record{Project: "CC-2026-001", Type: "decision", Title: "关于东天街片区房屋征收的决定",
		Date: archive.D(2026, 3, 18), Abstract: "决定对东天街片区实施征收。"}, "%PDF-1.7 decision")
	sf.refresh()
	srv := httptest.NewServer(sf.srv)
	defer srv.Close()
	fctx, stop := context.WithCancel(context.Background())
	defer stop()
	go sf.idx.Follow(fctx, 20*time.Millisecond) // as gongshi serve follows the ledger
	dir := t.TempDir()
	doc := filepath.Join(dir, "搬迁奖励和补助办法.pdf")
	if err := os.WriteFile(doc, sf.signedPDF("搬迁奖励和补助办法"), 0o644); err != nil {
		t.Fatal(err)
	}

	t.Run("file, publish, find", func(t *testing.T) {
		b := newBrowser(t, srv.URL)
		ctx := b.ctx
		b.login("archivist", sf.pw["archivist"])
		title := "东天街片区搬迁奖励和补助办法"
		err := chromedp.Do(ctx, chromedp.Navigate(srv.URL+"/staff/file"),
			chromedp.SetValue("#f-project", "CC-2026-001"), chromedp.SetValue("#f-type", "subsidy_policy"),
			chromedp.SendKeys("#f-title", title), chromedp.SendKeys("#f-issuer", "长春市南关区人民政府"),
			chromedp.SetValue("#f-date", "2026-11-20"), chromedp.Click("#f-publish"),
			chromedp.SetUploadFiles("#f-file", []string{doc}),
			chromedp.Click(`form.staff-form button[type="submit"]`), chromedp.WaitVisible("#outcome"))
		if err != nil {
			t.Fatal(err)
		}
		got, _ := chromedp.Run(ctx, chromedp.Text(".result"))
		if !strings.Contains(got, "已归档") || !strings.Contains(got, "电子签名有效") || !strings.Contains(got, "四性检测报告") {
			t.Fatalf("the filing's page: %q", got)
		}
		b.screenshot("staff-file-result-zh-1280")
		b.logout()
		// The public finds it, once the index has read the publication.
		var found string
		for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
			if err := chromedp.Do(ctx, chromedp.Navigate(srv.URL+"/search?q=搬迁奖励")); err != nil {
				t.Fatal(err)
			}
			found, _ = chromedp.Run(ctx, chromedp.Text("main"))
			if strings.Contains(found, title) {
				break
			}
		}
		if !strings.Contains(found, title) {
			t.Fatalf("the public search does not find the published document: %q", found)
		}
		if err := chromedp.Do(ctx, chromedp.Navigate(srv.URL+"/feeds/all.atom")); err != nil {
			t.Fatal(err)
		}
		feed, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.documentElement.outerHTML`))
		if !strings.Contains(feed, title) {
			t.Fatalf("the feed lacks the published document")
		}
	})

	// Every staff page, as the role that uses it.
	acct := func(login string) string {
		a, _ := sf.svc.AccountByLogin(sf.ctx, login)
		return a.ID
	}
	views := []struct{ name, who, path string }{
		{"staff-login", "", "/staff/login"},
		{"staff-home", "archivist", "/staff/"},
		{"staff-file", "archivist", "/staff/file"},
		{"staff-batch", "archivist", "/staff/batch"},
		{"staff-records", "archivist", "/staff/records"},
		{"staff-record", "archivist", "/staff/records/" + rec.ID},
		{"staff-correct", "archivist", "/staff/records/" + rec.ID + "/correct"},
		{"staff-tokens", "archivist", "/staff/tokens"},
		{"staff-password", "archivist", "/staff/password"},
		{"staff-audit", "inspector", "/staff/audit"},
		{"staff-activity", "auditor", "/staff/activity"},
		{"staff-accounts", "sysadmin", "/staff/accounts"},
		{"staff-account", "officer", "/staff/accounts/" + acct("archivist")},
	}
	// One browser per role (each with its own time budget: 50 pages in one
	// browser outran it on a loaded machine), logged in once.
	var roles []string
	byRole := map[string][]int{}
	for i, v := range views {
		if _, ok := byRole[v.who]; !ok {
			roles = append(roles, v.who)
		}
		byRole[v.who] = append(byRole[v.who], i)
	}
	for _, who := range roles {
		name := who
		if name == "" {
			name = "visitor"
		}
		t.Run("pages as "+name, func(t *testing.T) {
			b := newBrowser(t, srv.URL)
			if who != "" {
				b.login(who, sf.pw[who])
			}
			for _, i := range byRole[who] {
				b.shoot(views[i].name, views[i].path)
			}
		})
	}
}
