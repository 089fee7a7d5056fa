package handlers_test

import (
	"context"
	"log/slog"
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
	"github.com/mwlogin/mwlogin/mwclient"
	"github.com/mwlogin/mwlogin/store"
)

// ttlBackend records the TTL of each session entry written.
type ttlBackend struct {
	store.Backend
	mu   sync.Mutex
	last time.Duration
}

func (b *ttlBackend) Set(ctx context.Context, key string, value []byte, ttl time.Duration) error {
	if strings.Contains(key, "session:") {
		b.mu.Lock()
		b.last = ttl
		b.mu.Unlock()
	}
	return b.Backend.Set(ctx, key, value, ttl)
}

func (b *ttlBackend) lastTTL() time.Duration {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.last
}

// "Keep me logged in" keeps the app's session as long as the wiki keeps the
// login: a cookie with Max-Age and an entry with the same TTL. Unticked,
// the cookie ends with the browser and the entry with SessionLifetime. The
// signed-in page, which saves the session again after asking the wiki,
// keeps it so.
func TestKeepMeLoggedIn(t *testing.T) {
	cases := []struct {
		name     string
		remember bool
		lifetime time.Duration // Options.RememberLifetime
		want     time.Duration // cookie Max-Age and entry TTL; 0: a browser-session cookie
	}{
		{"ticked", true, 0, handlers.DefaultRememberLifetime},
		{"ticked, 30 days", true, 30 * 24 * time.Hour, 30 * 24 * time.Hour},
		{"unticked", false, 0, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			backend := &ttlBackend{Backend: store.NewMemory()}
			wiki := demowiki.New()
			wikiTS := httptest.NewServer(wiki)
			t.Cleanup(wikiTS.Close)
			e := newEnvFor(t, "/", wikiTS.URL+"/api.php", wiki, wikiTS, envHook{opts: func(o *handlers.Options) {
				o.Backend, o.RememberLifetime = backend, tc.lifetime
			}})
			b := browsertest.New(t)
			var set []*http.Cookie
			b.Client.CheckRedirect = func(req *http.Request, via []*http.Request) error {
				set = append(set, req.Response.Cookies()...)
				return nil
			}
			f := b.Get(e.base+"/").Form("/login").Set("username", "Alice").Set("password", demowiki.Password)
			if tc.remember {
				f.Set("rememberMe", "1")
			}
			p := f.Submit()
			mustContain(t, p, "holds your sign-in to", " as Alice")
			// The PASS's redirect, then the signed-in page's own save.
			for _, raw := range p.Header.Values("Set-Cookie") {
				c, err := http.ParseSetCookie(raw)
				if err != nil {
					t.Fatal(err)
				}
				set = append(set, c)
			}
			if len(set) < 2 {
				t.Fatalf("%d session cookies set, want the PASS's and the signed-in page's", len(set))
			}
			for i, c := range set {
				if c.Name != handlers.DefaultCookieName {
					continue
				}
				if got := time.Duration(c.MaxAge) * time.Second; got != tc.want {
					t.Errorf("cookie %d: Max-Age %v, want %v", i, got, tc.want)
				}
				if tc.want == 0 && !c.Expires.IsZero() {
					t.Errorf("cookie %d: Expires %v on a browser-session cookie", i, c.Expires)
				}
				if tc.want > 0 && (c.Expires.Before(time.Now().Add(tc.want-time.Hour)) || c.Expires.After(time.Now().Add(tc.want+time.Hour))) {
					t.Errorf("cookie %d: Expires %v, want about now + %v", i, c.Expires, tc.want)
				}
			}
			ttl := tc.want
			if ttl == 0 {
				ttl = handlers.DefaultSessionLifetime
			}
			if got := backend.lastTTL(); got != ttl {
				t.Errorf("session entry TTL %v, want %v", got, ttl)
			}
		})
	}
}

