package main

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// proc is a child process: a wiki, a floor or an app.
type proc struct{ cmd *exec.Cmd }

func launch(cmd *exec.Cmd) (*proc, error) {
	// A child never outlives the bench.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	return &proc{cmd}, nil
}

// startRole runs this program in a role (wiki, floor) and returns the line
// it announces itself with.
func startRole(stderr io.Writer, args ...string) (*proc, string, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, "", err
	}
	cmd := exec.Command(self, append([]string{"-role"}, args...)...)
	cmd.Stderr = stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, "", err
	}
	p, err := launch(cmd)
	if err != nil {
		return nil, "", err
	}
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		p.stop()
		return nil, "", fmt.Errorf("role %s did not start: %v", args[0], err)
	}
	return p, strings.TrimSpace(line), nil
}

// startApp runs an app binary through its command line, as an operator
// would, on loopback (so in development mode), its log to logFile. The
// login rate limit is off: every simulated browser comes from 127.0.0.1.
// Only flags the baseline has too may be used here.
func startApp(bin, wikiAPI string, logFile *os.File, extra ...string) (*proc, string, error) {
	addr, err := freeAddr()
	if err != nil {
		return nil, "", err
	}
	cmd := exec.Command(bin, append([]string{"-wiki", wikiAPI, "-listen", addr, "-login-attempts", "-1",
		"-secret-keys", "bench-secret-key-0123456789-0123456789"}, extra...)...)
	// A file, not a pipe: the app's logging should cost what it costs in
	// production, not wait for us to read it.
	cmd.Stdout, cmd.Stderr = logFile, logFile
	p, err := launch(cmd)
	if err != nil {
		return nil, "", err
	}
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			return p, "http://" + addr, nil
		}
	}
	p.stop()
	return nil, "", fmt.Errorf("%s did not listen on %s within 10 s; its log is %s", bin, addr, logFile.Name())
}

func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

func (p *proc) stop() {
	p.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { p.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		p.cmd.Process.Kill()
		<-done
	}
}

// cpu is the user and system time the process has used, from
// /proc/PID/stat (fields 14 and 15, in USER_HZ: 100 a second on Linux).
func (p *proc) cpu() time.Duration {
	b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/stat", p.cmd.Process.Pid))
	// The fields after the command name, which may hold spaces.
	f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
	if len(f) < 13 {
		return 0
	}
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(ut+st) * 10 * time.Millisecond
}

// machineCPU is the CPU time every process has used, from /proc/stat: all
// but idle and iowait of user, nice, system, idle, iowait, irq, softirq
// and steal.
func machineCPU() time.Duration {
	b, _ := os.ReadFile("/proc/stat")
	line, _, _ := strings.Cut(string(b), "\n")
	var t int64
	for i, f := range strings.Fields(line)[1:9] {
		if i != 3 && i != 4 {
			n, _ := strconv.ParseInt(f, 10, 64)
			t += n
		}
	}
	return time.Duration(t) * 10 * time.Millisecond
}

func selfCPU() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// peakRSS is the process's peak resident set size (VmHWM).
func (p *proc) peakRSS() int64 {
	b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/status", p.cmd.Process.Pid))
	for line := range strings.Lines(string(b)) {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return kb << 10
		}
	}
	return 0
}

// buildApp builds the app in a checkout of the repository as deploy/
// builds it: static, without Gin's MessagePack codec (and with the
// checkout's default.pgo, where an older commit has one).
func buildApp(checkout, bin string) error {
	cmd := exec.Command("go", "build", "-trimpath", "-tags", "nomsgpack", "-ldflags", "-s -w", "-o", bin, ".")
	cmd.Dir = checkout
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("building the app in %s: %w", checkout, err)
	}
	return nil
}

// buildBaseline builds the app at rev, in a worktree removed afterwards,
// and returns the commit's short hash.
func buildBaseline(root, rev, bin string) (string, error) {
	hash, err := git(root, "rev-parse", "--short", rev+"^{commit}")
	if err != nil {
		return "", err
	}
	wt := filepath.Join(filepath.Dir(bin), "baseline-src")
	if _, err := git(root, "worktree", "add", "--quiet", "--detach", wt, hash); err != nil {
		return "", err
	}
	defer git(root, "worktree", "remove", "--force", wt)
	return hash, buildApp(wt, bin)
}

func git(dir string, args ...string) (string, error) {
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("git %s: %w", strings.Join(args, " "), err)
	}
	return strings.TrimSpace(string(out)), nil
}
