package mwclient

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/mwlogin/mwlogin/internal/demowiki"
)

// demo starts a demo wiki and returns its api.php URL and the wiki.
func demo(t *testing.T) (string, *demowiki.Wiki) {
	t.Helper()
	w := demowiki.New()
	srv := newServer(t, w)
	return srv.URL + "/api.php", w
}

func TestBotLoginDemo(t *testing.T) {
	tests := []struct {
		name, user, pass string
		wantErr          error
		notErr           []error
	}{
		{"bot password", demowiki.BotName, demowiki.BotPassword, nil, nil},
		{"wrong password", demowiki.BotName, "wrong", ErrLoginFailed, []error{ErrLoginAborted, ErrWrongToken, ErrNeedToken}},
		{"unknown bot", "Nobody@bot", demowiki.BotPassword, ErrLoginFailed, []error{ErrLoginAborted}},
		{"main account password", demowiki.UserAlice, demowiki.Password, ErrLoginAborted, []error{ErrLoginFailed}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			api, wiki := demo(t)
			s := newSession(t, api, Options{})
			ctx := ctxTimeout(t, 10*time.Second)
			name, err := s.BotLogin(ctx, tt.user, tt.pass)
			if tt.wantErr == nil {
				if err != nil || name != demowiki.UserAlice {
					t.Fatalf("BotLogin = %q, %v; want %q", name, err, demowiki.UserAlice)
				}
				ui, err := s.UserInfo(ctx, AssertUser)
				if err != nil || ui.Name != demowiki.UserAlice || ui.Anon {
					t.Fatalf("UserInfo after bot login = %+v, %v", ui, err)
				}
				if n := wiki.LoggedIn(); n != 1 {
					t.Errorf("wiki has %d logged-in sessions, want 1", n)
				}
				return
			}
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("BotLogin err = %v, want %v", err, tt.wantErr)
			}
			for _, e := range tt.notErr {
				if errors.Is(err, e) {
					t.Errorf("err %v also matches %v", err, e)
				}
			}
			var le *LoginError
			if !errors.As(err, &le) || le.Reason == "" {
				t.Errorf("err = %#v; want a *LoginError with the wiki's reason", err)
			}
			if name != "" {
				t.Errorf("name = %q on failure", name)
			}
			if n := wiki.LoggedIn(); n != 0 {
				t.Errorf("wiki has %d logged-in sessions, want 0", n)
			}
		})
	}
}

// TestBotLoginResults covers action=login answers the demo wiki does not
// give on its own.
func TestBotLoginResults(t *testing.T) {
	tests := []struct {
		name    string
		login   string
		want    error
		reason  string
		wantDec bool
	}{
		{"WrongToken", `{"login":{"result":"WrongToken"}}`, ErrWrongToken, "", false},
		{"NeedToken", `{"warnings":{"login":{"warnings":"x"}},"login":{"result":"NeedToken","token":"abc+\\"}}`, ErrNeedToken, "", false},
		{"Failed, reason as string (errorformat=bc)", `{"login":{"result":"Failed","reason":"Incorrect username or password entered."}}`,
			ErrLoginFailed, "Incorrect username or password entered.", false},
		{"Failed, reason as object", `{"login":{"result":"Failed","reason":{"code":"wrongpassword","text":"Incorrect password."}}}`,
			ErrLoginFailed, "Incorrect password.", false},
		{"Aborted, reason with code only", `{"login":{"result":"Aborted","reason":{"code":"botpasswords-needed"}}}`,
			ErrLoginAborted, "botpasswords-needed", false},
		{"no result", `{"login":{}}`, nil, "", true},
		{"no login member", `{"batchcomplete":true}`, nil, "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newServer(t, byAction(t, map[string]string{"query:tokens": cannedLoginToken, "login": tt.login}))
			s := newSession(t, srv.URL+"/api.php", Options{})
			_, err := s.BotLogin(context.Background(), "Alice@bot", "pw")
			if tt.wantDec {
				var de *DecodeError
				if !errors.As(err, &de) {
					t.Fatalf("err = %#v, want *DecodeError", err)
				}
				return
			}
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			var le *LoginError
			if errors.As(err, &le) && le.Reason != tt.reason {
				t.Errorf("Reason = %q, want %q", le.Reason, tt.reason)
			}
		})
	}
}

