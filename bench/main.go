// Command bench measures the login app under load, beside the ceiling set
// by the wiki it talks to. Run it from the repository root:
//
//	go run ./bench
//
// For each wiki latency (0 and 20 ms) and concurrency (1, 16, 64) it starts
// a fresh stand-in wiki process (bench/standin) and a fresh app process,
// then, for a fixed time each after a warm-up:
//
//   - direct: simulated API clients log in on the stand-in itself (login
//     token, then clientlogin): the ceiling;
//   - floor: the same browsers log in through bench/floor, a front end
//     that does only the wiki's two calls on the app's HTTP server and
//     client: what the HTTP exchanges of a login allow, before any of the
//     app's own work;
//   - password: simulated browsers log in through the app with a password,
//     as a browser does (GET the form, POST it, follow the redirect to the
//     signed-in page, check the name on it);
//   - mix: the same with 80% password, 10% two-factor (the browser answers
//     the TOTP step) and 10% single sign-on (the REDIRECT page, the
//     identity provider, the return) logins.
//
// It reports logins/s, latency percentiles of a full login, errors, the
// app's CPU time per login and peak RSS (from /proc), wiki round trips per
// login and TCP connections the app opened to the wiki (counted by the
// stand-in), and the memory 10,000 pending flows take in the default store.
// The results replace the generated part of docs/performance.md, with a
// plot (docs/performance-logins.svg and .png).
//
// -quick runs a few seconds in all, for a smoke test.
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

func main() {
	if len(os.Args) > 2 && os.Args[1] == "-role" {
		switch os.Args[2] {
		case "wiki":
			serveWiki(os.Args[3:])
		case "floor":
			serveFloor(os.Args[3:])
		default:
			fatal(fmt.Errorf("unknown role %q", os.Args[2]))
		}
		return
	}
	cfg := config{}
	flag.DurationVar(&cfg.duration, "duration", 8*time.Second, "measured time of each run")
	flag.DurationVar(&cfg.warmup, "warmup", 2*time.Second, "warm-up before each measured run")
	conc := flag.String("concurrency", "1,16,64", "comma-separated numbers of simulated browsers")
	lat := flag.String("latency", "0,20ms", "comma-separated wiki latencies per API call")
	mix := flag.String("mix", "80,10,10", "password,2fa,sso percentages of the mixed runs")
	flag.BoolVar(&cfg.quick, "quick", false, "a smoke run of a few seconds: short runs, results not written")
	flag.StringVar(&cfg.doc, "doc", "docs/performance.md", "document whose generated section is replaced ('' to write nothing)")
	flag.StringVar(&cfg.profile, "profile", "", "directory to write CPU profiles of the app and the load generator per run (pprof)")
	flag.DurationVar(&cfg.quietWait, "quiet-wait", time.Minute, "before each run, wait up to this long for other processes to leave the CPUs idle")
	modes := flag.String("modes", "direct,floor,password,mix", "which runs to make: direct, floor, password, mix")
	flag.IntVar(&cfg.repeat, "repeat", 3, "times each run is made, with fresh processes; the report shows the median")
	flag.Parse()
	if cfg.repeat < 1 {
		fatal(fmt.Errorf("bad -repeat %d", cfg.repeat))
	}
	if cfg.quick {
		cfg.duration, cfg.warmup, cfg.repeat = time.Second, 300*time.Millisecond, 1
		if !isSet("quiet-wait") {
			cfg.quietWait = 0
		}
		if !isSet("concurrency") {
			*conc = "1,16"
		}
		cfg.doc = ""
	}
	for _, s := range strings.Split(*conc, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < 1 {
			fatal(fmt.Errorf("bad concurrency %q", s))
		}
		cfg.concurrency = append(cfg.concurrency, n)
	}
	for _, s := range strings.Split(*lat, ",") {
		s = strings.TrimSpace(s)
		if s == "0" {
			s = "0s"
		}
		d, err := time.ParseDuration(s)
		if err != nil || d < 0 {
			fatal(fmt.Errorf("bad latency %q", s))
		}
		cfg.latencies = append(cfg.latencies, d)
	}
	var sum int
	for i, s := range strings.Split(*mix, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < 0 || i >= int(nKinds) {
			fatal(fmt.Errorf("bad mix %q", *mix))
		}
		cfg.mix[i] = n
		sum += n
	}
	if sum != 100 {
		fatal(fmt.Errorf("mix %q does not add up to 100", *mix))
	}
	cfg.modes = map[string]bool{}
	for _, m := range strings.Split(*modes, ",") {
		switch m = strings.TrimSpace(m); m {
		case "direct", "floor", "password", "mix":
			cfg.modes[m] = true
		default:
			fatal(fmt.Errorf("unknown mode %q", m))
		}
	}
	tmp, err := os.MkdirTemp("", "mwlogin-bench-")
	if err != nil {
		fatal(err)
	}
	if cfg.appBin, err = buildApp(tmp); err != nil {
		os.RemoveAll(tmp)
		fatal(err)
	}
	rep, err := run(cfg, os.Stdout)
	os.RemoveAll(tmp)
	if err != nil {
		fatal(err)
	}
	if cfg.doc != "" {
		if err := rep.write(cfg.doc); err != nil {
			fatal(err)
		}
	}
	if rep.failed() {
		fmt.Println("bench: some logins failed; see the errors above")
		os.Exit(1)
	}
}

