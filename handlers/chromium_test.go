package handlers_test

// Browser tests: the app in front of the real test MediaWiki
// (internal/testwiki), and the main flows also in front of the demo wiki
// (internal/demowiki, always there; see wikiTarget), used in headless
// Chromium (Debian's package) through chromedp, as a person would: they
// read headings, messages, labels and the signed-in name, type into
// fields, click and press keys. Each page is also
// checked with axe-core (testdata/npm, installed by
// scripts/install-test-deps.sh).
//
// One Chromium per test binary (started by the first test that needs it,
// stopped by TestMain through stopChromium); each test gets a new tab in a
// browser context of its own, so tests share no cookies.
//
// Without Chromium or axe-core the tests skip, unless CI=true (then they
// fail). With MWLOGIN_SCREENSHOTS=DIR they save a PNG of each step in DIR
// (scripts/screenshots.sh, for docs/screenshots).

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"html/template"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/fetch"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/mwlogin/mwlogin/internal/demowiki"
	"github.com/mwlogin/mwlogin/internal/testwiki"
	"github.com/mwlogin/mwlogin/mwclient"
)

// chromium is the test binary's one browser.
var chromium struct {
	once sync.Once
	ctx  context.Context // the browser's first tab; tabs are made from it
	stop func()
	err  error
}

func chromiumPath() string {
	if p := os.Getenv("MWLOGIN_CHROMIUM"); p != "" {
		return p
	}
	return "/usr/bin/chromium"
}

func startChromium() (context.Context, func(), error) {
	path, err := exec.LookPath(chromiumPath())
	if err != nil {
		return nil, nil, fmt.Errorf("%s not found (run scripts/install-test-deps.sh): %w", chromiumPath(), err)
	}
	dir, err := os.MkdirTemp("", "mwlogin-chromium-")
	if err != nil {
		return nil, nil, err
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.Headless,
		chromedp.NoSandbox, // we run as root in CI
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.UserDataDir(dir),
		chromedp.WindowSize(1024, 768),
		// No connection but to the pages under test: the machine has no
		// network, and Chromium's own services would only make noise.
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-default-apps", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-features", "Translate,MediaRouter,OptimizationHints,PasswordLeakDetection"),
		chromedp.Flag("no-proxy-server", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("password-store", "basic"),
		chromedp.Flag("use-mock-keychain", true),
		chromedp.Flag("force-color-profile", "srgb"),
		chromedp.Flag("lang", "en-US"),
	}
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelBrowser := chromedp.NewContext(allocCtx)
	stop := func() {
		cancelBrowser()
		cancelAlloc()
		os.RemoveAll(dir)
	}
	// The browser lives as long as ctx: no timeout here (a timeout on the
	// first Run would end the browser with it).
	start := make(chan error, 1)
	go func() { start <- chromedp.Do(ctx) }()
	select {
	case err = <-start:
	case <-time.After(time.Minute):
		err = errors.New("Chromium did not start within a minute")
	}
	if err != nil {
		stop()
		return nil, nil, fmt.Errorf("starting %s: %w", path, err)
	}
	return ctx, stop, nil
}

// stopChromium ends the browser, if a test started it. TestMain calls it.
func stopChromium() {
	if chromium.stop != nil {
		chromium.stop()
	}
}

func isCI() bool { return os.Getenv("CI") == "true" }

// skipOrFail skips the test, except in CI, where what it needs must be there.
func skipOrFail(t *testing.T, format string, args ...any) {
	t.Helper()
	if isCI() {
		t.Fatalf("CI=true: "+format, args...)
	}
	t.Skipf(format, args...)
}

// axeSource is axe-core's axe.min.js (testdata/npm).
var axeSource = sync.OnceValues(func() (string, error) {
	root, err := testwiki.RepoRoot()
	if err != nil {
		return "", err
	}
	b, err := os.ReadFile(filepath.Join(root, "testdata", "npm", "node_modules", "axe-core", "axe.min.js"))
	if err != nil {
		return "", fmt.Errorf("axe-core not installed (run scripts/install-test-deps.sh): %w", err)
	}
	return string(b), nil
})

// wikiTarget is a wiki the browser tests run against: the real test
// MediaWiki or the in-process demo wiki. The main flows run against both
// (eachTarget); the rest against the real one only.
type wikiTarget struct {
	name string
	// start makes the app (under /auth) in front of the wiki. The real
	// wiki's skips the test without it (or fails it, in CI).
	start func(t *testing.T, hooks ...envHook) *wikiRun
	// screenshots: only the real wiki's run saves them.
	screenshots bool

	alice, alicePassword string
	bob, bobPassword     string // TOTP after the password
	dave, davePassword   string // the captcha
	carol                string // reached through the identity provider

	ssoButton string // the SSO button's label on the login form
	// The identity provider's page: what shows it is there, its heading,
	// and the buttons for an identity linked to Carol and an unlinked one.
	idpSelector, idpHeading string
	mappedIdentity          string
	unmappedIdentity        string

	captchaQuestion, captchaAnswer string
	// captchaAttempts: at most this many failed logins of Dave before the
	// captcha is asked.
	captchaAttempts int
}

// wikiRun is one test's app and wiki.
type wikiRun struct {
	*env
	wikiURL  string // http://HOST, the wiki's base
	idpURL   string // where the app's meta refresh sends the browser for SSO
	nextTOTP func(ctx context.Context) (string, error)
}

var realWiki = &wikiTarget{
	name: "real",
	start: func(t *testing.T, hooks ...envHook) *wikiRun {
		w := testwiki.Require(t)
		return &wikiRun{env: newEnvFor(t, "/auth", w.APIURL, nil, nil, hooks...),
			wikiURL: w.BaseURL, idpURL: w.IndexURL + "?title=Special", nextTOTP: w.NextTOTP}
	},
	screenshots: true,
	alice:       testwiki.AliceUser, alicePassword: testwiki.AlicePassword,
	bob: testwiki.BobUser, bobPassword: testwiki.BobPassword,
	dave: testwiki.DaveUser, davePassword: testwiki.DavePassword,
	carol:            testwiki.CarolUser,
	ssoButton:        "Log in with Test SSO",
	idpSelector:      "#mwlogintestidp",
	idpHeading:       "Test identity provider",
	mappedIdentity:   "Continue as " + testwiki.SSOMappedIdentity,
	unmappedIdentity: "Continue as " + testwiki.SSOUnmappedIdentity,
	captchaQuestion:  testwiki.CaptchaQuestion, captchaAnswer: testwiki.CaptchaAnswer,
	// ConfirmEdit counts Dave's failures: after a wrong password even the
	// right one is refused once, and then the captcha is asked.
	captchaAttempts: 4,
}

