package sessionstore

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/sessions"

	"github.com/mwlogin/mwlogin/store"
)

const cookieName = "mwlogin"

// stringCodec is the tests' Codec: string keys and values, as a JSON
// object. It refuses anything else, as a Codec must.
type stringCodec struct{}

func (stringCodec) Encode(values map[any]any) ([]byte, error) {
	m := make(map[string]string, len(values))
	for k, v := range values {
		ks, okK := k.(string)
		vs, okV := v.(string)
		if !okK || !okV {
			return nil, fmt.Errorf("stringCodec: %#v: %#v is not a string pair", k, v)
		}
		m[ks] = vs
	}
	return json.Marshal(m)
}

func (stringCodec) Decode(data []byte) (map[any]any, error) {
	var m map[string]string
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, err
	}
	values := make(map[any]any, len(m))
	for k, v := range m {
		values[k] = v
	}
	return values, nil
}

var (
	keyOld = bytes.Repeat([]byte("o"), 32)
	keyNew = bytes.Repeat([]byte("n"), 48)
)

// recordingBackend wraps a Backend and keeps a copy of every value Set and
// every key Deleted.
type recordingBackend struct {
	store.Backend
	mu      sync.Mutex
	sets    map[string][][]byte
	deletes []string
}

func newRecording() *recordingBackend {
	return &recordingBackend{Backend: store.NewMemory(), sets: map[string][][]byte{}}
}

func (b *recordingBackend) Set(ctx context.Context, key string, value []byte, ttl time.Duration) error {
	b.mu.Lock()
	b.sets[key] = append(b.sets[key], bytes.Clone(value))
	b.mu.Unlock()
	return b.Backend.Set(ctx, key, value, ttl)
}

func (b *recordingBackend) Delete(ctx context.Context, key string) error {
	b.mu.Lock()
	b.deletes = append(b.deletes, key)
	b.mu.Unlock()
	return b.Backend.Delete(ctx, key)
}

func (b *recordingBackend) setCount() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	n := 0
	for _, v := range b.sets {
		n += len(v)
	}
	return n
}

func (b *recordingBackend) has(t *testing.T, key string) bool {
	t.Helper()
	_, err := b.Get(context.Background(), key)
	return err == nil
}

func newStore(t testing.TB, backend store.Backend, keys ...[]byte) *Store {
	t.Helper()
	s, err := New(Config{
		Backend: backend,
		Keys:    keys,
		MaxAge:  time.Hour,
		Codec:   stringCodec{},
		Options: sessions.Options{Path: "/", HttpOnly: true, Secure: true, SameSite: http.SameSiteLaxMode},
	})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return s
}

// request returns a fresh request carrying cookies (nil ones skipped).
func request(cookies ...*http.Cookie) *http.Request {
	r := httptest.NewRequest(http.MethodGet, "https://login.example/", nil)
	for _, c := range cookies {
		if c != nil {
			r.AddCookie(&http.Cookie{Name: c.Name, Value: c.Value})
		}
	}
	return r
}

func get(t testing.TB, s *Store, r *http.Request) *sessions.Session {
	t.Helper()
	sess, err := s.Get(r, cookieName)
	if err != nil {
		t.Fatalf("Get: %v", err)
	}
	return sess
}

// save saves sess and returns the session cookie it wrote.
func save(t testing.TB, s *Store, r *http.Request, sess *sessions.Session) *http.Cookie {
	t.Helper()
	rec := httptest.NewRecorder()
	if err := s.Save(r, rec, sess); err != nil {
		t.Fatalf("Save: %v", err)
	}
	for _, c := range rec.Result().Cookies() {
		if c.Name == cookieName {
			return c
		}
	}
	t.Fatalf("Save wrote no %q cookie; headers: %v", cookieName, rec.Header())
	return nil
}

