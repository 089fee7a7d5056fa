package handlers

import (
	"context"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strings"

	"github.com/gin-gonic/gin"
	"github.com/gorilla/sessions"

	"github.com/mwlogin/mwlogin/flow"
	"github.com/mwlogin/mwlogin/internal/middleware"
	"github.com/mwlogin/mwlogin/mwclient"
)

// ErrNotSignedIn means nobody is signed in on the request's browser, or the
// wiki no longer knows their session (it expired there, or they logged out
// on the wiki): AsUser has then forgotten the sign-in, and the host sends
// the browser to LoginURL. Errors that wrap it also wrap the wiki's error.
var ErrNotSignedIn = errors.New("handlers: not signed in")

// SignedInAs returns the name of the user signed in on r's browser. The
// error is ErrNotSignedIn when nobody is, or wraps ErrStoreDown when the
// session store does not answer.
func (a *App) SignedInAs(r *http.Request) (string, error) {
	_, u, err := a.userOf(r)
	if err != nil {
		return "", err
	}
	return u.Name, nil
}

// userOf loads r's session and its signed-in user.
func (a *App) userOf(r *http.Request) (*sessions.Session, *flow.User, error) {
	sess, err := a.store.Get(r, a.opts.CookieName)
	if err != nil {
		return nil, nil, fmt.Errorf("handlers: %w: %w", ErrStoreDown, err)
	}
	u := userOf(sess)
	if u == nil {
		return nil, nil, ErrNotSignedIn
	}
	return sess, u, nil
}

// AsUser calls fn with the wiki session of the user signed in on r's
// browser, for API calls on their behalf: an edit, their watchlist. ctx
// carries r's context and its request ID (sent to the wiki as
// X-Request-Id). Cookies the wiki sets or removes during fn (it renews a
// session as it goes) are saved to the user's stored session when fn
// returns, whatever fn returned, without writing to the response: the
// browser's own cookie does not change.
//
// It returns fn's error, or an error wrapping ErrNotSignedIn when nobody is
// signed in (fn is not called) or when the wiki answered that it no longer
// knows the session (assertuserfailed, notloggedin): the app then forgets
// the sign-in, as its own pages would. Send assert=user with every call
// made for the user, so that a session the wiki ended fails rather than
// acting as an anonymous visitor.
//
// Two requests of one user may call AsUser at once: fn runs in each without
// waiting, and each request's renewals are applied to the session as the
// other left it (the requests take turns for that, through the session
// store's lock, across instances too), so none is lost.
func (a *App) AsUser(r *http.Request, fn func(ctx context.Context, wiki *mwclient.Session) error) error {
	ctx := r.Context()
	if id := middleware.RequestIDFrom(ctx); id != "" {
		ctx = mwclient.WithHeader(ctx, "X-Request-Id", id)
	}
	return a.actAs(ctx, r, fn)
}

// actAs is AsUser with the context for the wiki calls given.
func (a *App) actAs(ctx context.Context, r *http.Request, fn func(context.Context, *mwclient.Session) error) error {
	sess, u, err := a.userOf(r)
	if err != nil {
		return err
	}
	renewal, err := a.flows.Act(ctx, u, fn)
	signedOut := errors.Is(err, flow.ErrSignedOut)
	if signedOut || !renewal.Empty() {
		if serr := a.storeRenewal(r, sess, u, renewal, signedOut); serr != nil {
			a.log.ErrorContext(r.Context(), "could not save the wiki's cookies to the session", "user", u.Name, "err", serr)
			if err == nil {
				err = serr
			}
		}
	}
	if signedOut {
		a.log.InfoContext(r.Context(), "wiki session ended", "user", u.Name)
		return fmt.Errorf("%w: %w", ErrNotSignedIn, err)
	}
	return err
}

// storeRenewal applies what the wiki changed in the cookies of sign-in was
// (or, when the wiki ended it, forgets it) to the session as it is stored
// now, under the session's lock: another request of the same browser may
// have stored its own renewal meanwhile.
func (a *App) storeRenewal(r *http.Request, sess *sessions.Session, was *flow.User, renewal flow.Renewal, signedOut bool) error {
	// The wiki has answered: what it said must be stored even if the
	// browser has gone.
	r = r.WithContext(context.WithoutCancel(r.Context()))
	unlock, err := a.store.Lock(r, sess)
	if err != nil {
		return fmt.Errorf("%w: %w", errStore, err)
	}
	defer unlock()
	cur := userOf(sess)
	if !cur.Same(was) {
		// Signed out, or in again, meanwhile: the renewal was for a
		// sign-in that is gone.
		return nil
	}
	if signedOut {
		delete(sess.Values, keyUser)
	} else {
		renewal.Apply(cur)
	}
	a.setLifetime(sess)
	// The session keeps its ID, so the browser's cookie stays right and
	// need not be sent again; the host may have answered already.
	if err := sess.Save(r, discard{}); err != nil {
		return fmt.Errorf("%w: %w", errStore, err)
	}
	return nil
}

