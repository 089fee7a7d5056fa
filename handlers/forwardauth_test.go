package handlers_test

import (
	"context"
	"encoding/json"
	"io"
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

// ask sends one request with b's cookies, without following redirects: what
// a reverse proxy's check receives.
func ask(t *testing.T, b *browsertest.Browser, method, rawURL string, header http.Header) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(method, rawURL, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	c := &http.Client{Jar: b.Client.Jar, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, string(body)
}

// forgetful is a session backend that can lose everything, as a store
// restarted empty or sessions past their lifetime.
type forgetful struct {
	mu sync.Mutex
	store.Backend
}

func (f *forgetful) backend() store.Backend {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.Backend
}
func (f *forgetful) forget() { f.mu.Lock(); f.Backend = store.NewMemory(); f.mu.Unlock() }
func (f *forgetful) Get(ctx context.Context, k string) ([]byte, error) {
	return f.backend().Get(ctx, k)
}
func (f *forgetful) Set(ctx context.Context, k string, v []byte, ttl time.Duration) error {
	return f.backend().Set(ctx, k, v, ttl)
}
func (f *forgetful) SetNX(ctx context.Context, k string, v []byte, ttl time.Duration) (bool, error) {
	return f.backend().SetNX(ctx, k, v, ttl)
}
func (f *forgetful) Delete(ctx context.Context, k string) error { return f.backend().Delete(ctx, k) }

// TestForwardAuthStates: /auth and /whoami for each state a browser can be
// in. Only a signed-in browser gets 2xx, with its name, ID and groups from
// the wiki; every answer is no-store, since it is about one browser.
func TestForwardAuthStates(t *testing.T) {
	wiki := demowiki.New()
	wikiTS := httptest.NewServer(wiki)
	t.Cleanup(wikiTS.Close)
	mem := &forgetful{Backend: store.NewMemory()}
	e := newEnvFor(t, "/mwlogin", wikiTS.URL+"/api.php", wiki, wikiTS, defaultRecheck,
		envHook{opts: func(o *handlers.Options) { o.Backend = mem; o.CookiePath = "/" }})
	login := e.app.URL + "/mwlogin/"

	for _, tc := range []struct {
		name   string
		setup  func(t *testing.T, b *browsertest.Browser)
		signed bool
	}{
		{name: "anonymous", setup: func(*testing.T, *browsertest.Browser) {}},
		{name: "cookie of no session", setup: func(t *testing.T, b *browsertest.Browser) {
			u, _ := url.Parse(e.app.URL)
			b.Client.Jar.SetCookies(u, []*http.Cookie{{Name: handlers.DefaultCookieName, Value: "made-up", Path: "/"}})
		}},
		{name: "login form shown", setup: func(t *testing.T, b *browsertest.Browser) {
			mustContain(t, b.Get(e.base+"/"), "Username")
		}},
		{name: "in the middle of a login", setup: func(t *testing.T, b *browsertest.Browser) {
			p := newLogin(t, e, b, demowiki.UserBob)
			if p.Input("OATHToken") == nil {
				t.Fatalf("no two-factor step: %s", p.Text())
			}
		}},
		{name: "signed in", signed: true, setup: func(t *testing.T, b *browsertest.Browser) {
			mustContain(t, newLogin(t, e, b, demowiki.UserAlice), "holds your sign-in to", " as Alice")
		}},
		{name: "wiki session ended", setup: func(t *testing.T, b *browsertest.Browser) {
			mustContain(t, newLogin(t, e, b, demowiki.UserAlice), "holds your sign-in to", " as Alice")
			wiki.ExpireSessions()
		}},
		{name: "session expired here", setup: func(t *testing.T, b *browsertest.Browser) {
			mustContain(t, newLogin(t, e, b, demowiki.UserAlice), "holds your sign-in to", " as Alice")
			mem.forget()
		}},
		{name: "signed out", setup: func(t *testing.T, b *browsertest.Browser) {
			p := newLogin(t, e, b, demowiki.UserAlice)
			mustContain(t, p.Form("/logout").Submit(), "You have signed out")
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := browsertest.New(t)
			tc.setup(t, b)
			for _, method := range []string{http.MethodGet, http.MethodHead} {
				resp, body := ask(t, b, method, e.base+"/auth", nil)
				if cc := resp.Header.Get("Cache-Control"); cc != "no-store" {
					t.Errorf("%s /auth: Cache-Control %q", method, cc)
				}
				if !tc.signed {
					if resp.StatusCode != http.StatusUnauthorized || resp.Header.Get(handlers.HeaderLoginURL) != login {
						t.Fatalf("%s /auth: %d, login URL %q", method, resp.StatusCode, resp.Header.Get(handlers.HeaderLoginURL))
					}
					if resp.Header.Get(handlers.HeaderUser) != "" || resp.Header.Get(handlers.HeaderUserID) != "" {
						t.Fatalf("%s /auth names a user: %v", method, resp.Header)
					}
					continue
				}
				if resp.StatusCode != http.StatusNoContent || body != "" {
					t.Fatalf("%s /auth: %d %q", method, resp.StatusCode, body)
				}
				h := resp.Header
				if h.Get(handlers.HeaderUser) != "Alice" || h.Get(handlers.HeaderUserID) != "1" ||
					h.Get(handlers.HeaderGroups) != "user,autoconfirmed" || h.Get(handlers.HeaderLoginURL) != "" {
					t.Fatalf("%s /auth headers: %v", method, h)
				}
			}

			resp, body := ask(t, b, http.MethodGet, e.base+"/whoami", nil)
			if cc := resp.Header.Get("Cache-Control"); cc != "no-store" || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
				t.Errorf("/whoami: Cache-Control %q, Content-Type %q", cc, resp.Header.Get("Content-Type"))
			}
			var got map[string]any
			if err := json.Unmarshal([]byte(body), &got); err != nil {
				t.Fatalf("/whoami: %v: %q", err, body)
			}
			if !tc.signed {
				if resp.StatusCode != http.StatusUnauthorized || got["error"] != "not signed in" || got["login_url"] != login {
					t.Fatalf("/whoami: %d %s", resp.StatusCode, body)
				}
				return
			}
			if resp.StatusCode != http.StatusOK || body != `{"name":"Alice","id":1,"groups":["user","autoconfirmed"]}` {
				t.Fatalf("/whoami: %d %s", resp.StatusCode, body)
			}
		})
	}
}

// newLogin starts a login at the form of a new browser.
func newLogin(t *testing.T, e *env, b *browsertest.Browser, user string) *browsertest.Page {
	t.Helper()
	return login(t, e, b, user, demowiki.Password)
}

// The PASS names the user but not their ID: the first /auth asks the wiki
// once (meta=userinfo), so that a password login keeps its two wiki calls,
// and later checks within RecheckAfter ask nothing.
func TestForwardAuthAsksForTheIDOnce(t *testing.T) {
	wiki := demowiki.New()
	wikiTS := httptest.NewServer(wiki)
	t.Cleanup(wikiTS.Close)
	e := newEnvFor(t, "/mwlogin", wikiTS.URL+"/api.php", wiki, wikiTS, defaultRecheck)
	b := browsertest.New(t)
	form := b.Get(e.base + "/")
	before := wiki.Calls()
	mustContain(t, form.Form("/login").Set("username", "Alice").Set("password", demowiki.Password).Submit(), "holds your sign-in to", " as Alice")
	if n := wiki.Calls() - before; n != 2 {
		t.Fatalf("the login made %d wiki calls, want 2", n)
	}
	for i, want := range []int64{3, 3, 3} {
		resp, _ := ask(t, b, http.MethodGet, e.base+"/auth", nil)
		if resp.StatusCode != http.StatusNoContent || resp.Header.Get(handlers.HeaderUserID) != "1" {
			t.Fatalf("/auth %d: %d %v", i, resp.StatusCode, resp.Header)
		}
		if n := wiki.Calls() - before; n != want {
			t.Fatalf("after /auth %d: %d wiki calls in all, want %d", i, n, want)
		}
	}
}

// A wiki that cannot be reached: a user it has described before stays
// signed in, as on the signed-in page; one whose ID it never gave cannot
// be named, and the proxy gets an error rather than a user without an ID.
func TestForwardAuthWikiDown(t *testing.T) {
	clock := newClock()
	wiki := demowiki.New()
	wikiTS := httptest.NewServer(wiki)
	t.Cleanup(wikiTS.Close)
	var down sync.Map
	gate := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, ok := down.Load("down"); ok {
			http.Error(w, "down for maintenance", http.StatusServiceUnavailable)
			return
		}
		wiki.ServeHTTP(w, r)
	}))
	t.Cleanup(gate.Close)
	e := newEnvFor(t, "/mwlogin", gate.URL+"/api.php", wiki, gate, envHook{opts: func(o *handlers.Options) {
		o.RecheckAfter, o.Now = time.Minute, clock.Now
	}})
	known, unknown := browsertest.New(t), browsertest.New(t)
	mustContain(t, newLogin(t, e, known, "Alice"), "holds your sign-in to", " as Alice")
	mustContain(t, newLogin(t, e, unknown, "Dave"), "holds your sign-in to", " as Dave")
	if resp, _ := ask(t, known, http.MethodGet, e.base+"/auth", nil); resp.StatusCode != http.StatusNoContent {
		t.Fatalf("/auth: %d", resp.StatusCode)
	}
	down.Store("down", true)
	clock.Advance(2 * time.Minute)
	resp, _ := ask(t, known, http.MethodGet, e.base+"/auth", nil)
	if resp.StatusCode != http.StatusNoContent || resp.Header.Get(handlers.HeaderUser) != "Alice" || resp.Header.Get(handlers.HeaderUserID) != "1" {
		t.Fatalf("known user, wiki down: %d %v", resp.StatusCode, resp.Header)
	}
	resp, _ = ask(t, unknown, http.MethodGet, e.base+"/auth", nil)
	if resp.StatusCode < 500 || resp.Header.Get(handlers.HeaderUser) != "" {
		t.Fatalf("user never described, wiki down: %d %v", resp.StatusCode, resp.Header)
	}
	resp, body := ask(t, unknown, http.MethodGet, e.base+"/whoami", nil)
	if resp.StatusCode < 500 || !strings.Contains(body, `"error"`) || strings.Contains(body, "Dave") {
		t.Fatalf("/whoami, wiki down: %d %s", resp.StatusCode, body)
	}
	down.Delete("down")
	if resp, _ := ask(t, unknown, http.MethodGet, e.base+"/auth", nil); resp.StatusCode != http.StatusNoContent || resp.Header.Get(handlers.HeaderUserID) != "4" {
		t.Fatalf("wiki back: %d %v", resp.StatusCode, resp.Header)
	}
}

