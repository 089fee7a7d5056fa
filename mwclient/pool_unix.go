//go:build unix && !aix

package mwclient

import (
	"net/http"
	"syscall"
)

// alive reports whether a kept connection can carry a request: nothing is
// waiting to be read on it, and the server has not closed it (web servers
// close idle connections after a few seconds). The check is one
// non-blocking peek, where http.Transport keeps a goroutine reading every
// idle connection to notice the same.
func (pc *poolConn) alive() bool {
	if pc.raw == nil || pc.br.Buffered() > 0 {
		return false
	}
	open := false
	var b [1]byte
	err := pc.raw.Read(func(fd uintptr) bool {
		n, _, err := syscall.Recvfrom(int(fd), b[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
		open = n < 0 && (err == syscall.EAGAIN || err == syscall.EWOULDBLOCK)
		return true // never wait for the descriptor to become readable
	})
	return err == nil && open
}

func defaultTransport() http.RoundTripper { return newPool(NewTransport()) }
