// Package sessionstore is a gorilla/sessions (and so gin-contrib/sessions)
// store that keeps session data server-side, encrypted with a key only the
// browser's cookie holds.
//
// The cookie carries a signed ticket: a random ID that names the entry in the
// backend, and a random secret that encrypts it (AES-256-GCM). The backend,
// memory or a shared Redis, therefore holds only ciphertext: a copy of it
// opens nothing without the users' cookies. This is the ticket design of
// oauth2-proxy's Redis session store.
package sessionstore

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"time"

	ginsessions "github.com/gin-contrib/sessions"
	"github.com/gorilla/sessions"

	"github.com/mwlogin/mwlogin/store"
)

const (
	idLen     = 16
	secretLen = 32
	// MinKeyLen is the shortest secret key accepted.
	MinKeyLen = 32
)

// Store implements ginsessions.Store over a store.Backend.
type Store struct {
	backend    store.Backend
	cookieKeys [][]byte // newest first, as Config.Keys
	csrf       [][]byte // newest first, as Config.Keys
	options    sessions.Options
	prefix     string
	maxAge     time.Duration
	codec      Codec
}

// Config configures a Store.
type Config struct {
	Backend store.Backend
	// Keys sign the cookie. The first signs new cookies; all are accepted,
	// so a key can be rotated by putting a new one first.
	Keys [][]byte
	// MaxAge is the longest a session lives, whatever Options.MaxAge says.
	MaxAge time.Duration
	// KeyPrefix namespaces the backend keys (instances sharing a Redis).
	KeyPrefix string
	Options   sessions.Options
	// Codec encodes the sessions' values. Required.
	Codec Codec
}

// Codec turns a session's values into the bytes sealed in its entry, and
// back: the store does not know what a session holds. Encode must fail
// on a key or value it cannot give back, rather than leave it out, or a
// session would forget it without a word. Decode returns a map the caller
// can add to; an entry it rejects is treated as missing, like one that
// does not decrypt.
type Codec interface {
	Encode(values map[any]any) ([]byte, error)
	Decode(data []byte) (map[any]any, error)
}

// New returns a Store.
func New(cfg Config) (*Store, error) {
	if cfg.Backend == nil {
		return nil, errors.New("sessionstore: no backend")
	}
	if len(cfg.Keys) == 0 {
		return nil, errors.New("sessionstore: no secret key")
	}
	if cfg.MaxAge <= 0 {
		return nil, errors.New("sessionstore: MaxAge must be positive")
	}
	if cfg.Codec == nil {
		return nil, errors.New("sessionstore: no codec")
	}
	s := &Store{backend: cfg.Backend, options: cfg.Options, prefix: cfg.KeyPrefix, maxAge: cfg.MaxAge, codec: cfg.Codec}
	for i, k := range cfg.Keys {
		if len(k) < MinKeyLen {
			return nil, fmt.Errorf("sessionstore: secret key %d is %d bytes; at least %d are needed", i+1, len(k), MinKeyLen)
		}
		s.cookieKeys = append(s.cookieKeys, derive(k, "cookie-ticket"))
		s.csrf = append(s.csrf, derive(k, "csrf"))
	}
	return s, nil
}

// derive gives each purpose a key of its own, so that a MAC made for one
// (a cookie) is never accepted for another (a CSRF token).
func derive(key []byte, purpose string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte("mwlogin/sessionstore/" + purpose))
	return m.Sum(nil)
}

// Options implements ginsessions.Store.
func (s *Store) Options(o ginsessions.Options) { s.options = *o.ToGorillaOptions() }

// Get returns the request's session, cached for the request.
func (s *Store) Get(r *http.Request, name string) (*sessions.Session, error) {
	return sessions.GetRegistry(r).Get(s, name)
}

// RotationGrace is how long a session's old ID still leads to its new one
// after Rotate with grace: a double click, a reload or a resubmitted form
// that carries the old cookie then finds where the session went.
const RotationGrace = time.Minute

// lockTTL bounds how long a request may hold a session's lock, so that a
// request that dies holding it blocks the session for no longer. It is
// well above the longest step (a few wiki calls of at most
// mwclient.DefaultTimeout each), since a holder that outlived it would
// release the next holder's lock.
const lockTTL = 3 * time.Minute

