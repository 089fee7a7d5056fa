package handlers_test

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"

	"github.com/mwlogin/mwlogin/handlers"
	"github.com/mwlogin/mwlogin/internal/demowiki"
	"github.com/mwlogin/mwlogin/mwclient"
)

// benchApp is the app mounted at the root in front of the demo wiki, its
// requests served in-process (no network between the benchmark and the
// app; the app's own wiki calls go over loopback to the demo wiki).
func benchApp(b *testing.B) http.Handler {
	b.Helper()
	gin.SetMode(gin.ReleaseMode)
	wiki := httptest.NewServer(demowiki.New())
	b.Cleanup(wiki.Close)
	client, err := mwclient.New(wiki.URL+"/api.php", mwclient.Options{UserAgent: "mwlogin-bench/0"})
	if err != nil {
		b.Fatal(err)
	}
	router := gin.New()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	if _, err := handlers.Register(router.Group("/"), handlers.Options{
		Client: client, PublicURL: "http://127.0.0.1:8080", InsecureCookies: true, Logger: log, LoginFailuresPerUser: -1, LoginFailuresPerAddress: -1,
		Keys: [][]byte{[]byte("bench-key-0123456789-0123456789-0123456789")},
	}); err != nil {
		b.Fatal(err)
	}
	return router
}

var (
	reCSRF = regexp.MustCompile(`name="csrf" value="([^"]+)"`)
	reStep = regexp.MustCompile(`name="step" value="([^"]+)"`)
)

// benchServe sends one request to the app in-process, with a cookie header, and
// returns the answer.
func benchServe(h http.Handler, method, target, cookie string, form url.Values) *httptest.ResponseRecorder {
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	r := httptest.NewRequest(method, "http://127.0.0.1:8080"+target, body)
	if form != nil {
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		r.Header.Set("Sec-Fetch-Site", "same-origin")
	}
	r.Header.Set("Accept-Language", "en")
	if cookie != "" {
		r.Header.Set("Cookie", cookie)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

// benchCookie returns the "name=value" of the app's session cookie a response
// set, or old.
func benchCookie(w *httptest.ResponseRecorder, old string) string {
	for _, c := range w.Result().Cookies() {
		if c.Name == handlers.DefaultCookieName {
			return c.Name + "=" + c.Value
		}
	}
	return old
}

// BenchmarkLoginPage renders the login form for a new browser: the cached
// authmanagerinfo, a new session cookie, the page. No wiki round trip.
func BenchmarkLoginPage(b *testing.B) {
	h := benchApp(b)
	benchServe(h, http.MethodGet, "/", "", nil) // fills the form cache
	b.ReportAllocs()
	for b.Loop() {
		w := benchServe(h, http.MethodGet, "/", "", nil)
		if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), `name="password"`) {
			b.Fatalf("status %d", w.Code)
		}
	}
}

// BenchmarkStepPage renders a stored step: a browser at the two-factor
// step reloads the page (the session is read, decrypted, shown and saved).
func BenchmarkStepPage(b *testing.B) {
	h := benchApp(b)
	w := benchServe(h, http.MethodGet, "/", "", nil)
	cookie := benchCookie(w, "")
	form := url.Values{"csrf": {reCSRF.FindStringSubmatch(w.Body.String())[1]},
		"step": {reStep.FindStringSubmatch(w.Body.String())[1]}, "username": {"Bob"}, "password": {demowiki.Password}}
	w = benchServe(h, http.MethodPost, "/login", cookie, form)
	cookie = benchCookie(w, cookie)
	if !strings.Contains(w.Body.String(), `name="OATHToken"`) {
		b.Fatalf("no two-factor step: %d %s", w.Code, w.Body.String())
	}
	b.ReportAllocs()
	for b.Loop() {
		w := benchServe(h, http.MethodGet, "/", cookie, nil)
		if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), `name="OATHToken"`) {
			b.Fatalf("status %d", w.Code)
		}
	}
}

// BenchmarkPasswordLogin is a whole password login, in-process on our
// side: the form, the post (login token and clientlogin on the demo wiki),
// the redirect to the signed-in page. The demo wiki's share is included.
func BenchmarkPasswordLogin(b *testing.B) {
	h := benchApp(b)
	benchServe(h, http.MethodGet, "/", "", nil)
	b.ReportAllocs()
	for b.Loop() {
		w := benchServe(h, http.MethodGet, "/", "", nil)
		cookie := benchCookie(w, "")
		body := w.Body.String()
		form := url.Values{"csrf": {reCSRF.FindStringSubmatch(body)[1]}, "step": {reStep.FindStringSubmatch(body)[1]},
			"username": {"Alice"}, "password": {demowiki.Password}}
		w = benchServe(h, http.MethodPost, "/login", cookie, form)
		if w.Code != http.StatusSeeOther {
			b.Fatalf("login: status %d", w.Code)
		}
		cookie = benchCookie(w, cookie)
		w = benchServe(h, http.MethodGet, w.Header().Get("Location"), cookie, nil)
		if !strings.Contains(w.Body.String(), `class="username">Alice<`) {
			b.Fatalf("not signed in: %d", w.Code)
		}
	}
}
