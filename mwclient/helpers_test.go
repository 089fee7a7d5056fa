package mwclient

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"
	"time"
)

// Canned answers in MediaWiki's formatversion=2 shapes.
const (
	// cannedUI is a clientlogin UI step whose fields are in no sorted
	// order, carry non-string values, and whose select options are in
	// document order; asked with loginmergerequestfields, so the fields are
	// listed both per request and merged at the top.
	cannedUI = `{
  "clientlogin": {
    "status": "UI",
    "message": "Enter a verification code from your authenticator app.",
    "messagecode": "oathauth-auth-ui",
    "requests": [
      {
        "id": "MediaWiki\\Extension\\OATHAuth\\Auth\\TOTPAuthenticationRequest",
        "metadata": [],
        "required": "required",
        "provider": "Two-factor authentication (OATH).",
        "account": "Bob",
        "fields": {
          "OATHToken": {"type": "string", "label": "Token", "help": "Two-factor authentication token", "optional": false, "sensitive": false}
        }
      },
      {
        "id": "CaptchaAuthenticationRequest",
        "metadata": {"type": "image", "mime": "image/png", "width": 250, "animated": false},
        "required": "required",
        "provider": "CaptchaAuthenticationRequest",
        "account": "CaptchaAuthenticationRequest",
        "fields": []
      }
    ],
    "fields": {
      "zeta": {"type": "string", "label": "Zeta", "help": "", "optional": false, "sensitive": false},
      "OATHToken": {"type": "string", "label": "Token", "help": "Two-factor authentication token", "optional": false, "sensitive": false},
      "colour": {"type": "select", "label": "Colour", "help": "", "optional": false, "sensitive": false, "value": "mango",
        "options": {"zebra": "Zebra <i>stripes</i>", "apple": "Apple", "mango": "Mango"}},
      "topics": {"type": "multiselect", "label": "Topics", "help": "", "optional": true, "sensitive": false, "options": []},
      "pin": {"type": "password", "label": "PIN", "help": "", "optional": false, "sensitive": true},
      "agree": {"type": "checkbox", "label": "Agree", "help": "", "optional": false, "sensitive": false, "value": true},
      "newsletter": {"type": "checkbox", "label": "Newsletter", "help": "", "optional": true, "sensitive": false, "value": false},
      "captchaId": {"type": "hidden", "label": "CAPTCHA ID", "help": "", "optional": false, "sensitive": false, "value": 12345},
      "ratio": {"type": "hidden", "label": "Ratio", "help": "", "optional": false, "sensitive": false, "value": 1.5},
      "captchaInfo": {"type": "null", "label": "CAPTCHA", "help": "", "optional": false, "sensitive": false, "value": "/w/index.php?title=Special:Captcha/image&wpCaptchaId=12345"},
      "nothing": {"type": "null", "label": "", "help": "", "optional": true, "sensitive": false, "value": null}
    }
  }
}`

	cannedRedirect = `{
  "clientlogin": {
    "status": "REDIRECT",
    "redirecttarget": "https://idp.example/authorize?client_id=wiki&state=s1",
    "requests": [
      {
        "id": "MediaWiki\\Extension\\OAuth\\ReturnRequest",
        "metadata": [],
        "required": "required",
        "provider": "Example SSO",
        "account": "",
        "fields": {
          "state": {"type": "string", "label": "state", "help": "", "optional": false, "sensitive": false},
          "code": {"type": "string", "label": "code", "help": "", "optional": false, "sensitive": false}
        }
      }
    ]
  }
}`

	cannedRestart = `{
  "clientlogin": {
    "status": "RESTART",
    "message": "The supplied credentials are not associated with any user on this wiki.",
    "messagecode": "authmanager-authn-no-local-user-link",
    "canpreservestate": true,
    "requests": [
      {"id": "MediaWiki\\Auth\\PasswordAuthenticationRequest", "metadata": [], "required": "primary-required", "provider": "Password-based authentication", "account": ""}
    ],
    "fields": {
      "username": {"type": "string", "label": "Username", "help": "Username for authentication.", "optional": true, "sensitive": false},
      "password": {"type": "password", "label": "Password", "help": "Password for authentication.", "optional": true, "sensitive": true}
    }
  }
}`

	cannedPass = `{"clientlogin":{"status":"PASS","username":"Alice"}}`

	cannedFail = `{"warnings":[{"code":"unrecognizedparams","text":"Unrecognized parameter: bogus.","module":"main"}],
 "clientlogin":{"status":"FAIL","message":"Incorrect username or password entered.\nPlease try again.","messagecode":"wrongpassword","canpreservestate":false}}`

	cannedAuthManagerInfo = `{
  "batchcomplete": true,
  "query": {
    "authmanagerinfo": {
      "canauthenticatenow": true, "cancreateaccounts": false, "canlinkaccounts": true,
      "haspreservedstate": true, "preservedusername": "Alice",
      "requests": [
        {"id": "MediaWiki\\Auth\\PasswordAuthenticationRequest", "metadata": {}, "required": "primary-required", "provider": "Password-based authentication", "account": ""},
        {"id": "MediaWiki\\Auth\\RememberMeAuthenticationRequest", "metadata": [], "required": "optional", "provider": "", "account": ""}
      ],
      "fields": {
        "username": {"type": "string", "label": "Username", "help": "", "optional": true, "sensitive": false},
        "password": {"type": "password", "label": "Password", "help": "", "optional": true, "sensitive": true},
        "rememberMe": {"type": "checkbox", "label": "Keep me logged in", "help": "", "optional": true, "sensitive": false}
      }
    },
    "tokens": {"logintoken": "0123abcd+\\"}
  }
}`

	cannedLoginToken = `{"batchcomplete":true,"query":{"tokens":{"logintoken":"0123abcd+\\"}}}`
	cannedCSRFToken  = `{"batchcomplete":true,"query":{"tokens":{"csrftoken":"9876fedc+\\"}}}`
	cannedUserInfo   = `{"batchcomplete":true,"query":{"userinfo":{"id":7,"name":"Alice","groups":["*","user"],"editcount":12}}}`
)

