package handlers_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mwlogin/mwlogin/handlers"
	"github.com/mwlogin/mwlogin/internal/browsertest"
	"github.com/mwlogin/mwlogin/internal/demowiki"
)

// These tests run the app with its default login limits, every browser
// coming from 127.0.0.1.

// newClockEnv is the app at / in front of a demo wiki, on clock.
func newClockEnv(t *testing.T, clock *clock) *env {
	t.Helper()
	wiki := demowiki.New()
	wikiTS := httptest.NewServer(wiki)
	t.Cleanup(wikiTS.Close)
	return newEnvFor(t, "/", wikiTS.URL+"/api.php", wiki, wikiTS, envHook{opts: func(o *handlers.Options) { o.Now = clock.Now }})
}

// try posts the login form b is shown with a name and a password.
func try(b *browsertest.Browser, base, name, password string) *browsertest.Page {
	return b.Get(base+"/").Form("/login").Set("username", name).Set("password", password).Submit()
}

// mustFail checks that the wiki was asked and said the password is wrong.
func mustFail(t *testing.T, p *browsertest.Page) {
	t.Helper()
	if p.Status != http.StatusOK {
		t.Fatalf("a wrong password was answered %d, not the wiki's FAIL: %s", p.Status, p.Text())
	}
	mustContain(t, p, "Incorrect username or password")
}

// mustRefuse checks a 429 that says when to try again.
func mustRefuse(t *testing.T, p *browsertest.Page, retryAfter string, want ...string) {
	t.Helper()
	if p.Status != http.StatusTooManyRequests || p.Header.Get("Retry-After") != retryAfter {
		t.Fatalf("status %d, Retry-After %q; want 429, %s: %s", p.Status, p.Header.Get("Retry-After"), retryAfter, p.Text())
	}
	mustContain(t, p, want...)
}

// A class of 60 behind one school router signs in within a minute, each
// after one typo.
func TestClassroomBehindOneAddress(t *testing.T) {
	e := newClockEnv(t, newClock())
	for n := 1; n <= 60; n++ {
		b := browsertest.New(t)
		name := demowiki.Student(n)
		mustFail(t, try(b, e.base, name, "typo"))
		mustContain(t, try(b, e.base, name, demowiki.Password), "holds your sign-in to", " as "+name)
	}
}

// The sixth wrong password for one name within 5 minutes from one address
// is refused, without asking the wiki; another name from that address
// still signs in; after 5 minutes the name may be tried again.
func TestSixthWrongPasswordIsRefused(t *testing.T) {
	clock := newClock()
	e := newClockEnv(t, clock)
	b := browsertest.New(t)
	for range 5 {
		mustFail(t, try(b, e.base, "Alice", "wrong"))
	}
	clock.Advance(4 * time.Minute)
	before := e.wiki.Calls()
	mustRefuse(t, try(b, e.base, "Alice", "wrong"), "60", "Too many failed sign-ins as Alice from your network",
		"After 5 failed attempts in 5 minutes", "try again in 1 minute", "Other people on your network can still sign in")
	p := try(b, e.base, "Alice", demowiki.Password)
	mustRefuse(t, p, "60", "Too many failed sign-ins as Alice")
	mustNotContain(t, p, demowiki.Password)
	if n := e.wiki.Calls() - before; n != 0 {
		t.Fatalf("refused attempts made %d wiki calls", n)
	}
	mustContain(t, try(browsertest.New(t), e.base, demowiki.Student(1), demowiki.Password), "holds your sign-in to", " as "+demowiki.Student(1))
	p = b.Get(e.base + "/")
	if v, _ := browsertest.Attr(p.Input("username"), "value"); v != "Alice" {
		t.Fatalf("the login page after a refusal has user name %q, want Alice", v)
	}
	clock.Advance(time.Minute)
	mustContain(t, try(b, e.base, "Alice", demowiki.Password), "holds your sign-in to", " as Alice")
}