// newSaved makes a session holding values, saves it and returns its ID and
// cookie.
func newSaved(t testing.TB, s *Store, values map[any]any) (string, *http.Cookie) {
	t.Helper()
	r := request()
	sess := get(t, s, r)
	for k, v := range values {
		sess.Values[k] = v
	}
	c := save(t, s, r, sess)
	return sess.ID, c
}

func TestRoundTrip(t *testing.T) {
	s := newStore(t, store.NewMemory(), keyNew)
	values := map[any]any{"user": "Alice", "flow": "step 2", "returnto": "/tool?x=1"}

	r1 := request()
	sess := get(t, s, r1)
	if !sess.IsNew || len(sess.Values) != 0 || sess.ID == "" {
		t.Fatalf("fresh session: IsNew=%v values=%v ID=%q; want new, empty, with an ID", sess.IsNew, sess.Values, sess.ID)
	}
	for k, v := range values {
		sess.Values[k] = v
	}
	c := save(t, s, r1, sess)
	if !c.HttpOnly || !c.Secure || c.Path != "/" || c.SameSite != http.SameSiteLaxMode {
		t.Errorf("cookie attributes = HttpOnly %v Secure %v Path %q SameSite %v; want the store's options", c.HttpOnly, c.Secure, c.Path, c.SameSite)
	}
	if c.MaxAge != 0 || !c.Expires.IsZero() {
		t.Errorf("cookie MaxAge=%d Expires=%v; want a session cookie", c.MaxAge, c.Expires)
	}
	if strings.Contains(c.Value, sess.ID) {
		t.Errorf("cookie carries the ticket in clear")
	}

	r2 := request(c)
	got := get(t, s, r2)
	if got.IsNew {
		t.Error("loaded session IsNew = true, want false")
	}
	if got.ID != sess.ID {
		t.Errorf("loaded ID = %q, want %q", got.ID, sess.ID)
	}
	if !reflect.DeepEqual(got.Values, values) {
		t.Errorf("loaded values = %#v\nwant %#v", got.Values, values)
	}

	// Within one request the session is cached by the registry.
	if again := get(t, s, r2); again != got {
		t.Error("second Get in the same request returned another session")
	}
}

func TestUpdateKeepsID(t *testing.T) {
	s := newStore(t, store.NewMemory(), keyNew)
	id, c := newSaved(t, s, map[any]any{"step": "1"})
	r := request(c)
	sess := get(t, s, r)
	sess.Values["step"] = "2"
	c2 := save(t, s, r, sess)
	got := get(t, s, request(c2))
	if got.ID != id || got.Values["step"] != "2" {
		t.Fatalf("after update: ID %q step %v; want ID %q step 2", got.ID, got.Values["step"], id)
	}
}

func TestBackendHoldsCiphertextOnly(t *testing.T) {
	b := newRecording()
	s := newStore(t, b, keyNew)
	const secret = "PLAINTEXT-CANARY-7f3a9c"
	id, c := newSaved(t, s, map[any]any{
		"note": secret,
		secret: "as a key",
	})
	if b.setCount() == 0 {
		t.Fatal("Save stored nothing in the backend")
	}
	needles := [][]byte{[]byte(secret), []byte("PLAINTEXT-CANARY"), []byte(id), []byte(c.Value)}
	for key, vals := range b.sets {
		if strings.Contains(key, id) {
			t.Errorf("backend key %q contains the whole ticket (its secret half included)", key)
		}
		for _, v := range vals {
			for _, n := range needles {
				if bytes.Contains(v, n) {
					t.Errorf("backend entry %q contains %q", key, n)
				}
			}
		}
	}
	// And the data still loads with the cookie.
	if got := get(t, s, request(c)); got.Values["note"] != secret {
		t.Fatalf("loaded note = %v, want the canary", got.Values["note"])
	}
}

