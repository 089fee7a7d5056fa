package handlers_test

// A tool embedding the app, against the real test MediaWiki: what a host
// does through the public API only.

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/mwlogin/mwlogin/handlers"
	"github.com/mwlogin/mwlogin/internal/browsertest"
	"github.com/mwlogin/mwlogin/internal/testwiki"
	"github.com/mwlogin/mwlogin/mwclient"
)

// realHost is a Gin tool with the app under /auth, in front of the real
// test wiki. Its page /tool shows a form (with the app's CSRF token) that
// posts to /tool/edit, which edits a page as the signed-in user; /tool/session
// answers the value of the wiki's session cookie when a userinfo call
// starts and when it ends.
func realHost(t *testing.T) (*httptest.Server, *testwiki.Wiki) {
	t.Helper()
	w := testwiki.Require(t)
	client, err := mwclient.New(w.APIURL, mwclient.Options{UserAgent: "mwlogin-test/0 (embed test)"})
	if err != nil {
		t.Fatal(err)
	}
	gin.SetMode(gin.ReleaseMode)
	ts := httptest.NewUnstartedServer(nil)
	r := gin.New()
	app, err := handlers.Register(r.Group("/auth"), handlers.Options{
		Client: client, PublicURL: "http://" + ts.Listener.Addr().String(), InsecureCookies: true,
		Keys: [][]byte{[]byte("test-key-0123456789-0123456789-0123456789")}, CookiePath: "/",
	})
	if err != nil {
		t.Fatal(err)
	}
	tool := r.Group("/tool", app.RequireSignIn())
	tool.GET("", func(c *gin.Context) {
		c.Header("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(c.Writer, `<form method="post" action="/tool/edit"><input type="hidden" name="csrf" value="%s">`+
			`<input name="title"><input name="text"><button>Save</button></form>`, app.CSRFToken(c.Request))
	})
	tool.POST("/edit", func(c *gin.Context) {
		if !app.CheckCSRF(c.Request, c.PostForm("csrf")) {
			c.String(http.StatusForbidden, "bad token")
			return
		}
		err := app.AsUser(c.Request, func(ctx context.Context, s *mwclient.Session) error {
			return s.PostWithToken(ctx, "csrf", url.Values{"action": {"edit"}, "title": {c.PostForm("title")},
				"text": {c.PostForm("text")}, "summary": {"through the host"}, "assert": {"user"}}, nil)
		})
		if err != nil {
			c.String(http.StatusBadGateway, "edit: %v", err)
			return
		}
		c.String(http.StatusOK, "saved")
	})
	tool.GET("/session", func(c *gin.Context) {
		var before, after string
		err := app.AsUser(c.Request, func(ctx context.Context, s *mwclient.Session) error {
			before = wikiSessionCookie(s)
			_, err := s.UserInfo(ctx, mwclient.AssertUser)
			after = wikiSessionCookie(s)
			return err
		})
		if err != nil {
			c.String(http.StatusBadGateway, "userinfo: %v", err)
			return
		}
		c.String(http.StatusOK, "%s %s", before, after)
	})
	ts.Config.Handler = r
	ts.Start()
	t.Cleanup(ts.Close)
	return ts, w
}

// wikiSessionCookie is the value of the test wiki's session cookie in s.
func wikiSessionCookie(s *mwclient.Session) string {
	for _, c := range s.Cookies() {
		if c.Name == "mwtest_session" {
			return c.Value
		}
	}
	return ""
}

func TestMediaWikiHostEditsAsTheUser(t *testing.T) {
	ts, w := realHost(t)
	b := browsertest.New(t)
	p := b.Get(ts.URL + "/tool")
	if p.URL.Path != "/auth/" {
		t.Fatalf("not sent to the login page: %s", p.URL)
	}
	p = p.Form("/auth/login").Set("username", testwiki.AliceUser).Set("password", testwiki.AlicePassword).Submit()
	if p.URL.Path != "/tool" {
		t.Fatalf("not back at the tool after PASS: %s: %s", p.URL, p.Text())
	}
	title := fmt.Sprintf("Mwlogin host test %d", time.Now().UnixNano())
	if p = p.Form("/tool/edit").Set("title", title).Set("text", "Written by the host as Alice.").Submit(); p.Body != "saved" {
		t.Fatalf("the host's edit: %d %q", p.Status, p.Body)
	}

	// The wiki, asked on its own, names Alice as the author.
	reader, err := mwclient.New(w.APIURL, mwclient.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var q struct {
		Query struct {
			Pages []struct {
				Revisions []struct {
					User    string `json:"user"`
					Comment string `json:"comment"`
				} `json:"revisions"`
			} `json:"pages"`
		} `json:"query"`
	}
	err = reader.NewSession(nil).Get(ctxFor(t), url.Values{"action": {"query"}, "prop": {"revisions"},
		"titles": {title}, "rvprop": {"user|comment"}, "rvlimit": {"1"}}, &q)
	if err != nil {
		t.Fatal(err)
	}
	if len(q.Query.Pages) != 1 || len(q.Query.Pages[0].Revisions) != 1 {
		t.Fatalf("the page's history: %+v", q)
	}
	if rev := q.Query.Pages[0].Revisions[0]; rev.User != testwiki.AliceUser || rev.Comment != "through the host" {
		t.Fatalf("the last revision is by %q (%q), not Alice's", rev.User, rev.Comment)
	}
}

// The real wiki renews a session it no longer has from the "remember me"
// cookies, with a new session cookie: the host's next call must carry it.
func TestMediaWikiRenewedSessionIsSaved(t *testing.T) {
	ts, w := realHost(t)
	b := browsertest.New(t)
	p := b.Get(ts.URL + "/tool")
	p = p.Form("/auth/login").Set("username", testwiki.AliceUser).Set("password", testwiki.AlicePassword).Set("rememberMe", "1").Submit()
	if p.URL.Path != "/tool" {
		t.Fatalf("not back at the tool after PASS: %s: %s", p.URL, p.Text())
	}
	if err := w.ExpireSessions(); err != nil {
		t.Fatal(err)
	}
	var first, renewed string
	if p := b.Get(ts.URL + "/tool/session"); p.Status != http.StatusOK {
		t.Fatalf("the call after the wiki lost the session: %d %q", p.Status, p.Body)
	} else {
		fmt.Sscan(p.Body, &first, &renewed)
	}
	if renewed == "" || renewed == first {
		t.Fatalf("the wiki did not renew the session (%q, then %q): the test proves nothing", first, renewed)
	}
	var next string
	fmt.Sscan(b.Get(ts.URL+"/tool/session").Body, &next)
	if next != renewed {
		t.Fatalf("the next call started with session %q, not the renewed %q", next, renewed)
	}
}
