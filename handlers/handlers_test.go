package handlers_test

import (
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/mwlogin/mwlogin/handlers"
	"github.com/mwlogin/mwlogin/internal/browsertest"
	"github.com/mwlogin/mwlogin/internal/demowiki"
	"github.com/mwlogin/mwlogin/internal/middleware"
	"github.com/mwlogin/mwlogin/internal/testproc"
	"github.com/mwlogin/mwlogin/mwclient"
)

// env is the app mounted under a prefix, in front of the demo wiki.
type env struct {
	app    *httptest.Server
	wiki   *demowiki.Wiki
	wikiTS *httptest.Server
	base   string // app URL including the prefix
	logs   *testproc.SyncBuffer
}

func newEnv(t *testing.T, prefix string) *env {
	t.Helper()
	wiki := demowiki.New()
	wikiTS := httptest.NewServer(wiki)
	t.Cleanup(wikiTS.Close)
	return newEnvFor(t, prefix, wikiTS.URL+"/api.php", wiki, wikiTS)
}

// envHook adjusts a test app: its options before Register, its routes
// after.
type envHook struct {
	client func(*mwclient.Options)
	opts   func(*handlers.Options)
	routes func(*gin.RouterGroup, *handlers.App)
}

func newEnvFor(t *testing.T, prefix, apiURL string, wiki *demowiki.Wiki, wikiTS *httptest.Server, hooks ...envHook) *env {
	t.Helper()
	gin.SetMode(gin.ReleaseMode)
	copts := mwclient.Options{UserAgent: "mwlogin-test/0 (test)", Timeout: 3 * time.Second}
	for _, h := range hooks {
		if h.client != nil {
			h.client(&copts)
		}
	}
	client, err := mwclient.New(apiURL, copts)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	public := "http://" + ln.Addr().String()
	logs := &testproc.SyncBuffer{}
	router := gin.New()
	log := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	router.Use(middleware.RequestID(), middleware.AccessLog(log), middleware.Recovery(log))
	group := router.Group(prefix)
	opts := handlers.Options{
		Client: client, PublicURL: public, Keys: [][]byte{[]byte("test-key-0123456789-0123456789-0123456789")},
		InsecureCookies: true, Logger: log,
		// Every signed-in page asks the wiki (assert=user) in these tests,
		// so that each one proves the wiki session the app stored; the
		// default, which trusts a fresh PASS, has tests of its own
		// (TestSignedInPageTrustsFreshPass).
		RecheckAfter: -1,
	}
	for _, h := range hooks {
		if h.opts != nil {
			h.opts(&opts)
		}
	}
	app, err := handlers.Register(group, opts)
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range hooks {
		if h.routes != nil {
			h.routes(group, app)
		}
	}
	srv := httptest.NewUnstartedServer(router)
	srv.Listener.Close()
	srv.Listener = ln
	srv.Start()
	t.Cleanup(srv.Close)
	currentLogs.Store(t.Name(), logs)
	return &env{app: srv, wiki: wiki, wikiTS: wikiTS, base: public + strings.TrimRight(prefix, "/"), logs: logs}
}

func mustContain(t *testing.T, p *browsertest.Page, want ...string) {
	t.Helper()
	text := p.Text()
	for _, w := range want {
		if !strings.Contains(text, w) {
			t.Fatalf("page %s (status %d) lacks %q; it says:\n%s\nlogs:\n%s", p.URL, p.Status, w, text, logsOf(t))
		}
	}
}

var currentLogs sync.Map

// logsOf returns the app's log of the test (registered under its name).
func logsOf(t *testing.T) string {
	if v, ok := currentLogs.Load(t.Name()); ok {
		return v.(*testproc.SyncBuffer).String()
	}
	return ""
}

func mustNotContain(t *testing.T, p *browsertest.Page, bad ...string) {
	t.Helper()
	for _, b := range bad {
		if strings.Contains(p.Body, b) {
			t.Fatalf("page %s contains %q", p.URL, b)
		}
	}
}