// TestBackendEntryNeedsTicket checks that the stored blob does not open
// under another ticket, even one that names the same backend key.
func TestBackendEntryNeedsTicket(t *testing.T) {
	b := newRecording()
	s := newStore(t, b, keyNew)
	id, _ := newSaved(t, s, map[any]any{"user": "Alice"})
	tk, ok := parseTicket(id)
	if !ok {
		t.Fatalf("session ID %q is not a ticket", id)
	}
	blob, err := b.Get(context.Background(), s.key(tk))
	if err != nil {
		t.Fatalf("backend entry missing: %v", err)
	}
	if _, err := s.open(tk, blob); err != nil {
		t.Fatalf("open with the right ticket: %v", err)
	}
	forged := ticket{id: tk.id, secret: bytes.Repeat([]byte{7}, secretLen)}
	if _, err := s.open(forged, blob); err == nil {
		t.Fatal("blob opened with the right ID but another secret")
	}
	tampered := bytes.Clone(blob)
	tampered[len(tampered)-1] ^= 1
	if _, err := s.open(tk, tampered); err == nil {
		t.Fatal("tampered blob opened")
	}
	if _, err := s.open(tk, blob[:4]); err == nil {
		t.Fatal("truncated blob opened")
	}
}

func TestBadCookieGivesNewEmptySession(t *testing.T) {
	s := newStore(t, store.NewMemory(), keyNew)
	id, good := newSaved(t, s, map[any]any{"user": "Alice"})
	other := newStore(t, store.NewMemory(), keyOld)
	_, foreign := newSaved(t, other, map[any]any{"user": "Mallory"})

	flip := []byte(good.Value)
	i := len(flip) / 2
	if flip[i] == 'A' {
		flip[i] = 'B'
	} else {
		flip[i] = 'A'
	}

	tests := []struct {
		name  string
		value string
	}{
		{"tampered", string(flip)},
		{"truncated", good.Value[:len(good.Value)-4]},
		{"appended", good.Value + "AAAA"},
		{"unknown key", foreign.Value},
		{"garbage", "not-a-cookie"},
		{"empty", ""},
		{"raw ticket", id},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sess := get(t, s, request(&http.Cookie{Name: cookieName, Value: tt.value}))
			if !sess.IsNew {
				t.Error("IsNew = false, want a new session")
			}
			if len(sess.Values) != 0 {
				t.Errorf("values = %v, want none", sess.Values)
			}
			if sess.ID == "" || sess.ID == id {
				t.Errorf("ID = %q; want a fresh ID, not empty and not %q", sess.ID, id)
			}
			if _, ok := parseTicket(sess.ID); !ok {
				t.Errorf("new ID %q is not a valid ticket", sess.ID)
			}
		})
	}
}

func TestMissingBackendEntryGivesEmptySession(t *testing.T) {
	b := newRecording()
	s := newStore(t, b, keyNew)
	id, c := newSaved(t, s, map[any]any{"user": "Alice"})
	tk, _ := parseTicket(id)
	if err := b.Backend.Delete(context.Background(), s.key(tk)); err != nil {
		t.Fatal(err)
	}
	sess := get(t, s, request(c))
	if !sess.IsNew || len(sess.Values) != 0 {
		t.Fatalf("IsNew=%v values=%v; want a new, empty session", sess.IsNew, sess.Values)
	}
}

// A value the codec refuses fails the Save, and nothing is stored: the
// session is not kept without it.
func TestSaveFailsOnValueCodecRefuses(t *testing.T) {
	b := newRecording()
	s := newStore(t, b, keyNew)
	r := request()
	sess := get(t, s, r)
	sess.Values["user"] = "Alice"
	sess.Values["count"] = 42
	rec := httptest.NewRecorder()
	err := s.Save(r, rec, sess)
	if err == nil || !strings.Contains(err.Error(), "not a string pair") {
		t.Fatalf("Save = %v; want the codec's error", err)
	}
	if n := b.setCount(); n != 0 {
		t.Errorf("backend got %d Set calls, want none", n)
	}
	if len(rec.Result().Cookies()) != 0 {
		t.Error("Save wrote a cookie for a session it did not store")
	}
}

