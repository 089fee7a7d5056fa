// Command mwlogin serves a page that logs people in to a MediaWiki wiki
// through the Action API's clientlogin, on their behalf.
package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"flag"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/mwlogin/mwlogin/handlers"
	"github.com/mwlogin/mwlogin/internal/middleware"
	"github.com/mwlogin/mwlogin/metrics"
	"github.com/mwlogin/mwlogin/mwclient"
	"github.com/mwlogin/mwlogin/store"
	"github.com/mwlogin/mwlogin/templates"
)

const version = "0.1.0"

type config struct {
	wikiAPI         string
	publicURL       string
	listen          string
	secretKeys      string
	dev             bool
	sessionLifetime time.Duration
	contact         string
	logFormat       string
	store           string
	trustedProxies  string
	// Failed logins allowed per address and user name, and per address;
	// -1 for no limit.
	userFailures    int
	addrFailures    int
	forwardClientIP bool
	frameAncestors  string
	metricsListen   string
	pprof           bool
	// prefix is the path the app is mounted under ("" for the root);
	// allowedReturnHosts a comma-separated list.
	prefix             string
	allowedReturnHosts string
	homeURL            string
	// rememberLifetime: a session whose user ticked "Keep me logged in".
	rememberLifetime time.Duration
	enableAPI        bool
	apiSecrets       string
	// templates overlays the embedded templates (-templates DIR); nil
	// for none.
	templates fs.FS
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], nil); err != nil {
		fmt.Fprintln(os.Stderr, "mwlogin:", err)
		os.Exit(1)
	}
}

// env returns the environment's value for a flag, or def.
func env(name, def string) string {
	if v, ok := os.LookupEnv(name); ok {
		return v
	}
	return def
}

// envBool reads a boolean variable: "1", "true", "yes" or "on" (any case).
func envBool(name string) bool {
	switch strings.ToLower(strings.TrimSpace(os.Getenv(name))) {
	case "1", "t", "true", "yes", "on":
		return true
	}
	return false
}

