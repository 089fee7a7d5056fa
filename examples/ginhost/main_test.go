package main

import (
	"net/http/httptest"
	"testing"

	"github.com/mwlogin/mwlogin/internal/browsertest"
	"github.com/mwlogin/mwlogin/internal/demowiki"
	"github.com/mwlogin/mwlogin/mwclient"
)

func TestGinHost(t *testing.T) {
	wiki := httptest.NewServer(demowiki.New())
	defer wiki.Close()
	client, err := mwclient.New(wiki.URL+"/api.php", mwclient.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewUnstartedServer(nil)
	r, err := newRouter(client, "http://"+ts.Listener.Addr().String(), "example-key-0123456789-0123456789-01")
	if err != nil {
		t.Fatal(err)
	}
	ts.Config.Handler = r
	ts.Start()
	defer ts.Close()

	b := browsertest.New(t)
	p := b.Get(ts.URL+"/").Form("/auth/login").Set("username", demowiki.UserAlice).Set("password", demowiki.Password).Submit()
	if p.URL.Path != "/" || p.Text() != "Hello, Alice: 43 edits. Sign out" {
		t.Fatalf("after signing in: %s %q", p.URL, p.Text())
	}
	// The app's own page links back to the tool.
	if n := len(b.Get(ts.URL + "/auth/").Find(browsertest.ByTag("a", "href", "/"))); n != 1 {
		t.Fatalf("%d links back to the tool", n)
	}
	p = b.Get(ts.URL + "/").Form("/auth/logout?returnto=%2F").Submit()
	if p.URL.Path != "/auth/" || p.Input("password") == nil {
		t.Fatalf("after signing out: %s %q", p.URL, p.Text())
	}
}