func isSet(name string) bool {
	set := false
	flag.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}

type config struct {
	duration, warmup time.Duration
	concurrency      []int
	latencies        []time.Duration
	mix              [nKinds]int
	quick            bool
	doc              string
	profile          string
	modes            map[string]bool
	appBin           string
	quietWait        time.Duration
	repeat           int
}

// result is one measured run.
type result struct {
	Mode        string        `json:"mode"`   // direct, floor, password, mix
	Repeat      int           `json:"repeat"` // which of the -repeat runs of this point, from 0
	Latency     time.Duration `json:"latency"`
	Concurrency int           `json:"concurrency"`
	Window      time.Duration `json:"window"`
	Logins      int           `json:"logins"` // completed in the window
	ByKind      [nKinds]int   `json:"by_kind"`
	Errors      int           `json:"errors"` // in warm-up and window
	ErrorSample []string      `json:"error_sample,omitempty"`
	Rate        float64       `json:"rate"` // logins/s
	P50         time.Duration `json:"p50"`
	P95         time.Duration `json:"p95"`
	P99         time.Duration `json:"p99"`
	// The app's CPU per login, and its peak RSS during this run (zero for
	// direct runs).
	AppCPU  time.Duration `json:"app_cpu_per_login"`
	PeakRSS int64         `json:"peak_rss"`
	// CPU per login of the stand-in wiki and of the load generator.
	WikiCPU time.Duration `json:"wiki_cpu_per_login"`
	LoadCPU time.Duration `json:"load_cpu_per_login"`
	// Wiki API calls per login, by module and in all.
	RoundTrips float64            `json:"round_trips"`
	Calls      map[string]float64 `json:"calls"`
	// TCP connections opened to the wiki's api.php during the run, and the
	// most open at once.
	ConnsOpened int64 `json:"conns_opened"`
	ConnsPeak   int64 `json:"conns_peak"`
	// CPU cores used by other processes on the machine meanwhile: a
	// measurement is only fair when this is near zero.
	OtherCores float64 `json:"other_cores"`
	// Each kind of request ("POST /login"), as the browsers waited for it.
	Steps map[string]stepStat `json:"steps,omitempty"`
	// Signed-in sessions the app held at the end: one per login since it
	// started (nobody signs out).
	Held int `json:"sessions_held"`
}

// throughApp reports whether the run's logins went through the app (not
// direct, not the floor): the runs the app's targets are about.
func (r *result) throughApp() bool { return r.Mode == "password" || r.Mode == "mix" }

// proc is a child process of ours: a stand-in wiki or the app.
type proc struct {
	cmd  *exec.Cmd
	line []byte
}

