package mwclient

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestAPIErrorMatching(t *testing.T) {
	tests := []struct {
		name  string
		body  string
		is    error
		isNot []error
	}{
		{"badtoken", `{"errors":[{"code":"badtoken","text":"Invalid CSRF token.","module":"main"}],"docref":"See api.php","servedby":"mw1"}`,
			ErrBadToken, []error{ErrMissingParam, ErrAssertUserFailed, ErrLoginFailed}},
		{"assertuserfailed", `{"errors":[{"code":"assertuserfailed","text":"You are no longer logged in, so the action could not be completed.","module":"main"}]}`,
			ErrAssertUserFailed, []error{ErrAssertBotFailed, ErrBadToken}},
		{"assertbotfailed", `{"errors":[{"code":"assertbotfailed","text":"x","module":"main"}]}`, ErrAssertBotFailed, []error{ErrAssertUserFailed}},
		{"missingparam", `{"errors":[{"code":"missingparam","text":"The \"logintoken\" parameter must be set.","module":"clientlogin"}]}`,
			ErrMissingParam, []error{ErrMustPostParams}},
		{"mustpostparams", `{"errors":[{"code":"mustpostparams","text":"The following parameter was found in the query string, but must be in the POST body: lgpassword.","module":"main"}]}`,
			ErrMustPostParams, []error{ErrMissingParam}},
		{"readonly", `{"errors":[{"code":"readonly","text":"The wiki is currently in read-only mode.","module":"main"}]}`, ErrReadOnly, []error{ErrRateLimited}},
		{"ratelimited", `{"errors":[{"code":"ratelimited","text":"slow down","module":"main"}]}`, ErrRateLimited, []error{ErrReadOnly}},
		{"notloggedin", `{"errors":[{"code":"notloggedin","text":"x","module":"main"}]}`, ErrNotLoggedIn, []error{ErrAssertUserFailed}},
		{"assertuserfailed is not logged in", `{"errors":[{"code":"assertuserfailed","text":"x","module":"main"}]}`, ErrNotLoggedIn, []error{ErrAssertNamedUserFailed}},
		{"assertnameduserfailed", `{"errors":[{"code":"assertnameduserfailed","text":"You are no longer logged in as \"Bob\", so the action could not be completed.","module":"main"}]}`,
			ErrAssertNamedUserFailed, []error{ErrAssertUserFailed, ErrBadToken}},
		{"assertnameduserfailed is not logged in", `{"errors":[{"code":"assertnameduserfailed","text":"x","module":"main"}]}`, ErrNotLoggedIn, []error{ErrPermissionDenied}},
		{"bc format", `{"error":{"code":"assertnameduserfailed","info":"You are no longer logged in as \"Bob\"."}}`, ErrNotLoggedIn, []error{ErrAssertUserFailed}},
		{"notloggedin is no assert", `{"errors":[{"code":"notloggedin","text":"x","module":"main"}]}`, ErrNotLoggedIn, []error{ErrAssertNamedUserFailed, &APIError{Code: "assertuserfailed"}}},
		{"permissiondenied", `{"errors":[{"code":"permissiondenied","text":"The action you have requested is limited to users in the group: Users.","module":"edit"}]}`,
			ErrPermissionDenied, []error{ErrNotLoggedIn, ErrReadOnly}},
		{"cantcreate", `{"errors":[{"code":"cantcreate","text":"You do not have permission to create new pages.","module":"edit"}]}`, ErrPermissionDenied, []error{ErrNotLoggedIn}},
		{"protectedpage", `{"errors":[{"code":"protectedpage","text":"This page has been protected to prevent editing or other actions.","module":"edit"}]}`, ErrPermissionDenied, nil},
		{"maxlag", `{"errors":[{"code":"maxlag","text":"Waiting for 10.64.0.1: 7 seconds lagged.","data":{"host":"10.64.0.1","lag":7,"type":"db"},"module":"main"}]}`, ErrMaxLag, []error{ErrReadOnly, ErrPermissionDenied}},
		{"text in another language", `{"errors":[{"code":"badtoken","text":"Ungültiges CSRF-Token.","module":"main"}]}`, ErrBadToken, nil},
		{"unknown code", `{"errors":[{"code":"internal_api_error_DBQueryError","text":"[abc] Database query error.","module":"main"}]}`,
			&APIError{Code: "internal_api_error_DBQueryError"}, []error{ErrBadToken, ErrReadOnly}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newServer(t, serveJSON(tt.body))
			s := newSession(t, srv.URL+"/w/api.php", Options{Retries: -1})
			_, err := s.UserInfo(context.Background(), AssertUser)
			var ae *APIError
			if !errors.As(err, &ae) {
				t.Fatalf("err = %#v, want *APIError", err)
			}
			if !errors.Is(err, tt.is) {
				t.Errorf("errors.Is(%v, %v) = false", err, tt.is)
			}
			for _, other := range tt.isNot {
				if errors.Is(err, other) {
					t.Errorf("errors.Is(%v, %v) = true", err, other)
				}
			}
			if ae.Text == "" || !strings.Contains(err.Error(), ae.Code) || !strings.Contains(err.Error(), ae.Text) {
				t.Errorf("Error() = %q; want code and text", err.Error())
			}
			// Matching survives wrapping.
			if !errors.Is(fmt.Errorf("login: %w", err), tt.is) {
				t.Error("errors.Is fails through fmt.Errorf %w")
			}
		})
	}
}

