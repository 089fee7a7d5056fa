package flow

import (
	"context"
	"errors"
	"fmt"
	"strings"

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
