// Package mwclient is a client for the MediaWiki Action API, made for
// logging people in (tokens, meta=authmanagerinfo, action=clientlogin,
// action=login with bot passwords, meta=userinfo, action=logout) and then
// acting as them: any API call with Session.Get, Session.Post and
// Session.PostWithToken, and a query's continuation with Query.
//
// A Client holds what all users share (the API URL, the HTTP transport and
// its connections); a Session is one wiki session, a Client plus a cookie
// jar that can be saved and restored between requests.
//
// Every call asks for formatversion=2 JSON with errorformat=plaintext. An
// error the wiki answers is an *APIError; branch on it with errors.Is and
// the Err sentinels. A call refused for replication lag (maxlag), or with
// HTTP 429 or 503 and a Retry-After, is retried after the wait the wiki
// asks for, within Options.Retries and Options.MaxRetryAfter.
package mwclient

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"mime"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Defaults for Options fields left zero.
const (
	DefaultTimeout          = 15 * time.Second
	DefaultMaxResponseBytes = 4 << 20
	// DefaultMaxIdleConns is how many idle connections to the wiki the
	// default transport keeps: every user's calls go to one host, so the
	// per-host limit of net/http (2) would close most of them after each
	// burst and reconnect, TLS handshake included.
	DefaultMaxIdleConns = 256
	// DefaultRetries is how many times a call refused for lag or load is
	// tried again.
	DefaultRetries = 3
	// DefaultMaxRetryAfter is the longest Retry-After a call waits out; a
	// wiki asking for longer gets the error back at once.
	DefaultMaxRetryAfter = time.Minute
	// DefaultRetryAfter is the wait after a maxlag refusal without a
	// readable Retry-After (MediaWiki's own minimum for maxlag).
	DefaultRetryAfter = 5 * time.Second
)

// Options configure a Client.
type Options struct {
	// UserAgent identifies the tool to the wiki. Wikimedia's policy asks for
	// a name, a version and a way to reach the operator:
	// "mwlogin/1.0 (https://tool.example; ops@example.org) mwclient".
	UserAgent string
	// Transport is shared by every Session. nil means NewTransport, with
	// MaxIdleConns applied.
	Transport http.RoundTripper
	// MaxIdleConns bounds the idle connections the default transport keeps
	// to the wiki (DefaultMaxIdleConns if zero). It has no effect on a
	// Transport given here.
	MaxIdleConns int
	// Timeout bounds each call whose context has no earlier deadline.
	Timeout time.Duration
	// MaxResponseBytes bounds a response body.
	MaxResponseBytes int64
	// Observe, if set, is told of every API request: its action, how long
	// it took and how it ended (for metrics). A retried call is told once
	// per request.
	Observe func(action string, d time.Duration, err error)
	// MaxLag, if positive, is sent as maxlag (whole seconds) with every
	// call that does not set its own, so that the wiki refuses work while
	// its replicas lag further behind; such a refusal is retried. Wikimedia
	// asks it of bots and tools that edit: 5 seconds.
	MaxLag time.Duration
	// Retries is how many times a call refused with maxlag, or with HTTP
	// 429 or 503 and a Retry-After header, is tried again (DefaultRetries
	// if zero, none if negative).
	Retries int
	// MaxRetryAfter is the longest wait before a retry (DefaultMaxRetryAfter
	// if zero). A refusal whose Retry-After is longer is returned at once.
	MaxRetryAfter time.Duration
	// Sleep waits d before a retry, or returns ctx's error if ctx ends first.
	// nil means a timer; tests give a fake clock.
	Sleep func(ctx context.Context, d time.Duration) error
}

// Client talks to one wiki's api.php.
type Client struct {
	api      *url.URL
	ua       string
	rt       http.RoundTripper
	timeout  time.Duration
	maxBytes int64
	observe  func(action string, d time.Duration, err error)
	maxLag   string // the maxlag parameter, "" for none
	retries  int
	maxWait  time.Duration
	sleep    func(ctx context.Context, d time.Duration) error
}