func startProc(stderr io.Writer, args ...string) (*proc, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(self, args...)
	cmd.Stderr = stderr
	// A child never outlives the bench.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	line, err := bufio.NewReader(out).ReadBytes('\n')
	if err != nil {
		cmd.Process.Kill()
		cmd.Wait()
		return nil, fmt.Errorf("%s did not start: %v", strings.Join(args, " "), err)
	}
	return &proc{cmd: cmd, line: line}, nil
}

// buildApp builds the app's own binary (the module's main package).
func buildApp(dir string) (string, error) {
	bin := filepath.Join(dir, "mwlogin")
	// As deploy/Dockerfile builds it: static, without Gin's MessagePack
	// codec (nomsgpack), which the app does not use and which would add
	// 2.5 MiB to its resident memory.
	cmd := exec.Command("go", "build", "-trimpath", "-tags", "nomsgpack", "-ldflags", "-s -w", "-o", bin, "github.com/mwlogin/mwlogin")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("building the app: %w", err)
	}
	return bin, nil
}

// startApp runs the app binary as an operator would, in development mode
// on loopback, with the login rate limit off: every simulated browser
// comes from 127.0.0.1, and the limit allows 10 attempts per address, then
// one per 6 s.
func startApp(bin, wiki string, stderr io.Writer, extra ...string) (*proc, string, error) {
	addr, err := freeAddr()
	if err != nil {
		return nil, "", err
	}
	args := append([]string{"-wiki", wiki, "-listen", addr, "-login-attempts", "-1",
		"-secret-keys", "bench-secret-key-0123456789-0123456789"}, extra...)
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = stderr, stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return nil, "", err
	}
	p := &proc{cmd: cmd}
	for deadline := time.Now().Add(10 * time.Second); ; {
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			return p, "http://" + addr, nil
		}
		if time.Now().After(deadline) {
			p.stop()
			return nil, "", fmt.Errorf("the app did not listen on %s within 10 s", addr)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// freeAddr finds a free loopback port for a process to listen on.
func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

func (p *proc) pid() int { return p.cmd.Process.Pid }

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

// point is one latency and concurrency: a stand-in wiki and an app, fresh.
type point struct {
	latency time.Duration
	wiki    *proc
	app     *proc
	addrs   wikiAddrs
	appURL  string
	pprof   string
	ctl     *http.Client
	logFile *os.File
}

// startPoint starts a stand-in wiki.
func startPoint(latency time.Duration) (*point, error) {
	w, err := startProc(os.Stderr, "-role", "wiki", "-latency", latency.String())
	if err != nil {
		return nil, err
	}
	pt := &point{latency: latency, wiki: w, ctl: &http.Client{Timeout: 10 * time.Second}}
	if err := json.Unmarshal(w.line, &pt.addrs); err != nil {
		w.stop()
		return nil, err
	}
	// The app logs a line per request; they go to a file.
	if pt.logFile, err = os.CreateTemp("", "mwlogin-bench-app-*.log"); err != nil {
		w.stop()
		return nil, err
	}
	return pt, nil
}

// startApp starts a fresh app in front of the point's wiki, the app's own
// binary, with its profiler listening when profiles are asked for.
func (pt *point) startApp(cfg config) error {
	pt.stopApp()
	var extra []string
	if cfg.profile != "" {
		addr, err := freeAddr()
		if err != nil {
			return err
		}
		extra = []string{"-metrics-listen", addr, "-pprof"}
		pt.pprof = "http://" + addr
	}
	var err error
	pt.app, pt.appURL, err = startApp(cfg.appBin, pt.addrs.App, pt.logFile, extra...)
	return err
}

// startFloor starts a fresh floor (bench/floor) where the app would be.
func (pt *point) startFloor(cfg config) error {
	pt.stopApp()
	p, err := startProc(pt.logFile, "-role", "floor", "-wiki", pt.addrs.App)
	if err != nil {
		return err
	}
	pt.app, pt.appURL = p, strings.TrimSpace(string(p.line))
	if cfg.profile != "" {
		pt.pprof = pt.appURL
	}
	return nil
}

func (pt *point) stopApp() {
	if pt.app != nil {
		pt.app.stop()
		pt.app, pt.pprof = nil, ""
	}
}

func (pt *point) close() {
	pt.stopApp()
	pt.wiki.stop()
	if pt.logFile != nil {
		pt.logFile.Close()
		os.Remove(pt.logFile.Name())
	}
}

func (pt *point) stats(resetPeak bool) (wikiStats, error) {
	var s wikiStats
	method := http.MethodGet
	if resetPeak {
		method = http.MethodPost
	}
	req, _ := http.NewRequest(method, pt.addrs.Control+"/stats", nil)
	resp, err := pt.ctl.Do(req)
	if err != nil {
		return s, err
	}
	defer resp.Body.Close()
	return s, json.NewDecoder(resp.Body).Decode(&s)
}

// snapshot is the counters at one instant.
type snapshot struct {
	at      time.Time
	wiki    wikiStats
	appCPU  time.Duration
	wikiCPU time.Duration
	selfCPU time.Duration
	busy    time.Duration // the whole machine
}

func (pt *point) snap() (snapshot, error) {
	s := snapshot{at: time.Now()}
	var err error
	if s.wiki, err = pt.stats(false); err != nil {
		return s, err
	}
	if pt.app != nil {
		if s.appCPU, err = procCPU(pt.app.pid()); err != nil {
			return s, err
		}
	}
	if s.wikiCPU, err = procCPU(pt.wiki.pid()); err != nil {
		return s, err
	}
	s.selfCPU = selfCPU()
	s.busy = machineBusy()
	return s, nil
}

// waitQuiet waits, up to max, for a second in which other processes use
// less than a tenth of a CPU: the machine is shared, and a measurement
// is only fair on idle CPUs. Each run reports the load it saw anyway.
func waitQuiet(max time.Duration) {
	if max <= 0 {
		return
	}
	deadline := time.Now().Add(max)
	for {
		b0, t0 := machineBusy(), time.Now()
		time.Sleep(time.Second)
		if other := float64(machineBusy()-b0) / float64(time.Since(t0)); other < 0.1 || time.Now().After(deadline) {
			if other >= 0.1 {
				fmt.Fprintf(os.Stderr, "bench: other processes still use %.2f CPUs; measuring anyway\n", other)
			}
			return
		}
	}
}

// worker does one login and says which kind it was.
type worker func(rng *rand.Rand) (kind, error)

// load is what n workers did.
type load struct {
	latencies []time.Duration // of the logins that ended in [from, to]
	byKind    [nKinds]int     // the same, by kind
	completed int             // logins that succeeded, from start to the end
	errors    int             // failed logins, from start to the end
	samples   []string        // the first few errors
}

// drive runs n workers, each doing logins one after the other, until to.
func drive(n int, start, from, to time.Time, newWorker func() (worker, func())) *load {
	ld := &load{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for i := range n {
		wk, done := newWorker()
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer done()
			rng := rand.New(rand.NewPCG(uint64(i), uint64(start.UnixNano())))
			var mine []time.Duration
			var byKind [nKinds]int
			done := 0
			for {
				t0 := time.Now()
				if t0.After(to) {
					break
				}
				k, err := wk(rng)
				t1 := time.Now()
				if err != nil {
					mu.Lock()
					ld.errors++
					if len(ld.samples) < 5 {
						ld.samples = append(ld.samples, kindNames[k]+": "+err.Error())
					}
					mu.Unlock()
					continue
				}
				done++
				if !t1.Before(from) && !t1.After(to) {
					mine = append(mine, t1.Sub(t0))
					byKind[k]++
				}
			}
			mu.Lock()
			ld.latencies = append(ld.latencies, mine...)
			ld.completed += done
			for k := range byKind {
				ld.byKind[k] += byKind[k]
			}
			mu.Unlock()
		}()
	}
	wg.Wait()
	return ld
}

// measure runs n workers for warm-up plus the window, and measures the
// window.
func (pt *point) measure(cfg config, mode string, n int, newWorker func() (worker, func())) (*result, error) {
	r := &result{Mode: mode, Concurrency: n}
	// The previous run's garbage is collected now, not in this run's window.
	runtime.GC()
	waitQuiet(cfg.quietWait)
	start := time.Now()
	from := start.Add(cfg.warmup)
	to := from.Add(cfg.duration)
	var ld *load
	stepLog.reset(from, to)
	finished := make(chan struct{})
	go func() { ld = drive(n, start, from, to, newWorker); close(finished) }()
	time.Sleep(time.Until(from))
	if pt.app != nil {
		resetPeak(pt.app.pid())
	}
	if _, err := pt.stats(true); err != nil {
		return nil, err
	}
	before, err := pt.snap()
	if err != nil {
		return nil, err
	}
	var profs []chan error
	if cfg.profile != "" {
		targets := map[string]string{"wiki": pt.addrs.Control}
		if pt.pprof != "" && mode != "direct" {
			targets["app"] = pt.pprof
		}
		for who, base := range targets {
			ch := make(chan error, 1)
			go func() { ch <- profile(cfg, base, fmt.Sprintf("%s-%s-%s-c%d.pprof", who, mode, pt.latency, n)) }()
			profs = append(profs, ch)
		}
	}
	var selfProf *os.File
	if cfg.profile != "" {
		os.MkdirAll(cfg.profile, 0o755)
		if selfProf, err = os.Create(filepath.Join(cfg.profile, fmt.Sprintf("load-%s-%s-c%d.pprof", mode, pt.latency, n))); err == nil {
			pprof.StartCPUProfile(selfProf)
		}
	}
	time.Sleep(time.Until(to))
	if selfProf != nil {
		pprof.StopCPUProfile()
		selfProf.Close()
	}
	after, err := pt.snap()
	if err != nil {
		return nil, err
	}
	if pt.app != nil {
		r.PeakRSS, _, _ = procMem(pt.app.pid())
	}
	<-finished
	for _, ch := range profs {
		if err := <-ch; err != nil {
			fmt.Fprintln(os.Stderr, "bench: profile:", err)
		}
	}
	r.Window = after.at.Sub(before.at)
	r.Steps = stepLog.stats()
	lat := ld.latencies
	r.ByKind = ld.byKind
	r.Logins = len(lat)
	r.Errors = ld.errors
	if mode != "direct" {
		r.Held = ld.completed
	}
	r.ErrorSample = ld.samples
	r.Rate = float64(r.Logins) / r.Window.Seconds()
	slices.Sort(lat)
	r.P50, r.P95, r.P99 = pct(lat, 50), pct(lat, 95), pct(lat, 99)
	per := func(d time.Duration) time.Duration {
		if r.Logins == 0 {
			return 0
		}
		return d / time.Duration(r.Logins)
	}
	r.AppCPU = per(after.appCPU - before.appCPU)
	r.WikiCPU = per(after.wikiCPU - before.wikiCPU)
	r.LoadCPU = per(after.selfCPU - before.selfCPU)
	ours := (after.appCPU - before.appCPU) + (after.wikiCPU - before.wikiCPU) + (after.selfCPU - before.selfCPU)
	r.OtherCores = max(0, float64(after.busy-before.busy-ours)/float64(r.Window))
	r.Calls = map[string]float64{}
	if r.Logins > 0 {
		for k, v := range after.wiki.Calls {
			if d := v - before.wiki.Calls[k]; d > 0 {
				r.Calls[k] = float64(d) / float64(r.Logins)
			}
		}
		r.RoundTrips = float64(after.wiki.Total-before.wiki.Total) / float64(r.Logins)
	}
	cs := after.wiki.App
	if mode == "direct" {
		cs = after.wiki.Direct
	}
	r.ConnsPeak = cs.Peak
	return r, nil
}

// profile saves a CPU profile of the run from a process's net/http/pprof.
func profile(cfg config, base, file string) error {
	secs := int(cfg.duration.Seconds())
	if secs < 1 {
		secs = 1
	}
	resp, err := (&http.Client{Timeout: time.Duration(secs+30) * time.Second}).Get(base + "/debug/pprof/profile?seconds=" + strconv.Itoa(secs))
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if err := os.MkdirAll(cfg.profile, 0o755); err != nil {
		return err
	}
	f, err := os.Create(filepath.Join(cfg.profile, file))
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = io.Copy(f, resp.Body)
	return err
}

func pct(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(math.Ceil(p/100*float64(len(sorted)))) - 1
	return sorted[max(0, min(i, len(sorted)-1))]
}

// run measures every point.
func run(cfg config, out io.Writer) (*report, error) {
	rep := &report{cfg: cfg, started: time.Now()}
	fmt.Fprintf(out, "bench: %d CPUs, %s per run after %s of warm-up, each run %d times\n", numCPU(), cfg.duration, cfg.warmup, cfg.repeat)
	// The repeats go round every point in turn, so that a slow spell of the
	// machine falls on one repeat of several points, not on every repeat of
	// one.
	for i := range cfg.repeat {
		rep.repeat = i
		if cfg.repeat > 1 {
			fmt.Fprintf(out, "bench: repeat %d of %d\n", i+1, cfg.repeat)
		}
		for _, lat := range cfg.latencies {
			for _, n := range cfg.concurrency {
				if err := rep.runPoint(cfg, out, lat, n); err != nil {
					return nil, err
				}
			}
		}
	}
	flows := 10000
	if cfg.quick {
		flows = 1000
	}
	fmt.Fprintf(out, "bench: %d pending flows in the default store\n", flows)
	rss, err := pendingFlowsRSS(cfg, flows)
	if err != nil {
		return nil, err
	}
	rep.flowsRSS = rss
	fmt.Fprintf(out, "  %s\n", rss)
	mem, err := pendingFlowsMemory(flows)
	if err != nil {
		return nil, err
	}
	rep.flows = mem
	fmt.Fprintf(out, "  %s\n", mem)
	return rep, nil
}

// flowsRSS is what n pending flows cost the app process.
type flowsRSS struct {
	N                   int
	Before, After, Peak int64 // VmRSS before and after, VmHWM after
}

func (f flowsRSS) String() string {
	return fmt.Sprintf("the app's RSS went from %.1f to %.1f MiB (+%.1f MiB, peak +%.1f MiB) with %d logins waiting at the two-factor step",
		mib(f.Before), mib(f.After), mib(f.After-f.Before), mib(f.Peak-f.Before), f.N)
}

// pendingFlowsRSS leaves n logins waiting at the two-factor step in a fresh
// app, as browsers that never type their code, and reads the app's RSS.
func pendingFlowsRSS(cfg config, n int) (flowsRSS, error) {
	f := flowsRSS{N: n}
	pt, err := startPoint(0)
	if err != nil {
		return f, err
	}
	defer pt.close()
	if err := pt.startApp(cfg); err != nil {
		return f, err
	}
	// Warm up on password logins (a few sessions), then measure.
	start := time.Now()
	ld := drive(4, start, start, start.Add(500*time.Millisecond), func() (worker, func()) {
		b := newBrowser(pt.appURL)
		return func(*rand.Rand) (kind, error) { return kindPassword, b.login(kindPassword) }, b.close
	})
	if ld.errors > 0 {
		return f, fmt.Errorf("warm-up: %s", strings.Join(ld.samples, "; "))
	}
	time.Sleep(200 * time.Millisecond)
	resetPeak(pt.app.pid())
	if _, f.Before, err = procMem(pt.app.pid()); err != nil {
		return f, err
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			b := newBrowser(pt.appURL)
			defer b.close()
			for next.Add(1) <= int64(n) {
				if err := b.pending(); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return f, fmt.Errorf("pending flows: %w", err)
	}
	time.Sleep(200 * time.Millisecond)
	f.Peak, f.After, err = procMem(pt.app.pid())
	return f, err
}

// runPoint measures one latency and concurrency, on a fresh stand-in wiki
// and a fresh app.
func (rep *report) runPoint(cfg config, out io.Writer, lat time.Duration, n int) error {
	pt, err := startPoint(lat)
	if err != nil {
		return err
	}
	defer pt.close()
	// The direct ceiling.
	if cfg.modes["direct"] {
		before, _ := pt.stats(false)
		r, err := pt.measure(cfg, "direct", n, func() (worker, func()) {
			d := newDirect(pt.addrs.Direct)
			return func(*rand.Rand) (kind, error) { return kindPassword, d.login() }, d.close
		})
		if err != nil {
			return err
		}
		r.Latency = lat
		after, _ := pt.stats(false)
		r.ConnsOpened = after.Direct.Opened - before.Direct.Opened
		rep.add(out, r)
	}
	// Through the floor, then the app, a fresh process for each run: every
	// login leaves a signed-in session in its memory, and nobody signs out.
	for _, mode := range []string{"floor", "password", "mix"} {
		if !cfg.modes[mode] {
			continue
		}
		start := pt.startApp
		if mode == "floor" {
			start = pt.startFloor
		}
		if err := start(cfg); err != nil {
			return err
		}
		before, _ := pt.stats(false)
		r, err := pt.measure(cfg, mode, n, func() (worker, func()) {
			b := newBrowser(pt.appURL)
			return func(rng *rand.Rand) (kind, error) {
				k := kindPassword
				if mode == "mix" {
					k = pick(rng, cfg.mix)
				}
				return k, b.login(k)
			}, b.close
		})
		if err != nil {
			return err
		}
		r.Latency = lat
		after, err := pt.stats(false)
		if err != nil {
			return err
		}
		r.ConnsOpened = after.App.Opened - before.App.Opened
		if r.throughApp() {
			rep.appConns = append(rep.appConns, connPoint{lat, n, r.ConnsOpened, r.ConnsPeak})
		}
		rep.add(out, r)
	}
	if rep.repeat == 0 && n == cfg.concurrency[0] && (cfg.modes["password"] || cfg.modes["mix"]) {
		if err := pt.startApp(cfg); err != nil {
			return err
		}
		pr, err := pt.probe(lat)
		if err != nil {
			return err
		}
		rep.probes = append(rep.probes, pr)
		fmt.Fprintf(out, "  latency %-5s exact count: %.2f wiki calls per login page, %.2f per password login\n", lat, pr.pageCalls, pr.loginCalls)
	}
	return nil
}

// probe counts wiki calls exactly, one browser at a time with nothing else
// running: per showing of the login page to a new browser, and per
// password login (form, post, signed-in page).
func (pt *point) probe(lat time.Duration) (probe, error) {
	n := 100
	if lat > 0 {
		n = 30
	}
	pr := probe{latency: lat, loginsCount: n}
	b := newBrowser(pt.appURL)
	defer b.close()
	if _, err := b.get(b.base); err != nil { // fills the form cache
		return pr, err
	}
	before, err := pt.stats(false)
	if err != nil {
		return pr, err
	}
	for range n {
		b.c.jar = jar{}
		p, err := b.get(b.base)
		if err != nil {
			return pr, err
		}
		if err := want(p, http.StatusOK, "login page"); err != nil {
			return pr, err
		}
	}
	mid, err := pt.stats(false)
	if err != nil {
		return pr, err
	}
	for range n {
		if err := b.login(kindPassword); err != nil {
			return pr, err
		}
	}
	after, err := pt.stats(false)
	if err != nil {
		return pr, err
	}
	pr.pageCalls = float64(mid.Total-before.Total) / float64(n)
	pr.loginCalls = float64(after.Total-mid.Total) / float64(n)
	return pr, nil
}

func pick(rng *rand.Rand, mix [nKinds]int) kind {
	n := rng.IntN(100)
	for k := range nKinds {
		if n < mix[k] {
			return k
		}
		n -= mix[k]
	}
	return kindPassword
}
