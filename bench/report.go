package main

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/mwlogin/mwlogin/mwclient"
)

// Targets, from the performance issue.
const (
	targetRatio20    = 0.95   // of direct, 20 ms latency, 64 browsers
	targetRate0      = 3000.0 // logins/s, no latency, 16 browsers
	targetRatio0     = 0.40   // of direct, same run
	targetCPU        = 500 * time.Microsecond
	targetRSS        = 64 << 20
	targetFlows      = 50 << 20
	targetRoundTrips = 2
)

// poolSize is the idle connections mwclient's transport keeps per host.
const poolSize = mwclient.DefaultMaxIdleConns

type connPoint struct {
	latency     time.Duration
	concurrency int
	opened      int64
	peak        int64
}

type report struct {
	cfg      config
	started  time.Time
	results  []*result
	appConns []connPoint
	flows    flowsMem
	flowsRSS flowsRSS
	probes   []probe
	repeat   int // the repeat being run
}

// probe is an exact count of wiki calls, with nothing else running.
type probe struct {
	latency     time.Duration
	pageCalls   float64 // per showing of the login form
	loginCalls  float64 // per password login, form to signed-in page
	loginsCount int
}

func numCPU() int { return runtime.NumCPU() }

func ms(d time.Duration) string { return fmt.Sprintf("%.2f", float64(d)/float64(time.Millisecond)) }
func ms1(d time.Duration) string {
	return fmt.Sprintf("%.1f", float64(d)/float64(time.Millisecond))
}

func (rep *report) add(out io.Writer, r *result) {
	r.Repeat = rep.repeat
	rep.results = append(rep.results, r)
	fmt.Fprintf(out, "  latency %-5s c=%-3d %-8s %7.0f logins/s  p50 %6s p95 %6s p99 %6s ms  errors %d",
		r.Latency, r.Concurrency, r.Mode, r.Rate, ms1(r.P50), ms1(r.P95), ms1(r.P99), r.Errors)
	if r.Mode != "direct" {
		fmt.Fprintf(out, "  app CPU %s ms/login  peak RSS %.1f MiB (%d sessions held)", ms(r.AppCPU), mib(r.PeakRSS), r.Held)
	}
	fmt.Fprintf(out, "  wiki CPU %s  load CPU %s ms/login  wiki calls %.2f/login  conns opened %d (peak %d)  other load %.2f cores\n", ms(r.WikiCPU), ms(r.LoadCPU), r.RoundTrips, r.ConnsOpened, r.ConnsPeak, r.OtherCores)
	for _, e := range r.ErrorSample {
		fmt.Fprintf(out, "    error: %s\n", e)
	}
}

// has reports whether any run of mode was made.
func (rep *report) has(mode string) bool {
	return slices.ContainsFunc(rep.results, func(r *result) bool { return r.Mode == mode })
}

func (rep *report) failed() bool {
	for _, r := range rep.results {
		if r.Errors > 0 {
			return true
		}
	}
	return false
}

// find returns the run of mode at a point that the report shows: with
// repeats, the median one. Direct and password runs are shown in pairs
// from the same repeat (the ceiling and the app measured side by side):
// the repeat whose app/direct ratio is the median; a floor run is the one
// whose floor/direct ratio is the median; a mixed run is the median by
// logins/s.
func (rep *report) find(mode string, lat time.Duration, n int) *result {
	runs := rep.runs(mode, lat, n)
	if len(runs) == 0 {
		return nil
	}
	if mode == "mix" {
		slices.SortFunc(runs, func(a, b *result) int { return cmp.Compare(a.Rate, b.Rate) })
		return runs[(len(runs)-1)/2]
	}
	by := "password"
	if mode == "floor" {
		by = "floor"
	}
	return rep.inRepeat(mode, lat, n, rep.medianRepeat(by, lat, n))
}

// inRepeat returns the run of mode at a point in repeat i, or its first
// run if that repeat has none.
func (rep *report) inRepeat(mode string, lat time.Duration, n, i int) *result {
	runs := rep.runs(mode, lat, n)
	for _, r := range runs {
		if r.Repeat == i {
			return r
		}
	}
	if len(runs) == 0 {
		return nil
	}
	return runs[0]
}