// The signed-in page says that this app holds the sign-in, names the wiki,
// and links to it (index.php beside api.php, which the demo wiki answers)
// and to the page the sign-in was asked to return to.
func TestSignedInPageSaysWhatIsTrue(t *testing.T) {
	for _, returnTo := range []string{"", "/tool/me?tab=2"} {
		t.Run("returnto="+returnTo, func(t *testing.T) {
			e := newEnv(t, "/auth")
			b := browsertest.New(t)
			start := e.base + "/"
			if returnTo != "" {
				start += "?returnto=" + url.QueryEscape(returnTo)
			}
			b.Get(start).Form("/login").Set("username", "Alice").Set("password", demowiki.Password).Submit()
			p := b.Get(e.base + "/")
			mustContain(t, p, "This app holds your sign-in to "+demowiki.SiteName+" as Alice", "Go to "+demowiki.SiteName)
			mustNotContain(t, p, "signed in to the wiki")
			// The header's link and "Go to", both to the wiki's main page.
			links := p.Find(browsertest.ByTag("a", "href", e.wikiTS.URL+"/index.php?title=Main_Page"))
			if len(links) != 2 {
				t.Fatalf("%d links to the wiki's main page, want 2", len(links))
			}
			back := p.Find(browsertest.ByTag("a", "href", returnTo))
			if returnTo != "" && len(back) != 1 {
				t.Fatalf("no link back to %s", returnTo)
			}
			if returnTo == "" && strings.Contains(p.Text(), "Back to where you were") {
				t.Fatal("a link back with no return path")
			}
			if w := p.Follow(e.wikiTS.URL + "/index.php"); w.Status != http.StatusOK || !strings.Contains(w.Text(), "Main Page") {
				t.Fatalf("the demo wiki's index.php: %d %s", w.Status, w.Text())
			}
		})
	}
}