// New loads the session named by the request's cookie. A session always has
// an ID: a browser without a valid cookie gets a new ticket, written out by
// the next Save. An ID the browser brought that names no stored session is
// kept only until something is stored: Save then issues a new one.
func (s *Store) New(r *http.Request, name string) (*sessions.Session, error) {
	sess := sessions.NewSession(s, name)
	opts := s.options
	sess.Options = &opts
	sess.IsNew = true
	if c, err := r.Cookie(name); err == nil {
		if t, ok := s.decodeCookie(name, c.Value, time.Now()); ok {
			return sess, s.fill(r.Context(), sess, t)
		}
	}
	sess.ID = newTicket()
	return sess, nil
}

// fill loads the session of the browser's ticket t into sess. When t was
// rotated with grace and the browser has not seen the new ticket yet, it
// follows the rotation (at most a few times: a double click may rotate
// twice); sess then has the new ID, and Followed reports it.
func (s *Store) fill(ctx context.Context, sess *sessions.Session, t ticket) error {
	cookieID := t.String()
	sess.ID, sess.Values, sess.IsNew = cookieID, map[any]any{}, true
	ok := true
	for range 4 {
		values, err := s.load(ctx, t)
		if err == nil {
			sess.ID, sess.Values, sess.IsNew = t.String(), values, false
			if sess.ID != cookieID {
				sess.Values[markCookieID] = cookieID
			}
			return nil
		}
		if !errors.Is(err, store.ErrNotFound) {
			return err
		}
		blob, err := s.backend.Get(ctx, s.movedKey(t))
		if errors.Is(err, store.ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		next, err := s.openBytes(t, blob)
		if err != nil {
			return nil
		}
		if t, ok = parseTicket(string(next)); !ok {
			return nil
		}
	}
	return nil
}

// marker keys hold the store's own notes in a session's Values; Save takes
// them out before the values reach the Codec, which knows only the
// caller's keys.
type marker int

const (
	// markRotate holds a rotation: the ID changes at the next Save.
	markRotate marker = iota
	// markCookieID holds the ID the browser's cookie carried, when the
	// session was found under another one (a rotation followed).
	markCookieID
	// markPersist asks the next Save for a cookie that outlives the
	// browser (Persist).
	markPersist
)

type rotation struct {
	old   string
	grace bool
}

// Rotate gives the session a new ID at its next Save, so that an ID known
// before a step of the login opens nothing after it. With grace, the old ID
// still leads to the new one for RotationGrace: only for an ID that no one
// but this browser can know, since whoever holds it gets the session.
func (s *Store) Rotate(sess *sessions.Session, grace bool) {
	if r, ok := sess.Values[markRotate].(rotation); ok {
		// Rotated twice before a Save: the oldest ID is the one to retire.
		sess.Values[markRotate] = rotation{old: r.old, grace: r.grace && grace}
	} else {
		sess.Values[markRotate] = rotation{old: sess.ID, grace: grace}
	}
	sess.ID = newTicket()
}

// Persist makes the next Save send a cookie that outlives the browser,
// expiring with the session's entry (Max-Age and Expires), for a session
// the user asked to keep ("Keep me logged in"). Without it the cookie ends
// with the browser. It holds for one Save: the caller says it each time.
func (s *Store) Persist(sess *sessions.Session) {
	sess.Values[markPersist] = true
}

// Followed reports whether the session was found by following a rotation
// the browser had not seen: saving it gives the browser the new cookie.
func (s *Store) Followed(sess *sessions.Session) bool {
	_, ok := sess.Values[markCookieID]
	return ok
}

// Lock makes the requests that change one browser's session take turns: a
// double click sends the same step twice, and the wiki must answer it once.
// The caller holds the lock from here until it has saved the session, then
// calls unlock. A second request waits for the first, for at most lockTTL,
// and sess is loaded again once the lock is held, so that it sees the
// session as the first request left it (following its rotation).
func (s *Store) Lock(r *http.Request, sess *sessions.Session) (unlock func(), err error) {
	id := sess.ID
	if c, ok := sess.Values[markCookieID].(string); ok {
		id = c
	}
	t, ok := parseTicket(id)
	if !ok {
		return nil, errors.New("sessionstore: a session ID that is not a ticket")
	}
	ctx := r.Context()
	key := s.lockKey(t)
	for {
		ok, err := s.backend.SetNX(ctx, key, []byte{1}, lockTTL)
		if err != nil {
			return nil, err
		}
		if ok {
			break
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
	unlock = func() { _ = s.backend.Delete(context.WithoutCancel(ctx), key) }
	if err := s.fill(ctx, sess, t); err != nil {
		unlock()
		return nil, err
	}
	return unlock, nil
}

// Save implements sessions.Store. A session with no values keeps its cookie
// (its ID backs the CSRF token) but nothing in the backend. The first time
// a session is stored it gets a new ID: the server never stores anything
// under an ID the browser brought (which someone else may have planted).
func (s *Store) Save(r *http.Request, w http.ResponseWriter, sess *sessions.Session) error {
	ctx := r.Context()
	rot, rotating := sess.Values[markRotate].(rotation)
	delete(sess.Values, markRotate)
	_, persist := sess.Values[markPersist]
	delete(sess.Values, markPersist)
	values := make(map[any]any, len(sess.Values))
	for k, v := range sess.Values {
		if _, ours := k.(marker); !ours {
			values[k] = v
		}
	}
	if !rotating && sess.IsNew && len(values) > 0 {
		rot, rotating = rotation{old: sess.ID}, true
		sess.ID = newTicket()
	}
	t, ok := parseTicket(sess.ID)
	if !ok {
		sess.ID = newTicket()
		t, _ = parseTicket(sess.ID)
	}
	if sess.Options.MaxAge < 0 {
		http.SetCookie(w, s.cookie(sess, ""))
		if err := s.retire(ctx, rot, t, false); err != nil {
			return err
		}
		return s.backend.Delete(ctx, s.key(t))
	}
	ttl := s.maxAge
	if a := time.Duration(sess.Options.MaxAge) * time.Second; a > 0 && a < ttl {
		ttl = a
	}
	if len(values) == 0 {
		if !sess.IsNew {
			if err := s.backend.Delete(ctx, s.key(t)); err != nil {
				return err
			}
		}
	} else {
		blob, err := s.seal(t, values)
		if err != nil {
			return err
		}
		if err := s.backend.Set(ctx, s.key(t), blob, ttl); err != nil {
			return err
		}
		sess.IsNew = false
	}
	if rotating {
		// After the new entry is written: whoever follows the old ID finds it.
		if err := s.retire(ctx, rot, t, rot.grace); err != nil {
			return err
		}
	}
	enc, ok := s.encodeCookie(sess.Name(), sess.ID, time.Now())
	if !ok {
		return errors.New("sessionstore: a session ID that is not a ticket")
	}
	c := s.cookie(sess, enc)
	if persist {
		c.MaxAge = int(ttl / time.Second)
		c.Expires = time.Now().Add(ttl).UTC()
	}
	http.SetCookie(w, c)
	return nil
}

// retire deletes the entry of a rotated-away ID, leaving with grace a
// sealed pointer to the new ticket in its place.
func (s *Store) retire(ctx context.Context, rot rotation, to ticket, grace bool) error {
	old, ok := parseTicket(rot.old)
	if !ok {
		return nil
	}
	if grace {
		blob, err := s.sealBytes(old, []byte(to.String()))
		if err != nil {
			return err
		}
		if err := s.backend.Set(ctx, s.movedKey(old), blob, RotationGrace); err != nil {
			return err
		}
	}
	return s.backend.Delete(ctx, s.key(old))
}

// cookie builds the browser cookie: a session cookie (no Max-Age) unless
// Persist asked otherwise, since the server decides how long the session
// lives; an empty value deletes it.
func (s *Store) cookie(sess *sessions.Session, value string) *http.Cookie {
	o := sess.Options
	c := &http.Cookie{Name: sess.Name(), Value: value, Path: o.Path, Domain: o.Domain,
		Secure: o.Secure, HttpOnly: o.HttpOnly, SameSite: o.SameSite, Partitioned: o.Partitioned}
	if value == "" {
		c.MaxAge = -1
	}
	return c
}

// CSRFToken returns the anti-CSRF token of a session: a MAC of its ID, so
// that it needs no storage and changes when the ID rotates.
func (s *Store) CSRFToken(sess *sessions.Session) string {
	return csrfMAC(s.csrf[0], sess.ID)
}

// CheckCSRF reports whether token belongs to the session, under any key.
func (s *Store) CheckCSRF(sess *sessions.Session, token string) bool {
	if token == "" || sess.ID == "" {
		return false
	}
	// A session found by following a rotation was shown to the browser,
	// with its token, under the ID its cookie still carries.
	ids := []string{sess.ID}
	if c, ok := sess.Values[markCookieID].(string); ok {
		ids = append(ids, c)
	}
	for _, id := range ids {
		for _, k := range s.csrf {
			if subtle.ConstantTimeCompare([]byte(csrfMAC(k, id)), []byte(token)) == 1 {
				return true
			}
		}
	}
	return false
}

func csrfMAC(key []byte, id string) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(id))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil)[:24])
}

