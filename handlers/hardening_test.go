package handlers_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/mwlogin/mwlogin/handlers"
	"github.com/mwlogin/mwlogin/internal/browsertest"
	"github.com/mwlogin/mwlogin/internal/demowiki"
	"github.com/mwlogin/mwlogin/internal/middleware"
	"github.com/mwlogin/mwlogin/mwclient"
)

// serve mounts the app at / with opts on top of working defaults, in front
// of the given wiki API, and returns the app's URL.
func serve(t *testing.T, apiURL string, engine func(*gin.Engine), opts func(*handlers.Options)) string {
	t.Helper()
	gin.SetMode(gin.ReleaseMode)
	client, err := mwclient.New(apiURL, mwclient.Options{Timeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewUnstartedServer(nil)
	public := "http://" + ts.Listener.Addr().String()
	r := gin.New()
	if engine != nil {
		engine(r)
	}
	o := handlers.Options{Client: client, PublicURL: public, InsecureCookies: true,
		Keys: [][]byte{[]byte("test-key-0123456789-0123456789-0123456789")}, Logger: slog.New(slog.DiscardHandler)}
	if opts != nil {
		opts(&o)
	}
	if _, err := handlers.Register(r.Group("/"), o); err != nil {
		t.Fatal(err)
	}
	ts.Config.Handler = r
	ts.Start()
	t.Cleanup(ts.Close)
	return ts.URL
}

func demo(t *testing.T) (*demowiki.Wiki, string) {
	w := demowiki.New()
	ts := httptest.NewServer(w)
	t.Cleanup(ts.Close)
	return w, ts.URL + "/api.php"
}

func TestCSRFOnEveryPostRoute(t *testing.T) {
	_, api := demo(t)
	base := serve(t, api, nil, nil)
	for _, route := range []string{"/login", "/restart", "/cancel", "/logout"} {
		for _, hdr := range []map[string]string{{"Sec-Fetch-Site": "cross-site"}, {"Origin": "https://evil.example"}} {
			b := browsertest.New(t)
			csrf := b.Get(base + "/").Form("/login").Values.Get("csrf")
			for k, v := range hdr {
				b.Header.Set(k, v)
			}
			p := b.Post(base+route, url.Values{"csrf": {csrf}, "step": {"fresh"}, "username": {"Alice"}, "password": {demowiki.Password}})
			if p.Status != http.StatusForbidden {
				t.Errorf("%s with %v: status %d", route, hdr, p.Status)
			}
		}
		// Same site, no token.
		b := browsertest.New(t)
		b.Get(base + "/")
		if p := b.Post(base+route, url.Values{"step": {"fresh"}}); p.Status != http.StatusForbidden {
			t.Errorf("%s without a token: status %d", route, p.Status)
		}
	}
}

func TestForwardClientIP(t *testing.T) {
	var mu sync.Mutex
	var seen, ids []string
	w := demowiki.New()
	ts := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen = append(seen, r.Header.Get("X-Forwarded-For"))
		ids = append(ids, r.Header.Get("X-Request-Id"))
		mu.Unlock()
		w.ServeHTTP(rw, r)
	}))
	defer ts.Close()
	base := serve(t, ts.URL+"/api.php", func(r *gin.Engine) {
		r.SetTrustedProxies([]string{"127.0.0.1"})
		r.Use(middleware.RequestID())
	}, func(o *handlers.Options) { o.ForwardClientIP = true })
	b := browsertest.New(t)
	b.Header.Set("X-Forwarded-For", "203.0.113.50")
	f := b.Get(base+"/").Form("/login").Set("username", "Alice").Set("password", demowiki.Password)
	mu.Lock()
	seen, ids = nil, nil
	mu.Unlock()
	f.Submit()
	mu.Lock()
	defer mu.Unlock()
	if len(seen) < 2 || seen[len(seen)-1] != "203.0.113.50" {
		t.Fatalf("X-Forwarded-For sent to the wiki: %q", seen)
	}
	// The login POST's wiki calls carry its request ID (the page after the
	// redirect is another request).
	if len(ids) < 2 || ids[0] == "" || ids[0] != ids[1] {
		t.Fatalf("request IDs sent to the wiki: %q", ids)
	}
}

