//go:build unix && !aix

package mwclient

import (
	"bufio"
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// countingServer is an httptest server that counts the connections it
// accepts.
func countingServer(t *testing.T, h http.HandlerFunc) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	var conns atomic.Int64
	srv := httptest.NewUnstartedServer(h)
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	srv.Start()
	t.Cleanup(srv.Close)
	return srv, &conns
}

func poolClient(tr *http.Transport) (*http.Client, *pool) {
	if tr == nil {
		tr = NewTransport()
	}
	p := newPool(tr)
	return &http.Client{Transport: p}, p
}

func fetch(t *testing.T, hc *http.Client, method, u, body string) string {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, u, rd)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, u, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: reading the body: %v", method, u, err)
	}
	return string(b)
}

func echo(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	fmt.Fprintf(w, "%s %s %s", r.Method, r.URL.RawQuery, b)
}

func TestPoolReusesConnections(t *testing.T) {
	srv, conns := countingServer(t, echo)
	hc, _ := poolClient(nil)
	for i := range 50 {
		method, body := http.MethodGet, ""
		if i%2 == 1 {
			method, body = http.MethodPost, "n="+fmt.Sprint(i)
		}
		got := fetch(t, hc, method, srv.URL+"/api.php?i="+fmt.Sprint(i), body)
		if want := fmt.Sprintf("%s i=%d %s", method, i, body); got != want {
			t.Fatalf("answer %d = %q, want %q", i, got, want)
		}
	}
	if n := conns.Load(); n != 1 {
		t.Errorf("50 calls one after another opened %d connections, want 1", n)
	}

	// At most one connection per call in flight.
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 20 {
				got := fetch(t, hc, http.MethodPost, srv.URL+"/api.php", fmt.Sprintf("g=%d&i=%d", g, i))
				if want := fmt.Sprintf("POST  g=%d&i=%d", g, i); got != want {
					t.Errorf("answer = %q, want %q", got, want)
				}
			}
		})
	}
	wg.Wait()
	if n := conns.Load(); n > 1+8 {
		t.Errorf("8 goroutines opened %d connections in all, want at most 9", n)
	}
}

func TestPoolServerClosedIdleConnection(t *testing.T) {
	srv, conns := countingServer(t, echo)
	hc, _ := poolClient(nil)
	fetch(t, hc, http.MethodGet, srv.URL, "")
	// As a web server does when its keep-alive timeout passes.
	srv.CloseClientConnections()
	time.Sleep(20 * time.Millisecond) // let the FIN arrive
	for _, m := range []string{http.MethodPost, http.MethodGet} {
		if got := fetch(t, hc, m, srv.URL+"?x=1", "b"); !strings.HasPrefix(got, m+" x=1") {
			t.Fatalf("%s after the server closed the idle connection: %q", m, got)
		}
	}
	if n := conns.Load(); n != 2 {
		t.Errorf("connections = %d, want 2 (the closed one replaced once)", n)
	}
}

func TestPoolHonoursConnectionClose(t *testing.T) {
	srv, conns := countingServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Connection", "close")
		echo(w, r)
	})
	hc, p := poolClient(nil)
	for range 3 {
		fetch(t, hc, http.MethodGet, srv.URL, "")
	}
	if n := conns.Load(); n != 3 {
		t.Errorf("connections = %d, want 3 (one per answer that closes it)", n)
	}
	if n := len(p.idle); n != 0 {
		t.Errorf("%d hosts with kept connections, want none", n)
	}
}

// TestPoolKeepsConnectionAfterEmptyAnswer: an answer without a body (204)
// needs no reading before its connection is kept.
func TestPoolKeepsConnectionAfterEmptyAnswer(t *testing.T) {
	srv, conns := countingServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusNoContent)
	})
	hc, _ := poolClient(nil)
	for range 3 {
		resp, err := hc.Get(srv.URL)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	if n := conns.Load(); n != 1 {
		t.Errorf("connections = %d, want 1", n)
	}
}

