// Command wikitool is a small tool built on mwlogin: it signs people in to
// a wiki, shows them their name and groups, and edits a page as them,
// showing the page's text and history.
//
//	go run ./examples/wikitool
//
// starts it on the built-in demo wiki (the page lists its accounts); open
// http://127.0.0.1:8090/. With -wiki it works on a real wiki:
//
//	go run ./examples/wikitool -wiki https://test.wikipedia.org/w/api.php -page "User:YOU/sandbox"
package main

import (
	"context"
	"crypto/rand"
	"errors"
	"flag"
	"html/template"
	"log"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/mwlogin/mwlogin/handlers"
	"github.com/mwlogin/mwlogin/internal/demowiki"
	"github.com/mwlogin/mwlogin/mwclient"
)

// config is what the tool needs to run.
type config struct {
	client    *mwclient.Client
	publicURL string
	key       []byte
	insecure  bool   // plain-HTTP cookies, for development on loopback
	page      string // the page the tool edits
	banner    template.HTML
}

// tool is the tool's own part: its page at /, its edit form's target /edit.
type tool struct {
	auth *handlers.App
	page string
}

// pageView is what page.html shows.
type pageView struct {
	Auth, CSRF, Page, Notice, Error string
	User                            *userInfo
	Text                            string
	Exists                          bool
	History                         []revision
	SignOut                         template.HTML
	Banner                          template.HTML
}

type userInfo struct {
	Name   string   `json:"name"`
	Groups []string `json:"groups"`
}

type revision struct {
	User      string `json:"user"`
	Timestamp string `json:"timestamp"`
	Comment   string `json:"comment"`
}

