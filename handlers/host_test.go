package handlers_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/gin-contrib/sessions"
	gincookie "github.com/gin-contrib/sessions/cookie"
	"github.com/gin-gonic/gin"

	"github.com/mwlogin/mwlogin/handlers"
	"github.com/mwlogin/mwlogin/internal/browsertest"
	"github.com/mwlogin/mwlogin/internal/demowiki"
	"github.com/mwlogin/mwlogin/mwclient"
)

// host is a tool's Gin app with the login app mounted under /auth, its
// own gin-contrib session, and a guarded page.
type host struct {
	ts        *httptest.Server
	signedIn  []string
	signedOut []string
}

func newHost(t *testing.T, extra ...func(*handlers.Options)) *host {
	t.Helper()
	wiki := httptest.NewServer(demowiki.New())
	t.Cleanup(wiki.Close)
	client, err := mwclient.New(wiki.URL+"/api.php", mwclient.Options{})
	if err != nil {
		t.Fatal(err)
	}
	h := &host{}
	h.ts = httptest.NewUnstartedServer(nil)
	public := "http://" + h.ts.Listener.Addr().String()
	r := gin.New()
	r.Use(sessions.Sessions("toolsession", gincookie.NewStore([]byte("host-secret-host-secret-host-sec"))))
	opts := handlers.Options{
		Client: client, PublicURL: public, Keys: [][]byte{[]byte("test-key-0123456789-0123456789-0123456789")},
		InsecureCookies: true, CookiePath: "/", ProtectedPaths: []string{"/tool/"},
		OnSignIn:  func(c *gin.Context, name string) { h.signedIn = append(h.signedIn, name) },
		OnSignOut: func(c *gin.Context, name string) { h.signedOut = append(h.signedOut, name) },
	}
	for _, f := range extra {
		f(&opts)
	}
	app, err := handlers.Register(r.Group("/auth"), opts)
	if err != nil {
		t.Fatal(err)
	}
	r.GET("/visits", func(c *gin.Context) {
		s := sessions.Default(c)
		n, _ := s.Get("n").(int)
		s.Set("n", n+1)
		s.Save()
		c.String(http.StatusOK, "visits=%d", n+1)
	})
	r.GET("/tool/me", app.RequireSignIn(), func(c *gin.Context) {
		name, wiki, ok := app.User(c)
		if !ok || name != handlers.UserName(c) {
			c.String(http.StatusInternalServerError, "no user")
			return
		}
		info, err := wiki.UserInfo(c.Request.Context(), mwclient.AssertUser)
		if err != nil {
			c.String(http.StatusBadGateway, "userinfo: %v", err)
			return
		}
		c.String(http.StatusOK, "hello %s, %d edits", info.Name, info.EditCount)
	})
	r.POST("/tool/act", app.RequireSignIn(), func(c *gin.Context) { c.String(http.StatusOK, "done") })
	h.ts.Config.Handler = r
	h.ts.Start()
	t.Cleanup(h.ts.Close)
	return h
}

func TestRequireSignInRoundTrip(t *testing.T) {
	h := newHost(t)
	b := browsertest.New(t)
	p := b.Get(h.ts.URL + "/tool/me?x=1")
	if !strings.HasSuffix(p.URL.Path, "/auth/") || p.URL.Query().Get("returnto") != "/tool/me?x=1" {
		t.Fatalf("not sent to the login page: %s", p.URL)
	}
	p = p.Form("/login").Set("username", "Alice").Set("password", demowiki.Password).Submit()
	if p.URL.Path != "/tool/me" || p.Body != "hello Alice, 43 edits" {
		t.Fatalf("after PASS: %s %q", p.URL, p.Body)
	}
	if strings.Join(h.signedIn, ",") != "Alice" {
		t.Fatalf("OnSignIn calls: %v", h.signedIn)
	}
	// A POST to a guarded route without sign-in is refused, not redirected.
	other := browsertest.New(t)
	if p := other.Post(h.ts.URL+"/tool/act", url.Values{}); p.Status != http.StatusUnauthorized {
		t.Fatalf("unsigned POST: %d", p.Status)
	}
	p = b.Get(h.ts.URL + "/auth/").Form("/logout").Submit()
	mustContain(t, p, "You have signed out")
	if strings.Join(h.signedOut, ",") != "Alice" {
		t.Fatalf("OnSignOut calls: %v", h.signedOut)
	}
	if p := b.Get(h.ts.URL + "/tool/me"); !strings.HasSuffix(p.URL.Path, "/auth/") {
		t.Fatalf("still signed in after sign-out: %s", p.URL)
	}
}

func TestHostSessionUntouched(t *testing.T) {
	h := newHost(t)
	b := browsertest.New(t)
	b.Get(h.ts.URL + "/visits")
	login(t, &env{base: h.ts.URL + "/auth"}, b, "Alice", demowiki.Password)
	if p := b.Get(h.ts.URL + "/visits"); p.Body != "visits=2" {
		t.Fatalf("the host's session was disturbed: %q", p.Body)
	}
}

