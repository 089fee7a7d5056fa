// Package testnginx starts a real nginx (Debian's nginx package) for tests:
// with a configuration of the test's own, on 127.0.0.1, in a temporary
// directory, stopped when the test ends.
//
//	port, _ := testproc.FreePort()
//	srv := testnginx.Require(t, port, "server { listen 127.0.0.1:PORT; ... }")
//
// The configuration is what goes in nginx's http block (server and upstream
// blocks, as in a file of /etc/nginx/conf.d/). scripts/install-test-deps.sh
// installs nginx. Everything here is TEST-ONLY.
package testnginx

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/mwlogin/mwlogin/internal/testproc"
)

// Binary is where Debian's nginx package installs the server.
const Binary = "/usr/sbin/nginx"

// Server is a running nginx.
type Server struct {
	Addr string // 127.0.0.1:PORT
	Port int
	Dir  string // its prefix directory: configuration, logs, temporary files (removed by Stop)

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
	p, err := exec.LookPath("nginx")
	if err != nil {
		return "", errors.New("nginx not installed (run scripts/install-test-deps.sh, or apt-get install nginx)")
	}
	return p, nil
}

// Installed reports whether nginx is installed, and if not, why.
func Installed() (ok bool, reason string) {
	if _, err := path(); err != nil {
		return false, err.Error()
	}
	return true, ""
}

// Require starts nginx for the test with conf as its http block, where it
// listens on port of 127.0.0.1, and stops it when the test ends. It skips
// the test when nginx is not installed, except with CI=true, where it
// fails it; an nginx that does not start (a wrong configuration, a port
// taken) fails the test.
func Require(t testing.TB, port int, conf string) *Server {
	t.Helper()
	RequireInstalled(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s, err := Start(ctx, port, conf)
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

// RequireInstalled skips the test when nginx is not installed, except
// with CI=true, where it fails it.
func RequireInstalled(t testing.TB) {
	t.Helper()
	if ok, reason := Installed(); !ok {
		if os.Getenv("CI") == "true" {
			t.Fatalf("CI=true but no nginx for the tests: %s", reason)
		}
		t.Skip("testnginx: " + reason)
	}
}

// main is nginx's whole configuration around the test's http block: in
// the foreground, everything under the prefix directory.
const main = `daemon off;
worker_processes 1;
pid nginx.pid;
error_log error.log info;
events { worker_connections 128; }
http {
    access_log access.log;
    client_body_temp_path tmp/body;
    proxy_temp_path tmp/proxy;
    fastcgi_temp_path tmp/fastcgi;
    uwsgi_temp_path tmp/uwsgi;
    scgi_temp_path tmp/scgi;
    include site.conf;
}
`

// Start starts nginx with conf as its http block and returns once it
// listens on port. Stop it with Stop.
func Start(ctx context.Context, port int, conf string) (*Server, error) {
	bin, err := path()
	if err != nil {
		return nil, fmt.Errorf("testnginx: %w", err)
	}
	dir, err := os.MkdirTemp("", "mwlogin-testnginx-")
	if err != nil {
		return nil, fmt.Errorf("testnginx: %w", err)
	}
	// Run as root, nginx's workers run as nobody: they must reach the
	// temporary files.
	if err := os.Chmod(dir, 0o755); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("testnginx: %w", err)
	}
	for _, f := range []struct {
		name, text string
	}{{"nginx.conf", main}, {"site.conf", conf}} {
		if err := os.WriteFile(filepath.Join(dir, f.name), []byte(f.text), 0o644); err != nil {
			os.RemoveAll(dir)
			return nil, fmt.Errorf("testnginx: %w", err)
		}
	}
	if err := os.MkdirAll(filepath.Join(dir, "tmp"), 0o777); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("testnginx: %w", err)
	}
	os.Chmod(filepath.Join(dir, "tmp"), 0o777)
	// -e: the error log before the configuration is read, which Debian's
	// build otherwise opens under /var/log.
	cmd := exec.Command(bin, "-p", dir+"/", "-c", "nginx.conf", "-e", "error.log")
	cmd.Dir = dir
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} // the workers stop with the master
	out := &testproc.SyncBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("testnginx: starting %s: %w", bin, err)
	}
	s := &Server{Addr: net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), Port: port, Dir: dir,
		cmd: cmd, done: make(chan struct{}), out: out}
	go func() {
		cmd.Wait()
		close(s.done)
	}()
	if err := s.waitReady(ctx); err != nil {
		log := s.Log()
		s.Stop()
		return nil, fmt.Errorf("testnginx: nginx on %s did not start: %w\n%s", s.Addr, err, log)
	}
	return s, nil
}

// waitReady waits until nginx has written its pid file, which it does
// once its sockets are bound, and its port accepts connections.
func (s *Server) waitReady(ctx context.Context) error {
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for {
		_, err := os.Stat(filepath.Join(s.Dir, "nginx.pid"))
		if err == nil {
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

// Log returns what nginx wrote: its output and its error log.
func (s *Server) Log() string {
	b, _ := os.ReadFile(filepath.Join(s.Dir, "error.log"))
	return s.out.String() + string(b)
}

// Stop stops nginx (SIGTERM, then SIGKILL to its process group after 5 s),
// waits for it to exit and removes its directory. It can be called more
// than once.
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
			syscall.Kill(-s.cmd.Process.Pid, syscall.SIGKILL)
			<-s.done
			s.stopErr = fmt.Errorf("testnginx: nginx on %s ignored SIGTERM; killed\n%s", s.Addr, s.Log())
		}
	})
	return s.stopErr
}