func login(t *testing.T, e *env, b *browsertest.Browser, user, password string) *browsertest.Page {
	t.Helper()
	p := b.Get(e.base + "/")
	if p.Status != http.StatusOK {
		t.Fatalf("login page: status %d: %s", p.Status, p.Text())
	}
	return p.Form("/login").Set("username", user).Set("password", password).Submit()
}

func TestPasswordLoginPass(t *testing.T) {
	for _, prefix := range []string{"/", "/auth"} {
		t.Run("prefix="+prefix, func(t *testing.T) {
			e := newEnv(t, prefix)
			b := browsertest.New(t)
			form := b.Get(e.base + "/")
			mustContain(t, form, "Log in", "Username", "Password", "Keep me logged in", "Log in with Demo SSO")
			before := cookie(t, b, e.base+"/", handlers.DefaultCookieName)

			p := form.Form("/login").Set("username", "Alice").Set("password", demowiki.Password).Submit()
			if p.Status != http.StatusOK {
				t.Fatalf("status %d: %s", p.Status, p.Text())
			}
			mustContain(t, p, "holds your sign-in to", " as Alice", "Edits", "Log out")
			after := cookie(t, b, e.base+"/", handlers.DefaultCookieName)
			if before == "" || after == "" || before == after {
				t.Fatalf("session cookie not rotated at PASS: before %q after %q", before, after)
			}
			// The ID known before the login opens nothing after it.
			old := browsertest.New(t)
			u, _ := url.Parse(e.app.URL)
			old.Client.Jar.SetCookies(u, []*http.Cookie{{Name: handlers.DefaultCookieName, Value: before, Path: "/"}})
			if op := old.Get(e.base + "/"); strings.Contains(op.Text(), "signed in") {
				t.Fatal("the pre-login session ID still opens the signed-in session")
			}
			if strings.Contains(e.logs.String(), demowiki.Password) {
				t.Fatal("the password appears in the logs")
			}
		})
	}
}

func cookie(t *testing.T, b *browsertest.Browser, rawURL, name string) string {
	t.Helper()
	for _, c := range b.Cookies(rawURL) {
		if c.Name == name {
			return c.Value
		}
	}
	return ""
}

func TestCookieAttributes(t *testing.T) {
	e := newEnv(t, "/auth")
	resp, err := http.Get(e.base + "/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	var c *http.Cookie
	for _, k := range resp.Cookies() {
		if k.Name == handlers.DefaultCookieName {
			c = k
		}
	}
	if c == nil {
		t.Fatal("no session cookie on the login page")
	}
	if !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.Path != "/auth" {
		t.Fatalf("cookie attributes: HttpOnly=%v SameSite=%v Path=%q", c.HttpOnly, c.SameSite, c.Path)
	}
	csp := resp.Header.Get("Content-Security-Policy")
	if !strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "unsafe-inline") {
		t.Fatalf("CSP %q", csp)
	}
	if resp.Header.Get("X-Content-Type-Options") != "nosniff" {
		t.Fatal("no nosniff")
	}
}

func TestWrongPasswordFail(t *testing.T) {
	e := newEnv(t, "/")
	b := browsertest.New(t)
	p := login(t, e, b, "Alice", "not-the-password")
	mustContain(t, p, "Incorrect username or password")
	if alerts := p.Find(browsertest.ByTag("div", "role", "alert")); len(alerts) == 0 {
		t.Fatal("the failure is not announced with role=alert")
	}
	pw := p.Input("password")
	if pw == nil {
		t.Fatal("no password field on the re-shown form")
	}
	if v, ok := browsertest.Attr(pw, "value"); ok && v != "" {
		t.Fatalf("password re-filled with %q", v)
	}
	mustNotContain(t, p, "not-the-password")
	if v, _ := browsertest.Attr(p.Input("username"), "value"); v != "Alice" {
		t.Fatalf("username not kept: %q", v)
	}
	// The re-shown form works.
	p = p.Form("/login").Set("password", demowiki.Password).Submit()
	mustContain(t, p, "holds your sign-in to", " as Alice")
}