// storeCheck saves what a check of u's wiki session (Confirm, Identify)
// learnt, to the session as it is stored now, under its lock: the cookies
// the wiki changed since before, and what it said of the user. Saving the
// whole of u would undo a renewal another request (AsUser) stored
// meanwhile.
func (a *App) storeCheck(c *gin.Context, sess *sessions.Session, u *flow.User, before []mwclient.Cookie) error {
	renewal := flow.CookieChanges(before, u.Cookies)
	r := c.Request.WithContext(context.WithoutCancel(c.Request.Context()))
	unlock, err := a.store.Lock(r, sess)
	if err != nil {
		return fmt.Errorf("%w: %w", errStore, err)
	}
	defer unlock()
	cur := userOf(sess)
	if !cur.Same(u) {
		return nil
	}
	renewal.Apply(cur)
	cur.Checked, cur.ID, cur.EditCount, cur.Groups = u.Checked, u.ID, u.EditCount, u.Groups
	return a.save(c, sess)
}

// discard is a response nobody reads.
type discard struct{}

func (discard) Header() http.Header         { return http.Header{} }
func (discard) Write(b []byte) (int, error) { return len(b), nil }
func (discard) WriteHeader(int)             {}

// RequireSignInHandler is RequireSignIn for net/http hosts: a signed-in
// request goes on to next (SignedInAs(r) gives the name); any other GET or
// HEAD is sent to the login page, and back to where it was after PASS;
// other methods get 401.
//
// Our cookie only reaches paths under Options.CookiePath (the mount prefix
// by default): list the guarded routes in Options.ProtectedPaths, and a
// CookiePath that does not cover them is an error when the app is built.
func (a *App) RequireSignInHandler(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, err := a.SignedInAs(r); err != nil {
			a.refuseGuarded(w, r, err)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// refuseGuarded answers a request to a guarded route that SignedInAs refused.
func (a *App) refuseGuarded(w http.ResponseWriter, r *http.Request, err error) {
	if !errors.Is(err, ErrNotSignedIn) {
		a.log.ErrorContext(r.Context(), "guarded route: session store failed", "path", r.URL.Path, "err", err)
		status, ev := describe(fmt.Errorf("%w: %w", errStore, err))
		sp := a.speechFor(context.WithoutCancel(r.Context()), r)
		p := a.newPage(sp, "title-error-page", "")
		p.Error = &errorText{Message: sp.say(ev.Message), Detail: sp.say(ev.Detail), Retry: ev.Retry}
		a.allowLogo(w.Header(), p)
		a.pages.write(w, status, tmplError, p)
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	http.Redirect(w, r, a.LoginURL(r.URL.RequestURI()), http.StatusSeeOther)
}

// CSRFToken returns the token that our forms carry in their csrf field,
// for the browser signed in on r: a host page that posts to LogoutURL, or
// whose script calls {prefix}/api, includes it. It is "" when the session
// store does not answer.
func (a *App) CSRFToken(r *http.Request) string {
	sess, err := a.store.Get(r, a.opts.CookieName)
	if err != nil {
		return ""
	}
	return a.store.CSRFToken(sess)
}

// CheckCSRF reports whether token is the CSRF token of the browser of r
// (see CSRFToken), so that a host can protect its own forms with the same
// token as ours. Compare Go's http.CrossOriginProtection, which a host
// can use beside it.
func (a *App) CheckCSRF(r *http.Request, token string) bool {
	sess, err := a.store.Get(r, a.opts.CookieName)
	return err == nil && a.store.CheckCSRF(sess, token)
}

// LogoutURL is where a host's sign-out form posts (method POST, with
// CSRFToken in a field named csrf): the user is signed out here and on the
// wiki, then sent to returnTo: a local path such as "/", or an absolute URL
// on PublicURL's host or one of AllowedReturnHosts. Any other value is
// ignored, and the login page says "You have signed out". SignOutForm
// writes such a form.
func (a *App) LogoutURL(returnTo string) string {
	if rt := a.returnTo(returnTo); rt != "" {
		return a.prefix + "/logout?returnto=" + url.QueryEscape(rt)
	}
	return a.prefix + "/logout"
}

// signOutForm is the form SignOutForm writes.
var signOutForm = template.Must(template.New("signout").Parse(
	`<form method="post" action="{{.Action}}" class="mwlogin-signout"><input type="hidden" name="csrf" value="{{.CSRF}}"><button type="submit">{{.Label}}</button></form>`))

// SignOutForm returns a form with one button, labelled label, that signs
// the browser of r out and sends it to returnTo (see LogoutURL), for a
// host's page. The form is same-origin and carries the CSRF token, as our
// own forms do.
func (a *App) SignOutForm(r *http.Request, returnTo, label string) template.HTML {
	var b strings.Builder
	_ = signOutForm.Execute(&b, struct{ Action, CSRF, Label string }{a.LogoutURL(returnTo), a.CSRFToken(r), label})
	return template.HTML(b.String())
}
