package handlers_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"mime/multipart"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/mwlogin/mwlogin/handlers"
	"github.com/mwlogin/mwlogin/internal/browsertest"
	"github.com/mwlogin/mwlogin/internal/demowiki"
	"github.com/mwlogin/mwlogin/internal/middleware"
	"github.com/mwlogin/mwlogin/internal/testproc"
	"github.com/mwlogin/mwlogin/mwclient"
	"github.com/mwlogin/mwlogin/store"
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
	mustContain(t, f.Submit(), "holds your sign-in to", " as Alice")
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
	// Only the slow wiki needs a short timeout; the others get a long one,
	// so that a loaded machine cannot turn their answer into a time-out.
	cases := []struct {
		name, api, want string
		status          int
		timeout         time.Duration
	}{
		{"slow", slow.URL + "/api.php", "took too long", http.StatusGatewayTimeout, 300 * time.Millisecond},
		{"huge body", huge.URL + "/api.php", "could not be understood", http.StatusBadGateway, 10 * time.Second},
		{"garbage", garbage.URL + "/api.php", "could not be understood", http.StatusBadGateway, 10 * time.Second},
	}
	before := runtime.NumGoroutine()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			client, err := mwclient.New(tc.api, mwclient.Options{Timeout: tc.timeout, MaxResponseBytes: 1 << 20})
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
func (downBackend) SetNX(context.Context, string, []byte, time.Duration) (bool, error) {
	return false, errors.New("connection refused")
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

// forgetfulBackend is a session store that can lose everything at once, as
// a Redis restarted without persistence does.
type forgetfulBackend struct {
	mu sync.Mutex
	b  *store.Memory
}

func newForgetful() *forgetfulBackend { return &forgetfulBackend{b: store.NewMemory()} }

func (f *forgetfulBackend) current() *store.Memory {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.b
}

func (f *forgetfulBackend) forget() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.b = store.NewMemory()
}

func (f *forgetfulBackend) Get(ctx context.Context, k string) ([]byte, error) {
	return f.current().Get(ctx, k)
}
func (f *forgetfulBackend) Set(ctx context.Context, k string, v []byte, ttl time.Duration) error {
	return f.current().Set(ctx, k, v, ttl)
}
func (f *forgetfulBackend) SetNX(ctx context.Context, k string, v []byte, ttl time.Duration) (bool, error) {
	return f.current().SetNX(ctx, k, v, ttl)
}
func (f *forgetfulBackend) Delete(ctx context.Context, k string) error {
	return f.current().Delete(ctx, k)
}

// When our own store lost the login in progress, the page says so; it
// does not blame the wiki, which still has the login.
func TestLostFlowIsNotBlamedOnTheWiki(t *testing.T) {
	_, api := demo(t)
	backend := newForgetful()
	base := serve(t, api, nil, func(o *handlers.Options) { o.Backend = backend })
	b := browsertest.New(t)
	p := b.Get(base+"/").Form("/login").Set("username", "Bob").Set("password", demowiki.Password).Submit()
	if p.Input("OATHToken") == nil {
		t.Fatalf("no 2FA step: %s", p.Text())
	}
	backend.forget()
	p = p.Form("/login").Set("OATHToken", demowiki.TOTP(demowiki.TOTPSecret, time.Now())).Submit()
	if p.Status != http.StatusOK {
		t.Fatalf("status %d: %s", p.Status, p.Text())
	}
	mustContain(t, p, "no longer had your sign-in", "Username", "Password")
	mustNotContain(t, p, "wiki forgot")
}