func parseFlags(args []string) (config, error) {
	var cfg config
	fs := flag.NewFlagSet("mwlogin", flag.ContinueOnError)
	fs.StringVar(&cfg.wikiAPI, "wiki", env("MWLOGIN_WIKI", ""), "the wiki's api.php URL, e.g. https://test.wikipedia.org/w/api.php; none starts a built-in demo wiki (MWLOGIN_WIKI)")
	fs.StringVar(&cfg.listen, "listen", env("MWLOGIN_LISTEN", "127.0.0.1:8080"), "address to listen on (MWLOGIN_LISTEN)")
	fs.StringVar(&cfg.publicURL, "public-url", env("MWLOGIN_PUBLIC_URL", ""), "URL at which browsers reach this app; default http://LISTEN (MWLOGIN_PUBLIC_URL)")
	fs.StringVar(&cfg.secretKeys, "secret-keys", env("MWLOGIN_SECRET_KEYS", ""), "comma-separated secret keys of at least 32 characters; the first signs, all verify (MWLOGIN_SECRET_KEYS)")
	fs.BoolVar(&cfg.dev, "dev", envBool("MWLOGIN_DEV"), "development mode: plain-HTTP cookies allowed, a key generated if none is set (MWLOGIN_DEV)")
	lifetime := env("MWLOGIN_SESSION_LIFETIME", handlers.DefaultSessionLifetime.String())
	fs.StringVar(&lifetime, "session-lifetime", lifetime, "how long a signed-in session lasts (MWLOGIN_SESSION_LIFETIME)")
	remember := env("MWLOGIN_REMEMBER_LIFETIME", handlers.DefaultRememberLifetime.String())
	fs.StringVar(&remember, "remember-lifetime", remember, "how long the session of a user who ticked \"Keep me logged in\" lasts; match the wiki's $wgExtendedLoginCookieExpiration (MWLOGIN_REMEMBER_LIFETIME)")
	fs.StringVar(&cfg.contact, "contact", env("MWLOGIN_CONTACT", ""), "operator contact (URL or e-mail) for the User-Agent sent to the wiki (MWLOGIN_CONTACT)")
	fs.StringVar(&cfg.logFormat, "log-format", env("MWLOGIN_LOG_FORMAT", "text"), "log format: text or json (MWLOGIN_LOG_FORMAT)")
	fs.StringVar(&cfg.store, "store", env("MWLOGIN_STORE", "memory"), "where sessions are kept: memory (one instance), or a redis:// or rediss:// URL shared by several instances (MWLOGIN_STORE)")
	fs.StringVar(&cfg.trustedProxies, "trusted-proxies", env("MWLOGIN_TRUSTED_PROXIES", ""), "comma-separated addresses or CIDRs of reverse proxies whose X-Forwarded-For is believed (X-Real-IP never is); none by default (MWLOGIN_TRUSTED_PROXIES)")
	perUser := env("MWLOGIN_LOGIN_FAILURES_PER_USER", strconv.Itoa(handlers.DefaultLoginFailuresPerUser))
	fs.StringVar(&perUser, "login-failures-per-user", perUser, "failed logins one client address may make under one user name in 5 minutes; -1 turns the limit off (MWLOGIN_LOGIN_FAILURES_PER_USER)")
	perAddress := env("MWLOGIN_LOGIN_FAILURES_PER_ADDRESS", strconv.Itoa(handlers.DefaultLoginFailuresPerAddress))
	fs.StringVar(&perAddress, "login-failures-per-address", perAddress, "failed logins one client address may make in an hour, all user names together; -1 turns the limit off (MWLOGIN_LOGIN_FAILURES_PER_ADDRESS)")
	// Kept so that scripts that turned the old limit off still start.
	attempts := env("MWLOGIN_LOGIN_ATTEMPTS", "")
	fs.StringVar(&attempts, "login-attempts", attempts, "replaced by -login-failures-per-user and -login-failures-per-address; only -1 is accepted, and turns both off (MWLOGIN_LOGIN_ATTEMPTS)")
	fs.BoolVar(&cfg.forwardClientIP, "forward-client-ip", envBool("MWLOGIN_FORWARD_CLIENT_IP"), "send the user's address to the wiki as X-Forwarded-For, for wikis that trust this server as a proxy (MWLOGIN_FORWARD_CLIENT_IP)")
	fs.StringVar(&cfg.frameAncestors, "frame-ancestors", env("MWLOGIN_FRAME_ANCESTORS", ""), "comma-separated origins allowed to frame the pages; none by default (MWLOGIN_FRAME_ANCESTORS)")
	fs.StringVar(&cfg.metricsListen, "metrics-listen", env("MWLOGIN_METRICS_LISTEN", ""), "address for Prometheus metrics (/metrics) on a listener of its own, such as 127.0.0.1:9090; off by default (MWLOGIN_METRICS_LISTEN)")
	fs.BoolVar(&cfg.pprof, "pprof", envBool("MWLOGIN_PPROF"), "also serve Go's profiler (net/http/pprof) at /debug/pprof/ on the metrics listener; never expose it (MWLOGIN_PPROF)")
	fs.StringVar(&cfg.prefix, "prefix", env("MWLOGIN_PREFIX", ""), "path to serve the app under, such as /mwlogin, so that a reverse proxy can pass that path to it beside the tools it guards; the root by default (MWLOGIN_PREFIX)")
	fs.StringVar(&cfg.allowedReturnHosts, "allowed-return-hosts", env("MWLOGIN_ALLOWED_RETURN_HOSTS", ""), "comma-separated hosts (host or host:port) the login page may send the browser back to by absolute URL after signing in, beside the public URL's host; none by default (MWLOGIN_ALLOWED_RETURN_HOSTS)")
	fs.StringVar(&cfg.homeURL, "home-url", env("MWLOGIN_HOME_URL", ""), "the tool's page the signed-in page links back to: a local path or an absolute http(s) URL; none by default (MWLOGIN_HOME_URL)")
	fs.BoolVar(&cfg.enableAPI, "enable-api", envBool("MWLOGIN_ENABLE_API"), "serve POST {prefix}/api, which sends one Action API request in the signed-in user's wiki session for tools in any language; off by default (MWLOGIN_ENABLE_API)")
	fs.StringVar(&cfg.apiSecrets, "api-secrets", env("MWLOGIN_API_SECRETS", ""), "comma-separated secrets (32+ characters) with which tools' servers call {prefix}/api as \"Authorization: Bearer SECRET\"; needs -enable-api (MWLOGIN_API_SECRETS)")
	templateDir := fs.String("templates", env("MWLOGIN_TEMPLATES", ""), "directory of templates that replace the built-in ones of the same name (layout.html, login.html, signedin.html, ...; see go doc github.com/mwlogin/mwlogin/templates); none by default (MWLOGIN_TEMPLATES)")
	if err := fs.Parse(args); err != nil {
		return cfg, err
	}
	var err error
	if cfg.templates, err = overrideTemplates(*templateDir); err != nil {
		return cfg, err
	}
	if cfg.prefix, err = mountPrefix(cfg.prefix); err != nil {
		return cfg, err
	}
	// The variable would otherwise be ignored without a word.
	if _, ok := os.LookupEnv("MWLOGIN_DEBUG_LISTEN"); ok {
		return cfg, errors.New("MWLOGIN_DEBUG_LISTEN is no longer read: set MWLOGIN_METRICS_LISTEN to the address, and MWLOGIN_PPROF=1 to serve the profiler there")
	}
	if cfg.pprof && cfg.metricsListen == "" {
		return cfg, errors.New("-pprof (MWLOGIN_PPROF) serves the profiler on the metrics listener: set -metrics-listen (MWLOGIN_METRICS_LISTEN) too")
	}
	if cfg.userFailures, err = failureLimit("login-failures-per-user", perUser); err != nil {
		return cfg, err
	}
	if cfg.addrFailures, err = failureLimit("login-failures-per-address", perAddress); err != nil {
		return cfg, err
	}
	switch attempts {
	case "":
	case "-1":
		cfg.userFailures, cfg.addrFailures = -1, -1
	default:
		return cfg, fmt.Errorf("-login-attempts (MWLOGIN_LOGIN_ATTEMPTS) %q: the login limit now counts failed logins; set -login-failures-per-user and -login-failures-per-address instead", attempts)
	}
	d, err := time.ParseDuration(lifetime)
	if err != nil || d <= 0 {
		return cfg, fmt.Errorf("session lifetime %q is not a positive duration", lifetime)
	}
	cfg.sessionLifetime = d
	if d, err = time.ParseDuration(remember); err != nil || d <= 0 {
		return cfg, fmt.Errorf("remember lifetime %q is not a positive duration", remember)
	}
	cfg.rememberLifetime = d
	return cfg, nil
}