func TestTwoFactorUI(t *testing.T) {
	e := newEnv(t, "/")
	b := browsertest.New(t)
	p := login(t, e, b, "Bob", demowiki.Password)
	mustContain(t, p, "Continue logging in", "two-factor authentication application", "Two-factor token or recovery code")
	if p.Input("OATHToken") == nil {
		t.Fatalf("no OATHToken field: %s", p.Text())
	}
	if _, ok := browsertest.Attr(p.Input("OATHToken"), "autofocus"); !ok {
		t.Fatal("the step's first field has no focus")
	}
	p = p.Form("/login").Set("OATHToken", "000000").Submit()
	mustContain(t, p, "Verification failed")
	if p.Input("OATHToken") == nil {
		t.Fatal("the 2FA step is not shown again after a wrong code")
	}
	p = p.Form("/login").Set("OATHToken", demowiki.TOTP(demowiki.TOTPSecret, time.Now())).Submit()
	mustContain(t, p, "holds your sign-in to", " as Bob")
}

func TestCaptchaAfterFail(t *testing.T) {
	e := newEnv(t, "/")
	b := browsertest.New(t)
	p := login(t, e, b, "Dave", "wrong")
	mustContain(t, p, "Incorrect username or password", demowiki.CaptchaQuestion)
	if p.Input("captchaWord") == nil {
		t.Fatal("no captcha answer field after the failure")
	}
	if p.Input("captchaId") != nil {
		t.Fatal("the captcha id is sent to the browser; it should stay on the server")
	}
	p = p.Form("/login").Set("username", "Dave").Set("password", demowiki.Password).Set("captchaWord", "green").Submit()
	mustContain(t, p, "Incorrect username or password", demowiki.CaptchaQuestion)
	p = p.Form("/login").Set("username", "Dave").Set("password", demowiki.Password).Set("captchaWord", demowiki.CaptchaAnswer).Submit()
	mustContain(t, p, "holds your sign-in to", " as Dave")
}

// ssoToProvider presses the SSO button and follows the browser to the
// provider's page.
func ssoToProvider(t *testing.T, e *env, b *browsertest.Browser) *browsertest.Page {
	t.Helper()
	p := b.Get(e.base + "/").Form("/login").Submit(demowiki.SSOButton)
	mustContain(t, p, "Taking you to")
	target := p.MetaRefresh()
	if !strings.HasPrefix(target, e.wikiTS.URL+"/idp?") {
		t.Fatalf("redirect target %q", target)
	}
	idp := p.Follow(target)
	mustContain(t, idp, "Demo identity provider")
	return idp
}

// providerReturn takes b through single sign-on to the provider's consent
// and returns the URL the provider sends the browser back to, unfollowed.
func providerReturn(t *testing.T, e *env, b *browsertest.Browser) *url.URL {
	t.Helper()
	idp := ssoToProvider(t, e, b)
	var ret *url.URL
	b.Client.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		ret = req.URL
		return http.ErrUseLastResponse
	}
	idp.Form("idp").Submit("identity")
	b.Client.CheckRedirect = nil
	if ret == nil {
		t.Fatal("the provider did not redirect")
	}
	return ret
}

