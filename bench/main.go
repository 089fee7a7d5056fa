// Command bench measures password logins through the app under load, beside
// what the wiki alone allows. Run it from this directory:
//
//	cd bench && go run .
//
// For each wiki latency and number of simulated browsers it makes a run of
// each mode, each on fresh processes: the demo wiki (internal/demowiki,
// every API call made slower by the latency) and the front end measured.
//
//   - direct: API clients log in on the wiki itself (login token, then
//     clientlogin): the ceiling;
//   - floor: browsers log in through bench/floor, a front end doing only the
//     wiki's two calls on the app's HTTP server and wiki client;
//   - app: browsers log in through the app, built from this tree and run
//     through its command line;
//   - baseline (with -baseline REV): the same through the app built at REV,
//     run next to the app at every point of every repeat, so that the ratio
//     of the two is measured on the same machine at the same time.
//
// The results replace the generated part of docs/performance.md, with a
// plot beside it. -quick is a smoke run of a few seconds that writes
// nothing.
package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

type config struct {
	duration, warmup time.Duration
	repeat           int
	latencies        []time.Duration
	concurrency      []int
	modes            []string
	baseline         string // the commit, once resolved
	doc              string
	profile          string
	bins             map[string]string // mode: app binary
	log              *os.File          // the apps' and floors' output
}

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
	var cfg config
	// Many short runs rather than a few long ones: a burst of other work on
	// the machine then spoils a few pairs of runs, and the median of their
	// ratios stays steady.
	flag.DurationVar(&cfg.duration, "duration", 3*time.Second, "measured time of each run")
	flag.DurationVar(&cfg.warmup, "warmup", 500*time.Millisecond, "warm-up before each run's measured time")
	flag.IntVar(&cfg.repeat, "repeat", 6, "times each point is measured, in turns")
	lat := flag.String("latency", "0,20ms", "comma-separated wiki latencies per API call")
	conc := flag.String("concurrency", "1,16,64", "comma-separated numbers of simulated browsers")
	modes := flag.String("modes", "direct,floor,app", "which of direct, floor and app to run")
	baseline := flag.String("baseline", "", "a git revision: also run the app built there, alternating with this tree's")
	quick := flag.Bool("quick", false, "a smoke run of a few seconds, writing nothing")
	flag.StringVar(&cfg.doc, "doc", "docs/performance.md", "the report, from the repository's root; '' writes none")
	flag.StringVar(&cfg.profile, "profile", "", "a directory for CPU profiles of this tree's app, one per point (go tool pprof)")
	flag.Parse()
	if *quick {
		cfg.duration, cfg.warmup, cfg.repeat, cfg.doc = 500*time.Millisecond, 200*time.Millisecond, 1, ""
		if !isSet("concurrency") {
			*conc = "16"
		}
	}
	var err error
	if cfg.latencies, err = parseList(*lat, func(s string) (time.Duration, error) {
		if s == "0" {
			return 0, nil
		}
		return time.ParseDuration(s)
	}); err != nil {
		fatal(fmt.Errorf("-latency: %w", err))
	}
	if cfg.concurrency, err = parseList(*conc, strconv.Atoi); err != nil {
		fatal(fmt.Errorf("-concurrency: %w", err))
	}
	if cfg.modes, err = parseList(*modes, func(s string) (string, error) {
		if s != "direct" && s != "floor" && s != "app" {
			return "", fmt.Errorf("unknown mode %q", s)
		}
		return s, nil
	}); err != nil {
		fatal(fmt.Errorf("-modes: %w", err))
	}
	if cfg.repeat < 1 || slices.Min(cfg.concurrency) < 1 || slices.Min(cfg.latencies) < 0 {
		fatal(fmt.Errorf("-repeat, -concurrency and -latency must be positive"))
	}
	if err := run(&cfg, *baseline); err != nil {
		fatal(err)
	}
}

func isSet(name string) bool {
	set := false
	flag.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}

