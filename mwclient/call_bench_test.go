package mwclient

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// cannedTransport answers every request in memory, so that a benchmark
// measures the client (request building, cookie jar, reading, decoding),
// not a network.
type cannedTransport struct {
	body      string
	setCookie []string
}

func (t cannedTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Body != nil {
		io.Copy(io.Discard, r.Body)
		r.Body.Close()
	}
	h := http.Header{"Content-Type": {"application/json; charset=utf-8"}}
	if len(t.setCookie) > 0 {
		h["Set-Cookie"] = t.setCookie
	}
	return &http.Response{StatusCode: http.StatusOK, Status: "200 OK", Header: h, Request: r,
		Body: io.NopCloser(strings.NewReader(t.body)), ContentLength: int64(len(t.body))}, nil
}

// BenchmarkCall is one API call per module, the way the login flow makes
// it: a Session restored from saved cookies, the call, the decoded answer.
func BenchmarkCall(b *testing.B) {
	saved := []Cookie{{Name: "enwiki_session", Value: "0123456789abcdef0123456789abcdef", Path: "/", HttpOnly: true, Secure: true}}
	pass := []string{"enwiki_session=fedcba9876543210fedcba9876543210; path=/; secure; HttpOnly",
		"enwikiUserID=12345; expires=Sat, 23 May 2037 10:00:00 GMT; Max-Age=15552000; path=/; secure; HttpOnly",
		"enwikiUserName=Alice; expires=Sat, 23 May 2037 10:00:00 GMT; Max-Age=15552000; path=/; secure; HttpOnly"}
	ctx := context.Background()
	for _, tc := range []struct {
		name      string
		body      string
		setCookie []string
		call      func(*Session) error
	}{
		{"tokens", cannedLoginToken, nil, func(s *Session) error { _, err := s.Token(ctx, "login"); return err }},
		{"clientlogin-pass", cannedPass, pass, func(s *Session) error {
			_, err := s.ClientLogin(ctx, LoginParams{Token: "0123abcd+\\", ReturnURL: "https://tool.example/return?mwlogin_state=x",
				Fields: url.Values{"username": {"Alice"}, "password": {"secret"}}})
			return err
		}},
		{"clientlogin-ui", cannedUI, nil, func(s *Session) error {
			_, err := s.ClientLogin(ctx, LoginParams{Token: "0123abcd+\\", Continue: true, Fields: url.Values{"OATHToken": {"123456"}}})
			return err
		}},
		{"authmanagerinfo", cannedAuthManagerInfo, nil, func(s *Session) error {
			_, _, err := s.AuthManagerInfo(ctx, InfoQuery{Lang: "en", LoginToken: true})
			return err
		}},
		{"userinfo", cannedUserInfo, nil, func(s *Session) error { _, err := s.UserInfo(ctx, AssertUser); return err }},
	} {
		b.Run(tc.name, func(b *testing.B) {
			c, err := New("https://wiki.example/w/api.php", Options{Transport: cannedTransport{tc.body, tc.setCookie}})
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				s := c.NewSession(saved)
				if err := tc.call(s); err != nil {
					b.Fatal(err)
				}
				s.Cookies()
			}
		})
	}
}
