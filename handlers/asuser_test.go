package handlers_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/gin-gonic/gin"

	"github.com/mwlogin/mwlogin/handlers"
	"github.com/mwlogin/mwlogin/internal/browsertest"
	"github.com/mwlogin/mwlogin/internal/demowiki"
	"github.com/mwlogin/mwlogin/mwclient"
)

// renewingWiki is the demo wiki, but every meta=userinfo call renews a
// cookie of its own, as MediaWiki renews its session cookies: the cookie
// named by the call's X-Renew header (default "renewed") gets the value it
// came with plus one; with X-Renew-Remove, the cookie is removed instead.
// It records the cookies each userinfo call brought. With a barrier, the
// calls that carry X-Renew wait for each other, so that their requests to
// the app overlap.
type renewingWiki struct {
	*demowiki.Wiki
	mu      sync.Mutex
	seen    []map[string]string
	barrier *sync.WaitGroup
	// held, if set, gets each userinfo call without X-Renew (the app's
	// own checks), which then waits for release.
	held, release chan struct{}
}

func (w *renewingWiki) ServeHTTP(rw http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil || r.Form.Get("meta") != "userinfo" {
		w.Wiki.ServeHTTP(rw, r)
		return
	}
	got := map[string]string{}
	for _, c := range r.Cookies() {
		got[c.Name] = c.Value
	}
	w.mu.Lock()
	w.seen = append(w.seen, got)
	w.mu.Unlock()
	name := r.Header.Get("X-Renew")
	w.mu.Lock()
	held, release := w.held, w.release
	w.mu.Unlock()
	if name == "" && held != nil {
		held <- struct{}{}
		<-release
	}
	if name != "" && w.barrier != nil {
		w.barrier.Done()
		w.barrier.Wait()
	}
	if name == "" {
		name = "renewed"
	}
	if r.Header.Get("X-Renew-Remove") != "" {
		http.SetCookie(rw, &http.Cookie{Name: name, Path: "/", MaxAge: -1})
	} else {
		n := 0
		fmt.Sscan(got[name], &n)
		http.SetCookie(rw, &http.Cookie{Name: name, Value: fmt.Sprint(n + 1), Path: "/"})
	}
	w.Wiki.ServeHTTP(rw, r)
}

// lastSeen is what the latest userinfo call brought.
func (w *renewingWiki) lastSeen() map[string]string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.seen[len(w.seen)-1]
}

// asUserEnv is the app under /auth with a host route /auth/me that calls
// meta=userinfo through App.AsUser, passing the query's renew and remove
// on to the wiki as X-Renew and X-Renew-Remove. It answers "hello NAME",
// 401 "signed out" on ErrNotSignedIn, and 502 with the error otherwise.
func asUserEnv(t *testing.T) (*env, *renewingWiki) {
	t.Helper()
	wiki := &renewingWiki{Wiki: demowiki.New()}
	wikiTS := httptest.NewServer(wiki)
	t.Cleanup(wikiTS.Close)
	e := newEnvFor(t, "/auth", wikiTS.URL+"/api.php", wiki.Wiki, wikiTS, envHook{routes: func(g *gin.RouterGroup, app *handlers.App) {
		g.GET("/me", func(c *gin.Context) {
			var name string
			err := app.AsUser(c.Request, func(ctx context.Context, s *mwclient.Session) error {
				if v := c.Query("renew"); v != "" {
					ctx = mwclient.WithHeader(ctx, "X-Renew", v)
				}
				if c.Query("remove") != "" {
					ctx = mwclient.WithHeader(ctx, "X-Renew-Remove", "1")
				}
				info, err := s.UserInfo(ctx, mwclient.AssertUser)
				if err != nil {
					return err
				}
				name = info.Name
				return nil
			})
			switch {
			case errors.Is(err, handlers.ErrNotSignedIn):
				c.String(http.StatusUnauthorized, "signed out")
			case err != nil:
				c.String(http.StatusBadGateway, "error: %v", err)
			default:
				c.String(http.StatusOK, "hello %s", name)
			}
		})
	}})
	return e, wiki
}

