// Package floor is the least a clientlogin front end can do for a password
// login: a form page, then the wiki's two calls (login token, clientlogin)
// and a redirect to a page naming the user. It has no CSRF check, no
// session store, no session rotation, no templates and no logging, so it
// must never serve real users: it is a measuring stick. The benchmark runs
// it like the app, on the same net/http server and the same mwclient, so
// that what it measures is what the HTTP exchanges of a login cost on the
// machine, before any of the app's own work.
package floor

import (
	"crypto/rand"
	"html"
	"net/http"
	"net/url"
	"sync"

	"github.com/mwlogin/mwlogin/mwclient"
)

const cookieName = "floor"

const formPage = `<!doctype html><html lang="en"><title>Log in</title>` +
	`<form method="post" action="/login"><input name="username"><input type="password" name="password">` +
	`<button type="submit">Log in</button></form></html>`

// Handler serves / (the form, or the signed-in page) and POST /login.
func Handler(c *mwclient.Client, returnURL string) http.Handler {
	var users sync.Map // cookie value -> user name
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		if ck, err := r.Cookie(cookieName); err == nil {
			if name, ok := users.Load(ck.Value); ok {
				w.Write([]byte(`<!doctype html><html lang="en"><title>Signed in</title><p>Signed in as <strong class="username">` +
					html.EscapeString(name.(string)) + `</strong></p></html>`))
				return
			}
		}
		w.Write([]byte(formPage))
	})
	mux.HandleFunc("POST /login", func(w http.ResponseWriter, r *http.Request) {
		s := c.NewSession(nil)
		token, err := s.Token(r.Context(), "login")
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		res, err := s.ClientLogin(r.Context(), mwclient.LoginParams{Token: token, ReturnURL: returnURL,
			Fields: url.Values{"username": {r.PostFormValue("username")}, "password": {r.PostFormValue("password")}}})
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		if res.Status != mwclient.StatusPass {
			http.Error(w, "login "+string(res.Status), http.StatusUnauthorized)
			return
		}
		id := rand.Text()
		users.Store(id, res.Username)
		http.SetCookie(w, &http.Cookie{Name: cookieName, Value: id, Path: "/", HttpOnly: true, SameSite: http.SameSiteLaxMode})
		http.Redirect(w, r, "/", http.StatusSeeOther)
	})
	return mux
}
