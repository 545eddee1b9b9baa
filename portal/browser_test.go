package portal

import (
	"fmt"
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

// The browser suite: the main pages in headless Chromium at a phone's width
// (390 px) and a desktop's (1280 px), in Chinese and English, each checked by
// axe-core for WCAG 2.1 A and AA (zero violations) and saved as a screenshot in
// the artifacts directory; then what a resident does: search in Chinese, open a
// document, verify a file whose hash the page computes (nothing uploaded).

// demoSite fills f with a small but realistic archive and returns the ids of a
// few records.
func demoSite(f *fixture) (decision, plan archive.Record) {
	f.project("CC-2026-001", "南关区东天街片区旧城区改建项目", "长春市", "南关区")
	f.project("JL-2026-003", "船营区站前片区棚户区改造项目", "吉林市", "船营区")
	f.project("YJ-2026-002", "延吉市河南街道老旧小区改造项目", "延边朝鲜族自治州", "延吉市")
	f.file(archive.Record{Project: "CC-2026-001", Type: "policy", Title: "长春市国有土地上房屋征收与补偿办法", Date: archive.D(2026, 1, 8), Issuer: "长春市人民政府"}, "policy")
	f.file(archive.Record{Project: "CC-2026-001", Type: "suspension_notice", Title: "关于在东天街片区暂停办理相关手续的通知", Date: archive.D(2026, 2, 3)}, "suspend")
	plan = f.file(archive.Record{Project: "CC-2026-001", Type: "plan_draft", Title: "东天街片区房屋征收补偿方案（征求意见稿）", Date: archive.D(2026, 11, 16),
		Abstract: "本方案征求意见期为30日，被征收人可以书面或者到现场提出意见。"}, "plan")
	decision = f.file(archive.Record{Project: "JL-2026-003", Type: "decision", Title: "关于站前片区房屋征收的决定", Date: archive.D(2026, 6, 18), Issuer: "吉林市船营区人民政府"}, "%PDF-1.7 decision of the demo")
	f.file(archive.Record{Project: "JL-2026-003", Type: "plan_draft", Title: "站前片区房屋征收补偿方案（征求意见稿）", Date: archive.D(2026, 4, 2)}, "plan2")
	f.file(archive.Record{Project: "JL-2026-003", Type: "subsidy_policy", Title: "站前片区搬迁奖励和补助办法", Date: archive.D(2026, 6, 20)}, "subsidy")
	f.file(archive.Record{Project: "JL-2026-003", Type: "audit_result", Title: "站前片区征收补偿资金审计结果", Date: archive.D(2026, 10, 9)}, "audit")
	f.file(archive.Record{Project: "YJ-2026-002", Type: "policy", Title: "延吉市房屋征收补偿实施细则", Date: archive.D(2026, 3, 1)}, "yj")
	f.file(archive.Record{Project: "JL-2026-003", Type: "funding_proof", Title: "补偿资金专户证明", Date: archive.D(2026, 6, 1)}, "funds")
	f.refresh()
	return decision, plan
}

func TestBrowser(t *testing.T) {
	testenv.Chromium(t) // before the fixture: skipped (or failed in CI) at once
	f := newFixture(t)
	decision, _ := demoSite(f)
	// A decision whose annex lists the households by name, and its public copy
	// (公开版本) without the names: the original's page offers the copy.
	orig := f.file(archive.Record{Project: "CC-2026-001", Type: "decision", Title: "关于东天街片区房屋征收的决定（附被征收人名单）",
		Date: archive.D(2026, 11, 25), Issuer: "长春市南关区人民政府"}, "%PDF-1.7 decision with the names")
	pubCopy := f.file(archive.Record{Project: "CC-2026-001", Type: "decision", Title: "关于东天街片区房屋征收的决定（公开版本）",
		Date: archive.D(2026, 11, 25), Issuer: "长春市南关区人民政府", PublicCopyOf: orig.ID}, "%PDF-1.7 decision, the names removed")
	f.refresh()
	srv := httptest.NewServer(f.srv)
	defer srv.Close()

	pages := map[string]string{
		"home":    "/",
		"project": "/projects/CC-2026-001",
		"record":  "/records/" + decision.ID,
		// The original, which offers its public copy, and the copy.
		"record-with-copy": "/records/" + orig.ID,
		"record-copy":      "/records/" + pubCopy.ID,
		"search":           "/search?q=" + "补偿方案",
		"search-none":      "/search?q=" + "没有这个词", // said once, not twice
		"verify":           "/verify",
		"error":            "/records/aaaaaaaaaaaaaaaaaaaaaaaaaa",
	}
	t.Run("pages", func(t *testing.T) {
		b := newBrowser(t, srv.URL)
		for name, path := range pages {
			b.shoot(name, path)
		}
	})

	t.Run("print", func(t *testing.T) {
		// Pages print (the print style sheet drops navigation and forms): saved
		// as A4 PDFs beside the screenshots.
		b := newBrowser(t, srv.URL)
		for name, path := range map[string]string{"project": pages["project"], "record": pages["record"]} {
			b.show(1280, path)
			pdf, err := chromedp.Run(b.ctx, chromedp.PrintToPDF(chromedp.PDFPaper(chromedp.PaperA4)))
			if err != nil || len(pdf) < 1000 || !strings.HasPrefix(string(pdf), "%PDF") {
				t.Fatalf("%s: print: %v (%d bytes)", path, err, len(pdf))
			}
			os.WriteFile(filepath.Join(b.shots, "print-"+name+".pdf"), pdf, 0o644)
		}
	})

	t.Run("large text", func(t *testing.T) {
		// The base size is 112.5% of the browser's own: 18 px at the default 16,
		// and it grows with the reader's setting.
		b := newBrowser(t, srv.URL)
		b.show(1280, "/")
		size, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](`getComputedStyle(document.body).fontSize`))
		if err != nil || size != "18px" {
			t.Fatalf("body font size %q (%v), want 18px", size, err)
		}
	})

	t.Run("search in Chinese", func(t *testing.T) {
		b := newBrowser(t, srv.URL)
		ctx := b.ctx
		err := chromedp.Do(ctx, chromedp.Navigate(srv.URL+"/"), chromedp.SendKeys("#q", "补偿方案"),
			chromedp.Submit("#q"), chromedp.WaitVisible(".count"))
		if err != nil {
			t.Fatal(err)
		}
		count, err := chromedp.Run(ctx, chromedp.Text(".count"))
		if err != nil || !strings.Contains(count, "找到 2 份文件") {
			t.Fatalf("search 补偿方案: %q %v", count, err)
		}
		// Open the first hit: a document page.
		if err := chromedp.Do(ctx, chromedp.Click("ul.records a"), chromedp.WaitVisible("h1")); err != nil {
			t.Fatal(err)
		}
		h1, _ := chromedp.Run(ctx, chromedp.Text("h1"))
		if !strings.Contains(h1, "补偿方案") {
			t.Fatalf("the hit opened %q", h1)
		}
	})

	t.Run("verify in the page", func(t *testing.T) {
		b := newBrowser(t, srv.URL)
		// A genuine file, a changed one, a genuine one whose content marker was
		// deleted (derived objects never decide: the ledger is read), and one
		// whose record was altered in the store (not verified, with the reason).
		dir := t.TempDir()
		write := func(name, content string) string {
			p := filepath.Join(dir, name)
			os.WriteFile(p, []byte(content), 0o644)
			return p
		}
		good := write("决定书.pdf", "%PDF-1.7 decision of the demo")
		bad := write("改过的决定书.pdf", "%PDF-1.7 decision of the demO")
		damaged := f.file(archive.Record{Project: "CC-2026-001", Type: "decision", Title: "关于东天街片区房屋征收的决定",
			Date: archive.D(2026, 11, 20)}, "%PDF-1.7 a decision whose content marker is gone")
		altered := f.file(archive.Record{Project: "CC-2026-001", Type: "subsidy_policy", Title: "东天街片区搬迁奖励办法",
			Date: archive.D(2026, 11, 21)}, "%PDF-1.7 a document whose record was altered")
		disposed := f.file(archive.Record{Project: "CC-2026-001", Type: "suspension_notice", Title: "关于在东天街片区暂停办理相关手续的通知（2016年）",
			Date: archive.D(2016, 2, 3)}, "%PDF-1.7 a notice disposed of at the end of its retention")
		if _, err := f.arch.DisposeRecord(f.ctx, disposed.ID, disposed.Version, archive.Disposal{List: "D20261130-k7m3pxab",
			Proposer: archive.AccountActor("ua2c4e6g8j0k2"), Approver: archive.AccountActor("ub3d5f7h9k1m3"),
			Approved: time.Date(2026, 11, 30, 2, 0, 0, 0, time.UTC), Register: decision.ID}, archive.AccountActor("ub3d5f7h9k1m3")); err != nil {
			t.Fatal(err)
		}
		f.refresh()
		f.raw.Remove(t, f.markerKey(damaged))
		js, _ := archive.EncodeRecord(altered)
		f.raw.Overwrite(t, archive.RecordVersionKey(altered.ID, 1), []byte(strings.Replace(string(js), "搬迁奖励办法", "搬迁奖励和补助办法", 1)))
		before := strings.Count(f.log.String(), `"method":"POST"`)
		cases := []struct {
			name, file string
			want       map[string]string
			checked    bool // the page checked a receipt
		}{
			{"verified", good, map[string]string{"zh": "核验通过", "en": "Verified"}, true},
			{"unknown", bad, map[string]string{"zh": "没有找到这份文件", "en": "This file was not found"}, false},
			{"marker-deleted", write("决定.pdf", "%PDF-1.7 a decision whose content marker is gone"),
				map[string]string{"zh": "核验通过", "en": "Verified"}, true},
			{"record-altered", write("奖励办法.pdf", "%PDF-1.7 a document whose record was altered"),
				map[string]string{"zh": "在记入账本后被改动过", "en": "was changed after it was entered in the ledger"}, false},
			{"disposed", write("通知.pdf", "%PDF-1.7 a notice disposed of at the end of its retention"),
				map[string]string{"zh": "已销毁", "en": "Disposed of"}, true},
		}
		for _, tc := range cases {
			for _, lang := range []string{"zh", "en"} {
				for _, width := range shotWidths {
					b.show(width, langPath(lang, "/verify"), chromedp.SetUploadFiles("#file", []string{tc.file}),
						chromedp.Click("#verify-submit"), chromedp.WaitVisible(`#js-result[data-state="done"] .notice`))
					got, _ := chromedp.Run(b.ctx, chromedp.Text("#js-result"))
					if !strings.Contains(got, tc.want[lang]) {
						t.Fatalf("verify %s (%s, %d px): %q, want %q", tc.name, lang, width, got, tc.want[lang])
					}
					if tc.checked && lang == "zh" && (!strings.Contains(got, "账本签名正确") || !strings.Contains(got, "账本证明正确")) {
						t.Fatalf("the page did not check the ledger proof: %q", got)
					}
					b.screenshot(fmt.Sprintf("verify-result-%s-%s-%d", tc.name, lang, width))
					b.check(fmt.Sprintf("verify %s (%s) at %d px", tc.name, lang, width))
				}
			}
		}
		if after := strings.Count(f.log.String(), `"method":"POST"`); after != before {
			t.Fatal("the page uploaded the file: the hash was not computed in the browser")
		}
	})
}
