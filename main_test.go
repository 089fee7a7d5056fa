package main

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mwlogin/mwlogin/internal/browsertest"
	"github.com/mwlogin/mwlogin/internal/demowiki"
	"github.com/mwlogin/mwlogin/internal/testredis"
)

// startRun runs the command with args, with no wiki configured (the demo
// wiki), until cancel; done gets what run returned.
func startRun(t *testing.T, args ...string) (base string, cancel func(), done <-chan error) {
	t.Helper()
	t.Setenv("MWLOGIN_WIKI", "")
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel) // the server stops even when the test fails first
	addr := make(chan string, 1)
	errc := make(chan error, 1)
	go func() { errc <- run(ctx, args, func(a string) { addr <- a }) }()
	select {
	case a := <-addr:
		return "http://" + a, cancel, errc
	case err := <-errc:
		t.Fatalf("run: %v", err)
	case <-time.After(10 * time.Second):
		t.Fatal("not listening")
	}
	return "", cancel, errc
}

// TestDemoOutOfTheBox runs the command as `go run .` would, with no wiki
// configured: the built-in demo wiki, health, readiness and metrics.
func TestDemoOutOfTheBox(t *testing.T) {
	metricsAddr := freeAddr(t)
	base, cancel, done := startRun(t, "-listen", "127.0.0.1:0", "-log-format", "json", "-metrics-listen", metricsAddr)
	get := func(path string) (int, string) {
		if path == "/metrics" {
			path = "http://" + metricsAddr + path
		} else {
			path = base + path
		}
		resp, err := http.Get(path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, _ := get("/healthz"); code != http.StatusOK {
		t.Fatalf("/healthz: %d", code)
	}
	if code, body := get("/readyz"); code != http.StatusOK {
		t.Fatalf("/readyz: %d %s", code, body)
	}

	b := browsertest.New(t)
	p := b.Get(base + "/")
	if !strings.Contains(p.Text(), "Demo mode") || !strings.Contains(p.Text(), demowiki.Password) {
		t.Fatalf("the page does not say it is a demo: %s", p.Text())
	}
	// The note is in the page's language too.
	if ja := b.Get(base + "/?uselang=ja"); !strings.Contains(ja.Text(), "デモモード") || !strings.Contains(ja.Text(), demowiki.Password) {
		t.Fatalf("the Japanese page's demo note: %s", ja.Text())
	}
	if p.Header.Get("X-Request-Id") == "" {
		t.Fatal("no request ID")
	}
	p = p.Form("/login").Set("username", demowiki.UserAlice).Set("password", demowiki.Password).Submit()
	if !strings.Contains(p.Text(), "holds your sign-in to") || !strings.Contains(p.Text(), " as Alice") {
		t.Fatalf("demo login: %s", p.Text())
	}

	_, metrics := get("/metrics")
	for _, want := range []string{
		`mwlogin_login_outcomes_total{messagecode="",status="PASS"} 1`,
		`mwlogin_wiki_call_duration_seconds_count{action="clientlogin",result="ok"} 1`,
		`mwlogin_active_flows 0`,
	} {
		if !strings.Contains(metrics, want) {
			t.Fatalf("/metrics lacks %q:\n%s", want, metrics)
		}
	}

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("shutdown: %v", err)
		}
	case <-time.After(35 * time.Second):
		t.Fatal("did not shut down")
	}
}

