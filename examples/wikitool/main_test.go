package main

import (
	"context"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mwlogin/mwlogin/internal/browsertest"
	"github.com/mwlogin/mwlogin/internal/demowiki"
	"github.com/mwlogin/mwlogin/mwclient"
)

// TestRunsWithNoFlags runs the tool as `go run ./examples/wikitool` does,
// on its built-in demo wiki (only the port is chosen here): sign in as the
// page says, see name and groups, edit the page, see its text and history,
// sign out.
func TestRunsWithNoFlags(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	addr := make(chan string, 1)
	done := make(chan error, 1)
	go func() { done <- run(ctx, []string{"-listen", "127.0.0.1:0"}, func(a string) { addr <- a }) }()
	var base string
	select {
	case a := <-addr:
		base = "http://" + a
	case err := <-done:
		t.Fatalf("run: %v", err)
	}
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("shutdown: %v", err)
		}
	}()

	b := browsertest.New(t)
	p := b.Get(base + "/")
	if p.URL.Path != "/auth/" || !strings.Contains(p.Text(), "Sign in as Alice with the password "+demowiki.Password) {
		t.Fatalf("not the login page with the demo accounts: %s: %s", p.URL, p.Text())
	}
	p = p.Form("/auth/login").Set("username", demowiki.UserAlice).Set("password", demowiki.Password).Submit()
	mustSay(t, p, "Hello, Alice", "autoconfirmed", "Sandbox", "does not exist yet")

	p = p.Form("/edit").Set("text", "Hello from Alice").Set("summary", "first words").Submit()
	if p.URL.Path != "/" || p.Status != http.StatusOK {
		t.Fatalf("after the edit: %s %d: %s", p.URL, p.Status, p.Text())
	}
	mustSay(t, p, "Saved.", "Hello from Alice", "History", "Alice · first words")

	// The signed-in page of mwlogin links back to the tool.
	if links := b.Get(base + "/auth/").Find(browsertest.ByTag("a", "href", "/")); len(links) != 1 {
		t.Fatal("mwlogin's signed-in page has no link back to the tool")
	}
	p = b.Get(base + "/").Form("/auth/logout?returnto=%2F").Submit()
	if p.URL.Path != "/auth/" || p.Input("password") == nil {
		t.Fatalf("after signing out: %s: %s", p.URL, p.Text())
	}
}

// testTool is the tool in front of a demo wiki of the test's own.
func testTool(t *testing.T, page string) (*httptest.Server, *demowiki.Wiki, *httptest.Server) {
	t.Helper()
	wiki := demowiki.New()
	wikiTS := httptest.NewServer(wiki)
	t.Cleanup(wikiTS.Close)
	client, err := mwclient.New(wikiTS.URL+"/api.php", mwclient.Options{Timeout: 5 * time.Second, Retries: -1})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewUnstartedServer(nil)
	r, err := newRouter(config{client: client, publicURL: "http://" + ts.Listener.Addr().String(),
		key: []byte("example-key-0123456789-0123456789-01"), insecure: true, page: page})
	if err != nil {
		t.Fatal(err)
	}
	ts.Config.Handler = r
	ts.Start()
	t.Cleanup(ts.Close)
	return ts, wiki, wikiTS
}

func signIn(t *testing.T, ts *httptest.Server, user string) (*browsertest.Browser, *browsertest.Page) {
	t.Helper()
	b := browsertest.New(t)
	p := b.Get(ts.URL+"/").Form("/auth/login").Set("username", user).Set("password", demowiki.Password).Submit()
	if user == demowiki.UserBob {
		p = p.Form("/auth/login").Set("OATHToken", demowiki.TOTP(demowiki.TOTPSecret, time.Now())).Submit()
	}
	if p.URL.Path != "/" {
		t.Fatalf("not back at the tool: %s: %s", p.URL, p.Text())
	}
	return b, p
}

func TestEditIsTheUsers(t *testing.T) {
	ts, wiki, _ := testTool(t, "Sandbox")
	_, p := signIn(t, ts, demowiki.UserBob)
	mustSay(t, p, "Hello, Bob")
	p = p.Form("/edit").Set("text", "Bob was here").Submit()
	mustSay(t, p, "Saved.", "Bob was here")
	text, users, ok := wiki.Page("Sandbox")
	if !ok || text != "Bob was here" || !slices.Equal(users, []string{demowiki.UserBob}) {
		t.Fatalf("the wiki has %q by %v", text, users)
	}
}

func TestEditErrors(t *testing.T) {
	t.Run("no CSRF token", func(t *testing.T) {
		ts, wiki, _ := testTool(t, "Sandbox")
		b, _ := signIn(t, ts, demowiki.UserAlice)
		p := b.Post(ts.URL+"/edit", map[string][]string{"text": {"forged"}})
		if p.Status != http.StatusForbidden || !strings.Contains(p.Text(), "could not be verified") {
			t.Fatalf("a post without the token: %d: %s", p.Status, p.Text())
		}
		if _, _, ok := wiki.Page("Sandbox"); ok {
			t.Fatal("the forged edit was saved")
		}
	})
	t.Run("the wiki refuses the edit", func(t *testing.T) {
		ts, _, _ := testTool(t, "Bad|title")
		_, p := signIn(t, ts, demowiki.UserAlice)
		p = p.Form("/edit").Set("text", "x").Submit()
		if p.Status != http.StatusBadGateway || len(p.Find(browsertest.ByTag("div", "role", "alert"))) != 1 {
			t.Fatalf("a refused edit: %d: %s", p.Status, p.Text())
		}
		mustSay(t, p, "The wiki did not save the edit:", "title")
	})
	t.Run("the wiki is down", func(t *testing.T) {
		ts, _, wikiTS := testTool(t, "Sandbox")
		b, _ := signIn(t, ts, demowiki.UserAlice)
		wikiTS.Close()
		p := b.Get(ts.URL + "/")
		if p.Status != http.StatusBadGateway {
			t.Fatalf("the wiki down: %d: %s", p.Status, p.Text())
		}
		mustSay(t, p, "could not be reached")
	})
	t.Run("the wiki ended the session", func(t *testing.T) {
		ts, wiki, _ := testTool(t, "Sandbox")
		b, _ := signIn(t, ts, demowiki.UserAlice)
		wiki.ExpireSessions()
		if p := b.Get(ts.URL + "/"); p.URL.Path != "/auth/" || p.Input("password") == nil {
			t.Fatalf("not sent to sign in again: %s: %s", p.URL, p.Text())
		}
	})
}

func mustSay(t *testing.T, p *browsertest.Page, want ...string) {
	t.Helper()
	text := p.Text()
	for _, w := range want {
		if !strings.Contains(text, w) {
			t.Fatalf("%s (%d) does not say %q: %s", p.URL, p.Status, w, text)
		}
	}
}