func TestRedirectFlow(t *testing.T) {
	e := newEnv(t, "/auth")
	b := browsertest.New(t)
	idp := ssoToProvider(t, e, b)
	// Capture where the provider sends the browser, to replay it.
	var returnURL string
	b.Client.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if strings.Contains(req.URL.Path, "/auth/return") {
			returnURL = req.URL.String()
		}
		return nil
	}
	p := idp.Form("idp").Submit("identity") // first button: carol
	b.Client.CheckRedirect = nil
	mustContain(t, p, "holds your sign-in to", " as Carol")
	if returnURL == "" || !strings.Contains(returnURL, "mwlogin_state=") || !strings.Contains(returnURL, "code=") {
		t.Fatalf("return URL %q", returnURL)
	}

	t.Run("replayed in the same browser", func(t *testing.T) {
		p := b.Get(returnURL)
		if p.Status != http.StatusOK || !strings.Contains(p.Text(), "holds your sign-in") {
			// A signed-in browser is not signed out by a replay; the return
			// itself is refused.
		}
		if p.Status != http.StatusBadRequest {
			t.Fatalf("replay: status %d, want 400: %s", p.Status, p.Text())
		}
	})
	t.Run("replayed from another browser", func(t *testing.T) {
		other := browsertest.New(t)
		p := other.Get(returnURL)
		if p.Status != http.StatusBadRequest {
			t.Fatalf("status %d, want 400", p.Status)
		}
		mustContain(t, p, "no sign-in waiting")
		if strings.Contains(other.Get(e.base+"/").Text(), "signed in") {
			t.Fatal("another browser got signed in by a replayed return")
		}
	})
}

func TestRedirectReturnStateChecks(t *testing.T) {
	cases := []struct {
		name  string
		query func(good url.Values) url.Values
	}{
		{"missing state", func(g url.Values) url.Values { g.Del("mwlogin_state"); return g }},
		{"wrong state", func(g url.Values) url.Values { g.Set("mwlogin_state", "forged"); return g }},
		{"empty state", func(g url.Values) url.Values { g.Set("mwlogin_state", ""); return g }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, "/")
			b := browsertest.New(t)
			ret := providerReturn(t, e, b)
			forged := *ret
			forged.RawQuery = tc.query(ret.Query()).Encode()
			p := b.Get(forged.String())
			if p.Status != http.StatusBadRequest {
				t.Fatalf("status %d, want 400: %s", p.Status, p.Text())
			}
			mustContain(t, p, "does not belong to your sign-in")
			if strings.Contains(b.Get(e.base+"/").Text(), "holds your sign-in") {
				t.Fatal("signed in after a forged return")
			}
			// The genuine return still works afterwards.
			p = b.Get(ret.String())
			mustContain(t, p, "holds your sign-in to", " as Carol")
		})
	}
}

func TestReturnWithoutPendingRedirect(t *testing.T) {
	e := newEnv(t, "/")
	b := browsertest.New(t)
	b.Get(e.base + "/")
	p := b.Get(e.base + "/return?code=x&state=y&mwlogin_state=z")
	if p.Status != http.StatusBadRequest {
		t.Fatalf("status %d", p.Status)
	}
	mustContain(t, p, "no sign-in waiting")
}

func TestRestart(t *testing.T) {
	e := newEnv(t, "/")
	b := browsertest.New(t)
	idp := ssoToProvider(t, e, b)
	// The second identity button: the stranger.
	f := idp.Form("idp")
	f.Values.Set("identity", demowiki.IdentityStranger)
	p := b.Post(f.Action.String(), f.Values)
	mustContain(t, p, "Login not completed", "not associated with any user", "Start again")
	p = p.Form("/restart").Submit()
	mustContain(t, p, "Starting again", "Username", "Password")
	p = p.Form("/login").Set("username", "Alice").Set("password", demowiki.Password).Submit()
	mustContain(t, p, "holds your sign-in to", " as Alice")
}

func TestExpiredWikiSessionMidFlow(t *testing.T) {
	e := newEnv(t, "/")
	b := browsertest.New(t)
	p := login(t, e, b, "Bob", demowiki.Password)
	if p.Input("OATHToken") == nil {
		t.Fatal("no 2FA step")
	}
	e.wiki.ExpireSessions()
	p = p.Form("/login").Set("OATHToken", demowiki.TOTP(demowiki.TOTPSecret, time.Now())).Submit()
	if p.Status != http.StatusOK {
		t.Fatalf("status %d: %s", p.Status, p.Text())
	}
	mustContain(t, p, "took too long", "Username", "Password")
	p = p.Form("/login").Set("username", "Alice").Set("password", demowiki.Password).Submit()
	mustContain(t, p, "holds your sign-in to", " as Alice")
}

