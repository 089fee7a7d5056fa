package main

// End-to-end tests of forward authentication (docs/forward-auth.md): the
// command as documented, behind a real nginx and a real Caddy running the
// configurations of testdata/forward-auth/, in front of the real test
// MediaWiki, guarding a tiny tool that shows the headers it receives.

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mwlogin/mwlogin/internal/browsertest"
	"github.com/mwlogin/mwlogin/internal/testcaddy"
	"github.com/mwlogin/mwlogin/internal/testnginx"
	"github.com/mwlogin/mwlogin/internal/testproc"
	"github.com/mwlogin/mwlogin/internal/testwiki"
)

func TestMain(m *testing.M) { os.Exit(testwiki.Main(m)) }

// The addresses the documented configurations use, replaced by the test's.
const (
	docMwlogin = "127.0.0.1:8080"
	docTool    = "127.0.0.1:9000"
)

// proxied is a tool behind a proxy, with mwlogin beside it.
type proxied struct {
	base string // https://127.0.0.1:PORT, the proxy
	tool *tool
	wiki *testwiki.Wiki
	ca   *x509.CertPool
}

// tool is the guarded app: it answers with what it received.
type tool struct {
	*httptest.Server
	mu   sync.Mutex
	hits int
}

// seen is what the tool answers: the request's method, path and headers.
type seen struct {
	Method string      `json:"method"`
	Path   string      `json:"path"`
	Header http.Header `json:"header"`
}

func newTool(t *testing.T) *tool {
	tl := &tool{}
	tl.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tl.mu.Lock()
		tl.hits++
		tl.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(seen{Method: r.Method, Path: r.URL.RequestURI(), Header: r.Header})
	}))
	t.Cleanup(tl.Close)
	return tl
}

func (tl *tool) Hits() int {
	tl.mu.Lock()
	defer tl.mu.Unlock()
	return tl.hits
}

// certificate makes a self-signed certificate for 127.0.0.1 and returns
// its files and a pool that trusts it.
func certificate(t *testing.T) (certFile, keyFile string, pool *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "127.0.0.1"},
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
		NotBefore:   time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}), 0o600); err != nil {
		t.Fatal(err)
	}
	pool = x509.NewCertPool()
	pool.AddCert(cert)
	return certFile, keyFile, pool
}

// documented reads a configuration of testdata/forward-auth and makes the
// replacements, each of which must be found: the test runs what the
// documentation shows, with its own addresses.
func documented(t *testing.T, name string, replace ...string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "forward-auth", name))
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	for i := 0; i+1 < len(replace); i += 2 {
		if !strings.Contains(s, replace[i]) {
			t.Fatalf("%s has no %q", name, replace[i])
		}
		s = strings.ReplaceAll(s, replace[i], replace[i+1])
	}
	return s
}

// startProxied starts the tool and mwlogin, as documented, for a proxy
// that will listen on port; start starts the proxy with the tool's and
// mwlogin's addresses and the certificate.
func startProxied(t *testing.T, start func(port int, mwlogin, tool, cert, key string)) *proxied {
	t.Helper()
	w := testwiki.Require(t)
	port, err := testproc.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	base := "https://127.0.0.1:" + strconv.Itoa(port)
	tl := newTool(t)
	app, _, _ := startRun(t, "-wiki", w.APIURL, "-listen", "127.0.0.1:0", "-prefix", "/mwlogin",
		"-public-url", base, "-trusted-proxies", "127.0.0.1")
	cert, key, pool := certificate(t)
	start(port, strings.TrimPrefix(app, "http://"), strings.TrimPrefix(tl.URL, "http://"), cert, key)
	return &proxied{base: base, tool: tl, wiki: w, ca: pool}
}

// browser is a browser that trusts the proxy's certificate.
func (p *proxied) browser(t *testing.T) *browsertest.Browser {
	b := browsertest.New(t)
	b.Client.Transport = &http.Transport{TLSClientConfig: &tls.Config{RootCAs: p.ca}}
	return b
}