func TestBotLoginTokenError(t *testing.T) {
	srv := newServer(t, byAction(t, map[string]string{
		"query:tokens": `{"errors":[{"code":"readonly","text":"The wiki is read-only.","module":"main"}]}`}))
	s := newSession(t, srv.URL+"/api.php", Options{})
	if _, err := s.BotLogin(context.Background(), "Alice@bot", "pw"); !errors.Is(err, ErrReadOnly) {
		t.Fatalf("err = %v, want ErrReadOnly from the token fetch", err)
	}
}

// TestDemoRefusesSecretsInURL sends raw requests the client never makes,
// and decodes the demo wiki's answers with the client's decoder.
func TestDemoRefusesSecretsInURL(t *testing.T) {
	api, _ := demo(t)
	tests := []struct {
		name   string
		method string
		query  url.Values
		want   string
	}{
		{"GET login", http.MethodGet, url.Values{"action": {"login"}, "lgname": {demowiki.BotName}, "lgpassword": {demowiki.BotPassword}}, "mustbeposted"},
		{"POST login with lgpassword in URL", http.MethodPost, url.Values{"action": {"login"}, "lgpassword": {demowiki.BotPassword}}, "mustpostparams"},
		{"POST clientlogin with logintoken in URL", http.MethodPost, url.Values{"action": {"clientlogin"}, "logintoken": {"x"}}, "mustpostparams"},
		{"POST logout with token in URL", http.MethodPost, url.Values{"action": {"logout"}, "token": {"x"}}, "mustpostparams"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q := tt.query
			q.Set("format", "json")
			q.Set("formatversion", "2")
			q.Set("errorformat", "plaintext")
			req, err := http.NewRequest(tt.method, api+"?"+q.Encode(), strings.NewReader(""))
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			var out envelope
			err = decode(resp.Header.Get("Content-Type"), body, &out)
			var ae *APIError
			if !errors.As(err, &ae) || ae.Code != tt.want {
				t.Fatalf("decode(%s) = %v, want APIError %s", body, err, tt.want)
			}
			if tt.want == "mustpostparams" && !errors.Is(err, ErrMustPostParams) {
				t.Errorf("errors.Is(err, ErrMustPostParams) = false")
			}
		})
	}
}

func startDemoLogin(t *testing.T, ctx context.Context, s *Session, fields url.Values) *LoginResult {
	t.Helper()
	_, tok, err := s.AuthManagerInfo(ctx, InfoQuery{LoginToken: true, MergeFields: true})
	if err != nil {
		t.Fatalf("AuthManagerInfo: %v", err)
	}
	r, err := s.ClientLogin(ctx, LoginParams{Token: tok, ReturnURL: "https://app.example/return", Fields: fields})
	if err != nil {
		t.Fatalf("ClientLogin: %v", err)
	}
	return r
}

func TestDemoLoginAssertLogout(t *testing.T) {
	api, wiki := demo(t)
	ctx := ctxTimeout(t, 10*time.Second)
	s := newSession(t, api, Options{})

	if _, err := s.UserInfo(ctx, AssertUser); !errors.Is(err, ErrAssertUserFailed) {
		t.Fatalf("UserInfo(AssertUser) before login: %v, want ErrAssertUserFailed", err)
	}
	anon, err := s.UserInfo(ctx, AssertNone)
	if err != nil || !anon.Anon || anon.ID != 0 {
		t.Fatalf("anonymous UserInfo = %+v, %v", anon, err)
	}

	r := startDemoLogin(t, ctx, s, url.Values{"username": {demowiki.UserAlice}, "password": {demowiki.Password}})
	if r.Status != StatusPass || r.Username != demowiki.UserAlice {
		t.Fatalf("ClientLogin = %+v, want PASS as Alice", r)
	}
	ui, err := s.UserInfo(ctx, AssertUser)
	if err != nil || ui.Name != demowiki.UserAlice || ui.ID == 0 || ui.Anon || len(ui.Groups) == 0 {
		t.Fatalf("UserInfo(AssertUser) after login = %+v, %v", ui, err)
	}
	if _, err := s.UserInfo(ctx, AssertBot); !errors.Is(err, ErrAssertBotFailed) {
		t.Errorf("UserInfo(AssertBot) = %v, want ErrAssertBotFailed", err)
	}

	// The session survives being saved and restored.
	restored := s.Client().NewSession(s.Cookies())
	if ui, err := restored.UserInfo(ctx, AssertUser); err != nil || ui.Name != demowiki.UserAlice {
		t.Fatalf("restored session UserInfo = %+v, %v", ui, err)
	}

	if err := s.Logout(ctx); err != nil {
		t.Fatalf("Logout: %v", err)
	}
	if _, err := s.UserInfo(ctx, AssertUser); !errors.Is(err, ErrAssertUserFailed) {
		t.Fatalf("UserInfo(AssertUser) after Logout: %v, want ErrAssertUserFailed", err)
	}
	for _, c := range s.Cookies() {
		if c.Name == demowiki.CookieName {
			t.Errorf("session cookie kept after logout: %+v", c)
		}
	}
	// The restored copy shared the wiki session, which is gone.
	if _, err := restored.UserInfo(ctx, AssertUser); !errors.Is(err, ErrAssertUserFailed) {
		t.Errorf("restored session after Logout: %v, want ErrAssertUserFailed", err)
	}
	if n := wiki.LoggedIn(); n != 0 {
		t.Errorf("LoggedIn = %d after logout", n)
	}
}