func TestTemplateOverride(t *testing.T) {
	custom := fstest.MapFS{"signedin.html": {Data: []byte(`{{define "content"}}<p>Welcome aboard, {{.User.Name}}!</p>{{end}}`)}}
	h := newHost(t, func(o *handlers.Options) { o.Templates = custom })
	b := browsertest.New(t)
	p := login(t, &env{base: h.ts.URL + "/auth"}, b, "Alice", demowiki.Password)
	mustContain(t, p, "Welcome aboard, Alice!")

	broken := fstest.MapFS{"login.html": {Data: []byte(`<p>no content block</p>`)}}
	_, err := handlers.Register(gin.New().Group("/"), handlers.Options{
		Client: mustClient(t), PublicURL: "https://x.example", Keys: [][]byte{[]byte("test-key-0123456789-0123456789-0123456789")},
		Templates: broken,
	})
	if err == nil || !strings.Contains(err.Error(), `login.html must define "content"`) {
		t.Fatalf("a broken override was accepted: %v", err)
	}
}

func mustClient(t *testing.T) *mwclient.Client {
	c, err := mwclient.New("https://wiki.example/w/api.php", mwclient.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestNetHTTPHost(t *testing.T) {
	wiki := httptest.NewServer(demowiki.New())
	defer wiki.Close()
	client, _ := mwclient.New(wiki.URL+"/api.php", mwclient.Options{})
	ts := httptest.NewUnstartedServer(nil)
	h, _, err := handlers.NewHandler("/login", handlers.Options{
		Client: client, PublicURL: "http://" + ts.Listener.Addr().String(), InsecureCookies: true,
		Keys: [][]byte{[]byte("test-key-0123456789-0123456789-0123456789")},
	})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/login/", h)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "host home") })
	ts.Config.Handler = mux
	ts.Start()
	defer ts.Close()
	b := browsertest.New(t)
	p := b.Get(ts.URL + "/login/")
	if f := p.Form("/login/login"); !strings.HasPrefix(f.Action.Path, "/login/") {
		t.Fatalf("form action %s does not follow the prefix", f.Action)
	}
	for _, l := range p.Find(browsertest.ByTag("link")) {
		if href, _ := browsertest.Attr(l, "href"); !strings.HasPrefix(href, "/login/static/") {
			t.Fatalf("stylesheet %q does not follow the prefix", href)
		}
	}
	p = p.Form("/login/login").Set("username", "Alice").Set("password", demowiki.Password).Submit()
	mustContain(t, p, "holds your sign-in to", " as Alice")
	if c := b.Cookies(ts.URL + "/"); len(c) != 0 {
		t.Fatalf("our cookie leaks outside the prefix: %v", c)
	}
}

// openRedirectPayloads are returnto values that must never send the
// browser to another host.
func openRedirectPayloads() []string {
	hosts := []string{"evil.example", "evil.example/path", "@evil.example", "evil.example%2F..", "127.0.0.2", "[::1]", "evil.example:443", "xn--evil-ua.example"}
	prefixes := []string{
		"//", "/\\", "\\/", "\\\\", "https:", "http:", "https://", "http://", "//\t", "/\t/", " //", "\x00//",
		"/\r\n/", "///", "////", "/%09/", "\\/\\/", "%2F%2F", "%5C%5C", "javascript://", "https:/", "/\\/", "\t//",
		"/\x0b/", "data:text/html,", "///\\", "\u3000//", "//\\", "\\\t\\", ";//",
	}
	var out []string
	for _, p := range prefixes {
		for _, h := range hosts {
			out = append(out, p+h)
		}
	}
	return append(out, "javascript:alert(1)", "//evil.example?/tool", "/tool\n//evil.example", "https:\\\\evil.example",
		"\\evil.example", "evil.example", "./evil", "", "http:/evil.example", "/\u200b/evil.example")
}

func TestReturnToRefusesOpenRedirects(t *testing.T) {
	h := newHost(t)
	b := browsertest.New(t)
	login(t, &env{base: h.ts.URL + "/auth"}, b, "Alice", demowiki.Password)
	noFollow := *b.Client
	noFollow.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	app, _ := url.Parse(h.ts.URL + "/auth/")
	payloads := openRedirectPayloads()
	if len(payloads) < 100 {
		t.Fatalf("only %d payloads", len(payloads))
	}
	for _, payload := range payloads {
		resp, err := noFollow.Get(h.ts.URL + "/auth/?returnto=" + url.QueryEscape(payload))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		loc := resp.Header.Get("Location")
		if loc == "" {
			continue // no redirect: the signed-in page
		}
		target, err := app.Parse(loc)
		if err != nil || target.Host != app.Host || target.Scheme != app.Scheme {
			t.Errorf("returnto %q redirected to %q", payload, loc)
		}
		if strings.ContainsAny(loc, "\\\t\r\n") || strings.HasPrefix(loc, "//") {
			t.Errorf("returnto %q gave a suspicious Location %q", payload, loc)
		}
	}
	// A genuine local path is honoured.
	resp, err := noFollow.Get(h.ts.URL + "/auth/?returnto=" + url.QueryEscape("/tool/me?tab=2"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if loc := resp.Header.Get("Location"); loc != "/tool/me?tab=2" {
		t.Fatalf("a local returnto gave %q", loc)
	}
}
