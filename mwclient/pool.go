package mwclient

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"sync"
	"syscall"
	"time"
)

// pool is the default round tripper: HTTP/1.1 keep-alive connections to the
// wiki, each call written and read in the calling goroutine.
//
// http.Transport gives every connection a reading and a writing goroutine,
// and hands each request and answer between them and the caller: for the
// small, sequential API calls of a login, those hand-offs cost about as much
// CPU as the rest of the call, and under load each one waits for a CPU.
// The wire format here is net/http's own (Request.Write, ReadResponse);
// this file only keeps the connections. A request it does not handle (one
// that goes through a proxy, or a scheme other than http and https) goes
// to the fallback transport.
type pool struct {
	fallback *http.Transport
	dial     func(ctx context.Context, network, addr string) (net.Conn, error)
	tls      *tls.Config
	maxIdle  int           // idle connections kept per host
	idleFor  time.Duration // an idle connection older than this is closed

	mu   sync.Mutex
	idle map[string][]*poolConn // by scheme://host:port, most recently used last
}

type poolConn struct {
	conn net.Conn
	// raw is the TCP connection under conn (under TLS for https), for the
	// liveness check.
	raw    syscall.RawConn
	br     *bufio.Reader
	bw     *bufio.Writer
	key    string
	reused bool
	idleAt time.Time
}

func newPool(fallback *http.Transport) *pool {
	p := &pool{
		fallback: fallback,
		dial:     fallback.DialContext,
		maxIdle:  fallback.MaxIdleConnsPerHost,
		idleFor:  fallback.IdleConnTimeout,
		idle:     map[string][]*poolConn{},
	}
	if p.dial == nil {
		p.dial = (&net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}).DialContext
	}
	if p.maxIdle <= 0 {
		p.maxIdle = http.DefaultMaxIdleConnsPerHost
	}
	if fallback.TLSClientConfig != nil {
		p.tls = fallback.TLSClientConfig.Clone()
	} else {
		p.tls = &tls.Config{}
	}
	// This pool speaks HTTP/1.1 only; say so in the TLS handshake.
	p.tls.NextProtos = []string{"http/1.1"}
	return p
}

// RoundTrip implements http.RoundTripper.
func (p *pool) RoundTrip(req *http.Request) (*http.Response, error) {
	if (req.URL.Scheme != "http" && req.URL.Scheme != "https") || p.proxied(req) {
		return p.fallback.RoundTrip(req)
	}
	for {
		resp, pc, err := p.once(req)
		if err == nil {
			return resp, nil
		}
		if !pc.reused || !retryable(req, err) {
			return nil, err
		}
		// A kept connection the server closed between our liveness check
		// and this request: the request did not reach it; send it again on
		// another connection.
		if req.Body != nil {
			body, gerr := req.GetBody()
			if gerr != nil {
				return nil, err
			}
			r := *req
			r.Body = body
			req = &r
		}
	}
}

// sendError is a failure to write the request: the server has not been sent
// a whole request, so it cannot have acted on it.
type sendError struct{ err error }

func (e sendError) Error() string { return e.err.Error() }
func (e sendError) Unwrap() error { return e.err }

// retryable reports whether a request that failed on a kept connection may
// be sent again: one that was not written in full (if its body can be made
// again), or a GET that got no answer. A POST that was sent may have been
// acted on, so it is never sent twice.
func retryable(req *http.Request, err error) bool {
	if req.Context().Err() != nil || errors.Is(err, os.ErrDeadlineExceeded) {
		return false
	}
	var se sendError
	if errors.As(err, &se) {
		return req.Body == nil || req.GetBody != nil
	}
	return (req.Method == http.MethodGet || req.Method == http.MethodHead) &&
		(errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, syscall.ECONNRESET))
}

// once sends req on one connection. pc is returned (never nil) so that the
// caller knows whether the connection had been kept.
func (p *pool) once(req *http.Request) (*http.Response, *poolConn, error) {
	ctx := req.Context()
	pc, err := p.get(ctx, req.URL)
	if err != nil {
		if req.Body != nil {
			req.Body.Close()
		}
		return nil, &poolConn{}, err
	}
	if d, ok := ctx.Deadline(); ok {
		pc.conn.SetDeadline(d)
	}
	// Cancelling the context puts the deadline in the past, which ends any
	// read or write under way.
	stop := context.AfterFunc(ctx, func() { pc.conn.SetDeadline(time.Unix(1, 0)) })
	resp, err := exchange(pc, req)
	if err != nil {
		stop()
		pc.conn.Close()
		return nil, pc, contextError(ctx, err)
	}
	resp.Body = &poolBody{body: resp.Body, pc: pc, pool: p, ctx: ctx, stop: stop,
		keep: !resp.Close && !req.Close, eof: resp.Body == http.NoBody}
	return resp, pc, nil
}

