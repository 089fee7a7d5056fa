package handlers

import (
	"context"
	"errors"
	"net/http"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

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

// parseForm reads a bounded form body, answering the request itself (and
// returning false) when it cannot.
func (a *App) parseForm(c *gin.Context) bool {
	c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, maxFormBytes)
	if err := c.Request.ParseForm(); err != nil {
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
		a.log.Warn("cross-origin form post refused", "path", c.Request.URL.Path, "origin", c.GetHeader("Origin"))
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
		a.log.Warn("form post with a missing or wrong CSRF token", "path", c.Request.URL.Path, "has_cookie", !sess.IsNew)
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

// throttle limits login attempts per client address.
func (a *App) throttle(c *gin.Context) {
	if a.limit == nil {
		c.Next()
		return
	}
	ok, wait := a.limit.Allow(c.ClientIP())
	if ok {
		c.Next()
		return
	}
	secs := int(wait.Seconds()) + 1
	a.log.Warn("login attempts throttled", "client", c.ClientIP(), "retry_after_s", secs)
	c.Header("Retry-After", strconv.Itoa(secs))
	a.errorPage(c, http.StatusTooManyRequests, errorView{
		Message: "Too many sign-in attempts from your network.",
		Detail:  "Please wait " + strconv.Itoa(secs) + " seconds, then try again.", Retry: true})
	c.Abort()
}

// wikiContext is the context for wiki calls made for this request.
func (a *App) wikiContext(c *gin.Context) context.Context {
	ctx := c.Request.Context()
	if id := requestID(ctx); id != "" {
		ctx = mwclient.WithHeader(ctx, "X-Request-Id", id)
	}
	if a.opts.ForwardClientIP {
		ctx = mwclient.WithHeader(ctx, "X-Forwarded-For", c.ClientIP())
	}
	return ctx
}

var langTag = regexp.MustCompile(`^[a-z]{2,3}(-[a-z0-9]{1,8})*$`)

// mwRegional are the region or variant codes MediaWiki has messages for;
// any other "xx-yy" falls back to "xx".
var mwRegional = map[string]bool{
	"pt-br": true, "zh-hans": true, "zh-hant": true, "zh-cn": true, "zh-tw": true, "zh-hk": true,
	"en-gb": true, "en-ca": true, "de-at": true, "de-ch": true, "sr-ec": true, "sr-el": true,
	"es-419": true, "be-tarask": true, "nds-nl": true, "sh-latn": true,
}

// language picks the MediaWiki uselang code from Accept-Language, or "" for
// the wiki's default.
func language(header string) string {
	type cand struct {
		tag string
		q   float64
	}
	var cands []cand
	for i, part := range strings.Split(header, ",") {
		if i >= 16 {
			break
		}
		tag, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		q := 1.0
		if v, ok := strings.CutPrefix(strings.TrimSpace(params), "q="); ok {
			if f, err := strconv.ParseFloat(v, 64); err == nil {
				q = f
			}
		}
		tag = strings.ToLower(strings.TrimSpace(tag))
		if q > 0 && langTag.MatchString(tag) {
			cands = append(cands, cand{tag, q})
		}
	}
	sort.SliceStable(cands, func(i, j int) bool { return cands[i].q > cands[j].q })
	if len(cands) == 0 {
		return ""
	}
	tag := cands[0].tag
	if mwRegional[tag] {
		return tag
	}
	base, _, _ := strings.Cut(tag, "-")
	return base
}