func TestDemoClientLoginErrors(t *testing.T) {
	api, _ := demo(t)
	ctx := ctxTimeout(t, 10*time.Second)
	s := newSession(t, api, Options{})
	tok, err := s.Token(ctx, "login")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		lp   LoginParams
		want error
	}{
		{"bad token", LoginParams{Token: "nope+\\", ReturnURL: "https://app.example/"}, ErrBadToken},
		{"no token", LoginParams{ReturnURL: "https://app.example/"}, ErrMissingParam},
		{"neither return URL nor continue", LoginParams{Token: tok}, ErrMissingParam},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if r, err := s.ClientLogin(ctx, tt.lp); !errors.Is(err, tt.want) {
				t.Fatalf("ClientLogin = %+v, %v; want %v", r, err, tt.want)
			}
		})
	}
	// A session that never fetched a token has none to match.
	other := newSession(t, api, Options{})
	if _, err := other.ClientLogin(ctx, LoginParams{Token: tok, ReturnURL: "https://app.example/"}); !errors.Is(err, ErrBadToken) {
		t.Errorf("token used from another session: %v, want ErrBadToken", err)
	}
	// Logging out a session that is not logged in, with a stale token.
	if err := newSession(t, api, Options{}).Logout(ctx); err != nil {
		t.Errorf("anonymous Logout: %v", err)
	}
}

