// Command nethttp is the smallest net/http tool on mwlogin that edits the
// wiki as its user: a form that saves a page.
//
//	WIKI=https://test.wikipedia.org/w/api.php KEY=$(openssl rand -hex 32) go run ./examples/nethttp
package main

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net/http"
	"net/url"
	"os"

	"github.com/mwlogin/mwlogin/handlers"
	"github.com/mwlogin/mwlogin/mwclient"
)

const page = "Sandbox"

func newMux(client *mwclient.Client, publicURL, key string) (*http.ServeMux, error) {
	login, auth, err := handlers.NewHandler("/auth", handlers.Options{
		Client: client, PublicURL: publicURL, Keys: [][]byte{[]byte(key)},
		InsecureCookies: true, CookiePath: "/", AppName: "My tool", HomeURL: "/",
	})
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	mux.Handle("/auth/", login)
	mux.Handle("GET /{$}", auth.RequireSignInHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, `<form method="post" action="/save"><input type="hidden" name="csrf" value="%s">`+
			`<textarea name="text" aria-label="Text"></textarea><button>Save %s</button></form>%s`,
			auth.CSRFToken(r), page, auth.SignOutForm(r, "/", "Sign out"))
	})))
	mux.Handle("POST /save", auth.RequireSignInHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !auth.CheckCSRF(r, r.PostFormValue("csrf")) {
			http.Error(w, "This form could not be verified; reload the page.", http.StatusForbidden)
			return
		}
		err := auth.AsUser(r, func(ctx context.Context, wiki *mwclient.Session) error {
			return wiki.PostWithToken(ctx, "csrf", url.Values{"action": {"edit"}, "title": {page},
				"text": {r.PostFormValue("text")}, "assert": {"user"}}, nil)
		})
		if errors.Is(err, handlers.ErrNotSignedIn) { // the wiki ended the session
			http.Redirect(w, r, auth.LoginURL("/"), http.StatusSeeOther)
			return
		}
		if err != nil {
			http.Error(w, "The wiki did not save it: "+err.Error(), http.StatusBadGateway)
			return
		}
		http.Redirect(w, r, "/", http.StatusSeeOther)
	})))
	return mux, nil
}

func main() {
	client, err := mwclient.New(os.Getenv("WIKI"), mwclient.Options{UserAgent: "MyTool/1.0 (me@example.org)"})
	if err != nil {
		log.Fatal(err)
	}
	mux, err := newMux(client, "http://127.0.0.1:8092", os.Getenv("KEY"))
	if err != nil {
		log.Fatal(err)
	}
	log.Fatal(http.ListenAndServe("127.0.0.1:8092", mux))
}
