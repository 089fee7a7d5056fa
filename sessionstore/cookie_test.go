package sessionstore

import (
	"testing"
	"time"

	"github.com/mwlogin/mwlogin/store"
)

func TestCookieAgeAndName(t *testing.T) {
	s := newStore(t, store.NewMemory(), keyNew) // MaxAge one hour
	id, _ := newSaved(t, s, map[any]any{"user": "Alice"})
	now := time.Now()
	v, ok := s.encodeCookie(cookieName, id, now)
	if !ok {
		t.Fatal("encode failed")
	}
	for _, tc := range []struct {
		name   string
		cookie string
		at     time.Time
		ok     bool
	}{
		{"fresh", cookieName, now, true},
		{"59 minutes old", cookieName, now.Add(59 * time.Minute), true},
		{"older than MaxAge", cookieName, now.Add(61 * time.Minute), false},
		{"from the future", cookieName, now.Add(-10 * time.Minute), false},
		{"under another cookie name", "other", now, false},
	} {
		got, ok := s.decodeCookie(tc.cookie, v, tc.at)
		if ok != tc.ok || (ok && got.String() != id) {
			t.Errorf("%s: ok=%v, want %v", tc.name, ok, tc.ok)
		}
	}
	if _, ok := s.encodeCookie(cookieName, "not-a-ticket", now); ok {
		t.Error("a non-ticket ID was signed")
	}
}