type ticket struct {
	id     []byte
	secret []byte
}

func newTicket() string {
	b := make([]byte, idLen+secretLen)
	rand.Read(b) // never fails (crypto/rand since Go 1.24)
	return base64.RawURLEncoding.EncodeToString(b)
}

// whole is the ticket's ID and secret in one array.
func (t ticket) whole() (b [idLen + secretLen]byte) {
	copy(b[copy(b[:], t.id):], t.secret)
	return b
}

// String is the ticket as a session ID.
func (t ticket) String() string {
	b := t.whole()
	return base64.RawURLEncoding.EncodeToString(b[:])
}

func parseTicket(s string) (ticket, bool) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || len(b) != idLen+secretLen {
		return ticket{}, false
	}
	return ticket{id: b[:idLen], secret: b[idLen:]}, true
}

// key names a ticket's entry by a hash of the whole ticket, so that knowing
// an ID (from the backend's key list) does not let anyone address its entry.
func (s *Store) key(t ticket) string {
	b := t.whole()
	sum := sha256.Sum256(b[:])
	return s.prefix + "session:" + base64.RawURLEncoding.EncodeToString(sum[:18])
}

// movedKey names the pointer a rotation with grace leaves behind.
func (s *Store) movedKey(t ticket) string {
	return s.prefix + "moved:" + s.key(t)[len(s.prefix+"session:"):]
}

