package store

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"

	"github.com/mwlogin/mwlogin/internal/testredis"
)

var _ Backend = (*Redis)(nil)

func newRedisT(t *testing.T, url string) *Redis {
	t.Helper()
	r, err := NewRedis(url)
	if err != nil {
		t.Fatalf("NewRedis(%s): %v", url, err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

// TestRedisContract runs the Backend contract against miniredis, an
// in-process Redis: a fresh server per subtest.
func TestRedisContract(t *testing.T) {
	testBackend(t, func(t *testing.T) Backend {
		mr := miniredis.RunT(t)
		return newRedisT(t, "redis://"+mr.Addr()+"/0")
	})
	testBackendTTL(t, func(t *testing.T) (Backend, func(string) time.Duration) {
		mr := miniredis.RunT(t)
		r := newRedisT(t, "redis://"+mr.Addr()+"/0")
		return r, func(key string) time.Duration { return mr.TTL(key) }
	})
}

// TestRedisServerContract runs the Backend contract against a real
// redis-server (Debian's), started by the test on a free loopback port.
func TestRedisServerContract(t *testing.T) {
	srv := testredis.Require(t)
	testBackend(t, func(t *testing.T) Backend {
		r := newRedisT(t, srv.URL)
		if err := r.client.FlushDB(context.Background()).Err(); err != nil {
			t.Fatalf("FLUSHDB: %v", err)
		}
		return r
	})
	testBackendTTL(t, func(t *testing.T) (Backend, func(string) time.Duration) {
		r := newRedisT(t, srv.URL)
		if err := r.client.FlushDB(context.Background()).Err(); err != nil {
			t.Fatalf("FLUSHDB: %v", err)
		}
		return r, func(key string) time.Duration { return r.client.PTTL(context.Background(), key).Val() }
	})
}

func TestRedisExpiry(t *testing.T) {
	ctx := context.Background()
	mr := miniredis.RunT(t)
	r := newRedisT(t, "redis://"+mr.Addr())

	if err := r.Set(ctx, "k", []byte("v"), 10*time.Second); err != nil {
		t.Fatal(err)
	}
	if got := mr.TTL("k"); got != 10*time.Second {
		t.Fatalf("TTL in Redis = %v, want 10s", got)
	}
	mr.FastForward(10*time.Second - time.Millisecond)
	if v, err := r.Get(ctx, "k"); err != nil || string(v) != "v" {
		t.Fatalf("Get just before expiry = %q, %v; want v", v, err)
	}
	mr.FastForward(time.Millisecond)
	if v, err := r.Get(ctx, "k"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Get at expiry = %q, %v; want ErrNotFound", v, err)
	}

	// A second Set restarts the TTL.
	if err := r.Set(ctx, "k", []byte("v1"), 10*time.Second); err != nil {
		t.Fatal(err)
	}
	mr.FastForward(8 * time.Second)
	if err := r.Set(ctx, "k", []byte("v2"), 10*time.Second); err != nil {
		t.Fatal(err)
	}
	mr.FastForward(8 * time.Second)
	if v, err := r.Get(ctx, "k"); err != nil || string(v) != "v2" {
		t.Fatalf("Get = %q, %v; want v2 (the second Set restarts the TTL)", v, err)
	}

	// Sub-millisecond precision is rounded up, never to "no expiry" or an error.
	for _, ttl := range []time.Duration{time.Nanosecond, 1500 * time.Microsecond} {
		if err := r.Set(ctx, "short", []byte("v"), ttl); err != nil {
			t.Fatalf("Set with ttl %v: %v", ttl, err)
		}
		if got, want := mr.TTL("short"), ttl.Round(time.Millisecond)+time.Millisecond; got <= 0 || got > want {
			t.Fatalf("TTL for %v = %v, want in (0, %v]", ttl, got, want)
		}
	}
}

// TestRedisServerExpiry checks that a real server drops entries at their TTL.
func TestRedisServerExpiry(t *testing.T) {
	ctx := context.Background()
	srv := testredis.Require(t)
	r := newRedisT(t, srv.URL)
	if err := r.Set(ctx, "expiring", []byte("v"), 150*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	if err := r.Set(ctx, "lasting", []byte("v"), time.Hour); err != nil {
		t.Fatal(err)
	}
	pttl, err := r.client.PTTL(ctx, "expiring").Result()
	if err != nil || pttl <= 0 || pttl > 150*time.Millisecond {
		t.Fatalf("PTTL = %v, %v; want in (0, 150ms]", pttl, err)
	}
	if v, err := r.Get(ctx, "expiring"); err != nil || string(v) != "v" {
		t.Fatalf("Get before expiry = %q, %v", v, err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		_, err := r.Get(ctx, "expiring")
		if errors.Is(err, ErrNotFound) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if time.Now().After(deadline) {
			t.Fatal("entry still there 5 s after its 150 ms TTL")
		}
		time.Sleep(25 * time.Millisecond)
	}
	if _, err := r.Get(ctx, "lasting"); err != nil {
		t.Fatalf("the other entry went too: %v", err)
	}
}

// TestRedisSharedBetweenClients: what one instance's client writes, another
// instance's client reads, which is the point of Redis here.
func TestRedisSharedBetweenClients(t *testing.T) {
	ctx := context.Background()
	srv := testredis.Require(t)
	a, b := newRedisT(t, srv.URL), newRedisT(t, srv.URL)
	mustSet(t, a, "shared", "from a")
	if got := mustGet(t, b, "shared"); got != "from a" {
		t.Fatalf("b reads %q", got)
	}
	if err := b.Delete(ctx, "shared"); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Get(ctx, "shared"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("a after b's Delete: %v", err)
	}
	// Another database of the same server is another namespace.
	other := newRedisT(t, strings.TrimSuffix(srv.URL, "/0")+"/1")
	mustSet(t, a, "db0", "x")
	if _, err := other.Get(ctx, "db0"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("database 1 sees database 0's key: %v", err)
	}
}

func TestRedisURL(t *testing.T) {
	tests := []struct {
		url     string
		want    string // String(), "" for an error
		errHas  string
		secrets []string // must appear in neither String() nor the error
	}{
		{url: "redis://127.0.0.1:6379/0", want: "redis://127.0.0.1:6379/0"},
		{url: "redis://127.0.0.1", want: "redis://127.0.0.1:6379/0"},
		{url: "redis://localhost:7000/3?dial_timeout=2s", want: "redis://localhost:7000/3"},
		{url: "rediss://default:s3cret-pw@redis.example.org:6380/2", want: "rediss://redis.example.org:6380/2", secrets: []string{"s3cret-pw", "default"}},
		{url: "redis://:only-a-password@10.0.0.1:6379", want: "redis://10.0.0.1:6379/0", secrets: []string{"only-a-password"}},
		{url: "http://127.0.0.1:6379", errHas: "redis://"},
		{url: "memory", errHas: "redis://"},
		{url: "unix:///run/redis.sock", errHas: "redis://"},
		{url: "redis://:hunter2-pw@127.0.0.1:6379/notadb", errHas: "database", secrets: []string{"hunter2-pw"}},
		{url: "redis://:hunter2-pw@127.0.0.1:6379/0?dial_timeout=soon", errHas: "dial_timeout", secrets: []string{"hunter2-pw"}},
		{url: "redis://:hunter2-pw@127.0.0.1:bad port/0", errHas: "parse", secrets: []string{"hunter2-pw"}},
	}
	for _, tt := range tests {
		t.Run(tt.url, func(t *testing.T) {
			r, err := NewRedis(tt.url)
			var said string
			if tt.want == "" {
				if err == nil {
					r.Close()
					t.Fatalf("NewRedis(%q) succeeded, want an error", tt.url)
				}
				if !strings.Contains(err.Error(), tt.errHas) {
					t.Fatalf("error %q does not mention %q", err, tt.errHas)
				}
				said = err.Error()
			} else {
				if err != nil {
					t.Fatalf("NewRedis(%q): %v", tt.url, err)
				}
				defer r.Close()
				if got := r.String(); got != tt.want {
					t.Fatalf("String() = %q, want %q", got, tt.want)
				}
				said = r.String()
			}
			for _, s := range tt.secrets {
				if strings.Contains(said, s) {
					t.Fatalf("%q reveals %q", said, s)
				}
			}
		})
	}
}

// TestRedisUnreachable: a server that is gone gives errors, never
// ErrNotFound (which would silently sign everybody out) nor success.
func TestRedisUnreachable(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var logs bytes.Buffer
	SetRedisLogger(slog.New(slog.NewTextHandler(&logs, nil)))
	defer SetRedisLogger(slog.Default())
	mr := miniredis.RunT(t)
	addr := mr.Addr()
	r := newRedisT(t, "redis://"+addr+"/0?dial_timeout=200ms&max_retries=-1")
	if err := r.Ping(ctx); err != nil {
		t.Fatalf("Ping: %v", err)
	}
	mr.Close()
	if err := r.Ping(ctx); err == nil || !strings.Contains(err.Error(), addr) {
		t.Fatalf("Ping after the server went away = %v; want an error naming the server", err)
	}
	if _, err := r.Get(ctx, "k"); err == nil || errors.Is(err, ErrNotFound) {
		t.Fatalf("Get = %v; want an error that is not ErrNotFound", err)
	}
	if err := r.Set(ctx, "k", []byte("v"), time.Minute); err == nil {
		t.Fatal("Set succeeded without a server")
	}
	if err := r.Delete(ctx, "k"); err == nil {
		t.Fatal("Delete succeeded without a server")
	}
	if !strings.Contains(logs.String(), `msg="redis client" message="connection pool: failed to dial`) {
		t.Fatalf("the client library's messages did not reach our logger:\n%s", logs.String())
	}
}

// TestRedisServerPingAndClose: Ping answers for a live server; after Close
// the client refuses work instead of hanging.
func TestRedisServerPingAndClose(t *testing.T) {
	ctx := context.Background()
	srv := testredis.Require(t)
	r, err := NewRedis(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Ping(ctx); err != nil {
		t.Fatalf("Ping: %v", err)
	}
	if err := r.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if _, err := r.Get(ctx, "k"); err == nil || errors.Is(err, ErrNotFound) {
		t.Fatalf("Get after Close = %v; want an error", err)
	}
}
