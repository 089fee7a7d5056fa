package handlers

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"golang.org/x/text/language"
	"golang.org/x/text/unicode/norm"

	"github.com/mwlogin/mwlogin/flow"
	"github.com/mwlogin/mwlogin/internal/middleware"
	"github.com/mwlogin/mwlogin/internal/ratelimit"
	"github.com/mwlogin/mwlogin/mwclient"
)

// securityHeaders: no inline script, no framing, nothing sniffed, no
// referrer (a REDIRECT return carries codes in its URL), nothing cached.
func (a *App) securityHeaders(c *gin.Context) {
	h := c.Writer.Header()
	h.Set("Content-Security-Policy", a.csp)
	if len(a.opts.FrameAncestors) == 0 {
		h.Set("X-Frame-Options", "DENY")
	}
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	if !strings.HasPrefix(c.Request.URL.Path, a.prefix+"/static/") {
		h.Set("Cache-Control", "no-store")
	}
	c.Next()
}

func (a *App) limitBody(c *gin.Context) {
	if a.parseForm(c) {
		c.Next()
	}
}

// parseForm reads a bounded form body, urlencoded or multipart, answering
// the request itself (and returning false) when it cannot. Multipart is
// parsed here, under our limit, because Gin's PostForm would otherwise
// parse it later with its own, swallowing the too-large error.
func (a *App) parseForm(c *gin.Context) bool {
	c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, maxFormBytes)
	var err error
	if c.ContentType() == gin.MIMEMultipartPOSTForm {
		err = c.Request.ParseMultipartForm(maxFormBytes)
	} else {
		err = c.Request.ParseForm()
	}
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			a.errorPage(c, http.StatusRequestEntityTooLarge, errorView{Message: "The form sent was too large.", Retry: true})
		} else {
			a.errorPage(c, http.StatusBadRequest, errorView{Message: "The form sent could not be read.", Retry: true})
		}
		c.Abort()
		return false
	}
	return true
}

// protect guards every state-changing form: a bounded body, a same-origin
// request (Go's CrossOriginProtection reads Sec-Fetch-Site and Origin), and
// the session's CSRF token, for browsers that send neither header.
func (a *App) protect(c *gin.Context) {
	if err := a.cop.Check(c.Request); err != nil {
		a.log.WarnContext(c.Request.Context(), "cross-origin form post refused", "path", c.Request.URL.Path, "origin", c.GetHeader("Origin"))
		a.errorPage(c, http.StatusForbidden, errorView{
			Message: "This form was sent from another site, so it was refused.",
			Detail:  "If you meant to sign in, open the login page and try again."})
		c.Abort()
		return
	}
	if !a.parseForm(c) {
		return
	}
	sess := a.session(c)
	if !a.store.CheckCSRF(sess, c.PostForm("csrf")) {
		if st := flowOf(sess); st != nil && c.Request.URL.Path == a.prefix+"/login" {
			// A form from before the last step (an old tab, the back
			// button): its token was for the session's ID before the step
			// changed it. Show where the sign-in stands; the wiki is not
			// asked.
			// Nothing is stored: this request holds no lock, and its copy
			// of the session may be out of date.
			a.renderStep(c, sess, st, http.StatusOK, staleNotice, "error", false)
			c.Abort()
			return
		}
		a.log.WarnContext(c.Request.Context(), "form post with a missing or wrong CSRF token", "path", c.Request.URL.Path, "has_cookie", !sess.IsNew)
		detail := "The page may have been open too long. Reload the login page and try again."
		if _, err := c.Request.Cookie(a.opts.CookieName); err != nil {
			detail = "Your browser did not send back our sign-in cookie. Make sure cookies are allowed for this site, then reload the login page."
		}
		a.errorPage(c, http.StatusForbidden, errorView{Message: "This form could not be verified.", Detail: detail})
		c.Abort()
		return
	}
	c.Next()
}

