package handlers

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/mwlogin/mwlogin/mwclient"
)

// HeaderCSRF carries the session's CSRF token (App.CSRFToken) in a call to
// {prefix}/api from a script on a page of the same origin.
const HeaderCSRF = "X-CSRF-Token"

const (
	// minAPISecretLen is the shortest secret Options.APISecrets takes: as
	// long as our secret keys, out of reach of guessing.
	minAPISecretLen = 32
	// maxAPIBytes bounds a {prefix}/api body: an edit of the largest page
	// MediaWiki takes by default ($wgMaxArticleSize, 2 MiB), percent-encoded.
	maxAPIBytes = 8 << 20
)

// apiRefusedActions are the modules {prefix}/api never forwards, with the
// reason given to the tool. Each changes who the wiki session is, or the
// account itself (its password, second factor, linked identities, its
// very existence): none is needed to act as the user within the wiki,
// and each would let a tool's leaked secret, or a script injected into a
// tool's page, take the account over, lock its owner out, or end the
// session behind the app's back. The list holds core's modules and those
// of the account extensions in wide use (CentralAuth, OATHAuth, WebAuthn).
var apiRefusedActions = map[string]string{
	"login":                    "signing in is this app's job",
	"clientlogin":              "signing in is this app's job",
	"logout":                   "signing out goes through this app's sign-out",
	"createaccount":            "account management is not forwarded",
	"linkaccount":              "account management is not forwarded",
	"unlinkaccount":            "account management is not forwarded",
	"changeauthenticationdata": "account management is not forwarded",
	"removeauthenticationdata": "account management is not forwarded",
	"resetpassword":            "account management is not forwarded",
	"validatepassword":         "account management is not forwarded",
	"centralauthtoken":         "tokens that sign in elsewhere are not forwarded",
	"setglobalaccountstatus":   "account management is not forwarded",
	"deleteglobalaccount":      "account management is not forwarded",
	"oathvalidate":             "second factors are not forwarded",
	"webauthn":                 "second factors are not forwarded",
}

// apiRefusedParams are parameters that would change whom or how the wiki
// answers: callback (JSONP, which MediaWiki answers anonymously), origin
// (CORS, anonymous with "*"), centralauthtoken (another user's session),
// assertuser (the app asserts the user itself, and another name would end
// the sign-in).
var apiRefusedParams = []string{"callback", "origin", "centralauthtoken", "assertuser"}

// apiFixedParams are parameters the app sets on every call: the tool may
// send them only with these values. The answer is always formatversion=2
// JSON with errorformat=plaintext, as mwclient asks for.
var apiFixedParams = map[string][]string{
	"format":        {"json"},
	"formatversion": {"2", "latest"},
	"errorformat":   {"plaintext"},
	"assert":        {"user", "bot"},
}

// apiSecretSums are the SHA-256 sums of Options.APISecrets: comparing sums
// takes as long whatever the length of what was sent.
func apiSecretSums(secrets []string) [][sha256.Size]byte {
	sums := make([][sha256.Size]byte, len(secrets))
	for i, s := range secrets {
		sums[i] = sha256.Sum256([]byte(s))
	}
	return sums
}

// apiError answers a call that did not reach the wiki, in the shape of the
// wiki's own errors, so that a tool reads both alike.
func apiError(c *gin.Context, status int, code, text string) {
	c.JSON(status, gin.H{"errors": []gin.H{{"code": code, "text": text}}})
}

// bearer reports whether the request carries a bearer secret, and whether
// it is one of the tools'. Other Authorization schemes (a browser's Basic
// credentials for a site behind a password) are not ours and are ignored.
func (a *App) bearer(r *http.Request) (present, ok bool) {
	scheme, secret, found := strings.Cut(r.Header.Get("Authorization"), " ")
	if !found || !strings.EqualFold(scheme, "Bearer") {
		return false, false
	}
	sum := sha256.Sum256([]byte(strings.TrimSpace(secret)))
	match := 0
	for _, s := range a.apiSecrets {
		match |= subtle.ConstantTimeCompare(sum[:], s[:])
	}
	return true, match == 1
}

