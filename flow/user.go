package flow

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/mwlogin/mwlogin/mwclient"
)

// ErrSignedOut means the wiki no longer knows the user's wiki session: it
// expired, or the user logged out on the wiki itself.
var ErrSignedOut = errors.New("flow: the wiki session has ended")

// ErrNoImage means the step has no image with that number.
var ErrNoImage = errors.New("flow: no such image in this step")

// Confirm makes sure the wiki still vouches for a signed-in user's wiki
// session. Within RecheckAfter of the PASS or of the last check it trusts
// it without asking, so that a login costs the wiki only its own round
// trips. Otherwise it asks (meta=userinfo&assert=user) and records the edit
// count and groups the wiki reports, and any cookies it renewed; asked is
// true then, and u must be saved. A session the wiki ended gives
// ErrSignedOut.
func (e *Engine) Confirm(ctx context.Context, u *User) (asked bool, err error) {
	if e.now().Sub(u.Confirmed()) < e.recheckAfter {
		return false, nil
	}
	return true, e.check(ctx, u)
}

// Identify is Confirm for callers that must name the user's ID and groups
// (forward authentication): a user the wiki has not described since the
// PASS, which reports only the name, is asked about at once. The PASS
// itself stays at its two wiki calls; the ID costs one, once.
func (e *Engine) Identify(ctx context.Context, u *User) (asked bool, err error) {
	if u.Checked.IsZero() {
		return true, e.check(ctx, u)
	}
	return e.Confirm(ctx, u)
}

// check asks the wiki about u's session (meta=userinfo&assert=user) and
// records what it says.
func (e *Engine) check(ctx context.Context, u *User) error {
	ws := e.client.NewSession(u.Cookies)
	info, err := ws.UserInfo(ctx, mwclient.AssertUser)
	if errors.Is(err, mwclient.ErrAssertUserFailed) {
		return fmt.Errorf("%w: %w", ErrSignedOut, err)
	}
	if err != nil {
		return err
	}
	u.Checked, u.ID, u.EditCount, u.Groups = e.now(), info.ID, info.EditCount, nil
	for _, g := range info.Groups {
		if g != "*" { // everyone's implicit group says nothing
			u.Groups = append(u.Groups, g)
		}
	}
	u.Cookies = ws.Cookies()
	return nil
}

// SignOut ends the user's wiki session (action=logout).
func (e *Engine) SignOut(ctx context.Context, u *User) error {
	return e.client.NewSession(u.Cookies).Logout(ctx)
}

// Session returns a wiki session carrying the user's wiki cookies, for API
// calls on their behalf.
func (e *Engine) Session(u *User) *mwclient.Session {
	return e.client.NewSession(u.Cookies)
}

// Ready reports whether the wiki answers as an API.
func (e *Engine) Ready(ctx context.Context) error {
	return e.client.Ping(ctx)
}

// Image fetches the n-th image of the flow's current step (a captcha) in
// the flow's own wiki session, since the wiki shows a captcha only to the
// session it made it for. Only URLs the wiki gave this step are fetched.
func (e *Engine) Image(ctx context.Context, st *State, n int) (contentType string, body []byte, err error) {
	i := 0
	for _, r := range st.Requests {
		for _, f := range r.Fields {
			if !IsImage(r, f) {
				continue
			}
			if i == n {
				return e.client.NewSession(st.Cookies).Image(ctx, f.Value)
			}
			i++
		}
	}
	return "", nil, ErrNoImage
}

// IsImage tells an informational field that is a picture (a captcha image
// URL, relative to the wiki) from one that is text, using the request's
// metadata as ConfirmEdit describes it ({"type":"image","mime":"image/png"}).
func IsImage(r mwclient.Request, f mwclient.Field) bool {
	if f.Type != mwclient.FieldNull || f.Value == "" || strings.ContainsAny(f.Value, "<> \n") {
		return false
	}
	return r.Metadata["type"] == "image" || strings.HasPrefix(r.Metadata["mime"], "image/")
}

// Act runs fn in the user's wiki session, for a tool acting as the user.
// The wiki may set or remove cookies meanwhile (a renewed session, a
// "remember me" token); they come back as a Renewal for the caller to apply
// to the stored user, which it may have to reload first, since another
// request of the same user may have stored its own renewal in the meantime.
// A wiki that no longer knows the session (assertuserfailed, notloggedin)
// gives an error wrapping ErrSignedOut and fn's error.
func (e *Engine) Act(ctx context.Context, u *User, fn func(context.Context, *mwclient.Session) error) (Renewal, error) {
	ws := e.client.NewSession(u.Cookies)
	err := fn(ctx, ws)
	r := renewal(u.Cookies, ws.Cookies())
	if errors.Is(err, mwclient.ErrAssertUserFailed) || errors.Is(err, mwclient.ErrNotLoggedIn) {
		return r, fmt.Errorf("%w: %w", ErrSignedOut, err)
	}
	return r, err
}

// Renewal is what the wiki changed in a user's cookies during Act: cookies
// it set (new, or with a new value or expiry) and cookies it removed.
type Renewal struct {
	set, removed []mwclient.Cookie
}

// CookieChanges is what the wiki changed between two sets of a user's
// cookies, such as before and after Confirm, for the caller to apply to
// the user as stored by then.
func CookieChanges(before, after []mwclient.Cookie) Renewal { return renewal(before, after) }

// renewal compares the cookies before and after a call.
func renewal(before, after []mwclient.Cookie) Renewal {
	var r Renewal
	for _, a := range after {
		i := slices.IndexFunc(before, func(b mwclient.Cookie) bool { return sameCookie(a, b) })
		if i < 0 || !equalCookie(before[i], a) {
			r.set = append(r.set, a)
		}
	}
	for _, b := range before {
		if !slices.ContainsFunc(after, func(a mwclient.Cookie) bool { return sameCookie(a, b) }) {
			r.removed = append(r.removed, b)
		}
	}
	return r
}

// sameCookie tells whether two cookies are one cookie, as a jar keys them.
func sameCookie(a, b mwclient.Cookie) bool { return a.Name == b.Name && a.Path == b.Path }

// equalCookie compares every field, the expiry as a moment (a cookie read
// back from JSON has another time.Location).
func equalCookie(a, b mwclient.Cookie) bool {
	ea, eb := a.Expires, b.Expires
	a.Expires, b.Expires = time.Time{}, time.Time{}
	return a == b && ea.Equal(eb)
}

// Empty reports whether the wiki changed nothing.
func (r Renewal) Empty() bool { return len(r.set) == 0 && len(r.removed) == 0 }

// Apply makes the wiki's changes to u's cookies, leaving the others as
// they are: those another request renewed at the same time stay.
func (r Renewal) Apply(u *User) {
	cookies := slices.Clone(u.Cookies)
	for _, c := range r.removed {
		cookies = slices.DeleteFunc(cookies, func(o mwclient.Cookie) bool { return sameCookie(o, c) })
	}
	for _, c := range r.set {
		if i := slices.IndexFunc(cookies, func(o mwclient.Cookie) bool { return sameCookie(o, c) }); i >= 0 {
			cookies[i] = c
		} else {
			cookies = append(cookies, c)
		}
	}
	u.Cookies = cookies
}

// Same reports whether u and v are one sign-in: the same name, signed in
// at the same moment. A renewal belongs to the sign-in it was made in, not
// to a later one of the same browser.
func (u *User) Same(v *User) bool {
	return u != nil && v != nil && u.Name == v.Name && u.SignedIn.Equal(v.SignedIn)
}