// freeAddr returns a loopback address with a port free a moment ago.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// Metrics, and the profiler when asked for, are served only on the
// private listener of -metrics-listen, never on the public one.
func TestMetricsListener(t *testing.T) {
	status := func(url string) int {
		t.Helper()
		resp, err := http.Get(url)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	cases := []struct {
		name    string
		private bool // a -metrics-listen address is given
		pprof   bool
	}{
		{"no metrics listener", false, false},
		{"metrics only", true, false},
		{"metrics and profiler", true, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			args := []string{"-listen", "127.0.0.1:0"}
			addr := freeAddr(t)
			if tc.private {
				args = append(args, "-metrics-listen", addr)
			}
			if tc.pprof {
				args = append(args, "-pprof")
			}
			base, cancel, done := startRun(t, args...)
			defer cancel()
			for _, path := range []string{"/metrics", "/debug/pprof/"} {
				if code := status(base + path); code != http.StatusNotFound {
					t.Fatalf("the public address serves %s: %d", path, code)
				}
			}
			if tc.private {
				if code := status("http://" + addr + "/metrics"); code != http.StatusOK {
					t.Fatalf("metrics listener /metrics: %d", code)
				}
				want := http.StatusNotFound
				if tc.pprof {
					want = http.StatusOK
				}
				if code := status("http://" + addr + "/debug/pprof/"); code != want {
					t.Fatalf("metrics listener /debug/pprof/: %d, want %d", code, want)
				}
			}
			cancel()
			if err := <-done; err != nil {
				t.Fatal(err)
			}
			if c, err := net.Dial("tcp", addr); err == nil {
				c.Close()
				t.Fatal("something still listens on the metrics address after shutdown")
			}
		})
	}
}

// Settings that cannot work are refused at start with a message that says
// what to set instead.
func TestMetricsSettingsRefused(t *testing.T) {
	cases := []struct {
		name string
		env  map[string]string
		args []string
		want string
	}{
		{"profiler without a listener", nil, []string{"-pprof"}, "-metrics-listen"},
		{"the old debug listener", map[string]string{"MWLOGIN_DEBUG_LISTEN": "127.0.0.1:6060"}, nil, "MWLOGIN_METRICS_LISTEN"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("MWLOGIN_WIKI", "")
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			err := run(ctx, append([]string{"-listen", "127.0.0.1:0"}, tc.args...), func(string) {
				t.Error("the app started")
				cancel()
			})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("run: %v, want an error naming %s", err, tc.want)
			}
		})
	}
}

// /readyz answers ok only while every backend the app needs answers: the
// wiki and the session store.
func TestReadyzChecksTheSessionStore(t *testing.T) {
	srv := testredis.Require(t)
	base, cancel, done := startRun(t, "-listen", "127.0.0.1:0", "-store", srv.URL)
	readyz := func() (int, string) {
		resp, err := http.Get(base + "/readyz")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, body := readyz(); code != http.StatusOK {
		t.Fatalf("/readyz with Redis up: %d %s", code, body)
	}
	if err := srv.Stop(); err != nil {
		t.Fatal(err)
	}
	code, body := readyz()
	if code != http.StatusServiceUnavailable || !strings.Contains(body, "session store") || strings.Contains(body, "wiki") {
		t.Fatalf("/readyz with Redis down: %d %q", code, body)
	}
	if strings.Contains(body, srv.Addr) {
		t.Fatalf("/readyz tells the public where Redis is: %q", body)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

// A -wiki URL that is not the wiki's api.php is refused at start with a
// message that shows the right form; a wiki that does not answer at all is
// not refused, since it may only be down while this deploys.
func TestWikiURLCheckedAtStart(t *testing.T) {
	frontPage := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		io.WriteString(w, "<html><body>Main Page</body></html>")
	}))
	defer frontPage.Close()
	missing := httptest.NewServer(http.NotFoundHandler())
	defer missing.Close()
	moved := httptest.NewServer(http.RedirectHandler("https://wiki.example.org/w/api.php", http.StatusMovedPermanently))
	defer moved.Close()
	cases := []struct {
		name, wiki string
		want       []string // in the error; none: the app starts
	}{
		{"front page", frontPage.URL + "/wiki/Main_Page", []string{frontPage.URL + "/wiki/Main_Page", "is not the wiki's api.php", "https://wiki.example.org/w/api.php"}},
		{"404", missing.URL + "/api.php", []string{"is not the wiki's api.php", "404 Not Found", "https://wiki.example.org/w/api.php"}},
		{"redirect", moved.URL + "/api.php", []string{"redirect", "301", "https://wiki.example.org/w/api.php"}},
		{"unreachable", freeURL(t) + "/w/api.php", nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("MWLOGIN_WIKI", "")
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			started := false
			err := run(ctx, []string{"-listen", "127.0.0.1:0", "-wiki", tc.wiki}, func(string) {
				started = true
				cancel()
			})
			if tc.want == nil {
				if !started || err != nil {
					t.Fatalf("an unreachable wiki stopped the start: %v", err)
				}
				return
			}
			if started || err == nil {
				t.Fatal("the app started")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Fatalf("the error lacks %q: %v", w, err)
				}
			}
		})
	}
}

