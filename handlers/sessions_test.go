package handlers_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"

	"github.com/mwlogin/mwlogin/handlers"
	"github.com/mwlogin/mwlogin/internal/browsertest"
	"github.com/mwlogin/mwlogin/internal/demowiki"
	"github.com/mwlogin/mwlogin/mwclient"
	"github.com/mwlogin/mwlogin/store"
)

// sessionCookie is the app's session cookie in b's jar.
func sessionCookie(t *testing.T, e *env, b *browsertest.Browser) *http.Cookie {
	t.Helper()
	for _, c := range b.Cookies(e.base + "/") {
		if strings.HasSuffix(c.Name, handlers.DefaultCookieName) {
			return c
		}
	}
	t.Fatal("no session cookie")
	return nil
}

// plant puts a cookie in b's jar, as a sibling subdomain or a network
// attacker on plain HTTP can.
func plant(t *testing.T, e *env, b *browsertest.Browser, c *http.Cookie) {
	t.Helper()
	u, _ := url.Parse(e.base + "/")
	b.Client.Jar.SetCookies(u, []*http.Cookie{{Name: c.Name, Value: c.Value, Path: "/"}})
}

// An attacker who planted the cookie from their own visit in the victim's
// browser never sees or answers the victim's login: the session is stored
// under an ID the server just made, and the ID changes at every step the
// wiki answers.
func TestPlantedSessionLearnsNothing(t *testing.T) {
	e := newEnv(t, "/")
	attacker := browsertest.New(t)
	attacker.Get(e.base + "/")
	planted := sessionCookie(t, e, attacker)

	victim := browsertest.New(t)
	plant(t, e, victim, planted)
	step := login(t, e, victim, "Erin", demowiki.Password)
	mustContain(t, step, "Confirm a few details")
	afterPassword := sessionCookie(t, e, victim)
	if afterPassword.Value == planted.Value {
		t.Fatal("the victim's login is stored under the planted cookie")
	}

	// The attacker, with the same cookie, sees a fresh form and nothing
	// of the victim's step, and cannot answer it.
	p := attacker.Get(e.base + "/")
	mustContain(t, p, "Username")
	mustNotContain(t, p, "Confirm a few details", "Nickname")
	f := step.Form("/login").Set("nickname", "mallory").Set("pin", "1234").Set("terms", "1")
	f.Values.Set("csrf", p.Form("/login").Values.Get("csrf"))
	stolen := attacker.Post(f.Action.String(), f.Values)
	mustNotContain(t, stolen, "holds your sign-in to", " as Erin")
	mustNotContain(t, attacker.Get(e.base+"/"), "holds your sign-in to", " as Erin")

	// The victim goes on; the ID changes again at the next step.
	p = step.Form("/login").Set("nickname", "erin").Set("pin", "1234").Set("terms", "1").Set("topics", "science").Submit()
	mustContain(t, p, "holds your sign-in to", " as Erin")
	if c := sessionCookie(t, e, victim); c.Value == afterPassword.Value {
		t.Fatal("the session ID did not change at the step that signed the victim in")
	}
}

// With a session cookie planted before the two-factor step too: every
// step the wiki answers gives a new ID.
func TestSessionIDChangesAtEveryFactor(t *testing.T) {
	e := newEnv(t, "/")
	b := browsertest.New(t)
	b.Get(e.base + "/")
	seen := map[string]bool{sessionCookie(t, e, b).Value: true}
	p := login(t, e, b, "Bob", demowiki.Password)
	if p.Input("OATHToken") == nil {
		t.Fatalf("no two-factor step: %s", p.Text())
	}
	for _, code := range []string{"000000", demowiki.TOTP(demowiki.TOTPSecret, time.Now())} {
		c := sessionCookie(t, e, b).Value
		if seen[c] {
			t.Fatal("a step the wiki answered kept a session ID seen before")
		}
		seen[c] = true
		p = p.Form("/login").Set("OATHToken", code).Submit()
	}
	mustContain(t, p, "holds your sign-in to", " as Bob")
	if seen[sessionCookie(t, e, b).Value] {
		t.Fatal("PASS kept a session ID seen before")
	}
}

// countingWiki counts the clientlogin posts that reach the demo wiki.
func countingWiki(t *testing.T, latency time.Duration) (*demowiki.Wiki, *httptest.Server, *atomic.Int64) {
	w := demowiki.New()
	w.Latency = latency
	var posts atomic.Int64
	ts := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost {
			posts.Add(1)
		}
		w.ServeHTTP(rw, r)
	}))
	t.Cleanup(ts.Close)
	return w, ts, &posts
}