// attempt is a post of the login form let through the failure limits:
// counted in advance as a failure (see ratelimit.Reserve) until settle
// learns what the wiki answered.
type attempt struct {
	client        string // the client's addressKey
	user, address ratelimit.Reservation
}

// admit checks the failure limits before a login form goes to the wiki,
// answering 429 itself (and returning false) when one of them is reached.
// Later steps of a flow pass untouched, so that a limit reached meanwhile
// never cuts off a login already under way.
func (a *App) admit(c *gin.Context, st *flow.State, step string) (attempt, bool) {
	at := attempt{client: addressKey(c.ClientIP())}
	if !loginForm(st, step) {
		return at, true
	}
	name := strings.TrimSpace(c.PostForm("username"))
	if name != "" {
		r, wait, ok := a.userLimit.Reserve(userLimitKey(at.client, name))
		if !ok {
			a.refuse(c, "user", wait, errorView{
				Message: "Too many failed sign-ins as " + name + " from your network.",
				Detail: fmt.Sprintf("After %d failed attempts in %s, signing in under this name from your address is paused. Please try again in %s. Other people on your network can still sign in.",
					a.opts.LoginFailuresPerUser, inWords(a.opts.LoginUserWindow), inWords(wait))},
				"Other sign-ins as "+name+" from your network are under way.")
			return at, false
		}
		at.user = r
	}
	r, wait, ok := a.addrLimit.Reserve(at.client)
	if !ok {
		at.user.Cancel()
		a.refuse(c, "address", wait, errorView{
			Message: "Too many failed sign-ins from your network.",
			Detail: fmt.Sprintf("After %d failed attempts in %s from your address, signing in from it is paused. Please try again in %s.",
				a.opts.LoginFailuresPerAddress, inWords(a.opts.LoginAddressWindow), inWords(wait))},
			"Many sign-ins from your network are under way at once.")
		return at, false
	}
	at.address = r
	return at, true
}

// loginForm reports whether a posted step is the login form, a fresh one
// or the stored flow's, which flow.Engine.Submit sends to the wiki as a
// new login: the only step where a password is checked. Any other post is
// a later step of a login under way, or is answered without the wiki.
func loginForm(st *flow.State, step string) bool {
	return step == flow.FreshStep || (st != nil && step == st.Step && st.Stage == flow.StageStart)
}

// settle counts the attempt as a failure if the wiki answered FAIL, and
// takes it back otherwise. A success also clears the user's failures from
// this address, as MediaWiki does, so that a few typos do not stay against
// someone who then got in.
func (a *App) settle(at attempt, out flow.Outcome, err error) {
	if err == nil && out.Status == mwclient.StatusFail {
		at.user.Fail()
		at.address.Fail()
		return
	}
	at.user.Cancel()
	at.address.Cancel()
	if err == nil && out.Kind == flow.Pass {
		a.userLimit.Reset(userLimitKey(at.client, out.User.Name))
	}
}

// busyRetry is when to try again after a refusal that attempts still
// under way made up: most of them will have their answer by then.
const busyRetry = 5 * time.Second

// refuse answers a login form over a limit: 429 with Retry-After, and a
// page that says which limit and when to try again. A zero wait means the
// limit is made up by attempts still under way, which may yet succeed;
// busy then says so. The wiki is not asked.
func (a *App) refuse(c *gin.Context, limit string, wait time.Duration, ev errorView, busy string) {
	if wait == 0 {
		limit, wait = limit+" (attempts under way)", busyRetry
		ev = errorView{Message: busy, Detail: "Please try again in a few seconds."}
	}
	secs := int(math.Ceil(wait.Seconds()))
	a.log.WarnContext(c.Request.Context(), "login refused: too many failures", "limit", limit,
		"client", c.ClientIP(), "user", strings.TrimSpace(c.PostForm("username")), "retry_after_s", secs)
	c.Header("Retry-After", strconv.Itoa(secs))
	a.errorPage(c, http.StatusTooManyRequests, ev)
}

