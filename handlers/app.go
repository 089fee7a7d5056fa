// Package handlers is the login app's web side: Gin handlers that turn
// browser requests into steps of the login flow (package flow) and render
// the answer. Mount it with Register.
package handlers

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/gorilla/sessions"

	"github.com/mwlogin/mwlogin/flow"
	"github.com/mwlogin/mwlogin/internal/middleware"
	"github.com/mwlogin/mwlogin/internal/ratelimit"
	"github.com/mwlogin/mwlogin/internal/wikihtml"
	"github.com/mwlogin/mwlogin/locale"
	"github.com/mwlogin/mwlogin/metrics"
	"github.com/mwlogin/mwlogin/mwclient"
	"github.com/mwlogin/mwlogin/sessionstore"
	"github.com/mwlogin/mwlogin/static"
	"github.com/mwlogin/mwlogin/store"
	"github.com/mwlogin/mwlogin/templates"
)

// Options configure the login app.
type Options struct {
	// Client talks to the wiki. Required.
	Client *mwclient.Client
	// PublicURL is the absolute URL at which browsers reach the host
	// router's root, such as "https://tools.example.org". The mount prefix
	// is appended to it for loginreturnurl.
	PublicURL string
	// Keys sign session cookies and CSRF tokens; the first is used for new
	// ones, all are accepted (rotation). Each at least 32 bytes.
	Keys [][]byte
	// Backend keeps the server-side session data; nil means in memory.
	Backend store.Backend
	// CookieName names our session cookie; it must differ from the wiki's
	// cookies and the host's, since browsers share cookies across ports.
	// Default: DefaultCookieName, with the __Host- prefix when the cookie
	// is Secure and its path is "/" (__Secure- under a narrower path).
	CookieName string
	// CookiePath is our cookie's Path; the mount prefix if empty. It must
	// cover the mount prefix and every path in ProtectedPaths: a host that
	// guards routes outside the prefix with RequireSignIn sets a path
	// covering them, such as "/".
	CookiePath string
	// ProtectedPaths lists the host's routes that RequireSignIn or
	// RequireSignInHandler guard: paths, or path prefixes such as
	// "/tool/". Register and NewHandler refuse a CookiePath that does not
	// cover each of them, since the browser would never send our cookie
	// there and the user would be sent to sign in again and again.
	ProtectedPaths []string
	// InsecureCookies drops the Secure flag, for plain-HTTP development.
	InsecureCookies bool
	// SessionLifetime bounds a signed-in session; FlowLifetime a login in
	// progress. Its cookie ends with the browser.
	SessionLifetime time.Duration
	FlowLifetime    time.Duration
	// RememberLifetime bounds the session of a user who ticked "Keep me
	// logged in", with a cookie that outlives the browser: as long as the
	// wiki keeps a remembered login ($wgExtendedLoginCookieExpiration,
	// 180 days by default). Default DefaultRememberLifetime.
	RememberLifetime time.Duration
	// RecheckAfter is how long the signed-in page trusts the user's wiki
	// session after the wiki vouched for it (the PASS, or the page's last
	// check) before asking the wiki again with assert=user. Default
	// DefaultRecheckAfter; negative asks on every view.
	RecheckAfter time.Duration
	// FormTTL is how long the wiki's login form description is cached.
	FormTTL time.Duration
	// SiteTTL is how long the wiki's name, logo, languages and messages
	// are kept (flow.DefaultSiteTTL if zero).
	SiteTTL time.Duration
	// Now is the clock; nil means time.Now. Tests set it to make time
	// pass without waiting.
	Now func() time.Time
	// Templates, if set, is overlaid on the embedded templates: a file of
	// the same name replaces ours. What each template file gets is in the
	// documentation of package templates.
	Templates fs.FS
	// AppName is shown above every page when the wiki has not told its
	// name (meta=siteinfo); by default "Wiki sign-in" in the page's
	// language.
	AppName string
	// Logger gets the app's log lines, each with the request's ID when the
	// request has one.
	Logger *slog.Logger
	// FrameAncestors lists the origins allowed to frame our pages (CSP
	// frame-ancestors), for tools that embed the login; none by default.
	FrameAncestors []string
	// TrustedProxies lists the reverse proxies (addresses or CIDRs) whose
	// X-Forwarded-For names the client, for the engine NewHandler makes;
	// with none, the client is the connection's peer and a forged header
	// changes nothing. X-Real-IP is never believed. Register leaves the
	// client address to the host's gin engine, which by default believes
	// both headers from anyone: a Gin host calls TrustProxies on it.
	TrustedProxies []string
	// LoginFailuresPerUser limits failed logins for one user name from one
	// client address within LoginUserWindow, and LoginFailuresPerAddress
	// failed logins from one address, all names together, within
	// LoginAddressWindow. A failed login is a login form the wiki answered
	// FAIL (a wrong password, a wrong captcha); later steps of a login and
	// the return from an identity provider are never counted nor refused.
	// A success clears the user name's count at that address. Zero means
	// the default (DefaultLoginFailuresPerUser and so on); negative turns
	// the limit off. The client address is gin's ClientIP (see
	// TrustedProxies), an IPv6 address counting by its /64 network.
	LoginFailuresPerUser    int
	LoginUserWindow         time.Duration
	LoginFailuresPerAddress int
	LoginAddressWindow      time.Duration
	// ForwardClientIP sends the user's address to the wiki as
	// X-Forwarded-For, for wikis that trust this server as a proxy
	// ($wgSquidServers / $wgCdnServersNoPurge); otherwise the wiki's
	// throttles and captcha counters see our server's address.
	ForwardClientIP bool
	// Metrics, if set, records login outcomes and flows in progress (pass
	// its WikiCall to mwclient.Options.Observe for wiki call latency).
	Metrics *metrics.Metrics
	// Banner, if set, is trusted HTML shown at the top of every page (the
	// demo mode lists its accounts there).
	Banner func(c *gin.Context) template.HTML
	// OnSignIn and OnSignOut, if set, run after a user signed in (PASS)
	// and before the sign-out is answered.
	OnSignIn  func(c *gin.Context, name string)
	OnSignOut func(c *gin.Context, name string)
	// AllowedReturnHosts lists hosts ("tool.example.org", or with a port,
	// "tool.example.org:8443") the login page may send the browser back
	// to by absolute URL after PASS (returnto), beside PublicURL's own
	// host: tools behind forward authentication on another port, say.
	// The match is exact (no subdomains), over https only (http too with
	// InsecureCookies). Any other returnto must be a local path.
	AllowedReturnHosts []string
	// HomeURL, if set, is the host's page the signed-in page links back
	// to ("Back to AppName"): a local path such as "/", or an absolute
	// http(s) URL.
	HomeURL string
	// EnableAPI serves POST {prefix}/api, which sends one Action API
	// request in the signed-in user's wiki session and answers the wiki's
	// JSON, for tools not written in Go. A request proves it comes from
	// the tool with the session's CSRF token in the X-CSRF-Token header
	// (a script on a page of the same origin), or with one of APISecrets
	// as "Authorization: Bearer SECRET" (the tool's own server). See
	// README, "Act as the user from any language".
	EnableAPI bool
	// APISecrets are the tools' secrets for {prefix}/api, at least 32
	// characters each; they need EnableAPI.
	APISecrets []string
}

