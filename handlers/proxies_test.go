package handlers_test

import (
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/mwlogin/mwlogin/handlers"
	"github.com/mwlogin/mwlogin/internal/browsertest"
	"github.com/mwlogin/mwlogin/internal/demowiki"
	"github.com/mwlogin/mwlogin/mwclient"
)

// recordingWiki is a demo wiki that records the X-Forwarded-For of each
// API call.
type recordingWiki struct {
	*demowiki.Wiki
	mu   sync.Mutex
	seen []string
}

func (w *recordingWiki) ServeHTTP(rw http.ResponseWriter, r *http.Request) {
	w.mu.Lock()
	w.seen = append(w.seen, r.Header.Get("X-Forwarded-For"))
	w.mu.Unlock()
	w.Wiki.ServeHTTP(rw, r)
}

// mustTellWiki checks that every wiki call so far said the client is
// client, and forgets them.
func mustTellWiki(t *testing.T, w *recordingWiki, client string) {
	t.Helper()
	w.mu.Lock()
	seen := w.seen
	w.seen = nil
	w.mu.Unlock()
	if len(seen) == 0 {
		t.Fatal("the wiki was not asked")
	}
	for _, s := range seen {
		if s != client {
			t.Fatalf("the wiki was told the client is %q, want %q (all: %q)", s, client, seen)
		}
	}
}

// serveHandler serves the app made by NewHandler at /auth/, with
// ForwardClientIP on, in front of a recording demo wiki.
func serveHandler(t *testing.T, opts func(*handlers.Options)) (base string, wiki *recordingWiki) {
	t.Helper()
	wiki = &recordingWiki{Wiki: demowiki.New()}
	wikiTS := httptest.NewServer(wiki)
	t.Cleanup(wikiTS.Close)
	client, err := mwclient.New(wikiTS.URL+"/api.php", mwclient.Options{Timeout: 3 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewUnstartedServer(nil)
	o := handlers.Options{Client: client, PublicURL: "http://" + ts.Listener.Addr().String(), InsecureCookies: true,
		Keys: [][]byte{[]byte("test-key-0123456789-0123456789-0123456789")}, ForwardClientIP: true,
		Logger: slog.New(slog.DiscardHandler)}
	if opts != nil {
		opts(&o)
	}
	h, _, err := handlers.NewHandler("/auth", o)
	if err != nil {
		t.Fatal(err)
	}
	ts.Config.Handler = h
	ts.Start()
	t.Cleanup(ts.Close)
	return ts.URL + "/auth", wiki
}

// Embedded with NewHandler and no trusted proxy, a client that makes up
// its address gets neither round the limit nor to the wiki.
func TestForgedClientAddressThroughNewHandler(t *testing.T) {
	for _, header := range []string{"X-Forwarded-For", "X-Real-IP"} {
		t.Run(header, func(t *testing.T) {
			base, wiki := serveHandler(t, nil)
			for i := range 6 {
				b := browsertest.New(t)
				b.Header.Set(header, fmt.Sprintf("203.0.113.%d", i+1))
				p := try(b, base, "Alice", "wrong")
				if i == 5 {
					mustRefuse(t, p, "300", "Too many failed sign-ins as Alice")
					break
				}
				mustFail(t, p)
				mustTellWiki(t, wiki, "127.0.0.1")
			}
		})
	}
}