// failingDecode decodes nothing: an entry written by a codec that no
// longer reads it.
type failingDecode struct{ stringCodec }

func (failingDecode) Decode([]byte) (map[any]any, error) { return nil, errors.New("unknown format") }

func TestUndecodableEntryGivesEmptySession(t *testing.T) {
	backend := store.NewMemory()
	id, c := newSaved(t, newStore(t, backend, keyNew), map[any]any{"user": "Alice"})
	s, err := New(Config{Backend: backend, Keys: [][]byte{keyNew}, MaxAge: time.Hour, Codec: failingDecode{}})
	if err != nil {
		t.Fatal(err)
	}
	sess, err := s.Get(request(c), cookieName)
	if err != nil {
		t.Fatalf("Get: %v; want an undecodable entry treated as missing", err)
	}
	if !sess.IsNew || len(sess.Values) != 0 || sess.ID != id {
		t.Fatalf("IsNew=%v values=%v same ID=%v; want a new, empty session under the cookie's ticket", sess.IsNew, sess.Values, sess.ID == id)
	}
}

func TestKeyRotation(t *testing.T) {
	backend := store.NewMemory()
	sOld := newStore(t, backend, keyOld)
	sBoth := newStore(t, backend, keyNew, keyOld)
	sNew := newStore(t, backend, keyNew)

	id, oldCookie := newSaved(t, sOld, map[any]any{"user": "Alice"})

	t.Run("new+old accepts old cookie", func(t *testing.T) {
		sess := get(t, sBoth, request(oldCookie))
		if sess.IsNew || sess.ID != id || sess.Values["user"] != "Alice" {
			t.Fatalf("IsNew=%v ID=%q user=%v; want the old session", sess.IsNew, sess.ID, sess.Values["user"])
		}
	})
	t.Run("new alone rejects old cookie", func(t *testing.T) {
		sess := get(t, sNew, request(oldCookie))
		if !sess.IsNew || sess.ID == id || len(sess.Values) != 0 {
			t.Fatalf("IsNew=%v ID=%q values=%v; want a new empty session", sess.IsNew, sess.ID, sess.Values)
		}
	})
	t.Run("resave signs with the first key", func(t *testing.T) {
		r := request(oldCookie)
		sess := get(t, sBoth, r)
		newCookie := save(t, sBoth, r, sess)
		if newCookie.Value == oldCookie.Value {
			t.Fatal("resaved cookie is unchanged")
		}
		if got := get(t, sNew, request(newCookie)); got.ID != id || got.Values["user"] != "Alice" {
			t.Errorf("store with [new] cannot read the resaved cookie: ID=%q user=%v", got.ID, got.Values["user"])
		}
		if got := get(t, sOld, request(newCookie)); !got.IsNew || got.ID == id {
			t.Errorf("store with [old] read a cookie that should be signed with the new key: ID=%q", got.ID)
		}
	})
	t.Run("fresh cookies are signed with the first key", func(t *testing.T) {
		fid, c := newSaved(t, sBoth, map[any]any{"user": "Bob"})
		if got := get(t, sNew, request(c)); got.ID != fid {
			t.Errorf("[new] cannot read a cookie made by [new, old]")
		}
		if got := get(t, sOld, request(c)); got.ID == fid {
			t.Errorf("[old] can read a cookie made by [new, old]: it was signed with the old key")
		}
	})
}