func TestDemoFlows(t *testing.T) {
	tests := []struct {
		name   string
		fields url.Values
		check  func(t *testing.T, ctx context.Context, s *Session, r *LoginResult)
	}{
		{"wrong password", url.Values{"username": {demowiki.UserAlice}, "password": {"nope"}}, func(t *testing.T, _ context.Context, _ *Session, r *LoginResult) {
			if r.Status != StatusFail || r.MessageCode != "wrongpassword" || r.Message == "" {
				t.Errorf("result = %+v", r)
			}
		}},
		{"2FA", url.Values{"username": {demowiki.UserBob}, "password": {demowiki.Password}}, func(t *testing.T, ctx context.Context, s *Session, r *LoginResult) {
			if r.Status != StatusUI || len(r.Requests) != 1 || !reflect.DeepEqual(fieldNames(r.Requests[0].Fields), []string{"OATHToken"}) {
				t.Fatalf("result = %+v", r)
			}
			tok, err := s.Token(ctx, "login")
			if err != nil {
				t.Fatal(err)
			}
			bad, err := s.ClientLogin(ctx, LoginParams{Token: tok, Continue: true, Fields: url.Values{"OATHToken": {"000000x"}}})
			if err != nil || bad.Status != StatusUI || bad.MessageCode != "oathauth-login-failed" {
				t.Fatalf("wrong code: %+v, %v", bad, err)
			}
			ok, err := s.ClientLogin(ctx, LoginParams{Token: tok, Continue: true,
				Fields: url.Values{"OATHToken": {demowiki.TOTP(demowiki.TOTPSecret, time.Now())}}})
			if err != nil || ok.Status != StatusPass || ok.Username != demowiki.UserBob {
				t.Fatalf("right code: %+v, %v", ok, err)
			}
		}},
		{"every field type, in order", url.Values{"username": {demowiki.UserErin}, "password": {demowiki.Password}}, func(t *testing.T, _ context.Context, _ *Session, r *LoginResult) {
			if r.Status != StatusUI || len(r.Requests) != 1 {
				t.Fatalf("result = %+v", r)
			}
			fs := r.Requests[0].Fields
			if got, want := fieldNames(fs), []string{"notice", "nickname", "pin", "colour", "topics", "terms", "ticket", "newsletter"}; !reflect.DeepEqual(got, want) {
				t.Errorf("field order = %v, want %v", got, want)
			}
			colour, _ := fieldByName(fs, "colour")
			if colour.Value != "green" || !reflect.DeepEqual(colour.Options, []Option{{"red", "Red"}, {"green", "Green"}, {"blue", "Blue"}}) {
				t.Errorf("colour = %+v", colour)
			}
			if pin, _ := fieldByName(fs, "pin"); !pin.Sensitive {
				t.Errorf("pin = %+v", pin)
			}
			if ticket, _ := fieldByName(fs, "ticket"); ticket.Type != FieldHidden || ticket.Value != "demo-ticket-42" {
				t.Errorf("ticket = %+v", ticket)
			}
			if len(r.Requests[0].Metadata) != 0 {
				t.Errorf("empty metadata decoded as %#v", r.Requests[0].Metadata)
			}
		}},
		{"SSO redirect", url.Values{demowiki.SSOButton: {"1"}}, func(t *testing.T, _ context.Context, s *Session, r *LoginResult) {
			if r.Status != StatusRedirect {
				t.Fatalf("result = %+v", r)
			}
			target, same := s.Client().Resolve(r.RedirectTarget)
			if !same || target.Path != "/idp" || target.Query().Get("returnto") != "https://app.example/return" || target.Query().Get("state") == "" {
				t.Errorf("redirect target %s (same host %v)", r.RedirectTarget, same)
			}
			if got := fieldNames(r.Requests[0].Fields); !reflect.DeepEqual(got, []string{"code", "state"}) {
				t.Errorf("return fields = %v", got)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			api, _ := demo(t)
			ctx := ctxTimeout(t, 10*time.Second)
			s := newSession(t, api, Options{})
			tt.check(t, ctx, s, startDemoLogin(t, ctx, s, tt.fields))
		})
	}
}

func TestDemoCaptchaInAuthManagerInfo(t *testing.T) {
	api, _ := demo(t)
	ctx := ctxTimeout(t, 10*time.Second)
	s := newSession(t, api, Options{})
	r := startDemoLogin(t, ctx, s, url.Values{"username": {demowiki.UserDave}, "password": {"wrong"}})
	if r.Status != StatusFail {
		t.Fatalf("first attempt = %+v, want FAIL", r)
	}
	info, _, err := s.AuthManagerInfo(ctx, InfoQuery{Lang: "en"})
	if err != nil {
		t.Fatal(err)
	}
	if len(info.Requests) == 0 || info.Requests[0].ID != "CaptchaAuthenticationRequest" {
		t.Fatalf("requests = %+v, want the captcha first", info.Requests)
	}
	cr := info.Requests[0]
	if !reflect.DeepEqual(cr.Metadata, Metadata{"type": "question", "mime": "text/html"}) {
		t.Errorf("captcha metadata = %#v", cr.Metadata)
	}
	id, _ := fieldByName(cr.Fields, "captchaId")
	if id.Value == "" || id.Type != FieldHidden {
		t.Fatalf("captchaId = %+v", id)
	}
	tok, _ := s.Token(ctx, "login")
	res, err := s.ClientLogin(ctx, LoginParams{Token: tok, ReturnURL: "https://app.example/return", Fields: url.Values{
		"username": {demowiki.UserDave}, "password": {demowiki.Password}, "captchaId": {id.Value}, "captchaWord": {demowiki.CaptchaAnswer}}})
	if err != nil || res.Status != StatusPass || res.Username != demowiki.UserDave {
		t.Fatalf("with the captcha solved: %+v, %v", res, err)
	}
}
