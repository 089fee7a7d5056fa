package main

import (
	"bufio"
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/mwlogin/mwlogin/internal/demowiki"
)

// The account every simulated login uses: a password-only one.
const (
	user     = demowiki.UserAlice
	password = demowiki.Password
)

// client is the load generator's HTTP/1.1 client: one kept connection per
// host, written and read in the calling goroutine. net/http's Transport
// costs about twice the CPU per request (two goroutines per connection and
// the hand-offs between them), and the load generator shares the CPUs with
// what it measures.
type client struct {
	conns  map[string]*conn
	jar    map[string]map[string]string // host, then cookie name: value
	header []byte                       // "Name: value\r\n" lines sent with every request
	buf    bytes.Buffer
}

type conn struct {
	c  net.Conn
	br *bufio.Reader
	bw *bufio.Writer
}

func newClient(header http.Header) *client {
	var h bytes.Buffer
	header.Write(&h)
	return &client{conns: map[string]*conn{}, header: h.Bytes()}
}

func (c *client) close() {
	for _, cn := range c.conns {
		cn.c.Close()
	}
	clear(c.conns)
}

// response is what a request got, after redirects.
type response struct {
	url    *url.URL
	status int
	header http.Header
	body   string
}

// do sends a request (a POST when form is not nil) and follows 301, 302
// and 303 with a GET, as a browser does.
func (c *client) do(method string, u *url.URL, form url.Values) (*response, error) {
	var body []byte
	if form != nil {
		body = []byte(form.Encode())
	}
	for range 10 {
		r, err := c.once(method, u, body)
		if err != nil {
			return nil, fmt.Errorf("%s %s: %w", method, u.Path, err)
		}
		switch r.status {
		case http.StatusMovedPermanently, http.StatusFound, http.StatusSeeOther:
			if u, err = u.Parse(r.header.Get("Location")); err != nil {
				return nil, err
			}
			method, body = http.MethodGet, nil
			continue
		}
		return r, nil
	}
	return nil, errors.New("too many redirects")
}

// once sends one request on the host's kept connection, or on a new one if
// the server closed the kept one meanwhile.
func (c *client) once(method string, u *url.URL, body []byte) (*response, error) {
	for attempt := 0; ; attempt++ {
		cn, kept := c.conns[u.Host]
		if !kept {
			nc, err := net.DialTimeout("tcp", u.Host, 5*time.Second)
			if err != nil {
				return nil, err
			}
			cn = &conn{c: nc, br: bufio.NewReaderSize(nc, 16<<10), bw: bufio.NewWriterSize(nc, 4<<10)}
			c.conns[u.Host] = cn
		}
		r, err := c.roundTrip(cn, method, u, body)
		if err == nil {
			return r, nil
		}
		cn.c.Close()
		delete(c.conns, u.Host)
		if !kept || attempt > 0 {
			return nil, err
		}
	}
}