func TestAsUserSavesRenewedCookies(t *testing.T) {
	e, wiki := asUserEnv(t)
	b := browsertest.New(t)
	login(t, e, b, demowiki.UserAlice, demowiki.Password)
	// The signed-in page has called userinfo once already.
	prev := wiki.lastSeen()["renewed"]
	for i := range 3 {
		if p := b.Get(e.base + "/me"); p.Body != "hello Alice" {
			t.Fatalf("call %d: %d %q", i, p.Status, p.Body)
		}
		got := wiki.lastSeen()["renewed"]
		var n int
		fmt.Sscan(prev, &n)
		if want := fmt.Sprint(n + 1); got != want {
			t.Fatalf("call %d brought the wiki renewed=%q, want %q: the renewal before it was not saved", i, got, want)
		}
		prev = got
	}
	// A cookie the wiki removes is gone from the stored session too.
	b.Get(e.base + "/me?remove=1")
	b.Get(e.base + "/me")
	if got, ok := wiki.lastSeen()["renewed"]; ok {
		t.Fatalf("the wiki removed a cookie, and the next call still brought it: %q", got)
	}
	// The wiki's own session cookie came along every time.
	if wiki.lastSeen()[demowiki.CookieName] == "" {
		t.Fatalf("the wiki session cookie was lost: %v", wiki.lastSeen())
	}
}

func TestAsUserConcurrentRenewalsAreBothKept(t *testing.T) {
	e, wiki := asUserEnv(t)
	b := browsertest.New(t)
	login(t, e, b, demowiki.UserAlice, demowiki.Password)
	// Both requests read the stored session before either has saved its
	// renewal: each wiki call waits for the other.
	wiki.barrier = &sync.WaitGroup{}
	wiki.barrier.Add(2)
	var wg sync.WaitGroup
	for _, name := range []string{"a", "b"} {
		wg.Go(func() {
			if p := b.Get(e.base + "/me?renew=" + name); p.Body != "hello Alice" {
				t.Errorf("request %s: %d %q", name, p.Status, p.Body)
			}
		})
	}
	wg.Wait()
	wiki.barrier = nil
	b.Get(e.base + "/me")
	seen := wiki.lastSeen()
	if seen["a"] != "1" || seen["b"] != "1" {
		t.Fatalf("after two overlapping renewals the wiki got a=%q b=%q; want both 1", seen["a"], seen["b"])
	}
}

// The signed-in page checks the wiki session while a host's call renews a
// cookie: the page's save, which comes last, keeps the host's renewal.
func TestAsUserRenewalSurvivesTheSignedInPagesCheck(t *testing.T) {
	e, wiki := asUserEnv(t)
	b := browsertest.New(t)
	login(t, e, b, demowiki.UserAlice, demowiki.Password)
	held, release := make(chan struct{}), make(chan struct{})
	wiki.mu.Lock()
	wiki.held, wiki.release = held, release
	wiki.mu.Unlock()
	page := make(chan *browsertest.Page)
	go func() { page <- b.Get(e.base + "/") }()
	<-held // the page's check has read the session and is at the wiki
	if p := b.Get(e.base + "/me?renew=a"); p.Body != "hello Alice" {
		t.Fatalf("the host's call: %d %q", p.Status, p.Body)
	}
	close(release)
	if p := <-page; p.Status != http.StatusOK {
		t.Fatalf("the signed-in page: %d %s", p.Status, p.Text())
	}
	wiki.mu.Lock()
	wiki.held = nil
	wiki.mu.Unlock()
	b.Get(e.base + "/me")
	if seen := wiki.lastSeen(); seen["a"] != "1" {
		t.Fatalf("the host's renewal was lost when the signed-in page saved its check: a=%q", seen["a"])
	}
}

