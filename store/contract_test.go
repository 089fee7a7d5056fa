package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"
)

// testBackend is the contract every Backend keeps. newBackend returns an
// empty backend for one subtest; a backend that needs a server (Redis) can
// skip there when none is configured. Expiry needs a controllable clock or
// real waiting, so it is tested per backend, not here.
func testBackend(t *testing.T, newBackend func(t *testing.T) Backend) {
	t.Helper()
	const ttl = time.Hour
	ctx := context.Background()

	t.Run("GetMissing", func(t *testing.T) {
		b := newBackend(t)
		v, err := b.Get(ctx, "absent")
		if !errors.Is(err, ErrNotFound) {
			t.Fatalf("Get(absent) = %q, %v; want ErrNotFound", v, err)
		}
	})

	t.Run("SetGet", func(t *testing.T) {
		tests := []struct {
			name  string
			key   string
			value []byte
		}{
			{"text", "session:abc", []byte("hello")},
			{"binary", "session:bin", []byte{0, 1, 2, 0xff, 0, 0xfe}},
			{"empty", "session:empty", []byte{}},
			{"large", "session:large", bytes.Repeat([]byte("x"), 1<<20)},
			{"odd key", "prefix/session:ü:\x00:sp ace", []byte("v")},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				b := newBackend(t)
				if err := b.Set(ctx, tt.key, tt.value, ttl); err != nil {
					t.Fatalf("Set: %v", err)
				}
				got, err := b.Get(ctx, tt.key)
				if err != nil {
					t.Fatalf("Get after Set: %v", err)
				}
				if !bytes.Equal(got, tt.value) {
					t.Fatalf("Get = %d bytes %q..., want %d bytes", len(got), trunc(got), len(tt.value))
				}
			})
		}
	})

	t.Run("Overwrite", func(t *testing.T) {
		b := newBackend(t)
		mustSet(t, b, "k", "first")
		mustSet(t, b, "k", "second")
		if got := mustGet(t, b, "k"); got != "second" {
			t.Fatalf("Get after overwrite = %q, want %q", got, "second")
		}
	})

	t.Run("KeysAreIndependent", func(t *testing.T) {
		b := newBackend(t)
		for i := range 10 {
			mustSet(t, b, fmt.Sprintf("k%d", i), fmt.Sprintf("v%d", i))
		}
		if err := b.Delete(ctx, "k3"); err != nil {
			t.Fatalf("Delete: %v", err)
		}
		for i := range 10 {
			key := fmt.Sprintf("k%d", i)
			got, err := b.Get(ctx, key)
			if i == 3 {
				if !errors.Is(err, ErrNotFound) {
					t.Errorf("Get(%s) after Delete = %q, %v; want ErrNotFound", key, got, err)
				}
				continue
			}
			if err != nil || string(got) != fmt.Sprintf("v%d", i) {
				t.Errorf("Get(%s) = %q, %v; want %q", key, got, err, fmt.Sprintf("v%d", i))
			}
		}
		// Prefixes are not hierarchies.
		if _, err := b.Get(ctx, "k"); !errors.Is(err, ErrNotFound) {
			t.Errorf("Get(k) = %v; want ErrNotFound", err)
		}
	})

	t.Run("Delete", func(t *testing.T) {
		b := newBackend(t)
		mustSet(t, b, "k", "v")
		if err := b.Delete(ctx, "k"); err != nil {
			t.Fatalf("Delete: %v", err)
		}
		if v, err := b.Get(ctx, "k"); !errors.Is(err, ErrNotFound) {
			t.Fatalf("Get after Delete = %q, %v; want ErrNotFound", v, err)
		}
		// Deleting again, or a key never set, is not an error.
		if err := b.Delete(ctx, "k"); err != nil {
			t.Fatalf("second Delete: %v", err)
		}
		if err := b.Delete(ctx, "never-set"); err != nil {
			t.Fatalf("Delete(never-set): %v", err)
		}
		// A deleted key can be set again.
		mustSet(t, b, "k", "again")
		if got := mustGet(t, b, "k"); got != "again" {
			t.Fatalf("Get after re-Set = %q, want %q", got, "again")
		}
	})

	t.Run("SetNX", func(t *testing.T) {
		b := newBackend(t)
		ok, err := b.SetNX(ctx, "lock", []byte("first"), time.Hour)
		if err != nil || !ok {
			t.Fatalf("SetNX on an empty key = %v, %v; want true", ok, err)
		}
		ok, err = b.SetNX(ctx, "lock", []byte("second"), time.Hour)
		if err != nil || ok {
			t.Fatalf("SetNX on a held key = %v, %v; want false", ok, err)
		}
		if got := mustGet(t, b, "lock"); got != "first" {
			t.Fatalf("a refused SetNX changed the value to %q", got)
		}
		if err := b.Delete(ctx, "lock"); err != nil {
			t.Fatal(err)
		}
		if ok, err := b.SetNX(ctx, "lock", []byte("third"), time.Hour); err != nil || !ok {
			t.Fatalf("SetNX after Delete = %v, %v; want true", ok, err)
		}
	})

	t.Run("SetCopiesValue", func(t *testing.T) {
		b := newBackend(t)
		in := []byte("original")
		if err := b.Set(ctx, "k", in, ttl); err != nil {
			t.Fatalf("Set: %v", err)
		}
		copy(in, "MUTATED!")
		if got := mustGet(t, b, "k"); got != "original" {
			t.Fatalf("stored value changed with the caller's slice: got %q, want %q", got, "original")
		}
	})

	t.Run("Concurrent", func(t *testing.T) {
		b := newBackend(t)
		var wg sync.WaitGroup
		errs := make(chan error, 8*50)
		for g := range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range 50 {
					key := fmt.Sprintf("g%d-k%d", g, i%5)
					want := fmt.Sprintf("g%d-v%d", g, i)
					if err := b.Set(ctx, key, []byte(want), ttl); err != nil {
						errs <- err
						return
					}
					got, err := b.Get(ctx, key)
					if err != nil {
						errs <- fmt.Errorf("Get(%s): %w", key, err)
						return
					}
					// Each goroutine owns its keys, so it reads its own write.
					if string(got) != want {
						errs <- fmt.Errorf("Get(%s) = %q, want %q", key, got, want)
						return
					}
					if i%7 == 0 {
						if err := b.Delete(ctx, key); err != nil {
							errs <- err
							return
						}
					}
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}
	})
}

