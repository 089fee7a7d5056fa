package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// client is a small HTTP/1.1 client for the load generator: one keep-alive
// connection per host, written and read in the calling goroutine, with a
// cookie jar of its own. net/http's Transport costs about twice the CPU per
// request (two goroutines per connection and the channels between them),
// and the load generator shares the machine with what it measures.
type client struct {
	steps   []step // requests sent, for the run's stepLog
	conns   map[string]*hconn
	jar     jar
	header  []byte // extra request header lines, "Name: value\r\n" each
	timeout time.Duration
}

type hconn struct {
	c  net.Conn
	br *bufio.Reader
	bw *bufio.Writer
}

func newClient(header http.Header) *client {
	var h bytes.Buffer
	header.Write(&h)
	return &client{conns: map[string]*hconn{}, jar: jar{}, header: h.Bytes(), timeout: 30 * time.Second}
}

func (c *client) close() {
	stepLog.add(c.steps)
	c.steps = nil
	for k, hc := range c.conns {
		hc.c.Close()
		delete(c.conns, k)
	}
}

// jar keeps cookies by host and name. The app and the stand-in set only
// host-only cookies on loopback; Path is honoured as a prefix, expiry by
// Max-Age < 0 (deletion) only, which is all they use.
type jar map[string][]*http.Cookie

func (j jar) set(host string, cs []*http.Cookie) {
	for _, c := range cs {
		list := j[host]
		i := 0
		for ; i < len(list); i++ {
			if list[i].Name == c.Name && list[i].Path == c.Path {
				break
			}
		}
		del := c.MaxAge < 0 || (!c.Expires.IsZero() && c.Expires.Before(time.Now()))
		switch {
		case i < len(list) && del:
			j[host] = append(list[:i], list[i+1:]...)
		case i < len(list):
			list[i] = c
		case !del:
			j[host] = append(list, c)
		}
	}
}

func (j jar) header(host, path string) string {
	var b strings.Builder
	for _, c := range j[host] {
		p := c.Path
		if p == "" {
			p = "/"
		}
		if !strings.HasPrefix(path, p) {
			continue
		}
		if b.Len() > 0 {
			b.WriteString("; ")
		}
		b.WriteString(c.Name)
		b.WriteByte('=')
		b.WriteString(c.Value)
	}
	return b.String()
}

// response is what a request got back, after redirects.
type response struct {
	url    *url.URL
	status int
	header http.Header
	body   string
}

// do sends a request and, for GET-able redirects (301, 302, 303), follows
// them as a browser does: a GET to the Location.
func (c *client) do(method string, u *url.URL, contentType string, body []byte, buf *bytes.Buffer) (*response, error) {
	for hops := 0; ; hops++ {
		r, err := c.once(method, u, contentType, body, buf)
		if err != nil {
			return nil, err
		}
		switch r.status {
		case http.StatusMovedPermanently, http.StatusFound, http.StatusSeeOther:
			if hops >= 10 {
				return nil, errors.New("too many redirects")
			}
			loc := r.header.Get("Location")
			next, err := u.Parse(loc)
			if err != nil {
				return nil, fmt.Errorf("bad Location %q: %w", loc, err)
			}
			method, u, contentType, body = http.MethodGet, next, "", nil
			continue
		}
		return r, nil
	}
}

// once sends one request, on the host's kept connection if it is still
// good, else on a new one.
func (c *client) once(method string, u *url.URL, contentType string, body []byte, buf *bytes.Buffer) (*response, error) {
	for attempt := 0; ; attempt++ {
		hc, fresh, err := c.conn(u.Host)
		if err != nil {
			return nil, err
		}
		t0 := time.Now()
		r, err := c.roundTrip(hc, method, u, contentType, body, buf)
		if err == nil {
			end := time.Now()
			c.steps = append(c.steps, step{method + " " + u.Path, end, end.Sub(t0)})
			return r, nil
		}
		hc.c.Close()
		delete(c.conns, u.Host)
		// A kept connection the server closed meanwhile: try a new one.
		if fresh || attempt > 0 {
			return nil, err
		}
	}
}

