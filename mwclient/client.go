// Package mwclient is a client for the MediaWiki Action API, made for
// logging people in: tokens, meta=authmanagerinfo, action=clientlogin,
// action=login with bot passwords, meta=userinfo and action=logout.
//
// A Client holds what all users share (the API URL, the HTTP transport and
// its connections); a Session is one wiki session, a Client plus a cookie
// jar that can be saved and restored between requests.
package mwclient

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/url"
	"strings"
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
	// Observe, if set, is told of every API call: its action, how long it
	// took and how it ended (for metrics).
	Observe func(action string, d time.Duration, err error)
}

// Client talks to one wiki's api.php.
type Client struct {
	api      *url.URL
	ua       string
	rt       http.RoundTripper
	timeout  time.Duration
	maxBytes int64
	observe  func(action string, d time.Duration, err error)
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
	return c, nil
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

// Session is one wiki session: the Client plus the session's cookies.
type Session struct {
	c   *Client
	jar *Jar
	hc  http.Client
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

// call sends one API request and decodes the JSON answer into out. Values
// go in a POST body when post is true (always for secrets), else in the
// query string.
func (s *Session) call(ctx context.Context, post bool, params url.Values, out answer) (err error) {
	action := params.Get("action")
	if s.c.observe != nil {
		label := action
		if action == "query" {
			label = "query:" + params.Get("meta")
		}
		start := time.Now()
		defer func() { s.c.observe(label, time.Since(start), err) }()
	}
	ctx, cancel := s.c.bound(ctx)
	defer cancel()
	params.Set("format", "json")
	params.Set("formatversion", "2")
	// plaintext gives a person-readable message in the user's language,
	// with no HTML to sanitize, and a stable machine code beside it.
	params.Set("errorformat", "plaintext")

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
		return fmt.Errorf("mwclient: %s: %w", action, err)
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
		return &TransportError{Action: action, Err: err}
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, s.c.maxBytes+1))
	if err != nil {
		return &TransportError{Action: action, Err: err}
	}
	if resp.StatusCode != http.StatusOK {
		return &HTTPError{StatusCode: resp.StatusCode, Status: resp.Status}
	}
	ct := resp.Header.Get("Content-Type")
	if int64(len(body)) > s.c.maxBytes {
		return &DecodeError{ContentType: ct, Err: ErrResponseTooLarge}
	}
	return decode(ct, body, out)
}

// envelope is what every formatversion=2 answer may carry besides its module
// data. Each call's result type embeds it, so that one parse reads both.
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

// answer is a call's result: module data beside an embedded envelope.
type answer interface{ apiError() error }

func (e *envelope) apiError() error {
	if len(e.Errors) > 0 {
		return &APIError{Code: e.Errors[0].Code, Text: e.Errors[0].Text, Module: e.Errors[0].Module}
	}
	if e.Error != nil && e.Error.Code != "" {
		return &APIError{Code: e.Error.Code, Text: e.Error.Info}
	}
	return nil
}

func decode(contentType string, body []byte, out answer) error {
	if mt, _, err := mime.ParseMediaType(contentType); err == nil && mt != "application/json" && mt != "text/javascript" {
		return &DecodeError{ContentType: contentType, Err: fmt.Errorf("unexpected media type %q", mt)}
	}
	err := json.Unmarshal(body, out)
	// The wiki's own error says more than module data that did not fit.
	if aerr := out.apiError(); aerr != nil {
		return aerr
	}
	if err != nil {
		return &DecodeError{ContentType: contentType, Err: err}
	}
	return nil
}