// A sign-out the wiki did not hear of says so: the user is signed out
// here, but their wiki session may live on until it expires.
func TestSignOutWhileWikiUnreachable(t *testing.T) {
	w := demowiki.New()
	var down atomic.Bool
	ts := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		if down.Load() {
			http.Error(rw, "down", http.StatusServiceUnavailable)
			return
		}
		w.ServeHTTP(rw, r)
	}))
	defer ts.Close()
	base := serve(t, ts.URL+"/api.php", nil, nil)
	b := browsertest.New(t)
	p := b.Get(base+"/").Form("/login").Set("username", "Alice").Set("password", demowiki.Password).Submit()
	mustContain(t, p, "holds your sign-in to", " as Alice")
	down.Store(true)
	// The form after the sign-out comes from the app's cache of the
	// wiki's login form, so it shows while the wiki is down.
	p = p.Form("/logout").Submit()
	mustContain(t, p, "signed out here", "could not be reached", "may still be active", "Username")
	mustNotContain(t, p, "You have signed out.")
	if n := w.LoggedIn(); n != 1 {
		t.Fatalf("%d wiki sessions logged in; the wiki never heard of the sign-out", n)
	}
	down.Store(false)
	if strings.Contains(b.Get(base+"/").Text(), "holds your sign-in") {
		t.Fatal("still signed in here after signing out")
	}
}

// A browser that gives up on a login (closes the tab, presses stop) is
// not a wiki outage: it is logged as what it is, not as an ERROR 502.
func TestAbandonedRequestIsNotAnError(t *testing.T) {
	var cancelRequest atomic.Value // func(): ends the app's request, as a browser going away does
	w := demowiki.New()
	wiki := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost {
			cancelRequest.Load().(context.CancelFunc)()
			http.Error(rw, "too late", http.StatusServiceUnavailable)
			return
		}
		w.ServeHTTP(rw, r)
	}))
	defer wiki.Close()
	logs := &testproc.SyncBuffer{}
	base := serve(t, wiki.URL+"/api.php", func(r *gin.Engine) {
		r.Use(func(c *gin.Context) {
			ctx, cancel := context.WithCancel(c.Request.Context())
			cancelRequest.Store(cancel)
			c.Request = c.Request.WithContext(ctx)
			c.Next()
		})
	}, func(o *handlers.Options) { o.Logger = slog.New(slog.NewTextHandler(logs, nil)) })
	b := browsertest.New(t)
	p := b.Get(base+"/").Form("/login").Set("username", "Alice").Set("password", demowiki.Password).Submit()
	if p.Status == http.StatusBadGateway || strings.Contains(p.Body, "Sign-in problem") {
		t.Fatalf("an error page was rendered for a browser that went away: %d", p.Status)
	}
	got := logs.String()
	if !strings.Contains(got, "browser went away") || strings.Contains(got, "level=ERROR") || strings.Contains(got, "status=502") {
		t.Fatalf("log:\n%s", got)
	}
}

// multipartBody encodes values as multipart/form-data, as a form with
// enctype="multipart/form-data" sends them, with filler bytes of padding.
func multipartBody(t *testing.T, values url.Values, filler int) (io.Reader, string) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for k, vs := range values {
		for _, v := range vs {
			mw.WriteField(k, v)
		}
	}
	if filler > 0 {
		mw.WriteField("filler", strings.Repeat("x", filler))
	}
	if err := mw.Close(); err != nil {
		t.Fatal(err)
	}
	return &buf, mw.FormDataContentType()
}

// The form body limit holds whatever the encoding: a huge multipart post
// is refused as too large, like a huge urlencoded one, not as a form that
// could not be verified.
func TestOversizedMultipartForm(t *testing.T) {
	_, api := demo(t)
	base := serve(t, api, nil, nil)
	cases := []struct {
		name   string
		path   string
		filler int
		status int
		want   string
	}{
		{"small login", "/login", 0, http.StatusOK, "holds your sign-in to"},
		{"10 MB login", "/login", 10 << 20, http.StatusRequestEntityTooLarge, "too large"},
		{"10 MB return", "/return", 10 << 20, http.StatusRequestEntityTooLarge, "too large"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			b := browsertest.New(t)
			f := b.Get(base+"/").Form("/login").Set("username", "Alice").Set("password", demowiki.Password)
			body, ctype := multipartBody(t, f.Values, tc.filler)
			req, err := http.NewRequest(http.MethodPost, base+tc.path, body)
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Content-Type", ctype)
			req.Header.Set("Sec-Fetch-Site", "same-origin")
			resp, err := b.Client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			page, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tc.status || !strings.Contains(string(page), tc.want) {
				t.Fatalf("status %d, want %d with %q:\n%s", resp.StatusCode, tc.status, tc.want, page)
			}
			if resp.Header.Get("Content-Security-Policy") == "" {
				t.Fatal("no security headers")
			}
		})
	}
}