// overrideTemplates opens a -templates directory. Each .html file in it
// must be one of ours: a misspelt name would otherwise be ignored without
// a word. Whether they parse, handlers.Register checks.
func overrideTemplates(dir string) (fs.FS, error) {
	if dir == "" {
		return nil, nil
	}
	if info, err := os.Stat(dir); err != nil || !info.IsDir() {
		return nil, fmt.Errorf("-templates (MWLOGIN_TEMPLATES) %q is not a directory", dir)
	}
	override := os.DirFS(dir)
	names, err := fs.Glob(override, "*.html")
	if err != nil {
		return nil, fmt.Errorf("-templates (MWLOGIN_TEMPLATES) %q: %w", dir, err)
	}
	ours, _ := fs.Glob(templates.FS, "*.html")
	for _, n := range names {
		if !slices.Contains(ours, n) {
			return nil, fmt.Errorf("-templates (MWLOGIN_TEMPLATES): %s is none of the templates it can replace: %s", filepath.Join(dir, n), strings.Join(ours, ", "))
		}
	}
	return override, nil
}

// mountPrefix checks a -prefix: a path of plain segments, returned with
// one leading slash and none trailing ("" for the root).
func mountPrefix(s string) (string, error) {
	p := strings.Trim(s, "/")
	if p == "" {
		return "", nil
	}
	for _, seg := range strings.Split(p, "/") {
		ok := seg != "" && seg != "." && seg != ".."
		for _, r := range seg {
			if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-._~", r)) {
				ok = false
			}
		}
		if !ok {
			return "", fmt.Errorf("-prefix (MWLOGIN_PREFIX) %q must be a path such as /mwlogin: letters, digits and -._~ between slashes", s)
		}
	}
	return "/" + p, nil
}

