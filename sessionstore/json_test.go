package sessionstore

import (
	"encoding/gob"
	"net/http"
	"reflect"
	"testing"
	"time"

	"github.com/gorilla/sessions"

	"github.com/mwlogin/mwlogin/store"
)

// account is a pointer value kept in sessions as JSON.
type account struct {
	Name    string
	Cookies []struct{ Name, Value string }
	Values  map[string][]string
	Since   time.Time
}

// The fallback to gob needs them registered, as any session value.
func init() {
	gob.Register(&account{})
}

func newJSONStore(t testing.TB, backend store.Backend) *Store {
	t.Helper()
	s, err := New(Config{
		Backend: backend, Keys: [][]byte{keyNew}, MaxAge: time.Hour,
		Options:    sessions.Options{Path: "/", HttpOnly: true, Secure: true, SameSite: http.SameSiteLaxMode},
		JSONValues: map[string]any{"account": &account{}, "returnto": ""},
	})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return s
}

func sampleAccount() *account {
	return &account{Name: "Alice", Cookies: []struct{ Name, Value string }{{"wiki_session", "abc"}},
		Values: map[string][]string{"username": {"Alice"}}, Since: time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC)}
}

func TestJSONValuesRoundTrip(t *testing.T) {
	backend := newRecording()
	s := newJSONStore(t, backend)
	want := map[any]any{"account": sampleAccount(), "returnto": "/tool?x=1"}
	_, c := newSaved(t, s, want)
	got := get(t, s, request(c))
	if got.IsNew || !reflect.DeepEqual(got.Values, want) {
		t.Fatalf("got %#v, want %#v", got.Values, want)
	}
	// The entry is JSON, not gob: a store without JSONValues cannot read
	// it (and starts a fresh session instead).
	plain := newStore(t, backend, keyNew)
	if old := get(t, plain, request(c)); !old.IsNew || len(old.Values) != 0 {
		t.Fatalf("a store without JSONValues read a JSON entry: %v", old.Values)
	}
}

func TestJSONValuesFallsBackToGob(t *testing.T) {
	s := newJSONStore(t, store.NewMemory())
	for name, values := range map[string]map[any]any{
		"other key":        {"account": sampleAccount(), "profile": profile{User: "Bob"}},
		"other type":       {"account": "Alice"},
		"non-string key":   {1: "x"},
		"registered value": {"returnto": "/x", "extra": profile{User: "Carol", Groups: []string{"user"}}},
	} {
		t.Run(name, func(t *testing.T) {
			_, c := newSaved(t, s, values)
			got := get(t, s, request(c))
			if got.IsNew || len(got.Values) != len(values) {
				t.Fatalf("got %#v, want %#v", got.Values, values)
			}
		})
	}
}

func TestJSONValuesReadGobEntries(t *testing.T) {
	backend := store.NewMemory()
	old := newStore(t, backend, keyNew)
	want := map[any]any{"returnto": "/tool", "profile": profile{User: "Alice"}}
	_, c := newSaved(t, old, want)
	got := get(t, newJSONStore(t, backend), request(c))
	if got.IsNew || !reflect.DeepEqual(got.Values, want) {
		t.Fatalf("an entry written with gob: got %#v, want %#v", got.Values, want)
	}
}

func TestJSONValuesConfig(t *testing.T) {
	if _, err := New(Config{Backend: store.NewMemory(), Keys: [][]byte{keyNew}, MaxAge: time.Hour,
		JSONValues: map[string]any{"x": nil}}); err == nil {
		t.Fatal("a JSON value with no type was accepted")
	}
}