func TestSignOutEndsWikiSession(t *testing.T) {
	e := newEnv(t, "/")
	b := browsertest.New(t)
	p := login(t, e, b, "Alice", demowiki.Password)
	mustContain(t, p, "holds your sign-in to", " as Alice")
	if n := e.wiki.LoggedIn(); n != 1 {
		t.Fatalf("%d wiki sessions logged in, want 1", n)
	}
	p = p.Form("/logout").Submit()
	mustContain(t, p, "You have signed out", "Username")
	if n := e.wiki.LoggedIn(); n != 0 {
		t.Fatalf("%d wiki sessions still logged in after sign-out", n)
	}
}

// defaultRecheck keeps the app's default RecheckAfter.
var defaultRecheck = envHook{opts: func(o *handlers.Options) { o.RecheckAfter = 0 }}

// The wiki vouched for the session at PASS: the page after it shows the
// user without asking again, so a password login costs exactly its two
// wiki round trips (login token, clientlogin).
func TestSignedInPageTrustsFreshPass(t *testing.T) {
	wiki := demowiki.New()
	wikiTS := httptest.NewServer(wiki)
	t.Cleanup(wikiTS.Close)
	e := newEnvFor(t, "/", wikiTS.URL+"/api.php", wiki, wikiTS, defaultRecheck)
	b := browsertest.New(t)
	form := b.Get(e.base + "/")
	before := wiki.Calls()
	p := form.Form("/login").Set("username", "Alice").Set("password", demowiki.Password).Submit()
	mustContain(t, p, "holds your sign-in to", " as Alice", "Log out")
	mustNotContain(t, p, "Edits")
	if n := wiki.Calls() - before; n != 2 {
		t.Fatalf("a password login through the browser made %d wiki calls, want 2", n)
	}
	mustContain(t, b.Get(e.base+"/"), "holds your sign-in to", " as Alice")
	if n := wiki.Calls() - before; n != 2 {
		t.Fatalf("the signed-in page asked the wiki again within RecheckAfter (%d calls)", n)
	}
}

// After RecheckAfter the page asks the wiki again: it shows the account,
// or notices that the wiki ended the session.
func TestSignedInPageRechecksAfterWhile(t *testing.T) {
	const recheck = time.Minute
	clock := newClock()
	wiki := demowiki.New()
	wikiTS := httptest.NewServer(wiki)
	t.Cleanup(wikiTS.Close)
	e := newEnvFor(t, "/", wikiTS.URL+"/api.php", wiki, wikiTS, envHook{opts: func(o *handlers.Options) {
		o.RecheckAfter, o.Now = recheck, clock.Now
	}})
	b := browsertest.New(t)
	p := login(t, e, b, "Alice", demowiki.Password)
	mustNotContain(t, p, "Edits")
	clock.Advance(recheck - time.Second)
	before := wiki.Calls()
	mustNotContain(t, b.Get(e.base+"/"), "Edits")
	if n := wiki.Calls() - before; n != 0 {
		t.Fatalf("the signed-in page asked the wiki %d times before RecheckAfter", n)
	}
	clock.Advance(time.Second)
	p = b.Get(e.base + "/")
	mustContain(t, p, "holds your sign-in to", " as Alice", "Edits")
	if n := wiki.Calls() - before; n != 1 {
		t.Fatalf("the recheck made %d wiki calls, want 1 (assert=user)", n)
	}
	// What the check found is shown again while it is fresh.
	mustContain(t, b.Get(e.base+"/"), "Edits")
	wiki.ExpireSessions()
	clock.Advance(recheck)
	mustContain(t, b.Get(e.base+"/"), "Your wiki session has ended", "Username")
}