// api forwards one Action API request in the signed-in user's wiki session
// (POST {prefix}/api) and answers the wiki's JSON. See Options.EnableAPI.
func (a *App) api(c *gin.Context) {
	if c.Request.Method != http.MethodPost {
		c.Header("Allow", http.MethodPost)
		apiError(c, http.StatusMethodNotAllowed, "mwlogin-mustpost", "Send API calls here by POST.")
		return
	}
	present, ok := a.bearer(c.Request)
	if present && !ok {
		a.log.WarnContext(c.Request.Context(), "api call with an unknown secret")
		apiError(c, http.StatusUnauthorized, "mwlogin-badsecret", "The Authorization header does not carry a secret of this app.")
		return
	}
	sess, u, err := a.userOf(c.Request)
	if errors.Is(err, ErrNotSignedIn) {
		apiError(c, http.StatusUnauthorized, "mwlogin-notsignedin", "Nobody is signed in: sign in at "+a.prefix+"/ first.")
		return
	}
	if err != nil {
		a.log.ErrorContext(c.Request.Context(), "api call: session store failed", "err", err)
		apiError(c, http.StatusServiceUnavailable, "mwlogin-unavailable", "The session store does not answer; try again in a moment.")
		return
	}
	if !present {
		// A browser's call: same-origin, with the token only our pages
		// and the tool's (given App.CSRFToken) can know.
		if err := a.cop.Check(c.Request); err != nil {
			a.log.WarnContext(c.Request.Context(), "cross-origin api call refused", "origin", c.GetHeader("Origin"))
			apiError(c, http.StatusForbidden, "mwlogin-crossorigin", "Calls from another site are refused.")
			return
		}
		if !a.store.CheckCSRF(sess, c.GetHeader(HeaderCSRF)) {
			a.log.WarnContext(c.Request.Context(), "api call with a missing or wrong CSRF token", "user", u.Name)
			apiError(c, http.StatusForbidden, "mwlogin-badcsrf", "The "+HeaderCSRF+" header is missing or out of date.")
			return
		}
	}
	if c.Request.URL.RawQuery != "" {
		apiError(c, http.StatusBadRequest, "mwlogin-querystring", "Send the parameters in the POST body, not in the URL.")
		return
	}
	if c.ContentType() != "application/x-www-form-urlencoded" {
		apiError(c, http.StatusUnsupportedMediaType, "mwlogin-contenttype", "Send the parameters as application/x-www-form-urlencoded.")
		return
	}
	c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, maxAPIBytes)
	if err := c.Request.ParseForm(); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			apiError(c, http.StatusRequestEntityTooLarge, "mwlogin-toolarge", "The request is too large.")
			return
		}
		apiError(c, http.StatusBadRequest, "mwlogin-badbody", "The request body could not be read.")
		return
	}
	params := c.Request.PostForm
	if status, code, text := checkAPIParams(params); status != 0 {
		a.log.WarnContext(c.Request.Context(), "api call refused", "user", u.Name, "action", params.Get("action"), "code", code)
		apiError(c, status, code, text)
		return
	}
	if params.Get("assert") == "" {
		// A session the wiki ended must fail, not act anonymously.
		params.Set("assert", "user")
	}
	var answer json.RawMessage
	err = a.actAs(a.wikiContext(c), c.Request, func(ctx context.Context, s *mwclient.Session) error {
		return s.Post(ctx, params, &answer)
	})
	var apiErr *mwclient.APIError
	switch {
	case errors.Is(err, ErrNotSignedIn):
		apiError(c, http.StatusUnauthorized, "mwlogin-notsignedin", "The wiki has ended this session: sign in again at "+a.prefix+"/.")
	case errors.As(err, &apiErr):
		// The wiki's own answer, as the wiki gives it: status 200.
		c.JSON(http.StatusOK, gin.H{"errors": []gin.H{{"code": apiErr.Code, "text": apiErr.Text, "module": apiErr.Module}}})
	case errors.Is(err, errStore):
		apiError(c, http.StatusServiceUnavailable, "mwlogin-unavailable", "The session store does not answer; try again in a moment.")
	case err != nil:
		status, ev := describe(err)
		if status < http.StatusInternalServerError {
			status = http.StatusBadGateway
		}
		a.log.WarnContext(c.Request.Context(), "api call failed", "user", u.Name, "action", params.Get("action"), "err", err)
		apiError(c, status, "mwlogin-wikierror", a.speech(c).say(ev.Message))
	default:
		a.log.InfoContext(c.Request.Context(), "api call", "user", u.Name, "action", params.Get("action"))
		c.Data(http.StatusOK, "application/json; charset=utf-8", answer)
	}
}

// checkAPIParams refuses what {prefix}/api must not forward, with the
// status, code and text to answer. Parameter names must be plain (PHP
// reads "a.b", "a b" and "a[]" as other names than ours would), and each
// given once (PHP takes the last of several, Go's Get the first: a
// refused action must not hide behind an allowed one).
func checkAPIParams(params map[string][]string) (status int, code, text string) {
	for k, v := range params {
		if k == "" || len(k) > 64 || strings.Trim(k, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") != "" {
			return http.StatusBadRequest, "mwlogin-badparamname", "Parameter names may hold only letters, digits, - and _."
		}
		if len(v) != 1 {
			return http.StatusBadRequest, "mwlogin-repeatedparam", "Each parameter may be given once; join several values with |."
		}
	}
	action := strings.ToLower(strings.TrimSpace(firstValue(params, "action")))
	if action == "" {
		return http.StatusBadRequest, "mwlogin-noaction", "The action parameter is required."
	}
	if why, refused := apiRefusedActions[action]; refused {
		return http.StatusForbidden, "mwlogin-refusedaction", "action=" + action + " is refused: " + why + "."
	}
	for _, p := range apiRefusedParams {
		if _, ok := params[p]; ok {
			return http.StatusForbidden, "mwlogin-refusedparam", "The " + p + " parameter is refused."
		}
	}
	for p, allowed := range apiFixedParams {
		if v, ok := params[p]; ok && !slices.Contains(allowed, v[0]) {
			return http.StatusBadRequest, "mwlogin-fixedparam", p + " may only be " + strings.Join(allowed, " or ") + " here."
		}
	}
	return 0, "", ""
}

func firstValue(params map[string][]string, k string) string {
	if v := params[k]; len(v) > 0 {
		return v[0]
	}
	return ""
}
