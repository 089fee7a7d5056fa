// Command wikitool is a small tool that mounts mwlogin under /auth and
// shows the signed-in user their own wiki data (edit count and groups from
// meta=userinfo), fetched with their wiki session through mwlogin.
//
//	go run ./examples/wikitool -wiki https://test.wikipedia.org/w/api.php
//
// then open http://127.0.0.1:8090/.
package main

import (
	"crypto/rand"
	"encoding/base64"
	"flag"
	"html/template"
	"log"
	"log/slog"
	"net/http"
	"os"

	"github.com/gin-gonic/gin"

	"github.com/mwlogin/mwlogin/handlers"
	"github.com/mwlogin/mwlogin/mwclient"
)

var page = template.Must(template.New("me").Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>My wiki</title></head><body>
<h1>Hello, {{.Name}}</h1>
<p>You have made <strong id="edits">{{.EditCount}}</strong> edits.</p>
<p>Your groups: <span id="groups">{{range $i, $g := .Groups}}{{if $i}}, {{end}}{{$g}}{{end}}</span></p>
<p><a href="{{.Auth}}/">Account</a></p>
</body></html>`))

// newRouter builds the tool: its own page at /, mwlogin at /auth.
func newRouter(client *mwclient.Client, publicURL string, keys [][]byte, insecure bool) (*gin.Engine, error) {
	r := gin.New()
	r.Use(gin.Recovery())
	// No reverse proxy in front: the client is the connection's peer, so
	// no one can choose the address the login limits count.
	if err := handlers.TrustProxies(r, nil); err != nil {
		return nil, err
	}
	auth, err := handlers.Register(r.Group("/auth"), handlers.Options{
		Client: client, PublicURL: publicURL, Keys: keys, InsecureCookies: insecure,
		// The guarded page lives outside /auth, so the cookie must reach it.
		CookiePath: "/",
		AppName:    "My wiki tool",
	})
	if err != nil {
		return nil, err
	}
	r.GET("/", auth.RequireSignIn(), func(c *gin.Context) {
		name, wiki, _ := auth.User(c)
		info, err := wiki.UserInfo(c.Request.Context(), mwclient.AssertUser)
		if err != nil {
			slog.Warn("userinfo failed", "user", name, "err", err)
			c.String(http.StatusBadGateway, "The wiki did not answer: %v", err)
			return
		}
		c.Status(http.StatusOK)
		c.Header("Content-Type", "text/html; charset=utf-8")
		page.Execute(c.Writer, map[string]any{"Name": info.Name, "EditCount": info.EditCount, "Groups": info.Groups, "Auth": auth.Prefix()})
	})
	return r, nil
}

func main() {
	wikiURL := flag.String("wiki", os.Getenv("MWLOGIN_WIKI"), "the wiki's api.php URL")
	listen := flag.String("listen", "127.0.0.1:8090", "address to listen on")
	flag.Parse()
	client, err := mwclient.New(*wikiURL, mwclient.Options{UserAgent: "mwlogin-example-wikitool/0.1 (https://github.com/mwlogin/mwlogin)"})
	if err != nil {
		log.Fatal(err)
	}
	// A development key: sessions end with the process.
	key := make([]byte, 32)
	rand.Read(key)
	r, err := newRouter(client, "http://"+*listen, [][]byte{[]byte(base64.StdEncoding.EncodeToString(key))}, true)
	if err != nil {
		log.Fatal(err)
	}
	slog.Info("wikitool listening", "url", "http://"+*listen+"/")
	log.Fatal(http.ListenAndServe(*listen, r))
}
