package main

import (
	"context"
	"io"
	"net"
	"net/http"
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
