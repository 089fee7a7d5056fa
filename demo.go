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

	"github.com/mwlogin/mwlogin/internal/demowiki"
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

var demoBanner = template.Must(template.New("demo").Parse(`<p><strong>Demo mode.</strong> This page talks to a built-in demo wiki, not a real one.
Every account's password is <code>{{.Password}}</code>:</p>
<ul>
<li><strong>{{.Alice}}</strong>: password only</li>
<li><strong>{{.Bob}}</strong>: then a two-factor code; the current one is <code>{{.Code}}</code></li>
<li><strong>{{.Dave}}</strong>: after one failed login, a captcha (answer: <code>{{.Answer}}</code>)</li>
<li><strong>{{.Erin}}</strong>: then a step with every field type (PIN <code>1234</code>)</li>
<li><strong>{{.Carol}}</strong>: press "Log in with Demo SSO"; the other identity there shows RESTART</li>
</ul>`))

// demoBannerHTML lists the demo accounts, with Bob's code of the moment.
func demoBannerHTML(*gin.Context) template.HTML {
	var b strings.Builder
	err := demoBanner.Execute(&b, map[string]string{
		"Password": demowiki.Password, "Alice": demowiki.UserAlice, "Bob": demowiki.UserBob,
		"Dave": demowiki.UserDave, "Erin": demowiki.UserErin, "Carol": demowiki.UserCarol,
		"Answer": demowiki.CaptchaAnswer, "Code": demowiki.TOTP(demowiki.TOTPSecret, time.Now()),
	})
	if err != nil {
		return template.HTML(template.HTMLEscapeString(fmt.Sprint("demo mode: ", err)))
	}
	return template.HTML(b.String()) //nolint:gosec // our own template's output
}
