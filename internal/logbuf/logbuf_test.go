package logbuf

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"
)

// countingWriter records each write it gets.
type countingWriter struct {
	mu     sync.Mutex
	writes []string
	fail   error
}

func (c *countingWriter) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.fail != nil {
		return 0, c.fail
	}
	c.writes = append(c.writes, string(p))
	return len(p), nil
}

func (c *countingWriter) snapshot() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.writes...)
}

func TestLinesArriveInOneWriteAfterTheDelay(t *testing.T) {
	out := &countingWriter{}
	w := New(out, 20*time.Millisecond)
	log := slog.New(slog.NewTextHandler(w, nil))
	for i := range 100 {
		log.Info("request", "n", i)
	}
	if got := out.snapshot(); len(got) != 0 {
		t.Fatalf("written before the delay: %d writes", len(got))
	}
	deadline := time.Now().Add(5 * time.Second)
	for len(out.snapshot()) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("nothing flushed after the delay")
		}
		time.Sleep(5 * time.Millisecond)
	}
	got := out.snapshot()
	if len(got) != 1 {
		t.Fatalf("%d writes for 100 lines, want 1", len(got))
	}
	lines := strings.Split(strings.TrimSuffix(got[0], "\n"), "\n")
	if len(lines) != 100 || !strings.Contains(lines[99], "n=99") {
		t.Fatalf("lines lost or out of order: %d lines, last %q", len(lines), lines[len(lines)-1])
	}
}

func TestCloseFlushesAndWritesThrough(t *testing.T) {
	out := &countingWriter{}
	w := New(out, time.Hour)
	fmt.Fprintln(w, "first")
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	fmt.Fprintln(w, "after close")
	if got := out.snapshot(); len(got) != 2 || got[0] != "first\n" || got[1] != "after close\n" {
		t.Fatalf("writes %q", got)
	}
}

func TestFullBufferFlushesAtOnce(t *testing.T) {
	out := &countingWriter{}
	w := New(out, time.Hour)
	line := bytes.Repeat([]byte("x"), 1000)
	for range 70 {
		w.Write(line)
	}
	if got := out.snapshot(); len(got) != 1 || len(got[0]) < 64<<10 {
		t.Fatalf("a full buffer was not written at once: %d writes", len(got))
	}
}

func TestZeroDelayWritesThrough(t *testing.T) {
	out := &countingWriter{}
	w := New(out, 0)
	fmt.Fprint(w, "a")
	fmt.Fprint(w, "b")
	if got := out.snapshot(); len(got) != 2 {
		t.Fatalf("writes %q", got)
	}
}

func TestFailedFlushIsReported(t *testing.T) {
	out := &countingWriter{fail: errors.New("disk full")}
	w := New(out, time.Hour)
	fmt.Fprint(w, "a")
	if err := w.Flush(); err == nil {
		t.Fatal("a failed write was not reported")
	}
}

func TestConcurrentWriters(t *testing.T) {
	out := &countingWriter{}
	w := New(out, time.Millisecond)
	log := slog.New(slog.NewTextHandler(w, nil))
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 200 {
				log.Info("line", "g", g, "i", i)
			}
		})
	}
	wg.Wait()
	w.Close()
	all := strings.Join(out.snapshot(), "")
	if n := strings.Count(all, "\n"); n != 1600 {
		t.Fatalf("%d lines, want 1600", n)
	}
	for _, l := range strings.Split(strings.TrimSuffix(all, "\n"), "\n") {
		if !strings.HasPrefix(l, "time=") || !strings.Contains(l, "msg=line") {
			t.Fatalf("a torn line: %q", l)
		}
	}
}