// The spellings the wiki takes for one account count as one name.
func TestFailuresCountBySpellingOfTheWiki(t *testing.T) {
	e := newClockEnv(t, newClock())
	b := browsertest.New(t)
	for _, name := range []string{"Alice", "alice", "  Alice ", "Alice_", "ALICE"} {
		mustFail(t, try(b, e.base, name, "wrong"))
	}
	mustRefuse(t, try(b, e.base, "alice", "wrong"), "300", "Too many failed sign-ins as alice", "try again in 5 minutes")
}

// A success clears the name's failures at that address, as MediaWiki does.
func TestSuccessClearsFailures(t *testing.T) {
	e := newClockEnv(t, newClock())
	for range 4 {
		mustFail(t, try(browsertest.New(t), e.base, "Alice", "wrong"))
	}
	mustContain(t, try(browsertest.New(t), e.base, "Alice", demowiki.Password), "holds your sign-in to", " as Alice")
	b := browsertest.New(t)
	for range 5 {
		mustFail(t, try(b, e.base, "Alice", "wrong"))
	}
	mustRefuse(t, try(b, e.base, "Alice", "wrong"), "300", "Too many failed sign-ins as Alice")
}

// Later steps of a login under way are neither refused nor counted, even
// once a limit is reached meanwhile.
func TestLaterStepsAreNeverRefused(t *testing.T) {
	t.Run("two-factor step", func(t *testing.T) {
		e := newClockEnv(t, newClock())
		bob := browsertest.New(t)
		step := try(bob, e.base, demowiki.UserBob, demowiki.Password)
		mustContain(t, step, "Continue logging in")
		guesser := browsertest.New(t)
		for range 5 {
			mustFail(t, try(guesser, e.base, demowiki.UserBob, "guess"))
		}
		mustRefuse(t, try(guesser, e.base, demowiki.UserBob, "guess"), "300", "Too many failed sign-ins as Bob")
		for range 6 {
			step = step.Form("/login").Set("OATHToken", "000000").Submit()
			if step.Status != http.StatusOK {
				t.Fatalf("a two-factor step was answered %d: %s", step.Status, step.Text())
			}
			mustContain(t, step, "Verification failed")
		}
		p := step.Form("/login").Set("OATHToken", demowiki.TOTP(demowiki.TOTPSecret, time.Now())).Submit()
		mustContain(t, p, "holds your sign-in to", " as Bob")
	})
	t.Run("return from the identity provider", func(t *testing.T) {
		e := newClockEnv(t, newClock())
		carol := browsertest.New(t)
		ret := providerReturn(t, e, carol)
		guesser := browsertest.New(t)
		for n := range 150 { // handlers.DefaultLoginFailuresPerAddress
			mustFail(t, try(guesser, e.base, fmt.Sprintf("Nobody%d", n), "guess"))
		}
		mustRefuse(t, try(guesser, e.base, "Somebody", "guess"), "3600", "Too many failed sign-ins from your network",
			"After 150 failed attempts in 1 hour from your address", "try again in 1 hour")
		mustContain(t, carol.Get(ret.String()), "holds your sign-in to", " as Carol")
	})
}

func TestRefusalLogCarriesRequestID(t *testing.T) {
	e := newClockEnv(t, newClock())
	b := browsertest.New(t)
	for range 5 {
		try(b, e.base, "Alice", "wrong")
	}
	mustRefuse(t, try(b, e.base, "Alice", "wrong"), "300")
	for _, line := range strings.Split(e.logs.String(), "\n") {
		if strings.Contains(line, "too many failures") {
			if !strings.Contains(line, "request_id=") || !strings.Contains(line, "user=Alice") {
				t.Fatalf("refusal logged without its request ID or user: %s", line)
			}
			return
		}
	}
	t.Fatalf("no refusal logged:\n%s", e.logs.String())
}

// gatedWiki holds every clientlogin call until release is closed, and
// tells arrived of each.
type gatedWiki struct {
	*demowiki.Wiki
	arrived chan struct{}
	release chan struct{}
	once    sync.Once
}