func TestFrameAncestors(t *testing.T) {
	_, api := demo(t)
	base := serve(t, api, nil, func(o *handlers.Options) { o.FrameAncestors = []string{"https://tool.example"} })
	resp, err := http.Get(base + "/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "frame-ancestors https://tool.example") {
		t.Fatalf("CSP %q", csp)
	}
	if resp.Header.Get("X-Frame-Options") != "" {
		t.Fatal("X-Frame-Options DENY would forbid the configured ancestor")
	}
	client, _ := mwclient.New(api, mwclient.Options{})
	if _, err := handlers.Register(gin.New().Group("/"), handlers.Options{Client: client, PublicURL: "https://a.example",
		Keys: [][]byte{[]byte("test-key-0123456789-0123456789-0123456789")}, FrameAncestors: []string{"*; script-src *"}}); err == nil {
		t.Fatal("a frame ancestor that is not an origin was accepted")
	}
}

func TestOversizedForm(t *testing.T) {
	_, api := demo(t)
	base := serve(t, api, nil, nil)
	b := browsertest.New(t)
	f := b.Get(base + "/").Form("/login")
	f.Set("username", strings.Repeat("x", 200<<10))
	p := f.Submit()
	if p.Status != http.StatusRequestEntityTooLarge {
		t.Fatalf("status %d", p.Status)
	}
	mustContain(t, p, "too large")
}

func TestOnlyTheWikisFieldsAreForwarded(t *testing.T) {
	var mu sync.Mutex
	var got url.Values
	w := demowiki.New()
	ts := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		if r.PostForm.Get("action") == "clientlogin" {
			mu.Lock()
			got = r.PostForm
			mu.Unlock()
		}
		w.ServeHTTP(rw, r)
	}))
	defer ts.Close()
	base := serve(t, ts.URL+"/api.php", nil, nil)
	b := browsertest.New(t)
	f := b.Get(base+"/").Form("/login").Set("username", "Alice").Set("password", demowiki.Password)
	f.Values.Set("loginreturnurl", "https://evil.example/")
	f.Values.Set("action", "logout")
	f.Values.Set("extra", "1")
	f.Values.Set("logincontinue", "1")
	mustContain(t, f.Submit(), "signed in to the wiki as Alice")
	mu.Lock()
	defer mu.Unlock()
	if got.Get("extra") != "" || got.Get("logincontinue") != "" || !strings.HasPrefix(got.Get("loginreturnurl"), base+"/return?") {
		t.Fatalf("the wiki got %v", got)
	}
}

// TestWikiErrorsAreExplained: API errors become sentences a person
// understands, with a status to match.
func TestWikiErrorsAreExplained(t *testing.T) {
	info := `{"canauthenticatenow":true,"requests":[{"id":"P","required":"primary-required","metadata":[],
	 "fields":{"username":{"type":"string","label":"Username","help":""},"password":{"type":"password","label":"Password","help":"","sensitive":true}}}]}`
	cases := []struct {
		code, want string
		status     int
	}{
		{"readonly", "read-only", http.StatusServiceUnavailable},
		{"ratelimited", "Too many attempts", http.StatusTooManyRequests},
		{"mustpostparams", "refused how the request was sent", http.StatusInternalServerError},
		{"badtoken", "session with the wiki expired", http.StatusConflict},
		{"internal_api_error_DBQueryError", "refused the request", http.StatusBadGateway},
	}
	for _, tc := range cases {
		t.Run(tc.code, func(t *testing.T) {
			ts := scriptedWiki(t, info, `{"errors":[{"code":"`+tc.code+`","text":"Wiki says: `+tc.code+`.","module":"clientlogin"}]}`)
			base := serve(t, ts.URL+"/api.php", nil, nil)
			b := browsertest.New(t)
			p := b.Get(base+"/").Form("/login").Set("username", "Alice").Set("password", "pw-secret-123").Submit()
			if p.Status != tc.status {
				t.Fatalf("status %d, want %d", p.Status, tc.status)
			}
			mustContain(t, p, tc.want, "Try again")
			mustNotContain(t, p, "pw-secret-123", "goroutine", "panic")
			// The next request works: the form is still there.
			if p := b.Get(base + "/"); p.Status != http.StatusOK || p.Input("username") == nil {
				t.Fatalf("after the error: status %d", p.Status)
			}
		})
	}
}

