package portal

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/gongshi-archive/gongshi/internal/testenv"
)

// The browser suites' scaffolding: one headless Chromium per test or subtest,
// pages loaded in Chinese and English at a phone's width (390 px) and a
// desktop's (1280 px), each saved as a screenshot in the artifacts directory
// (GONGSHI_TEST_ARTIFACTS/screenshots), none wider than the screen, each checked
// by axe-core for WCAG 2.0/2.1 A and AA (zero violations).

// chromium is a headless Chromium driven by one test (or subtest) against the
// portal at base (browser is household_fixture_test.go's HTTP client). Its
// failures are reported to the t it was made for, so a subtest makes its own
// (which also gives it its own time budget).
type chromium struct {
	t *testing.T
	// ctx is chromedp's context, for the test's own actions
	// (chromedp.Do(b.ctx, ...)).
	ctx context.Context
	// base is the portal's URL (an httptest.Server's), without a slash at
	// the end; paths given to the helpers are relative to it.
	base   string
	axeSrc string // axe-core, injected into each page checked
	shots  string // where screenshots are saved
}

// shotWidths are the widths every page is looked at: a phone's and a
// desktop's.
var shotWidths = []int64{390, 1280}

// newBrowser starts Chromium for t (stopped when t ends) on the portal at
// base. Without a browser (testenv.Chromium) the test is skipped, or fails
// with CI=true; a test with a costly fixture calls testenv.Chromium(t) first.
func newBrowser(t *testing.T, base string) *chromium {
	t.Helper()
	env := testenv.Chromium(t)
	axeSrc, err := os.ReadFile(env.Axe)
	if err != nil {
		t.Fatal(err)
	}
	shots := filepath.Join(env.Artifacts, "screenshots")
	if err := os.MkdirAll(shots, 0o755); err != nil {
		t.Fatal(err)
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(env.Chromium), chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.Flag("disable-quic", true),
		chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(1280, 900))
	actx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancel)
	ctx, cancel2 := chromedp.NewContext(actx)
	t.Cleanup(cancel2)
	ctx, cancel3 := context.WithTimeout(ctx, 4*time.Minute)
	t.Cleanup(cancel3)
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("starting %s: %v", env.Chromium, err)
	}
	return &chromium{t: t, ctx: ctx, base: base, axeSrc: string(axeSrc), shots: shots}
}

// langPath is path as the page in lang: English is the /en prefix.
func langPath(lang, path string) string {
	if lang == "en" {
		return "/en" + path
	}
	return path
}

// shoot loads path in Chinese and in English at each width (390 and 1280 px
// when none is given): a screenshot NAME-LANG-WIDTH.png each, and each
// checked (check).
func (b *chromium) shoot(name, path string, widths ...int64) {
	b.t.Helper()
	if len(widths) == 0 {
		widths = shotWidths
	}
	for _, lang := range []string{"zh", "en"} {
		p := langPath(lang, path)
		for _, width := range widths {
			b.show(width, p)
			b.screenshot(fmt.Sprintf("%s-%s-%d", name, lang, width))
			b.check(fmt.Sprintf("%s at %d px", p, width))
		}
	}
}

// show loads path in a window width px wide.
func (b *chromium) show(width int64, path string, then ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	actions := append([]chromedp.Action[chromedp.Void]{chromedp.EmulateViewport(width, 860), chromedp.Navigate(b.base + path)}, then...)
	if err := chromedp.Do(b.ctx, actions...); err != nil {
		b.t.Fatalf("%s: %v", path, err)
	}
}

// screenshot saves the whole page as NAME.png among the screenshots.
func (b *chromium) screenshot(name string) {
	b.t.Helper()
	png, err := chromedp.Run(b.ctx, chromedp.FullScreenshot(100))
	if err != nil {
		b.t.Fatalf("%s: screenshot: %v", name, err)
	}
	if err := os.WriteFile(filepath.Join(b.shots, name+".png"), png, 0o644); err != nil {
		b.t.Fatal(err)
	}
}