// addressKey is what the address limits count by: an IPv4 address, or the
// /64 network of an IPv6 address, since one household or office usually
// gets a whole /64 and can pick any address in it.
func addressKey(ip string) string {
	addr, err := netip.ParseAddr(ip)
	if err != nil {
		return ip
	}
	addr = addr.Unmap().WithZone("")
	if addr.Is6() {
		p, _ := addr.Prefix(64)
		return p.String()
	}
	return addr.String()
}

// userLimitKey names a user name's failures from one address.
func userLimitKey(addr, name string) string { return addr + "\x00" + foldName(name) }

// foldName folds the spellings of a user name that the wiki may take for
// one account: MediaWiki reads "_" as a space, trims and collapses spaces,
// normalises to NFC and capitalises the first letter. Lower-casing the
// whole name is coarser, so no spelling escapes the count.
func foldName(name string) string {
	name = norm.NFC.String(strings.ReplaceAll(name, "_", " "))
	name = strings.ToLower(strings.Join(strings.Fields(name), " "))
	if len(name) > maxNameBytes {
		name = name[:maxNameBytes]
	}
	return name
}

// maxNameBytes is MediaWiki's longest user name ($wgMaxNameChars); it
// bounds the limiter's keys.
const maxNameBytes = 255

// inWords says a duration as people do, rounded up: "40 seconds",
// "5 minutes", "1 hour".
func inWords(d time.Duration) string {
	unit, n := "second", int(math.Ceil(d.Seconds()))
	switch {
	case d >= time.Hour && d%time.Hour == 0:
		unit, n = "hour", int(d/time.Hour)
	case d >= time.Minute:
		unit, n = "minute", int(math.Ceil(d.Minutes()))
	}
	if n != 1 {
		unit += "s"
	}
	return strconv.Itoa(n) + " " + unit
}

// wikiContext is the context for wiki calls made for this request.
// A call to the wiki, once sent, must not be cancelled by the browser going
// away (a double click abandons the first request): the wiki would finish
// the step and the app would not know what it did. So it ends only by the
// client's own timeout (mwclient.Options.Timeout for each call).
func (a *App) wikiContext(c *gin.Context) context.Context {
	ctx := context.WithoutCancel(c.Request.Context())
	if id := middleware.RequestIDFrom(ctx); id != "" {
		ctx = mwclient.WithHeader(ctx, "X-Request-Id", id)
	}
	if a.opts.ForwardClientIP {
		ctx = mwclient.WithHeader(ctx, "X-Forwarded-For", c.ClientIP())
	}
	return ctx
}

// uselang picks the MediaWiki language code (uselang) for a request
// from its Accept-Language header, or "" for the wiki's default.
// MediaWiki's codes are lower-case BCP 47 tags; most languages are known
// by their base language alone, so a region or script is kept only where
// MediaWiki has messages for that variant.
func uselang(c *gin.Context) string {
	tags, _, err := language.ParseAcceptLanguage(c.GetHeader("Accept-Language"))
	if err != nil || len(tags) == 0 {
		return ""
	}
	tag := tags[0]
	base, _ := tag.Base()
	code := base.String()
	if code == "und" || code == "mul" { // no language, or "*"
		return ""
	}
	if code == "zh" {
		// MediaWiki names Chinese by script.
		if script, _ := tag.Script(); script.String() == "Hant" {
			return "zh-hant"
		}
		return "zh-hans"
	}
	if region, conf := tag.Region(); conf == language.Exact {
		if v := code + "-" + strings.ToLower(region.String()); mwVariants[v] {
			return v
		}
	}
	return code
}

// mwVariants are the regional variants MediaWiki has messages for; any
// other region falls back to the base language.
var mwVariants = map[string]bool{
	"pt-br": true, "en-gb": true, "en-ca": true, "de-at": true, "de-ch": true, "es-419": true,
}
