package handlers_test

import (
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/mwlogin/mwlogin/handlers"
	"github.com/mwlogin/mwlogin/internal/browsertest"
	"github.com/mwlogin/mwlogin/internal/demowiki"
	"github.com/mwlogin/mwlogin/mwclient"
)

// Behind a listed proxy, the client is the last address the proxy added
// to X-Forwarded-For; X-Real-IP is still not believed.
func TestTrustedProxyNamesTheClient(t *testing.T) {
	cases := []struct {
		name    string
		headers map[string]string
		client  string
	}{
		{"X-Forwarded-For", map[string]string{"X-Forwarded-For": "203.0.113.7"}, "203.0.113.7"},
		{"the client's own X-Forwarded-For before the proxy's", map[string]string{"X-Forwarded-For": "198.51.100.1, 203.0.113.7"}, "203.0.113.7"},
		{"X-Real-IP alone", map[string]string{"X-Real-IP": "203.0.113.9"}, "127.0.0.1"},
		{"X-Real-IP with X-Forwarded-For", map[string]string{"X-Real-IP": "203.0.113.9", "X-Forwarded-For": "203.0.113.7"}, "203.0.113.7"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			base, wiki := serveHandler(t, func(o *handlers.Options) { o.TrustedProxies = []string{"127.0.0.1"} })
			b := browsertest.New(t)
			for k, v := range tc.headers {
				b.Header.Set(k, v)
			}
			mustFail(t, try(b, base, "Alice", "wrong"))
			mustTellWiki(t, wiki, tc.client)
		})
	}
}

// The limits count by the address the trusted proxy names, an IPv6
// address by its /64 network.
func TestLimitsCountByForwardedAddress(t *testing.T) {
	cases := []struct {
		name          string
		failFrom      []string // five addresses, one wrong password from each
		refused, free string
	}{
		{"IPv4", []string{"203.0.113.7", "203.0.113.7", "203.0.113.7", "203.0.113.7", "203.0.113.7"}, "203.0.113.7", "203.0.113.8"},
		{"IPv6 by /64", []string{"2001:db8:0:1::1", "2001:db8:0:1::2", "2001:db8:0:1::3", "2001:db8:0:1:ffff::4", "2001:db8:0:1::5"}, "2001:db8:0:1::ff", "2001:db8:0:2::1"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			base, _ := serveHandler(t, func(o *handlers.Options) { o.TrustedProxies = []string{"127.0.0.1"} })
			from := func(addr string) *browsertest.Browser {
				b := browsertest.New(t)
				b.Header.Set("X-Forwarded-For", addr)
				return b
			}
			for _, addr := range tc.failFrom {
				mustFail(t, try(from(addr), base, "Alice", "wrong"))
			}
			mustRefuse(t, try(from(tc.refused), base, "Alice", demowiki.Password), "300", "Too many failed sign-ins as Alice")
			mustContain(t, try(from(tc.free), base, "Alice", demowiki.Password), "holds your sign-in to", " as Alice")
		})
	}
}

// A Gin host that mounts the app with Register and calls TrustProxies on
// its engine ignores a forged address too.
func TestTrustProxiesOnHostEngine(t *testing.T) {
	gin.SetMode(gin.ReleaseMode)
	wiki := &recordingWiki{Wiki: demowiki.New()}
	wikiTS := httptest.NewServer(wiki)
	t.Cleanup(wikiTS.Close)
	client, err := mwclient.New(wikiTS.URL+"/api.php", mwclient.Options{Timeout: 3 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewUnstartedServer(nil)
	r := gin.New()
	if err := handlers.TrustProxies(r, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := handlers.Register(r.Group("/auth"), handlers.Options{Client: client, PublicURL: "http://" + ts.Listener.Addr().String(),
		InsecureCookies: true, Keys: [][]byte{[]byte("test-key-0123456789-0123456789-0123456789")}, ForwardClientIP: true,
		Logger: slog.New(slog.DiscardHandler)}); err != nil {
		t.Fatal(err)
	}
	ts.Config.Handler = r
	ts.Start()
	t.Cleanup(ts.Close)
	for _, header := range []string{"X-Forwarded-For", "X-Real-IP"} {
		b := browsertest.New(t)
		b.Header.Set(header, "203.0.113.1")
		mustFail(t, try(b, ts.URL+"/auth", "Alice", "wrong"))
		mustTellWiki(t, wiki, "127.0.0.1")
	}
}

func TestBadTrustedProxy(t *testing.T) {
	client, err := mwclient.New("https://wiki.example/w/api.php", mwclient.Options{})
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = handlers.NewHandler("/auth", handlers.Options{Client: client, PublicURL: "https://tool.example",
		Keys: [][]byte{[]byte("test-key-0123456789-0123456789-0123456789")}, TrustedProxies: []string{"not-an-address"}})
	if err == nil || !strings.Contains(err.Error(), "trusted proxies") {
		t.Fatalf("NewHandler with a bad proxy: err %v", err)
	}
}