// check fails the test (naming the page as what) when the page now shown is
// wider than the screen (a phone never scrolls sideways) or axe-core finds a
// violation of WCAG 2.0/2.1 A or AA in it.
func (b *chromium) check(what string) {
	b.t.Helper()
	overflow, err := chromedp.Run(b.ctx, chromedp.Evaluate[bool](`document.documentElement.scrollWidth > window.innerWidth + 1`))
	if err != nil || overflow {
		b.t.Errorf("%s: the page is wider than the screen (%v)", what, err)
	}
	vs, err := b.axe()
	if err != nil {
		b.t.Fatalf("%s: %v", what, err)
	}
	for _, v := range vs {
		b.t.Errorf("%s: axe %s (%s): %s %v", what, v.ID, v.Impact, v.Help, v.Nodes)
	}
}

type axeViolation struct {
	ID     string   `json:"id"`
	Impact string   `json:"impact"`
	Help   string   `json:"help"`
	Nodes  []string `json:"nodes"`
}

// axe runs axe-core in the page now shown for WCAG 2.0/2.1 A and AA.
func (b *chromium) axe() ([]axeViolation, error) {
	if _, err := chromedp.Run(b.ctx, chromedp.Evaluate[bool](b.axeSrc+";true")); err != nil {
		return nil, fmt.Errorf("injecting axe: %w", err)
	}
	js := `axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}})
		.then(r => JSON.stringify(r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
			nodes: v.nodes.slice(0, 5).map(n => n.target.join(' ') + ' ' + (n.failureSummary || ''))}))))`
	out, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](js, chromedp.EvalAwaitPromise))
	if err != nil {
		return nil, fmt.Errorf("running axe: %w", err)
	}
	var vs []axeViolation
	err = json.Unmarshal([]byte(out), &vs)
	return vs, err
}

// login logs a staff account in with the staff login form and waits for the
// staff navigation.
func (b *chromium) login(login, password string) {
	b.t.Helper()
	err := chromedp.Do(b.ctx, chromedp.Navigate(b.base+"/staff/login"),
		chromedp.SendKeys("#login", login), chromedp.SendKeys("#password", password),
		chromedp.Click(`form.staff-form button[type="submit"]`), chromedp.WaitVisible("nav.staffnav"))
	if err != nil {
		b.t.Fatalf("login %s: %v", login, err)
	}
}

// logout logs the staff account out with the navigation's button.
func (b *chromium) logout() {
	b.t.Helper()
	if err := chromedp.Do(b.ctx, chromedp.Click("form.logout button"), chromedp.WaitVisible("#login")); err != nil {
		b.t.Fatalf("logout: %v", err)
	}
}

// householdLogin enters a household's number and query code on /household
// (at a phone's width) and waits for the household's own page.
func (b *chromium) householdLogin(project, household, code string) {
	b.t.Helper()
	err := chromedp.Do(b.ctx, chromedp.EmulateViewport(390, 860), chromedp.Navigate(b.base+"/household"),
		chromedp.SetValue("#hh-project", project), chromedp.SendKeys("#hh-number", household),
		chromedp.SendKeys("#hh-code", code), chromedp.Submit("#hh-code"),
		chromedp.WaitVisible(`form[action$="/household/logout"]`))
	if err != nil {
		b.t.Fatalf("entering the code: %v", err)
	}
}

// householdLogout logs the household out from its page and waits for the
// login form.
func (b *chromium) householdLogout() {
	b.t.Helper()
	err := chromedp.Do(b.ctx, chromedp.Navigate(b.base+"/household"),
		chromedp.Click(`form[action="/household/logout"] button`), chromedp.WaitVisible("#q"))
	if err != nil {
		b.t.Fatalf("logging out: %v", err)
	}
}
