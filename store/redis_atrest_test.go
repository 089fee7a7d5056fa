package store_test

// What Redis holds for a session, seen by someone with a full copy of it:
// ciphertext under random names, nothing that opens without the browser's
// cookie. Driven through sessionstore, as the app does.

import (
	"bytes"
	"compress/flate"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/gorilla/sessions"

	"github.com/mwlogin/mwlogin/sessionstore"
	"github.com/mwlogin/mwlogin/store"
)

const (
	cookieName = "mwlogin_session"
	keyPrefix  = "mwlogin:" // as handlers configures sessionstore
)

var (
	serverKey = []byte("redis-at-rest-test-key-0123456789abcdef")
	// What a signed-in session holds: the user name and the wiki's cookies,
	// which are credentials.
	secretValues = map[string]string{
		"user":           "AliceAtRest",
		"wiki_session":   "mwtest_session=q8v1s0l2kkf3g7ab9d5rj0t1ZZsecret",
		"wiki_user_name": "mwtestUserName=AliceAtRest",
		"wiki_token":     "mwtestToken=4f0c1b2a9e8d7c6b5a49382716051aff",
	}
)

func newSessionStore(t *testing.T, b store.Backend, keys ...[]byte) *sessionstore.Store {
	t.Helper()
	st, err := sessionstore.New(sessionstore.Config{
		Backend: b, Keys: keys, MaxAge: time.Hour, KeyPrefix: keyPrefix, Codec: stringCodec{},
		Options: sessions.Options{Path: "/", HttpOnly: true, SameSite: http.SameSiteLaxMode},
	})
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// stringCodec stores string values under string keys as a JSON object
// (the app's codec, in handlers, is JSON too).
type stringCodec struct{}

func (stringCodec) Encode(values map[any]any) ([]byte, error) {
	m := map[string]string{}
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
	values := map[any]any{}
	for k, v := range m {
		values[k] = v
	}
	return values, nil
}

func newRedisBackend(t *testing.T, url string) *store.Redis {
	t.Helper()
	r, err := store.NewRedis(url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

// load returns the session a request with cookie c opens.
func load(t *testing.T, st *sessionstore.Store, c *http.Cookie) *sessions.Session {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, "/", nil)
	if c != nil {
		req.AddCookie(c)
	}
	sess, err := st.New(req, cookieName)
	if err != nil {
		t.Fatalf("loading the session: %v", err)
	}
	return sess
}

// save saves sess and returns the cookie it sets.
func save(t *testing.T, st *sessionstore.Store, sess *sessions.Session) *http.Cookie {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, "/", nil)
	rec := httptest.NewRecorder()
	if err := st.Save(req, rec, sess); err != nil {
		t.Fatalf("Save: %v", err)
	}
	for _, c := range rec.Result().Cookies() {
		if c.Name == cookieName {
			return c
		}
	}
	t.Fatal("Save set no cookie")
	return nil
}

func TestRedisAtRestOpensNothing(t *testing.T) {
	mr := miniredis.RunT(t)
	url := "redis://" + mr.Addr() + "/0"

	// Instance A signs the user in.
	stA := newSessionStore(t, newRedisBackend(t, url), serverKey)
	sess := load(t, stA, nil)
	for k, v := range secretValues {
		sess.Values[k] = v
	}
	userCookie := save(t, stA, sess)

	// Instance B, its own client, same keys: the cookie opens the session.
	stB := newSessionStore(t, newRedisBackend(t, url), serverKey)
	if got := load(t, stB, userCookie); got.IsNew || got.Values["wiki_session"] != secretValues["wiki_session"] {
		t.Fatalf("another instance with the user's cookie: IsNew=%v values=%v", got.IsNew, got.Values)
	}

	// The copy of Redis: every key and value.
	keys := mr.Keys()
	if len(keys) != 1 {
		t.Fatalf("Redis holds %d keys, want the one session: %q", len(keys), keys)
	}
	key := keys[0]
	raw, err := mr.Get(key)
	if err != nil {
		t.Fatal(err)
	}
	_, ok := strings.CutPrefix(key, keyPrefix+"session:")
	if !ok {
		t.Fatalf("key %q lacks the namespace %q", key, keyPrefix+"session:")
	}
	assertOpaque(t, key, []byte(raw))

	// Neither the cookie's secret nor its ID is in Redis: the key is a hash
	// of the whole ticket.
	ticket, err := base64.RawURLEncoding.DecodeString(load(t, stA, userCookie).ID)
	if err != nil || len(ticket) != 16+32 {
		t.Fatalf("the cookie's ticket is %d bytes (%v), want ID 16 + secret 32", len(ticket), err)
	}
	secret := ticket[16:]
	if bytes.Contains([]byte(raw), secret) || strings.Contains(key, base64.RawURLEncoding.EncodeToString(secret)) {
		t.Fatal("the cookie's secret is stored in Redis")
	}
	if strings.Contains(key, base64.RawURLEncoding.EncodeToString(ticket[:16])) {
		t.Fatal("the session ID is readable in the Redis key")
	}

	// An attacker with the Redis copy AND the server's signing keys, who
	// somehow learnt the ID but not the secret, mints a cookie for the same
	// ID with a secret of their own. It is accepted as a ticket, yet opens
	// an empty session.
	id := append([]byte(nil), ticket[:16]...)
	forgedTicket := base64.RawURLEncoding.EncodeToString(append(id, bytes.Repeat([]byte{0xA5}, 32)...))
	minted := load(t, stA, nil) // a new, empty session: Save writes only the cookie
	minted.ID = forgedTicket
	forged := save(t, stA, minted)
	got := load(t, stB, forged)
	if got.ID != forgedTicket {
		t.Fatalf("the forged ticket was not accepted as one (ID %q): the test proves nothing", got.ID)
	}
	if !got.IsNew || len(got.Values) != 0 {
		t.Fatalf("a forged cookie for the user's ID opened the session: %v", got.Values)
	}
	if after, _ := mr.Get(key); after != raw {
		t.Fatal("reading with the forged cookie changed the stored session")
	}
	// The user's own cookie still opens it.
	if got := load(t, stB, userCookie); got.Values["user"] != secretValues["user"] {
		t.Fatalf("the user's session after the forgery: %v", got.Values)
	}

	// Without the signing keys even the ticket is refused.
	stranger := newSessionStore(t, newRedisBackend(t, url), []byte("an-attackers-own-key-0123456789abcdef"))
	m := load(t, stranger, nil)
	m.ID = forgedTicket
	if got := load(t, stB, save(t, stranger, m)); got.ID == forgedTicket {
		t.Fatal("a cookie signed with another key was accepted")
	}
}

// assertOpaque fails if a stored value shows any secret in clear or does
// not look like random bytes (ciphertext does not compress).
func assertOpaque(t *testing.T, key string, raw []byte) {
	t.Helper()
	lower := bytes.ToLower(raw)
	for name, v := range secretValues {
		cookieName, cookieValue, _ := strings.Cut(v, "=")
		for _, part := range []string{v, cookieName, cookieValue} {
			if part == "" {
				continue
			}
			if bytes.Contains(lower, bytes.ToLower([]byte(part))) {
				t.Errorf("Redis value of %s contains %s (%q) in clear", key, name, part)
			}
			if strings.Contains(strings.ToLower(key), strings.ToLower(part)) {
				t.Errorf("Redis key %s contains %s (%q)", key, name, part)
			}
		}
	}
	for _, s := range []string{"user", "wiki", "string", "mwtest"} {
		if bytes.Contains(lower, []byte(s)) {
			t.Errorf("Redis value of %s contains %q: not ciphertext", key, s)
		}
	}
	var z bytes.Buffer
	w, _ := flate.NewWriter(&z, flate.BestCompression)
	w.Write(raw)
	w.Close()
	if len(raw) < 64 || z.Len() < len(raw)*98/100 {
		t.Errorf("Redis value of %s (%d bytes) compresses to %d bytes: it has structure, not ciphertext", key, len(raw), z.Len())
	}
}