var pageTmpl = template.Must(template.New("page").Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Page}} · Wiki tool</title><link rel="stylesheet" href="{{.Auth}}/static/style.css"></head>
<body>{{if .Banner}}<aside class="banner" aria-label="About this site">{{.Banner}}</aside>{{end}}
<main class="card">
<header class="card-header"><p class="app-name">Wiki tool</p><h1>{{with .User}}Hello, {{.Name}}{{else}}Wiki tool{{end}}</h1></header>
{{with .Notice}}<div class="notice notice-success" role="status">{{.}}</div>{{end}}
{{with .Error}}<div class="message message-error" role="alert"><p>{{.}}</p></div>{{end}}
{{with .User}}<dl class="facts"><dt>Groups</dt><dd id="groups">{{range $i, $g := .Groups}}{{if $i}}, {{end}}{{$g}}{{end}}</dd></dl>{{end}}
<h2>{{.Page}}</h2>
{{if .Exists}}<pre id="text" style="white-space: pre-wrap">{{.Text}}</pre>{{else}}<p id="text">This page does not exist yet: save it to create it.</p>{{end}}
<form method="post" action="/edit">
<input type="hidden" name="csrf" value="{{.CSRF}}">
<div class="field"><label for="newtext">New text</label><textarea id="newtext" name="text" rows="6">{{.Text}}</textarea></div>
<div class="field"><label for="summary">Summary <span class="optional">(optional)</span></label><input type="text" id="summary" name="summary"></div>
<button type="submit" class="button primary">Save as {{with .User}}{{.Name}}{{end}}</button>
</form>
{{if .History}}<h2>History</h2><ol id="history">{{range .History}}<li>{{.Timestamp}} · <strong>{{.User}}</strong>{{with .Comment}} · {{.}}{{end}}</li>{{end}}</ol>{{end}}
{{.SignOut}}
</main></body></html>`))

// newRouter builds the tool: its own pages, and mwlogin under /auth.
func newRouter(cfg config) (*gin.Engine, error) {
	r := gin.New()
	r.Use(gin.Recovery())
	// No reverse proxy in front: the client is the connection's peer, so
	// no one can choose the address the login limits count.
	if err := handlers.TrustProxies(r, nil); err != nil {
		return nil, err
	}
	auth, err := handlers.Register(r.Group("/auth"), handlers.Options{
		Client: cfg.client, PublicURL: cfg.publicURL, Keys: [][]byte{cfg.key}, InsecureCookies: cfg.insecure,
		// The tool's pages live outside /auth, so the cookie must reach them.
		CookiePath: "/",
		AppName:    "Wiki tool",
		HomeURL:    "/",
		Banner:     func(*gin.Context) template.HTML { return cfg.banner },
	})
	if err != nil {
		return nil, err
	}
	t := &tool{auth: auth, page: cfg.page}
	r.GET("/", auth.RequireSignIn(), func(c *gin.Context) {
		v := pageView{Banner: cfg.banner}
		if c.Query("saved") != "" {
			v.Notice = "Saved."
		}
		t.show(c, http.StatusOK, v)
	})
	r.POST("/edit", auth.RequireSignIn(), t.edit)
	return r, nil
}

// show renders the page with what the wiki says now, as the user.
func (t *tool) show(c *gin.Context, status int, v pageView) {
	v.Auth, v.Page, v.CSRF = t.auth.Prefix(), t.page, t.auth.CSRFToken(c.Request)
	v.SignOut = t.auth.SignOutForm(c.Request, "/", "Sign out")
	err := t.auth.AsUser(c.Request, func(ctx context.Context, s *mwclient.Session) error {
		var ui struct {
			Query struct {
				UserInfo userInfo `json:"userinfo"`
			} `json:"query"`
		}
		err := s.Get(ctx, url.Values{"action": {"query"}, "meta": {"userinfo"}, "uiprop": {"groups"}, "assert": {"user"}}, &ui)
		if err != nil {
			return err
		}
		v.User = &ui.Query.UserInfo
		// Everyone's implicit group says nothing.
		v.User.Groups = slices.DeleteFunc(v.User.Groups, func(g string) bool { return g == "*" })
		return t.readPage(ctx, s, &v)
	})
	if t.signedOut(c, err) {
		return
	}
	if err != nil && v.Error == "" {
		v.Error, status = describe(err), http.StatusBadGateway
	}
	c.Status(status)
	c.Header("Content-Type", "text/html; charset=utf-8")
	if err := pageTmpl.Execute(c.Writer, v); err != nil {
		slog.Error("rendering the page", "err", err)
	}
}

// readPage reads the page's current text and its last ten revisions.
func (t *tool) readPage(ctx context.Context, s *mwclient.Session, v *pageView) error {
	var q struct {
		Query struct {
			Pages []struct {
				Missing   bool `json:"missing"`
				Revisions []struct {
					revision
					Slots struct {
						Main struct {
							Content string `json:"content"`
						} `json:"main"`
					} `json:"slots"`
				} `json:"revisions"`
			} `json:"pages"`
		} `json:"query"`
	}
	err := s.Get(ctx, url.Values{"action": {"query"}, "prop": {"revisions"}, "titles": {t.page},
		"rvprop": {"user|timestamp|comment|content"}, "rvslots": {"main"}, "rvlimit": {"10"}, "assert": {"user"}}, &q)
	if err != nil || len(q.Query.Pages) == 0 || q.Query.Pages[0].Missing {
		return err
	}
	revs := q.Query.Pages[0].Revisions
	v.Exists = len(revs) > 0
	for i, r := range revs {
		if i == 0 {
			v.Text = r.Slots.Main.Content
		}
		v.History = append(v.History, r.revision)
	}
	return nil
}

// edit saves the posted text as the user, then shows the page again.
func (t *tool) edit(c *gin.Context) {
	// The form carries mwlogin's CSRF token: another site cannot make a
	// signed-in browser post here.
	if !t.auth.CheckCSRF(c.Request, c.PostForm("csrf")) {
		t.show(c, http.StatusForbidden, pageView{Error: "This form could not be verified: reload the page and try again."})
		return
	}
	text, summary := c.PostForm("text"), c.PostForm("summary")
	if strings.TrimSpace(summary) == "" {
		summary = "Edited with the wiki tool"
	}
	err := t.auth.AsUser(c.Request, func(ctx context.Context, s *mwclient.Session) error {
		return s.PostWithToken(ctx, "csrf", url.Values{"action": {"edit"}, "title": {t.page},
			"text": {text}, "summary": {summary}, "assert": {"user"}}, nil)
	})
	if t.signedOut(c, err) {
		return
	}
	if err != nil {
		t.show(c, http.StatusBadGateway, pageView{Error: "The wiki did not save the edit: " + describe(err)})
		return
	}
	c.Redirect(http.StatusSeeOther, "/?saved=1")
}

// signedOut sends the browser to sign in again when the wiki has ended
// the user's session (AsUser then forgot the sign-in).
func (t *tool) signedOut(c *gin.Context, err error) bool {
	if !errors.Is(err, handlers.ErrNotSignedIn) {
		return false
	}
	c.Redirect(http.StatusSeeOther, t.auth.LoginURL("/"))
	return true
}

// describe says what went wrong in words for the page: the wiki's own
// message when it answered one.
func describe(err error) string {
	var apiErr *mwclient.APIError
	if errors.As(err, &apiErr) {
		if apiErr.Text != "" {
			return apiErr.Text
		}
		return "the wiki answered " + apiErr.Code + "."
	}
	slog.Warn("wiki call failed", "err", err)
	return "the wiki could not be reached. Try again in a moment."
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], nil); err != nil {
		log.Fatal(err)
	}
}

// run serves until ctx ends; onListen, if set, learns the bound address.
func run(ctx context.Context, args []string, onListen func(addr string)) error {
	fs := flag.NewFlagSet("wikitool", flag.ContinueOnError)
	wikiURL := fs.String("wiki", "", "the wiki's api.php URL; none starts the built-in demo wiki")
	listen := fs.String("listen", "127.0.0.1:8090", "address to listen on")
	page := fs.String("page", "Sandbox", "the page to edit")
	if err := fs.Parse(args); err != nil {
		return err
	}
	var banner template.HTML
	if *wikiURL == "" {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return err
		}
		wiki := &http.Server{Handler: demowiki.New()}
		go wiki.Serve(ln)
		defer wiki.Close()
		*wikiURL = "http://" + ln.Addr().String() + "/api.php"
		banner = template.HTML(`<p><strong>Demo wiki.</strong> Sign in as <code>` + demowiki.UserAlice +
			`</code> with the password <code>` + demowiki.Password + `</code>.</p>`)
		slog.Info("demo wiki started", "api", *wikiURL)
	}
	client, err := mwclient.New(*wikiURL, mwclient.Options{UserAgent: "mwlogin-example-wikitool/0.2 (https://github.com/mwlogin/mwlogin)"})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		return err
	}
	public := "http://" + ln.Addr().String()
	// A development key: sessions end with the process.
	r, err := newRouter(config{client: client, publicURL: public, key: []byte(rand.Text() + rand.Text()),
		insecure: true, page: *page, banner: banner})
	if err != nil {
		ln.Close()
		return err
	}
	srv := &http.Server{Handler: r, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		<-ctx.Done()
		srv.Shutdown(context.Background())
	}()
	slog.Info("wikitool listening", "url", public+"/")
	if onListen != nil {
		onListen(ln.Addr().String())
	}
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
