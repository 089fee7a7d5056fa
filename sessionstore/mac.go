package sessionstore

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"hash"
	"sync"
)

// macKey is an HMAC-SHA256 key. Every request verifies its cookie and most
// pages carry a CSRF token, so keyed hashes are pooled and reset rather
// than made anew: hmac.New hashes the key's pads and allocates about half a
// kilobyte each time.
type macKey struct{ pool sync.Pool }

func newMACKey(key []byte) *macKey {
	key = bytes.Clone(key)
	return &macKey{pool: sync.Pool{New: func() any { return hmac.New(sha256.New, key) }}}
}

// sum appends to dst the MAC of the parts, one after another.
func (k *macKey) sum(dst []byte, parts ...[]byte) []byte {
	h := k.pool.Get().(hash.Hash)
	h.Reset()
	for _, p := range parts {
		h.Write(p)
	}
	dst = h.Sum(dst)
	k.pool.Put(h)
	return dst
}