var demoWiki = &wikiTarget{
	name: "demo",
	start: func(t *testing.T, hooks ...envHook) *wikiRun {
		wiki := demowiki.New()
		ts := httptest.NewServer(wiki)
		t.Cleanup(ts.Close)
		// The demo refuses a code used before: each call gives the next
		// window's (all accepted).
		var n int
		next := func(context.Context) (string, error) {
			n++
			return demowiki.TOTP(demowiki.TOTPSecret, time.Now().Add(time.Duration(n-1)*30*time.Second)), nil
		}
		return &wikiRun{env: newEnvFor(t, "/auth", ts.URL+"/api.php", wiki, ts, hooks...),
			wikiURL: ts.URL, idpURL: ts.URL + "/idp?", nextTOTP: next}
	},
	alice: demowiki.UserAlice, alicePassword: demowiki.Password,
	bob: demowiki.UserBob, bobPassword: demowiki.Password,
	dave: demowiki.UserDave, davePassword: demowiki.Password,
	carol:            demowiki.UserCarol,
	ssoButton:        "Log in with Demo SSO",
	idpSelector:      `form[action="idp"]`,
	idpHeading:       "Demo identity provider",
	mappedIdentity:   "Continue as " + demowiki.IdentityCarol + " (linked to wiki user Carol)",
	unmappedIdentity: "Continue as " + demowiki.IdentityStranger + " (no wiki account)",
	captchaQuestion:  demowiki.CaptchaQuestion, captchaAnswer: demowiki.CaptchaAnswer,
	// One failed login of Dave, and the captcha is asked of everyone.
	captchaAttempts: 1,
}

// eachTarget runs test as a subtest for the real test wiki and the demo
// wiki.
func eachTarget(t *testing.T, test func(t *testing.T, w *wikiTarget)) {
	for _, w := range []*wikiTarget{realWiki, demoWiki} {
		t.Run(w.name, func(t *testing.T) { test(t, w) })
	}
}

// tab is one test's browser tab, with the app (under /auth) in front of a
// wiki.
type tab struct {
	t        *testing.T
	ctx      context.Context
	w        *wikiTarget
	e        *wikiRun
	axe      string
	noScript bool // JavaScript is off in the page
}

// Viewports: the desktop one for most checks and screenshots; the phone
// one for the small-screen checks.
const (
	desktopWidth, desktopHeight = 640, 600
	phoneWidth, phoneHeight     = 360, 640
	shotMinHeight               = 420
	shotWikiHost                = "127.0.0.1:8081"
)

func newTab(t *testing.T, w *wikiTarget, hooks ...envHook) *tab {
	t.Helper()
	e := w.start(t, hooks...) // the real wiki's skips (or fails in CI) without the test wiki
	axe, err := axeSource()
	if err != nil {
		skipOrFail(t, "%v", err)
	}
	chromium.once.Do(func() { chromium.ctx, chromium.stop, chromium.err = startChromium() })
	if chromium.err != nil {
		skipOrFail(t, "Chromium: %v", chromium.err)
	}
	// A new browser context: its own cookies, so that no test sees
	// another's (the app and the wiki are all on 127.0.0.1, and browsers
	// do not keep cookies apart by port).
	tabCtx, closeTab := chromedp.NewContext(chromium.ctx, chromedp.WithNewBrowserContext())
	t.Cleanup(closeTab)
	if err := chromedp.Do(tabCtx); err != nil {
		t.Fatalf("new tab: %v", err)
	}
	ctx, cancel := context.WithTimeout(tabCtx, 2*time.Minute)
	t.Cleanup(cancel)
	b := &tab{t: t, ctx: ctx, w: w, e: e, axe: axe}
	b.viewport(desktopWidth, desktopHeight)
	return b
}

func (b *tab) do(what string, actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	if err := chromedp.Do(b.ctx, actions...); err != nil {
		b.t.Fatalf("%s: %v\n%s", what, err, b.logs())
	}
}

func (b *tab) logs() string {
	return "app log:\n" + b.e.logs.String()
}

func (b *tab) viewport(w, h int64) {
	b.t.Helper()
	b.do("viewport", chromedp.EmulateViewport(w, h))
}

// scripts turns the page's JavaScript on or off.
func (b *tab) scripts(on bool) {
	b.t.Helper()
	if _, err := chromedp.Call(b.ctx, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: !on}); err != nil {
		b.t.Fatal(err)
	}
	b.noScript = !on
}

// open loads the app's path and checks the status.
func (b *tab) open(path string) {
	b.t.Helper()
	resp, err := chromedp.Run(b.ctx, chromedp.NavigateResponse(b.e.base+path))
	b.checkResponse("open "+path, resp, err)
}

func (b *tab) checkResponse(what string, resp *network.Response, err error) {
	b.t.Helper()
	if err != nil {
		b.t.Fatalf("%s: %v\n%s", what, err, b.logs())
	}
	if resp.Status != http.StatusOK {
		b.t.Fatalf("%s: %s answered %d: %s\n%s", what, resp.URL, resp.Status, b.text("body"), b.logs())
	}
}

// click clicks what sel finds and waits for the page it leads to.
func (b *tab) click(sel string) {
	b.t.Helper()
	// A click that leads nowhere (say, a required field left empty) fails
	// in seconds, not at the test's deadline.
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	resp, err := chromedp.RunResponse(ctx, chromedp.Click(chromedp.CSS(sel), chromedp.NodeVisible))
	b.checkResponse("click "+sel, resp, err)
}

// button is the selector of the visible button (or button-like link) whose
// text is label.
func (b *tab) button(label string) string {
	b.t.Helper()
	type btn struct{ Text, ID string }
	var found []btn
	err := b.eval(`Array.from(document.querySelectorAll('button, a.button, input[type=submit]'))
		.filter(el => el.getClientRects().length > 0)
		.map((el, i) => { el.dataset.testButton = String(i); return {Text: el.innerText.trim() || el.value, ID: String(i)}; })`, &found)
	if err != nil {
		b.t.Fatal(err)
	}
	for _, f := range found {
		if f.Text == label {
			return `[data-test-button="` + f.ID + `"]`
		}
	}
	b.t.Fatalf("no button %q on the page; buttons: %v\n%s", label, found, b.text("body"))
	return ""
}