func (c *client) conn(host string) (*hconn, bool, error) {
	if hc, ok := c.conns[host]; ok {
		return hc, false, nil
	}
	nc, err := net.DialTimeout("tcp", host, 5*time.Second)
	if err != nil {
		return nil, false, err
	}
	hc := &hconn{c: nc, br: bufio.NewReaderSize(nc, 16<<10), bw: bufio.NewWriterSize(nc, 4<<10)}
	c.conns[host] = hc
	return hc, true, nil
}

func (c *client) roundTrip(hc *hconn, method string, u *url.URL, contentType string, body []byte, buf *bytes.Buffer) (*response, error) {
	hc.c.SetDeadline(time.Now().Add(c.timeout))
	w := hc.bw
	w.WriteString(method)
	w.WriteByte(' ')
	w.WriteString(u.RequestURI())
	w.WriteString(" HTTP/1.1\r\nHost: ")
	w.WriteString(u.Host)
	w.WriteString("\r\n")
	w.Write(c.header)
	if ck := c.jar.header(u.Host, u.Path); ck != "" {
		w.WriteString("Cookie: ")
		w.WriteString(ck)
		w.WriteString("\r\n")
	}
	if method == http.MethodPost {
		w.WriteString("Content-Type: ")
		w.WriteString(contentType)
		w.WriteString("\r\nContent-Length: ")
		w.WriteString(strconv.Itoa(len(body)))
		w.WriteString("\r\n")
		if o := origin(u); o != "" {
			w.WriteString("Origin: ")
			w.WriteString(o)
			w.WriteString("\r\nSec-Fetch-Site: same-origin\r\n")
		}
	}
	w.WriteString("\r\n")
	w.Write(body)
	if err := w.Flush(); err != nil {
		return nil, err
	}
	resp, err := http.ReadResponse(hc.br, &http.Request{Method: method})
	if err != nil {
		return nil, err
	}
	buf.Reset()
	_, err = buf.ReadFrom(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	if resp.Close {
		hc.c.Close()
		delete(c.conns, u.Host)
	}
	if cs := resp.Cookies(); len(cs) > 0 {
		c.jar.set(u.Host, cs)
	}
	return &response{url: u, status: resp.StatusCode, header: resp.Header, body: buf.String()}, nil
}

func origin(u *url.URL) string { return u.Scheme + "://" + u.Host }

// step is one request as a browser waited for it.
type step struct {
	label string // method and path
	end   time.Time
	took  time.Duration
}

// stepLog gathers the requests of one run, from every client as it is
// closed, keeping those that ended in the measured window: where a login's
// time goes, request by request.
var stepLog = &steps{}

type steps struct {
	mu       sync.Mutex
	from, to time.Time
	took     map[string][]time.Duration
}

func (s *steps) reset(from, to time.Time) {
	s.mu.Lock()
	s.from, s.to, s.took = from, to, map[string][]time.Duration{}
	s.mu.Unlock()
}

func (s *steps) add(list []step) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.took == nil {
		return
	}
	for _, st := range list {
		if !st.end.Before(s.from) && !st.end.After(s.to) {
			s.took[st.label] = append(s.took[st.label], st.took)
		}
	}
}

// stats returns the count and percentiles of each kind of request.
func (s *steps) stats() map[string]stepStat {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string]stepStat{}
	for label, d := range s.took {
		slices.Sort(d)
		out[label] = stepStat{N: len(d), P50: pct(d, 50), P95: pct(d, 95)}
	}
	s.took = nil
	return out
}

type stepStat struct {
	N   int           `json:"n"`
	P50 time.Duration `json:"p50"`
	P95 time.Duration `json:"p95"`
}
