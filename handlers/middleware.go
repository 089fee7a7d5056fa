package handlers

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/mwlogin/mwlogin/internal/middleware"
	"github.com/mwlogin/mwlogin/mwclient"
)

// securityHeaders: no inline script, no framing, nothing sniffed, no
// referrer (a REDIRECT return carries codes in its URL), nothing cached.
func (a *App) securityHeaders(c *gin.Context) {
	a.setSecurityHeaders(c)
	c.Next()
}

func (a *App) setSecurityHeaders(c *gin.Context) {
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
			a.errorPage(c, http.StatusRequestEntityTooLarge, errorView{Message: m("error-too-large"), Retry: true})
		} else {
			a.errorPage(c, http.StatusBadRequest, errorView{Message: m("error-unreadable"), Retry: true})
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
		a.errorPage(c, http.StatusForbidden, errorView{Message: m("error-cross-origin"), Detail: m("error-cross-origin-detail")})
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
		detail := m("error-csrf-detail")
		if _, err := c.Request.Cookie(a.opts.CookieName); err != nil {
			detail = m("error-csrf-cookie")
		}
		a.errorPage(c, http.StatusForbidden, errorView{Message: m("error-csrf"), Detail: detail})
		c.Abort()
		return
	}
	c.Next()
}

// wikiContext is the context for wiki calls made for this request. A call,
// once sent, must not be cancelled by the browser going away (a double
// click abandons the first request): the wiki would finish the step and
// the app would not know what it did. mwclient's timeout still bounds it.
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