func TestRotate(t *testing.T) {
	b := newRecording()
	s := newStore(t, b, keyNew)
	oldID, oldCookie := newSaved(t, s, map[any]any{"user": "Alice", "flow": "abc"})
	oldTicket, _ := parseTicket(oldID)
	oldKey := s.key(oldTicket)
	if !b.has(t, oldKey) {
		t.Fatal("no backend entry before Rotate")
	}

	r := request(oldCookie)
	sess := get(t, s, r)
	s.Rotate(sess, false)
	// Rotating twice before a Save still deletes the original entry.
	s.Rotate(sess, false)
	// stringCodec refuses the rotation marker: Save must take it out first.
	newCookie := save(t, s, r, sess)

	if sess.ID == oldID {
		t.Fatal("ID unchanged after Rotate+Save")
	}
	if _, ok := sess.Values[markRotate]; ok {
		t.Error("rotation marker left in the session values")
	}
	if b.has(t, oldKey) {
		t.Error("old backend entry still present after Rotate+Save")
	}
	newTicket, _ := parseTicket(sess.ID)
	if !b.has(t, s.key(newTicket)) {
		t.Error("no backend entry under the new ID")
	}

	got := get(t, s, request(newCookie))
	want := map[any]any{"user": "Alice", "flow": "abc"}
	if got.ID != sess.ID || !reflect.DeepEqual(got.Values, want) {
		t.Errorf("after rotation: ID=%q values=%v; want ID %q values %v", got.ID, got.Values, sess.ID, want)
	}

	stale := get(t, s, request(oldCookie))
	if !stale.IsNew || len(stale.Values) != 0 {
		t.Errorf("old cookie after rotation: IsNew=%v values=%v; want an empty session", stale.IsNew, stale.Values)
	}
	if stale.ID == sess.ID {
		t.Error("old cookie opens the rotated ID")
	}
	if b.has(t, s.movedKey(oldTicket)) {
		t.Error("a rotation without grace left a pointer to the new ID")
	}
}

// A cookie that names no stored session (one a page handed out before
// anything was stored, which someone may have planted in a victim's
// browser) never gets anything stored under it.
func TestFirstStoreGetsNewID(t *testing.T) {
	b := newRecording()
	s := newStore(t, b, keyNew)
	r := request()
	empty := get(t, s, r)
	planted := save(t, s, r, empty) // a cookie, no entry
	r = request(planted)
	sess := get(t, s, r)
	plantedID := sess.ID
	if !sess.IsNew {
		t.Fatal("a cookie without an entry loaded as a stored session")
	}
	sess.Values["flow"] = "victim's step 2"
	c := save(t, s, r, sess)
	if sess.ID == plantedID {
		t.Fatal("the first stored write kept the ID the browser brought")
	}
	if got := get(t, s, request(planted)); len(got.Values) != 0 {
		t.Fatalf("the planted cookie opens %v", got.Values)
	}
	if got := get(t, s, request(c)); got.Values["flow"] != "victim's step 2" {
		t.Fatalf("the new cookie opens %v", got.Values)
	}
	// Later writes keep the ID: it was issued for this session.
	r = request(c)
	sess = get(t, s, r)
	id := sess.ID
	sess.Values["flow"] = "step 3"
	save(t, s, r, sess)
	if sess.ID != id {
		t.Fatal("a later write changed the ID without a rotation")
	}
}

// With grace, the old ID leads to the new one for a while: a double click
// or a reload that carries the cookie from before the step finds the
// session where the step left it, and its form's token still verifies.
func TestRotateWithGrace(t *testing.T) {
	b := &ttlsBackend{recordingBackend: newRecording(), ttls: map[string]time.Duration{}}
	s := newStore(t, b, keyNew)
	oldID, oldCookie := newSaved(t, s, map[any]any{"flow": "two-factor"})
	oldToken := s.CSRFToken(&sessions.Session{ID: oldID})
	r := request(oldCookie)
	sess := get(t, s, r)
	delete(sess.Values, "flow")
	sess.Values["user"] = "Bob"
	s.Rotate(sess, true)
	save(t, s, r, sess)
	oldTicket, _ := parseTicket(oldID)
	if ttl := b.ttls[s.movedKey(oldTicket)]; ttl != RotationGrace {
		t.Fatalf("the pointer lives %v, want RotationGrace", ttl)
	}
	if b.has(t, s.key(oldTicket)) {
		t.Fatal("the old entry is still there")
	}

	late := get(t, s, request(oldCookie))
	if late.ID != sess.ID || late.Values["user"] != "Bob" || !s.Followed(late) {
		t.Fatalf("the old cookie found ID %q values %v (followed %v); want the new session", late.ID, late.Values, s.Followed(late))
	}
	if !s.CheckCSRF(late, oldToken) || !s.CheckCSRF(late, s.CSRFToken(late)) {
		t.Fatal("the token of the page the browser shows, or of the new ID, is refused")
	}
	// Saving it gives the browser the new cookie, and the note of the
	// old one goes.
	rr := request(oldCookie)
	late = get(t, s, rr)
	c := save(t, s, rr, late)
	if got := get(t, s, request(c)); got.ID != sess.ID || s.Followed(got) {
		t.Fatalf("after the save: ID %q followed %v", got.ID, s.Followed(got))
	}
	// Once the grace is over (the pointer expired), the old cookie opens
	// nothing.
	if err := b.Backend.Delete(context.Background(), s.movedKey(oldTicket)); err != nil {
		t.Fatal(err)
	}
	if got := get(t, s, request(oldCookie)); len(got.Values) != 0 || got.ID == sess.ID {
		t.Fatalf("after the grace the old cookie opens %v", got.Values)
	}
}