func (c *client) roundTrip(cn *conn, method string, u *url.URL, body []byte) (*response, error) {
	cn.c.SetDeadline(time.Now().Add(30 * time.Second))
	w := cn.bw
	w.WriteString(method + " " + u.RequestURI() + " HTTP/1.1\r\nHost: " + u.Host + "\r\n")
	w.Write(c.header)
	if jar := c.jar[u.Host]; len(jar) > 0 {
		w.WriteString("Cookie: ")
		sep := ""
		for name, value := range jar {
			w.WriteString(sep + name + "=" + value)
			sep = "; "
		}
		w.WriteString("\r\n")
	}
	if method == http.MethodPost {
		// Origin and Sec-Fetch-Site as a browser sends them from a page of
		// the same site: the app's CSRF defence checks them.
		w.WriteString("Content-Type: application/x-www-form-urlencoded\r\nContent-Length: " + strconv.Itoa(len(body)) +
			"\r\nOrigin: " + u.Scheme + "://" + u.Host + "\r\nSec-Fetch-Site: same-origin\r\n")
	}
	w.WriteString("\r\n")
	w.Write(body)
	if err := w.Flush(); err != nil {
		return nil, err
	}
	resp, err := http.ReadResponse(cn.br, &http.Request{Method: method})
	if err != nil {
		return nil, err
	}
	c.buf.Reset()
	_, err = c.buf.ReadFrom(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	if resp.Close {
		cn.c.Close()
		delete(c.conns, u.Host)
	}
	// Every cookie of the app and the wiki is host-only with Path=/.
	for _, ck := range resp.Cookies() {
		if c.jar == nil {
			c.jar = map[string]map[string]string{}
		}
		if c.jar[u.Host] == nil {
			c.jar[u.Host] = map[string]string{}
		}
		if ck.MaxAge < 0 {
			delete(c.jar[u.Host], ck.Name)
		} else {
			c.jar[u.Host][ck.Name] = ck.Value
		}
	}
	return &response{url: u, status: resp.StatusCode, header: resp.Header, body: c.buf.String()}, nil
}

// browser logs in through a front end (the app or the floor) as a browser
// does: it loads the form, posts it, follows the redirect and checks the
// page names the user. Each login starts with an empty cookie jar, as a new
// user's would.
type browser struct {
	base *url.URL
	c    *client
}

func newBrowser(base string) *browser {
	u, err := url.Parse(strings.TrimRight(base, "/") + "/")
	if err != nil {
		panic(err)
	}
	return &browser{base: u, c: newClient(http.Header{
		"User-Agent":      {"Mozilla/5.0 (X11; Linux x86_64) mwlogin-bench"},
		"Accept":          {"text/html,application/xhtml+xml"},
		"Accept-Language": {"en"},
	})}
}

// loginPage loads the form as a new browser.
func (b *browser) loginPage() (*response, error) {
	b.c.jar = nil
	p, err := b.c.do(http.MethodGet, b.base, nil)
	if err == nil && p.status != http.StatusOK {
		err = fmt.Errorf("login form: %s answered HTTP %d: %.200q", p.url.Path, p.status, text(p.body))
	}
	return p, err
}

// submit posts the login form of page p with a name and password.
func (b *browser) submit(p *response, name, pass string) (*response, error) {
	action, values, err := formOf(p, "/login")
	if err != nil {
		return nil, err
	}
	values.Set("username", name)
	values.Set("password", pass)
	return b.c.do(http.MethodPost, action, values)
}

func (b *browser) login() error {
	p, err := b.loginPage()
	if err != nil {
		return err
	}
	if p, err = b.submit(p, user, password); err != nil {
		return err
	}
	if p.status != http.StatusOK || !strings.Contains(p.body, ">"+user+"<") {
		return fmt.Errorf("the page after the login (%s, HTTP %d) does not name %s: %.300q", p.url.Path, p.status, user, text(p.body))
	}
	return nil
}

// text is a page with its tags dropped, for error messages.
func text(body string) string {
	var b strings.Builder
	in := false
	for _, r := range body {
		switch {
		case r == '<':
			in = true
		case r == '>':
			in = false
			b.WriteByte(' ')
		case !in:
			b.WriteRune(r)
		}
	}
	return strings.Join(strings.Fields(b.String()), " ")
}

// formOf finds the first form whose action ends with suffix, and the values
// a browser would send with it (hidden and text inputs, ticked boxes). It
// is a small scanner, not an HTML parser, since the load generator must stay
// cheap; the tests check it on the app's real pages.
func formOf(p *response, suffix string) (*url.URL, url.Values, error) {
	body := p.body
	for {
		i := strings.Index(body, "<form")
		if i < 0 {
			return nil, nil, fmt.Errorf("no form with action ending %q on %s (HTTP %d): %.300q", suffix, p.url.Path, p.status, text(p.body))
		}
		body = body[i:]
		end := strings.Index(body, "</form>")
		if end < 0 {
			end = len(body)
		}
		tagEnd := strings.IndexByte(body, '>')
		if tagEnd < 0 || tagEnd > end {
			return nil, nil, fmt.Errorf("a broken form tag on %s", p.url.Path)
		}
		if action := attrs(body[len("<form"):tagEnd])["action"]; strings.HasSuffix(action, suffix) {
			u, err := p.url.Parse(action)
			if err != nil {
				return nil, nil, err
			}
			return u, inputs(body[tagEnd+1 : end]), nil
		}
		body = body[end:]
	}
}

func inputs(form string) url.Values {
	v := url.Values{}
	for {
		i := strings.Index(form, "<input ")
		if i < 0 {
			return v
		}
		form = form[i+len("<input "):]
		j := strings.IndexByte(form, '>')
		if j < 0 {
			return v
		}
		a := attrs(form[:j])
		name, named := a["name"]
		_, disabled := a["disabled"]
		_, checked := a["checked"]
		switch typ := a["type"]; {
		case !named || disabled, typ == "submit", typ == "button", typ == "image", typ == "reset":
		case typ == "checkbox" || typ == "radio":
			if checked {
				v.Add(name, cmp.Or(a["value"], "on"))
			}
		default:
			v.Add(name, a["value"])
		}
	}
}

// attrs reads the attributes of a tag, the text after its name.
func attrs(s string) map[string]string {
	out := make(map[string]string, 8)
	for {
		s = strings.TrimLeft(s, " \t\n\r/")
		if s == "" {
			return out
		}
		n := strings.IndexAny(s, "= \t\n\r")
		if n < 0 {
			out[strings.ToLower(s)] = ""
			return out
		}
		name := strings.ToLower(s[:n])
		if s = s[n:]; s[0] != '=' {
			out[name] = ""
			continue
		}
		s = s[1:]
		var val string
		if s != "" && (s[0] == '"' || s[0] == '\'') {
			e := strings.IndexByte(s[1:], s[0])
			if e < 0 {
				e = len(s) - 1
			}
			val, s = s[1:1+e], s[min(len(s), e+2):]
		} else {
			e := strings.IndexAny(s, " \t\n\r")
			if e < 0 {
				e = len(s)
			}
			val, s = s[:e], s[e:]
		}
		out[name] = html.UnescapeString(val)
	}
}

// direct is a client of the wiki itself, logging in as API clients do
// (login token, then clientlogin) with a new wiki session each time: what
// the wiki allows before any front end.
type direct struct {
	api, token *url.URL
	c          *client
}

func newDirect(api string) *direct {
	u, err := url.Parse(api)
	if err != nil {
		panic(err)
	}
	t := *u
	t.RawQuery = "action=query&meta=tokens&type=login&format=json&formatversion=2&errorformat=plaintext"
	return &direct{api: u, token: &t, c: newClient(http.Header{"User-Agent": {"mwlogin-bench/direct"}, "Accept": {"application/json"}})}
}

func (d *direct) call(u *url.URL, form url.Values, v any) error {
	method := http.MethodGet
	if form != nil {
		method = http.MethodPost
	}
	r, err := d.c.do(method, u, form)
	if err != nil {
		return err
	}
	if r.status != http.StatusOK {
		return fmt.Errorf("HTTP %d", r.status)
	}
	if err := json.Unmarshal([]byte(r.body), v); err != nil {
		return fmt.Errorf("%w: %.200q", err, r.body)
	}
	return nil
}

func (d *direct) login() error {
	d.c.jar = nil
	var tr struct {
		Query struct {
			Tokens struct {
				LoginToken string `json:"logintoken"`
			} `json:"tokens"`
		} `json:"query"`
	}
	if err := d.call(d.token, nil, &tr); err != nil || tr.Query.Tokens.LoginToken == "" {
		return fmt.Errorf("login token: %v (%+v)", err, tr)
	}
	var lr struct {
		ClientLogin struct {
			Status   string `json:"status"`
			Username string `json:"username"`
		} `json:"clientlogin"`
	}
	err := d.call(d.api, url.Values{"action": {"clientlogin"}, "format": {"json"}, "formatversion": {"2"}, "errorformat": {"plaintext"},
		"username": {user}, "password": {password}, "logintoken": {tr.Query.Tokens.LoginToken},
		"loginreturnurl": {"http://127.0.0.1/return"}}, &lr)
	if err != nil || lr.ClientLogin.Status != "PASS" || lr.ClientLogin.Username != user {
		return fmt.Errorf("clientlogin: %v (%+v)", err, lr)
	}
	return nil
}

// load is what the workers of one run did.
type load struct {
	took   []time.Duration // of the logins that ended in the window
	errors int             // failed logins, warm-up included
	sample []string        // the first few errors of each worker
}

// drive runs n workers, each logging in again and again until to, and
// keeps the time of each login that ended between from and to.
func drive(n int, from, to time.Time, newWorker func() (login func() error, done func())) *load {
	ld := &load{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for range n {
		login, done := newWorker()
		wg.Go(func() {
			defer done()
			var mine []time.Duration
			errs := 0
			var sample []string
			for t0 := time.Now(); t0.Before(to); t0 = time.Now() {
				if err := login(); err != nil {
					if errs++; len(sample) < 3 {
						sample = append(sample, err.Error())
					}
					continue
				}
				if t1 := time.Now(); !t1.Before(from) && !t1.After(to) {
					mine = append(mine, t1.Sub(t0))
				}
			}
			mu.Lock()
			ld.took = append(ld.took, mine...)
			ld.errors += errs
			ld.sample = append(ld.sample, sample...)
			mu.Unlock()
		})
	}
	wg.Wait()
	return ld
}