// clock is a test clock that moves only when told to.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func newClock() *clock { return &clock{now: time.Now()} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func TestWikiSessionEndedElsewhere(t *testing.T) {
	e := newEnv(t, "/")
	b := browsertest.New(t)
	mustContain(t, login(t, e, b, "Alice", demowiki.Password), "holds your sign-in to", " as Alice")
	e.wiki.ExpireSessions()
	p := b.Get(e.base + "/")
	mustContain(t, p, "Your wiki session has ended", "Username")
}

func TestEveryFieldType(t *testing.T) {
	e := newEnv(t, "/")
	b := browsertest.New(t)
	p := login(t, e, b, "Erin", demowiki.Password)
	mustContain(t, p, "Confirm a few details", "About this step", "every field type", "Nickname", "Demo PIN", "Favourite colour", "Topics", "I accept the demo terms")
	if len(p.Find(browsertest.ByTag("b"))) == 0 {
		t.Fatal("the info field's markup was not kept")
	}
	checks := map[string]string{"nickname": "text", "pin": "password", "terms": "checkbox", "newsletter": "checkbox", "topics": "checkbox"}
	for name, typ := range checks {
		in := p.Input(name)
		if in == nil {
			t.Fatalf("no input %q", name)
		}
		if got, _ := browsertest.Attr(in, "type"); got != typ {
			t.Fatalf("%s: type %q, want %q", name, got, typ)
		}
	}
	if sel := p.Input("colour"); sel == nil || sel.Data != "select" {
		t.Fatal("colour is not a select")
	}
	if p.Input("ticket") != nil {
		t.Fatal("the hidden field's value was sent to the browser")
	}
	for _, n := range p.Find(browsertest.ByTag("input")) {
		id, _ := browsertest.Attr(n, "id")
		typ, _ := browsertest.Attr(n, "type")
		if typ == "hidden" {
			continue
		}
		if len(p.Find(browsertest.ByTag("label", "for", id))) == 0 {
			t.Fatalf("input %q has no label", id)
		}
	}
	f := p.Form("/login")
	if f.Values.Get("colour") != "green" {
		t.Fatalf("select default %q", f.Values.Get("colour"))
	}
	// A wrong PIN: the step again, with the PIN empty and the nickname kept.
	p = f.Set("nickname", "E").Set("pin", "0000").Set("terms", "1").Submit()
	mustContain(t, p, "Please fill in")
	f = p.Form("/login")
	f.Set("nickname", "E").Set("pin", "1234").Set("terms", "1").Set("colour", "blue")
	f.Values.Add("topics", "art")
	f.Values.Add("topics", "history")
	mustContain(t, f.Submit(), "holds your sign-in to", " as Erin")
}

func TestTwoBrowsersDoNotShareState(t *testing.T) {
	e := newEnv(t, "/")
	bob := browsertest.New(t)
	alice := browsertest.New(t)
	pb := login(t, e, bob, "Bob", demowiki.Password)
	if pb.Input("OATHToken") == nil {
		t.Fatal("no 2FA step")
	}
	pa := login(t, e, alice, "Alice", demowiki.Password)
	mustContain(t, pa, "holds your sign-in to", " as Alice")
	// Bob's browser is still at its own step, not signed in as Alice.
	again := bob.Get(e.base + "/")
	if again.Input("OATHToken") == nil || strings.Contains(again.Text(), "Alice") {
		t.Fatalf("Bob's flow changed: %s", again.Text())
	}
	pb = again.Form("/login").Set("OATHToken", demowiki.TOTP(demowiki.TOTPSecret, time.Now())).Submit()
	mustContain(t, pb, "holds your sign-in to", " as Bob")
	mustContain(t, alice.Get(e.base+"/"), "holds your sign-in to", " as Alice")
}

