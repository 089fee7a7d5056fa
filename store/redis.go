package store

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// Redis is a Backend on a Redis server, for several instances of the app
// behind one address: whichever instance a request reaches reads what
// another one wrote, so no sticky sessions are needed.
//
// The values it keeps are already ciphertext: package sessionstore encrypts
// each session (AES-256-GCM) with a secret that only the browser's cookie
// holds, before it reaches any Backend. Redis therefore holds nothing a copy
// of it could open; it only keeps bytes until they expire. Keys are
// namespaced by the caller (sessionstore uses "mwlogin:session:...").
type Redis struct {
	client *redis.Client
	desc   string
}

// NewRedis returns a Backend on the Redis server of a redis:// (plain TCP)
// or rediss:// (TLS) URL, as redis.ParseURL reads it:
//
//	redis://[[user]:password@]host[:port][/db][?dial_timeout=3s&...]
//
// It does not connect yet; call Ping to check the server is there.
func NewRedis(rawURL string) (*Redis, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		// url's error repeats the URL, password included: say less.
		return nil, errors.New("store: the Redis URL does not parse")
	}
	if u.Scheme != "redis" && u.Scheme != "rediss" {
		return nil, fmt.Errorf("store: a Redis URL starts with redis:// or rediss://, not %q", u.Scheme+"://")
	}
	opts, err := redis.ParseURL(rawURL)
	if err != nil {
		return nil, fmt.Errorf("store: Redis URL %s: %w", u.Redacted(), err)
	}
	desc := u.Scheme + "://" + opts.Addr + "/" + strconv.Itoa(opts.DB)
	return &Redis{client: redis.NewClient(opts), desc: desc}, nil
}

// String describes the server (scheme, address and database), never the
// user name or password, so it can be logged.
func (r *Redis) String() string { return r.desc }

// Get returns the value of key, or ErrNotFound if it is absent or expired.
func (r *Redis) Get(ctx context.Context, key string) ([]byte, error) {
	v, err := r.client.Get(ctx, key).Bytes()
	if errors.Is(err, redis.Nil) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("store: redis GET: %w", err)
	}
	return v, nil
}

// Set stores value under key for ttl: SET key value PX milliseconds, the
// TTL rounded up to a whole millisecond.
func (r *Redis) Set(ctx context.Context, key string, value []byte, ttl time.Duration) error {
	ms := (ttl + time.Millisecond - 1).Milliseconds()
	if ms < 1 {
		ms = 1
	}
	if err := r.client.Do(ctx, "SET", key, value, "PX", ms).Err(); err != nil {
		return fmt.Errorf("store: redis SET: %w", err)
	}
	return nil
}

// SetNX is SET key value NX PX milliseconds.
func (r *Redis) SetNX(ctx context.Context, key string, value []byte, ttl time.Duration) (bool, error) {
	ms := (ttl + time.Millisecond - 1).Milliseconds()
	if ms < 1 {
		ms = 1
	}
	err := r.client.Do(ctx, "SET", key, value, "NX", "PX", ms).Err()
	if errors.Is(err, redis.Nil) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("store: redis SET NX: %w", err)
	}
	return true, nil
}

// Delete removes key; a key that is not there is not an error.
func (r *Redis) Delete(ctx context.Context, key string) error {
	if err := r.client.Del(ctx, key).Err(); err != nil {
		return fmt.Errorf("store: redis DEL: %w", err)
	}
	return nil
}

// Ping checks that the server answers, for start-up and readiness checks.
func (r *Redis) Ping(ctx context.Context) error {
	if err := r.client.Ping(ctx).Err(); err != nil {
		return fmt.Errorf("store: redis %s: %w", r.desc, err)
	}
	return nil
}

// Close closes the client's connections.
func (r *Redis) Close() error { return r.client.Close() }

// SetRedisLogger sends the Redis client library's own messages (such as
// connection pool dial failures) to l, as warnings, instead of the standard
// library's log package. Like go-redis's logger, it is global to the process.
func SetRedisLogger(l *slog.Logger) { redis.SetLogger(redisLogger{l}) }

type redisLogger struct{ l *slog.Logger }

func (r redisLogger) Printf(ctx context.Context, format string, v ...any) {
	r.l.WarnContext(ctx, "redis client", "message", strings.TrimPrefix(fmt.Sprintf(format, v...), "redis: "))
}
