package main

import (
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/mwlogin/mwlogin/bench/floor"
	"github.com/mwlogin/mwlogin/bench/standin"
	"github.com/mwlogin/mwlogin/handlers"
	"github.com/mwlogin/mwlogin/internal/middleware"
	"github.com/mwlogin/mwlogin/mwclient"
)

// testPoint is the benchmark's setting in one process: the stand-in wiki
// and the app on loopback, the connections to the wiki counted. It checks
// what the benchmark relies on and what it reports, never how fast.
type testPoint struct {
	wiki     *standin.Wiki
	conns    *standin.Conns
	apiURL   string
	appURL   string
	poolSize int
}

func newTestPoint(t *testing.T, latency time.Duration) *testPoint {
	t.Helper()
	idp := httptest.NewUnstartedServer(nil)
	w := standin.New(latency, "http://"+idp.Listener.Addr().String())
	t.Cleanup(w.Close)
	idp.Config.Handler = w.IdPHandler()
	idp.Start()
	t.Cleanup(idp.Close)
	conns := &standin.Conns{}
	api := httptest.NewUnstartedServer(w.Handler())
	api.Config.ConnState = conns.Track()
	api.Start()
	t.Cleanup(api.Close)

	// The default transport, as the app has it.
	client, err := mwclient.New(api.URL+"/api.php", mwclient.Options{UserAgent: "mwlogin-bench-test/0"})
	if err != nil {
		t.Fatal(err)
	}
	gin.SetMode(gin.ReleaseMode)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	public := "http://" + ln.Addr().String()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	router := gin.New()
	router.Use(middleware.Recovery(log), middleware.AccessLog(log))
	if _, err := handlers.Register(router.Group("/"), handlers.Options{
		Client: client, PublicURL: public, InsecureCookies: true, Logger: log, LoginFailuresPerUser: -1, LoginFailuresPerAddress: -1,
		Keys: [][]byte{[]byte("bench-test-key-0123456789-0123456789")},
	}); err != nil {
		t.Fatal(err)
	}
	app := httptest.NewUnstartedServer(router)
	app.Listener.Close()
	app.Listener = ln
	app.Start()
	t.Cleanup(app.Close)
	return &testPoint{wiki: w, conns: conns, apiURL: api.URL + "/api.php", appURL: public, poolSize: mwclient.DefaultMaxIdleConns}
}

// TestLoginKinds does each kind of login once, as the load generator does
// it, and checks the stand-in's answers on the way.
func TestLoginKinds(t *testing.T) {
	tp := newTestPoint(t, 0)
	b := newBrowser(tp.appURL)
	defer b.close()
	for k := range nKinds {
		if err := b.login(k); err != nil {
			t.Errorf("%s login: %v", kindNames[k], err)
		}
	}
	// A wrong password is caught by the check of the final page.
	p := wrongPassword(t, b)
	if !strings.Contains(p.body, "Incorrect username or password") || strings.Contains(p.body, `class="username"`) {
		t.Fatalf("a wrong password: %s", text(p.body))
	}
}