// ttlsBackend records the values and the TTL of each Set.
type ttlsBackend struct {
	*recordingBackend
	ttls map[string]time.Duration
}

func (b *ttlsBackend) Set(ctx context.Context, key string, value []byte, ttl time.Duration) error {
	b.mu.Lock()
	b.ttls[key] = ttl
	b.mu.Unlock()
	return b.recordingBackend.Set(ctx, key, value, ttl)
}

// Two requests of one session take turns, and the second sees what the
// first saved, even though it loaded the session before.
func TestLockTakesTurns(t *testing.T) {
	s := newStore(t, store.NewMemory(), keyNew)
	_, c := newSaved(t, s, map[any]any{"flow": "step 1"})
	r1, r2 := request(c), request(c)
	first, second := get(t, s, r1), get(t, s, r2)
	unlock1, err := s.Lock(r1, first)
	if err != nil {
		t.Fatal(err)
	}
	locked := make(chan error, 1)
	go func() {
		unlock2, err := s.Lock(r2, second)
		if err == nil {
			defer unlock2()
		}
		locked <- err
	}()
	select {
	case err := <-locked:
		t.Fatalf("the second request got the lock while the first held it (%v)", err)
	case <-time.After(100 * time.Millisecond):
	}
	first.Values["flow"] = "step 2"
	s.Rotate(first, true)
	save(t, s, r1, first)
	unlock1()
	if err := <-locked; err != nil {
		t.Fatal(err)
	}
	if second.Values["flow"] != "step 2" || second.ID != first.ID {
		t.Fatalf("the second request sees %v under %q; want step 2 under %q", second.Values, second.ID, first.ID)
	}
}

func TestSaveDeletes(t *testing.T) {
	b := newRecording()
	s := newStore(t, b, keyNew)
	id, c := newSaved(t, s, map[any]any{"user": "Alice"})
	tk, _ := parseTicket(id)

	r := request(c)
	sess := get(t, s, r)
	sess.Options.MaxAge = -1
	rec := httptest.NewRecorder()
	if err := s.Save(r, rec, sess); err != nil {
		t.Fatalf("Save: %v", err)
	}
	if b.has(t, s.key(tk)) {
		t.Error("backend entry still present after Save with MaxAge<0")
	}
	var del *http.Cookie
	for _, ck := range rec.Result().Cookies() {
		if ck.Name == cookieName {
			del = ck
		}
	}
	if del == nil {
		t.Fatal("no cookie written")
	}
	if del.MaxAge >= 0 || del.Value != "" {
		t.Errorf("cookie = %q MaxAge %d; want an empty cookie that expires now (MaxAge<0)", del.Value, del.MaxAge)
	}
	if got := get(t, s, request(c)); !got.IsNew || len(got.Values) != 0 {
		t.Errorf("the deleted session still loads: %v", got.Values)
	}
}

