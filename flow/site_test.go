package flow_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mwlogin/mwlogin/flow"
	"github.com/mwlogin/mwlogin/internal/demowiki"
	"github.com/mwlogin/mwlogin/mwclient"
)

// countingWiki is the demo wiki behind a switch that takes it down, counting
// the API calls that reach it by the language asked (amlang; "site" for the
// site information, paraminfo included).
type countingWiki struct {
	wiki *demowiki.Wiki
	down atomic.Bool
	mu   sync.Mutex
	n    map[string]int
}

func (c *countingWiki) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if c.down.Load() {
		http.Error(w, "down for maintenance", http.StatusServiceUnavailable)
		return
	}
	_ = r.ParseForm()
	key := r.Form.Get("amlang")
	if key == "" {
		key = "site"
	}
	c.mu.Lock()
	c.n[key]++
	c.mu.Unlock()
	c.wiki.ServeHTTP(w, r)
}

func (c *countingWiki) calls(key string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n[key]
}

func TestSiteCache(t *testing.T) {
	cw := &countingWiki{wiki: demowiki.New(), n: map[string]int{}}
	ts := httptest.NewServer(cw)
	t.Cleanup(ts.Close)
	client, err := mwclient.New(ts.URL+"/api.php", mwclient.Options{})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	e, err := flow.New(flow.Config{Client: client, ReturnURL: "https://app.example/return",
		SiteMessages: []string{"login", "logout"}, SiteLanguages: []string{"ja", "ar"}, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	// site: the query and the paraminfo.
	const siteCalls = 2

	for range 5 {
		si, err := e.Site(ctx)
		if err != nil || si.Name != demowiki.SiteName {
			t.Fatalf("Site = %+v, %v", si, err)
		}
		for _, lang := range []string{"ja", "ar", "en"} {
			m, err := e.Messages(ctx, lang)
			if err != nil || m.Lang != lang || m.Text["login"] == "" {
				t.Fatalf("Messages(%s) = %+v, %v", lang, m, err)
			}
		}
	}
	// The content language's messages come with the site information.
	for key, want := range map[string]int{"site": siteCalls, "ja": 1, "ar": 1, "en": 0} {
		if got := cw.calls(key); got != want {
			t.Errorf("%s: %d calls, want %d", key, got, want)
		}
	}

	// Ten minutes later, each is asked once more.
	now = now.Add(flow.DefaultSiteTTL)
	for range 3 {
		if _, err := e.Messages(ctx, "ja"); err != nil {
			t.Fatal(err)
		}
	}
	if cw.calls("ja") != 2 || cw.calls("site") != 2*siteCalls {
		t.Errorf("after the period: ja %d calls, site %d; want 2 and %d", cw.calls("ja"), cw.calls("site"), 2*siteCalls)
	}

	// The wiki goes down when the period ends: what it said last is kept,
	// with the error, and it is not asked again for SiteRetry.
	now = now.Add(flow.DefaultSiteTTL)
	cw.down.Store(true)
	for range 3 {
		si, err := e.Site(ctx)
		if err == nil || si == nil || si.Name != demowiki.SiteName {
			t.Fatalf("Site with the wiki down = %+v, %v; want the last answer and an error", si, err)
		}
		m, err := e.Messages(ctx, "ja")
		if err == nil || m == nil || m.Text["login"] != "ログイン" {
			t.Fatalf("Messages with the wiki down = %+v, %v", m, err)
		}
	}
	cw.down.Store(false)
	now = now.Add(flow.SiteRetry - time.Second)
	if _, err := e.Site(ctx); err == nil {
		t.Error("the wiki was asked again before SiteRetry")
	}
	now = now.Add(time.Second)
	if _, err := e.Site(ctx); err != nil {
		t.Errorf("after SiteRetry the wiki, up again, is asked: %v", err)
	}
	if _, err := e.Messages(ctx, "ja"); err != nil {
		t.Errorf("messages after SiteRetry: %v", err)
	}
}

// A wiki that never answered gives no site information and an error, so
// that pages fall back to the app's own texts.
func TestSiteDownFromTheStart(t *testing.T) {
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "no", http.StatusBadGateway)
	}))
	t.Cleanup(ts.Close)
	client, _ := mwclient.New(ts.URL+"/api.php", mwclient.Options{})
	e, err := flow.New(flow.Config{Client: client, ReturnURL: "https://app.example/return"})
	if err != nil {
		t.Fatal(err)
	}
	if si, err := e.Site(context.Background()); si != nil || err == nil {
		t.Errorf("Site = %+v, %v", si, err)
	}
	if m, err := e.Messages(context.Background(), "ja"); m != nil || err == nil {
		t.Errorf("Messages = %+v, %v", m, err)
	}
}
