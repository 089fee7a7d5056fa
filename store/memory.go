package store

import (
	"context"
	"sync"
	"time"
)

// Memory is a Backend in process memory: the zero-configuration default for
// a single instance. Expired entries are dropped by a sweep on writes, so a
// flood of abandoned flows cannot grow it without bound.
type Memory struct {
	mu        sync.Mutex
	m         map[string]memEntry
	now       func() time.Time
	nextSweep time.Time
}

// memEntry is kept small, since the app's memory grows with the sessions
// held: a string and Unix nanoseconds take 24 bytes a slot, a byte slice
// and a time.Time 48.
type memEntry struct {
	value   string
	expires int64
}

// sweepEvery bounds how often a write walks the map for expired entries.
const sweepEvery = time.Minute

// NewMemory returns an empty in-memory backend.
func NewMemory() *Memory {
	return &Memory{m: make(map[string]memEntry), now: time.Now}
}

func (s *Memory) Get(_ context.Context, key string) ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.m[key]
	if !ok || s.now().UnixNano() >= e.expires {
		return nil, ErrNotFound
	}
	return []byte(e.value), nil
}

func (s *Memory) Set(_ context.Context, key string, value []byte, ttl time.Duration) error {
	now := s.now()
	v := string(value) // a copy: the caller may reuse value
	s.mu.Lock()
	defer s.mu.Unlock()
	s.m[key] = memEntry{value: v, expires: now.Add(ttl).UnixNano()}
	if now.After(s.nextSweep) {
		for k, e := range s.m {
			if now.UnixNano() >= e.expires {
				delete(s.m, k)
			}
		}
		s.nextSweep = now.Add(sweepEvery)
	}
	return nil
}

func (s *Memory) SetNX(_ context.Context, key string, value []byte, ttl time.Duration) (bool, error) {
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	if e, ok := s.m[key]; ok && now.UnixNano() < e.expires {
		return false, nil
	}
	s.m[key] = memEntry{value: string(value), expires: now.Add(ttl).UnixNano()}
	return true, nil
}

func (s *Memory) Delete(_ context.Context, key string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.m, key)
	return nil
}

// Len reports how many entries are held, expired ones not yet swept included.
func (s *Memory) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.m)
}
