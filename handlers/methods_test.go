package handlers_test

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/mwlogin/mwlogin/handlers"
	"github.com/mwlogin/mwlogin/mwclient"
)

// HEAD of the login page answers as GET does, without a body; a method a
// path does not take gets 405 with Allow and the app's own error page,
// security headers included. Both in a Gin host and through NewHandler.
func TestMethods(t *testing.T) {
	_, api := demo(t)
	ginHost := serve(t, api, nil, nil)

	client, err := mwclient.New(api, mwclient.Options{Timeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewUnstartedServer(nil)
	h, _, err := handlers.NewHandler("/auth", handlers.Options{Client: client, PublicURL: "http://" + ts.Listener.Addr().String(),
		InsecureCookies: true, Keys: [][]byte{[]byte("test-key-0123456789-0123456789-0123456789")}, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/auth/", h)
	ts.Config.Handler = mux
	ts.Start()
	t.Cleanup(ts.Close)

	cases := []struct {
		method, path string
		status       int
		allow        string
	}{
		{http.MethodHead, "/", http.StatusOK, ""},
		{http.MethodPost, "/", http.StatusMethodNotAllowed, "GET, HEAD"},
		{http.MethodPut, "/", http.StatusMethodNotAllowed, "GET, HEAD"},
		{http.MethodDelete, "/", http.StatusMethodNotAllowed, "GET, HEAD"},
		{http.MethodPut, "/login", http.StatusMethodNotAllowed, "GET, HEAD, POST"},
		{http.MethodDelete, "/logout", http.StatusMethodNotAllowed, "GET, HEAD, POST"},
		{http.MethodOptions, "/cancel", http.StatusMethodNotAllowed, "GET, HEAD, POST"},
		{http.MethodPatch, "/restart", http.StatusMethodNotAllowed, "GET, HEAD, POST"},
		// HEAD must not spend a REDIRECT return's single-use state.
		{http.MethodHead, "/return", http.StatusMethodNotAllowed, "GET, POST"},
		{http.MethodPut, "/return", http.StatusMethodNotAllowed, "GET, POST"},
		{http.MethodPost, "/captcha/s/0", http.StatusMethodNotAllowed, "GET"},
		{http.MethodPost, "/static/style.css", http.StatusMethodNotAllowed, "GET, HEAD"},
		{http.MethodHead, "/static/style.css", http.StatusOK, ""},
		{http.MethodHead, "/static/forms.js", http.StatusOK, ""},
		{http.MethodPut, "/static/forms.js", http.StatusMethodNotAllowed, "GET, HEAD"},
		{http.MethodPost, "/auth", http.StatusMethodNotAllowed, "GET, HEAD"},
		{http.MethodDelete, "/whoami", http.StatusMethodNotAllowed, "GET, HEAD"},
		{http.MethodHead, "/auth", http.StatusUnauthorized, ""},
		{http.MethodHead, "/whoami", http.StatusUnauthorized, ""},
	}
	for _, host := range []struct{ name, base string }{{"gin host", ginHost}, {"NewHandler", ts.URL + "/auth"}} {
		for _, tc := range cases {
			t.Run(host.name+" "+tc.method+" "+tc.path, func(t *testing.T) {
				req, _ := http.NewRequest(tc.method, host.base+tc.path, nil)
				req.Header.Set("Sec-Fetch-Site", "same-origin")
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				defer resp.Body.Close()
				body, _ := io.ReadAll(resp.Body)
				if resp.StatusCode != tc.status {
					t.Fatalf("status %d, want %d", resp.StatusCode, tc.status)
				}
				if got := resp.Header.Get("Allow"); got != tc.allow {
					t.Fatalf("Allow %q, want %q", got, tc.allow)
				}
				if resp.Header.Get("Content-Security-Policy") == "" || resp.Header.Get("X-Content-Type-Options") != "nosniff" {
					t.Fatalf("no security headers: %v", resp.Header)
				}
				if tc.status == http.StatusMethodNotAllowed && tc.method != http.MethodHead &&
					(!strings.Contains(resp.Header.Get("Content-Type"), "text/html") || !strings.Contains(string(body), "cannot be used")) {
					t.Fatalf("not the app's error page: %s %s", resp.Header.Get("Content-Type"), body)
				}
			})
		}
	}

	// HEAD / is GET / without the body.
	get, err := http.Get(ginHost + "/")
	if err != nil {
		t.Fatal(err)
	}
	get.Body.Close()
	head, err := http.Head(ginHost + "/")
	if err != nil {
		t.Fatal(err)
	}
	head.Body.Close()
	if head.Header.Get("Content-Type") != get.Header.Get("Content-Type") || head.ContentLength != get.ContentLength {
		t.Fatalf("HEAD: %q %d, GET: %q %d", head.Header.Get("Content-Type"), head.ContentLength,
			get.Header.Get("Content-Type"), get.ContentLength)
	}
}
