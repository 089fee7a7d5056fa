package sessionstore

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"time"
)

// The cookie's value is the ticket, when it was issued, and a MAC over
// both and the cookie's name:
//
//	base64url(version | ticket | issued (Unix seconds, 8 bytes) | MAC (16 bytes))
//
// The ticket needs no encryption: it is random, and whoever holds the
// cookie holds the session either way. Signing it keeps made-up tickets
// from reaching the backend, and the issue time lets a cookie expire with
// MaxAge.
const (
	cookieVersion = 1
	issuedLen     = 8
	cookieMACLen  = 16
	cookieLen     = 1 + idLen + secretLen + issuedLen + cookieMACLen
)

func cookieMAC(key []byte, name string, body []byte) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(name))
	m.Write([]byte{0})
	m.Write(body)
	return m.Sum(nil)[:cookieMACLen]
}

// encodeCookie signs a ticket (as a session ID) with the newest key.
func (s *Store) encodeCookie(name, id string, now time.Time) (string, bool) {
	t, ok := parseTicket(id)
	if !ok {
		return "", false
	}
	b := make([]byte, 0, cookieLen)
	b = append(b, cookieVersion)
	b = append(b, t.id...)
	b = append(b, t.secret...)
	b = binary.BigEndian.AppendUint64(b, uint64(now.Unix()))
	b = append(b, cookieMAC(s.cookieKeys[0], name, b)...)
	return base64.RawURLEncoding.EncodeToString(b), true
}

// decodeCookie returns the ticket a cookie carries, if any key signed it
// and it is not older than the store's MaxAge.
func (s *Store) decodeCookie(name, value string, now time.Time) (ticket, bool) {
	b, err := base64.RawURLEncoding.DecodeString(value)
	if err != nil || len(b) != cookieLen || b[0] != cookieVersion {
		return ticket{}, false
	}
	body, mac := b[:cookieLen-cookieMACLen], b[cookieLen-cookieMACLen:]
	signed := false
	for _, k := range s.cookieKeys {
		if hmac.Equal(cookieMAC(k, name, body), mac) {
			signed = true
			break
		}
	}
	if !signed {
		return ticket{}, false
	}
	issued := time.Unix(int64(binary.BigEndian.Uint64(body[1+idLen+secretLen:])), 0)
	if now.Sub(issued) > s.maxAge || issued.Sub(now) > time.Minute {
		return ticket{}, false
	}
	return ticket{id: body[1 : 1+idLen], secret: body[1+idLen : 1+idLen+secretLen]}, true
}