// press clicks the button labelled label and waits for the next page.
func (b *tab) press(label string) { b.t.Helper(); b.click(b.button(label)) }

// fill types value into the field named name, replacing what it held.
func (b *tab) fill(name, value string) {
	b.t.Helper()
	sel := chromedp.CSS(`[name="` + name + `"]`)
	b.do("fill "+name, chromedp.Clear(sel, chromedp.NodeVisible), chromedp.SendKeys(sel, value, chromedp.NodeVisible))
}

func (b *tab) eval(expr string, out any) error {
	raw, err := chromedp.Run(b.ctx, chromedp.Evaluate[[]byte](expr))
	if err != nil {
		return err
	}
	return jsonUnmarshal(raw, out)
}

// text is the visible text of the first element sel finds ("" if none).
func (b *tab) text(sel string) string {
	b.t.Helper()
	var s string
	if err := b.eval(`(() => { const el = document.querySelector(`+jsString(sel)+`); return el ? el.innerText.trim() : ""; })()`, &s); err != nil {
		b.t.Fatalf("text of %s: %v", sel, err)
	}
	return s
}

// texts is the visible text of every element sel finds that is shown.
func (b *tab) texts(sel string) []string {
	b.t.Helper()
	var s []string
	if err := b.eval(`Array.from(document.querySelectorAll(`+jsString(sel)+`)).filter(el => el.getClientRects().length > 0).map(el => el.innerText.trim())`, &s); err != nil {
		b.t.Fatalf("texts of %s: %v", sel, err)
	}
	return s
}

func (b *tab) heading() string { b.t.Helper(); return b.text("h1") }

func (b *tab) wantHeading(want string) {
	b.t.Helper()
	if got := b.heading(); got != want {
		b.t.Fatalf("heading %q, want %q; the page says:\n%s\n%s", got, want, b.text("body"), b.logs())
	}
}

// alert is the text of the page's shown role="alert" elements.
func (b *tab) alert() string { b.t.Helper(); return strings.Join(b.texts(`[role="alert"]`), "\n") }

func (b *tab) wantText(want ...string) {
	b.t.Helper()
	body := b.text("body")
	for _, w := range want {
		if !strings.Contains(body, w) {
			b.t.Fatalf("the page does not say %q; it says:\n%s\n%s", w, body, b.logs())
		}
	}
}

// field is a form control as a person meets it: its label and what it is.
type field struct {
	Name, Type, Label, Value string
	Checked                  bool
}

// fields lists the shown form controls (not buttons) in page order, with
// the text of their labels.
func (b *tab) fields() []field {
	b.t.Helper()
	var fs []field
	err := b.eval(`Array.from(document.querySelectorAll('input, select, textarea'))
		.filter(el => el.type !== 'hidden' && el.getClientRects().length > 0)
		.map(el => ({Name: el.name, Type: el.type, Value: el.type === 'checkbox' ? '' : el.value, Checked: !!el.checked,
			Label: Array.from(el.labels || []).map(l => l.innerText.trim()).join(' ')}))`, &fs)
	if err != nil {
		b.t.Fatal(err)
	}
	return fs
}

// wantFields checks the shown fields' names, in order, and that each has a
// label.
func (b *tab) wantFields(names ...string) []field {
	b.t.Helper()
	fs := b.fields()
	var got []string
	for _, f := range fs {
		got = append(got, f.Name)
		if f.Label == "" {
			b.t.Errorf("field %s has no label", f.Name)
		}
	}
	if strings.Join(got, " ") != strings.Join(names, " ") {
		b.t.Fatalf("fields shown: %v, want %v\n%s", got, names, b.text("body"))
	}
	return fs
}

func fieldNamed(fs []field, name string) field {
	for _, f := range fs {
		if f.Name == name {
			return f
		}
	}
	return field{}
}

// focused describes the element that has the keyboard focus, and whether
// its focus is visible (an outline or a box-shadow that is not there
// without focus).
type focused struct {
	Tag, Name, Type, Text string
	Visible               bool
	Style                 string
}

func (b *tab) focus() focused {
	b.t.Helper()
	var f focused
	err := b.eval(`(() => {
		const el = document.activeElement;
		if (!el || el === document.body) return {Tag: "body"};
		const s = getComputedStyle(el);
		const outline = s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0;
		const shadow = s.boxShadow !== 'none';
		return {Tag: el.tagName.toLowerCase(), Name: el.name || '', Type: el.type || '',
			Text: (el.innerText || '').trim(), Visible: outline || shadow,
			Style: 'outline: ' + s.outlineStyle + ' ' + s.outlineWidth + ' ' + s.outlineColor + '; box-shadow: ' + s.boxShadow};
	})()`, &f)
	if err != nil {
		b.t.Fatal(err)
	}
	return f
}

// wantFocus checks that the step's first field has the focus when the page
// loads (autofocus).
func (b *tab) wantFocus(name string) {
	b.t.Helper()
	b.waitFocus("the field "+name, func(f focused) bool { return f.Name == name })
}