// userID asks the wiki for a user's ID.
func userID(t *testing.T, w *testwiki.Wiki, name string) string {
	t.Helper()
	resp, err := http.Get(w.APIURL + "?action=query&list=users&format=json&formatversion=2&ususers=" + url.QueryEscape(name))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var r struct {
		Query struct {
			Users []struct {
				UserID int `json:"userid"`
			} `json:"users"`
		} `json:"query"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&r); err != nil || len(r.Query.Users) != 1 || r.Query.Users[0].UserID == 0 {
		t.Fatalf("user %s: %v %+v", name, err, r)
	}
	return strconv.Itoa(r.Query.Users[0].UserID)
}

// forged are headers a browser sends to pass as someone else, under every
// spelling an upstream might read as X-Wiki-User (PHP, CGI and WSGI turn
// "-" and "_" alike into "_").
var forged = map[string]string{
	"X-Wiki-User": "Admin", "X_Wiki_User": "Admin", "X-Wiki_User": "Admin", "X_WIKI_USER": "Admin",
	"X-Wiki-User-Id": "1", "X_Wiki_User_Id": "1", "X-Wiki-Groups": "sysop,bureaucrat", "X_Wiki_Groups": "sysop",
}

func forge(b *browsertest.Browser) {
	for k, v := range forged {
		b.Header[k] = []string{v} // as written: not canonicalised
	}
}

// wikiHeaders returns the headers the tool received whose names read as
// X-Wiki-* once "_" is taken for "-", by name as received.
func wikiHeaders(s seen) map[string][]string {
	out := map[string][]string{}
	for k, v := range s.Header {
		if strings.HasPrefix(strings.ToLower(strings.ReplaceAll(k, "_", "-")), "x-wiki-") {
			out[k] = v
		}
	}
	return out
}

// toolPage decodes what the tool answered, failing if the page is not the
// tool's.
func toolPage(t *testing.T, p *browsertest.Page) seen {
	t.Helper()
	var s seen
	if p.Status != http.StatusOK || json.Unmarshal([]byte(p.Body), &s) != nil || s.Method == "" {
		t.Fatalf("%s: not the tool's page: %d %s", p.URL, p.Status, p.Text())
	}
	return s
}

// walk is the scenario both proxies must pass.
func (p *proxied) walk(t *testing.T) {
	aliceID := userID(t, p.wiki, testwiki.AliceUser)
	target := p.base + "/tool/page?x=1&y=%C3%A9"

	// Signed out, even with forged headers: the login page, asking to come
	// back; the tool is not reached.
	b := p.browser(t)
	forge(b)
	page := b.Get(target)
	if page.URL.Path != "/mwlogin/" || page.Status != http.StatusOK || page.Input("password") == nil {
		t.Fatalf("signed out, %s led to %s (%d): %s", target, page.URL, page.Status, page.Text())
	}
	if rt := page.URL.Query().Get("returnto"); rt != target && p.base+rt != target {
		t.Fatalf("login page returnto %q, want %s", rt, target)
	}
	if p.tool.Hits() != 0 {
		t.Fatal("the tool was reached without a login")
	}
	if post := p.browser(t).Post(p.base+"/tool/form", url.Values{"a": {"b"}}); post.URL.Path != "/mwlogin/" || p.tool.Hits() != 0 {
		t.Fatalf("a POST signed out reached %s, tool hits %d", post.URL, p.tool.Hits())
	}

	// Log in as Alice through the proxy: back at the tool, which is told
	// who she is, whatever the browser sent.
	page = page.Form("/mwlogin/login").Set("username", testwiki.AliceUser).Set("password", testwiki.AlicePassword).Submit()
	got := toolPage(t, page)
	if page.URL.String() != target || got.Path != "/tool/page?x=1&y=%C3%A9" {
		t.Fatalf("after the login the browser is at %s, the tool saw %s", page.URL, got.Path)
	}
	want := map[string][]string{"X-Wiki-User": {"Alice"}, "X-Wiki-User-Id": {aliceID}}
	h := wikiHeaders(got)
	groups := strings.Split(strings.Join(h["X-Wiki-Groups"], ""), ",")
	delete(h, "X-Wiki-Groups")
	if !mapsEqual(h, want) || !slices.Contains(groups, "user") || slices.Contains(groups, "sysop") {
		t.Fatalf("the tool received %v and groups %v, want %v and Alice's groups", wikiHeaders(got), groups, want)
	}

	// A POST gets through too (the check itself is a GET).
	post := b.Post(p.base+"/tool/form", url.Values{"a": {"b"}})
	if s := toolPage(t, post); s.Method != http.MethodPost || s.Header.Get("X-Wiki-User") != "Alice" {
		t.Fatalf("POST: the tool saw %s as %q", s.Method, s.Header.Get("X-Wiki-User"))
	}

	// whoami through the proxy.
	who := b.Get(p.base + "/mwlogin/whoami")
	if who.Body != `{"name":"Alice","id":`+aliceID+`,"groups":`+mustJSON(t, groups)+`}` {
		t.Fatalf("whoami: %d %s", who.Status, who.Body)
	}

	// Another browser with Alice's headers but no cookie gets nothing.
	other := p.browser(t)
	other.Header.Set("X-Wiki-User", "Alice")
	hits := p.tool.Hits()
	if page := other.Get(target); page.URL.Path != "/mwlogin/" || p.tool.Hits() != hits {
		t.Fatalf("a browser without a login reached %s", page.URL)
	}

	// Signing out closes the tool again.
	signedIn := b.Get(p.base + "/mwlogin/")
	signedIn.Form("/mwlogin/logout").Submit()
	hits = p.tool.Hits()
	if page := b.Get(target); page.URL.Path != "/mwlogin/" || p.tool.Hits() != hits {
		t.Fatalf("after signing out %s led to %s", target, page.URL)
	}
}

func mapsEqual(a, b map[string][]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if !slices.Equal(v, b[k]) {
			return false
		}
	}
	return true
}

func mustJSON(t *testing.T, v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestForwardAuthNginx(t *testing.T) {
	testnginx.RequireInstalled(t)
	p := startProxied(t, func(port int, mwlogin, tool, cert, key string) {
		conf := documented(t, "nginx.conf",
			docMwlogin, mwlogin, docTool, tool,
			"listen 443 ssl;", "listen 127.0.0.1:"+strconv.Itoa(port)+" ssl;",
			"/etc/ssl/tools.example.org/fullchain.pem", cert,
			"/etc/ssl/tools.example.org/privkey.pem", key)
		testnginx.Require(t, port, conf)
	})
	p.walk(t)
	// The check's own location is internal.
	if page := p.browser(t).Get(p.base + "/mwlogin-check"); page.Status != http.StatusNotFound {
		t.Fatalf("/mwlogin-check from outside: %d", page.Status)
	}
}

func TestForwardAuthCaddy(t *testing.T) {
	testcaddy.RequireInstalled(t)
	p := startProxied(t, func(port int, mwlogin, tool, cert, key string) {
		conf := documented(t, "Caddyfile",
			"tools.example.org {", "https://127.0.0.1:"+strconv.Itoa(port)+" {\n\ttls "+cert+" "+key,
			docMwlogin, mwlogin, docTool, tool)
		testcaddy.Require(t, port, conf)
	})
	p.walk(t)
}

// TestForwardAuthDocQuotesTheConfigurations: docs/forward-auth.md shows each
// configuration of testdata/forward-auth, the files the tests run, as it
// is, so the two cannot drift apart.
func TestForwardAuthDocQuotesTheConfigurations(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join("docs", "forward-auth.md"))
	if err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(filepath.Join("testdata", "forward-auth"))
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) < 3 {
		t.Fatalf("%d configurations in testdata/forward-auth", len(entries))
	}
	for _, e := range entries {
		file, err := os.ReadFile(filepath.Join("testdata", "forward-auth", e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		marker := "<!-- testdata/forward-auth/" + e.Name() + " -->\n```"
		_, rest, ok := strings.Cut(string(doc), marker)
		if !ok {
			t.Errorf("docs/forward-auth.md does not quote %s (no %q)", e.Name(), marker)
			continue
		}
		_, rest, _ = strings.Cut(rest, "\n") // the block's language
		quoted, _, ok := strings.Cut(rest, "```\n")
		if !ok || quoted != string(file) {
			t.Errorf("docs/forward-auth.md quotes %s otherwise than the file is:\n%s", e.Name(), quoted)
		}
	}
}
