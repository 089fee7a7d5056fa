package mwclient

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// allAnswers answers every call this package makes.
var allAnswers = map[string]string{
	"query:tokens":                 cannedLoginToken,
	"query:authmanagerinfo":        cannedAuthManagerInfo,
	"query:authmanagerinfo|tokens": cannedAuthManagerInfo,
	"query:userinfo":               cannedUserInfo,
	"clientlogin":                  cannedPass,
	"login":                        `{"login":{"result":"Success","lguserid":1,"lgusername":"Alice"}}`,
	"logout":                       `{}`,
}

// tokenAnswers answers meta=tokens by type, so Logout gets a csrf token.
func tokenAnswers(t *testing.T) http.Handler {
	h := byAction(t, allAnswers)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		if r.Form.Get("meta") == "tokens" && r.Form.Get("type") == "csrf" {
			w.Header().Set("Content-Type", "application/json")
			w.Write([]byte(cannedCSRFToken))
			return
		}
		h.ServeHTTP(w, r)
	})
}

const (
	testUA       = "mwlogin-test/1.0 (https://tool.example; ops@example.org) mwclient"
	testPassword = "hunter2-SECRET"
	testBotPass  = "botpass-SECRET-0123456789"
)

// runEveryCall makes every kind of call once, failing the test on error.
func runEveryCall(t *testing.T, ctx context.Context, s *Session) {
	t.Helper()
	steps := []struct {
		name string
		run  func() error
	}{
		{"LoginToken", func() error { _, err := s.Token(ctx, "login"); return err }},
		{"AuthManagerInfo", func() error {
			_, _, err := s.AuthManagerInfo(ctx, InfoQuery{Lang: "de", MergeFields: true, LoginToken: true})
			return err
		}},
		{"ClientLogin", func() error {
			_, err := s.ClientLogin(ctx, LoginParams{Token: `0123abcd+\`, ReturnURL: "https://app.example/return",
				Fields: url.Values{"username": {"Alice"}, "password": {testPassword}}, Lang: "de"})
			return err
		}},
		{"ClientLogin continue", func() error {
			_, err := s.ClientLogin(ctx, LoginParams{Token: `0123abcd+\`, Continue: true,
				Fields: url.Values{"OATHToken": {"123456"}}})
			return err
		}},
		{"BotLogin", func() error { _, err := s.BotLogin(ctx, "Alice@bot", testBotPass); return err }},
		{"UserInfo", func() error { _, err := s.UserInfo(ctx, AssertUser); return err }},
		{"Logout", func() error { return s.Logout(ctx) }},
	}
	for _, st := range steps {
		if err := st.run(); err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
	}
}

func TestSecretsArePosted(t *testing.T) {
	rec := &recorder{next: tokenAnswers(t)}
	srv := newServer(t, rec)
	s := newSession(t, srv.URL+"/w/api.php", Options{UserAgent: testUA})
	runEveryCall(t, context.Background(), s)

	secretParams := []string{"password", "logintoken", "lgpassword", "lgtoken", "token", "lgname", "username", "OATHToken"}
	secretValues := []string{testPassword, testBotPass, "0123abcd", "9876fedc", "123456"}
	posted := map[string]int{}
	for _, r := range rec.all() {
		action := r.action()
		switch action {
		case "clientlogin", "login", "logout":
			posted[action]++
			if r.Method != http.MethodPost {
				t.Errorf("%s sent with %s, want POST", action, r.Method)
			}
			if ct := r.Header.Get("Content-Type"); ct != "application/x-www-form-urlencoded" {
				t.Errorf("%s Content-Type = %q", action, ct)
			}
			if r.RawQuery != "" {
				t.Errorf("%s has a query string %q; every parameter of a secret-bearing call belongs in the body", action, r.RawQuery)
			}
			for _, p := range secretParams {
				if r.Query.Has(p) {
					t.Errorf("%s: %s in the URL", action, p)
				}
			}
			for _, v := range secretValues {
				if strings.Contains(r.RawQuery, v) || strings.Contains(r.RawQuery, url.QueryEscape(v)) {
					t.Errorf("%s: secret value %q in the URL", action, v)
				}
			}
		}
		switch action {
		case "clientlogin":
			if r.Body.Get("logintoken") != `0123abcd+\` {
				t.Errorf("clientlogin logintoken = %q", r.Body.Get("logintoken"))
			}
			if r.Body.Has("password") && r.Body.Get("password") != testPassword {
				t.Errorf("clientlogin password = %q", r.Body.Get("password"))
			}
		case "login":
			if r.Body.Get("lgpassword") != testBotPass || r.Body.Get("lgtoken") != `0123abcd+\` || r.Body.Get("lgname") != "Alice@bot" {
				t.Errorf("login body = %v", r.Body)
			}
		case "logout":
			if r.Body.Get("token") != `9876fedc+\` {
				t.Errorf("logout token = %q", r.Body.Get("token"))
			}
		case "query":
			if r.Method != http.MethodGet {
				t.Errorf("query sent with %s, want GET", r.Method)
			}
		default:
			t.Errorf("unexpected action %q", action)
		}
	}
	if posted["clientlogin"] != 2 || posted["login"] != 1 || posted["logout"] != 1 {
		t.Errorf("posted calls = %v", posted)
	}
}

func TestCommonParameters(t *testing.T) {
	rec := &recorder{next: tokenAnswers(t)}
	srv := newServer(t, rec)
	s := newSession(t, srv.URL+"/w/api.php", Options{UserAgent: testUA})
	runEveryCall(t, context.Background(), s)
	reqs := rec.all()
	if len(reqs) < 9 {
		t.Fatalf("only %d requests recorded", len(reqs))
	}
	for _, r := range reqs {
		for p, want := range map[string]string{"format": "json", "formatversion": "2", "errorformat": "plaintext"} {
			if got := r.param(p); got != want {
				t.Errorf("%s %s: %s = %q, want %q", r.Method, r.action(), p, got, want)
			}
		}
		if got := r.Header.Get("User-Agent"); got != testUA {
			t.Errorf("%s: User-Agent = %q, want %q", r.action(), got, testUA)
		}
		if got := r.Header.Get("Accept"); got != "application/json" {
			t.Errorf("%s: Accept = %q", r.action(), got)
		}
	}
}

func TestDefaultUserAgent(t *testing.T) {
	rec := &recorder{next: serveJSON(cannedUserInfo)}
	srv := newServer(t, rec)
	s := newSession(t, srv.URL+"/api.php", Options{})
	if _, err := s.UserInfo(context.Background(), AssertNone); err != nil {
		t.Fatal(err)
	}
	ua := rec.all()[0].Header.Get("User-Agent")
	if !strings.HasPrefix(ua, "mwlogin-mwclient/") || strings.HasPrefix(ua, "Go-http-client") {
		t.Errorf("default User-Agent = %q", ua)
	}
}

func TestWithHeader(t *testing.T) {
	rec := &recorder{next: serveJSON(cannedUserInfo)}
	srv := newServer(t, rec)
	s := newSession(t, srv.URL+"/api.php", Options{UserAgent: testUA})

	base := context.Background()
	ctx1 := WithHeader(base, "X-Request-Id", "req-1")
	ctx2 := WithHeader(ctx1, "X-Forwarded-For", "203.0.113.7")
	ctx3 := WithHeader(ctx2, "X-Request-Id", "req-3")
	ctxUA := WithHeader(base, "User-Agent", "spoofed")
	tests := []struct {
		name string
		ctx  context.Context
		want map[string]string // "" means absent
	}{
		{"none", base, map[string]string{"X-Request-Id": "", "X-Forwarded-For": ""}},
		{"one", ctx1, map[string]string{"X-Request-Id": "req-1", "X-Forwarded-For": ""}},
		{"two", ctx2, map[string]string{"X-Request-Id": "req-1", "X-Forwarded-For": "203.0.113.7"}},
		{"overridden", ctx3, map[string]string{"X-Request-Id": "req-3", "X-Forwarded-For": "203.0.113.7"}},
		{"parent unchanged after children", ctx1, map[string]string{"X-Request-Id": "req-1", "X-Forwarded-For": ""}},
		{"User-Agent stays the configured one", ctxUA, map[string]string{"User-Agent": testUA}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := len(rec.all())
			if _, err := s.UserInfo(tt.ctx, AssertNone); err != nil {
				t.Fatal(err)
			}
			r := rec.all()[n]
			for k, want := range tt.want {
				if got := r.Header.Get(k); got != want {
					t.Errorf("%s = %q, want %q", k, got, want)
				}
				if want == "" && len(r.Header.Values(k)) != 0 {
					t.Errorf("%s present: %v", k, r.Header.Values(k))
				}
			}
		})
	}

	// Headers also go with POSTs.
	n := len(rec.all())
	s.ClientLogin(ctx2, LoginParams{Token: "t", ReturnURL: "https://app.example/"})
	if r := rec.all()[n]; r.Header.Get("X-Forwarded-For") != "203.0.113.7" || r.Method != http.MethodPost {
		t.Errorf("POST headers = %v", r.Header)
	}
}

func TestClientLoginParameters(t *testing.T) {
	tests := []struct {
		name   string
		lp     LoginParams
		want   map[string]string // "" means absent
		fields url.Values
	}{
		{"begin", LoginParams{Token: "tok", ReturnURL: "https://app.example/cb?x=1",
			Fields: url.Values{"username": {"Alice"}, "password": {"pw"}, "rememberMe": {"1"}}},
			map[string]string{"action": "clientlogin", "logintoken": "tok", "loginreturnurl": "https://app.example/cb?x=1",
				"loginmessageformat": "html", "logincontinue": "", "loginpreservestate": "", "loginmergerequestfields": "",
				"loginrequests": "", "uselang": ""},
			url.Values{"username": {"Alice"}, "password": {"pw"}, "rememberMe": {"1"}}},
		{"continue", LoginParams{Token: "tok", Continue: true, Fields: url.Values{"OATHToken": {"123456"}}},
			map[string]string{"logincontinue": "1", "loginreturnurl": ""}, url.Values{"OATHToken": {"123456"}}},
		{"all options", LoginParams{Token: "tok", ReturnURL: "https://app.example/", PreserveState: true, MergeFields: true,
			Requests: []string{`MediaWiki\Auth\PasswordAuthenticationRequest`, `MediaWiki\Auth\RememberMeAuthenticationRequest`}, Lang: "de"},
			map[string]string{"loginpreservestate": "1", "loginmergerequestfields": "1", "uselang": "de",
				"loginrequests": `MediaWiki\Auth\PasswordAuthenticationRequest|MediaWiki\Auth\RememberMeAuthenticationRequest`}, nil},
		{"fields cannot override the call", LoginParams{Token: "tok", ReturnURL: "https://app.example/",
			Fields: url.Values{"action": {"edit"}, "format": {"xml"}, "logintoken": {"evil"}}},
			map[string]string{"action": "clientlogin", "format": "json", "logintoken": "tok"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := &recorder{next: serveJSON(cannedPass)}
			srv := newServer(t, rec)
			s := newSession(t, srv.URL+"/api.php", Options{})
			before := tt.lp.Fields.Encode()
			if _, err := s.ClientLogin(context.Background(), tt.lp); err != nil {
				t.Fatal(err)
			}
			if tt.lp.Fields.Encode() != before {
				t.Errorf("ClientLogin changed the caller's Fields: %s -> %s", before, tt.lp.Fields.Encode())
			}
			r := rec.all()[0]
			for k, want := range tt.want {
				if got := r.Body.Get(k); got != want || (want == "" && r.Body.Has(k)) {
					t.Errorf("%s = %q (present %v), want %q", k, got, r.Body.Has(k), want)
				}
			}
			for k, v := range tt.fields {
				if got := r.Body[k]; strings.Join(got, ",") != strings.Join(v, ",") {
					t.Errorf("field %s = %v, want %v", k, got, v)
				}
			}
		})
	}
}

func TestAuthManagerInfoParameters(t *testing.T) {
	tests := []struct {
		name string
		q    InfoQuery
		want map[string]string // "" means absent
	}{
		{"plain", InfoQuery{}, map[string]string{"action": "query", "meta": "authmanagerinfo", "amirequestsfor": "login",
			"amimessageformat": "html", "amimergerequestfields": "", "type": "", "uselang": ""}},
		{"merged, token, language", InfoQuery{Lang: "fr", MergeFields: true, LoginToken: true},
			map[string]string{"meta": "authmanagerinfo|tokens", "type": "login", "amimergerequestfields": "1", "uselang": "fr"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := &recorder{next: serveJSON(cannedAuthManagerInfo)}
			srv := newServer(t, rec)
			s := newSession(t, srv.URL+"/api.php", Options{})
			if _, _, err := s.AuthManagerInfo(context.Background(), tt.q); err != nil {
				t.Fatal(err)
			}
			r := rec.all()[0]
			if r.Method != http.MethodGet {
				t.Errorf("method %s, want GET", r.Method)
			}
			for k, want := range tt.want {
				if got := r.Query.Get(k); got != want || (want == "" && r.Query.Has(k)) {
					t.Errorf("%s = %q, want %q", k, got, want)
				}
			}
		})
	}
}

func TestUserInfoParameters(t *testing.T) {
	for _, tt := range []struct {
		assert Assert
		want   string
	}{{AssertNone, ""}, {AssertUser, "user"}, {AssertBot, "bot"}} {
		rec := &recorder{next: serveJSON(cannedUserInfo)}
		srv := newServer(t, rec)
		s := newSession(t, srv.URL+"/api.php", Options{})
		if _, err := s.UserInfo(context.Background(), tt.assert); err != nil {
			t.Fatal(err)
		}
		r := rec.all()[0]
		if got := r.Query.Get("assert"); got != tt.want || (tt.want == "" && r.Query.Has("assert")) {
			t.Errorf("assert %q sent as %q", tt.assert, got)
		}
		if r.Query.Get("meta") != "userinfo" || r.Query.Get("uiprop") != "groups|editcount" {
			t.Errorf("query = %v", r.Query)
		}
	}
}

func TestNewRejectsBadURLs(t *testing.T) {
	for _, u := range []string{"", "api.php", "/w/api.php", "ftp://wiki.example/api.php", "http://", "https:///api.php", "http://wiki.example:bad/", "javascript:alert(1)"} {
		if c, err := New(u, Options{}); err == nil {
			t.Errorf("New(%q) = %v, want an error", u, c.APIURL())
		}
	}
	c, err := New("https://wiki.example/w/api.php?action=query#frag", Options{})
	if err != nil {
		t.Fatal(err)
	}
	got := c.APIURL()
	if got.String() != "https://wiki.example/w/api.php" {
		t.Errorf("APIURL = %s, want the URL without query and fragment", got)
	}
	got.Host = "evil.example"
	if c.APIURL().Host != "wiki.example" {
		t.Error("APIURL returns the client's own URL, not a copy")
	}
	if s := c.NewSession(nil); s.Client() != c {
		t.Error("Session.Client() is not the client")
	}
}