// cannedAnswers are the canned answers, for the fuzz seed corpus.
var cannedAnswers = []string{cannedUI, cannedRedirect, cannedRestart, cannedPass, cannedFail, cannedAuthManagerInfo,
	cannedLoginToken, cannedCSRFToken, cannedUserInfo}

// newServer starts an httptest server for h, closed at the end of the test.
func newServer(t testing.TB, h http.Handler) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}

// newSession returns a new Session against apiURL. Unless opts has a
// Sleep, a wait before a retry fails the test: tests never really sleep.
func newSession(t testing.TB, apiURL string, opts Options) *Session {
	t.Helper()
	if opts.Sleep == nil {
		opts.Sleep = func(_ context.Context, d time.Duration) error {
			t.Errorf("a real wait of %v in a test", d)
			return errors.New("tests do not sleep")
		}
	}
	c, err := New(apiURL, opts)
	if err != nil {
		t.Fatalf("New(%q): %v", apiURL, err)
	}
	return c.NewSession(nil)
}

// serveJSON answers every request with body as JSON.
func serveJSON(body string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.Write([]byte(body))
	})
}

// byAction answers by the request's action (and, for action=query, by
// meta), from a map like {"query:tokens": ..., "clientlogin": ...}.
func byAction(t testing.TB, answers map[string]string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseForm(); err != nil {
			t.Errorf("ParseForm: %v", err)
		}
		key := r.Form.Get("action")
		if key == "query" {
			key += ":" + r.Form.Get("meta")
		}
		body, ok := answers[key]
		if !ok {
			t.Errorf("unexpected request %s %s", key, r.Form.Encode())
			http.Error(w, "unexpected", http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.Write([]byte(body))
	})
}

// recorded is one request a recorder saw.
type recorded struct {
	Method   string
	RawQuery string
	Query    url.Values
	Body     url.Values // the parsed POST body
	Header   http.Header
}

// recorder records requests and answers them through next.
type recorder struct {
	mu   sync.Mutex
	reqs []recorded
	next http.Handler
}

func (rc *recorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	rc.mu.Lock()
	rc.reqs = append(rc.reqs, recorded{Method: r.Method, RawQuery: r.URL.RawQuery, Query: r.URL.Query(),
		Body: r.PostForm, Header: r.Header.Clone()})
	rc.mu.Unlock()
	rc.next.ServeHTTP(w, r)
}

func (rc *recorder) all() []recorded {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]recorded(nil), rc.reqs...)
}

// param returns a parameter from the query string or the POST body.
func (r recorded) param(name string) string {
	if r.Query.Has(name) {
		return r.Query.Get(name)
	}
	return r.Body.Get(name)
}

func (r recorded) action() string { return r.param("action") }

func fieldNames(fs Fields) []string {
	var out []string
	for _, f := range fs {
		out = append(out, f.Name)
	}
	return out
}

func fieldByName(fs Fields, name string) (Field, bool) {
	for _, f := range fs {
		if f.Name == name {
			return f, true
		}
	}
	return Field{}, false
}

func ctxTimeout(t testing.TB, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}