func parseList[T any](s string, parse func(string) (T, error)) ([]T, error) {
	var out []T
	for f := range strings.SplitSeq(s, ",") {
		v, err := parse(strings.TrimSpace(f))
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

func run(cfg *config, baseline string) error {
	root, err := git(".", "rev-parse", "--show-toplevel")
	if err != nil {
		return err
	}
	tmp, err := os.MkdirTemp("", "mwlogin-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	if cfg.log, err = os.Create(filepath.Join(tmp, "apps.log")); err != nil {
		return err
	}
	defer cfg.log.Close()
	// The two apps' paths differ in one letter only: argv and the
	// environment shift a process's initial stack, which alone can move its
	// speed by a few percent.
	cfg.bins = map[string]string{"app": filepath.Join(tmp, "a", "mwlogin"), "baseline": filepath.Join(tmp, "b", "mwlogin")}
	if slices.Contains(cfg.modes, "app") {
		if err := buildApp(root, cfg.bins["app"]); err != nil {
			return err
		}
	}
	if baseline != "" {
		if !slices.Contains(cfg.modes, "app") {
			return errors.New("-baseline is compared with the app: add app to -modes")
		}
		if cfg.baseline, err = buildBaseline(root, baseline, cfg.bins["baseline"]); err != nil {
			return err
		}
		cfg.modes = append(cfg.modes, "baseline")
	}
	loadavg, _ := os.ReadFile("/proc/loadavg")
	rep := &report{cfg: cfg, started: time.Now(), loadavg: strings.Join(strings.Fields(string(loadavg))[:3], " ")}
	fmt.Printf("bench: load average %s; %s per run after %s of warm-up, every point %d times\n", rep.loadavg, cfg.duration, cfg.warmup, cfg.repeat)
	for _, mode := range cfg.modes {
		if cfg.bins[mode] == "" {
			continue
		}
		pr, err := probeApp(cfg, mode)
		if err != nil {
			return fmt.Errorf("%s: %w", mode, err)
		}
		rep.probes = append(rep.probes, pr)
		fmt.Printf("  %-8s wiki calls: %.2f per login page, %.2f per password login (one browser, %d of each)\n", mode, pr.Page, pr.Login, probeLogins)
	}
	for i := range cfg.repeat {
		for _, lat := range cfg.latencies {
			for _, n := range cfg.concurrency {
				for _, mode := range order(cfg.modes, i) {
					r, err := runOnce(cfg, mode, lat, n)
					if err != nil {
						return fmt.Errorf("%s at %s, %d browsers: %w", mode, lat, n, err)
					}
					r.Repeat = i
					rep.add(r)
				}
			}
		}
	}
	if cfg.doc != "" {
		if err := rep.write(filepath.Join(root, cfg.doc)); err != nil {
			return err
		}
	}
	if rep.failed() > 0 {
		return fmt.Errorf("%d logins failed; see the errors above", rep.failed())
	}
	return nil
}

// order is the modes of repeat i. The baseline runs right after the app in
// even repeats and right before it in odd ones, so that a drift of the
// machine favours neither.
func order(modes []string, i int) []string {
	out := slices.Clone(modes)
	if a, b := slices.Index(out, "app"), slices.Index(out, "baseline"); a >= 0 && b >= 0 && i%2 == 1 {
		out[a], out[b] = out[b], out[a]
	}
	return out
}

// result is one run.
type result struct {
	Mode        string        `json:"mode"`
	Repeat      int           `json:"repeat"`
	Latency     time.Duration `json:"latency"`
	Concurrency int           `json:"concurrency"`
	Rate        float64       `json:"rate"` // logins/s in the measured time
	P50         time.Duration `json:"p50"`
	P99         time.Duration `json:"p99"`
	Errors      int           `json:"errors"` // warm-up included
	Sample      []string      `json:"error_sample,omitempty"`
	// Of the front end's process, for the floor and the apps, and of the
	// wiki's.
	CPU     time.Duration `json:"cpu_per_login"`
	PeakRSS int64         `json:"peak_rss"`
	WikiCPU time.Duration `json:"wiki_cpu_per_login"`
	// The CPUs other processes of the machine used meanwhile: the run is
	// only fair if that is near zero.
	OtherCPUs float64 `json:"other_cpus"`
	// At the wiki: API calls per login in the measured time, and TCP
	// connections opened in the whole run.
	Calls float64 `json:"wiki_calls_per_login"`
	Conns int64   `json:"wiki_conns"`
}

// startPoint starts a wiki and, unless mode is direct, the front end in
// front of it. A run's processes are fresh: every login leaves a
// signed-in session in the app's memory, and nobody signs out.
func startPoint(cfg *config, mode string, lat time.Duration, extra ...string) (wiki, front *proc, addrs wikiAddrs, frontURL string, err error) {
	wiki, line, err := startRole(os.Stderr, "wiki", "-latency", lat.String())
	if err != nil {
		return
	}
	if err = json.Unmarshal([]byte(line), &addrs); err == nil {
		switch mode {
		case "floor":
			front, frontURL, err = startRole(cfg.log, "floor", "-wiki", addrs.API)
		case "app", "baseline":
			front, frontURL, err = startApp(cfg.bins[mode], addrs.API, cfg.log, extra...)
		}
	}
	if err != nil {
		wiki.stop()
	}
	return
}

func runOnce(cfg *config, mode string, lat time.Duration, n int) (*result, error) {
	var extra []string
	var pprofURL string
	if cfg.profile != "" && mode == "app" {
		addr, err := freeAddr()
		if err != nil {
			return nil, err
		}
		extra, pprofURL = []string{"-metrics-listen", addr, "-pprof"}, "http://"+addr
	}
	wiki, front, addrs, frontURL, err := startPoint(cfg, mode, lat, extra...)
	if err != nil {
		return nil, err
	}
	defer wiki.stop()
	if front != nil {
		defer front.stop()
	}
	from := time.Now().Add(cfg.warmup)
	to := from.Add(cfg.duration)
	done := make(chan *load, 1)
	go func() {
		done <- drive(n, from, to, func() (func() error, func()) {
			if mode == "direct" {
				d := newDirect(addrs.API)
				return d.login, d.c.close
			}
			b := newBrowser(frontURL)
			return b.login, b.c.close
		})
	}()
	time.Sleep(time.Until(from))
	profiled := make(chan error, 1)
	if pprofURL != "" {
		go func() { profiled <- profile(cfg, pprofURL, fmt.Sprintf("app-%s-c%d.pprof", lat, n)) }()
	} else {
		profiled <- nil
	}
	c0, err0 := readCounters(addrs.Stats)
	var cpu0 time.Duration
	if front != nil {
		cpu0 = front.cpu()
	}
	wikiCPU0, selfCPU0, machineCPU0 := wiki.cpu(), selfCPU(), machineCPU()
	time.Sleep(time.Until(to))
	c1, err1 := readCounters(addrs.Stats)
	r := &result{Mode: mode, Latency: lat, Concurrency: n, WikiCPU: wiki.cpu() - wikiCPU0}
	if front != nil {
		r.CPU, r.PeakRSS = front.cpu()-cpu0, front.peakRSS()
	}
	other := machineCPU() - machineCPU0 - r.CPU - r.WikiCPU - (selfCPU() - selfCPU0)
	r.OtherCPUs = max(0, other.Seconds()/cfg.duration.Seconds())
	ld := <-done
	if err := errors.Join(err0, err1, <-profiled); err != nil {
		return nil, err
	}
	slices.Sort(ld.took)
	logins := len(ld.took)
	r.Rate = float64(logins) / cfg.duration.Seconds()
	r.P50, r.P99 = pct(ld.took, 50), pct(ld.took, 99)
	r.Errors, r.Sample = ld.errors, ld.sample[:min(5, len(ld.sample))]
	r.Conns = c1.Conns
	if logins > 0 {
		r.CPU /= time.Duration(logins)
		r.WikiCPU /= time.Duration(logins)
		r.Calls = float64(c1.Calls-c0.Calls) / float64(logins)
	}
	return r, nil
}

func pct(sorted []time.Duration, p int) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	return sorted[min(len(sorted)-1, len(sorted)*p/100)]
}

// probeLogins is how many login pages and logins the probe makes.
const probeLogins = 20

// probe is the wiki calls of one browser's login pages and logins, with
// nothing else running: the exact count, which a run under load blurs at
// the edges of its measured time.
type probe struct {
	Mode        string
	Page, Login float64
}

func probeApp(cfg *config, mode string) (probe, error) {
	wiki, app, addrs, appURL, err := startPoint(cfg, mode, 0)
	if err != nil {
		return probe{}, err
	}
	defer wiki.stop()
	defer app.stop()
	page, login, err := countCalls(appURL, func() (int64, error) {
		c, err := readCounters(addrs.Stats)
		return c.Calls, err
	})
	return probe{mode, page, login}, err
}

// countCalls counts the wiki calls of showing the login page to a new
// browser, and of a whole password login, after a first login that fills
// the app's cache of the wiki's login form.
func countCalls(frontURL string, calls func() (int64, error)) (page, login float64, err error) {
	b := newBrowser(frontURL)
	defer b.c.close()
	if err := b.login(); err != nil {
		return 0, 0, err
	}
	c0, err := calls()
	for i := 0; i < probeLogins && err == nil; i++ {
		_, err = b.loginPage()
	}
	c1, err1 := calls()
	for i := 0; i < probeLogins && err == nil; i++ {
		err = b.login()
	}
	c2, err2 := calls()
	if err := errors.Join(err, err1, err2); err != nil {
		return 0, 0, err
	}
	return float64(c1-c0) / probeLogins, float64(c2-c1) / probeLogins, nil
}

// profile saves a CPU profile of the measured time from the app's
// net/http/pprof (-metrics-listen with -pprof).
func profile(cfg *config, base, name string) error {
	resp, err := http.Get(fmt.Sprintf("%s/debug/pprof/profile?seconds=%d", base, max(1, int(cfg.duration.Seconds()))))
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if err := os.MkdirAll(cfg.profile, 0o755); err != nil {
		return err
	}
	f, err := os.Create(filepath.Join(cfg.profile, name))
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = io.Copy(f, resp.Body)
	return err
}
