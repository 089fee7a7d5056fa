package store

import (
	"context"
	"errors"
	"testing"
	"time"
)

var _ Backend = (*Memory)(nil)

func TestMemoryContract(t *testing.T) {
	testBackend(t, func(t *testing.T) Backend { return NewMemory() })
	testBackendTTL(t, func(t *testing.T) (Backend, func(string) time.Duration) {
		m, c := newMemoryAt(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))
		return m, func(key string) time.Duration {
			m.mu.Lock()
			defer m.mu.Unlock()
			return time.Duration(m.m[key].expires - c.now().UnixNano())
		}
	})
}

// fakeClock is a settable clock for Memory.now.
type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time          { return c.t }
func (c *fakeClock) advance(d time.Duration) { c.t = c.t.Add(d) }

func newMemoryAt(start time.Time) (*Memory, *fakeClock) {
	c := &fakeClock{t: start}
	m := NewMemory()
	m.now = c.now
	return m, c
}

func TestMemoryExpiry(t *testing.T) {
	ctx := context.Background()
	start := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	tests := []struct {
		name    string
		ttl     time.Duration
		elapsed time.Duration
		found   bool
	}{
		{"fresh", 10 * time.Second, 0, true},
		{"just before expiry", 10 * time.Second, 10*time.Second - time.Nanosecond, true},
		{"at expiry", 10 * time.Second, 10 * time.Second, false},
		{"after expiry", 10 * time.Second, time.Hour, false},
		{"long ttl", 24 * time.Hour, 23 * time.Hour, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, clock := newMemoryAt(start)
			if err := m.Set(ctx, "k", []byte("v"), tt.ttl); err != nil {
				t.Fatal(err)
			}
			clock.advance(tt.elapsed)
			v, err := m.Get(ctx, "k")
			if tt.found {
				if err != nil || string(v) != "v" {
					t.Fatalf("Get after %v (ttl %v) = %q, %v; want %q", tt.elapsed, tt.ttl, v, err, "v")
				}
				return
			}
			if !errors.Is(err, ErrNotFound) {
				t.Fatalf("Get after %v (ttl %v) = %q, %v; want ErrNotFound", tt.elapsed, tt.ttl, v, err)
			}
		})
	}
}

func TestMemorySetRenewsTTL(t *testing.T) {
	ctx := context.Background()
	m, clock := newMemoryAt(time.Unix(1_700_000_000, 0))
	if err := m.Set(ctx, "k", []byte("v1"), 10*time.Second); err != nil {
		t.Fatal(err)
	}
	clock.advance(8 * time.Second)
	if err := m.Set(ctx, "k", []byte("v2"), 10*time.Second); err != nil {
		t.Fatal(err)
	}
	clock.advance(8 * time.Second) // 16 s after the first Set, 8 s after the second
	if v, err := m.Get(ctx, "k"); err != nil || string(v) != "v2" {
		t.Fatalf("Get = %q, %v; want v2 (the second Set restarts the TTL)", v, err)
	}
}

func TestMemoryExpiredCanBeSetAgain(t *testing.T) {
	ctx := context.Background()
	m, clock := newMemoryAt(time.Unix(1_700_000_000, 0))
	if err := m.Set(ctx, "k", []byte("old"), time.Second); err != nil {
		t.Fatal(err)
	}
	clock.advance(2 * time.Second)
	if err := m.Set(ctx, "k", []byte("new"), time.Second); err != nil {
		t.Fatal(err)
	}
	if v, err := m.Get(ctx, "k"); err != nil || string(v) != "new" {
		t.Fatalf("Get = %q, %v; want new", v, err)
	}
}

func TestMemorySweep(t *testing.T) {
	ctx := context.Background()
	m, clock := newMemoryAt(time.Unix(1_700_000_000, 0))
	set := func(key string, ttl time.Duration) {
		t.Helper()
		if err := m.Set(ctx, key, []byte(key), ttl); err != nil {
			t.Fatal(err)
		}
	}
	set("short1", time.Second)
	set("short2", 5*time.Second)
	set("long", time.Hour)
	if n := m.Len(); n != 3 {
		t.Fatalf("Len = %d, want 3", n)
	}

	// Expired but not yet swept: Get hides them, Len still counts them.
	clock.advance(10 * time.Second)
	for _, k := range []string{"short1", "short2"} {
		if _, err := m.Get(ctx, k); !errors.Is(err, ErrNotFound) {
			t.Errorf("Get(%s) after expiry: %v, want ErrNotFound", k, err)
		}
	}
	set("mid", 30*time.Second) // within sweepEvery of the last sweep: no sweep
	if n := m.Len(); n != 4 {
		t.Fatalf("Len before the next sweep = %d, want 4 (expired entries not swept yet)", n)
	}

	// Past sweepEvery, the next write sweeps every expired entry, and only those.
	clock.advance(sweepEvery)
	set("trigger", time.Hour)
	if n := m.Len(); n != 2 {
		t.Fatalf("Len after sweep = %d, want 2 (long, trigger)", n)
	}
	for _, k := range []string{"long", "trigger"} {
		if v, err := m.Get(ctx, k); err != nil || string(v) != k {
			t.Errorf("Get(%s) after sweep = %q, %v; want it kept", k, v, err)
		}
	}
	for _, k := range []string{"short1", "short2", "mid"} {
		if _, err := m.Get(ctx, k); !errors.Is(err, ErrNotFound) {
			t.Errorf("Get(%s) after sweep: %v, want ErrNotFound", k, err)
		}
	}
}

func TestMemoryDeleteShrinks(t *testing.T) {
	ctx := context.Background()
	m := NewMemory()
	for _, k := range []string{"a", "b", "c"} {
		if err := m.Set(ctx, k, []byte(k), time.Hour); err != nil {
			t.Fatal(err)
		}
	}
	if err := m.Delete(ctx, "b"); err != nil {
		t.Fatal(err)
	}
	if n := m.Len(); n != 2 {
		t.Fatalf("Len after Delete = %d, want 2", n)
	}
}