// Defaults for zero Options fields.
const (
	DefaultCookieName      = "mwlogin_session"
	DefaultSessionLifetime = 12 * time.Hour
	DefaultFlowLifetime    = 15 * time.Minute
	// DefaultRememberLifetime is MediaWiki's default
	// $wgExtendedLoginCookieExpiration.
	DefaultRememberLifetime = 180 * 24 * time.Hour
	DefaultRecheckAfter     = time.Minute
	maxFormBytes            = 64 << 10
)

// Defaults of the login failure limits. Per user name they are MediaWiki's
// own ($wgPasswordAttemptThrottle: 5 in 5 minutes per address and name).
// Per address, 150 in an hour lets a room of 30 people each get their
// password wrong five times, yet stops one address from trying a password
// on thousands of accounts.
const (
	DefaultLoginFailuresPerUser    = 5
	DefaultLoginUserWindow         = 5 * time.Minute
	DefaultLoginFailuresPerAddress = 150
	DefaultLoginAddressWindow      = time.Hour
)

// App is a mounted login app.
type App struct {
	opts    Options
	prefix  string
	flows   *flow.Engine
	store   *sessionstore.Store
	pages   *renderer
	html    *wikihtml.Sanitizer
	log     *slog.Logger
	cop     *http.CrossOriginProtection
	wikiURL string
	csp     string
	catalog *locale.Catalog
	chooserCache
	// publicBase is PublicURL without its trailing slash; returnHosts
	// the hosts absolute return URLs may name.
	publicBase  string
	returnHosts []returnHost
	// userLimit counts failures by address and user name, addrLimit by
	// address; nil when off.
	// apiSecrets are the sums of Options.APISecrets.
	apiSecrets [][sha256.Size]byte
	userLimit  *ratelimit.Limiter
	addrLimit  *ratelimit.Limiter
}