// runs returns every run of mode at a point.
func (rep *report) runs(mode string, lat time.Duration, n int) []*result {
	var out []*result
	for _, r := range rep.results {
		if r.Mode == mode && r.Latency == lat && r.Concurrency == n {
			out = append(out, r)
		}
	}
	return out
}

// pairs returns, for each repeat of a point that has both runs, the ratio
// of mode's logins/s to those of base in the same repeat.
func (rep *report) pairs(mode, base string, lat time.Duration, n int) map[int]float64 {
	byRepeat := map[int]*result{}
	for _, r := range rep.runs(base, lat, n) {
		byRepeat[r.Repeat] = r
	}
	out := map[int]float64{}
	for _, p := range rep.runs(mode, lat, n) {
		if d := byRepeat[p.Repeat]; d != nil {
			out[p.Repeat] = ratio(p.Rate, d.Rate)
		}
	}
	return out
}

// medianRepeat is the repeat with the median mode/direct ratio at a point
// (the lower middle one of an even count), or with the median rate of mode
// when there is no direct run.
func (rep *report) medianRepeat(mode string, lat time.Duration, n int) int {
	type kv struct {
		repeat int
		v      float64
	}
	var list []kv
	for i, r := range rep.pairs(mode, "direct", lat, n) {
		list = append(list, kv{i, r})
	}
	if len(list) == 0 {
		for _, r := range rep.runs(mode, lat, n) {
			list = append(list, kv{r.Repeat, r.Rate})
		}
	}
	if len(list) == 0 {
		return 0
	}
	slices.SortFunc(list, func(a, b kv) int { return cmp.Or(cmp.Compare(a.v, b.v), cmp.Compare(a.repeat, b.repeat)) })
	return list[(len(list)-1)/2].repeat
}

// ratioRange is the lowest and highest mode/base ratio of a point's repeats.
func (rep *report) ratioRange(mode, base string, lat time.Duration, n int) (lo, hi float64) {
	lo = math.Inf(1)
	for _, r := range rep.pairs(mode, base, lat, n) {
		lo, hi = math.Min(lo, r), math.Max(hi, r)
	}
	return lo, hi
}

// shown returns the runs the report shows, one per mode and point.
func (rep *report) shown() []*result {
	var out []*result
	for _, lat := range rep.cfg.latencies {
		for _, n := range rep.cfg.concurrency {
			for _, mode := range []string{"direct", "floor", "password", "mix"} {
				if r := rep.find(mode, lat, n); r != nil {
					out = append(out, r)
				}
			}
		}
	}
	return out
}

func latName(d time.Duration) string {
	if d == 0 {
		return "0 ms"
	}
	return fmt.Sprintf("%g ms", float64(d)/float64(time.Millisecond))
}

const (
	beginMark = "<!-- bench:begin (generated by go run ./bench; edits inside are overwritten) -->"
	endMark   = "<!-- bench:end -->"
)

// write replaces the generated section of the document and writes the
// plot and the raw results beside it.
func (rep *report) write(doc string) error {
	dir := filepath.Dir(doc)
	stem := strings.TrimSuffix(filepath.Base(doc), filepath.Ext(doc))
	svgName := stem + "-logins.svg"
	pngName := stem + "-logins.png"
	if err := os.WriteFile(filepath.Join(dir, svgName), rep.svg(), 0o644); err != nil {
		return err
	}
	img := svgName
	if path, err := exec.LookPath("rsvg-convert"); err == nil {
		cmd := exec.Command(path, "-b", "white", "-o", filepath.Join(dir, pngName), filepath.Join(dir, svgName))
		cmd.Stderr = os.Stderr
		if err := cmd.Run(); err == nil {
			img = pngName
		}
	} else {
		fmt.Fprintln(os.Stderr, "bench: rsvg-convert (Debian: librsvg2-bin) not found; the plot is SVG only")
	}
	raw, _ := json.MarshalIndent(rep.results, "", "  ")
	if err := os.WriteFile(filepath.Join(dir, stem+"-results.json"), append(raw, '\n'), 0o644); err != nil {
		return err
	}
	section := rep.markdown(img)
	old, err := os.ReadFile(doc)
	if err != nil && !os.IsNotExist(err) {
		return err
	}
	var out string
	b, e := strings.Index(string(old), beginMark), strings.Index(string(old), endMark)
	if b >= 0 && e > b {
		out = string(old[:b]) + section + string(old[e+len(endMark):])
	} else {
		out = "# Performance\n\n" + section + "\n" + string(old)
	}
	fmt.Printf("bench: wrote %s, %s\n", doc, filepath.Join(dir, img))
	return os.WriteFile(doc, []byte(out), 0o644)
}

