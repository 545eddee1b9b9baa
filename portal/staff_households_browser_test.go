package portal

import (
	"context"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"github.com/gongshi-archive/gongshi/internal/testenv"
)

// The household register's staff pages in a real browser: an archivist logs
// in, imports a register (the file chosen in the page, each column declared
// with its radio), issues a household its code and opens the notice (on screen
// and as printed), then the household logs in on /household with that code.
// Every page of the family in Chinese and English at a phone's width and a
// desktop's: screenshots, no sideways scrolling, axe-core clean.
func TestStaffHouseholdsBrowser(t *testing.T) {
	testenv.Chromium(t)
	f := newHHStaffFixture(t, nil)
	srv := httptest.NewServer(f.srv)
	defer srv.Close()
	dir := t.TempDir()
	reg := filepath.Join(dir, "东天街登记.csv")
	bad := filepath.Join(dir, "有问题的登记.csv")
	if err := os.WriteFile(reg, []byte(hhRegister), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bad, []byte("户号,户主,房屋坐落,建筑面积,产权性质\n0001,张甲,东天街1号,八十六,私有\n0001,,东天街2号,70,私有\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	page := "/staff/households/" + hhProject
	codeRE := regexp.MustCompile(`^[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}$`)

	b := newBrowser(t, srv.URL)
	ctx := b.ctx
	b.login("archivist", f.pw["archivist"])
	// each shows the page now open at both widths: screenshots, checked.
	each := func(name string) {
		t.Helper()
		for _, w := range shotWidths {
			if err := chromedp.Do(ctx, chromedp.EmulateViewport(w, 860)); err != nil {
				t.Fatal(err)
			}
			b.screenshot(name + "-" + strconv.FormatInt(w, 10))
			b.check(name + " at " + strconv.FormatInt(w, 10) + " px")
		}
	}
	upload := func(lang, file string) {
		t.Helper()
		if err := chromedp.Do(ctx, chromedp.Navigate(srv.URL+langPath(lang, page)), chromedp.SetUploadFiles("#r-file", []string{file}),
			chromedp.Click("#upload"), chromedp.WaitVisible("h1")); err != nil {
			t.Fatal(err)
		}
	}
	issue := func(lang, hh string) string {
		t.Helper()
		if err := chromedp.Do(ctx, chromedp.EmulateViewport(1280, 860), chromedp.Navigate(srv.URL+langPath(lang, page)),
			chromedp.Click("#hh-"+hh), chromedp.Click("#issue-chosen"), chromedp.WaitVisible(".hh-notice .code")); err != nil {
			t.Fatal(err)
		}
		code, err := chromedp.Run(ctx, chromedp.Text(".hh-notice .code"))
		if err != nil || !codeRE.MatchString(code) {
			t.Fatalf("the notice's code %q: %v", code, err)
		}
		return code
	}

	// A file with problems: every one listed, nothing stored.
	upload("zh", bad)
	if txt, _ := chromedp.Run(ctx, chromedp.Text(".notice.bad")); !strings.Contains(txt, "line 2") || !strings.Contains(txt, "line 3") {
		t.Fatalf("the problems: %q", txt)
	}
	each("staff-hh-problems-zh")
	upload("en", bad)
	each("staff-hh-problems-en")
	// The register: checked, then each column declared.
	upload("zh", reg)
	each("staff-hh-import-zh")
	if err := chromedp.Do(ctx, chromedp.Click("#c1-masked"), chromedp.Click("#c4-masked"), chromedp.Click("#c5-public"),
		chromedp.Click("#c6-public"), chromedp.Click("#import"), chromedp.WaitVisible(".notice.good")); err != nil {
		t.Fatal(err)
	}
	if n := f.versions(); n != 1 {
		t.Fatalf("%d register versions", n)
	}
	upload("en", reg)
	each("staff-hh-import-en")

	code := issue("zh", "0001")
	each("staff-hh-notice-zh")
	// As printed: A4 width, print styles.
	print := chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Media: "print"})
		return err
	})
	screen := chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{})
		return err
	})
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(794, 1123), print); err != nil {
		t.Fatal(err)
	}
	b.screenshot("staff-hh-notice-print-zh")
	if err := chromedp.Do(ctx, screen); err != nil {
		t.Fatal(err)
	}
	issue("en", "0002")
	each("staff-hh-notice-en")

	b.shoot("staff-households", "/staff/households")
	b.shoot("staff-hh-register", page)
	b.shoot("staff-hh-household", page+"/0001")

	// The household logs in with the code of its notice.
	b.logout()
	b.householdLogin(hhProject, "0001", code)
	if txt, _ := chromedp.Run(ctx, chromedp.Text("main")); !strings.Contains(txt, "0001") {
		t.Fatalf("the household's page: %q", txt)
	}
}