// Register mounts the login app on r (a router group whose base path is the
// mount prefix, e.g. router.Group("/auth")) and returns it.
func Register(r *gin.RouterGroup, opts Options) (*App, error) {
	a, err := newApp(r.BasePath(), opts)
	if err != nil {
		return nil, err
	}
	a.routes(r)
	return a, nil
}

func newApp(prefix string, opts Options) (*App, error) {
	if opts.Client == nil {
		return nil, errors.New("handlers: Options.Client is required")
	}
	prefix = "/" + strings.Trim(prefix, "/")
	if prefix == "/" {
		prefix = ""
	}
	pub, err := url.Parse(opts.PublicURL)
	if err != nil || !pub.IsAbs() || (pub.Scheme != "http" && pub.Scheme != "https") || pub.Host == "" {
		return nil, fmt.Errorf("handlers: PublicURL %q must be an absolute http(s) URL", opts.PublicURL)
	}
	if pub.Scheme == "http" && !opts.InsecureCookies {
		return nil, fmt.Errorf("handlers: PublicURL %q is plain HTTP: secure cookies would never be sent back; use https, or InsecureCookies for development", opts.PublicURL)
	}
	if opts.SessionLifetime <= 0 {
		opts.SessionLifetime = DefaultSessionLifetime
	}
	if opts.FlowLifetime <= 0 {
		opts.FlowLifetime = DefaultFlowLifetime
	}
	if opts.RememberLifetime <= 0 {
		opts.RememberLifetime = DefaultRememberLifetime
	}
	if opts.RecheckAfter == 0 {
		opts.RecheckAfter = DefaultRecheckAfter
	}
	if opts.LoginFailuresPerUser == 0 {
		opts.LoginFailuresPerUser = DefaultLoginFailuresPerUser
	}
	if opts.LoginUserWindow <= 0 {
		opts.LoginUserWindow = DefaultLoginUserWindow
	}
	if opts.LoginFailuresPerAddress == 0 {
		opts.LoginFailuresPerAddress = DefaultLoginFailuresPerAddress
	}
	if opts.LoginAddressWindow <= 0 {
		opts.LoginAddressWindow = DefaultLoginAddressWindow
	}
	if opts.Backend == nil {
		opts.Backend = store.NewMemory()
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	opts.Logger = slog.New(middleware.LogHandler(opts.Logger.Handler()))
	if h := opts.HomeURL; h != "" && safeReturnTo(h) == "" {
		if u, err := url.Parse(h); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, fmt.Errorf("handlers: HomeURL %q must be a local path such as / or an absolute http(s) URL", h)
		}
	}
	if len(opts.APISecrets) > 0 && !opts.EnableAPI {
		return nil, errors.New("handlers: APISecrets (-api-secrets) are set but EnableAPI (-enable-api) is not: set both to serve {prefix}/api")
	}
	for i, sec := range opts.APISecrets {
		if len(sec) < minAPISecretLen {
			return nil, fmt.Errorf("handlers: API secret %d is %d characters; at least %d are needed", i+1, len(sec), minAPISecretLen)
		}
	}
	cookiePath := opts.CookiePath
	if cookiePath == "" {
		cookiePath = prefix
	}
	if cookiePath == "" {
		cookiePath = "/"
	}
	opts.CookiePath = cookiePath
	if err := checkCookiePath(cookiePath, prefix, opts.ProtectedPaths); err != nil {
		return nil, err
	}
	if opts.CookieName == "" {
		opts.CookieName = DefaultCookieName
		// Browsers keep a __Host- cookie only if it is Secure, for the
		// whole host and set by it: no sibling subdomain or plain-HTTP
		// page can plant one. Under a narrower path, __Secure- is the
		// most a name can ask for.
		switch {
		case opts.InsecureCookies:
		case cookiePath == "/":
			opts.CookieName = "__Host-" + DefaultCookieName
		default:
			opts.CookieName = "__Secure-" + DefaultCookieName
		}
	}
	st, err := sessionstore.New(sessionstore.Config{
		Backend:   opts.Backend,
		Keys:      opts.Keys,
		MaxAge:    max(opts.SessionLifetime, opts.RememberLifetime),
		KeyPrefix: "mwlogin:",
		Codec:     sessionCodec{},
		Options: sessions.Options{Path: cookiePath, HttpOnly: true, Secure: !opts.InsecureCookies,
			SameSite: http.SameSiteLaxMode},
	})
	if err != nil {
		return nil, err
	}
	returnHosts, err := returnHostsFor(pub, opts.AllowedReturnHosts)
	if err != nil {
		return nil, err
	}
	publicBase := strings.TrimRight(pub.String(), "/")
	returnURL := publicBase + prefix + "/return"
	engine, err := flow.New(flow.Config{Client: opts.Client, ReturnURL: returnURL, FormTTL: opts.FormTTL,
		RecheckAfter: opts.RecheckAfter, Now: opts.Now,
		SiteMessages: siteMessages, SiteLanguages: locale.Languages, SiteTTL: opts.SiteTTL})
	if err != nil {
		return nil, err
	}
	pages, err := newRenderer(templates.FS, opts.Templates)
	if err != nil {
		return nil, err
	}
	cop := http.NewCrossOriginProtection()
	ancestors := "'none'"
	for _, o := range opts.FrameAncestors {
		u, err := url.Parse(o)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || strings.ContainsAny(o, " ;,'") {
			return nil, fmt.Errorf("handlers: frame ancestor %q must be an origin such as https://tool.example", o)
		}
		if ancestors == "'none'" {
			ancestors = ""
		} else {
			ancestors += " "
		}
		ancestors += u.Scheme + "://" + u.Host
	}
	a := &App{
		opts: opts, prefix: prefix, flows: engine, store: st, pages: pages,
		html: wikihtml.New(opts.Client.APIURL()), log: opts.Logger, cop: cop,
		publicBase: publicBase, returnHosts: returnHosts, catalog: locale.Default(),
		wikiURL: indexURL(opts.Client.APIURL()),
		csp:     "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors " + ancestors,
	}
	a.apiSecrets = apiSecretSums(opts.APISecrets)
	a.userLimit = newLimiter(opts.LoginFailuresPerUser, opts.LoginUserWindow, opts.Now)
	a.addrLimit = newLimiter(opts.LoginFailuresPerAddress, opts.LoginAddressWindow, opts.Now)
	return a, nil
}