func (rep *report) markdown(img string) string {
	var b strings.Builder
	w := func(format string, a ...any) { fmt.Fprintf(&b, format, a...) }
	w("%s\n\n", beginMark)
	w("Measured %s on %d CPUs (%s, %s), shared by the app, the stand-in wiki and the load generator; %s per run after %s of warm-up, fresh processes for each latency and concurrency.",
		rep.started.Format("2006-01-02 15:04 MST"), numCPU(), runtime.GOOS+"/"+runtime.GOARCH, runtime.Version(), rep.cfg.duration, rep.cfg.warmup)
	if rep.cfg.repeat > 1 {
		w(" Every run was made %d times, in turns; the tables show, for each point, the repeat whose app/direct ratio is the median (its direct and app runs side by side), and for mixed logins the median run by logins/s. All runs are in `performance-results.json`.", rep.cfg.repeat)
	}
	w("\n\n")
	w("![Logins per second against concurrency: the app beside the direct ceiling](%s)\n\n", img)

	w("### Password logins: the app against the direct ceiling\n\n")
	w("| wiki latency | browsers | direct logins/s | app logins/s | app / direct | app / direct, lowest and highest of the repeats | app p50 / p95 / p99 ms | direct p50 / p99 ms | errors (app, direct) | app CPU ms/login | peak RSS MiB (sessions held) | wiki calls/login | TCP conns to wiki (opened, peak) | other load (CPUs) |\n")
	w("| --- | ---: | ---: | ---: | ---: | --- | --- | --- | --- | ---: | ---: | ---: | --- | --- |\n")
	for _, lat := range rep.cfg.latencies {
		for _, n := range rep.cfg.concurrency {
			d, p := rep.find("direct", lat, n), rep.find("password", lat, n)
			if d == nil || p == nil {
				continue
			}
			lo, hi := rep.ratioRange("password", "direct", lat, n)
			w("| %s | %d | %.0f | %.0f | %.2f | %.2f to %.2f | %s / %s / %s | %s / %s | %d, %d | %s | %.1f (%d) | %.2f | %d, %d | %.2f, %.2f |\n",
				latName(lat), n, d.Rate, p.Rate, ratio(p.Rate, d.Rate), lo, hi, ms1(p.P50), ms1(p.P95), ms1(p.P99), ms1(d.P50), ms1(d.P99),
				p.Errors, d.Errors, ms(p.AppCPU), mib(p.PeakRSS), p.Held, p.RoundTrips, p.ConnsOpened, p.ConnsPeak, p.OtherCores, d.OtherCores)
		}
	}
	if rep.has("floor") {
		w("\n### The floor: what the HTTP exchanges of a login allow\n\n")
		w("The floor (`bench/floor`) does only what any front end must: the form page, the wiki's two calls, the redirect to a page naming the user, on the app's net/http server and mwclient, with no CSRF check, session store, templates or logs. A front end on the same HTTP server and client cannot be faster on these CPUs (a leaner server loop of our own did not beat it either: see below the tables); the app's distance to it is the cost of its own work. Each row is the repeat whose floor/direct ratio is the median, its three runs side by side.\n\n")
		w("| wiki latency | browsers | direct logins/s | floor logins/s | floor / direct | floor / direct, lowest and highest | app logins/s | app / floor | app / floor, lowest and highest | CPU ms/login: floor, app |\n")
		w("| --- | ---: | ---: | ---: | ---: | --- | ---: | ---: | --- | --- |\n")
		for _, lat := range rep.cfg.latencies {
			for _, n := range rep.cfg.concurrency {
				i := rep.medianRepeat("floor", lat, n)
				d, f, p := rep.inRepeat("direct", lat, n, i), rep.inRepeat("floor", lat, n, i), rep.inRepeat("password", lat, n, i)
				if d == nil || f == nil || p == nil {
					continue
				}
				flo, fhi := rep.ratioRange("floor", "direct", lat, n)
				alo, ahi := rep.ratioRange("password", "floor", lat, n)
				w("| %s | %d | %.0f | %.0f | %.2f | %.2f to %.2f | %.0f | %.2f | %.2f to %.2f | %s, %s |\n",
					latName(lat), n, d.Rate, f.Rate, ratio(f.Rate, d.Rate), flo, fhi, p.Rate, ratio(p.Rate, f.Rate), alo, ahi, ms(f.AppCPU), ms(p.AppCPU))
			}
		}
	}
	w("\n### Mixed logins (%d%% password, %d%% two-factor, %d%% single sign-on)\n\n", rep.cfg.mix[0], rep.cfg.mix[1], rep.cfg.mix[2])
	w("| wiki latency | browsers | logins/s | logins in the window: password, 2FA, SSO | p50 / p95 / p99 ms | errors | app CPU ms/login | peak RSS MiB (sessions held) | wiki calls/login | TCP conns to wiki (opened, peak) | other load (CPUs) |\n")
	w("| --- | ---: | ---: | --- | --- | ---: | ---: | ---: | ---: | --- | ---: |\n")
	for _, lat := range rep.cfg.latencies {
		for _, n := range rep.cfg.concurrency {
			m := rep.find("mix", lat, n)
			if m == nil {
				continue
			}
			w("| %s | %d | %.0f | %d, %d, %d | %s / %s / %s | %d | %s | %.1f (%d) | %.2f | %d, %d | %.2f |\n",
				latName(lat), n, m.Rate, m.ByKind[kindPassword], m.ByKind[kind2FA], m.ByKind[kindSSO], ms1(m.P50), ms1(m.P95), ms1(m.P99), m.Errors,
				ms(m.AppCPU), mib(m.PeakRSS), m.Held, m.RoundTrips, m.ConnsOpened, m.ConnsPeak, m.OtherCores)
		}
	}
	w("\nWho used the CPU, per password login (ms): the app, the stand-in wiki, the load generator (simulated browsers).\n\n")
	w("| wiki latency | browsers | app | wiki | load generator | direct run: wiki, load generator |\n| --- | ---: | ---: | ---: | ---: | --- |\n")
	for _, lat := range rep.cfg.latencies {
		for _, n := range rep.cfg.concurrency {
			d, p := rep.find("direct", lat, n), rep.find("password", lat, n)
			if d == nil || p == nil {
				continue
			}
			w("| %s | %d | %s | %s | %s | %s, %s |\n", latName(lat), n, ms(p.AppCPU), ms(p.WikiCPU), ms(p.LoadCPU), ms(d.WikiCPU), ms(d.LoadCPU))
		}
	}
	w("\nWhere a password login's time goes: each request as the browsers waited for it, p50 / p95 ms. Through the app, a login is three requests (`GET /` twice: the form, then the signed-in page after the 303; `POST /login` around the two wiki calls); direct, it is the two wiki calls.\n\n")
	w("| wiki latency | browsers | app: GET / | app: POST /login | direct: GET api.php (token) | direct: POST api.php (clientlogin) |\n| --- | ---: | --- | --- | --- | --- |\n")
	step := func(r *result, label string) string {
		st, ok := r.Steps[label]
		if !ok {
			return "-"
		}
		return ms(st.P50) + " / " + ms(st.P95)
	}
	for _, lat := range rep.cfg.latencies {
		for _, n := range rep.cfg.concurrency {
			d, p := rep.find("direct", lat, n), rep.find("password", lat, n)
			if d == nil || p == nil {
				continue
			}
			w("| %s | %d | %s | %s | %s | %s |\n", latName(lat), n, step(p, "GET /"), step(p, "POST /login"), step(d, "GET /api.php"), step(d, "POST /api.php"))
		}
	}
	if len(rep.probes) > 0 {
		w("\nWiki calls counted exactly (one browser, nothing else running): ")
		for i, pr := range rep.probes {
			if i > 0 {
				w("; ")
			}
			w("%s latency: %.2f per login page shown, %.2f per password login (form, post, signed-in page; %d logins)", latName(pr.latency), pr.pageCalls, pr.loginCalls, pr.loginsCount)
		}
		w(".\n")
	}
	w("\n%d logins left waiting at the two-factor step raised the app's RSS from %.1f to %.1f MiB (+%.1f MiB); in the session store alone, encoded as the app does (JSON; `go test -bench PendingFlowsMemory ./sessionstore` compares gob), they hold %.1f MiB of live heap, %d bytes per encrypted entry.\n",
		rep.flowsRSS.N, mib(rep.flowsRSS.Before), mib(rep.flowsRSS.After), mib(max(rep.flowsRSS.After, rep.flowsRSS.Peak)-rep.flowsRSS.Before), mib(rep.flows.HeapGrowth), rep.flows.EntryBytes)
	w("\n### Targets\n\n| target | measured | |\n| --- | --- | --- |\n")
	for _, t := range rep.targets() {
		w("| %s | %s | %s |\n", t.what, t.measured, verdict(t.met))
	}
	w("\n%s\n", endMark)
	return b.String()
}