// New returns a Client for the absolute api.php URL apiURL.
func New(apiURL string, opts Options) (*Client, error) {
	u, err := url.Parse(apiURL)
	if err != nil {
		return nil, fmt.Errorf("mwclient: wiki API URL: %w", err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("mwclient: wiki API URL %q is not an absolute http(s) URL", apiURL)
	}
	u.RawQuery, u.Fragment = "", ""
	c := &Client{api: u, ua: opts.UserAgent, rt: opts.Transport, timeout: opts.Timeout, maxBytes: opts.MaxResponseBytes, observe: opts.Observe}
	if c.ua == "" {
		c.ua = "mwlogin-mwclient/0.1 (https://github.com/mwlogin/mwlogin)"
	}
	if c.rt == nil {
		t := NewTransport()
		if opts.MaxIdleConns > 0 {
			t.MaxIdleConns, t.MaxIdleConnsPerHost = opts.MaxIdleConns, opts.MaxIdleConns
		}
		c.rt = t
	}
	if c.timeout <= 0 {
		c.timeout = DefaultTimeout
	}
	if c.maxBytes <= 0 {
		c.maxBytes = DefaultMaxResponseBytes
	}
	if opts.MaxLag > 0 {
		c.maxLag = strconv.Itoa(max(1, int(opts.MaxLag/time.Second)))
	}
	switch c.retries = opts.Retries; {
	case c.retries == 0:
		c.retries = DefaultRetries
	case c.retries < 0:
		c.retries = 0
	}
	if c.maxWait = opts.MaxRetryAfter; c.maxWait <= 0 {
		c.maxWait = DefaultMaxRetryAfter
	}
	if c.sleep = opts.Sleep; c.sleep == nil {
		c.sleep = sleep
	}
	return c, nil
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// NewTransport returns the default transport: net/http's own (so HTTP/2,
// gzip and a proxy from the environment), its connections shared by every
// user of the one wiki host. Its timeouts bound each stage of a call even
// when the caller's context allows longer, so that a host that does not
// answer holds no caller for long.
func NewTransport() *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConns = DefaultMaxIdleConns
	t.MaxIdleConnsPerHost = DefaultMaxIdleConns
	t.IdleConnTimeout = 90 * time.Second
	t.TLSHandshakeTimeout = 10 * time.Second
	t.ResponseHeaderTimeout = 30 * time.Second
	t.DialContext = (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext
	return t
}

// APIURL returns the api.php URL.
func (c *Client) APIURL() *url.URL { u := *c.api; return &u }

// Resolve makes ref (such as a captcha image path) absolute against the
// API URL, and reports whether it stays on the wiki's own host.
func (c *Client) Resolve(ref string) (*url.URL, bool) {
	r, err := url.Parse(ref)
	if err != nil {
		return nil, false
	}
	u := c.api.ResolveReference(r)
	return u, u.Scheme == c.api.Scheme && u.Host == c.api.Host
}

// bound applies the client's Timeout unless ctx already ends sooner.
func (c *Client) bound(ctx context.Context) (context.Context, context.CancelFunc) {
	if d, ok := ctx.Deadline(); ok && time.Until(d) <= c.timeout {
		return ctx, func() {}
	}
	return context.WithTimeout(ctx, c.timeout)
}

// Session is one wiki session: the Client plus the session's cookies and
// the tokens fetched in it. A Session is safe for concurrent use.
type Session struct {
	c   *Client
	jar *Jar
	hc  http.Client

	mu     sync.Mutex
	tokens map[string]string // by type; reset when the session's user changes
}

// NewSession starts a session from saved cookies (nil for a new one).
func (c *Client) NewSession(cookies []Cookie) *Session {
	jar := NewJar(cookies)
	return &Session{c: c, jar: jar, hc: http.Client{Transport: c.rt, Jar: jar, CheckRedirect: noRedirect}}
}

// noRedirect hands a redirect back as the answer: the API never redirects a
// well-formed request, and following one could carry a POST body, password
// included, somewhere else.
func noRedirect(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

// Client returns the client the session belongs to.
func (s *Session) Client() *Client { return s.c }

// Cookies returns the session's cookies, to be saved and later passed to
// NewSession.
func (s *Session) Cookies() []Cookie { return s.jar.Saved() }

// CookiesChanged reports whether the wiki set, renewed or removed a cookie
// since the session was started, so that the caller knows to save Cookies
// again: a wiki renews its session and "remember me" cookies as they age,
// and a session whose renewed cookies are dropped ends early.
func (s *Session) CookiesChanged() bool { return s.jar.Changed() }

type headersKey struct{}

// WithHeader returns a context whose API calls carry an extra HTTP header,
// such as a request ID or X-Forwarded-For for a wiki that trusts us as a
// proxy.
func WithHeader(ctx context.Context, key, value string) context.Context {
	old, _ := ctx.Value(headersKey{}).(http.Header)
	h := old.Clone()
	if h == nil {
		h = http.Header{}
	}
	h.Set(key, value)
	return context.WithValue(ctx, headersKey{}, h)
}

// Get sends an API request with params in the query string and decodes
// the JSON answer into out (nil to discard it). format, formatversion=2
// and errorformat=plaintext are set here, and maxlag from Options.MaxLag
// unless params has one. An error the wiki answered is an *APIError; match
// it with errors.Is against ErrBadToken, ErrNotLoggedIn, ErrMaxLag and the
// other sentinels. params is not modified.
func (s *Session) Get(ctx context.Context, params url.Values, out any) error {
	return s.call(ctx, false, params, out)
}

// Post is Get with params in a POST body, as the API requires of every
// call that changes something or carries a secret. It needs a token;
// PostWithToken fetches it.
func (s *Session) Post(ctx context.Context, params url.Values, out any) error {
	return s.call(ctx, true, params, out)
}

// PostWithToken posts params with a token of tokenType ("csrf", "watch",
// "patrol", "rollback", "userrights"...) as the parameter token, which is
// its name in every module but the login ones. The token comes from the
// session's cache (see Token); when the wiki refuses it as badtoken, a
// fresh one is fetched and the call made once more.
func (s *Session) PostWithToken(ctx context.Context, tokenType string, params url.Values, out any) error {
	p := maps.Clone(params)
	if p == nil {
		p = url.Values{}
	}
	for attempt := 0; ; attempt++ {
		tok, err := s.Token(ctx, tokenType)
		if err != nil {
			return err
		}
		p.Set("token", tok)
		err = s.Post(ctx, p, out)
		// call has dropped the cached tokens on badtoken: the next one is new.
		if errors.Is(err, ErrBadToken) && attempt == 0 {
			continue
		}
		return err
	}
}

// Token returns a token of type typ (meta=tokens&type=typ: "csrf",
// "login", "watch"...), fetched once per Session and kept until the wiki
// refuses one as badtoken or the session's user changes (a login, a
// logout). Tokens are bound to the session's cookies: use one only in its
// Session.
func (s *Session) Token(ctx context.Context, typ string) (string, error) {
	s.mu.Lock()
	tok, ok := s.tokens[typ]
	s.mu.Unlock()
	if ok {
		return tok, nil
	}
	var r struct {
		Query struct {
			Tokens map[string]string `json:"tokens"`
		} `json:"query"`
	}
	if err := s.Get(ctx, url.Values{"action": {"query"}, "meta": {"tokens"}, "type": {typ}}, &r); err != nil {
		return "", err
	}
	tok = r.Query.Tokens[typ+"token"]
	if tok == "" {
		return "", &DecodeError{ContentType: "application/json", Err: errMissing("query.tokens." + typ + "token")}
	}
	s.keepToken(typ, tok)
	return tok, nil
}

func (s *Session) keepToken(typ, tok string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.tokens == nil {
		s.tokens = map[string]string{}
	}
	s.tokens[typ] = tok
}

// forgetTokens drops the cached tokens: the wiki refused one, or the
// session's user changed and with it every token.
func (s *Session) forgetTokens() {
	s.mu.Lock()
	defer s.mu.Unlock()
	clear(s.tokens)
}

// call is the one way a request reaches the wiki: it sets the common
// parameters, sends the request, retries a refusal for lag or load, and
// decodes the answer into out.
func (s *Session) call(ctx context.Context, post bool, params url.Values, out any) error {
	p := maps.Clone(params)
	if p == nil {
		p = url.Values{}
	}
	p.Set("format", "json")
	p.Set("formatversion", "2")
	// plaintext gives a person-readable message in the user's language,
	// with no HTML to sanitize, and a stable machine code beside it.
	p.Set("errorformat", "plaintext")
	if s.c.maxLag != "" && !p.Has("maxlag") {
		p.Set("maxlag", s.c.maxLag)
	}
	for attempt := 0; ; attempt++ {
		wait, err := s.send(ctx, post, p, out)
		if errors.Is(err, ErrBadToken) {
			s.forgetTokens()
		}
		if wait < 0 || attempt >= s.c.retries || wait > s.c.maxWait {
			return err
		}
		if serr := s.c.sleep(ctx, wait); serr != nil {
			return fmt.Errorf("mwclient: %s: waiting %v to retry (%w): %w", p.Get("action"), wait, err, serr)
		}
	}
}

// send makes one request. wait is how long to wait before trying again
// when the wiki refused it for lag or load, and negative otherwise.
func (s *Session) send(ctx context.Context, post bool, params url.Values, out any) (wait time.Duration, err error) {
	action := params.Get("action")
	if s.c.observe != nil {
		start := time.Now()
		defer func() { s.c.observe(label(params), time.Since(start), err) }()
	}
	ctx, cancel := s.c.bound(ctx)
	defer cancel()

	u := *s.c.api
	var req *http.Request
	if post {
		req, err = http.NewRequestWithContext(ctx, http.MethodPost, u.String(), strings.NewReader(params.Encode()))
		if err == nil {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
	} else {
		u.RawQuery = params.Encode()
		req, err = http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	}
	if err != nil {
		return -1, fmt.Errorf("mwclient: %s: %w", action, err)
	}
	if h, ok := ctx.Value(headersKey{}).(http.Header); ok {
		for k, v := range h {
			req.Header[k] = v
		}
	}
	req.Header.Set("User-Agent", s.c.ua)
	req.Header.Set("Accept", "application/json")

	resp, err := s.hc.Do(req)
	if err != nil {
		return -1, &TransportError{Action: action, Err: err}
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, s.c.maxBytes+1))
	if err != nil {
		return -1, &TransportError{Action: action, Err: err}
	}
	if resp.StatusCode != http.StatusOK {
		wait = -1
		// Only a server that says when to come back is asked again: a bare
		// 503 is an outage, and the person waiting is better told so.
		if ra := resp.Header.Get("Retry-After"); ra != "" &&
			(resp.StatusCode == http.StatusServiceUnavailable || resp.StatusCode == http.StatusTooManyRequests) {
			wait = retryAfter(ra)
		}
		return wait, &HTTPError{StatusCode: resp.StatusCode, Status: resp.Status}
	}
	ct := resp.Header.Get("Content-Type")
	if int64(len(body)) > s.c.maxBytes {
		return -1, &DecodeError{ContentType: ct, Err: ErrResponseTooLarge}
	}
	err = decode(ct, body, out)
	if errors.Is(err, ErrMaxLag) {
		return retryAfter(resp.Header.Get("Retry-After")), err
	}
	return -1, err
}

// label names a request for Options.Observe: its action, and for a query
// the modules asked for.
func label(params url.Values) string {
	action := params.Get("action")
	if action != "query" {
		return action
	}
	for _, k := range []string{"meta", "list", "prop", "generator"} {
		if v := params.Get(k); v != "" {
			return action + ":" + v
		}
	}
	return action + ":"
}

// retryAfter reads a Retry-After header: seconds, or an HTTP date.
func retryAfter(h string) time.Duration {
	h = strings.TrimSpace(h)
	if h == "" {
		return DefaultRetryAfter
	}
	if n, err := strconv.Atoi(h); err == nil {
		return time.Duration(max(n, 0)) * time.Second
	}
	if t, err := http.ParseTime(h); err == nil {
		return max(time.Until(t), 0)
	}
	return DefaultRetryAfter
}

// envelope is what every answer may carry besides its module data: the
// error, in either format.
type envelope struct {
	Errors []struct {
		Code   string `json:"code"`
		Text   string `json:"text"`
		Module string `json:"module"`
	} `json:"errors"`
	// Error is the old ("bc") error format, which a wiki or a proxy may
	// still send.
	Error *struct {
		Code string `json:"code"`
		Info string `json:"info"`
	} `json:"error"`
}

func (e *envelope) apiError() error {
	if len(e.Errors) > 0 {
		return &APIError{Code: e.Errors[0].Code, Text: e.Errors[0].Text, Module: e.Errors[0].Module}
	}
	if e.Error != nil && e.Error.Code != "" {
		return &APIError{Code: e.Error.Code, Text: e.Error.Info}
	}
	return nil
}

// decode reads an answer: the wiki's error if it sent one, else the module
// data into out (nil to only check for an error).
func decode(contentType string, body []byte, out any) error {
	if mt, _, err := mime.ParseMediaType(contentType); err == nil && mt != "application/json" && mt != "text/javascript" {
		return &DecodeError{ContentType: contentType, Err: fmt.Errorf("unexpected media type %q", mt)}
	}
	var env envelope
	err := json.Unmarshal(body, &env)
	// The wiki's error says more than an answer that is otherwise odd.
	if aerr := env.apiError(); aerr != nil {
		return aerr
	}
	if err == nil && out != nil {
		err = json.Unmarshal(body, out)
	}
	if err != nil {
		return &DecodeError{ContentType: contentType, Err: err}
	}
	return nil
}
