package handlers

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/mwlogin/mwlogin/flow"
)

// Headers of the forward-authentication answer (GET {prefix}/auth).
const (
	HeaderUser     = "X-Wiki-User"
	HeaderUserID   = "X-Wiki-User-Id"
	HeaderGroups   = "X-Wiki-Groups"
	HeaderLoginURL = "X-Wiki-Login-URL"
)

// whoami is the JSON of GET {prefix}/whoami, and of the user /auth names.
type whoami struct {
	Name   string   `json:"name"`
	ID     int      `json:"id"`
	Groups []string `json:"groups"`
	// CSRF is the token a page's script sends to {prefix}/api, when
	// Options.EnableAPI is on.
	CSRF string `json:"csrf,omitempty"`
}

// whoamiError is /whoami's answer when nobody is signed in or the wiki
// cannot say who is.
type whoamiError struct {
	Error    string `json:"error"`
	LoginURL string `json:"login_url,omitempty"`
}

// forwardAuth answers a reverse proxy's question "who is this browser?"
// (nginx auth_request, Caddy forward_auth, Traefik ForwardAuth): 204 with
// the user in headers, or 401 with the login page's URL, asking to come
// back to the URL the browser asked the proxy for. With ?redirect=1 a
// signed-out browser gets a 302 to the login page instead, for proxies
// that hand the answer to the browser as it is (Caddy, Traefik).
func (a *App) forwardAuth(c *gin.Context) {
	who, status := a.identify(c)
	if who != nil {
		h := c.Writer.Header()
		h.Set(HeaderUser, who.Name)
		h.Set(HeaderUserID, strconv.Itoa(who.ID))
		h.Set(HeaderGroups, strings.Join(who.Groups, ","))
		c.Status(http.StatusNoContent)
		return
	}
	login := a.forwardLoginURL(c)
	if status != http.StatusUnauthorized {
		c.Status(status)
		return
	}
	c.Header(HeaderLoginURL, login)
	if c.Query("redirect") == "1" {
		c.Redirect(http.StatusFound, login)
		return
	}
	c.Status(http.StatusUnauthorized)
}

// whoami is forwardAuth for scripts and pages: the user as JSON, or a
// JSON error with the login URL.
func (a *App) whoami(c *gin.Context) {
	who, status := a.identify(c)
	if who != nil {
		if a.opts.EnableAPI {
			who.CSRF = a.store.CSRFToken(a.session(c))
		}
		c.JSON(http.StatusOK, who)
		return
	}
	e := whoamiError{Error: "not signed in", LoginURL: a.forwardLoginURL(c)}
	if status != http.StatusUnauthorized {
		e = whoamiError{Error: "the wiki could not be asked who is signed in"}
	}
	c.JSON(status, e)
}

// identify names the signed-in user, asking the wiki for their ID and
// groups the first time and whenever RecheckAfter has passed
// (flow.Engine.Identify). Otherwise it returns the status to answer: 401
// for nobody signed in (a login in progress counts as nobody, and so does
// a wiki session the wiki has ended, which signs the browser out here),
// or the status of the wiki's failure when it could not be asked and the
// user's ID is not known yet. A user the wiki described before stays
// signed in while the wiki cannot be reached, as on the signed-in page.
func (a *App) identify(c *gin.Context) (*whoami, int) {
	sess := a.session(c)
	u := userOf(sess)
	if u == nil {
		return nil, http.StatusUnauthorized
	}
	before := u.Cookies
	asked, err := a.flows.Identify(a.wikiContext(c), u)
	switch {
	case errors.Is(err, flow.ErrSignedOut):
		a.log.InfoContext(c.Request.Context(), "wiki session ended", "user", u.Name)
		delete(sess.Values, keyUser)
		if err := a.save(c, sess); err != nil {
			a.log.WarnContext(c.Request.Context(), "could not store the sign-out", "err", err)
		}
		return nil, http.StatusUnauthorized
	case err != nil && u.ID == 0:
		a.log.WarnContext(c.Request.Context(), "could not ask the wiki who is signed in", "user", u.Name, "err", err)
		status, _ := describe(err)
		return nil, status
	case err != nil:
		a.log.WarnContext(c.Request.Context(), "could not check the wiki session; answering with what the wiki said before", "user", u.Name, "err", err)
	case asked:
		if err := a.storeCheck(c, sess, u, before); err != nil {
			a.log.WarnContext(c.Request.Context(), "could not store what the wiki said", "user", u.Name, "err", err)
		}
	}
	groups := u.Groups
	if groups == nil {
		groups = []string{}
	}
	return &whoami{Name: u.Name, ID: u.ID, Groups: groups}, 0
}

// forwardLoginURL is the absolute URL of the login page, asking to come
// back to the URL the browser asked the proxy for, when that is a place
// the login page may send it (returnTo).
func (a *App) forwardLoginURL(c *gin.Context) string {
	login := a.publicBase + a.prefix + "/"
	if rt := a.returnTo(originalURL(c.Request)); rt != "" {
		login += "?returnto=" + url.QueryEscape(rt)
	}
	return login
}

// originalURL is the URL the browser asked the proxy for, as the proxy
// says: X-Original-URL (nginx, as docs/forward-auth.md sets it), else
// X-Forwarded-Proto, X-Forwarded-Host and X-Forwarded-Uri (Caddy,
// Traefik). These headers are read from whoever sends them: they only
// choose where the login page offers to go back to, and the login page
// accepts nothing but a local path or an allowed host (returnTo), so a
// made-up one cannot send anyone elsewhere.
func originalURL(r *http.Request) string {
	if u := r.Header.Get("X-Original-URL"); u != "" {
		return u
	}
	uri := r.Header.Get("X-Forwarded-Uri")
	if uri == "" || !strings.HasPrefix(uri, "/") {
		return ""
	}
	host, proto := r.Header.Get("X-Forwarded-Host"), r.Header.Get("X-Forwarded-Proto")
	if host == "" || proto == "" {
		return uri
	}
	return proto + "://" + host + uri
}