func TestAsUserWikiEndedTheSession(t *testing.T) {
	e, _ := asUserEnv(t)
	b := browsertest.New(t)
	login(t, e, b, demowiki.UserAlice, demowiki.Password)
	e.wiki.ExpireSessions()
	if p := b.Get(e.base + "/me"); p.Status != http.StatusUnauthorized {
		t.Fatalf("a session the wiki ended: %d %q", p.Status, p.Body)
	}
	// The app forgot the sign-in: its own page shows the login form.
	p := b.Get(e.base + "/")
	if p.Input("password") == nil {
		t.Fatalf("still signed in after the wiki ended the session: %s", p.Text())
	}
	// Signing in again works as ever.
	login(t, e, b, demowiki.UserAlice, demowiki.Password)
	if p := b.Get(e.base + "/me"); p.Body != "hello Alice" {
		t.Fatalf("after signing in again: %d %q", p.Status, p.Body)
	}
}

func TestAsUserNotSignedIn(t *testing.T) {
	e, wiki := asUserEnv(t)
	b := browsertest.New(t)
	if p := b.Get(e.base + "/me"); p.Status != http.StatusUnauthorized {
		t.Fatalf("nobody signed in: %d %q", p.Status, p.Body)
	}
	if len(wiki.seen) != 0 {
		t.Fatal("the wiki was called for nobody")
	}
}

// netHTTPHost is a plain net/http tool: the app mounted at /auth/ of a
// ServeMux, /me guarded by RequireSignInHandler and acting as the user, a
// POST route guarded too, and a home page with a sign-out form.
func netHTTPHost(t *testing.T, extra ...func(*handlers.Options)) *httptest.Server {
	t.Helper()
	wiki := httptest.NewServer(demowiki.New())
	t.Cleanup(wiki.Close)
	client, err := mwclient.New(wiki.URL+"/api.php", mwclient.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewUnstartedServer(nil)
	opts := handlers.Options{
		Client: client, PublicURL: "http://" + ts.Listener.Addr().String(), InsecureCookies: true,
		Keys: [][]byte{[]byte("test-key-0123456789-0123456789-0123456789")}, CookiePath: "/",
	}
	for _, f := range extra {
		f(&opts)
	}
	h, app, err := handlers.NewHandler("/auth", opts)
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/auth/", h)
	mux.Handle("GET /me", app.RequireSignInHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name, err := app.SignedInAs(r)
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		var edits int
		err = app.AsUser(r, func(ctx context.Context, s *mwclient.Session) error {
			info, err := s.UserInfo(ctx, mwclient.AssertUser)
			if err != nil {
				return err
			}
			edits = info.EditCount
			return nil
		})
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		fmt.Fprintf(w, "hello %s, %d edits", name, edits)
	})))
	mux.Handle("POST /act", app.RequireSignInHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, "done")
	})))
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		if name, err := app.SignedInAs(r); err == nil {
			fmt.Fprintf(w, "<p>home of %s</p>%s", name, app.SignOutForm(r, "/", "Sign out"))
			return
		}
		fmt.Fprint(w, "<p>home</p>")
	})
	ts.Config.Handler = mux
	ts.Start()
	t.Cleanup(ts.Close)
	return ts
}

func TestNetHTTPHostGetsWhatGinHostsGet(t *testing.T) {
	ts := netHTTPHost(t)
	b := browsertest.New(t)
	// Signed out: GET goes to the login page and comes back after PASS,
	// other methods get 401.
	if p := b.Post(ts.URL+"/act", url.Values{}); p.Status != http.StatusUnauthorized {
		t.Fatalf("POST signed out: %d", p.Status)
	}
	p := b.Get(ts.URL + "/me")
	if p.URL.Path != "/auth/" || p.URL.Query().Get("returnto") != "/me" {
		t.Fatalf("not sent to the login page: %s", p.URL)
	}
	p = p.Form("/auth/login").Set("username", demowiki.UserAlice).Set("password", demowiki.Password).Submit()
	if p.URL.Path != "/me" || p.Body != "hello Alice, 43 edits" {
		t.Fatalf("after PASS: %s %d %q", p.URL, p.Status, p.Body)
	}
	if p := b.Post(ts.URL+"/act", url.Values{}); p.Body != "done" {
		t.Fatalf("POST signed in: %d %q", p.Status, p.Body)
	}
	// The host's own sign-out form signs out here and on the wiki, and
	// comes back to the host.
	p = b.Get(ts.URL + "/")
	mustContain(t, p, "home of Alice")
	p = p.Form("/auth/logout?returnto=%2F").Submit()
	if p.URL.Path != "/" || p.Body != "<p>home</p>" {
		t.Fatalf("after the host's sign-out: %s %q", p.URL, p.Body)
	}
	if p := b.Get(ts.URL + "/me"); p.URL.Path != "/auth/" {
		t.Fatalf("still signed in after sign-out: %s", p.URL)
	}
}