// indexURL is the wiki's index.php, which MediaWiki keeps beside api.php
// ($wgScript and $wgScriptPath): with no title it shows the main page.
func indexURL(api *url.URL) string {
	u := *api
	u.RawQuery, u.Fragment = "", ""
	u.Path = path.Join(path.Dir(u.Path), "index.php")
	return u.String()
}

// checkCookiePath makes sure our cookie reaches the app's own pages under
// prefix and the host's protected paths.
func checkCookiePath(cookiePath, prefix string, protected []string) error {
	if !strings.HasPrefix(cookiePath, "/") || strings.ContainsFunc(cookiePath, func(r rune) bool { return r <= ' ' || r == ';' || r == 0x7f }) {
		return fmt.Errorf("handlers: CookiePath %q must be a path such as /", cookiePath)
	}
	if !cookieReaches(cookiePath, prefix+"/") {
		return fmt.Errorf("handlers: CookiePath %q does not cover the mount prefix %q: the login pages would never get their cookie", cookiePath, prefix+"/")
	}
	for _, p := range protected {
		if u, err := url.Parse(p); err != nil || !strings.HasPrefix(p, "/") || u.Path != p {
			return fmt.Errorf("handlers: protected path %q must be a path such as /tool/", p)
		}
		if !cookieReaches(cookiePath, p) {
			return fmt.Errorf("handlers: CookiePath %q does not cover the protected path %q: the browser would never send the sign-in there; set CookiePath to a path above both, such as /", cookiePath, p)
		}
	}
	return nil
}

