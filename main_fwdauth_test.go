package main

import (
	"net/http"
	"strings"
	"testing"

	"github.com/mwlogin/mwlogin/internal/browsertest"
	"github.com/mwlogin/mwlogin/internal/demowiki"
)

// TestPrefixForForwardAuth: with -prefix the app answers only under it,
// and its cookie covers the whole host, so that the /auth checks a reverse
// proxy makes for the tools beside it see the sign-in.
func TestPrefixForForwardAuth(t *testing.T) {
	base, _, _ := startRun(t, "-listen", "127.0.0.1:0", "-prefix", "/mwlogin/", "-allowed-return-hosts", "tool.example:8443")
	noFollow := func(b *browsertest.Browser) *http.Client {
		c := *b.Client
		c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
		return &c
	}
	b := browsertest.New(t)
	get := func(path string, header ...string) *http.Response {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, base+path, nil)
		for i := 0; i+1 < len(header); i += 2 {
			req.Header.Set(header[i], header[i+1])
		}
		resp, err := noFollow(b).Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	if resp := get("/"); resp.StatusCode != http.StatusNotFound {
		t.Fatalf("/ under -prefix: %d", resp.StatusCode)
	}
	if resp := get("/healthz"); resp.StatusCode != http.StatusOK {
		t.Fatalf("/healthz: %d", resp.StatusCode)
	}
	resp := get("/mwlogin/auth", "X-Original-URL", "http://tool.example:8443/page")
	if want := base + "/mwlogin/?returnto=http%3A%2F%2Ftool.example%3A8443%2Fpage"; resp.StatusCode != http.StatusUnauthorized || resp.Header.Get("X-Wiki-Login-URL") != want {
		t.Fatalf("/mwlogin/auth: %d, login URL %q, want %q", resp.StatusCode, resp.Header.Get("X-Wiki-Login-URL"), want)
	}
	p := b.Get(base + "/mwlogin/")
	p = p.Form("/mwlogin/login").Set("username", demowiki.UserAlice).Set("password", demowiki.Password).Submit()
	if !strings.Contains(p.Text(), "holds your sign-in to") || !strings.Contains(p.Text(), " as Alice") {
		t.Fatalf("login under -prefix: %s", p.Text())
	}
	if c := b.Cookies(base + "/tool/"); len(c) != 1 {
		t.Fatalf("our cookie does not reach /tool/: %v", c)
	}
	if resp := get("/mwlogin/auth"); resp.StatusCode != http.StatusNoContent || resp.Header.Get("X-Wiki-User") != "Alice" {
		t.Fatalf("/mwlogin/auth signed in: %d %v", resp.StatusCode, resp.Header)
	}
}

func TestPrefixFlag(t *testing.T) {
	for in, want := range map[string]string{"": "", "/": "", "/mwlogin": "/mwlogin", "mwlogin/": "/mwlogin", "/a/b-c_d.e~f": "/a/b-c_d.e~f"} {
		cfg, err := parseFlags([]string{"-prefix", in})
		if err != nil || cfg.prefix != want {
			t.Errorf("-prefix %q: %q, %v; want %q", in, cfg.prefix, err, want)
		}
	}
	for _, bad := range []string{"/a//b", "/../x", "/a/./b", "/a b", "/a?b", "/a#b", "/a%2fb", "/é", "/a\\b"} {
		if _, err := parseFlags([]string{"-prefix", bad}); err == nil || !strings.Contains(err.Error(), "-prefix") {
			t.Errorf("-prefix %q: %v", bad, err)
		}
	}
}