func TestHostSignOutStaysLocal(t *testing.T) {
	ts := netHTTPHost(t)
	for _, rt := range openRedirectPayloads() {
		b := browsertest.New(t)
		b.Get(ts.URL+"/me").Form("/auth/login").Set("username", demowiki.UserAlice).Set("password", demowiki.Password).Submit()
		p := b.Post(ts.URL+"/auth/logout?returnto="+url.QueryEscape(rt), url.Values{"csrf": {csrfOf(t, b, ts.URL+"/")}})
		if p.URL.Host != strings.TrimPrefix(ts.URL, "http://") {
			t.Fatalf("sign-out with returnto %q went to %s", rt, p.URL)
		}
	}
}

// csrfOf reads the CSRF token of the sign-out form on a host page.
func csrfOf(t *testing.T, b *browsertest.Browser, page string) string {
	t.Helper()
	v, _ := browsertest.Attr(b.Get(page).Input("csrf"), "value")
	if v == "" {
		t.Fatalf("no CSRF token on %s", page)
	}
	return v
}

func TestHostSignOutNeedsCSRF(t *testing.T) {
	ts := netHTTPHost(t)
	b := browsertest.New(t)
	p := b.Get(ts.URL + "/me")
	p.Form("/auth/login").Set("username", demowiki.UserAlice).Set("password", demowiki.Password).Submit()
	if p := b.Post(ts.URL+"/auth/logout?returnto=/", url.Values{}); p.Status != http.StatusForbidden {
		t.Fatalf("sign-out without the CSRF token: %d %s", p.Status, p.URL)
	}
	if p := b.Get(ts.URL + "/me"); p.Body != "hello Alice, 43 edits" {
		t.Fatalf("signed out by a post without the token: %s %q", p.URL, p.Body)
	}
}

func TestHomeURL(t *testing.T) {
	ts := netHTTPHost(t, func(o *handlers.Options) { o.HomeURL, o.AppName = "/", "Tool X" })
	b := browsertest.New(t)
	p := b.Get(ts.URL + "/auth/")
	p = p.Form("/auth/login").Set("username", demowiki.UserAlice).Set("password", demowiki.Password).Submit()
	links := p.Find(browsertest.ByTag("a", "href", "/"))
	if len(links) != 1 || !strings.Contains(p.Text(), "Back to Tool X") {
		t.Fatalf("the signed-in page has no link back to the host: %s", p.Text())
	}

	for _, bad := range []string{"javascript:alert(1)", "//evil.example", "evil.example", "ftp://x.example/"} {
		_, _, err := handlers.NewHandler("/auth", handlers.Options{Client: mustClient(t), PublicURL: "https://x.example",
			Keys: [][]byte{[]byte("test-key-0123456789-0123456789-0123456789")}, HomeURL: bad})
		if err == nil || !strings.Contains(err.Error(), "HomeURL") {
			t.Errorf("HomeURL %q was accepted: %v", bad, err)
		}
	}
	for _, good := range []string{"/", "/tool/", "https://tool.example/home"} {
		if _, _, err := handlers.NewHandler("/auth", handlers.Options{Client: mustClient(t), PublicURL: "https://x.example",
			Keys: [][]byte{[]byte("test-key-0123456789-0123456789-0123456789")}, HomeURL: good}); err != nil {
			t.Errorf("HomeURL %q was refused: %v", good, err)
		}
	}
}
