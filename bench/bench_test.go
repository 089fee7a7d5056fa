package main

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mwlogin/mwlogin/bench/floor"
	"github.com/mwlogin/mwlogin/mwclient"
)

// The tests check what the benchmark relies on and what it reports, never
// how fast anything is.

// TestMain lets the test binary play the roles the benchmark starts
// itself in.
func TestMain(m *testing.M) {
	if len(os.Args) > 2 && os.Args[1] == "-role" {
		main()
		return
	}
	var err error
	if testDir, err = os.MkdirTemp("", "mwlogin-bench-test-"); err != nil {
		fatal(err)
	}
	code := m.Run()
	os.RemoveAll(testDir)
	os.Exit(code)
}

var testDir string

func testWiki(t *testing.T) (string, *counting) {
	t.Helper()
	c := &counting{}
	srv := httptest.NewUnstartedServer(nil)
	srv.Config = wikiServer(0, c)
	srv.Start()
	t.Cleanup(srv.Close)
	return srv.URL + "/api.php", c
}

func calls(c *counting) func() (int64, error) {
	return func() (int64, error) { return c.calls.Load(), nil }
}

// appBin builds the app once for the tests that need it.
var appBin = sync.OnceValues(func() (string, error) {
	bin := filepath.Join(testDir, "mwlogin")
	return bin, buildApp("..", bin)
})

func startTestApp(t *testing.T, api string) string {
	t.Helper()
	bin, err := appBin()
	if err != nil {
		t.Fatal(err)
	}
	log, err := os.Create(filepath.Join(t.TempDir(), "app.log"))
	if err != nil {
		t.Fatal(err)
	}
	p, u, err := startApp(bin, api, log)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.stop)
	return u
}

// TestDirect logs in on the wiki as the direct mode does: two API calls a
// login, on one kept connection.
func TestDirect(t *testing.T) {
	api, c := testWiki(t)
	d := newDirect(api)
	defer d.c.close()
	for range 3 {
		if err := d.login(); err != nil {
			t.Fatal(err)
		}
	}
	if got := c.read(); got != (counters{Calls: 6, Conns: 1}) {
		t.Errorf("3 direct logins: %+v, want 6 calls on 1 connection", got)
	}
}

// TestFloor logs in through the floor as the load generator does, and a
// wrong password is refused: the floor measures real logins.
func TestFloor(t *testing.T) {
	api, c := testWiki(t)
	client, err := mwclient.New(api, mwclient.Options{UserAgent: "mwlogin-bench-test/0"})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(nil)
	srv.Config.Handler = floor.Handler(client, "http://"+srv.Listener.Addr().String()+"/return")
	srv.Start()
	defer srv.Close()
	page, login, err := countCalls(srv.URL, calls(c))
	if err != nil || page != 0 || login != 2 {
		t.Errorf("floor: %.2f wiki calls per page, %.2f per login, %v; want 0 and 2", page, login, err)
	}
	wrongPassword(t, srv.URL)
}

// wrongPassword checks that a wrong password fails the way login() checks
// for.
func wrongPassword(t *testing.T, frontURL string) {
	t.Helper()
	b := newBrowser(frontURL)
	defer b.c.close()
	p, err := b.loginPage()
	if err == nil {
		p, err = b.submit(p, user, "wrong")
	}
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(p.body, ">"+user+"<") {
		t.Errorf("a wrong password was let in: HTTP %d %.300s", p.status, text(p.body))
	}
}

// TestApp logs in through the app built from this tree: the page scanner
// reads its real pages, the probe counts its wiki calls, and browsers
// under load reuse its connections to the wiki.
func TestApp(t *testing.T) {
	api, c := testWiki(t)
	appURL := startTestApp(t, api)
	page, login, err := countCalls(appURL, calls(c))
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("the app: %.2f wiki calls per login page, %.2f per login", page, login)
	if page != 0 || login != 2 {
		t.Errorf("%.2f wiki calls per login page, %.2f per login; want 0 and 2", page, login)
	}
	wrongPassword(t, appURL)

	conns := c.read().Conns
	now := time.Now()
	ld := drive(4, now, now.Add(300*time.Millisecond), func() (func() error, func()) {
		b := newBrowser(appURL)
		return b.login, b.c.close
	})
	if ld.errors > 0 || len(ld.took) == 0 {
		t.Fatalf("%d logins, %d failed: %v", len(ld.took), ld.errors, ld.sample)
	}
	if opened := c.read().Conns - conns; opened > 4 {
		t.Errorf("4 browsers made %d logins over %d new connections to the wiki, want at most 4", len(ld.took), opened)
	}
}

// TestRunOnce makes a short run of each mode as the benchmark does, with
// the test binary in the roles, and checks what it reports.
func TestRunOnce(t *testing.T) {
	bin, err := appBin()
	if err != nil {
		t.Fatal(err)
	}
	log, err := os.Create(filepath.Join(t.TempDir(), "apps.log"))
	if err != nil {
		t.Fatal(err)
	}
	cfg := &config{duration: 300 * time.Millisecond, warmup: 100 * time.Millisecond, bins: map[string]string{"app": bin}, log: log}
	for _, mode := range []string{"direct", "floor", "app"} {
		r, err := runOnce(cfg, mode, time.Millisecond, 2)
		if err != nil {
			t.Fatal(err)
		}
		if r.Errors > 0 || r.Rate <= 0 || r.P50 <= 0 || r.P99 < r.P50 || r.Calls < 1.5 || r.Calls > 2.5 || r.Conns < 1 || r.Conns > 4 {
			t.Errorf("%s: %+v", mode, r)
		}
		if (r.PeakRSS > 0) != (mode != "direct") {
			t.Errorf("%s: peak RSS %d", mode, r.PeakRSS)
		}
	}
	pr, err := probeApp(cfg, "app")
	if err != nil || pr.Page != 0 || pr.Login != 2 {
		t.Errorf("probe: %+v, %v", pr, err)
	}
}