// The 401 carries the login page's URL, asking to come back to the URL the
// proxy says the browser asked for, if the login page may send it there;
// ?redirect=1 answers the same as a 302.
func TestForwardAuthLoginURL(t *testing.T) {
	e := newDemoEnv(t, "/mwlogin", envHook{opts: func(o *handlers.Options) { o.AllowedReturnHosts = []string{"tool.example:8443"} }})
	pub := e.app.URL // http://127.0.0.1:PORT, the app's PublicURL
	host := strings.TrimPrefix(pub, "http://")
	login := pub + "/mwlogin/"
	for _, tc := range []struct {
		name   string
		header map[string]string
		want   string // the returnto, "" for none
	}{
		{"nothing", nil, ""},
		{"X-Original-URL, the public host", map[string]string{"X-Original-URL": pub + "/tool/page?x=1"}, pub + "/tool/page?x=1"},
		{"X-Original-URL, a path", map[string]string{"X-Original-URL": "/tool/"}, "/tool/"},
		{"X-Original-URL, an allowed host", map[string]string{"X-Original-URL": "http://tool.example:8443/a"}, "http://tool.example:8443/a"},
		{"X-Original-URL, another port", map[string]string{"X-Original-URL": "http://tool.example:8444/a"}, ""},
		{"X-Original-URL, another host", map[string]string{"X-Original-URL": "https://evil.example/"}, ""},
		{"X-Original-URL, scheme-relative", map[string]string{"X-Original-URL": "//evil.example/"}, ""},
		{"X-Forwarded-*", map[string]string{"X-Forwarded-Proto": "http", "X-Forwarded-Host": host, "X-Forwarded-Uri": "/tool/?q=a%20b"}, pub + "/tool/?q=a%20b"},
		{"X-Forwarded-Uri alone", map[string]string{"X-Forwarded-Uri": "/tool/"}, "/tool/"},
		{"X-Forwarded-Host elsewhere", map[string]string{"X-Forwarded-Proto": "https", "X-Forwarded-Host": "evil.example", "X-Forwarded-Uri": "/"}, ""},
		{"X-Forwarded-Uri not a path", map[string]string{"X-Forwarded-Proto": "https", "X-Forwarded-Host": host, "X-Forwarded-Uri": "evil.example/"}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			want := login
			if tc.want != "" {
				want += "?returnto=" + url.QueryEscape(tc.want)
			}
			h := http.Header{}
			for k, v := range tc.header {
				h.Set(k, v)
			}
			b := browsertest.New(t)
			resp, _ := ask(t, b, http.MethodGet, e.base+"/auth", h)
			if resp.StatusCode != http.StatusUnauthorized || resp.Header.Get(handlers.HeaderLoginURL) != want {
				t.Fatalf("/auth: %d, login URL %q, want %q", resp.StatusCode, resp.Header.Get(handlers.HeaderLoginURL), want)
			}
			resp, _ = ask(t, b, http.MethodGet, e.base+"/auth?redirect=1", h)
			if resp.StatusCode != http.StatusFound || resp.Header.Get("Location") != want {
				t.Fatalf("/auth?redirect=1: %d, Location %q, want %q", resp.StatusCode, resp.Header.Get("Location"), want)
			}
			if tc.want == "" {
				return
			}
			// The login page takes it, and sends the browser there after PASS.
			p := b.Get(want)
			b.Client.CheckRedirect = stayOn("/mwlogin/")
			p = p.Form("/login").Set("username", "Alice").Set("password", demowiki.Password).Submit()
			if p.Status != http.StatusSeeOther || p.Header.Get("Location") != tc.want {
				t.Fatalf("after PASS: %d to %q, want %s", p.Status, p.Header.Get("Location"), tc.want)
			}
		})
	}
}

