package ratelimit

import (
	"testing"
	"time"
)

// step is one thing done to a limiter of 3 failures per 5 minutes, at an
// offset from the start.
type step struct {
	at  time.Duration
	do  string // "fail", "ok" (reserve, then Fail or Cancel), "hold" (reserve, settle later), "release" (Cancel the holds), "reset"
	key string
	// refused with wait, when set; a zero wait is "busy": the limit is
	// made up by attempts under way.
	refused bool
	wait    time.Duration
}

func TestLimiter(t *testing.T) {
	cases := []struct {
		name  string
		steps []step
	}{
		{"the failure after max is refused until the oldest leaves the window", []step{
			{at: 0, do: "fail", key: "a"},
			{at: time.Minute, do: "fail", key: "a"},
			{at: 2 * time.Minute, do: "fail", key: "a"},
			{at: 3 * time.Minute, do: "fail", key: "a", refused: true, wait: 2 * time.Minute},
			{at: 5*time.Minute - time.Second, do: "ok", key: "a", refused: true, wait: time.Second},
			{at: 5 * time.Minute, do: "fail", key: "a"},
			{at: 5 * time.Minute, do: "fail", key: "a", refused: true, wait: time.Minute},
		}},
		{"keys are counted apart", []step{
			{do: "fail", key: "a"},
			{do: "fail", key: "a"},
			{do: "fail", key: "a"},
			{do: "fail", key: "b"},
			{do: "fail", key: "a", refused: true, wait: 5 * time.Minute},
		}},
		{"attempts that did not fail are not counted", []step{
			{do: "ok", key: "a"},
			{do: "ok", key: "a"},
			{do: "ok", key: "a"},
			{do: "ok", key: "a"},
			{do: "fail", key: "a"},
			{do: "fail", key: "a"},
			{do: "ok", key: "a"},
			{do: "fail", key: "a"},
			{do: "ok", key: "a", refused: true, wait: 5 * time.Minute},
		}},
		{"attempts under way count, and make the key busy, not waiting", []step{
			{do: "fail", key: "a"},
			{do: "hold", key: "a"},
			{do: "hold", key: "a"},
			{do: "ok", key: "a", refused: true},
			{do: "release", key: "a"},
			{do: "ok", key: "a"},
		}},
		{"an attempt never settled is forgotten after the window", []step{
			{do: "hold", key: "a"},
			{do: "hold", key: "a"},
			{do: "hold", key: "a"},
			{at: 5 * time.Minute, do: "fail", key: "a"},
		}},
		{"a reset forgets the key's failures", []step{
			{do: "fail", key: "a"},
			{do: "fail", key: "a"},
			{do: "fail", key: "a"},
			{do: "reset", key: "a"},
			{do: "fail", key: "a"},
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			start := time.Unix(1000, 0)
			now := start
			l := New(3, 5*time.Minute, func() time.Time { return now })
			var held []Reservation
			for i, s := range tc.steps {
				now = start.Add(s.at)
				switch s.do {
				case "reset":
					l.Reset(s.key)
					continue
				case "release":
					for _, r := range held {
						r.Cancel()
					}
					held = nil
					continue
				}
				r, wait, ok := l.Reserve(s.key)
				if ok == s.refused || (s.refused && wait != s.wait) {
					t.Fatalf("step %d (%s %s at %v): ok=%v wait=%v, want refused=%v wait=%v", i+1, s.do, s.key, s.at, ok, wait, s.refused, s.wait)
				}
				switch s.do {
				case "fail":
					r.Fail()
				case "ok":
					r.Cancel()
				case "hold":
					held = append(held, r)
				}
			}
		})
	}
}

// A failure settled after a reset still counts.
func TestFailAfterReset(t *testing.T) {
	l := New(1, time.Minute, nil)
	r, _, _ := l.Reserve("a")
	l.Reset("a")
	r.Fail()
	if _, _, ok := l.Reserve("a"); ok {
		t.Fatal("a failure settled after a reset was lost")
	}
}

func TestIdleKeysAreForgotten(t *testing.T) {
	now := time.Unix(1000, 0)
	l := New(3, 5*time.Minute, func() time.Time { return now })
	for _, k := range []string{"a", "b", "c"} {
		r, _, _ := l.Reserve(k)
		r.Fail()
	}
	r, _, _ := l.Reserve("d")
	r.Cancel()
	if n := l.Len(); n != 3 {
		t.Fatalf("%d keys remembered, want 3 (a cancelled attempt leaves nothing)", n)
	}
	now = now.Add(5 * time.Minute)
	l.Reserve("e")
	if n := l.Len(); n != 1 {
		t.Fatalf("%d keys remembered once the others' failures left the window, want 1", n)
	}
}

func TestNilLimiterLimitsNothing(t *testing.T) {
	var l *Limiter
	for range 10 {
		r, _, ok := l.Reserve("a")
		if !ok {
			t.Fatal("a nil limiter refused")
		}
		r.Fail()
	}
	l.Reset("a")
}