// failureLimit reads a login failure limit: a positive number, or -1 for
// none.
func failureLimit(name, value string) (int, error) {
	n, err := strconv.Atoi(value)
	if err != nil || n == 0 || n < -1 {
		return 0, fmt.Errorf("-%s %q must be a positive number, or -1 for no limit", name, value)
	}
	return n, nil
}

// loopback reports whether a URL's host is this machine, where plain HTTP
// and a throwaway key are development, not a deployment.
func loopback(raw string) bool {
	u, err := url.Parse(raw)
	if err != nil {
		return false
	}
	h := u.Hostname()
	if h == "localhost" {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}

// run serves until ctx ends; onListen, if set, learns the bound address.
func run(ctx context.Context, args []string, onListen func(addr string)) error {
	cfg, err := parseFlags(args)
	if err != nil {
		return err
	}
	var handler slog.Handler = slog.NewTextHandler(os.Stderr, nil)
	if cfg.logFormat == "json" {
		handler = slog.NewJSONHandler(os.Stderr, nil)
	}
	log := slog.New(middleware.LogHandler(handler))
	slog.SetDefault(log)

	// Listen first, so that the default public URL has the real port.
	ln, err := net.Listen("tcp", cfg.listen)
	if err != nil {
		return err
	}
	defer ln.Close()
	if cfg.publicURL == "" {
		cfg.publicURL = "http://" + ln.Addr().String()
	}
	dev := cfg.dev || loopback(cfg.publicURL)
	keys, err := secretKeys(cfg.secretKeys, dev, log)
	if err != nil {
		return err
	}
	insecure := strings.HasPrefix(cfg.publicURL, "http://")
	if insecure && !dev {
		return fmt.Errorf("public URL %s is plain HTTP on a non-loopback host: use https, or -dev for development", cfg.publicURL)
	}

	var banner func(*gin.Context) template.HTML
	if cfg.wikiAPI == "" {
		if !dev {
			return errors.New("no wiki configured (-wiki, MWLOGIN_WIKI); the built-in demo wiki, whose passwords are public, only runs in development")
		}
		api, stopDemo, err := startDemoWiki(log)
		if err != nil {
			return err
		}
		defer stopDemo()
		cfg.wikiAPI, banner = api, demoBannerHTML
	}

	ua := "mwlogin/" + version + " (https://github.com/mwlogin/mwlogin"
	if cfg.contact != "" {
		ua += "; " + cfg.contact
	}
	ua += ")"
	m := metrics.New()
	client, err := mwclient.New(cfg.wikiAPI, mwclient.Options{UserAgent: ua, Observe: m.WikiCall})
	if err != nil {
		return err
	}
	if err := checkWiki(ctx, client, cfg.wikiAPI, log); err != nil {
		return err
	}

	store.SetRedisLogger(log)
	backend, storeName, err := openStore(cfg.store)
	if err != nil {
		return err
	}
	defer backend.shutdown()
	if storeName != "memory" && strings.TrimSpace(cfg.secretKeys) == "" {
		log.Warn("a shared session store with a made-up key: other instances cannot open this one's sessions; give them all the same MWLOGIN_SECRET_KEYS")
	}

	gin.SetMode(gin.ReleaseMode)
	router := gin.New()
	// Gin believes X-Forwarded-For and X-Real-IP from anyone unless told
	// otherwise; the login limits must see the real client.
	if err := handlers.TrustProxies(router, splitList(cfg.trustedProxies)); err != nil {
		return err
	}
	router.Use(middleware.RequestID(), middleware.AccessLog(log), middleware.Recovery(log))
	// Our cookie covers the whole host, so that under a -prefix it still
	// reaches the /auth checks a reverse proxy makes for the tools beside
	// us (docs/forward-auth.md).
	app, err := handlers.Register(router.Group(cfg.prefix+"/"), handlers.Options{
		Client: client, PublicURL: cfg.publicURL, Keys: keys, InsecureCookies: insecure,
		SessionLifetime: cfg.sessionLifetime, RememberLifetime: cfg.rememberLifetime, Logger: log, Backend: backend.Backend,
		LoginFailuresPerUser: cfg.userFailures, LoginFailuresPerAddress: cfg.addrFailures, ForwardClientIP: cfg.forwardClientIP,
		FrameAncestors: splitList(cfg.frameAncestors),
		Metrics:        m, Banner: banner,
		CookiePath: "/", AllowedReturnHosts: splitList(cfg.allowedReturnHosts),
		HomeURL: cfg.homeURL, EnableAPI: cfg.enableAPI, APISecrets: splitList(cfg.apiSecrets),
		Templates: cfg.templates,
	})
	if err != nil {
		return err
	}
	router.GET("/healthz", func(c *gin.Context) { c.String(http.StatusOK, "ok\n") })
	router.GET("/readyz", func(c *gin.Context) {
		ctx, cancel := context.WithTimeout(c.Request.Context(), 5*time.Second)
		defer cancel()
		if err := app.Ready(ctx); err != nil {
			log.WarnContext(c.Request.Context(), "readiness check failed", "err", err)
			// Only what failed, not how: the error names internal addresses.
			body := ""
			for _, down := range []error{handlers.ErrWikiDown, handlers.ErrStoreDown} {
				if errors.Is(err, down) {
					body += down.Error() + "\n"
				}
			}
			c.String(http.StatusServiceUnavailable, body)
			return
		}
		c.String(http.StatusOK, "ok\n")
	})
	router.NoRoute(app.NotFound)

	srv := &http.Server{Addr: cfg.listen, Handler: router, ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout: 30 * time.Second, WriteTimeout: 60 * time.Second, IdleTimeout: 120 * time.Second}
	log.Info("mwlogin listening", "addr", ln.Addr().String(), "public_url", cfg.publicURL+cfg.prefix+"/", "wiki", cfg.wikiAPI, "store", storeName, "dev", dev)

	if cfg.metricsListen != "" {
		stopMetrics, err := serveMetrics(cfg.metricsListen, m.Handler(), cfg.pprof, log)
		if err != nil {
			return err
		}
		defer stopMetrics()
	}
	if onListen != nil {
		onListen(ln.Addr().String())
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down; finishing requests in flight")
	sctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return srv.Shutdown(sctx)
}

// serveMetrics serves Prometheus metrics, and Go's profiler if asked, on a
// listener of their own, apart from the app's routes, so that they are
// reachable only where the operator put them.
func serveMetrics(addr string, metrics http.Handler, profiler bool, log *slog.Logger) (stop func(), err error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("metrics listener: %w", err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", metrics)
	if profiler {
		if !loopback("http://" + ln.Addr().String()) {
			log.Warn("the profiler listens beyond this machine; it shows the process's internals to anyone who reaches it", "addr", ln.Addr().String())
		}
		mux.HandleFunc("/debug/pprof/", pprof.Index)
		mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
		mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	log.Info("metrics listening", "addr", ln.Addr().String(), "pprof", profiler)
	return func() { srv.Close() }, nil
}

// checkWiki asks the wiki for its siteinfo at start, so that a -wiki URL
// that is not the wiki's api.php (its front page, say) is refused now, with
// the right form, rather than found by the first user. A wiki that does not
// answer, or answers 5xx, is only warned about: it may be down for a moment
// while this deploys, and /readyz tells when it is back.
func checkWiki(ctx context.Context, client *mwclient.Client, api string, log *slog.Logger) error {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	err := client.Ping(ctx)
	if err == nil {
		return nil
	}
	const form = "it should look like https://wiki.example.org/w/api.php"
	var he *mwclient.HTTPError
	var de *mwclient.DecodeError
	switch {
	case errors.As(err, &he) && he.StatusCode >= 300 && he.StatusCode < 400:
		return fmt.Errorf("-wiki (MWLOGIN_WIKI) %s answered %s, a redirect, and API calls follow none: give the address of api.php itself; %s", api, he.Status, form)
	case errors.As(err, &he) && (he.StatusCode == http.StatusNotFound || he.StatusCode == http.StatusGone):
		return fmt.Errorf("-wiki (MWLOGIN_WIKI) %s is not the wiki's api.php: it answered %s; %s", api, he.Status, form)
	case errors.As(err, &de):
		return fmt.Errorf("-wiki (MWLOGIN_WIKI) %s is not the wiki's api.php: it answered a page, not API JSON; %s", api, form)
	}
	log.WarnContext(ctx, "could not confirm the wiki's api.php at start; starting anyway, /readyz says when the wiki answers", "wiki", api, "err", err)
	return nil
}

// splitList splits a comma-separated setting, dropping empty items.
func splitList(s string) []string {
	var out []string
	for _, v := range strings.Split(s, ",") {
		if v = strings.TrimSpace(v); v != "" {
			out = append(out, v)
		}
	}
	return out
}

// secretKeys reads the configured keys, or in development makes one up.
func secretKeys(list string, dev bool, log *slog.Logger) ([][]byte, error) {
	var keys [][]byte
	for _, k := range splitList(list) {
		if len(k) < 32 {
			return nil, fmt.Errorf("a secret key is %d characters long; at least 32 are needed", len(k))
		}
		keys = append(keys, []byte(k))
	}
	if len(keys) > 0 {
		return keys, nil
	}
	if !dev {
		return nil, errors.New("no secret key: set MWLOGIN_SECRET_KEYS (e.g. from `openssl rand -base64 32`); only development mode makes one up")
	}
	b := make([]byte, 32)
	rand.Read(b)
	log.Warn("no secret key configured: using a random one, so sessions end when the process does (development only)")
	return [][]byte{[]byte(base64.RawStdEncoding.EncodeToString(b))}, nil
}

// openedStore is the session backend and how to let go of it at shutdown.
type openedStore struct {
	store.Backend
	shutdown func() error
}

// openStore opens the backend the -store setting names: "memory", or a
// redis:// or rediss:// URL, whose server must answer now. The name it
// returns is safe to log (no password).
func openStore(setting string) (openedStore, string, error) {
	switch {
	case setting == "memory":
		return openedStore{store.NewMemory(), func() error { return nil }}, "memory", nil
	case strings.HasPrefix(setting, "redis://") || strings.HasPrefix(setting, "rediss://"):
		r, err := store.NewRedis(setting)
		if err != nil {
			return openedStore{}, "", err
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := r.Ping(ctx); err != nil {
			r.Close()
			return openedStore{}, "", fmt.Errorf("the session store does not answer: %w", err)
		}
		return openedStore{r, r.Close}, r.String(), nil
	}
	// The value is not repeated: it may be a mistyped URL with a password.
	return openedStore{}, "", errors.New(`-store (MWLOGIN_STORE) must be "memory" or a redis:// or rediss:// URL`)
}