// wrongPassword posts the login form of a new browser with Alice's name
// and a wrong password, and returns the answer.
func wrongPassword(t *testing.T, b *browser) *page {
	t.Helper()
	b.c.jar = jar{}
	p, err := b.get(b.base)
	if err != nil {
		t.Fatal(err)
	}
	f, err := formOf(p, "/login")
	if err != nil {
		t.Fatal(err)
	}
	f.values.Set("username", standin.UserAlice)
	f.values.Set("password", "wrong")
	if p, err = b.post(f.action, f.values); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestRoundTrips counts the wiki calls of each step of a password login:
// none to show the form (cached authmanagerinfo), exactly two for the login
// (login token, clientlogin), and what the signed-in page costs.
func TestRoundTrips(t *testing.T) {
	tp := newTestPoint(t, 0)
	b := newBrowser(tp.appURL)
	defer b.close()
	if err := b.login(kindPassword); err != nil { // fills the form cache
		t.Fatal(err)
	}
	const n = 20
	var page, login, signedIn int64
	for range n {
		b.c.jar = jar{}
		c0 := tp.wiki.TotalCalls()
		p, err := b.get(b.base)
		if err != nil {
			t.Fatal(err)
		}
		c1 := tp.wiki.TotalCalls()
		f, err := formOf(p, "/login")
		if err != nil {
			t.Fatal(err)
		}
		f.values.Set("username", standin.UserAlice)
		f.values.Set("password", standin.Password)
		r, err := b.c.once(http.MethodPost, f.action, "application/x-www-form-urlencoded", []byte(f.values.Encode()), &b.buf)
		if err != nil {
			t.Fatal(err)
		}
		if r.status != http.StatusSeeOther {
			t.Fatalf("login answered %d: %s", r.status, text(r.body))
		}
		c2 := tp.wiki.TotalCalls()
		next, _ := f.action.Parse(r.header.Get("Location"))
		if p, err = b.get(next); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(p.body, `class="username">Alice<`) {
			t.Fatalf("not signed in: %s", text(p.body))
		}
		c3 := tp.wiki.TotalCalls()
		page, login, signedIn = page+c1-c0, login+c2-c1, signedIn+c3-c2
	}
	if page != 0 {
		t.Errorf("showing the login form cost %d wiki calls in %d showings, want none", page, n)
	}
	if login != 2*n {
		t.Errorf("%d password logins cost %d wiki calls, want exactly 2 each (login token, clientlogin)", n, login)
	}
	// The page after PASS checks the wiki session (assert=user) unless the
	// app trusts a PASS of moments ago.
	if signedIn > n {
		t.Errorf("%d signed-in pages cost %d wiki calls, want at most one each", n, signedIn)
	}
	t.Logf("wiki calls per login: form %.2f, login %.2f, signed-in page %.2f",
		float64(page)/n, float64(login)/n, float64(signedIn)/n)
}

// TestFloor logs in through the floor as the load generator does: two wiki
// calls for a password login and the user named on the page after it; a
// wrong password is refused, so the floor measures real logins.
func TestFloor(t *testing.T) {
	tp := newTestPoint(t, 0)
	client, err := mwclient.New(tp.apiURL, mwclient.Options{UserAgent: "mwlogin-bench-test/0"})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(nil)
	srv.Config.Handler = floor.Handler(client, "http://"+srv.Listener.Addr().String()+"/return")
	srv.Start()
	t.Cleanup(srv.Close)

	b := newBrowser(srv.URL)
	defer b.close()
	for range 3 {
		c0 := tp.wiki.TotalCalls()
		if err := b.login(kindPassword); err != nil {
			t.Fatal(err)
		}
		if c := tp.wiki.TotalCalls() - c0; c != 2 {
			t.Fatalf("a login through the floor made %d wiki calls, want 2", c)
		}
	}
	p := wrongPassword(t, b)
	if p.status != http.StatusUnauthorized || strings.Contains(p.body, `class="username"`) {
		t.Fatalf("a wrong password through the floor: HTTP %d %s", p.status, text(p.body))
	}
}

// TestLoad runs the mixed load for a moment: every login must succeed, and
// the app must reuse its connections to the wiki.
func TestLoad(t *testing.T) {
	tp := newTestPoint(t, 2*time.Millisecond)
	const n = 8
	start := time.Now()
	mix := [nKinds]int{60, 20, 20}
	ld := drive(n, start, start, start.Add(time.Second), func() (worker, func()) {
		b := newBrowser(tp.appURL)
		return func(rng *rand.Rand) (kind, error) {
			k := pick(rng, mix)
			return k, b.login(k)
		}, b.close
	})
	if ld.errors > 0 {
		t.Fatalf("%d of %d logins failed: %s", ld.errors, ld.errors+len(ld.latencies), strings.Join(ld.samples, "; "))
	}
	for k := range nKinds {
		if ld.byKind[k] == 0 {
			t.Errorf("no %s login was made", kindNames[k])
		}
	}
	logins := len(ld.latencies)
	opened := tp.conns.Opened.Load()
	if opened > int64(tp.poolSize) || opened >= int64(logins) {
		t.Errorf("the app opened %d connections to the wiki for %d logins (pool %d)", opened, logins, tp.poolSize)
	}
	t.Logf("%d logins by %d browsers (%v by kind), %d connections to the wiki", logins, n, ld.byKind, opened)
}

// TestFormScanner checks the load generator's small HTML scanner on the
// app's real pages.
func TestFormScanner(t *testing.T) {
	body := `<form method="post" action="/cancel"><input type="hidden" name="csrf" value="c1"></form>
<form method="post" action="/login" class="step">
<input type="hidden" name="csrf" value="a&#43;b&amp;c">
<input type="text" id="f-0-0" name="username" autocomplete="username" required autofocus spellcheck="false">
<input type="password" id="f-0-1" name="password">
<input type="checkbox" id="f-1-0" name="rememberMe" value="1">
<input type="checkbox" id="f-1-1" name="terms" value="1" checked>
<button type="submit" class="button primary">Log in</button>
<button type="submit" name="demosso" value="1" formnovalidate class="button secondary">Log in with Demo SSO</button>
</form>`
	u, _ := url.Parse("http://127.0.0.1:1/auth/")
	f, err := formOf(&page{url: u, status: 200, body: body}, "/login")
	if err != nil {
		t.Fatal(err)
	}
	if f.action.String() != "http://127.0.0.1:1/login" {
		t.Errorf("action %s", f.action)
	}
	want := url.Values{"csrf": {"a+b&c"}, "username": {""}, "password": {""}, "terms": {"1"}}
	if f.values.Encode() != want.Encode() {
		t.Errorf("values %v, want %v", f.values, want)
	}
	if !f.hasButton("demosso") {
		t.Error("the SSO button was missed")
	}
	if got := metaRefresh(`<head><meta charset="utf-8"><meta http-equiv="refresh" content="0;url=http://idp.example/x?a=1&amp;b=2"></head>`); got != "http://idp.example/x?a=1&b=2" {
		t.Errorf("meta refresh %q", got)
	}
}

// TestPendingFlowsMemory checks that the measurement works; the figure is
// the benchmark's to report.
func TestPendingFlowsMemory(t *testing.T) {
	m, err := pendingFlowsMemory(500)
	if err != nil {
		t.Fatal(err)
	}
	if m.EntryBytes < 200 || m.HeapGrowth <= 0 {
		t.Fatalf("implausible: %s", m)
	}
	t.Log(m)
}

// TestStepLog: the requests of logins are gathered by kind when their
// clients close, only those that ended in the window.
func TestStepLog(t *testing.T) {
	tp := newTestPoint(t, 0)
	stepLog.reset(time.Now(), time.Now().Add(time.Hour))
	b := newBrowser(tp.appURL)
	for range 3 {
		if err := b.login(kindPassword); err != nil {
			t.Fatal(err)
		}
	}
	b.close()
	late := newBrowser(tp.appURL) // closes after the window: not counted
	stepLog.mu.Lock()
	stepLog.to = time.Now()
	stepLog.mu.Unlock()
	if err := late.login(kindPassword); err != nil {
		t.Fatal(err)
	}
	late.close()
	got := stepLog.stats()
	want := map[string]int{"GET /": 6, "POST /login": 3}
	if len(got) != len(want) {
		t.Fatalf("steps = %v, want the kinds %v", got, want)
	}
	for label, n := range want {
		if st := got[label]; st.N != n || st.P50 <= 0 || st.P95 < st.P50 {
			t.Errorf("%s: %+v, want %d requests with p50 <= p95", label, st, n)
		}
	}
}