func TestAPIErrorText(t *testing.T) {
	if got := (&APIError{Code: "badtoken"}).Error(); got != "mediawiki api: badtoken" {
		t.Errorf("Error() = %q", got)
	}
	if got := (&APIError{Code: "badtoken", Text: "Invalid CSRF token."}).Error(); got != "mediawiki api: badtoken: Invalid CSRF token." {
		t.Errorf("Error() = %q", got)
	}
}

func TestLoginErrorMatching(t *testing.T) {
	err := error(&LoginError{Result: "Failed", Reason: "Incorrect username or password entered."})
	if !errors.Is(err, ErrLoginFailed) || errors.Is(err, ErrLoginAborted) || errors.Is(err, ErrWrongToken) || errors.Is(err, ErrBadToken) {
		t.Errorf("LoginError{Failed} matches wrongly")
	}
	if errors.Is(ErrBadToken, ErrLoginFailed) {
		t.Error("an APIError matches a LoginError sentinel")
	}
	if !strings.Contains(err.Error(), "Failed") || !strings.Contains(err.Error(), "Incorrect") {
		t.Errorf("Error() = %q", err)
	}
}

// TestResponseErrors covers answers that are not API JSON.
func TestResponseErrors(t *testing.T) {
	const html = `<!DOCTYPE html><html><head><title>Wikimedia Error</title></head><body>Our servers are currently under maintenance.</body></html>`
	tests := []struct {
		name     string
		status   int
		ct       string
		body     string
		maxBytes int64
		check    func(t *testing.T, err error)
	}{
		{"HTML page", 200, "text/html; charset=utf-8", html, 0, func(t *testing.T, err error) {
			var de *DecodeError
			if !errors.As(err, &de) || de.ContentType != "text/html; charset=utf-8" {
				t.Errorf("err = %#v, want *DecodeError with the content type", err)
			}
		}},
		{"HTML page labelled JSON", 200, "application/json", html, 0, func(t *testing.T, err error) {
			var de *DecodeError
			if !errors.As(err, &de) {
				t.Errorf("err = %#v, want *DecodeError", err)
			}
		}},
		{"truncated JSON", 200, "application/json", `{"query":{"userinfo":{"id":1,`, 0, func(t *testing.T, err error) {
			var de *DecodeError
			if !errors.As(err, &de) {
				t.Errorf("err = %#v, want *DecodeError", err)
			}
		}},
		{"empty body", 200, "application/json", ``, 0, func(t *testing.T, err error) {
			var de *DecodeError
			if !errors.As(err, &de) {
				t.Errorf("err = %#v, want *DecodeError", err)
			}
		}},
		{"503", 503, "text/html", html, 0, func(t *testing.T, err error) {
			var he *HTTPError
			if !errors.As(err, &he) || he.StatusCode != 503 || !strings.Contains(he.Status, "503") {
				t.Errorf("err = %#v, want *HTTPError 503", err)
			}
		}},
		{"500 with API JSON", 500, "application/json", `{"errors":[{"code":"internal_api_error","text":"x"}]}`, 0, func(t *testing.T, err error) {
			var he *HTTPError
			if !errors.As(err, &he) || he.StatusCode != 500 {
				t.Errorf("err = %#v, want *HTTPError 500", err)
			}
		}},
		{"429", 429, "text/plain", "Too Many Requests", 0, func(t *testing.T, err error) {
			var he *HTTPError
			if !errors.As(err, &he) || he.StatusCode != 429 {
				t.Errorf("err = %#v, want *HTTPError 429", err)
			}
		}},
		{"too large", 200, "application/json", cannedUserInfo[:len(cannedUserInfo)-1] + strings.Repeat(" ", 100) + "}", int64(len(cannedUserInfo)), func(t *testing.T, err error) {
			var de *DecodeError
			if !errors.As(err, &de) || !errors.Is(err, ErrResponseTooLarge) {
				t.Errorf("err = %#v, want *DecodeError wrapping ErrResponseTooLarge", err)
			}
		}},
		{"one byte too large", 200, "application/json", cannedUserInfo + " ", int64(len(cannedUserInfo)), func(t *testing.T, err error) {
			var de *DecodeError
			if !errors.As(err, &de) || !errors.Is(err, ErrResponseTooLarge) {
				t.Errorf("err = %#v, want *DecodeError wrapping ErrResponseTooLarge", err)
			}
		}},
		{"exactly the limit", 200, "application/json", cannedUserInfo, int64(len(cannedUserInfo)), func(t *testing.T, err error) {
			if err != nil {
				t.Errorf("err = %v, want none for a body of exactly MaxResponseBytes", err)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", tt.ct)
				w.WriteHeader(tt.status)
				w.Write([]byte(tt.body))
			}))
			s := newSession(t, srv.URL+"/w/api.php", Options{MaxResponseBytes: tt.maxBytes})
			_, err := s.UserInfo(context.Background(), AssertNone)
			tt.check(t, err)
			var ae *APIError
			if errors.As(err, &ae) {
				t.Errorf("a non-API answer became an APIError: %v", err)
			}
		})
	}
}