func TestConcurrentLogins(t *testing.T) {
	e := newEnv(t, "/")
	users := []string{"Alice", "Dave", "Alice", "Dave", "Alice", "Dave", "Alice", "Dave"}
	var wg sync.WaitGroup
	for i, u := range users {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 5 {
				b := browsertest.New(t)
				p := login(t, e, b, u, demowiki.Password)
				if !strings.Contains(p.Text(), " as "+u) || !strings.Contains(p.Text(), "holds your sign-in to") {
					t.Errorf("worker %d: login as %s: %s", i, u, p.Text())
					return
				}
			}
		}()
	}
	wg.Wait()
}

func TestCSRF(t *testing.T) {
	e := newEnv(t, "/")
	t.Run("cross-site origin", func(t *testing.T) {
		b := browsertest.New(t)
		f := b.Get(e.base+"/").Form("/login").Set("username", "Alice").Set("password", demowiki.Password)
		b.Header.Set("Sec-Fetch-Site", "cross-site")
		p := f.Submit()
		if p.Status != http.StatusForbidden {
			t.Fatalf("status %d", p.Status)
		}
		mustContain(t, p, "sent from another site")
	})
	t.Run("missing token", func(t *testing.T) {
		b := browsertest.New(t)
		f := b.Get(e.base+"/").Form("/login").Set("username", "Alice").Set("password", demowiki.Password)
		f.Values.Del("csrf")
		p := f.Submit()
		if p.Status != http.StatusForbidden {
			t.Fatalf("status %d", p.Status)
		}
		mustContain(t, p, "could not be verified")
	})
	t.Run("token of another session", func(t *testing.T) {
		other := browsertest.New(t)
		tok := other.Get(e.base + "/").Form("/login").Values.Get("csrf")
		b := browsertest.New(t)
		f := b.Get(e.base+"/").Form("/login").Set("username", "Alice").Set("password", demowiki.Password)
		f.Values.Set("csrf", tok)
		if p := f.Submit(); p.Status != http.StatusForbidden {
			t.Fatalf("status %d", p.Status)
		}
	})
	t.Run("sign-out", func(t *testing.T) {
		b := browsertest.New(t)
		p := login(t, e, b, "Alice", demowiki.Password)
		f := p.Form("/logout")
		f.Values.Del("csrf")
		if p := f.Submit(); p.Status != http.StatusForbidden {
			t.Fatalf("status %d", p.Status)
		}
		mustContain(t, b.Get(e.base+"/"), "holds your sign-in to", " as Alice")
	})
}

func TestStaleFormSubmittedTwice(t *testing.T) {
	e := newEnv(t, "/")
	b := browsertest.New(t)
	p := login(t, e, b, "Bob", demowiki.Password)
	f := p.Form("/login").Set("OATHToken", "000000")
	f.Submit()
	p = f.Submit() // the same step again
	mustContain(t, p, "already been sent or was out of date")
	if p.Input("OATHToken") == nil {
		t.Fatal("the current step is not shown")
	}
}

func TestWikiFaults(t *testing.T) {
	html := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		io.WriteString(w, "<html><body>Maintenance</body></html>")
	}))
	defer html.Close()
	down := httptest.NewServer(http.NotFoundHandler())
	downURL := down.URL
	down.Close()
	broken := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "oops", http.StatusServiceUnavailable)
	}))
	defer broken.Close()
	cases := []struct {
		name, api, want string
		status          int
	}{
		{"html instead of json", html.URL + "/api.php", "could not be understood", http.StatusBadGateway},
		{"connection refused", downURL + "/api.php", "cannot be reached", http.StatusBadGateway},
		{"http 503", broken.URL + "/api.php", "answered with an error", http.StatusBadGateway},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnvFor(t, "/", tc.api, nil, nil)
			p := browsertest.New(t).Get(e.base + "/")
			if p.Status != tc.status {
				t.Fatalf("status %d, want %d", p.Status, tc.status)
			}
			mustContain(t, p, tc.want, "Try again")
		})
	}
}
