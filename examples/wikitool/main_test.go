package main

import (
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/mwlogin/mwlogin/internal/browsertest"
	"github.com/mwlogin/mwlogin/internal/demowiki"
	"github.com/mwlogin/mwlogin/mwclient"
)

func TestToolShowsTheSignedInUsersWikiData(t *testing.T) {
	wiki := httptest.NewServer(demowiki.New())
	defer wiki.Close()
	client, err := mwclient.New(wiki.URL+"/api.php", mwclient.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewUnstartedServer(nil)
	r, err := newRouter(client, "http://"+ts.Listener.Addr().String(), [][]byte{[]byte("example-key-0123456789-0123456789-01")}, true)
	if err != nil {
		t.Fatal(err)
	}
	ts.Config.Handler = r
	ts.Start()
	defer ts.Close()

	b := browsertest.New(t)
	p := b.Get(ts.URL + "/")
	if !strings.HasPrefix(p.URL.Path, "/auth/") {
		t.Fatalf("not sent to the login page: %s", p.URL)
	}
	p = p.Form("/auth/login").Set("username", demowiki.UserBob).Set("password", demowiki.Password).Submit()
	p = p.Form("/auth/login").Set("OATHToken", demowiki.TOTP(demowiki.TOTPSecret, time.Now())).Submit()
	if p.URL.Path != "/" {
		t.Fatalf("not back at the tool: %s: %s", p.URL, p.Text())
	}
	text := p.Text()
	for _, want := range []string{"Hello, Bob", "You have made 44 edits", "autoconfirmed"} {
		if !strings.Contains(text, want) {
			t.Fatalf("tool page lacks %q: %s", want, text)
		}
	}
}