func TestEmptySession(t *testing.T) {
	t.Run("new and empty: cookie, no entry", func(t *testing.T) {
		b := newRecording()
		s := newStore(t, b, keyNew)
		r := request()
		sess := get(t, s, r)
		c := save(t, s, r, sess)
		if c.Value == "" {
			t.Fatal("empty cookie value")
		}
		if n := b.setCount(); n != 0 {
			t.Errorf("backend got %d Set calls for an empty session, want 0", n)
		}
		// The cookie keeps the ID, so the CSRF token stays valid.
		again := get(t, s, request(c))
		if again.ID != sess.ID {
			t.Errorf("ID after reload = %q, want %q", again.ID, sess.ID)
		}
		if !s.CheckCSRF(again, s.CSRFToken(sess)) {
			t.Error("CSRF token of the empty session is not valid after reload")
		}
	})
	t.Run("emptied session: entry deleted", func(t *testing.T) {
		b := newRecording()
		s := newStore(t, b, keyNew)
		id, c := newSaved(t, s, map[any]any{"user": "Alice"})
		tk, _ := parseTicket(id)
		r := request(c)
		sess := get(t, s, r)
		delete(sess.Values, "user")
		save(t, s, r, sess)
		if b.has(t, s.key(tk)) {
			t.Error("backend entry kept for a session with no values")
		}
	})
}

func TestTTL(t *testing.T) {
	tests := []struct {
		name       string
		optsMaxAge int
		want       time.Duration
	}{
		{"store MaxAge", 0, time.Hour},
		{"shorter Options.MaxAge", 600, 10 * time.Minute},
		{"longer Options.MaxAge is capped", 86400, time.Hour},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := &ttlBackend{Backend: store.NewMemory()}
			s := newStore(t, b, keyNew)
			r := request()
			sess := get(t, s, r)
			sess.Options.MaxAge = tt.optsMaxAge
			sess.Values["k"] = "v"
			save(t, s, r, sess)
			if b.ttl != tt.want {
				t.Errorf("ttl = %v, want %v", b.ttl, tt.want)
			}
		})
	}
}

type ttlBackend struct {
	store.Backend
	ttl time.Duration
}

func (b *ttlBackend) Set(ctx context.Context, key string, value []byte, ttl time.Duration) error {
	b.ttl = ttl
	return b.Backend.Set(ctx, key, value, ttl)
}

func TestKeyPrefix(t *testing.T) {
	b := newRecording()
	s, err := New(Config{Backend: b, Keys: [][]byte{keyNew}, MaxAge: time.Hour, KeyPrefix: "inst1:", Codec: stringCodec{}})
	if err != nil {
		t.Fatal(err)
	}
	newSaved(t, s, map[any]any{"k": "v"})
	for key := range b.sets {
		if !strings.HasPrefix(key, "inst1:session:") {
			t.Errorf("backend key %q lacks the prefix", key)
		}
	}
}