type target struct {
	what, measured string
	met            bool
}

func verdict(ok bool) string {
	if ok {
		return "met"
	}
	return "**missed**"
}

// errorsAt counts the failed password logins through the app in every
// repeat at a point.
func (rep *report) errorsAt(lat time.Duration, n int) int {
	e := 0
	for _, r := range rep.runs("password", lat, n) {
		e += r.Errors
	}
	return e
}

// rate returns the lowest and highest logins/s of runs.
func rate(runs []*result) (lo, hi float64) {
	lo = math.Inf(1)
	for _, r := range runs {
		lo, hi = math.Min(lo, r.Rate), math.Max(hi, r.Rate)
	}
	return lo, hi
}

func ratio(a, b float64) float64 {
	if b == 0 {
		return 0
	}
	return a / b
}

func (rep *report) targets() []target {
	var ts []target
	if d, p := rep.find("direct", 20*time.Millisecond, 64), rep.find("password", 20*time.Millisecond, 64); d != nil && p != nil {
		r := ratio(p.Rate, d.Rate)
		lo, hi := rep.ratioRange("password", "direct", 20*time.Millisecond, 64)
		ts = append(ts, target{"20 ms wiki latency, 64 browsers: at least 95% of direct, zero errors",
			fmt.Sprintf("%.0f of %.0f logins/s = %.0f%% (median; %.0f%% to %.0f%% over the repeats), %d errors%s", p.Rate, d.Rate, 100*r, 100*lo, 100*hi, rep.errorsAt(20*time.Millisecond, 64), rep.floorNote(20*time.Millisecond, 64)),
			r >= targetRatio20 && rep.errorsAt(20*time.Millisecond, 64) == 0})
	}
	if d, p := rep.find("direct", 0, 16), rep.find("password", 0, 16); d != nil && p != nil {
		r := ratio(p.Rate, d.Rate)
		lo, hi := rate(rep.runs("password", 0, 16))
		ts = append(ts, target{"no wiki latency, 16 browsers: at least 3,000 logins/s and 40% of direct, zero errors",
			fmt.Sprintf("%.0f logins/s, %.0f%% of %.0f (median; %.0f to %.0f logins/s over the repeats), %d errors%s", p.Rate, 100*r, d.Rate, lo, hi, rep.errorsAt(0, 16), rep.floorNote(0, 16)),
			p.Rate >= targetRate0 && r >= targetRatio0 && rep.errorsAt(0, 16) == 0})
	}
	var worstCPU time.Duration
	var worstRSS int64
	minRT, maxRT := math.Inf(1), 0.0
	var worstConns, worstAt int64
	for _, r := range rep.shown() {
		if r.Mode == "password" && r.Concurrency > 1 {
			worstCPU = max(worstCPU, r.AppCPU)
		}
	}
	// Memory and round trips: every run counts.
	for _, r := range rep.results {
		if r.Mode == "password" {
			minRT, maxRT = math.Min(minRT, r.RoundTrips), math.Max(maxRT, r.RoundTrips)
		}
		if r.throughApp() {
			worstRSS = max(worstRSS, r.PeakRSS)
		}
	}
	connsOK := true
	var logins int
	for _, c := range rep.appConns {
		if c.opened > poolSize {
			connsOK = false
		}
		if c.opened > worstConns {
			worstConns, worstAt = c.opened, int64(c.concurrency)
			logins = 0
			for _, r := range rep.results {
				if r.throughApp() && r.Latency == c.latency && r.Concurrency == c.concurrency && r.ConnsOpened == c.opened {
					logins = r.Held
				}
			}
		}
	}
	cpu := rep.cpuByLatency("password")
	if rep.has("floor") {
		cpu += "; the floor: " + rep.cpuByLatency("floor")
	}
	ts = append(ts, target{"app CPU under 0.5 ms per password login (16 and 64 browsers)", cpu, worstCPU < targetCPU})
	ts = append(ts, target{"peak RSS under 64 MiB", fmt.Sprintf("at most %.1f MiB", mib(worstRSS)), worstRSS < targetRSS})
	grow := max(rep.flowsRSS.After, rep.flowsRSS.Peak) - rep.flowsRSS.Before
	ts = append(ts, target{"10,000 pending flows in the default store under 50 MiB more", fmt.Sprintf("app RSS +%.1f MiB (peak); %.1f MiB of live heap in the store", mib(grow), mib(rep.flows.HeapGrowth)),
		grow < targetFlows && rep.flows.HeapGrowth < targetFlows})
	if len(rep.probes) > 0 {
		page, login := 0.0, 0.0
		for _, p := range rep.probes {
			page, login = math.Max(page, p.pageCalls), math.Max(login, p.loginCalls)
		}
		ts = append(ts, target{"a password login costs exactly 2 wiki round trips", fmt.Sprintf("%.2f (exact count); %.2f to %.2f under load", login, minRT, maxRT), login == targetRoundTrips})
		ts = append(ts, target{"showing the login page costs no wiki round trip", fmt.Sprintf("%.2f", page), page == 0})
	}
	ts = append(ts, target{fmt.Sprintf("TCP connections to the wiki stay within the pool (%d idle connections kept), not one per user or login", poolSize),
		fmt.Sprintf("at most %d opened by one app (at %d browsers, for %d logins)", worstConns, worstAt, logins), connsOK})
	return ts
}