// newDemoEnv is newEnvFor in front of a demo wiki of its own.
func newDemoEnv(t *testing.T, prefix string, hooks ...envHook) *env {
	t.Helper()
	wiki := demowiki.New()
	wikiTS := httptest.NewServer(wiki)
	t.Cleanup(wikiTS.Close)
	return newEnvFor(t, prefix, wikiTS.URL+"/api.php", wiki, wikiTS, hooks...)
}

// stayOn follows redirects only to paths under prefix: a browser that
// stops where the login app sends it away.
func stayOn(prefix string) func(*http.Request, []*http.Request) error {
	return func(req *http.Request, _ []*http.Request) error {
		if !strings.HasPrefix(req.URL.Path, prefix) {
			return http.ErrUseLastResponse
		}
		return nil
	}
}

// httpsJar keeps and sends cookies as if every URL were https, so that a
// test can reach an app configured for production (Secure, __Host-
// cookies) over httptest's plain HTTP.
type httpsJar struct{ http.CookieJar }

func secure(u *url.URL) *url.URL { v := *u; v.Scheme = "https"; return &v }
func (j httpsJar) Cookies(u *url.URL) []*http.Cookie {
	return j.CookieJar.Cookies(secure(u))
}
func (j httpsJar) SetCookies(u *url.URL, cs []*http.Cookie) {
	j.CookieJar.SetCookies(secure(u), cs)
}