// A double click on the two-factor step: the browser abandons the first
// post and sends the second with the same cookie. The wiki answers the
// step once, and the second post ends signed in; with a shared Redis too,
// where the store must be written in a context the browser cannot cancel.
func TestDoubleClickTwoFactor(t *testing.T) {
	for _, tc := range []struct {
		name    string
		backend func(t *testing.T) store.Backend
	}{
		{"memory", func(*testing.T) store.Backend { return store.NewMemory() }},
		{"redis", func(t *testing.T) store.Backend {
			r, err := store.NewRedis("redis://" + miniredis.RunT(t).Addr())
			if err != nil {
				t.Fatal(err)
			}
			return r
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w, ts, posts := countingWiki(t, 150*time.Millisecond)
			backend := tc.backend(t)
			e := newEnvFor(t, "/", ts.URL+"/api.php", w, ts, envHook{opts: func(o *handlers.Options) { o.Backend = backend }})
			b := browsertest.New(t)
			step := login(t, e, b, "Bob", demowiki.Password)
			f := step.Form("/login").Set("OATHToken", demowiki.TOTP(demowiki.TOTPSecret, time.Now()))
			before := posts.Load()
			doubleClick(t, b, f)
			if n := posts.Load() - before; n != 1 {
				t.Fatalf("the wiki was asked %d times for one step", n)
			}
			mustContain(t, b.Get(e.base+"/"), "holds your sign-in to", " as Bob")
		})
	}
}

// The same on a UI step after the password (a step with every field type).
func TestDoubleClickUIStep(t *testing.T) {
	w, ts, posts := countingWiki(t, 150*time.Millisecond)
	e := newEnvFor(t, "/", ts.URL+"/api.php", w, ts)
	b := browsertest.New(t)
	step := login(t, e, b, "Erin", demowiki.Password)
	f := step.Form("/login").Set("nickname", "erin").Set("pin", "1234").Set("terms", "1").Set("topics", "science")
	before := posts.Load()
	doubleClick(t, b, f)
	if n := posts.Load() - before; n != 1 {
		t.Fatalf("the wiki was asked %d times for one step", n)
	}
	mustContain(t, b.Get(e.base+"/"), "holds your sign-in to", " as Erin")
}

// A resubmit with the cookie from before PASS (the browser never saw the
// answer that carried the new one) ends signed in too.
func TestResubmitAfterPassEndsSignedIn(t *testing.T) {
	e := newEnv(t, "/")
	b := browsertest.New(t)
	step := login(t, e, b, "Bob", demowiki.Password)
	before := sessionCookie(t, e, b)
	f := step.Form("/login").Set("OATHToken", demowiki.TOTP(demowiki.TOTPSecret, time.Now()))
	mustContain(t, f.Submit(), "holds your sign-in to", " as Bob")
	// The browser lost the answer: it still holds the old cookie.
	plant(t, e, b, before)
	p := b.Post(f.Action.String(), f.Values)
	mustContain(t, p, "holds your sign-in to", " as Bob")
	if c := sessionCookie(t, e, b); c.Value == before.Value {
		t.Fatal("the browser was not given the new cookie")
	}
}

// doubleClick posts f twice from b, as a browser does when a button is
// clicked again before the page changed, and wants the second post to end
// signed in (303).
func doubleClick(t *testing.T, b *browsertest.Browser, f *browsertest.Form) {
	t.Helper()
	resp := twice(t, b, func() *http.Request {
		req, _ := http.NewRequest(http.MethodPost, f.Action.String(), strings.NewReader(f.Values.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Sec-Fetch-Site", "same-origin")
		return req
	})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("the second post answered %d, want 303 to the signed-in page", resp.StatusCode)
	}
}

// twice sends the request newReq makes from b (redirects not followed),
// abandons it 50 ms later (its context ends, as when the browser leaves
// the page) and sends it again, returning the second answer.
func twice(t *testing.T, b *browsertest.Browser, newReq func() *http.Request) *http.Response {
	t.Helper()
	noFollow := *b.Client
	noFollow.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	ctx, abandon := context.WithCancel(context.Background())
	first := make(chan struct{})
	go func() {
		defer close(first)
		if resp, err := noFollow.Do(newReq().WithContext(ctx)); err == nil {
			resp.Body.Close()
		}
	}()
	time.Sleep(50 * time.Millisecond) // the second click, or the reload
	abandon()
	<-first
	resp, err := noFollow.Do(newReq())
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp
}

// In production (HTTPS) the cookie's name asks browsers to refuse it from
// anywhere but this host over HTTPS: __Host- at the root, __Secure- under a
// narrower path.
func TestCookiePrefixInProduction(t *testing.T) {
	for _, tc := range []struct{ prefix, want string }{
		{"/", "__Host-" + handlers.DefaultCookieName},
		{"/auth", "__Secure-" + handlers.DefaultCookieName},
	} {
		h, _, err := handlers.NewHandler(tc.prefix, handlers.Options{Client: testClient(t), PublicURL: "https://login.example.org",
			Keys: [][]byte{[]byte("test-key-0123456789-0123456789-0123456789")}})
		if err != nil {
			t.Fatal(err)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, strings.TrimSuffix(tc.prefix, "/")+"/", nil))
		c := rec.Result().Cookies()
		if len(c) != 1 || c[0].Name != tc.want || !c[0].Secure || !c[0].HttpOnly || c[0].SameSite != http.SameSiteLaxMode {
			t.Fatalf("under %s: cookies %+v, want one Secure, HttpOnly, SameSite=Lax cookie %s", tc.prefix, c, tc.want)
		}
		if tc.prefix == "/" && (c[0].Path != "/" || c[0].Domain != "") {
			t.Fatalf("a __Host- cookie needs Path=/ and no Domain: %+v", c[0])
		}
	}
}