// cookieReaches reports whether a browser sends a cookie of cookiePath
// with a request for path (RFC 6265, section 5.1.4).
func cookieReaches(cookiePath, path string) bool {
	if !strings.HasPrefix(path, cookiePath) {
		return false
	}
	return len(path) == len(cookiePath) || strings.HasSuffix(cookiePath, "/") || path[len(cookiePath)] == '/'
}

// newLimiter makes a failure limit, or nil for a negative max (no limit).
func newLimiter(max int, window time.Duration, now func() time.Time) *ratelimit.Limiter {
	if max < 0 {
		return nil
	}
	return ratelimit.New(max, window, now)
}

func (a *App) routes(r *gin.RouterGroup) {
	r.Use(a.securityHeaders)
	r.StaticFileFS("/static/style.css", "style.css", http.FS(static.FS))
	r.StaticFileFS("/static/bounce.js", "bounce.js", http.FS(static.FS))
	r.StaticFileFS("/static/forms.js", "forms.js", http.FS(static.FS))
	r.Use(a.loadSession)
	r.GET("/", a.index)
	r.HEAD("/", a.index)
	r.POST("/login", a.protect, a.submit)
	r.POST("/restart", a.protect, a.restart)
	r.POST("/cancel", a.protect, a.cancel)
	r.POST("/logout", a.protect, a.logout)
	// The address bar shows these after their form was posted; loading
	// one again leads to where the flow stands.
	for _, p := range []string{"/login", "/restart", "/cancel", "/logout"} {
		r.GET(p, a.reloaded)
		r.HEAD(p, a.reloaded)
	}
	// The return from a third party is protected by the flow's state
	// value, not by the origin check: a provider may POST it cross-site.
	// No HEAD: it would spend the return's single-use state.
	r.GET("/return", a.callback)
	r.POST("/return", a.limitBody, a.callback)
	r.GET("/captcha/:step/:n", a.captcha)
	// Forward authentication: reverse proxies ask these before letting a
	// request through to a tool (docs/forward-auth.md).
	r.GET("/auth", a.forwardAuth)
	r.HEAD("/auth", a.forwardAuth)
	r.GET("/whoami", a.whoami)
	r.HEAD("/whoami", a.whoami)
	if a.opts.EnableAPI {
		// Every method, so that the wrong one gets a JSON answer too.
		r.Any("/api", a.api)
	}

	// Any other method on our paths gets 405 and our own page. Gin's
	// HandleMethodNotAllowed would do it, but it is the engine's setting,
	// which a host that mounts us on a group owns, and it answers a bare
	// text page without our headers.
	for _, p := range []struct {
		path  string
		allow []string
	}{
		{"/", []string{http.MethodGet, http.MethodHead}},
		{"/static/style.css", []string{http.MethodGet, http.MethodHead}},
		{"/static/bounce.js", []string{http.MethodGet, http.MethodHead}},
		{"/static/forms.js", []string{http.MethodGet, http.MethodHead}},
		{"/login", []string{http.MethodGet, http.MethodHead, http.MethodPost}},
		{"/restart", []string{http.MethodGet, http.MethodHead, http.MethodPost}},
		{"/cancel", []string{http.MethodGet, http.MethodHead, http.MethodPost}},
		{"/logout", []string{http.MethodGet, http.MethodHead, http.MethodPost}},
		{"/return", []string{http.MethodGet, http.MethodPost}},
		{"/captcha/:step/:n", []string{http.MethodGet}},
		{"/auth", []string{http.MethodGet, http.MethodHead}},
		{"/whoami", []string{http.MethodGet, http.MethodHead}},
	} {
		refuse := a.methodNotAllowed(strings.Join(p.allow, ", "))
		for _, m := range []string{http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut,
			http.MethodPatch, http.MethodDelete, http.MethodOptions, http.MethodTrace} {
			if !slices.Contains(p.allow, m) {
				r.Handle(m, p.path, refuse)
			}
		}
	}
}