func (w *gatedWiki) ServeHTTP(rw http.ResponseWriter, r *http.Request) {
	if r.ParseForm() == nil && r.PostForm.Get("action") == "clientlogin" {
		select {
		case w.arrived <- struct{}{}:
		default:
		}
		select {
		case <-w.release:
		case <-r.Context().Done():
			return
		}
	}
	w.Wiki.ServeHTTP(rw, r)
}

func (w *gatedWiki) open() { w.once.Do(func() { close(w.release) }) }

type answer struct {
	status     int
	retryAfter string
	body       string
	err        error
}

// submit sends f as b would, from any goroutine.
func submit(b *browsertest.Browser, f *browsertest.Form) answer {
	req, err := http.NewRequest(http.MethodPost, f.Action.String(), strings.NewReader(f.Values.Encode()))
	if err != nil {
		return answer{err: err}
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	resp, err := b.Client.Do(req)
	if err != nil {
		return answer{err: err}
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return answer{status: resp.StatusCode, retryAfter: resp.Header.Get("Retry-After"), body: string(body), err: err}
}

// People who share one account and press "Log in" at the same moment are
// not told to wait minutes: attempts under way count against the limit
// (so that guesses sent all at once cannot slip under it), but a refusal
// they make up says to try again in a few seconds.
func TestSharedNameAtTheSameMoment(t *testing.T) {
	wiki := &gatedWiki{Wiki: demowiki.New(), arrived: make(chan struct{}, 10), release: make(chan struct{})}
	wikiTS := httptest.NewServer(wiki)
	t.Cleanup(wikiTS.Close)
	e := newEnvFor(t, "/", wikiTS.URL+"/api.php", wiki.Wiki, wikiTS)
	t.Cleanup(wiki.open) // first: the servers' Close waits for calls held at the gate
	answers := make(chan answer, 6)
	for range 6 {
		b := browsertest.New(t)
		f := b.Get(e.base+"/").Form("/login").Set("username", "Alice").Set("password", demowiki.Password)
		go func() { answers <- submit(b, f) }()
	}
	wait := func(what string) {
		t.Helper()
		select {
		case <-wiki.arrived:
		case <-time.After(10 * time.Second):
			t.Fatalf("timed out waiting for %s", what)
		}
	}
	next := func() answer {
		t.Helper()
		select {
		case a := <-answers:
			if a.err != nil {
				t.Fatal(a.err)
			}
			return a
		case <-time.After(10 * time.Second):
			t.Fatal("timed out waiting for an answer")
		}
		return answer{}
	}
	for i := range 5 {
		wait(fmt.Sprintf("login %d to reach the wiki", i+1))
	}
	busy := next()
	if busy.status != http.StatusTooManyRequests || busy.retryAfter != "5" || !strings.Contains(busy.body, "Other sign-ins as Alice from your network are under way") ||
		!strings.Contains(busy.body, "try again in a few seconds") {
		t.Fatalf("the sixth login at once: status %d, Retry-After %q:\n%s", busy.status, busy.retryAfter, busy.body)
	}
	wiki.open()
	for range 5 {
		if a := next(); a.status != http.StatusOK || !strings.Contains(a.body, "Log out") {
			t.Fatalf("a login under way: status %d:\n%s", a.status, a.body)
		}
	}
	mustContain(t, try(browsertest.New(t), e.base, "Alice", demowiki.Password), "holds your sign-in to", " as Alice")
}

// A login form posted with a step that names no stored flow still starts a
// login (flow.Engine.Submit starts afresh from a whole login form), so it
// counts and is refused like the fresh form: a made-up step is no way
// round the limit.
func TestMadeUpStepIsCounted(t *testing.T) {
	e := newClockEnv(t, newClock())
	post := func(password string) *browsertest.Page {
		// A new browser each time: no stored flow the step could name.
		f := browsertest.New(t).Get(e.base+"/").Form("/login").Set("username", "Alice").Set("password", password)
		f.Values.Set("step", "made-up")
		return f.Submit()
	}
	for range 5 {
		mustFail(t, post("wrong"))
	}
	mustRefuse(t, post("wrong"), "300", "Too many failed sign-ins as Alice")
}