func exchange(pc *poolConn, req *http.Request) (*http.Response, error) {
	if err := req.Write(pc.bw); err != nil {
		return nil, sendError{err}
	}
	if err := pc.bw.Flush(); err != nil {
		return nil, sendError{err}
	}
	for {
		resp, err := http.ReadResponse(pc.br, req)
		if err != nil {
			return nil, err
		}
		// Informational answers (103 Early Hints) come before the real one.
		if resp.StatusCode < 200 && resp.StatusCode != http.StatusSwitchingProtocols {
			continue
		}
		return resp, nil
	}
}

// contextError turns the I/O error of a deadline or cancellation into the
// context's own error, as http.Transport does: the connection's deadline
// can pass a moment before the context notices its own.
func contextError(ctx context.Context, err error) error {
	if cerr := ctx.Err(); cerr != nil {
		return cerr
	}
	if errors.Is(err, os.ErrDeadlineExceeded) {
		if d, ok := ctx.Deadline(); ok && !time.Now().Before(d) {
			return context.DeadlineExceeded
		}
	}
	return err
}

func (p *pool) proxied(req *http.Request) bool {
	if p.fallback.Proxy == nil {
		return false
	}
	u, err := p.fallback.Proxy(req)
	return err != nil || u != nil
}

// get returns a kept connection that is still open, or dials a new one.
func (p *pool) get(ctx context.Context, u *url.URL) (*poolConn, error) {
	key := u.Scheme + "://" + u.Host
	now := time.Now()
	for {
		p.mu.Lock()
		list := p.idle[key]
		if len(list) == 0 {
			p.mu.Unlock()
			break
		}
		pc := list[len(list)-1]
		list[len(list)-1] = nil
		p.idle[key] = list[:len(list)-1]
		p.mu.Unlock()
		if (p.idleFor <= 0 || now.Sub(pc.idleAt) < p.idleFor) && pc.alive() {
			pc.reused = true
			return pc, nil
		}
		pc.conn.Close()
	}
	port := u.Port()
	if port == "" {
		port = "80"
		if u.Scheme == "https" {
			port = "443"
		}
	}
	conn, err := p.dial(ctx, "tcp", net.JoinHostPort(u.Hostname(), port))
	if err != nil {
		return nil, err
	}
	var raw syscall.RawConn
	if sc, ok := conn.(syscall.Conn); ok {
		raw, _ = sc.SyscallConn()
	}
	if u.Scheme == "https" {
		cfg := p.tls.Clone()
		if cfg.ServerName == "" {
			cfg.ServerName = u.Hostname()
		}
		tc := tls.Client(conn, cfg)
		if err := tc.HandshakeContext(ctx); err != nil {
			conn.Close()
			return nil, err
		}
		conn = tc
	}
	return &poolConn{conn: conn, raw: raw, key: key,
		br: bufio.NewReaderSize(conn, 4<<10), bw: bufio.NewWriterSize(conn, 4<<10)}, nil
}

// put keeps a connection whose last answer was read to its end.
func (p *pool) put(pc *poolConn) {
	if err := pc.conn.SetDeadline(time.Time{}); err != nil {
		pc.conn.Close()
		return
	}
	pc.idleAt = time.Now()
	p.mu.Lock()
	if len(p.idle[pc.key]) < p.maxIdle {
		p.idle[pc.key] = append(p.idle[pc.key], pc)
		pc = nil
	}
	p.mu.Unlock()
	if pc != nil {
		pc.conn.Close()
	}
}

// CloseIdleConnections closes the kept connections (http.Client calls it).
func (p *pool) CloseIdleConnections() {
	p.mu.Lock()
	idle := p.idle
	p.idle = map[string][]*poolConn{}
	p.mu.Unlock()
	for _, list := range idle {
		for _, pc := range list {
			pc.conn.Close()
		}
	}
	p.fallback.CloseIdleConnections()
}

// poolBody gives the connection back to the pool when the answer has been
// read to its end and closed, and closes it otherwise.
type poolBody struct {
	body io.ReadCloser
	pc   *poolConn
	pool *pool
	ctx  context.Context
	stop func() bool
	keep bool // neither side asked to close the connection
	eof  bool
	done bool
}

func (b *poolBody) Read(buf []byte) (int, error) {
	if b.done {
		return 0, errors.New("mwclient: read on a closed response body")
	}
	n, err := b.body.Read(buf)
	switch {
	case err == io.EOF:
		b.eof = true
	case err != nil:
		err = contextError(b.ctx, err)
	}
	return n, err
}

func (b *poolBody) Close() error {
	if b.done {
		return nil
	}
	b.done = true
	if !b.eof {
		// An answer not read to its end leaves the connection unusable.
		// Closing it first also spares reading the rest, which is what
		// closing net/http's body would do.
		b.stop()
		b.pc.conn.Close()
		b.body.Close()
		return nil
	}
	b.body.Close()
	// stop reports false if the cancellation has already put the deadline
	// in the past: that connection is not kept.
	if b.stop() && b.keep {
		b.pool.put(b.pc)
	} else {
		b.pc.conn.Close()
	}
	return nil
}