// lockKey names the lock of a browser's session.
func (s *Store) lockKey(t ticket) string {
	return s.prefix + "lock:" + s.key(t)[len(s.prefix+"session:"):]
}

func (s *Store) load(ctx context.Context, t ticket) (map[any]any, error) {
	blob, err := s.backend.Get(ctx, s.key(t))
	if err != nil {
		return nil, err
	}
	return s.open(t, blob)
}

func (s *Store) seal(t ticket, values map[any]any) ([]byte, error) {
	plain, err := s.codec.Encode(values)
	if err != nil {
		return nil, fmt.Errorf("sessionstore: encode: %w", err)
	}
	return s.sealBytes(t, plain)
}

// sealBytes encrypts plain with the ticket's secret (AES-256-GCM, a random
// nonce in front, the ID as additional data).
func (s *Store) sealBytes(t ticket, plain []byte) ([]byte, error) {
	aead, err := gcm(t.secret)
	if err != nil {
		return nil, err
	}
	nonce := make([]byte, aead.NonceSize(), aead.NonceSize()+len(plain)+aead.Overhead())
	rand.Read(nonce)
	return aead.Seal(nonce, nonce, plain, t.id), nil
}

// errCorrupt is treated like a missing entry: an entry that does not open
// with this ticket, or that the codec cannot read (tampered with, or
// written by another version), leaves the user a fresh session.
var errCorrupt = fmt.Errorf("sessionstore: entry does not open or decode: %w", store.ErrNotFound)

func (s *Store) open(t ticket, blob []byte) (map[any]any, error) {
	plain, err := s.openBytes(t, blob)
	if err != nil {
		return nil, err
	}
	values, err := s.codec.Decode(plain)
	if err != nil {
		return nil, errCorrupt
	}
	return values, nil
}

func (s *Store) openBytes(t ticket, blob []byte) ([]byte, error) {
	aead, err := gcm(t.secret)
	if err != nil {
		return nil, err
	}
	if len(blob) < aead.NonceSize() {
		return nil, errCorrupt
	}
	plain, err := aead.Open(nil, blob[:aead.NonceSize()], blob[aead.NonceSize():], t.id)
	if err != nil {
		return nil, errCorrupt
	}
	return plain, nil
}

func gcm(key []byte) (cipher.AEAD, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}