func TestPoolChunkedAnswer(t *testing.T) {
	want := strings.Repeat("0123456789", 2000)
	srv, conns := countingServer(t, func(w http.ResponseWriter, r *http.Request) {
		for i := 0; i < len(want); i += 7000 {
			io.WriteString(w, want[i:min(i+7000, len(want))])
			w.(http.Flusher).Flush()
		}
	})
	hc, _ := poolClient(nil)
	for range 3 {
		if got := fetch(t, hc, http.MethodGet, srv.URL, ""); got != want {
			t.Fatalf("chunked body: got %d bytes, want %d", len(got), len(want))
		}
	}
	if n := conns.Load(); n != 1 {
		t.Errorf("connections = %d, want 1", n)
	}
}

func TestPoolBodyNotReadToTheEnd(t *testing.T) {
	srv, conns := countingServer(t, func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, strings.Repeat("x", 10000))
	})
	hc, _ := poolClient(nil)
	for range 2 {
		resp, err := hc.Get(srv.URL)
		if err != nil {
			t.Fatal(err)
		}
		io.ReadFull(resp.Body, make([]byte, 10))
		resp.Body.Close()
	}
	if n := conns.Load(); n != 2 {
		t.Errorf("connections = %d, want 2: an answer not read to its end leaves its connection unusable", n)
	}
}

// TestPoolCloseDoesNotReadTheRest: closing an endless answer returns at
// once, instead of reading it until the call's deadline.
func TestPoolCloseDoesNotReadTheRest(t *testing.T) {
	srv, _ := countingServer(t, func(w http.ResponseWriter, r *http.Request) {
		chunk := strings.Repeat("x", 32<<10)
		for r.Context().Err() == nil {
			if _, err := io.WriteString(w, chunk); err != nil {
				return
			}
			w.(http.Flusher).Flush()
		}
	})
	hc, _ := poolClient(nil)
	// The deadline ends a Close that reads the rest, so that the test fails
	// instead of hanging.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL, nil)
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.ReadFull(resp.Body, make([]byte, 100))
	closed := make(chan struct{})
	go func() { resp.Body.Close(); close(closed) }()
	select {
	case <-closed:
	case <-time.After(10 * time.Second):
		t.Fatal("Close kept reading an endless answer")
	}
}

func TestPoolCancel(t *testing.T) {
	hang := blockUntilDone(nil)
	srv, _ := countingServer(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("hang") != "" {
			hang.ServeHTTP(w, r)
			return
		}
		echo(w, r)
	})
	hc, p := poolClient(nil)
	fetch(t, hc, http.MethodGet, srv.URL, "") // one kept connection

	for _, tc := range []struct {
		name string
		ctx  func() (context.Context, context.CancelFunc)
		want error
	}{
		{"cancel", func() (context.Context, context.CancelFunc) {
			ctx, cancel := context.WithCancel(context.Background())
			time.AfterFunc(50*time.Millisecond, cancel)
			return ctx, cancel
		}, context.Canceled},
		{"deadline", func() (context.Context, context.CancelFunc) {
			return context.WithTimeout(context.Background(), 50*time.Millisecond)
		}, context.DeadlineExceeded},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := tc.ctx()
			defer cancel()
			req, _ := http.NewRequestWithContext(ctx, http.MethodPost, srv.URL+"?hang=1", strings.NewReader("a=b"))
			done := make(chan error, 1)
			go func() {
				resp, err := hc.Do(req)
				if err == nil {
					resp.Body.Close()
				}
				done <- err
			}()
			select {
			case err := <-done:
				if !errors.Is(err, tc.want) {
					t.Errorf("err = %v, want %v", err, tc.want)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("the call did not end when its context did")
			}
		})
	}
	// The connections of the ended calls are not kept; the pool still works.
	if got := fetch(t, hc, http.MethodGet, srv.URL+"?q=1", ""); got != "GET q=1 " {
		t.Errorf("after the cancelled calls: %q", got)
	}
	p.mu.Lock()
	kept := len(p.idle[p.keyOf(srv.URL)])
	p.mu.Unlock()
	if kept != 1 {
		t.Errorf("kept connections = %d, want 1", kept)
	}
}

func (p *pool) keyOf(raw string) string {
	u, _ := url.Parse(raw)
	return u.Scheme + "://" + u.Host
}