func TestWikiFaultsDoNotLeak(t *testing.T) {
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		<-r.Context().Done() // never answers
	}))
	defer slow.Close()
	huge := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"query":{"x":"`)
		chunk := strings.Repeat("a", 64<<10)
		for range 160 { // 10 MiB
			if _, err := io.WriteString(w, chunk); err != nil {
				return
			}
		}
		io.WriteString(w, `"}}`)
	}))
	defer huge.Close()
	garbage := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte("\x00\xff{{{not json"))
	}))
	defer garbage.Close()
	cases := []struct {
		name, api, want string
		status          int
	}{
		{"slow", slow.URL + "/api.php", "took too long", http.StatusGatewayTimeout},
		{"huge body", huge.URL + "/api.php", "could not be understood", http.StatusBadGateway},
		{"garbage", garbage.URL + "/api.php", "could not be understood", http.StatusBadGateway},
	}
	before := runtime.NumGoroutine()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			client, err := mwclient.New(tc.api, mwclient.Options{Timeout: 300 * time.Millisecond, MaxResponseBytes: 1 << 20})
			if err != nil {
				t.Fatal(err)
			}
			r := gin.New()
			if _, err := handlers.Register(r.Group("/"), handlers.Options{Client: client, PublicURL: "http://127.0.0.1", InsecureCookies: true,
				Keys: [][]byte{[]byte("test-key-0123456789-0123456789-0123456789")}, Logger: slog.New(slog.DiscardHandler)}); err != nil {
				t.Fatal(err)
			}
			for range 3 { // and again: the next request is answered the same way
				rec := httptest.NewRecorder()
				r.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
				if rec.Code != tc.status || !strings.Contains(rec.Body.String(), tc.want) {
					t.Fatalf("status %d, body lacks %q:\n%s", rec.Code, tc.want, rec.Body.String())
				}
			}
		})
	}
	slow.CloseClientConnections()
	huge.CloseClientConnections()
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before+5 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > before+5 {
		buf := make([]byte, 1<<20)
		t.Fatalf("goroutines grew from %d to %d:\n%s", before, n, buf[:runtime.Stack(buf, true)])
	}
}

func TestGracefulShutdownFinishesLogins(t *testing.T) {
	w := demowiki.New()
	w.Latency = 150 * time.Millisecond
	// The clientlogin POST reaching the wiki says the login is in flight.
	inFlight := make(chan struct{}, 1)
	wts := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost {
			select {
			case inFlight <- struct{}{}:
			default:
			}
		}
		w.ServeHTTP(rw, r)
	}))
	defer wts.Close()
	client, _ := mwclient.New(wts.URL+"/api.php", mwclient.Options{})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ln.Addr().String()
	r := gin.New()
	if _, err := handlers.Register(r.Group("/"), handlers.Options{Client: client, PublicURL: base, InsecureCookies: true,
		Keys: [][]byte{[]byte("test-key-0123456789-0123456789-0123456789")}, Logger: slog.New(slog.DiscardHandler)}); err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: r}
	go srv.Serve(ln)
	b := browsertest.New(t)
	f := b.Get(base+"/").Form("/login").Set("username", "Alice").Set("password", demowiki.Password)
	// Post without following the redirect: the server is gone by then.
	noFollow := *b.Client
	noFollow.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	done := make(chan int, 1)
	go func() {
		req, _ := http.NewRequest(http.MethodPost, f.Action.String(), strings.NewReader(f.Values.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Sec-Fetch-Site", "same-origin")
		resp, err := noFollow.Do(req)
		if err != nil {
			t.Error(err)
			done <- 0
			return
		}
		resp.Body.Close()
		done <- resp.StatusCode
	}()
	select {
	case <-inFlight:
	case <-time.After(5 * time.Second):
		t.Fatal("the login never reached the wiki")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	select {
	case code := <-done:
		if code != http.StatusSeeOther {
			t.Fatalf("the in-flight login answered %d, want 303 to the signed-in page", code)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the in-flight login did not finish")
	}
	if n := w.LoggedIn(); n != 1 {
		t.Fatalf("%d wiki sessions logged in after shutdown, want 1", n)
	}
}

// downBackend is a session store that does not answer.
type downBackend struct{}

func (downBackend) Get(context.Context, string) ([]byte, error) {
	return nil, errors.New("connection refused")
}
func (downBackend) Set(context.Context, string, []byte, time.Duration) error {
	return errors.New("connection refused")
}
func (downBackend) Delete(context.Context, string) error { return errors.New("connection refused") }

func TestSessionStoreDown(t *testing.T) {
	_, api := demo(t)
	working := serve(t, api, nil, nil)
	b := browsertest.New(t)
	b.Get(working + "/") // a cookie, so that the store is asked
	cookies := b.Cookies(working + "/")
	base := serve(t, api, nil, func(o *handlers.Options) { o.Backend = downBackend{} })
	u, _ := url.Parse(base)
	b.Client.Jar.SetCookies(u, cookies)
	p := b.Get(base + "/")
	if p.Status != http.StatusServiceUnavailable {
		t.Fatalf("status %d", p.Status)
	}
	mustContain(t, p, "session storage is not answering", "Try again")
}
