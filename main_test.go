package main

import (
	"context"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/mwlogin/mwlogin/internal/browsertest"
	"github.com/mwlogin/mwlogin/internal/demowiki"
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
	base, cancel, done := startRun(t, "-listen", "127.0.0.1:0", "-log-format", "json")
	get := func(path string) (int, string) {
		resp, err := http.Get(base + path)
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
	if p.Header.Get("X-Request-Id") == "" {
		t.Fatal("no request ID")
	}
	p = p.Form("/login").Set("username", demowiki.UserAlice).Set("password", demowiki.Password).Submit()
	if !strings.Contains(p.Text(), "signed in to the wiki as Alice") {
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

// The profiler is off unless asked for, and then only on its own listener.
func TestDebugListener(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	debugAddr := ln.Addr().String()
	ln.Close()
	base, cancel, done := startRun(t, "-listen", "127.0.0.1:0", "-debug-listen", debugAddr)
	defer cancel()
	status := func(url string) int {
		resp, err := http.Get(url)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if code := status("http://" + debugAddr + "/debug/pprof/"); code != http.StatusOK {
		t.Fatalf("profiler: %d", code)
	}
	if code := status(base + "/debug/pprof/"); code != http.StatusNotFound {
		t.Fatalf("the app's own address serves the profiler: %d", code)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if c, err := net.Dial("tcp", debugAddr); err == nil {
		c.Close()
		t.Fatal("the profiler still listens after shutdown")
	}
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