// TestRedirectNotFollowed: a redirect from the API is an error, and neither
// a read nor a POST, password included, goes where it points.
func TestRedirectNotFollowed(t *testing.T) {
	var elsewhere atomic.Int32
	other := newServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		elsewhere.Add(1)
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(cannedPass))
	}))
	ctx := context.Background()
	calls := map[string]func(*Session) error{
		"GET": func(s *Session) error { _, err := s.UserInfo(ctx, AssertNone); return err },
		"POST": func(s *Session) error {
			_, err := s.ClientLogin(ctx, LoginParams{Token: "t", ReturnURL: "https://app.example/", Fields: map[string][]string{"password": {"pw"}}})
			return err
		},
	}
	for _, code := range []int{http.StatusMovedPermanently, http.StatusFound, http.StatusSeeOther, http.StatusTemporaryRedirect, http.StatusPermanentRedirect} {
		for method, call := range calls {
			t.Run(fmt.Sprint(method, code), func(t *testing.T) {
				srv := newServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					http.Redirect(w, r, other.URL+"/steal", code)
				}))
				err := call(newSession(t, srv.URL+"/api.php", Options{}))
				var he *HTTPError
				if !errors.As(err, &he) || he.StatusCode != code {
					t.Fatalf("err = %#v, want *HTTPError %d", err, code)
				}
				if n := elsewhere.Load(); n != 0 {
					t.Fatalf("the redirect was followed (%d requests elsewhere)", n)
				}
			})
		}
	}
}

func TestConnectionRefused(t *testing.T) {
	srv := newServer(t, serveJSON(cannedUserInfo))
	apiURL := srv.URL + "/api.php"
	srv.Close()
	s := newSession(t, apiURL, Options{})
	_, err := s.UserInfo(context.Background(), AssertNone)
	var te *TransportError
	if !errors.As(err, &te) {
		t.Fatalf("err = %#v, want *TransportError", err)
	}
	if te.Action != "query" || te.Unwrap() == nil {
		t.Errorf("TransportError = %+v; want action query and a cause", te)
	}
}