// reloaded answers a GET of an address only a form posts to: the address
// bar shows it after the post, so a reload or a bookmark asks for it. It
// sends the browser to the login page, which shows where the flow stands.
func (a *App) reloaded(c *gin.Context) {
	target := a.prefix + "/"
	if l := c.Query("uselang"); l != "" {
		target += "?" + url.Values{"uselang": {l}}.Encode()
	}
	c.Redirect(http.StatusSeeOther, target)
}

// NotFound answers an address the app does not serve with its own 404
// page (the layout, a link to the login page, the security headers).
// NewHandler sets it for every unknown path; a Gin host sets it as its
// engine's NoRoute handler, router.NoRoute(app.NotFound), or calls it from
// its own for paths under the prefix.
func (a *App) NotFound(c *gin.Context) {
	a.setSecurityHeaders(c)
	a.errorPage(c, http.StatusNotFound, errorView{Message: m("error-not-found"), Detail: m("error-not-found-detail")})
}

// methodNotAllowed answers a method a path does not take.
func (a *App) methodNotAllowed(allow string) gin.HandlerFunc {
	return func(c *gin.Context) {
		c.Header("Allow", allow)
		a.errorPage(c, http.StatusMethodNotAllowed, errorView{
			Message: m("error-method", "Method", c.Request.Method), Detail: m("error-method-detail")})
	}
}

// Errors Ready wraps, one for each backend that does not answer.
var (
	ErrWikiDown  = errors.New("the wiki does not answer")
	ErrStoreDown = errors.New("the session store does not answer")
)

// Ready reports whether the app can serve logins, for readiness checks:
// the session backend answers (if it has a Ping, as store.Redis does; the
// memory one is never down) and the wiki answers as an API. The error
// wraps ErrStoreDown and ErrWikiDown for each that does not.
func (a *App) Ready(ctx context.Context) error {
	var errs []error
	if p, ok := a.opts.Backend.(interface{ Ping(context.Context) error }); ok {
		if err := p.Ping(ctx); err != nil {
			errs = append(errs, fmt.Errorf("%w: %w", ErrStoreDown, err))
		}
	}
	if err := a.flows.Ready(ctx); err != nil {
		errs = append(errs, fmt.Errorf("%w: %w", ErrWikiDown, err))
	}
	return errors.Join(errs...)
}

// Prefix is the mount prefix ("" at the root).
func (a *App) Prefix() string { return a.prefix }

// NewHandler returns the login app as an http.Handler serving the paths
// under prefix, for hosts that are not Gin applications:
//
//	h, app, err := handlers.NewHandler("/auth", opts)
//	mux.Handle("/auth/", h)
func NewHandler(prefix string, opts Options) (http.Handler, *App, error) {
	log := opts.Logger
	if log == nil {
		log = slog.Default()
	}
	engine := gin.New()
	if err := TrustProxies(engine, opts.TrustedProxies); err != nil {
		return nil, nil, err
	}
	engine.Use(middleware.RequestID(), middleware.Recovery(log))
	app, err := Register(engine.Group(prefix), opts)
	if err != nil {
		return nil, nil, err
	}
	engine.NoRoute(app.NotFound)
	return engine, app, nil
}

// TrustProxies makes engine take the client's address from X-Forwarded-For
// only when the request comes from one of proxies (addresses or CIDRs),
// and never from X-Real-IP. With no proxies the client is the connection's
// peer. Gin's default believes both headers from anyone, which lets a
// client pick the address the login limits count and the wiki is told.
func TrustProxies(engine *gin.Engine, proxies []string) error {
	// A proxy that appends X-Forwarded-For always sends one, so X-Real-IP
	// would only ever be read when a client made it up.
	engine.RemoteIPHeaders = []string{"X-Forwarded-For"}
	if err := engine.SetTrustedProxies(proxies); err != nil {
		return fmt.Errorf("handlers: trusted proxies: %w", err)
	}
	return nil
}
