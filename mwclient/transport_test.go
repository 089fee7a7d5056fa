package mwclient

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strings"
	"sync"
	"testing"
)

func TestDefaultTransport(t *testing.T) {
	transport := func(t *testing.T, opts Options) http.RoundTripper {
		t.Helper()
		c, err := New("https://wiki.example/w/api.php", opts)
		if err != nil {
			t.Fatal(err)
		}
		return c.rt
	}
	t.Run("default", func(t *testing.T) {
		tr, ok := transport(t, Options{}).(*http.Transport)
		if !ok {
			t.Fatalf("default transport is %T, want *http.Transport", transport(t, Options{}))
		}
		if !tr.ForceAttemptHTTP2 || tr.DisableCompression || tr.Proxy == nil {
			t.Errorf("HTTP/2 %v, compression off %v, proxy from the environment %v; want HTTP/2, gzip and the proxy",
				tr.ForceAttemptHTTP2, tr.DisableCompression, tr.Proxy != nil)
		}
		if tr.MaxIdleConns != DefaultMaxIdleConns || tr.MaxIdleConnsPerHost != DefaultMaxIdleConns {
			t.Errorf("idle connections %d, per host %d; want %d", tr.MaxIdleConns, tr.MaxIdleConnsPerHost, DefaultMaxIdleConns)
		}
		if tr.ResponseHeaderTimeout <= 0 || tr.TLSHandshakeTimeout <= 0 || tr.IdleConnTimeout <= 0 || tr.DialContext == nil {
			t.Errorf("timeouts: header %v, TLS %v, idle %v, dialer set %v; want all set",
				tr.ResponseHeaderTimeout, tr.TLSHandshakeTimeout, tr.IdleConnTimeout, tr.DialContext != nil)
		}
	})
	t.Run("MaxIdleConns", func(t *testing.T) {
		tr := transport(t, Options{MaxIdleConns: 8}).(*http.Transport)
		if tr.MaxIdleConns != 8 || tr.MaxIdleConnsPerHost != 8 {
			t.Errorf("idle connections %d, per host %d; want 8", tr.MaxIdleConns, tr.MaxIdleConnsPerHost)
		}
		if http.DefaultTransport.(*http.Transport).MaxIdleConnsPerHost == 8 {
			t.Error("the option changed http.DefaultTransport")
		}
	})
	t.Run("Options.Transport", func(t *testing.T) {
		own := &deadlineTransport{}
		if got := transport(t, Options{Transport: own, MaxIdleConns: 8}); got != own {
			t.Errorf("transport = %T, want the one given", got)
		}
	})
}

// tlsTransport is NewTransport trusting srv's certificate.
func tlsTransport(srv *httptest.Server) *http.Transport {
	roots := x509.NewCertPool()
	roots.AddCert(srv.Certificate())
	tr := NewTransport()
	tr.TLSClientConfig = &tls.Config{RootCAs: roots}
	return tr
}

// TestHTTP2 checks that NewTransport speaks HTTP/2 to a wiki that offers it,
// and that the session's secure cookie goes back over it.
func TestHTTP2(t *testing.T) {
	var mu sync.Mutex
	var protos []int
	var sent []string
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		protos = append(protos, r.ProtoMajor)
		if c, err := r.Cookie("wiki_session"); err == nil {
			sent = append(sent, c.Value)
		}
		mu.Unlock()
		http.SetCookie(w, &http.Cookie{Name: "wiki_session", Value: "h2", Path: "/", Secure: true, HttpOnly: true})
		serveJSON(cannedUserInfo).ServeHTTP(w, r)
	}))
	srv.EnableHTTP2 = true
	srv.StartTLS()
	t.Cleanup(srv.Close)

	s := newSession(t, srv.URL+"/w/api.php", Options{Transport: tlsTransport(srv)})
	for range 2 {
		if _, err := s.UserInfo(context.Background(), AssertNone); err != nil {
			t.Fatal(err)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if !reflect.DeepEqual(protos, []int{2, 2}) {
		t.Errorf("the server saw HTTP/%v, want HTTP/2 for both calls", protos)
	}
	if !reflect.DeepEqual(sent, []string{"h2"}) {
		t.Errorf("cookies sent back: %q, want the wiki's on the second call only", sent)
	}
}

// gzipped answers with body compressed, as a wiki behind a compressing
// proxy does when the client accepts it.
func gzipped(t *testing.T, body []byte) http.Handler {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(body)
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.Contains(r.Header.Get("Accept-Encoding"), "gzip") {
			http.Error(w, "gzip not accepted", http.StatusNotAcceptable)
			return
		}
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.Header().Set("Content-Encoding", "gzip")
		w.Write(buf.Bytes())
	})
}

func TestGzipAnswer(t *testing.T) {
	srv := newServer(t, gzipped(t, []byte(cannedUserInfo)))
	ui, err := newSession(t, srv.URL+"/w/api.php", Options{}).UserInfo(context.Background(), AssertNone)
	if err != nil {
		t.Fatal(err)
	}
	if want := (&UserInfo{ID: 7, Name: "Alice", Groups: []string{"*", "user"}, EditCount: 12}); !reflect.DeepEqual(ui, want) {
		t.Errorf("UserInfo = %+v, want %+v", ui, want)
	}
}

// TestGzipLimit: MaxResponseBytes bounds the answer as decompressed, so a
// small compressed body cannot fill the memory.
func TestGzipLimit(t *testing.T) {
	body := cannedUserInfo[:len(cannedUserInfo)-1] + strings.Repeat(" ", 1<<20) + "}"
	srv := newServer(t, gzipped(t, []byte(body)))
	_, err := newSession(t, srv.URL+"/w/api.php", Options{MaxResponseBytes: 64 << 10}).UserInfo(context.Background(), AssertNone)
	var de *DecodeError
	if !errors.As(err, &de) || !errors.Is(err, ErrResponseTooLarge) {
		t.Fatalf("err = %#v, want a *DecodeError wrapping ErrResponseTooLarge", err)
	}
}

// TestSessionKeepsWikiCookies: what the wiki sets is sent back in the same
// session, survives Cookies and NewSession, and reaches no other session.
func TestSessionKeepsWikiCookies(t *testing.T) {
	var mu sync.Mutex
	var got []string // the wiki_session cookie of each call, "" for none
	srv := newServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := r.Cookie("wiki_session")
		mu.Lock()
		if err == nil {
			got = append(got, c.Value)
		} else {
			got = append(got, "")
			http.SetCookie(w, &http.Cookie{Name: "wiki_session", Value: "s1", Path: "/", HttpOnly: true})
		}
		mu.Unlock()
		serveJSON(cannedLoginToken).ServeHTTP(w, r)
	}))
	c, err := New(srv.URL+"/w/api.php", Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	tokens := url.Values{"action": {"query"}, "meta": {"tokens"}, "type": {"login"}}
	first := c.NewSession(nil)
	for range 2 {
		if err := first.Get(ctx, tokens, nil); err != nil {
			t.Fatal(err)
		}
	}
	saved := first.Cookies()
	if len(saved) != 1 || saved[0].Name != "wiki_session" || saved[0].Value != "s1" || !saved[0].HttpOnly {
		t.Fatalf("Cookies() = %+v, want the wiki's wiki_session", saved)
	}
	if err := c.NewSession(saved).Get(ctx, tokens, nil); err != nil {
		t.Fatal(err)
	}
	if err := c.NewSession(nil).Get(ctx, tokens, nil); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if want := []string{"", "s1", "s1", ""}; !reflect.DeepEqual(got, want) {
		t.Errorf("cookies the wiki got: %q, want %q", got, want)
	}
}