// TestPoolTLS: https with the wiki's certificate checked, HTTP/1.1 chosen
// even when the server offers HTTP/2, and the connection kept.
func TestPoolTLS(t *testing.T) {
	var conns atomic.Int64
	var protos sync.Map
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		protos.Store(r.Proto, true)
		echo(w, r)
	}))
	srv.EnableHTTP2 = true
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	srv.StartTLS()
	defer srv.Close()

	// Without the server's certificate, the handshake fails.
	hc, _ := poolClient(nil)
	if _, err := hc.Get(srv.URL); err == nil {
		t.Fatal("an untrusted certificate was accepted")
	}

	tr := NewTransport()
	roots := x509.NewCertPool()
	roots.AddCert(srv.Certificate())
	tr.TLSClientConfig.RootCAs = roots
	hc, _ = poolClient(tr)
	before := conns.Load()
	for i := range 5 {
		if got := fetch(t, hc, http.MethodPost, srv.URL+"/api.php", fmt.Sprint(i)); got != "POST  "+fmt.Sprint(i) {
			t.Fatalf("answer = %q", got)
		}
	}
	if n := conns.Load() - before; n != 1 {
		t.Errorf("connections = %d, want 1", n)
	}
	protos.Range(func(k, _ any) bool {
		if k != "HTTP/1.1" {
			t.Errorf("request arrived as %v, want HTTP/1.1", k)
		}
		return true
	})
}

func TestPoolLeavesProxiedRequestsToTheFallback(t *testing.T) {
	var proxied atomic.Int64
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		proxied.Add(1)
		io.WriteString(w, "via proxy "+r.URL.String())
	}))
	defer proxy.Close()
	pu, _ := url.Parse(proxy.URL)
	tr := NewTransport()
	tr.Proxy = http.ProxyURL(pu)
	hc, _ := poolClient(tr)
	if got := fetch(t, hc, http.MethodGet, "http://wiki.invalid/api.php", ""); got != "via proxy http://wiki.invalid/api.php" {
		t.Errorf("answer = %q", got)
	}
	if proxied.Load() != 1 {
		t.Errorf("the proxy saw %d requests, want 1", proxied.Load())
	}
}

// TestPoolResendsOnlyWhatIsSafe: a server that reads a request on a kept
// connection and closes it without answering. A GET is sent again on a new
// connection; a POST may have been acted on, so it fails instead.
func TestPoolResendsOnlyWhatIsSafe(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	var seen sync.Map // request line -> times seen
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				br := bufio.NewReader(c)
				for n := 0; ; n++ {
					req, err := http.ReadRequest(br)
					if err != nil {
						return
					}
					io.Copy(io.Discard, req.Body)
					key := req.Method + " " + req.URL.RequestURI()
					v, _ := seen.LoadOrStore(key, new(atomic.Int64))
					v.(*atomic.Int64).Add(1)
					if n == 1 { // the second request on a connection: hang up
						return
					}
					fmt.Fprintf(c, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
				}
			}()
		}
	}()
	base := "http://" + ln.Addr().String()
	count := func(key string) int64 {
		v, ok := seen.Load(key)
		if !ok {
			return 0
		}
		return v.(*atomic.Int64).Load()
	}

	hc, _ := poolClient(nil)
	fetch(t, hc, http.MethodGet, base+"/a", "")
	if got := fetch(t, hc, http.MethodGet, base+"/b", ""); got != "ok" {
		t.Errorf("GET on a connection closed under it: %q", got)
	}
	if n := count("GET /b"); n != 2 {
		t.Errorf("GET /b reached the server %d times, want 2 (sent again once)", n)
	}

	hc, _ = poolClient(nil)
	fetch(t, hc, http.MethodGet, base+"/c", "")
	resp, err := hc.Post(base+"/d", "application/x-www-form-urlencoded", strings.NewReader("a=b"))
	if err == nil {
		resp.Body.Close()
		t.Fatal("a POST whose connection closed before the answer succeeded")
	}
	if n := count("POST /d"); n != 1 {
		t.Errorf("POST /d reached the server %d times, want 1", n)
	}
}