// floorNote puts the floor beside a target measured at a point.
func (rep *report) floorNote(lat time.Duration, n int) string {
	d, f := rep.find("direct", lat, n), rep.find("floor", lat, n)
	if d == nil || f == nil {
		return ""
	}
	lo, hi := rep.ratioRange("floor", "direct", lat, n)
	return fmt.Sprintf("; the floor (the wiki calls alone): %.0f logins/s, %.0f%% of direct (%.0f%% to %.0f%%)", f.Rate, 100*ratio(f.Rate, d.Rate), 100*lo, 100*hi)
}

// cpuByLatency is the range of CPU per login of mode's shown runs at 16
// browsers and more, for each latency.
func (rep *report) cpuByLatency(mode string) string {
	var by []string
	for _, lat := range rep.cfg.latencies {
		lo, hi := time.Duration(math.MaxInt64), time.Duration(0)
		for _, r := range rep.shown() {
			if r.Mode == mode && r.Concurrency > 1 && r.Latency == lat {
				lo, hi = min(lo, r.AppCPU), max(hi, r.AppCPU)
			}
		}
		if hi > 0 {
			by = append(by, fmt.Sprintf("%s to %s ms at %s latency", ms(lo), ms(hi), latName(lat)))
		}
	}
	return strings.Join(by, ", ")
}