// testClient is a client of an in-process demo wiki.
func testClient(t *testing.T) *mwclient.Client {
	ts := httptest.NewServer(demowiki.New())
	t.Cleanup(ts.Close)
	c, err := mwclient.New(ts.URL+"/api.php", mwclient.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// A return from the identity provider loaded twice (a reload, the first
// load abandoned) sends the provider's answer to the wiki once. The second
// load cannot be led to the sign-in the first one made: the flow's ID may
// have been planted by whoever sent the browser to the provider, so it
// gets no pointer (see Store.Rotate); it says no sign-in is waiting.
func TestReturnReloadedAsksTheWikiOnce(t *testing.T) {
	w, ts, posts := countingWiki(t, 150*time.Millisecond)
	e := newEnvFor(t, "/", ts.URL+"/api.php", w, ts)
	b := browsertest.New(t)
	ret := providerReturn(t, e, b)
	before := posts.Load()
	resp := twice(t, b, func() *http.Request {
		req, _ := http.NewRequest(http.MethodGet, ret.String(), nil)
		return req
	})
	if n := posts.Load() - before; n != 1 {
		t.Fatalf("the wiki was asked %d times for one return", n)
	}
	if resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("the second load answered %d, want 400 (no sign-in waiting)", resp.StatusCode)
	}
}

// An attacker who planted the cookie of a two-factor step of their own,
// even one a slow request of theirs wrote back after they cancelled it,
// learns nothing when the victim signs in with a fresh login form under
// it: only an answer to that very step may leave the old ID leading on.
func TestPlantedContinueFlowLeadsNowhere(t *testing.T) {
	e := newEnv(t, "/")
	attacker := browsertest.New(t)
	step := login(t, e, attacker, "Bob", demowiki.Password) // the attacker's own account
	known := sessionCookie(t, e, attacker)
	finish := slowPost(t, e, "/login", known) // holds a copy of the flow
	step.Form("/cancel").Submit()
	victim := browsertest.New(t)
	plant(t, e, victim, known)
	form := victim.Get(e.base + "/")
	mustContain(t, form, "Username", "Password")
	finish("csrf=wrong&step=whatever") // the stale copy
	p := form.Form("/login").Set("username", "Alice").Set("password", demowiki.Password).Submit()
	mustContain(t, p, "holds your sign-in to", " as Alice")
	plant(t, e, attacker, known)
	if got := attacker.Get(e.base + "/"); strings.Contains(got.Text(), "Alice") {
		t.Fatalf("the planted cookie leads to the victim's session: %s", got.Text())
	}
}

// slowPost starts a POST whose body has not all arrived, so that the
// request has loaded the session; finish sends the rest and waits.
func slowPost(t *testing.T, e *env, path string, c *http.Cookie) (finish func(body string)) {
	t.Helper()
	pr, pw := io.Pipe()
	req, _ := http.NewRequest(http.MethodPost, e.base+path, pr)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	req.AddCookie(&http.Cookie{Name: c.Name, Value: c.Value})
	done := make(chan struct{})
	go func() {
		defer close(done)
		if resp, err := http.DefaultTransport.RoundTrip(req); err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
	}()
	pw.Write([]byte("a="))
	time.Sleep(300 * time.Millisecond) // the server has loaded the session by now
	return func(body string) {
		pw.Write([]byte("&" + body))
		pw.Close()
		<-done
	}
}
