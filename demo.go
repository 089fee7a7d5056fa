package main

import (
	"fmt"
	"html/template"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/mwlogin/mwlogin/handlers"
	"github.com/mwlogin/mwlogin/internal/demowiki"
	"github.com/mwlogin/mwlogin/locale"
)

// startDemoWiki serves the built-in demo wiki on a loopback port of its own
// (browsers visit its identity-provider page, so it needs an address) and
// returns its api.php URL.
func startDemoWiki(log *slog.Logger) (string, func(), error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	srv := &http.Server{Handler: demowiki.New(), ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	api := "http://" + ln.Addr().String() + "/api.php"
	log.Warn("no wiki configured: using the built-in DEMO wiki; pass -wiki (MWLOGIN_WIKI) for a real one", "demo_api", api)
	return api, func() { srv.Close() }, nil
}

// demoBannerHTML lists the demo accounts, with Bob's code of the moment,
// in the page's language.
func demoBannerHTML(c *gin.Context) template.HTML {
	lang, cat := handlers.PageLanguage(c), locale.Default()
	code := func(s string) template.HTML {
		return template.HTML("<code>" + template.HTMLEscapeString(s) + "</code>")
	}
	bold := func(s string) template.HTML {
		return template.HTML("<strong>" + template.HTMLEscapeString(s) + "</strong>")
	}
	var b strings.Builder
	say := func(id string, data map[string]any) {
		h, err := cat.HTML(lang, id, data)
		if err != nil {
			h = template.HTML(template.HTMLEscapeString(fmt.Sprint("demo mode: ", err)))
		}
		b.WriteString(string(h))
	}
	b.WriteString("<p><strong>")
	say("demo-mode", nil)
	b.WriteString("</strong> ")
	say("demo-intro", map[string]any{"Password": code(demowiki.Password)})
	b.WriteString("</p>\n<ul>\n")
	for _, item := range []struct {
		id, user string
		data     map[string]any
	}{
		{"demo-alice", demowiki.UserAlice, nil},
		{"demo-bob", demowiki.UserBob, map[string]any{"Code": code(demowiki.TOTP(demowiki.TOTPSecret, time.Now()))}},
		{"demo-dave", demowiki.UserDave, map[string]any{"Answer": code(demowiki.CaptchaAnswer)}},
		{"demo-erin", demowiki.UserErin, map[string]any{"PIN": code("1234")}},
		{"demo-carol", demowiki.UserCarol, map[string]any{"Button": "Log in with Demo SSO"}},
	} {
		data := map[string]any{"User": bold(item.user)}
		for k, v := range item.data {
			data[k] = v
		}
		b.WriteString("<li>")
		say(item.id, data)
		b.WriteString("</li>\n")
	}
	b.WriteString("</ul>")
	return template.HTML(b.String()) //nolint:gosec // our own catalog's escaped texts
}