// svg draws logins/s against concurrency, one panel per wiki latency: the
// direct ceiling, the floor, password logins through the app, and the
// mixed logins.
func (rep *report) svg() []byte {
	const pw, ph, ml, mr, mt, mb = 420.0, 300.0, 70.0, 20.0, 60.0, 110.0
	panels := len(rep.cfg.latencies)
	W := ml + float64(panels)*(pw+ml+mr)
	H := mt + ph + mb
	var b bytes.Buffer
	w := func(format string, a ...any) { fmt.Fprintf(&b, format, a...) }
	w(`<svg xmlns="http://www.w3.org/2000/svg" width="%.0f" height="%.0f" viewBox="0 0 %.0f %.0f" font-family="DejaVu Sans, Arial, sans-serif" font-size="13">`+"\n", W, H, W, H)
	w(`<rect width="100%%" height="100%%" fill="white"/>` + "\n")
	w(`<text x="%.0f" y="24" font-size="17" font-weight="bold" text-anchor="middle">Logins per second against concurrency (%d CPUs shared by app, wiki and load)</text>`+"\n", W/2, numCPU())
	series := []struct {
		mode, label, color, dash string
		dx, dy                   float64 // where the value label goes
	}{
		{"direct", "stand-in wiki driven directly (ceiling)", "#777777", "6,4", 14, -9},
		{"floor", "floor: a front end doing only the wiki calls", "#3a8a3a", "2,3", -16, -9},
		{"password", "through the app: password logins", "#1f5fbf", "", 14, -9},
		{"mix", fmt.Sprintf("through the app: %d/%d/%d password/2FA/SSO", rep.cfg.mix[0], rep.cfg.mix[1], rep.cfg.mix[2]), "#d9822b", "", 14, 18},
	}
	for pi, lat := range rep.cfg.latencies {
		x0 := ml + float64(pi)*(pw+ml+mr)
		y0 := mt
		ymax := 0.0
		for _, r := range rep.results {
			if r.Latency == lat {
				ymax = math.Max(ymax, r.Rate)
			}
		}
		ymax, step := niceMax(ymax)
		w(`<text x="%.0f" y="%.0f" font-size="15" text-anchor="middle">wiki latency %s per call</text>`+"\n", x0+pw/2, y0-12, latName(lat))
		for v := 0.0; v <= ymax+1e-9; v += step {
			y := y0 + ph - v/ymax*ph
			w(`<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#e3e3e3"/>`+"\n", x0, y, x0+pw, y)
			w(`<text x="%.1f" y="%.1f" text-anchor="end" fill="#444">%.0f</text>`+"\n", x0-6, y+4, v)
		}
		w(`<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="none" stroke="#999"/>`+"\n", x0, y0, pw, ph)
		nc := len(rep.cfg.concurrency)
		xAt := func(i int) float64 { return x0 + pw*(float64(i)+0.5)/float64(nc) }
		for i, n := range rep.cfg.concurrency {
			w(`<text x="%.1f" y="%.1f" text-anchor="middle" fill="#444">%d</text>`+"\n", xAt(i), y0+ph+18, n)
		}
		w(`<text x="%.1f" y="%.1f" text-anchor="middle">concurrent browsers</text>`+"\n", x0+pw/2, y0+ph+38)
		w(`<text transform="translate(%.1f %.1f) rotate(-90)" text-anchor="middle">logins/s</text>`+"\n", x0-50, y0+ph/2)
		for _, s := range series {
			if !rep.has(s.mode) {
				continue
			}
			var pts []string
			for i, n := range rep.cfg.concurrency {
				if r := rep.find(s.mode, lat, n); r != nil {
					y := y0 + ph - r.Rate/ymax*ph
					pts = append(pts, fmt.Sprintf("%.1f,%.1f", xAt(i), y))
					w(`<circle cx="%.1f" cy="%.1f" r="4" fill="%s"/>`+"\n", xAt(i), y, s.color)
					w(`<text x="%.1f" y="%.1f" text-anchor="middle" font-size="11" fill="%s">%.0f</text>`+"\n", xAt(i)+s.dx, y+s.dy, s.color, r.Rate)
				}
			}
			dash := ""
			if s.dash != "" {
				dash = fmt.Sprintf(` stroke-dasharray="%s"`, s.dash)
			}
			w(`<polyline points="%s" fill="none" stroke="%s" stroke-width="2.5"%s/>`+"\n", strings.Join(pts, " "), s.color, dash)
		}
	}
	lx, ly := ml, H-44
	for _, s := range series {
		if !rep.has(s.mode) {
			continue
		}
		width := 36 + float64(len(s.label))*7.2 + 30
		if lx > ml && lx+width > W {
			lx, ly = ml, ly+22
		}
		dash := ""
		if s.dash != "" {
			dash = fmt.Sprintf(` stroke-dasharray="%s"`, s.dash)
		}
		w(`<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="%s" stroke-width="2.5"%s/>`+"\n", lx, ly, lx+30, ly, s.color, dash)
		w(`<text x="%.1f" y="%.1f">%s</text>`+"\n", lx+36, ly+4, s.label)
		lx += width
	}
	w("</svg>\n")
	return b.Bytes()
}

// niceMax rounds a maximum up to a round number, with a grid step.
func niceMax(v float64) (float64, float64) {
	if v <= 0 {
		return 1, 0.25
	}
	mag := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10} {
		if top := m * mag; top >= v*1.08 {
			return top, top / 5
		}
	}
	return 10 * mag, 2 * mag
}
