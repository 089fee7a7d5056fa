// Package testproc holds what the tests' helper servers (a real MediaWiki,
// a real Redis) share in starting as processes of their own: a free
// loopback port, starting again when that port was taken meanwhile, and a
// buffer their output can be written to from several goroutines.
package testproc

import (
	"bytes"
	"context"
	"net"
	"sync"
)

// FreePort returns a loopback TCP port that was free a moment ago.
func FreePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// Start calls start up to three times: a free port can be taken between
// asking for it and binding it. It gives up early when ctx ends.
func Start[T any](ctx context.Context, start func() (T, error)) (T, error) {
	var last error
	for range 3 {
		v, err := start()
		if err == nil {
			return v, nil
		}
		last = err
		if ctx.Err() != nil {
			break
		}
	}
	var zero T
	return zero, last
}

// SyncBuffer is a bytes.Buffer safe for concurrent writes and reads.
type SyncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *SyncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *SyncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