// freeURL returns the URL of a loopback port where nothing listens.
func freeURL(t *testing.T) string {
	return "http://" + freeAddr(t)
}

func TestLoginLimitFlags(t *testing.T) {
	cases := []struct {
		name             string
		args             []string
		env              map[string]string
		perUser, perAddr int
		wantErr          string
	}{
		{"defaults", nil, nil, 5, 150, ""},
		{"flags", []string{"-login-failures-per-user", "3", "-login-failures-per-address", "1000"}, nil, 3, 1000, ""},
		{"variables", nil, map[string]string{"MWLOGIN_LOGIN_FAILURES_PER_USER": "-1", "MWLOGIN_LOGIN_FAILURES_PER_ADDRESS": "40"}, -1, 40, ""},
		{"zero", []string{"-login-failures-per-user", "0"}, nil, 0, 0, "-login-failures-per-user"},
		{"not a number", []string{"-login-failures-per-address", "lots"}, nil, 0, 0, "-login-failures-per-address"},
		{"the old flag turning the limit off", []string{"-login-attempts", "-1"}, nil, -1, -1, ""},
		{"the old flag with a number", []string{"-login-attempts", "10"}, nil, 0, 0, "now counts failed logins"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			for _, k := range []string{"MWLOGIN_LOGIN_FAILURES_PER_USER", "MWLOGIN_LOGIN_FAILURES_PER_ADDRESS", "MWLOGIN_LOGIN_ATTEMPTS"} {
				t.Setenv(k, tc.env[k])
				if _, ok := tc.env[k]; !ok {
					os.Unsetenv(k)
				}
			}
			cfg, err := parseFlags(tc.args)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err %v, want one mentioning %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if cfg.userFailures != tc.perUser || cfg.addrFailures != tc.perAddr {
				t.Fatalf("per user %d, per address %d; want %d, %d", cfg.userFailures, cfg.addrFailures, tc.perUser, tc.perAddr)
			}
		})
	}
}

func TestHomeURLFlag(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		env  string
	}{
		{"flag", []string{"-home-url", "https://tool.example/home"}, ""},
		{"variable", nil, "https://tool.example/home"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("MWLOGIN_HOME_URL", tc.env)
			base, _, _ := startRun(t, append([]string{"-listen", "127.0.0.1:0"}, tc.args...)...)
			b := browsertest.New(t)
			p := b.Get(base+"/").Form("/login").Set("username", demowiki.UserAlice).Set("password", demowiki.Password).Submit()
			if len(p.Find(browsertest.ByTag("a", "href", "https://tool.example/home"))) != 1 {
				t.Fatalf("the signed-in page does not link to the home URL: %s", p.Body)
			}
		})
	}
	t.Setenv("MWLOGIN_HOME_URL", "")
	if err := run(context.Background(), []string{"-listen", "127.0.0.1:0", "-home-url", "javascript:alert(1)"}, nil); err == nil || !strings.Contains(err.Error(), "HomeURL") {
		t.Fatalf("a bad -home-url: %v", err)
	}
}

