// Command ginhost is the smallest Gin tool on mwlogin: a page for signed-in
// users that greets them with what the wiki says of them.
//
//	WIKI=https://test.wikipedia.org/w/api.php KEY=$(openssl rand -hex 32) go run ./examples/ginhost
package main

import (
	"context"
	"fmt"
	"html"
	"log"
	"net/http"
	"os"

	"github.com/gin-gonic/gin"

	"github.com/mwlogin/mwlogin/handlers"
	"github.com/mwlogin/mwlogin/mwclient"
)

func newRouter(client *mwclient.Client, publicURL, key string) (*gin.Engine, error) {
	r := gin.New()
	if err := handlers.TrustProxies(r, nil); err != nil { // no reverse proxy in front
		return nil, err
	}
	auth, err := handlers.Register(r.Group("/auth"), handlers.Options{
		Client: client, PublicURL: publicURL, Keys: [][]byte{[]byte(key)},
		InsecureCookies: true, // plain HTTP on 127.0.0.1; drop it behind HTTPS
		CookiePath:      "/",  // the cookie must reach /, outside /auth
		AppName:         "My tool", HomeURL: "/",
	})
	if err != nil {
		return nil, err
	}
	r.GET("/", auth.RequireSignIn(), func(c *gin.Context) {
		var info *mwclient.UserInfo
		err := auth.AsUser(c.Request, func(ctx context.Context, wiki *mwclient.Session) (err error) {
			info, err = wiki.UserInfo(ctx, mwclient.AssertUser)
			return err
		})
		if err != nil {
			c.String(http.StatusBadGateway, "The wiki did not answer: %v", err)
			return
		}
		c.Header("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(c.Writer, "<p>Hello, %s: %d edits.</p>%s", html.EscapeString(info.Name), info.EditCount,
			auth.SignOutForm(c.Request, "/", "Sign out"))
	})
	return r, nil
}

func main() {
	client, err := mwclient.New(os.Getenv("WIKI"), mwclient.Options{UserAgent: "MyTool/1.0 (me@example.org)"})
	if err != nil {
		log.Fatal(err)
	}
	r, err := newRouter(client, "http://127.0.0.1:8091", os.Getenv("KEY"))
	if err != nil {
		log.Fatal(err)
	}
	log.Fatal(http.ListenAndServe("127.0.0.1:8091", r))
}
