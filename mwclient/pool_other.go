//go:build !unix || aix

package mwclient

import "net/http"

// Without a non-blocking peek to tell a closed idle connection (see
// pool_unix.go), the pool could send a request on one: use net/http's
// transport, which keeps a goroutine reading each connection instead.
func defaultTransport() http.RoundTripper { return NewTransport() }

func (pc *poolConn) alive() bool { return false }