func TestRememberLifetimeFlag(t *testing.T) {
	cases := []struct {
		name    string
		args    []string
		env     string
		want    time.Duration
		wantErr bool
	}{
		{"default", nil, "", 180 * 24 * time.Hour, false},
		{"flag", []string{"-remember-lifetime", "720h"}, "", 720 * time.Hour, false},
		{"variable", nil, "48h", 48 * time.Hour, false},
		{"not a duration", []string{"-remember-lifetime", "180"}, "", 0, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("MWLOGIN_REMEMBER_LIFETIME", tc.env)
			if tc.env == "" {
				os.Unsetenv("MWLOGIN_REMEMBER_LIFETIME")
			}
			cfg, err := parseFlags(tc.args)
			if (err != nil) != tc.wantErr {
				t.Fatalf("err %v, want error %v", err, tc.wantErr)
			}
			if err == nil && cfg.rememberLifetime != tc.want {
				t.Fatalf("remember lifetime %v, want %v", cfg.rememberLifetime, tc.want)
			}
		})
	}
}

func TestAPIFlags(t *testing.T) {
	base, _, _ := startRun(t, "-listen", "127.0.0.1:0", "-enable-api", "-api-secrets", "tool-secret-0123456789-0123456789-0123456789")
	b := browsertest.New(t)
	b.Get(base+"/").Form("/login").Set("username", demowiki.UserAlice).Set("password", demowiki.Password).Submit()
	req, _ := http.NewRequest(http.MethodPost, base+"/api", strings.NewReader("action=query&meta=userinfo"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Authorization", "Bearer tool-secret-0123456789-0123456789-0123456789")
	resp, err := b.Client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), `"name":"Alice"`) {
		t.Fatalf("/api with the tool's secret: %d %s", resp.StatusCode, body)
	}

	t.Setenv("MWLOGIN_API_SECRETS", "tool-secret-0123456789-0123456789-0123456789")
	if err := run(context.Background(), []string{"-listen", "127.0.0.1:0"}, nil); err == nil || !strings.Contains(err.Error(), "EnableAPI") {
		t.Fatalf("secrets without -enable-api: %v", err)
	}
}

func TestTemplatesFlag(t *testing.T) {
	dir := t.TempDir()
	signedIn := `{{define "content"}}{{with .User}}<p class="custom">Welcome back, {{.Name}}.</p>{{end}}{{end}}`
	if err := os.WriteFile(filepath.Join(dir, "signedin.html"), []byte(signedIn), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		args []string
		env  string
	}{
		{"flag", []string{"-templates", dir}, ""},
		{"variable", nil, dir},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("MWLOGIN_TEMPLATES", tc.env)
			base, _, _ := startRun(t, append([]string{"-listen", "127.0.0.1:0"}, tc.args...)...)
			b := browsertest.New(t)
			p := b.Get(base+"/").Form("/login").Set("username", demowiki.UserAlice).Set("password", demowiki.Password).Submit()
			if !strings.Contains(p.Body, `<p class="custom">Welcome back, Alice.</p>`) {
				t.Fatalf("the signed-in page is not the override: %s", p.Body)
			}
			// The layout, not overridden, is still ours.
			if !strings.Contains(p.Body, "/static/style.css") {
				t.Errorf("the layout is gone: %s", p.Body)
			}
		})
	}

	t.Setenv("MWLOGIN_TEMPLATES", "")
	broken := t.TempDir()
	os.WriteFile(filepath.Join(broken, "login.html"), []byte(`{{define "content"}}{{.Step.ID}`), 0o644)
	misspelt := t.TempDir()
	os.WriteFile(filepath.Join(misspelt, "signed-in.html"), []byte(signedIn), 0o644)
	file := filepath.Join(t.TempDir(), "layout.html")
	os.WriteFile(file, []byte(`{{define "layout"}}{{end}}`), 0o644)
	for _, tc := range []struct{ name, dir, want string }{
		{"missing directory", filepath.Join(dir, "nope"), "is not a directory"},
		{"a file", file, "is not a directory"},
		{"a template that does not parse", broken, "login.html"},
		{"a name that is none of ours", misspelt, "signed-in.html is none of the templates"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := run(context.Background(), []string{"-listen", "127.0.0.1:0", "-templates", tc.dir}, nil)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("run = %v, want an error saying %q", err, tc.want)
			}
		})
	}
}