func mustSet(t *testing.T, b Backend, key, value string) {
	t.Helper()
	if err := b.Set(context.Background(), key, []byte(value), time.Hour); err != nil {
		t.Fatalf("Set(%s): %v", key, err)
	}
}

func mustGet(t *testing.T, b Backend, key string) string {
	t.Helper()
	v, err := b.Get(context.Background(), key)
	if err != nil {
		t.Fatalf("Get(%s): %v", key, err)
	}
	return string(v)
}

func trunc(b []byte) []byte {
	if len(b) > 16 {
		return b[:16]
	}
	return b
}

// testBackendTTL is the contract on time to live: a value is stored for
// the TTL it was given, from a lock's minutes to a remembered session's
// half year, so that a session lasts as long as the app promised the
// user. ttlOf reports the TTL the backend holds for a key.
func testBackendTTL(t *testing.T, newBackend func(t *testing.T) (Backend, func(key string) time.Duration)) {
	t.Helper()
	ctx := context.Background()
	for _, ttl := range []time.Duration{time.Minute, 12 * time.Hour, 180 * 24 * time.Hour} {
		t.Run(ttl.String(), func(t *testing.T) {
			b, ttlOf := newBackend(t)
			if err := b.Set(ctx, "session:k", []byte("v"), ttl); err != nil {
				t.Fatalf("Set: %v", err)
			}
			if ok, err := b.SetNX(ctx, "lock:k", []byte("v"), ttl); err != nil || !ok {
				t.Fatalf("SetNX = %v, %v", ok, err)
			}
			for _, key := range []string{"session:k", "lock:k"} {
				if got := ttlOf(key); got > ttl || got < ttl-time.Second {
					t.Errorf("%s: TTL %v, want %v", key, got, ttl)
				}
				if mustGet(t, b, key) != "v" {
					t.Errorf("%s: value lost", key)
				}
			}
			// A later Set replaces the TTL, shorter or longer.
			if err := b.Set(ctx, "session:k", []byte("v"), ttl/2); err != nil {
				t.Fatal(err)
			}
			if got := ttlOf("session:k"); got > ttl/2 || got < ttl/2-time.Second {
				t.Errorf("after a shorter Set: TTL %v, want %v", got, ttl/2)
			}
		})
	}
}