// pingBackend is a working store whose Ping answers err, as a Redis that
// went away does.
type pingBackend struct {
	*store.Memory
	err error
}

func (p pingBackend) Ping(context.Context) error { return p.err }

// Ready checks every backend a login needs and names each that fails.
func TestReadyNamesWhatDoesNotAnswer(t *testing.T) {
	_, api := demo(t)
	down := httptest.NewServer(http.NotFoundHandler())
	downAPI := down.URL + "/api.php"
	down.Close()
	refused := errors.New("connection refused")
	cases := []struct {
		name          string
		api           string
		backend       store.Backend
		wiki, storeOK bool
	}{
		{"memory", api, nil, true, true},
		{"store up", api, pingBackend{store.NewMemory(), nil}, true, true},
		{"store down", api, pingBackend{store.NewMemory(), refused}, true, false},
		{"wiki down", downAPI, pingBackend{store.NewMemory(), nil}, false, true},
		{"both down", downAPI, pingBackend{store.NewMemory(), refused}, false, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			client, err := mwclient.New(tc.api, mwclient.Options{Timeout: 2 * time.Second})
			if err != nil {
				t.Fatal(err)
			}
			_, app, err := handlers.NewHandler("/", handlers.Options{Client: client, PublicURL: "https://a.example", Backend: tc.backend,
				Keys: [][]byte{[]byte("test-key-0123456789-0123456789-0123456789")}, Logger: slog.New(slog.DiscardHandler)})
			if err != nil {
				t.Fatal(err)
			}
			err = app.Ready(context.Background())
			if errors.Is(err, handlers.ErrWikiDown) == tc.wiki || errors.Is(err, handlers.ErrStoreDown) == tc.storeOK {
				t.Fatalf("Ready: %v", err)
			}
		})
	}
}

// A wiki that answers 404 is at a wrong address: a configuration error
// for whoever runs the site, not an outage the user should wait out.
func TestWikiNotFoundIsConfiguration(t *testing.T) {
	missing := httptest.NewServer(http.NotFoundHandler())
	defer missing.Close()
	base := serve(t, missing.URL+"/api.php", nil, nil)
	p := browsertest.New(t).Get(base + "/")
	if p.Status != http.StatusBadGateway {
		t.Fatalf("status %d", p.Status)
	}
	mustContain(t, p, "wrong address for the wiki", "404", "whoever runs this site")
	mustNotContain(t, p, "try again in a moment", "Try again")
}

// A REDIRECT return whose wiki call failed has still spent its state: the
// same return URL, replayed once the wiki is back, is refused and signs
// nobody in.
func TestReplayedReturnAfterWikiFailureIsRefused(t *testing.T) {
	w := demowiki.New()
	var failContinue atomic.Bool
	wikiTS := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost {
			r.ParseForm()
			if r.PostForm.Get("logincontinue") != "" && failContinue.Load() {
				http.Error(rw, "down for a moment", http.StatusServiceUnavailable)
				return
			}
		}
		w.ServeHTTP(rw, r)
	}))
	defer wikiTS.Close()
	e := newEnvFor(t, "/", wikiTS.URL+"/api.php", w, wikiTS)
	b := browsertest.New(t)
	ret := providerReturn(t, e, b)

	failContinue.Store(true)
	p := b.Get(ret.String())
	if p.Status != http.StatusBadGateway {
		t.Fatalf("return while the wiki fails: status %d: %s", p.Status, p.Text())
	}
	failContinue.Store(false)
	p = b.Get(ret.String())
	if p.Status != http.StatusBadRequest {
		t.Fatalf("replayed return: status %d, want 400: %s", p.Status, p.Text())
	}
	mustContain(t, p, "no sign-in waiting")
	if strings.Contains(b.Get(e.base+"/").Text(), "holds your sign-in") || w.LoggedIn() != 0 {
		t.Fatal("a replayed return signed someone in")
	}
}
