package sessionstore

import (
	"net/http"
	"testing"
	"time"

	"github.com/gorilla/securecookie"

	"github.com/mwlogin/mwlogin/store"
)

// A cookie written by an earlier version (gorilla/securecookie) still opens
// its session, and the next save writes the current form.
func TestLegacyCookieStillOpens(t *testing.T) {
	s := newStore(t, store.NewMemory(), keyNew)
	id, _ := newSaved(t, s, map[any]any{"user": "Alice"})
	legacy, err := securecookie.EncodeMulti(cookieName, []byte(id), s.legacy...)
	if err != nil {
		t.Fatal(err)
	}
	r := request(&http.Cookie{Name: cookieName, Value: legacy})
	sess := get(t, s, r)
	if sess.IsNew || sess.ID != id || sess.Values["user"] != "Alice" {
		t.Fatalf("legacy cookie: IsNew=%v ID match=%v values=%v", sess.IsNew, sess.ID == id, sess.Values)
	}
	c := save(t, s, r, sess)
	if got, ok := s.decodeCookie(cookieName, c.Value, time.Now()); !ok || got.String() != id || c.Value == legacy {
		t.Fatal("the save after a legacy cookie did not write the current form")
	}
}

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
