package main

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"testing"

	"github.com/mwlogin/mwlogin/internal/browsertest"
	"github.com/mwlogin/mwlogin/internal/demowiki"
	"github.com/mwlogin/mwlogin/mwclient"
)

func TestNetHTTPHost(t *testing.T) {
	wiki := demowiki.New()
	wikiTS := httptest.NewServer(wiki)
	defer wikiTS.Close()
	client, err := mwclient.New(wikiTS.URL+"/api.php", mwclient.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewUnstartedServer(nil)
	mux, err := newMux(client, "http://"+ts.Listener.Addr().String(), "example-key-0123456789-0123456789-01")
	if err != nil {
		t.Fatal(err)
	}
	ts.Config.Handler = mux
	ts.Start()
	defer ts.Close()

	b := browsertest.New(t)
	if p := b.Post(ts.URL+"/save", url.Values{"text": {"x"}}); p.Status != http.StatusUnauthorized {
		t.Fatalf("a post signed out: %d", p.Status)
	}
	p := b.Get(ts.URL+"/").Form("/auth/login").Set("username", demowiki.UserAlice).Set("password", demowiki.Password).Submit()
	if p.URL.Path != "/" {
		t.Fatalf("not back at the tool: %s %q", p.URL, p.Text())
	}
	if p := b.Post(ts.URL+"/save", url.Values{"text": {"forged"}}); p.Status != http.StatusForbidden {
		t.Fatalf("a post without the CSRF token: %d", p.Status)
	}
	p = p.Form("/save").Set("text", "Saved by the tool").Submit()
	if p.URL.Path != "/" || p.Status != http.StatusOK {
		t.Fatalf("after saving: %s %d %q", p.URL, p.Status, p.Text())
	}
	if text, users, _ := wiki.Page(page); text != "Saved by the tool" || !slices.Equal(users, []string{demowiki.UserAlice}) {
		t.Fatalf("the wiki has %q by %v", text, users)
	}
	p = p.Form("/auth/logout?returnto=%2F").Submit()
	if p.URL.Path != "/auth/" || p.Input("password") == nil {
		t.Fatalf("after signing out: %s %q", p.URL, p.Text())
	}
}