// TestFormScanner checks the scanner on a page with the forms and inputs
// the app's pages have.
func TestFormScanner(t *testing.T) {
	body := `<form method="post" action="/cancel"><input type="hidden" name="csrf" value="c1"></form>
<form method="post" action="/login" class="step">
<input type="hidden" name="csrf" value="a&#43;b&amp;c">
<input type="text" id="f-0-0" name="username" autocomplete="username" required autofocus spellcheck="false">
<input type="password" id="f-0-1" name="password">
<input type="checkbox" id="f-1-0" name="rememberMe" value="1">
<input type="checkbox" id="f-1-1" name="terms" value="1" checked>
<input type="checkbox" name="on" checked>
<input type="text" name="off" value="x" disabled>
<input type="submit" name="go" value="Go">
<button type="submit" name="demosso" value="1">Log in with Demo SSO</button>
</form>`
	u, _ := url.Parse("http://127.0.0.1:1/auth/")
	action, values, err := formOf(&response{url: u, status: http.StatusOK, body: body}, "/login")
	if err != nil {
		t.Fatal(err)
	}
	if action.String() != "http://127.0.0.1:1/login" {
		t.Errorf("action %s", action)
	}
	want := url.Values{"csrf": {"a+b&c"}, "username": {""}, "password": {""}, "terms": {"1"}, "on": {"on"}}
	if values.Encode() != want.Encode() {
		t.Errorf("values %v, want %v", values, want)
	}
	if _, _, err := formOf(&response{url: u, body: body}, "/nowhere"); err == nil {
		t.Error("no error for a missing form")
	}
}

// TestReport: ratios are taken within a repeat, the median is shown with
// the range, and the targets are judged on them.
func TestReport(t *testing.T) {
	const lat = 20 * time.Millisecond
	rep := &report{cfg: &config{latencies: []time.Duration{lat}, concurrency: []int{64}, modes: []string{"direct", "app", "baseline"}, repeat: 3, baseline: "abc1234"}}
	for i, rates := range [][3]float64{{1000, 900, 1000}, {500, 480, 500}, {1000, 1000, 1000}} {
		for j, mode := range rep.cfg.modes {
			rep.results = append(rep.results, &result{Mode: mode, Repeat: i, Latency: lat, Concurrency: 64, Rate: rates[j], PeakRSS: 70 << 20})
		}
	}
	rep.probes = []probe{{"app", 0, 2}}
	if med, lo, hi := rep.ratio("app", "baseline", lat, 64, rate); med != 0.96 || lo != 0.9 || hi != 1 {
		t.Errorf("app / baseline = %v (%v to %v), want 0.96 (0.9 to 1)", med, lo, hi)
	}
	if got := rep.median("app", lat, 64, rate); got != 900 {
		t.Errorf("median rate %v, want 900", got)
	}
	met := map[string]bool{}
	for _, tg := range rep.targets() {
		met[strings.SplitN(tg.what, ":", 2)[0]] = tg.met
	}
	want := map[string]bool{"20 ms, 64 browsers": false, "no failed login": true,
		"exactly 2 wiki round trips per password login, none per login page": true, "the app's peak RSS under 64 MiB": false}
	for k, v := range want {
		if got, ok := met[k]; !ok || got != v {
			t.Errorf("target %q: met %v (judged: %v), want %v", k, got, ok, v)
		}
	}

	doc := filepath.Join(t.TempDir(), "perf.md")
	os.WriteFile(doc, []byte("# Before\n"+beginMark+"\nold\n"+endMark+"\nAfter\n"), 0o644)
	if err := rep.write(doc); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(doc)
	s := string(b)
	if !strings.HasPrefix(s, "# Before\n"+beginMark) || !strings.HasSuffix(s, endMark+"\nAfter\n") || strings.Contains(s, "old") ||
		!strings.Contains(s, "| 20 ms | 64 | 1000 | - | 900 | 0.96 (0.90 to 1.00) |") {
		t.Errorf("the document:\n%s", s)
	}
	if _, err := os.Stat(filepath.Join(filepath.Dir(doc), "perf-logins.svg")); err != nil {
		t.Error(err)
	}
}

// TestOrder: the app and the baseline take turns at going first.
func TestOrder(t *testing.T) {
	modes := []string{"direct", "floor", "app", "baseline"}
	for i, want := range []string{"direct floor app baseline", "direct floor baseline app", "direct floor app baseline"} {
		if got := strings.Join(order(modes, i), " "); got != want {
			t.Errorf("repeat %d: %s, want %s", i, got, want)
		}
	}
	if got := strings.Join(order([]string{"direct", "app"}, 1), " "); got != "direct app" {
		t.Errorf("without a baseline: %s", got)
	}
}
