package mwclient

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
)

func TestResolve(t *testing.T) {
	c, err := New("http://wiki.example/w/api.php", Options{})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		ref  string
		want string
		same bool
	}{
		{"/w/index.php?title=Special:Captcha/image&wpCaptchaId=123", "http://wiki.example/w/index.php?title=Special:Captcha/image&wpCaptchaId=123", true},
		{"captcha.png", "http://wiki.example/w/captcha.png", true},
		{"../images/c.png", "http://wiki.example/images/c.png", true},
		{"?action=query", "http://wiki.example/w/api.php?action=query", true},
		{"", "http://wiki.example/w/api.php", true},
		{"http://wiki.example/images/c.png", "http://wiki.example/images/c.png", true},
		{"//wiki.example/images/c.png", "http://wiki.example/images/c.png", true},
		{"https://other.example/c.png", "https://other.example/c.png", false},
		{"//other.example/c.png", "http://other.example/c.png", false},
		{"http://wiki.example.evil.example/c.png", "http://wiki.example.evil.example/c.png", false},
		{"http://wiki.example:8080/c.png", "http://wiki.example:8080/c.png", false},
		{"https://wiki.example/c.png", "https://wiki.example/c.png", false}, // scheme changes
		{"javascript:alert(1)", "javascript:alert(1)", false},
		{"data:image/png;base64,AAAA", "data:image/png;base64,AAAA", false},
	}
	for _, tt := range tests {
		t.Run(tt.ref, func(t *testing.T) {
			u, same := c.Resolve(tt.ref)
			if u == nil {
				t.Fatalf("Resolve(%q) = nil", tt.ref)
			}
			if u.String() != tt.want || same != tt.same {
				t.Errorf("Resolve(%q) = %s, %v; want %s, %v", tt.ref, u, same, tt.want, tt.same)
			}
		})
	}
	if u, same := c.Resolve("%zz"); u != nil || same {
		t.Errorf("Resolve(%%zz) = %v, %v; want nil, false", u, same)
	}
}

var pngBytes = []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDRfake")

func TestImage(t *testing.T) {
	var hits atomic.Int32
	var gotUA, gotCookie atomic.Value
	srv := newServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		gotUA.Store(r.Header.Get("User-Agent"))
		if c, err := r.Cookie("wiki_session"); err == nil {
			gotCookie.Store(c.Value)
		}
		switch r.URL.Path {
		case "/w/png":
			w.Header().Set("Content-Type", "image/png")
			w.Write(pngBytes)
		case "/w/jpeg":
			w.Header().Set("Content-Type", "image/jpeg; charset=binary")
			w.Write([]byte("jpeg"))
		case "/w/svg":
			w.Header().Set("Content-Type", "image/svg+xml")
			w.Write([]byte(`<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>`))
		case "/w/svg-upper":
			w.Header().Set("Content-Type", "Image/SVG+XML; charset=utf-8")
			w.Write([]byte(`<svg/>`))
		case "/w/html":
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			w.Write([]byte(`<html>not an image</html>`))
		case "/w/none":
			w.Header()["Content-Type"] = nil
			w.Write([]byte{0, 1, 2})
		case "/w/big":
			w.Header().Set("Content-Type", "image/png")
			w.Write(bytes.Repeat([]byte{1}, 200))
		case "/w/redirect":
			http.Redirect(w, r, "/w/png", http.StatusFound)
		default:
			http.NotFound(w, r)
		}
	}))
	other := newServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t.Errorf("request to another host: %s", r.URL)
		w.Header().Set("Content-Type", "image/png")
		w.Write(pngBytes)
	}))

	c, err := New(srv.URL+"/w/api.php", Options{UserAgent: testUA, MaxResponseBytes: 100})
	if err != nil {
		t.Fatal(err)
	}
	s := c.NewSession([]Cookie{{Name: "wiki_session", Value: "sess-1", Path: "/"}})

	type kind int
	const (
		ok kind = iota
		decodeErr
		httpErr
		refused
	)
	tests := []struct {
		ref    string
		want   kind
		wantCT string
	}{
		{"png", ok, "image/png"},
		{"/w/jpeg", ok, "image/jpeg; charset=binary"},
		{srv.URL + "/w/png", ok, "image/png"},
		{"svg", decodeErr, ""},
		{"svg-upper", decodeErr, ""},
		{"html", decodeErr, ""},
		{"none", decodeErr, ""},
		{"big", decodeErr, ""},
		{"missing", httpErr, ""},
		{"redirect", httpErr, ""},
		{other.URL + "/w/png", refused, ""},
		{"//" + strings.TrimPrefix(other.URL, "http://") + "/w/png", refused, ""},
		{"https://" + strings.TrimPrefix(srv.URL, "http://") + "/w/png", refused, ""},
	}
	for _, tt := range tests {
		t.Run(tt.ref, func(t *testing.T) {
			before := hits.Load()
			ct, body, err := s.Image(context.Background(), tt.ref)
			switch tt.want {
			case ok:
				if err != nil || ct != tt.wantCT || len(body) == 0 {
					t.Fatalf("Image = %q, %d bytes, %v; want %q", ct, len(body), err, tt.wantCT)
				}
				if tt.wantCT == "image/png" && !bytes.Equal(body, pngBytes) {
					t.Errorf("body = %q", body)
				}
				if gotUA.Load() != testUA || gotCookie.Load() != "sess-1" {
					t.Errorf("image request UA %q cookie %q; want the session's", gotUA.Load(), gotCookie.Load())
				}
			case decodeErr:
				var de *DecodeError
				if !errors.As(err, &de) || body != nil {
					t.Fatalf("Image = %q, %d bytes, %v; want *DecodeError", ct, len(body), err)
				}
			case httpErr:
				var he *HTTPError
				if !errors.As(err, &he) {
					t.Fatalf("Image err = %v; want *HTTPError", err)
				}
			case refused:
				if err == nil || body != nil {
					t.Fatalf("Image = %q, %v; want a refusal", ct, err)
				}
				if hits.Load() != before {
					t.Errorf("a request was made for a refused ref")
				}
			}
		})
	}
	if _, _, err := s.Image(context.Background(), "big"); !errors.Is(err, ErrResponseTooLarge) {
		t.Errorf("big image: %v, want ErrResponseTooLarge", err)
	}
}
