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

// New loads the session named by the request's cookie. A session always has
// an ID: a browser without a valid cookie gets a new ticket, written out by
// the next Save, before anything is stored for it.
func (s *Store) New(r *http.Request, name string) (*sessions.Session, error) {
	sess := sessions.NewSession(s, name)
	opts := s.options
	sess.Options = &opts
	sess.IsNew = true
	if c, err := r.Cookie(name); err == nil {
		if t, ok := s.decodeCookie(name, c.Value, time.Now()); ok {
			sess.ID = t.String()
			values, err := s.load(r.Context(), t)
			switch {
			case err == nil:
				sess.Values, sess.IsNew = values, false
			case errors.Is(err, store.ErrNotFound):
			default:
				return sess, err
			}
			return sess, nil
		}
	}
	sess.ID = newTicket()
	return sess, nil
}

// rotateKey marks a session whose ID must change at the next Save; its
// value is the old ID. Save takes it out before the values reach the
// Codec, which knows only the caller's keys.
type rotateKey struct{}

// Rotate gives the request's session a new ID at its next Save and deletes
// the entry under the old one, so that an ID known before a sign-in opens
// nothing after it.
func (s *Store) Rotate(r *http.Request, name string) error {
	sess, err := s.Get(r, name)
	if err != nil {
		return err
	}
	if _, done := sess.Values[rotateKey{}]; !done {
		sess.Values[rotateKey{}] = sess.ID
	}
	sess.ID = newTicket()
	return nil
}

// Save implements sessions.Store. A session with no values keeps its cookie
// (its ID backs the CSRF token) but nothing in the backend.
func (s *Store) Save(r *http.Request, w http.ResponseWriter, sess *sessions.Session) error {
	ctx := r.Context()
	if old, ok := sess.Values[rotateKey{}].(string); ok {
		delete(sess.Values, rotateKey{})
		if t, ok := parseTicket(old); ok {
			if err := s.backend.Delete(ctx, s.key(t)); err != nil {
				return err
			}
		}
	}
	t, ok := parseTicket(sess.ID)
	if !ok {
		sess.ID = newTicket()
		t, _ = parseTicket(sess.ID)
	}
	if sess.Options.MaxAge < 0 {
		http.SetCookie(w, s.cookie(sess, ""))
		return s.backend.Delete(ctx, s.key(t))
	}
	ttl := s.maxAge
	if a := time.Duration(sess.Options.MaxAge) * time.Second; a > 0 && a < ttl {
		ttl = a
	}
	if len(sess.Values) == 0 {
		if !sess.IsNew {
			if err := s.backend.Delete(ctx, s.key(t)); err != nil {
				return err
			}
		}
	} else {
		blob, err := s.seal(t, sess.Values)
		if err != nil {
			return err
		}
		if err := s.backend.Set(ctx, s.key(t), blob, ttl); err != nil {
			return err
		}
	}
	enc, ok := s.encodeCookie(sess.Name(), sess.ID, time.Now())
	if !ok {
		return errors.New("sessionstore: a session ID that is not a ticket")
	}
	http.SetCookie(w, s.cookie(sess, enc))
	return nil
}

// cookie builds the browser cookie: a session cookie (no Max-Age), since the
// server decides how long the session lives; an empty value deletes it.
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
	for _, k := range s.csrf {
		if subtle.ConstantTimeCompare([]byte(csrfMAC(k, sess.ID)), []byte(token)) == 1 {
			return true
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
	values, err := s.codec.Decode(plain)
	if err != nil {
		return nil, errCorrupt
	}
	return values, nil
}

func gcm(key []byte) (cipher.AEAD, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}
