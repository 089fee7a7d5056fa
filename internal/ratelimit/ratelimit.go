// Package ratelimit counts failures per key (a client address, or an
// address and a user name) in a sliding window, and refuses a key once it
// has had its limit of them. Counting failures, as MediaWiki's
// $wgPasswordAttemptThrottle does, rather than every request, leaves alone
// the many people who share one address and get in.
package ratelimit

import (
	"slices"
	"sync"
	"time"
)

// Limiter allows max failures per key within a window. A nil *Limiter
// limits nothing.
type Limiter struct {
	max    int
	window time.Duration
	now    func() time.Time

	mu        sync.Mutex
	keys      map[string]*record
	nextSweep time.Time
}

// record is one key's failures and attempts under way, each oldest first
// and none older than the window: memory is bounded by the keys that
// failed recently, and an attempt never settled is forgotten in time.
type record struct {
	failed, pending []time.Time
}

// New allows max failures per key within window; now is the clock (nil
// means time.Now).
func New(max int, window time.Duration, now func() time.Time) *Limiter {
	if max < 1 {
		max = 1
	}
	if now == nil {
		now = time.Now
	}
	return &Limiter{max: max, window: window, now: now, keys: map[string]*record{}}
}

// Reservation is an attempt under way, let through by Reserve.
type Reservation struct {
	l   *Limiter
	key string
	at  time.Time
}

// Reserve lets an attempt for key through, unless key has had max failures
// within the window: then ok is false and wait is how long until the
// oldest of them leaves it. Attempts under way count towards max too, so
// that attempts sent all at once cannot all slip under it; when only they
// make up the limit, ok is false and wait is zero, as one of them may yet
// not fail. The caller settles the reservation with Fail or Cancel.
func (l *Limiter) Reserve(key string) (r Reservation, wait time.Duration, ok bool) {
	if l == nil {
		return Reservation{}, 0, true
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	l.sweep(now)
	rec := l.keys[key]
	if rec == nil {
		rec = &record{}
		l.keys[key] = rec
	}
	rec.failed, rec.pending = l.live(rec.failed, now), l.live(rec.pending, now)
	switch {
	case len(rec.failed) >= l.max:
		return Reservation{}, rec.failed[0].Add(l.window).Sub(now), false
	case len(rec.failed)+len(rec.pending) >= l.max:
		return Reservation{}, 0, false
	}
	rec.pending = append(rec.pending, now)
	return Reservation{l: l, key: key, at: now}, 0, true
}

// Fail counts the attempt as a failure, from now.
func (r Reservation) Fail() { r.settle(true) }

// Cancel takes the attempt back: it did not fail.
func (r Reservation) Cancel() { r.settle(false) }

// settle ends the attempt under way. The zero Reservation does nothing.
func (r Reservation) settle(failed bool) {
	if r.l == nil {
		return
	}
	r.l.mu.Lock()
	defer r.l.mu.Unlock()
	rec := r.l.keys[r.key]
	if rec == nil { // reset meanwhile
		rec = &record{}
		r.l.keys[r.key] = rec
	}
	if i := slices.IndexFunc(rec.pending, r.at.Equal); i >= 0 {
		rec.pending = slices.Delete(rec.pending, i, i+1)
	}
	if failed {
		rec.failed = append(rec.failed, r.l.now())
	}
	if len(rec.failed) == 0 && len(rec.pending) == 0 {
		delete(r.l.keys, r.key)
	}
}

// Reset forgets key's failures.
func (l *Limiter) Reset(key string) {
	if l == nil {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.keys, key)
}

// Len is the number of keys remembered.
func (l *Limiter) Len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.keys)
}

// live drops the times that have left the window.
func (l *Limiter) live(times []time.Time, now time.Time) []time.Time {
	i := 0
	for i < len(times) && !now.Before(times[i].Add(l.window)) {
		i++
	}
	return times[i:]
}

// sweep forgets, at most once a minute, the keys whose times have all left
// the window, which no request for them would otherwise clear. The caller
// holds mu.
func (l *Limiter) sweep(now time.Time) {
	if now.Before(l.nextSweep) {
		return
	}
	for k, rec := range l.keys {
		if len(l.live(rec.failed, now)) == 0 && len(l.live(rec.pending, now)) == 0 {
			delete(l.keys, k)
		}
	}
	l.nextSweep = now.Add(time.Minute)
}