// ginHostWithNotFound mounts the app under /auth in a Gin host that uses
// App.NotFound for its unknown paths.
func ginHostWithNotFound(t *testing.T, api string) string {
	t.Helper()
	gin.SetMode(gin.ReleaseMode)
	client, err := mwclient.New(api, mwclient.Options{Timeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewUnstartedServer(nil)
	r := gin.New()
	app, err := handlers.Register(r.Group("/auth"), handlers.Options{Client: client, PublicURL: "http://" + ts.Listener.Addr().String(),
		InsecureCookies: true, Keys: [][]byte{[]byte("test-key-0123456789-0123456789-0123456789")}, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	r.NoRoute(app.NotFound)
	ts.Config.Handler = r
	ts.Start()
	t.Cleanup(ts.Close)
	return ts.URL
}

// newHandlerHost mounts the app under /auth through NewHandler.
func newHandlerHost(t *testing.T, api string) string {
	t.Helper()
	client, err := mwclient.New(api, mwclient.Options{Timeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewUnstartedServer(nil)
	h, _, err := handlers.NewHandler("/auth", handlers.Options{Client: client, PublicURL: "http://" + ts.Listener.Addr().String(),
		InsecureCookies: true, Keys: [][]byte{[]byte("test-key-0123456789-0123456789-0123456789")}, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	ts.Config.Handler = h
	ts.Start()
	t.Cleanup(ts.Close)
	return ts.URL
}

var noFollow = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

// The addresses forms post to are shown in the address bar afterwards; a
// GET or HEAD of one (a reload, a bookmark) leads to the login page, with
// the language kept.
func TestReloadOfPostedAddress(t *testing.T) {
	_, api := demo(t)
	hosts := map[string]string{"gin host": ginHostWithNotFound(t, api), "NewHandler": newHandlerHost(t, api)}
	for name, base := range hosts {
		for _, path := range []string{"/login", "/restart", "/cancel", "/logout"} {
			for _, method := range []string{http.MethodGet, http.MethodHead} {
				for _, query := range []string{"", "?uselang=de", "?uselang=de&x=1"} {
					t.Run(name+" "+method+" "+path+query, func(t *testing.T) {
						req, _ := http.NewRequest(method, base+"/auth"+path+query, nil)
						resp, err := noFollow.Do(req)
						if err != nil {
							t.Fatal(err)
						}
						resp.Body.Close()
						want := "/auth/"
						if query != "" {
							want += "?uselang=de"
						}
						if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != want {
							t.Fatalf("%d to %q, want 303 to %q", resp.StatusCode, resp.Header.Get("Location"), want)
						}
					})
				}
			}
		}
	}

	// Where the flow stands: the two-factor step, after a reload of the
	// address its form was posted to.
	e := newEnv(t, "/")
	b := browsertest.New(t)
	p := login(t, e, b, "Bob", demowiki.Password)
	if p.URL.Path != "/login" || p.Input("OATHToken") == nil {
		t.Fatalf("at %s, not the two-factor step", p.URL)
	}
	p = b.Get(p.URL.String())
	if p.Status != http.StatusOK || p.URL.Path != "/" || p.Input("OATHToken") == nil {
		t.Fatalf("reloading /login: %d at %s: %s", p.Status, p.URL, p.Text())
	}
}

// An unknown address gets the app's own 404 page: the layout, a link to
// the login page, the security headers; through NewHandler and through a
// Gin host's NoRoute.
func TestNotFoundPage(t *testing.T) {
	_, api := demo(t)
	hosts := map[string]string{"gin host": ginHostWithNotFound(t, api), "NewHandler": newHandlerHost(t, api)}
	for name, base := range hosts {
		for _, path := range []string{"/auth/nope", "/auth/static/nope.js", "/auth/login/x"} {
			t.Run(name+" "+path, func(t *testing.T) {
				p := browsertest.New(t).Get(base + path)
				if p.Status != http.StatusNotFound {
					t.Fatalf("status %d", p.Status)
				}
				mustContain(t, p, demowiki.SiteName, "There is no page at this address", "Back to the login page")
				if len(p.Find(browsertest.ByTag("a", "href", "/auth/"))) == 0 {
					t.Fatal("no link to the login page")
				}
				if len(p.Find(browsertest.ByTag("link", "rel", "stylesheet"))) == 0 {
					t.Fatal("not the app's layout")
				}
				if p.Header.Get("Content-Security-Policy") == "" || p.Header.Get("X-Content-Type-Options") != "nosniff" {
					t.Fatalf("no security headers: %v", p.Header)
				}
			})
		}
	}
}

// The wiki's refusal is shown with the answer to the post that caused it,
// once: a later visit shows the step without it, the answers kept.
func TestFailureShownOnce(t *testing.T) {
	e := newEnv(t, "/")
	b := browsertest.New(t)
	p := login(t, e, b, "Alice", "wrong")
	mustContain(t, p, "Incorrect username or password")
	p = b.Get(e.base + "/")
	if strings.Contains(p.Text(), "Incorrect username or password") || len(p.Find(browsertest.ByTag("div", "role", "alert"))) > 0 {
		t.Fatalf("the old failure is shown again: %s", p.Text())
	}
	if v, _ := browsertest.Attr(p.Input("username"), "value"); v != "Alice" {
		t.Fatalf("user name %q after the later visit", v)
	}
	// A reload of the posted address leads to the same.
	p = login(t, e, b, "Bob", demowiki.Password)
	p = p.Form("/login").Set("OATHToken", "000000").Submit()
	mustContain(t, p, "Verification failed")
	p = b.Get(e.base + "/login")
	if strings.Contains(p.Text(), "Verification failed") || p.Input("OATHToken") == nil {
		t.Fatalf("after a reload: %s", p.Text())
	}
}

// An identity provider's refusal says the sign-in was cancelled there, and
// offers the login form again.
func TestProviderRefusal(t *testing.T) {
	e := newEnv(t, "/")
	b := browsertest.New(t)
	idp := ssoToProvider(t, e, b)
	f := idp.Form("idp")
	f.Values.Set("identity", "deny")
	p := b.Post(f.Action.String(), f.Values)
	if p.Status != http.StatusOK {
		t.Fatalf("status %d: %s", p.Status, p.Text())
	}
	mustContain(t, p, "cancelled at the identity provider", "Username", "Password")
	mustNotContain(t, p, "not valid", "Something went wrong")
	if !strings.Contains(p.URL.RawQuery, "error=access_denied") {
		t.Fatalf("the provider's answer was %s", p.URL)
	}
	// Signing in another way works.
	p = p.Form("/login").Set("username", "Alice").Set("password", demowiki.Password).Submit()
	mustContain(t, p, "holds your sign-in to", " as Alice")
}

// RESTART (an identity the wiki links to no account) says what to do next:
// log in with an existing account, or create one on the wiki.
func TestRestartSaysWhatToDo(t *testing.T) {
	e := newEnv(t, "/")
	b := browsertest.New(t)
	f := ssoToProvider(t, e, b).Form("idp")
	f.Values.Set("identity", demowiki.IdentityStranger)
	p := b.Post(f.Action.String(), f.Values)
	mustContain(t, p, "Login not completed", "not associated with any user",
		"If you already have an account on "+demowiki.SiteName+", start again and log in with it",
		"No account on "+demowiki.SiteName+"? Create one")
	create := e.wikiTS.URL + "/index.php?title=Special:CreateAccount"
	if len(p.Find(browsertest.ByTag("a", "href", create))) != 1 {
		t.Fatalf("no link to %s", create)
	}
	if w := p.Follow(create); w.Status != http.StatusOK || !strings.Contains(w.Text(), "Create account") {
		t.Fatalf("the demo wiki's Special:CreateAccount: %d %s", w.Status, w.Text())
	}
}