// blockUntilDone is a handler that never answers: it waits for the client
// to give up.
func blockUntilDone(started chan<- struct{}) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Until the body is read the server does not watch the connection,
		// and would not see the client hang up.
		io.Copy(io.Discard, r.Body)
		if started != nil {
			select {
			case started <- struct{}{}:
			default:
			}
		}
		<-r.Context().Done()
	})
}

func TestTimeout(t *testing.T) {
	srv := newServer(t, blockUntilDone(nil))
	s := newSession(t, srv.URL+"/api.php", Options{Timeout: 50 * time.Millisecond})
	tests := []struct {
		name string
		call func(ctx context.Context) error
	}{
		{"UserInfo", func(ctx context.Context) error { _, err := s.UserInfo(ctx, AssertNone); return err }},
		{"ClientLogin", func(ctx context.Context) error {
			_, err := s.ClientLogin(ctx, LoginParams{Token: "t", ReturnURL: "https://app.example/"})
			return err
		}},
		{"Image", func(ctx context.Context) error { _, _, err := s.Image(ctx, "/captcha.png"); return err }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.call(context.Background())
			if !errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("err = %v, want context.DeadlineExceeded", err)
			}
			var te *TransportError
			if !errors.As(err, &te) {
				t.Errorf("err = %#v, want a *TransportError", err)
			}
		})
	}
}

func TestCallerContext(t *testing.T) {
	srv := newServer(t, blockUntilDone(nil))
	// The client's own timeout is long: only the caller's context can end
	// these calls in time.
	s := newSession(t, srv.URL+"/api.php", Options{Timeout: time.Hour})

	t.Run("deadline", func(t *testing.T) {
		_, err := s.UserInfo(ctxTimeout(t, 50*time.Millisecond), AssertNone)
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("err = %v, want context.DeadlineExceeded", err)
		}
	})
	t.Run("cancel", func(t *testing.T) {
		started := make(chan struct{}, 1)
		srv2 := newServer(t, blockUntilDone(started))
		s2 := newSession(t, srv2.URL+"/api.php", Options{Timeout: time.Hour})
		ctx, cancel := context.WithCancel(context.Background())
		go func() { <-started; cancel() }()
		_, err := s2.UserInfo(ctx, AssertNone)
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("err = %v, want context.Canceled", err)
		}
	})
	t.Run("already expired", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		_, err := s.UserInfo(ctx, AssertNone)
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("err = %v, want context.Canceled", err)
		}
	})
}

// deadlineTransport records the deadline of each request's context and
// answers without the network.
type deadlineTransport struct {
	deadline time.Time
	has      bool
}

func (d *deadlineTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	d.deadline, d.has = r.Context().Deadline()
	return &http.Response{StatusCode: 200, Status: "200 OK", Header: http.Header{"Content-Type": {"application/json"}},
		Body: http.NoBody, Request: r}, nil
}

// TestCallerDeadlineEarlierThanTimeout: a caller's deadline shorter than
// Options.Timeout is the one in force.
func TestCallerDeadlineEarlierThanTimeout(t *testing.T) {
	dt := &deadlineTransport{}
	c, err := New("http://wiki.example/api.php", Options{Transport: dt, Timeout: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	ctx := ctxTimeout(t, time.Minute)
	want, _ := ctx.Deadline()
	c.NewSession(nil).UserInfo(ctx, AssertNone)
	if !dt.has || !dt.deadline.Equal(want) {
		t.Fatalf("request deadline = %v (set %v), want the caller's %v", dt.deadline, dt.has, want)
	}

	// Without a caller deadline, Options.Timeout sets one.
	before := time.Now()
	c.NewSession(nil).UserInfo(context.Background(), AssertNone)
	if !dt.has || dt.deadline.Before(before.Add(time.Hour)) || dt.deadline.After(time.Now().Add(time.Hour)) {
		t.Fatalf("request deadline = %v (set %v), want about now+1h", dt.deadline, dt.has)
	}
}