// waitFocus waits until the focused element is the one wanted. Browsers
// apply autofocus at the first rendering after the load, which can come a
// moment after the load event.
func (b *tab) waitFocus(want string, ok func(focused) bool) focused {
	b.t.Helper()
	deadline := time.Now().Add(3 * time.Second)
	for {
		f := b.focus()
		if ok(f) {
			return f
		}
		if time.Now().After(deadline) {
			b.t.Fatalf("focus is on %+v, want %s", f, want)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// axeViolation is what axe-core reports for one broken rule.
type axeViolation struct {
	ID, Impact, Help string
	Nodes            []struct {
		Target         []any
		FailureSummary string
	}
}

// checkA11y runs axe-core on the page: WCAG 2.2 A and AA rules and axe's
// best practices. Any violation fails, whatever its impact: the pages are
// small and ours, so there is no reason to live with a "minor" one.
func (b *tab) checkA11y(what string) {
	b.t.Helper()
	if b.noScript {
		// axe-core needs the page's timers; the page's own scripts ran
		// (or not) when it loaded, and do not run again.
		b.scripts(true)
		defer b.scripts(false)
	}
	for _, v := range b.axeViolations(what) {
		var where []string
		for _, n := range v.Nodes {
			where = append(where, fmt.Sprintf("%v: %s", n.Target, strings.ReplaceAll(n.FailureSummary, "\n", " ")))
		}
		b.t.Errorf("accessibility (axe-core) on %s: %s [%s, %s]\n  %s", what, v.Help, v.ID, v.Impact, strings.Join(where, "\n  "))
	}
}

func (b *tab) axeViolations(what string) []axeViolation {
	b.t.Helper()
	// Evaluated through the DevTools protocol, which the page's CSP
	// (script-src 'self') does not govern; the page itself loads nothing.
	if err := b.eval(`typeof axe === "object" || (0, eval)(`+jsString(b.axe)+`), true`, new(bool)); err != nil {
		b.t.Fatalf("loading axe-core: %v", err)
	}
	raw, err := chromedp.Run(b.ctx, chromedp.Evaluate[[]byte](`axe.run(document, {
			runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice']},
			resultTypes: ['violations'],
		}).then(r => r.violations.map(v => ({ID: v.id, Impact: v.impact, Help: v.help,
			Nodes: v.nodes.map(n => ({Target: n.target, FailureSummary: n.failureSummary}))})))`,
		chromedp.EvalAwaitPromise))
	if err != nil {
		b.t.Fatalf("axe-core on %s: %v", what, err)
	}
	var vs []axeViolation
	if err := jsonUnmarshal(raw, &vs); err != nil {
		b.t.Fatal(err)
	}
	return vs
}

// checkPhoneWidth loads nothing: it narrows the viewport to a phone's and
// checks that nothing sticks out sideways (no horizontal scrolling), then
// goes back to the desktop width.
func (b *tab) checkPhoneWidth(what, shot string) {
	b.t.Helper()
	b.viewport(phoneWidth, phoneHeight)
	defer b.viewport(desktopWidth, desktopHeight)
	var wide []string
	if err := b.eval(`(() => {
		const w = document.documentElement.clientWidth;
		const out = Array.from(document.querySelectorAll('body *')).filter(el => el.getBoundingClientRect().right > w + 0.5)
			.map(el => el.tagName.toLowerCase() + (el.className ? '.' + el.className : ''));
		if (document.documentElement.scrollWidth > w) out.unshift('document ' + document.documentElement.scrollWidth + ' > ' + w);
		return out;
	})()`, &wide); err != nil {
		b.t.Fatal(err)
	}
	if len(wide) > 0 {
		b.t.Errorf("%s at %dpx wide: wider than the screen: %v", what, phoneWidth, wide)
	}
	b.screenshot(shot)
}

// screenshot saves the page as DIR/name.png when MWLOGIN_SCREENSHOTS=DIR:
// the whole page at the current width, as tall as its content (at least
// shotMinHeight), with the text caret hidden so that a blink does not
// change the picture.
func (b *tab) screenshot(name string) {
	b.t.Helper()
	dir := os.Getenv("MWLOGIN_SCREENSHOTS")
	if dir == "" || name == "" || !b.w.screenshots {
		return
	}
	// The test wiki's port changes with every run; the pictures show it as
	// shotWikiHost, so that they change only when the pages do.
	wikiHost := strings.TrimPrefix(b.e.wikiURL, "http://")
	const replace = `((from, to) => {
		const w = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
		for (let n; (n = w.nextNode());) n.nodeValue = n.nodeValue.split(from).join(to);
	})`
	var size [2]int64
	if err := b.eval(replace+`(`+jsString(wikiHost)+`, `+jsString(shotWikiHost)+`),
		document.documentElement.style.caretColor = "transparent", [window.innerWidth, window.innerHeight]`, &size); err != nil {
		b.t.Fatal(err)
	}
	b.viewport(size[0], shotMinHeight)
	png, err := chromedp.Run(b.ctx, chromedp.FullScreenshot(100))
	b.viewport(size[0], size[1])
	if err == nil {
		err = b.eval(replace+`(`+jsString(shotWikiHost)+`, `+jsString(wikiHost)+`),
			document.documentElement.style.caretColor = "", true`, new(bool))
	}
	if err != nil {
		b.t.Fatalf("screenshot %s: %v", name, err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		b.t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
		b.t.Fatal(err)
	}
}

// wantSignedIn checks the signed-in page as a person reads it.
func (b *tab) wantSignedIn(user string) {
	b.t.Helper()
	b.wantHeading("Logged in")
	if got := b.text(".username"); got != user {
		b.t.Fatalf("signed in as %q, want %q: %s", got, user, b.text("body"))
	}
	b.wantText("This app holds your sign-in to ", " as "+user, "Edits")
	if b.alert() != "" {
		b.t.Fatalf("an alert on the signed-in page: %s", b.alert())
	}
}

// signOut presses "Log out" and checks the login form is back.
func (b *tab) signOut() {
	b.t.Helper()
	b.press("Log out")
	b.wantHeading("Log in")
	b.wantText("You have signed out.")
	b.wantFields("username", "password", "rememberMe")
}

// passwordLogin fills the login form and presses "Log in".
func (b *tab) passwordLogin(user, password string) {
	b.t.Helper()
	b.fill("username", user)
	b.fill("password", password)
	b.press("Log in")
}

func TestChromiumPasswordLogin(t *testing.T) { eachTarget(t, testPasswordLogin) }

func testPasswordLogin(t *testing.T, w *wikiTarget) {
	b := newTab(t, w)
	b.open("/")
	b.wantHeading("Log in")
	fs := b.wantFields("username", "password", "rememberMe")
	for name, label := range map[string]string{"username": "Username", "password": "Password", "rememberMe": "Keep me logged in"} {
		if got := fieldNamed(fs, name).Label; !strings.HasPrefix(got, label) {
			t.Errorf("field %s is labelled %q, want %q", name, got, label)
		}
	}
	if f := fieldNamed(fs, "password"); f.Type != "password" {
		t.Errorf("the password field is of type %q", f.Type)
	}
	b.button("Log in")
	b.button(w.ssoButton)
	b.wantFocus("username")
	if a := b.alert(); a != "" {
		t.Fatalf("an alert on a fresh form: %s", a)
	}
	b.checkA11y("the login form")
	b.screenshot("login")
	b.checkPhoneWidth("the login form", "login-phone")

	b.passwordLogin(w.alice, w.alicePassword)
	b.wantSignedIn(w.alice)
	b.checkA11y("the signed-in page")
	b.checkPhoneWidth("the signed-in page", "")
	// A reload still shows the signed-in page.
	b.open("/")
	b.wantSignedIn(w.alice)

	b.signOut()
	b.checkA11y("the login form after sign-out")
	b.open("/")
	b.wantHeading("Log in")
}

// TestChromiumFreshSignIn: what a sign-in shows with the app's default
// options, which trust the wiki's PASS for a minute (RecheckAfter) rather
// than ask it again at once: the sentence and the links, no edit count yet.
// The README's picture of the signed-in page is this one.
func TestChromiumFreshSignIn(t *testing.T) {
	eachTarget(t, func(t *testing.T, w *wikiTarget) {
		b := newTab(t, w, defaultRecheck)
		b.open("/")
		b.passwordLogin(w.alice, w.alicePassword)
		b.wantHeading("Logged in")
		b.wantText("This app holds your sign-in to ", " as "+w.alice, "Log out")
		if strings.Contains(b.text("body"), "Edits") {
			t.Fatalf("a fresh sign-in shows the edit count, which only a later check learns: %s", b.text("body"))
		}
		b.checkA11y("the signed-in page after a fresh sign-in")
		b.screenshot("signed-in")
	})
}

func TestChromiumWrongPassword(t *testing.T) { eachTarget(t, testWrongPassword) }

func testWrongPassword(t *testing.T, w *wikiTarget) {
	b := newTab(t, w)
	b.open("/")
	b.passwordLogin(w.alice, "wrong-password-xyz")
	b.wantHeading("Log in")
	if a := b.alert(); !strings.Contains(a, "Incorrect username or password") {
		t.Fatalf("alert %q, want the wiki's message; the page says:\n%s", a, b.text("body"))
	}
	fs := b.wantFields("username", "password", "rememberMe")
	if v := fieldNamed(fs, "username").Value; v != w.alice {
		t.Errorf("the user name is not kept: %q", v)
	}
	if v := fieldNamed(fs, "password").Value; v != "" {
		t.Errorf("the password is filled in again: %q", v)
	}
	// The name is kept, so the focus goes to what is left to type.
	b.wantFocus("password")
	// The title, which a screen reader reads first, says it too.
	if title, err := chromedp.Run(b.ctx, chromedp.Title()); err != nil || !strings.HasPrefix(title, "Error: ") {
		t.Errorf("title %q (%v), want it to start with \"Error: \"", title, err)
	}
	b.checkA11y("the login form with an error")
	b.screenshot("login-error")
	b.checkPhoneWidth("the login form with an error", "")

	// The person corrects the password and gets in.
	b.fill("password", w.alicePassword)
	b.press("Log in")
	b.wantSignedIn(w.alice)
}

func TestChromiumTwoFactor(t *testing.T) { eachTarget(t, testTwoFactor) }

func testTwoFactor(t *testing.T, w *wikiTarget) {
	b := newTab(t, w)
	b.open("/")
	b.passwordLogin(w.bob, w.bobPassword)
	b.wantHeading("Continue logging in")
	// Only the code is asked now; user name and password are behind.
	fs := b.wantFields("OATHToken")
	if l := fs[0].Label; l == "" {
		t.Fatal("the code field has no label")
	}
	b.wantFocus("OATHToken")
	b.button("Continue")
	b.button("Cancel and start over")
	b.checkA11y("the two-factor step")
	b.screenshot("twofactor")
	b.checkPhoneWidth("the two-factor step", "")

	b.fill("OATHToken", "000000")
	b.press("Continue")
	b.wantHeading("Continue logging in")
	if a := b.alert(); a == "" {
		t.Fatalf("no alert after a wrong code: %s", b.text("body"))
	}
	b.wantFields("OATHToken")
	b.wantFocus("OATHToken")
	b.checkA11y("the two-factor step with an error")

	code, err := b.e.nextTOTP(b.ctx)
	if err != nil {
		t.Fatal(err)
	}
	b.fill("OATHToken", code)
	b.press("Continue")
	b.wantSignedIn(w.bob)
}

func TestChromiumTwoFactorCancel(t *testing.T) { eachTarget(t, testTwoFactorCancel) }

func testTwoFactorCancel(t *testing.T, w *wikiTarget) {
	b := newTab(t, w)
	b.open("/")
	b.passwordLogin(w.bob, w.bobPassword)
	b.wantFields("OATHToken")
	b.press("Cancel and start over")
	b.wantHeading("Log in")
	b.wantFields("username", "password", "rememberMe")
}

func TestChromiumCaptcha(t *testing.T) { eachTarget(t, testCaptcha) }

func testCaptcha(t *testing.T, w *wikiTarget) {
	b := newTab(t, w)
	b.open("/")
	b.passwordLogin(w.dave, "wrong-password")
	for i := 1; ; i++ {
		if strings.Contains(b.text("body"), w.captchaQuestion) {
			break
		}
		if i >= w.captchaAttempts {
			t.Fatalf("no captcha after %d attempts: %s", i, b.text("body"))
		}
		b.fill("password", w.davePassword)
		b.press("Log in")
	}
	b.wantHeading("Log in")
	fs := b.fields()
	var names []string
	for _, f := range fs {
		names = append(names, f.Name)
		if f.Label == "" {
			t.Errorf("field %s has no label", f.Name)
		}
	}
	slices.Sort(names)
	if strings.Join(names, " ") != "captchaWord password rememberMe username" {
		t.Fatalf("fields shown: %v, want the password form and the captcha answer", names)
	}
	// The password form comes first, as on Special:UserLogin, and the kept
	// user name sends the focus to the password.
	if fs[0].Name != "username" {
		t.Errorf("the first field is %s, want username", fs[0].Name)
	}
	b.wantFocus("password")
	b.checkA11y("the login form with a captcha")
	b.screenshot("captcha")
	b.checkPhoneWidth("the login form with a captcha", "")

	b.fill("password", w.davePassword)
	b.fill("captchaWord", w.captchaAnswer)
	b.press("Log in")
	b.wantSignedIn(w.dave)
}

// toIdentityProvider presses the SSO button and checks the "Taking you to
// ..." page on the way to the fake identity provider; the browser is on the
// provider's page after it. That page sends the browser on at once with a
// meta refresh; to look at it first (in the tests, and for the screenshot),
// the browser gets it without the refresh, and the person follows the link
// "Continue to ..." the page offers in any case. The refresh itself is used
// by the other REDIRECT tests (waitIdentityProvider).
func (b *tab) toIdentityProvider() {
	b.t.Helper()
	paused := chromedp.Events(b.ctx, fetch.RequestPaused)
	if _, err := chromedp.Call(b.ctx, fetch.Enable, fetch.EnableParams{
		Patterns: []*fetch.RequestPattern{{URLPattern: b.e.base + "/login", RequestStage: fetch.RequestStageResponse}},
	}); err != nil {
		b.t.Fatal(err)
	}
	held := make(chan error, 1)
	go func() {
		for ev, err := range paused {
			if err == nil {
				err = b.withoutRefresh(ev)
			}
			held <- err
			return
		}
	}()
	b.press(b.w.ssoButton)
	if err := <-held; err != nil {
		b.t.Fatalf("the answer to the SSO button: %v", err)
	}
	if _, err := chromedp.Call(b.ctx, fetch.Disable, cdp.Empty{}); err != nil {
		b.t.Fatal(err)
	}
	host := strings.TrimPrefix(b.e.wikiURL, "http://")
	b.wantHeading("Continue elsewhere")
	b.wantText("Taking you to " + host + " to sign in.")
	b.waitFocus("the visibly focused link Continue to "+host, func(f focused) bool { return f.Text == "Continue to "+host && f.Visible })
	b.checkA11y("the page that sends the browser to the identity provider")
	b.screenshot("redirect")
	b.checkPhoneWidth("the page that sends the browser to the identity provider", "")
	b.press("Continue to " + host)
	b.waitIdentityProvider()
}

var metaRefresh = regexp.MustCompile(`<meta http-equiv="refresh" content="0;url=([^"]+)">`)

// withoutRefresh lets the paused page through without its meta refresh,
// after checking that it has one to the wiki.
func (b *tab) withoutRefresh(ev fetch.EventRequestPaused) error {
	body, err := chromedp.Call(b.ctx, fetch.GetResponseBody, fetch.GetResponseBodyParams{RequestID: ev.RequestID})
	if err != nil {
		return err
	}
	m := metaRefresh.FindSubmatch(body.Body)
	if m == nil {
		return fmt.Errorf("no meta refresh on the page (status %d):\n%s", ev.ResponseStatusCode, body.Body)
	}
	if target := html.UnescapeString(string(m[1])); !strings.HasPrefix(target, b.e.idpURL) {
		return fmt.Errorf("the meta refresh goes to %s", target)
	}
	var headers []*fetch.HeaderEntry
	for _, h := range ev.ResponseHeaders {
		if !strings.EqualFold(h.Name, "Content-Length") {
			headers = append(headers, h)
		}
	}
	_, err = chromedp.Call(b.ctx, fetch.FulfillRequest, fetch.FulfillRequestParams{
		RequestID: ev.RequestID, ResponseCode: ev.ResponseStatusCode, ResponseHeaders: headers,
		Body: metaRefresh.ReplaceAll(body.Body, nil),
	})
	return err
}

// waitIdentityProvider waits until the fake identity provider's page is
// shown (the app sends the browser there with a meta refresh).
func (b *tab) waitIdentityProvider() {
	b.t.Helper()
	b.do("the identity provider's page", chromedp.WaitVisible(chromedp.CSS(b.w.idpSelector), chromedp.RetryInterval(50*time.Millisecond)))
	if h := b.heading(); h != b.w.idpHeading {
		b.t.Fatalf("identity provider page: %q: %s", h, b.text("body"))
	}
}

func TestChromiumRedirect(t *testing.T) { eachTarget(t, testRedirect) }

func testRedirect(t *testing.T, w *wikiTarget) {
	b := newTab(t, w)
	b.open("/")
	b.toIdentityProvider()
	b.press(w.mappedIdentity)
	// Back from the provider to /return, and on to the signed-in page.
	b.wantSignedIn(w.carol)
	b.checkA11y("the signed-in page after the identity provider")
	b.screenshot("redirect-return")
	b.signOut()
}

func TestChromiumRestart(t *testing.T) { eachTarget(t, testRestart) }

func testRestart(t *testing.T, w *wikiTarget) {
	b := newTab(t, w)
	b.open("/")
	b.toIdentityProvider()
	b.press(w.unmappedIdentity)
	b.wantHeading("Login not completed")
	if a := b.alert(); a == "" {
		t.Fatalf("no alert with the wiki's message: %s", b.text("body"))
	}
	b.waitFocus("the button Start again", func(f focused) bool { return f.Text == "Start again" })
	b.checkA11y("the RESTART page")
	b.screenshot("restart")
	b.checkPhoneWidth("the RESTART page", "")

	b.press("Start again")
	b.wantHeading("Log in")
	b.wantText("Starting again.")
	b.wantFields("username", "password", "rememberMe")
	b.passwordLogin(w.alice, w.alicePassword)
	b.wantSignedIn(w.alice)
}

// TestChromiumKeyboard logs in with the keyboard alone: the focus starts
// on the user name, Tab walks the form in reading order, every stop shows
// where the focus is, and Enter sends the form.
func TestChromiumKeyboard(t *testing.T) {
	b := newTab(t, realWiki)
	b.open("/")
	b.wantFocus("username")
	b.do("type", chromedp.KeyEvent(testwiki.AliceUser))
	type stop struct{ name, text string }
	want := []stop{
		{"password", ""},
		{"", "Show password"},
		{"rememberMe", ""},
		{"", "Log in"},
		{testwiki.SSOButtonField, "Log in with Test SSO"},
	}
	check := func(i int, w stop) {
		t.Helper()
		f := b.focus()
		if f.Name != w.name || (w.text != "" && f.Text != w.text) {
			t.Fatalf("tab stop %d: focus on %+v, want %+v", i, f, w)
		}
		if !f.Visible {
			t.Errorf("tab stop %d (%s %q): focus not visible (%s)", i, f.Tag, f.Name+f.Text, f.Style)
		}
	}
	check(0, stop{"username", ""})
	for i, w := range want {
		b.do("tab", chromedp.KeyEvent("\t"))
		if i == 0 {
			b.do("type", chromedp.KeyEvent(testwiki.AlicePassword))
		}
		check(i+1, w)
	}
	// Back to "Log in" with Shift+Tab, and Enter.
	b.do("shift-tab", chromedp.KeyEvent("\t", chromedp.KeyModifiers(chromedp.ModifierShift)))
	check(len(want)+1, want[3])
	resp, err := chromedp.RunResponse(b.ctx, chromedp.KeyEvent("\r"))
	b.checkResponse("Enter on Log in", resp, err)
	b.wantSignedIn(testwiki.AliceUser)

	// Signing out by keyboard too: the stops are the wiki's name in the
	// header (a link to its main page), the link to the wiki, then "Log
	// out".
	b.do("tab", chromedp.KeyEvent("	"))
	if f := b.focus(); f.Tag != "a" || f.Text != testwiki.SiteName || !f.Visible {
		t.Fatalf("first tab stop on the signed-in page: %+v", f)
	}
	b.do("tab", chromedp.KeyEvent("	"))
	if f := b.focus(); !strings.HasPrefix(f.Text, "Go to ") || !f.Visible {
		t.Fatalf("second tab stop on the signed-in page: %+v", f)
	}
	b.do("tab", chromedp.KeyEvent("\t"))
	if f := b.focus(); f.Text != "Log out" || !f.Visible {
		t.Fatalf("third tab stop on the signed-in page: %+v", f)
	}
	resp, err = chromedp.RunResponse(b.ctx, chromedp.KeyEvent("\r"))
	b.checkResponse("Enter on Log out", resp, err)
	b.wantText("You have signed out.")
}

// TestChromiumNoJavaScript runs the main flows with JavaScript off: a
// password login and sign-out, the REDIRECT round trip (the app sends the
// browser on with a meta refresh) and a provider's cross-site POST return,
// whose re-post page then needs a click.
func TestChromiumNoJavaScript(t *testing.T) {
	b := newTab(t, realWiki)
	b.scripts(false)
	b.open("/")
	if err := b.eval(`1`, new(int)); err != nil {
		t.Fatalf("DevTools evaluation with scripts off: %v", err)
	}
	b.wantHeading("Log in")
	b.wantFields("username", "password", "rememberMe")
	b.passwordLogin(testwiki.AliceUser, testwiki.AlicePassword)
	b.wantSignedIn(testwiki.AliceUser)
	b.signOut()

	t.Run("redirect", func(t *testing.T) {
		b := b.in(t)
		b.open("/")
		b.press("Log in with Test SSO")
		b.waitIdentityProvider()
		b.press("Continue as " + testwiki.SSOMappedIdentity)
		b.wantSignedIn(testwiki.CarolUser)
		b.signOut()
	})
	t.Run("cross-site POST return", func(t *testing.T) {
		b.in(t).crossSiteReturn(true)
	})
}

// TestChromiumCrossSiteReturn: a provider that returns by a cross-site
// POST; the browser sends no SameSite cookie with it, so our page posts
// the values again, by itself (bounce.js).
func TestChromiumCrossSiteReturn(t *testing.T) {
	b := newTab(t, realWiki)
	b.crossSiteReturn(false)
}

// providerPost is a page on another site (localhost, where the app is on
// 127.0.0.1) that posts a provider's answer back to the app, as a
// provider using response_mode=form_post does.
var providerPost = template.Must(template.New("").Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Provider</title></head><body>
<h1>Provider</h1>
<form method="post" action="{{.Action}}">
{{range $k, $vs := .Values}}{{range $vs}}<input type="hidden" name="{{$k}}" value="{{.}}">{{end}}{{end}}
<button type="submit">Return to the app</button>
</form></body></html>`))

func (b *tab) crossSiteReturn(noScript bool) {
	b.t.Helper()
	b.open("/")
	b.press("Log in with Test SSO")
	b.waitIdentityProvider()
	loc, err := chromedp.Run(b.ctx, chromedp.Location())
	if err != nil {
		b.t.Fatal(err)
	}
	back, err := testwiki.ChooseIdentity(b.ctx, loc, testwiki.SSOMappedIdentity)
	if err != nil {
		b.t.Fatal(err)
	}
	action := *back
	action.RawQuery = ""
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		providerPost.Execute(w, map[string]any{"Action": action.String(), "Values": back.Query()})
	}))
	srv.Listener.Close()
	srv.Listener = ln
	srv.Start()
	b.t.Cleanup(srv.Close)
	// localhost is another site than 127.0.0.1 for the browser.
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	resp, err := chromedp.Run(b.ctx, chromedp.NavigateResponse("http://localhost:"+port+"/"))
	b.checkResponse("the provider's page", resp, err)
	if noScript {
		b.press("Return to the app")
		b.wantHeading("Almost done")
		b.wantText("One more step")
		b.checkA11y("the re-post page")
		b.press("Continue signing in")
	} else {
		b.click(b.button("Return to the app"))
		// bounce.js posts again at once; wait for the page it leads to.
		b.do("the signed-in page", chromedp.WaitVisible(chromedp.CSS(".username"), chromedp.RetryInterval(50*time.Millisecond)))
	}
	b.wantSignedIn(testwiki.CarolUser)
	b.signOut()
}

// in returns the tab for a subtest.
func (b *tab) in(t *testing.T) *tab {
	c := *b
	c.t = t
	return &c
}

func jsonUnmarshal(raw []byte, out any) error { return json.Unmarshal(raw, out) }

// jsString quotes s as a JavaScript string literal.
func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// TestChromiumAxeFindsProblems checks the checker: on a page with an
// unlabelled field and an image without alt text, axe-core as loaded here
// reports both.
func TestChromiumAxeFindsProblems(t *testing.T) {
	b := newTab(t, realWiki)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Content-Security-Policy", "default-src 'none'; script-src 'self'")
		fmt.Fprint(w, `<!DOCTYPE html><html lang="en"><head><title>Broken</title></head><body><main><h1>Broken</h1>
<form><input type="text" name="q"><img src="/x.png"></form></main></body></html>`)
	}))
	t.Cleanup(srv.Close)
	resp, err := chromedp.Run(b.ctx, chromedp.NavigateResponse(srv.URL))
	b.checkResponse("the broken page", resp, err)
	found := map[string]bool{}
	for _, v := range b.axeViolations("the broken page") {
		found[v.ID] = true
	}
	if !found["label"] || !found["image-alt"] {
		t.Fatalf("axe-core found %v, want label and image-alt", found)
	}
}

// slowPosts makes the wiki's answer to each POST (clientlogin) slow to
// come back, once the wiki has done the step, so that a second click
// lands while the first post waits for it, as with a busy wiki.
type slowPosts struct{ next http.RoundTripper }

func (s slowPosts) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := s.next.RoundTrip(r)
	if err != nil || r.Method != http.MethodPost {
		return resp, err
	}
	select {
	case <-time.After(700 * time.Millisecond):
		return resp, nil
	case <-r.Context().Done():
		resp.Body.Close()
		return nil, r.Context().Err()
	}
}

var slowWiki = envHook{client: func(o *mwclient.Options) { o.Transport = slowPosts{next: mwclient.NewTransport()} }}

// doubleClick clicks the button labelled label twice, 150 ms apart, with
// the mouse, as an impatient person does: the browser abandons the first
// post and sends the form again. It waits for the page the second one
// leads to.
func (b *tab) doubleClick(label string) {
	b.t.Helper()
	var at struct{ X, Y float64 }
	if err := b.eval(`(() => { const r = document.querySelector('`+b.button(label)+`').getBoundingClientRect();
		return {X: r.left + r.width / 2, Y: r.top + r.height / 2}; })()`, &at); err != nil {
		b.t.Fatal(err)
	}
	// The page before the clicks is marked, so that the wait below is for
	// a page that came after it (a two-factor step shows the field the
	// next one may show too).
	if err := b.eval(`document.documentElement.dataset.beforeClick = "1", true`, new(bool)); err != nil {
		b.t.Fatal(err)
	}
	b.do("double click "+label, chromedp.MouseClickXY(at.X, at.Y), chromedp.Sleep(150*time.Millisecond), chromedp.MouseClickXY(at.X, at.Y))
	b.do("the page after the double click", chromedp.WaitNotPresent(`html[data-before-click]`),
		chromedp.WaitVisible(`.username, [name="OATHToken"], [role="alert"]`))
}

func TestChromiumDoubleClick(t *testing.T) {
	eachTarget(t, func(t *testing.T, w *wikiTarget) {
		t.Run("password", func(t *testing.T) {
			b := newTab(t, w, slowWiki)
			b.open("/")
			b.fill("username", w.alice)
			b.fill("password", w.alicePassword)
			b.doubleClick("Log in")
			b.wantSignedIn(w.alice)
		})
		t.Run("two-factor", func(t *testing.T) {
			b := newTab(t, w, slowWiki)
			b.open("/")
			b.passwordLogin(w.bob, w.bobPassword)
			b.wantFields("OATHToken")
			code, err := b.e.nextTOTP(b.ctx)
			if err != nil {
				t.Fatal(err)
			}
			b.fill("OATHToken", code)
			b.doubleClick("Continue")
			b.wantSignedIn(w.bob)
		})
	})
	// The real test wiki has no step with every field type; the demo
	// wiki's Erin reaches one after the password.
	t.Run("demo/UI step", func(t *testing.T) {
		b := newTab(t, demoWiki, slowWiki)
		b.open("/")
		b.passwordLogin(demowiki.UserErin, demowiki.Password)
		b.wantHeading("Continue logging in")
		b.fill("nickname", "erin")
		b.fill("pin", "1234")
		b.do("accept the terms", chromedp.Click(`[name="terms"]`, chromedp.NodeVisible))
		b.doubleClick("Continue")
		b.wantSignedIn(demowiki.UserErin)
	})
}

// TestChromiumFormScript: with JavaScript on, forms.js adds a show-password
// toggle (a button with aria-pressed, its text from the form's
// data-show-password) and marks the pressed button busy while the form
// is sent; the page's CSP (script-src 'self') lets it run, and the page
// stays clean for axe-core. TestChromiumNoJavaScript covers the pages
// without it.
func TestChromiumFormScript(t *testing.T) {
	b := newTab(t, demoWiki)
	b.open("/")
	type toggle struct {
		Text, Pressed, Controls, InputType string
	}
	state := func() toggle {
		t.Helper()
		var s toggle
		if err := b.eval(`(() => { const b = document.querySelector('button.reveal'); if (!b) return {};
			const i = document.getElementById(b.getAttribute('aria-controls'));
			return {Text: b.innerText.trim(), Pressed: b.getAttribute('aria-pressed'), Controls: i ? i.name : '', InputType: i ? i.type : ''}; })()`, &s); err != nil {
			t.Fatal(err)
		}
		return s
	}
	if got, want := state(), (toggle{"Show password", "false", "password", "password"}); got != want {
		t.Fatalf("the toggle after loading: %+v, want %+v\n%s", got, want, b.logs())
	}
	b.checkA11y("login form with the show-password toggle")
	b.fill("username", demowiki.UserAlice)
	b.fill("password", demowiki.Password)
	b.do("show the password", chromedp.Click(chromedp.CSS(b.button("Show password")), chromedp.NodeVisible))
	if got, want := state(), (toggle{"Show password", "true", "password", "text"}); got != want {
		t.Fatalf("the toggle pressed: %+v, want %+v", got, want)
	}
	b.checkA11y("login form with the password shown")
	b.do("hide the password", chromedp.Click(chromedp.CSS(b.button("Show password")), chromedp.NodeVisible))
	if got, want := state(), (toggle{"Show password", "false", "password", "password"}); got != want {
		t.Fatalf("the toggle pressed again: %+v, want %+v", got, want)
	}
	// Shown when the form is sent: sent as a password all the same.
	b.do("show the password", chromedp.Click(chromedp.CSS(b.button("Show password")), chromedp.NodeVisible))

	// While the form is sent, the button says so. What it says is read as
	// the submit event reaches the window, after forms.js has handled it
	// on the form, and kept in sessionStorage for after the page is gone.
	if err := b.eval(`window.addEventListener('submit', e => {
		const b = e.submitter;
		sessionStorage.setItem('busy', JSON.stringify({Text: b.innerText.trim(), Disabled: b.getAttribute('aria-disabled') || '',
			InputType: document.querySelector('[name=password]').type}));
	}), true`, new(bool)); err != nil {
		t.Fatal(err)
	}
	b.press("Log in")
	type busy struct{ Text, Disabled, InputType string }
	var got busy
	var raw string
	if err := b.eval(`sessionStorage.getItem('busy') || ''`, &raw); err != nil {
		t.Fatal(err)
	}
	if err := jsonUnmarshal([]byte(raw), &got); err != nil {
		t.Fatalf("what the button said: %q: %v", raw, err)
	}
	if want := (busy{"Signing in…", "true", "password"}); got != want {
		t.Fatalf("while the form is sent: %+v, want %+v", got, want)
	}
	b.wantSignedIn(demowiki.UserAlice)
}
