package handlers

import (
	"net/url"
	"strings"

	"github.com/gin-gonic/gin"
	"github.com/gorilla/sessions"
)

// keyReturnTo holds where to send the browser after PASS.
const keyReturnTo = "returnto"

// userKey is the gin.Context key under which RequireSignIn leaves the
// signed-in user's name.
const userKey = "mwlogin.user"

// RequireSignIn is middleware for the host's routes: a signed-in request
// goes on (with UserName(c) set); any other GET or HEAD is sent to the login
// page, and back to where it was after PASS; other methods get 401.
//
// Our cookie only reaches paths under Options.CookiePath (the mount prefix
// by default): list the guarded routes in Options.ProtectedPaths, and a
// CookiePath that does not cover them is an error when the app is built.
func (a *App) RequireSignIn() gin.HandlerFunc {
	return func(c *gin.Context) {
		name, err := a.SignedInAs(c.Request)
		if err != nil {
			a.refuseGuarded(c.Writer, c.Request, err)
			c.Abort()
			return
		}
		c.Set(userKey, name)
		c.Next()
	}
}

// LoginURL is the login page's path, asking to come back to returnTo (a
// local path) after PASS.
func (a *App) LoginURL(returnTo string) string {
	if rt := safeReturnTo(returnTo); rt != "" {
		return a.prefix + "/?returnto=" + url.QueryEscape(rt)
	}
	return a.prefix + "/"
}

// UserName returns the name RequireSignIn found signed in, or "".
func UserName(c *gin.Context) string {
	return c.GetString(userKey)
}

// safeReturnTo accepts only a local absolute path, so that the login page
// cannot be used to send a user to another site (an open redirect): no
// scheme, no host, no "//" or "/\\" (which browsers read as a host), not
// even percent-encoded (a tool that decodes its path and redirects would
// read them so), no backslashes or control characters. It returns "" for
// anything else.
func safeReturnTo(s string) string {
	if s == "" || len(s) > 2048 || s[0] != '/' {
		return ""
	}
	for _, r := range s {
		if r < 0x20 || r == 0x7f || r == '\\' {
			return ""
		}
	}
	if len(s) > 1 && s[1] == '/' {
		return ""
	}
	u, err := url.Parse(s)
	if err != nil || u.Scheme != "" || u.Host != "" || u.Opaque != "" || u.User != nil {
		return ""
	}
	if strings.HasPrefix(u.Path, "//") || strings.HasPrefix(u.Path, "/\\") {
		return ""
	}
	return s
}

// rememberReturnTo keeps a requested return address for after PASS.
func (a *App) rememberReturnTo(c *gin.Context, sess *sessions.Session) {
	if rt := a.returnTo(c.Query("returnto")); rt != "" {
		sess.Values[keyReturnTo] = rt
	}
}

// takeReturnTo returns where to send the browser after PASS: the return
// path, or the login page. The path stays in the session, for the
// signed-in page to link back to it.
func (a *App) takeReturnTo(sess *sessions.Session) string {
	if rt := a.returnTarget(sess); rt != "" {
		return rt
	}
	return a.prefix + "/"
}

// returnTarget is the session's return address, or "".
func (a *App) returnTarget(sess *sessions.Session) string {
	rt, _ := sess.Values[keyReturnTo].(string)
	return a.returnTo(rt)
}