func TestCSRF(t *testing.T) {
	backend := store.NewMemory()
	sOld := newStore(t, backend, keyOld)
	sBoth := newStore(t, backend, keyNew, keyOld)
	sNew := newStore(t, backend, keyNew)

	a := get(t, sBoth, request())
	b := get(t, sBoth, request())
	if a.ID == b.ID {
		t.Fatal("two new sessions share an ID")
	}
	tokA := sBoth.CSRFToken(a)
	if tokA == "" || tokA == sBoth.CSRFToken(b) {
		t.Fatalf("tokens: a=%q b=%q; want distinct, non-empty", tokA, sBoth.CSRFToken(b))
	}
	if sBoth.CSRFToken(a) != tokA {
		t.Fatal("CSRFToken is not stable for a session")
	}
	tokOld := sOld.CSRFToken(a)
	if tokOld == tokA {
		t.Fatal("token is the same under two keys")
	}

	noID := sessions.NewSession(sBoth, cookieName)
	tests := []struct {
		name  string
		store *Store
		sess  *sessions.Session
		token string
		want  bool
	}{
		{"own session", sBoth, a, tokA, true},
		{"other session", sBoth, b, tokA, false},
		{"empty token", sBoth, a, "", false},
		{"truncated token", sBoth, a, tokA[:len(tokA)-1], false},
		{"extended token", sBoth, a, tokA + "A", false},
		{"flipped char", sBoth, a, flipChar(tokA), false},
		{"session without ID", sBoth, noID, sBoth.CSRFToken(noID), false},
		{"old-key token under [new, old]", sBoth, a, tokOld, true},
		{"old-key token under [new]", sNew, a, tokOld, false},
		{"new-key token under [old]", sOld, a, tokA, false},
		{"old-key token for another session", sBoth, b, tokOld, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.store.CheckCSRF(tt.sess, tt.token); got != tt.want {
				t.Errorf("CheckCSRF = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestCSRFChangesOnRotate(t *testing.T) {
	s := newStore(t, store.NewMemory(), keyNew)
	r := request()
	sess := get(t, s, r)
	before := s.CSRFToken(sess)
	s.Rotate(sess, false)
	if s.CheckCSRF(sess, before) {
		t.Error("token from before Rotate is still valid")
	}
}

func flipChar(s string) string {
	b := []byte(s)
	if b[0] == 'A' {
		b[0] = 'B'
	} else {
		b[0] = 'A'
	}
	return string(b)
}

func TestNewConfig(t *testing.T) {
	good := bytes.Repeat([]byte("k"), MinKeyLen)
	codec := stringCodec{}
	tests := []struct {
		name string
		cfg  Config
		ok   bool
	}{
		{"valid", Config{Backend: store.NewMemory(), Keys: [][]byte{good}, MaxAge: time.Hour, Codec: codec}, true},
		{"two keys", Config{Backend: store.NewMemory(), Keys: [][]byte{good, keyOld}, MaxAge: time.Hour, Codec: codec}, true},
		{"key of 31 bytes", Config{Backend: store.NewMemory(), Keys: [][]byte{good[:31]}, MaxAge: time.Hour, Codec: codec}, false},
		{"empty key", Config{Backend: store.NewMemory(), Keys: [][]byte{{}}, MaxAge: time.Hour, Codec: codec}, false},
		{"short second key", Config{Backend: store.NewMemory(), Keys: [][]byte{good, []byte("short")}, MaxAge: time.Hour, Codec: codec}, false},
		{"no keys", Config{Backend: store.NewMemory(), MaxAge: time.Hour, Codec: codec}, false},
		{"no backend", Config{Keys: [][]byte{good}, MaxAge: time.Hour, Codec: codec}, false},
		{"zero MaxAge", Config{Backend: store.NewMemory(), Keys: [][]byte{good}, Codec: codec}, false},
		{"negative MaxAge", Config{Backend: store.NewMemory(), Keys: [][]byte{good}, MaxAge: -time.Second, Codec: codec}, false},
		{"no codec", Config{Backend: store.NewMemory(), Keys: [][]byte{good}, MaxAge: time.Hour}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := New(tt.cfg)
			if tt.ok && (err != nil || s == nil) {
				t.Fatalf("New = %v, %v; want a store", s, err)
			}
			if !tt.ok && err == nil {
				t.Fatal("New accepted the config")
			}
		})
	}
}

func BenchmarkSaveLoad(b *testing.B) {
	s := newStore(b, store.NewMemory(), keyNew, keyOld)
	values := map[any]any{"user": "Alice", "flow": strings.Repeat("f", 64)}
	b.ReportAllocs()
	for b.Loop() {
		r := request()
		sess := get(b, s, r)
		for k, v := range values {
			sess.Values[k] = v
		}
		c := save(b, s, r, sess)
		got := get(b, s, request(c))
		if got.Values["user"] != "Alice" {
			b.Fatal("round trip lost the values")
		}
	}
}
