// Package testredis starts a real Redis server (Debian's redis-server) for
// tests: on a free port of 127.0.0.1, in a temporary directory, with
// persistence off, stopped by its process when the test ends.
//
//	srv := testredis.Require(t) // skips if redis-server is not installed (and CI != "true")
//	b, _ := store.NewRedis(srv.URL)
//
// scripts/install-test-deps.sh installs redis-server. Everything here is
// TEST-ONLY.
package testredis

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/mwlogin/mwlogin/internal/testproc"
)

// Binary is where Debian's redis-server package installs the server.
const Binary = "/usr/bin/redis-server"

// Server is a running redis-server.
type Server struct {
	Addr string // 127.0.0.1:PORT
	URL  string // redis://127.0.0.1:PORT/0
	Port int
	Dir  string // its working directory (removed by Stop)

	cmd  *exec.Cmd
	done chan struct{} // closed when the process has exited
	out  *testproc.SyncBuffer

	stopOnce sync.Once
	stopErr  error
}

// path returns the redis-server binary: Binary, or else one in PATH.
func path() (string, error) {
	if _, err := os.Stat(Binary); err == nil {
		return Binary, nil
	}
	p, err := exec.LookPath("redis-server")
	if err != nil {
		return "", errors.New("redis-server not installed (run scripts/install-test-deps.sh, or apt-get install redis-server)")
	}
	return p, nil
}

// Installed reports whether redis-server is installed, and if not, why.
func Installed() (ok bool, reason string) {
	if _, err := path(); err != nil {
		return false, err.Error()
	}
	return true, ""
}

func isCI() bool { return os.Getenv("CI") == "true" }

// Require starts a server for the test and stops it when the test ends. It
// skips the test when redis-server is not installed, except with CI=true,
// where it fails it; a server that does not start fails the test.
func Require(t testing.TB) *Server {
	t.Helper()
	if ok, reason := Installed(); !ok {
		if isCI() {
			t.Fatalf("CI=true but no Redis server for the tests: %s", reason)
		}
		t.Skip("testredis: " + reason)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s, err := Start(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Stop(); err != nil {
			t.Error(err)
		}
	})
	return s
}

// Start starts redis-server on a free port of 127.0.0.1 in a new temporary
// directory, and returns once it answers PING. Stop it with Stop.
func Start(ctx context.Context) (*Server, error) {
	bin, err := path()
	if err != nil {
		return nil, fmt.Errorf("testredis: %w", err)
	}
	return testproc.Start(ctx, func() (*Server, error) { return start(ctx, bin) })
}

func start(ctx context.Context, bin string) (*Server, error) {
	port, err := testproc.FreePort()
	if err != nil {
		return nil, fmt.Errorf("testredis: free port: %w", err)
	}
	dir, err := os.MkdirTemp("", "mwlogin-testredis-")
	if err != nil {
		return nil, fmt.Errorf("testredis: %w", err)
	}
	// Not CommandContext: the server outlives ctx, which only bounds the start.
	cmd := exec.Command(bin,
		"--port", strconv.Itoa(port),
		"--bind", "127.0.0.1",
		"--save", "",
		"--appendonly", "no",
		"--daemonize", "no",
		"--dir", dir,
		"--logfile", "",
	)
	cmd.Dir = dir
	out := &testproc.SyncBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("testredis: starting %s: %w", bin, err)
	}
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	s := &Server{
		Addr: addr, URL: "redis://" + addr + "/0", Port: port, Dir: dir,
		cmd: cmd, done: make(chan struct{}), out: out,
	}
	go func() {
		cmd.Wait()
		close(s.done)
	}()
	if err := s.waitReady(ctx); err != nil {
		s.Stop()
		return nil, fmt.Errorf("testredis: redis-server on %s did not answer: %w\n%s", addr, err, out.String())
	}
	return s, nil
}

// waitReady waits until the server answers PING with PONG.
func (s *Server) waitReady(ctx context.Context) error {
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for {
		err := ping(ctx, s.Addr)
		if err == nil {
			return nil
		}
		select {
		case <-s.done:
			return fmt.Errorf("the process exited (%v)", s.cmd.ProcessState)
		case <-ctx.Done():
			return fmt.Errorf("%w (last: %v)", ctx.Err(), err)
		case <-tick.C:
		}
	}
}

// ping sends one PING in RESP and expects +PONG.
func ping(ctx context.Context, addr string) error {
	d := net.Dialer{Timeout: time.Second}
	c, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(2 * time.Second))
	if _, err := c.Write([]byte("*1\r\n$4\r\nPING\r\n")); err != nil {
		return err
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		return err
	}
	if strings.TrimSpace(line) != "+PONG" {
		return fmt.Errorf("PING answered %q", strings.TrimSpace(line))
	}
	return nil
}

// Stop stops the server (SIGTERM, then SIGKILL after 5 s), waits for the
// process to exit and removes its directory. It can be called more than once.
func (s *Server) Stop() error {
	s.stopOnce.Do(func() {
		defer os.RemoveAll(s.Dir)
		select {
		case <-s.done:
			return // already exited
		default:
		}
		s.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-s.done:
		case <-time.After(5 * time.Second):
			s.cmd.Process.Kill()
			<-s.done
			s.stopErr = fmt.Errorf("testredis: redis-server on %s ignored SIGTERM; killed\n%s", s.Addr, s.out.String())
		}
	})
	return s.stopErr
}