// TestReturnToAllowedHosts: besides local paths, the login page sends the
// browser back to absolute URLs on its own public host and on
// AllowedReturnHosts, matched exactly, over https (http too in
// development), and to nothing a browser could read as another host.
func TestReturnToAllowedHosts(t *testing.T) {
	allowed := []string{"tool.example.org", "Tools.Example.NET:8443", "[2001:db8::1]:8443"}
	accepted := []string{
		"/tool/page?x=1#top",
		"https://tool.example.org/",
		"https://tool.example.org/a/b?c=d&e=%2F#f",
		"https://TOOL.Example.org/x",
		"HTTPS://tool.example.org/x",
		"https://tool.example.org:443/x",
		"https://tool.example.org?x",
		"https://tool.example.org#x",
		"https://tools.example.net:8443/x",
		"https://[2001:db8::1]:8443/x",
	}
	refused := []string{
		"", "tool.example.org/", "//tool.example.org/", "//evil.example/", "///evil.example", "/\\evil.example",
		"\\\\evil.example", "/\t/evil.example", "/%2F/evil.example", "/%2f%2fevil.example", "/%5C/evil.example", "/%5cevil.example",
		"https://evil.example/", "https://evil.example/tool.example.org", "https://evil.example/?https://tool.example.org/",
		"https://tool.example.org.evil.example/", "https://evil-tool.example.org/", "https://sub.tool.example.org/",
		"https://tool.example.org./", "https://tool.example.orgevil.example/", "https://example.org/",
		"https://tool.example.org@evil.example/", "https://user@tool.example.org/", "https://user:pw@tool.example.org/",
		"https://tool.example.org:443@evil.example/", "https://tool.example.org%2F@evil.example/",
		"https://tool.example.org%40evil.example/", "https://evil.example%2F@tool.example.org/",
		"https://evil.example\\@tool.example.org/", "https://tool.example.org\\@evil.example/", "https://tool.example.org\\evil.example/",
		"https:\\\\tool.example.org/", "https:/\\tool.example.org/", "https:/tool.example.org/", "https:tool.example.org/",
		"https:///tool.example.org/", "https://evil.example#@tool.example.org/", "https://evil.example?@tool.example.org/",
		"http://tool.example.org/", "ftp://tool.example.org/", "ws://tool.example.org/", "wss://tool.example.org/",
		"javascript:alert(1)", "JaVaScRiPt:alert(1)", "javascript://tool.example.org/%0aalert(1)", "vbscript:msgbox(1)",
		"data:text/html,<script>alert(1)</script>", "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
		"https://tool.example.org:8443/", "https://tool.example.org:80/", "https://tool.example.org:/", "https://tool.example.org:0443/",
		"https://tool.example.org:+443/", "https://tool.example.org:443:443/", "https://tools.example.net/", "https://tools.example.net:443/",
		"https://tools.example.net:8444/", "https://[2001:db8::1]/", "https://[2001:db8::2]:8443/", "https://login.example.org:8443/",
		"https://tool%2eexample%2eorg/", "https://%74ool.example.org/", "https://tool.example.org%00.evil.example/",
		"https://tool.example.org%0d%0a.evil.example/", "https://tool.example.org/\r\nSet-Cookie:x=1", "https://tool.example.org/\nx",
		"https://tool.example.org/\x00", "https://tool.example.org/\x7f", "https://tool.example.org /", " https://tool.example.org/",
		"https://tool.example.org/ ", "\thttps://tool.example.org/", "https://\ttool.example.org/", "https://tool.example.org/\u00a0",
		"https://tооl.example.org/", "https://tool.exаmple.org/", "https://xn--tl-olca.example.org/", "https://tool.example.org\u3002evil.example/",
		"https://tool．example．org/", "https://ⓣool.example.org/", "https://tool.example.org\u200b/", "https://127.0.0.1/",
		"https://[::1]/", "https://0x7f.0.0.1/", "https://2130706433/", "https://tool.example.org/" + strings.Repeat("a", 2100),
	}
	for _, mode := range []struct {
		name string
		dev  bool
	}{{"production", false}, {"development", true}} {
		t.Run(mode.name, func(t *testing.T) {
			e := newDemoEnv(t, "/mwlogin", envHook{opts: func(o *handlers.Options) {
				o.AllowedReturnHosts = allowed
				if !mode.dev {
					o.PublicURL, o.InsecureCookies = "https://login.example.org", false
				}
			}})
			b := browsertest.New(t)
			b.Client.Jar = httpsJar{b.Client.Jar}
			mustContain(t, newLogin(t, e, b, "Alice"), "holds your sign-in to", " as Alice")
			b.Client.CheckRedirect = stayOn("/mwlogin/")
			check := func(rt string, want bool) {
				t.Helper()
				p := b.Get(e.base + "/?returnto=" + url.QueryEscape(rt))
				loc := p.Header.Get("Location")
				switch {
				case want && (p.Status != http.StatusSeeOther || loc != rt):
					t.Errorf("returnto %q refused: %d, Location %q", rt, p.Status, loc)
				case !want && p.Status != http.StatusOK:
					t.Errorf("returnto %q: %d, Location %q", rt, p.Status, loc)
				}
			}
			for _, rt := range accepted {
				check(rt, true)
			}
			for _, rt := range refused {
				check(rt, mode.dev && strings.HasPrefix(rt, "http://tool.example.org/"))
			}
			check(strings.Replace(e.app.URL, "127.0.0.1", "localhost", 1)+"/x", false)
			// The public host.
			check("https://login.example.org/elsewhere", !mode.dev)
			check(e.app.URL+"/x", mode.dev)
		})
	}
}

// A bad AllowedReturnHosts entry stops the app at start.
func TestAllowedReturnHostsChecked(t *testing.T) {
	client, err := mwclient.New("https://wiki.example/w/api.php", mwclient.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{"", "https://tool.example.org", "tool.example.org/", "tool.example.org/x", "user@tool.example.org",
		"tool.example.org:", "tool.example.org:https", "tool.example.org.", "*.example.org", "tool example.org", "tооl.example.org", "tool%2eexample.org"} {
		_, err := handlers.Register(gin.New().Group("/"), handlers.Options{Client: client, PublicURL: "https://a.example",
			Keys: [][]byte{[]byte("test-key-0123456789-0123456789-0123456789")}, AllowedReturnHosts: []string{"ok.example", bad}})
		if err == nil || !strings.Contains(err.Error(), "allowed return host") {
			t.Errorf("AllowedReturnHosts %q: %v", bad, err)
		}
	}
}
