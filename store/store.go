// Package store holds the server-side key-value backends that keep session
// data: an in-memory one that needs no configuration, and Redis for several
// instances behind one address. Values arrive already encrypted; a backend
// only keeps bytes until they expire.
package store

import (
	"context"
	"errors"
	"time"
)

// ErrNotFound is returned by Get for a key that is absent or expired.
var ErrNotFound = errors.New("store: not found")

// Backend keeps values with a time to live.
type Backend interface {
	Get(ctx context.Context, key string) ([]byte, error)
	// Set stores value under key for ttl (which is always positive).
	Set(ctx context.Context, key string, value []byte, ttl time.Duration) error
	// SetNX stores value under key for ttl only if key holds nothing, and
	// reports whether it did: one request at a time may hold a key, across
	// every instance sharing the backend.
	SetNX(ctx context.Context, key string, value []byte, ttl time.Duration) (bool, error)
	Delete(ctx context.Context, key string) error
}
