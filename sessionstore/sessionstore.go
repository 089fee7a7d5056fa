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
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/gob"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"slices"
	"strings"
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
	json       *jsonLayout
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
	// JSONValues names the values, by key and type, that are stored as
	// JSON instead of gob, such as {"user": &User{}}: a session holding
	// only those (of exactly those types) is encoded several times faster.
	// Any other session is encoded with gob, and both are read back
	// whatever the setting. The types must survive a JSON round trip.
	JSONValues map[string]any
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
	s := &Store{backend: cfg.Backend, options: cfg.Options, prefix: cfg.KeyPrefix, maxAge: cfg.MaxAge}
	if len(cfg.JSONValues) > 0 {
		l, err := newJSONLayout(cfg.JSONValues)
		if err != nil {
			return nil, err
		}
		s.json = l
	}
	for i, k := range cfg.Keys {
		if len(k) < MinKeyLen {
			return nil, fmt.Errorf("sessionstore: secret key %d is %d bytes; at least %d are needed", i+1, len(k), MinKeyLen)
		}
		s.cookieKeys = append(s.cookieKeys, derive(k, "cookie-ticket"))
		s.csrf = append(s.csrf, derive(k, "csrf"))
	}
	return s, nil
}

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
// value is the old ID.
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
	plain, ok := s.encodeJSON(values)
	if !ok {
		var buf bytes.Buffer
		if err := gob.NewEncoder(&buf).Encode(values); err != nil {
			return nil, fmt.Errorf("sessionstore: encode: %w", err)
		}
		plain = buf.Bytes()
	}
	aead, err := gcm(t.secret)
	if err != nil {
		return nil, err
	}
	nonce := make([]byte, aead.NonceSize(), aead.NonceSize()+len(plain)+aead.Overhead())
	rand.Read(nonce)
	return aead.Seal(nonce, nonce, plain, t.id), nil
}

// jsonMark starts a JSON-encoded entry; a gob stream never starts with a
// zero byte (its first message would be empty).
var jsonMark = []byte{0, 'J'}

// jsonLayout is the JSON form of sessions holding only configured values:
// a struct type with a field per key, so that an entry is encoded and
// decoded in one pass of encoding/json (a map of raw values would take
// two).
type jsonLayout struct {
	typ    reflect.Type         // the struct
	fields map[string]jsonField // by session key
	keys   []string             // by field index
	wrap   []bool               // by field index: stored through a pointer
}

type jsonField struct {
	index int
	typ   reflect.Type // the value's type
}

func newJSONLayout(values map[string]any) (*jsonLayout, error) {
	keys := make([]string, 0, len(values))
	for k := range values {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	l := &jsonLayout{fields: map[string]jsonField{}, keys: keys}
	var fields []reflect.StructField
	for i, k := range keys {
		v := values[k]
		if v == nil {
			return nil, fmt.Errorf("sessionstore: JSON value %q has no type", k)
		}
		if k == "" || strings.ContainsAny(k, `,"\`) {
			return nil, fmt.Errorf("sessionstore: JSON value key %q cannot be a JSON name", k)
		}
		t := reflect.TypeOf(v)
		ft, wrap := t, t.Kind() != reflect.Pointer
		if wrap { // a pointer tells a missing value from a zero one
			ft = reflect.PointerTo(t)
		}
		l.fields[k] = jsonField{index: i, typ: t}
		l.wrap = append(l.wrap, wrap)
		fields = append(fields, reflect.StructField{Name: fmt.Sprintf("V%d", i), Type: ft,
			Tag: reflect.StructTag(`json:"` + k + `,omitempty"`)})
	}
	l.typ = reflect.StructOf(fields)
	return l, nil
}

// encodeJSON encodes values as a JSON object, if they are all of the
// configured keys and types.
func (s *Store) encodeJSON(values map[any]any) ([]byte, bool) {
	if s.json == nil {
		return nil, false
	}
	doc := reflect.New(s.json.typ).Elem()
	for k, v := range values {
		name, ok := k.(string)
		if !ok {
			return nil, false
		}
		f, ok := s.json.fields[name]
		if !ok || reflect.TypeOf(v) != f.typ {
			return nil, false
		}
		rv := reflect.ValueOf(v)
		if s.json.wrap[f.index] {
			p := reflect.New(f.typ)
			p.Elem().Set(rv)
			rv = p
		}
		doc.Field(f.index).Set(rv)
	}
	out := bytes.NewBuffer(append(make([]byte, 0, 512), jsonMark...))
	if err := json.NewEncoder(out).Encode(doc.Addr().Interface()); err != nil {
		return nil, false
	}
	return bytes.TrimSuffix(out.Bytes(), []byte("\n")), true
}

func (s *Store) decodeJSON(plain []byte) (map[any]any, error) {
	if s.json == nil {
		return nil, errors.New("sessionstore: a JSON entry, but no JSON values configured")
	}
	doc := reflect.New(s.json.typ)
	if err := json.Unmarshal(plain, doc.Interface()); err != nil {
		return nil, err
	}
	doc = doc.Elem()
	values := make(map[any]any, 1)
	for i, k := range s.json.keys {
		f := doc.Field(i)
		if f.IsNil() {
			continue
		}
		if s.json.wrap[i] {
			f = f.Elem()
		}
		values[k] = f.Interface()
	}
	return values, nil
}

// errCorrupt is treated like a missing entry: the data cannot be read with
// this ticket, so the user starts a fresh session.
var errCorrupt = fmt.Errorf("sessionstore: entry does not open with this ticket: %w", store.ErrNotFound)

// open reads an entry written by a store with no JSON values.
func open(t ticket, blob []byte) (map[any]any, error) { return (&Store{}).open(t, blob) }

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
	if bytes.HasPrefix(plain, jsonMark) {
		values, err := s.decodeJSON(plain[len(jsonMark):])
		if err != nil {
			return nil, errCorrupt
		}
		return values, nil
	}
	values := map[any]any{}
	if err := gob.NewDecoder(bytes.NewReader(plain)).Decode(&values); err != nil {
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
