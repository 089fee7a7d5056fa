// Package testcaddy starts a real Caddy (Debian's caddy package) for tests:
// with a Caddyfile of the test's own, on 127.0.0.1, in a temporary
// directory, stopped when the test ends.
//
//	port, _ := testproc.FreePort()
//	srv := testcaddy.Require(t, port, "http://127.0.0.1:PORT {\n\trespond hello\n}")
//
// The Caddyfile is site blocks; the global options (no admin endpoint, no
// redirect listener on port 80, storage in the temporary directory) come
// first. scripts/install-test-deps.sh installs caddy. Everything here is
// TEST-ONLY.
package testcaddy

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/mwlogin/mwlogin/internal/testproc"
)

// Binary is where Debian's caddy package installs the server.
const Binary = "/usr/bin/caddy"

// Server is a running Caddy.
type Server struct {
	Addr string // 127.0.0.1:PORT
	Port int
	Dir  string // its Caddyfile and storage (removed by Stop)

	cmd  *exec.Cmd
	done chan struct{} // closed when the process has exited
	out  *testproc.SyncBuffer

	stopOnce sync.Once
	stopErr  error
}

func path() (string, error) {
	if _, err := os.Stat(Binary); err == nil {
		return Binary, nil
	}
	p, err := exec.LookPath("caddy")
	if err != nil {
		return "", errors.New("caddy not installed (run scripts/install-test-deps.sh, or apt-get install caddy)")
	}
	return p, nil
}

// Installed reports whether caddy is installed, and if not, why.
func Installed() (ok bool, reason string) {
	if _, err := path(); err != nil {
		return false, err.Error()
	}
	return true, ""
}

// RequireInstalled skips the test when caddy is not installed, except
// with CI=true, where it fails it.
func RequireInstalled(t testing.TB) {
	t.Helper()
	if ok, reason := Installed(); !ok {
		if os.Getenv("CI") == "true" {
			t.Fatalf("CI=true but no caddy for the tests: %s", reason)
		}
		t.Skip("testcaddy: " + reason)
	}
}

// Require starts Caddy for the test with the site blocks of caddyfile,
// which listen on port of 127.0.0.1, and stops it when the test ends. It
// skips the test when caddy is not installed, except with CI=true, where
// it fails it; a Caddy that does not start fails the test.
func Require(t testing.TB, port int, caddyfile string) *Server {
	t.Helper()
	RequireInstalled(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s, err := Start(ctx, port, caddyfile)
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

// Start starts Caddy with the site blocks of caddyfile and returns once it
// serves them on port. Stop it with Stop.
func Start(ctx context.Context, port int, caddyfile string) (*Server, error) {
	bin, err := path()
	if err != nil {
		return nil, fmt.Errorf("testcaddy: %w", err)
	}
	dir, err := os.MkdirTemp("", "mwlogin-testcaddy-")
	if err != nil {
		return nil, fmt.Errorf("testcaddy: %w", err)
	}
	global := fmt.Sprintf("{\n\tadmin off\n\tauto_https disable_redirects\n\tstorage file_system %s\n}\n\n", filepath.Join(dir, "data"))
	file := filepath.Join(dir, "Caddyfile")
	if err := os.WriteFile(file, []byte(global+caddyfile), 0o644); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("testcaddy: %w", err)
	}
	cmd := exec.Command(bin, "run", "--config", file, "--adapter", "caddyfile")
	cmd.Dir = dir
	// Caddy keeps its state under the home and XDG directories.
	cmd.Env = append(os.Environ(), "HOME="+dir, "XDG_DATA_HOME="+filepath.Join(dir, "data"), "XDG_CONFIG_HOME="+filepath.Join(dir, "config"))
	out := &testproc.SyncBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("testcaddy: starting %s: %w", bin, err)
	}
	s := &Server{Addr: net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), Port: port, Dir: dir,
		cmd: cmd, done: make(chan struct{}), out: out}
	go func() {
		cmd.Wait()
		close(s.done)
	}()
	if err := s.waitReady(ctx); err != nil {
		s.Stop()
		return nil, fmt.Errorf("testcaddy: caddy on %s did not start: %w\n%s", s.Addr, err, out.String())
	}
	return s, nil
}

// waitReady waits until Caddy says it serves the configuration and its
// port accepts connections.
func (s *Server) waitReady(ctx context.Context) error {
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for {
		err := errors.New("configuration not served yet")
		if strings.Contains(s.out.String(), "serving initial configuration") {
			var c net.Conn
			if c, err = net.DialTimeout("tcp", s.Addr, time.Second); err == nil {
				c.Close()
				return nil
			}
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

// Log returns what Caddy wrote.
func (s *Server) Log() string { return s.out.String() }

// Stop stops Caddy (SIGTERM, then SIGKILL after 5 s), waits for it to exit
// and removes its directory. It can be called more than once.
func (s *Server) Stop() error {
	s.stopOnce.Do(func() {
		defer os.RemoveAll(s.Dir)
		select {
		case <-s.done:
			return
		default:
		}
		s.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-s.done:
		case <-time.After(5 * time.Second):
			s.cmd.Process.Kill()
			<-s.done
			s.stopErr = fmt.Errorf("testcaddy: caddy on %s ignored SIGTERM; killed\n%s", s.Addr, s.out.String())
		}
	})
	return s.stopErr
}
