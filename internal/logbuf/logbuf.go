// Package logbuf batches a log's writes: lines are kept in memory and
// written together a moment later, so that a busy server makes one write
// system call per batch instead of one per line (with a line per request,
// those calls were a tenth of the login app's CPU).
package logbuf

import (
	"io"
	"sync"
	"time"
)

// Writer buffers writes to an underlying writer and flushes them at most
// Delay after the first buffered byte, when the buffer holds Limit bytes,
// and at Close. It is safe for concurrent use.
type Writer struct {
	out   io.Writer
	delay time.Duration
	limit int

	mu     sync.Mutex
	buf    []byte
	timer  *time.Timer
	armed  bool
	err    error // the last failed flush, reported by the next call
	closed bool
}

// New returns a Writer flushing to out at most delay after a write; a
// delay of zero or less writes through.
func New(out io.Writer, delay time.Duration) *Writer {
	w := &Writer{out: out, delay: delay, limit: 64 << 10}
	w.timer = time.AfterFunc(time.Hour, func() { w.Flush() })
	w.timer.Stop()
	return w
}

// Write buffers p. A line is never split between batches, since slog
// handlers write each record with one call.
func (w *Writer) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed || w.delay <= 0 {
		return w.out.Write(p)
	}
	w.buf = append(w.buf, p...)
	if len(w.buf) >= w.limit {
		err := w.flushLocked()
		return len(p), err
	}
	if !w.armed {
		w.armed = true
		w.timer.Reset(w.delay)
	}
	err := w.err
	w.err = nil
	return len(p), err
}

// Flush writes out what is buffered.
func (w *Writer) Flush() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.flushLocked()
}

func (w *Writer) flushLocked() error {
	if w.armed {
		w.timer.Stop()
		w.armed = false
	}
	if len(w.buf) == 0 {
		err := w.err
		w.err = nil
		return err
	}
	_, err := w.out.Write(w.buf)
	// A large buffer left by a burst is dropped rather than kept.
	if cap(w.buf) > 4*w.limit {
		w.buf = nil
	} else {
		w.buf = w.buf[:0]
	}
	if err != nil {
		w.err = err
	}
	return err
}

// Close flushes; later writes go straight through.
func (w *Writer) Close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	err := w.flushLocked()
	w.closed = true
	return err
}
