package mwclient

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestGetPost: Get puts the parameters in the query string and Post in the
// body, both with the common ones, maxlag from the options unless the call
// sets its own; the caller's values are left alone and the answer is
// decoded into the caller's type.
func TestGetPost(t *testing.T) {
	tests := []struct {
		name    string
		post    bool
		maxLag  time.Duration
		params  url.Values
		wantLag string
	}{
		{"get", false, 0, url.Values{"action": {"query"}, "list": {"allpages"}}, ""},
		{"post", true, 0, url.Values{"action": {"purge"}, "titles": {"A"}}, ""},
		{"get with maxlag", false, 5 * time.Second, url.Values{"action": {"query"}, "list": {"allpages"}}, "5"},
		{"post with maxlag", true, 5 * time.Second, url.Values{"action": {"purge"}}, "5"},
		{"the call's own maxlag", false, 5 * time.Second, url.Values{"action": {"query"}, "maxlag": {"1"}}, "1"},
		{"under a second", false, time.Millisecond, url.Values{"action": {"query"}}, "1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := &recorder{next: serveJSON(`{"batchcomplete":true,"query":{"allpages":[{"pageid":1,"ns":0,"title":"Main Page"}]}}`)}
			srv := newServer(t, rec)
			s := newSession(t, srv.URL+"/w/api.php", Options{MaxLag: tt.maxLag})
			before := fmt.Sprint(tt.params)
			var out struct {
				Query struct {
					AllPages []struct {
						PageID int    `json:"pageid"`
						Title  string `json:"title"`
					} `json:"allpages"`
				} `json:"query"`
			}
			call := s.Get
			if tt.post {
				call = s.Post
			}
			if err := call(context.Background(), tt.params, &out); err != nil {
				t.Fatal(err)
			}
			if fmt.Sprint(tt.params) != before {
				t.Errorf("params changed to %v", tt.params)
			}
			if len(out.Query.AllPages) != 1 || out.Query.AllPages[0].Title != "Main Page" || out.Query.AllPages[0].PageID != 1 {
				t.Errorf("decoded %+v", out)
			}
			r := rec.all()[0]
			sent := r.Query
			if tt.post {
				sent = r.Body
				if r.Method != http.MethodPost || r.RawQuery != "" {
					t.Errorf("POST %q; want everything in the body", r.RawQuery)
				}
			} else if r.Method != http.MethodGet {
				t.Errorf("method %s", r.Method)
			}
			for k, v := range map[string]string{"format": "json", "formatversion": "2", "errorformat": "plaintext", "action": tt.params.Get("action"), "maxlag": tt.wantLag} {
				if sent.Get(k) != v || (v == "") == sent.Has(k) {
					t.Errorf("%s = %q (sent: %t), want %q", k, sent.Get(k), sent.Has(k), v)
				}
			}
		})
	}
}

// TestGetNilOut: an answer nobody reads is still checked for an error.
func TestGetNilOut(t *testing.T) {
	srv := newServer(t, serveJSON(`{"errors":[{"code":"readonly","text":"The wiki is read-only.","module":"main"}]}`))
	s := newSession(t, srv.URL+"/w/api.php", Options{})
	if err := s.Get(context.Background(), url.Values{"action": {"query"}}, nil); !errors.Is(err, ErrReadOnly) {
		t.Fatalf("err = %v, want ErrReadOnly", err)
	}
	srv = newServer(t, serveJSON(`{}`))
	if err := newSession(t, srv.URL+"/w/api.php", Options{}).Post(context.Background(), url.Values{"action": {"purge"}}, nil); err != nil {
		t.Fatalf("err = %v", err)
	}
}

// allPagesWiki serves list=allpages over titles, limit at a time, with
// MediaWiki's continuation, and records what each request asked.
type allPagesWiki struct {
	t      *testing.T
	titles []string
	mu     sync.Mutex
	asked  []url.Values
}

func (w *allPagesWiki) ServeHTTP(rw http.ResponseWriter, r *http.Request) {
	r.ParseForm()
	w.mu.Lock()
	w.asked = append(w.asked, r.Form)
	w.mu.Unlock()
	n, _ := strconv.Atoi(r.Form.Get("aplimit"))
	from := 0
	if c := r.Form.Get("apcontinue"); c != "" {
		from = slicesIndex(w.titles, c)
	}
	end := min(from+n, len(w.titles))
	var b strings.Builder
	b.WriteString(`{"batchcomplete":true,`)
	if end < len(w.titles) {
		fmt.Fprintf(&b, `"continue":{"apcontinue":%q,"continue":"-||"},`, w.titles[end])
	}
	b.WriteString(`"query":{"allpages":[`)
	for i, title := range w.titles[from:end] {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"pageid":%d,"ns":0,"title":%q}`, from+i+1, title)
	}
	b.WriteString(`]}}`)
	rw.Header().Set("Content-Type", "application/json")
	rw.Write([]byte(b.String()))
}

func slicesIndex(s []string, v string) int {
	for i := range s {
		if s[i] == v {
			return i
		}
	}
	return len(s)
}

type allPages struct {
	AllPages []struct {
		Title string `json:"title"`
	} `json:"allpages"`
}

// TestQueryContinuation: Query follows continue until the wiki has no
// more, each request being the original parameters plus the last
// continuation only, and stops asking when the loop stops.
func TestQueryContinuation(t *testing.T) {
	titles := []string{"A", "B", "C", "D", "E"}
	tests := []struct {
		name      string
		limit     string
		stopAfter int // stop the loop after this many answers; 0 never
		want      [][]string
	}{
		{"three answers", "2", 0, [][]string{{"A", "B"}, {"C", "D"}, {"E"}}},
		{"one answer", "10", 0, [][]string{{"A", "B", "C", "D", "E"}}},
		{"exact pages", "5", 0, [][]string{{"A", "B", "C", "D", "E"}}},
		{"break after the first", "2", 1, [][]string{{"A", "B"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wiki := &allPagesWiki{t: t, titles: titles}
			s := newSession(t, newServer(t, wiki).URL+"/w/api.php", Options{})
			params := url.Values{"list": {"allpages"}, "aplimit": {tt.limit}}
			var got [][]string
			for q, err := range Query[allPages](context.Background(), s, params) {
				if err != nil {
					t.Fatal(err)
				}
				var page []string
				for _, p := range q.AllPages {
					page = append(page, p.Title)
				}
				got = append(got, page)
				if len(got) == tt.stopAfter {
					break
				}
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("answers %q, want %q", got, tt.want)
			}
			if len(wiki.asked) != len(tt.want) {
				t.Errorf("%d requests, want %d", len(wiki.asked), len(tt.want))
			}
			if len(params) != 2 {
				t.Errorf("params changed: %v", params)
			}
			for i, a := range wiki.asked {
				if a.Get("action") != "query" || a.Get("list") != "allpages" || a.Get("aplimit") != tt.limit {
					t.Errorf("request %d lost the original parameters: %v", i, a)
				}
				if i == 0 && (a.Has("apcontinue") || a.Has("continue")) {
					t.Errorf("first request continues: %v", a)
				}
				if i > 0 && (a.Get("apcontinue") != tt.want[i][0] || a.Get("continue") != "-||") {
					t.Errorf("request %d: apcontinue=%q continue=%q, want %q and -||", i, a.Get("apcontinue"), a.Get("continue"), tt.want[i][0])
				}
			}
		})
	}
}

// TestQueryDropsOldContinuation: a module whose continuation ended is not
// continued again (the next request is the original plus the new
// continue values, not the old ones too).
func TestQueryDropsOldContinuation(t *testing.T) {
	answers := []string{
		`{"continue":{"rvcontinue":"20240101000000|3","gcmcontinue":"page|2","continue":"gcmcontinue||"},"query":{"pages":[]}}`,
		`{"continue":{"gcmcontinue":"page|5","continue":"-||"},"query":{"pages":[]}}`,
		`{"batchcomplete":true,"query":{"pages":[]}}`,
	}
	rec := &recorder{}
	n := 0
	rec.next = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(answers[n]))
		n++
	})
	s := newSession(t, newServer(t, rec).URL+"/w/api.php", Options{})
	for _, err := range Query[struct{}](context.Background(), s, url.Values{"generator": {"categorymembers"}, "prop": {"revisions"}}) {
		if err != nil {
			t.Fatal(err)
		}
	}
	reqs := rec.all()
	if len(reqs) != 3 {
		t.Fatalf("%d requests, want 3", len(reqs))
	}
	if q := reqs[1].Query; q.Get("rvcontinue") != "20240101000000|3" || q.Get("gcmcontinue") != "page|2" || q.Get("continue") != "gcmcontinue||" {
		t.Errorf("second request %v", q)
	}
	if q := reqs[2].Query; q.Has("rvcontinue") || q.Get("gcmcontinue") != "page|5" || q.Get("continue") != "-||" || q.Get("generator") != "categorymembers" {
		t.Errorf("third request %v; want only the second answer's continuation", q)
	}
}

// TestQueryErrors: an error is yielded once and ends the sequence, and a
// wiki that repeats a continuation is not asked forever.
func TestQueryErrors(t *testing.T) {
	tests := []struct {
		name    string
		answers []string
		pages   int // answers yielded before the error
		check   func(error) bool
	}{
		{"first answer an error", []string{`{"errors":[{"code":"readapidenied","text":"You need read permission to use this module.","module":"main"}]}`}, 0,
			func(err error) bool { return errors.Is(err, ErrPermissionDenied) }},
		{"second answer an error", []string{`{"continue":{"apcontinue":"B","continue":"-||"},"query":{"allpages":[]}}`, `{"errors":[{"code":"maxlag","text":"Waiting for a database server: 9 seconds lagged.","module":"main"}]}`}, 1,
			func(err error) bool { return errors.Is(err, ErrMaxLag) }},
		{"repeated continuation", []string{`{"continue":{"apcontinue":"B","continue":"-||"},"query":{"allpages":[]}}`, `{"continue":{"apcontinue":"B","continue":"-||"},"query":{"allpages":[]}}`}, 2,
			func(err error) bool {
				var de *DecodeError
				return errors.As(err, &de) && strings.Contains(err.Error(), "repeated")
			}},
		{"not JSON", []string{`<html>`}, 0, func(err error) bool { var de *DecodeError; return errors.As(err, &de) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := 0
			srv := newServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				if n >= len(tt.answers) {
					t.Errorf("request %d after the error", n+1)
					return
				}
				w.Write([]byte(tt.answers[n]))
				n++
			}))
			s := newSession(t, srv.URL+"/w/api.php", Options{Retries: -1})
			pages, errs := 0, 0
			for q, err := range Query[allPages](context.Background(), s, url.Values{"list": {"allpages"}}) {
				if err != nil {
					errs++
					if !tt.check(err) || q.AllPages != nil {
						t.Errorf("error %v with %+v", err, q)
					}
					continue
				}
				pages++
			}
			if pages != tt.pages || errs != 1 {
				t.Errorf("%d answers and %d errors, want %d and 1", pages, errs, tt.pages)
			}
		})
	}
}

// tokenWiki hands out numbered csrf tokens, accepts only the newest (or
// none, when refuse is set), and counts what it was asked.
type tokenWiki struct {
	mu      sync.Mutex
	issued  int
	refuse  bool
	fetches map[string]int // token fetches by type
	posts   int
	tokens  []string // the token of each post
}

func (w *tokenWiki) ServeHTTP(rw http.ResponseWriter, r *http.Request) {
	r.ParseForm()
	w.mu.Lock()
	defer w.mu.Unlock()
	rw.Header().Set("Content-Type", "application/json")
	switch {
	case r.Form.Get("meta") == "tokens":
		typ := r.Form.Get("type")
		w.fetches[typ]++
		w.issued++
		fmt.Fprintf(rw, `{"batchcomplete":true,"query":{"tokens":{"%stoken":"%s%d+\\"}}}`, typ, typ, w.issued)
	case r.Form.Get("action") == "clientlogin":
		fmt.Fprintf(rw, `{"clientlogin":{"status":%q}}`, r.PostForm.Get("want"))
	case r.Form.Get("action") == "login":
		fmt.Fprint(rw, `{"login":{"result":"Success","lgusername":"Alice"}}`)
	default:
		w.posts++
		tok := r.PostForm.Get("token")
		w.tokens = append(w.tokens, tok)
		if w.refuse || !strings.HasSuffix(tok, strconv.Itoa(w.issued)+`+\`) {
			fmt.Fprint(rw, `{"errors":[{"code":"badtoken","text":"Invalid CSRF token.","module":"main"}]}`)
			return
		}
		fmt.Fprintf(rw, `{"%s":{"result":"Success"}}`, r.PostForm.Get("action"))
	}
}

// TestTokenCache: a token is fetched once per session and type, and
// fetched again after the session's user changed.
func TestTokenCache(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name    string
		between func(s *Session) error
		refetch bool
	}{
		{"nothing", func(*Session) error { return nil }, false},
		{"clientlogin PASS", func(s *Session) error {
			_, err := s.ClientLogin(ctx, LoginParams{Token: "t", ReturnURL: "https://app.example/", Fields: url.Values{"want": {"PASS"}}})
			return err
		}, true},
		{"clientlogin FAIL", func(s *Session) error {
			_, err := s.ClientLogin(ctx, LoginParams{Token: "t", ReturnURL: "https://app.example/", Fields: url.Values{"want": {"FAIL"}}})
			return err
		}, false},
		{"clientlogin UI", func(s *Session) error {
			_, err := s.ClientLogin(ctx, LoginParams{Token: "t", ReturnURL: "https://app.example/", Fields: url.Values{"want": {"UI"}}})
			return err
		}, false},
		{"bot login", func(s *Session) error { _, err := s.BotLogin(ctx, "Alice@bot", "pw"); return err }, true},
		{"logout", func(s *Session) error { return s.Logout(ctx) }, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wiki := &tokenWiki{fetches: map[string]int{}}
			s := newSession(t, newServer(t, wiki).URL+"/w/api.php", Options{})
			first, err := s.Token(ctx, "csrf")
			if err != nil {
				t.Fatal(err)
			}
			if again, err := s.Token(ctx, "csrf"); err != nil || again != first {
				t.Fatalf("second Token = %q, %v; want the cached %q", again, err, first)
			}
			if _, err := s.Token(ctx, "watch"); err != nil {
				t.Fatal(err)
			}
			if err := tt.between(s); err != nil {
				t.Fatal(err)
			}
			before := wiki.fetches["csrf"]
			after, err := s.Token(ctx, "csrf")
			if err != nil {
				t.Fatal(err)
			}
			if refetched := wiki.fetches["csrf"] > before; refetched != tt.refetch || (after != first) != tt.refetch {
				t.Errorf("token %q then %q, fetched again: %t; want %t", first, after, refetched, tt.refetch)
			}
			fetched := wiki.fetches["csrf"]
			if _, err := s.Client().NewSession(s.Cookies()).Token(ctx, "csrf"); err != nil || wiki.fetches["csrf"] == fetched {
				t.Errorf("a new Session used another's cached token")
			}
		})
	}
}

// TestPostWithToken: the token goes in the body as "token", a badtoken
// refusal fetches a new token and tries once more, and a second refusal is
// the caller's.
func TestPostWithToken(t *testing.T) {
	ctx := context.Background()
	t.Run("cached token, then refreshed once", func(t *testing.T) {
		wiki := &tokenWiki{fetches: map[string]int{}}
		s := newSession(t, newServer(t, wiki).URL+"/w/api.php", Options{})
		var out struct {
			Edit struct{ Result string } `json:"edit"`
		}
		params := url.Values{"action": {"edit"}, "title": {"A"}, "text": {"x"}}
		if err := s.PostWithToken(ctx, "csrf", params, &out); err != nil || out.Edit.Result != "Success" {
			t.Fatalf("first edit = %+v, %v", out, err)
		}
		if params.Has("token") {
			t.Error("the caller's params got the token")
		}
		// Another token is issued elsewhere: the cached one goes stale.
		wiki.mu.Lock()
		wiki.issued++
		wiki.mu.Unlock()
		out.Edit.Result = ""
		if err := s.PostWithToken(ctx, "csrf", params, &out); err != nil || out.Edit.Result != "Success" {
			t.Fatalf("edit with a stale token = %+v, %v", out, err)
		}
		if wiki.fetches["csrf"] != 2 || wiki.posts != 3 {
			t.Errorf("%d token fetches and %d posts, want 2 and 3", wiki.fetches["csrf"], wiki.posts)
		}
		if wiki.tokens[1] == wiki.tokens[2] || wiki.tokens[0] != wiki.tokens[1] {
			t.Errorf("tokens posted %q; want the cached one twice, then a new one", wiki.tokens)
		}
	})
	t.Run("refused twice", func(t *testing.T) {
		wiki := &tokenWiki{fetches: map[string]int{}, refuse: true}
		s := newSession(t, newServer(t, wiki).URL+"/w/api.php", Options{})
		err := s.PostWithToken(ctx, "csrf", url.Values{"action": {"edit"}}, nil)
		if !errors.Is(err, ErrBadToken) {
			t.Fatalf("err = %v, want ErrBadToken", err)
		}
		if wiki.posts != 2 || wiki.fetches["csrf"] != 2 {
			t.Errorf("%d posts and %d token fetches, want 2 and 2", wiki.posts, wiki.fetches["csrf"])
		}
	})
}

// fakeClock records the waits a Client asks for instead of sleeping, and
// can end the context during one.
type fakeClock struct {
	waits  []time.Duration
	cancel context.CancelFunc // if set, called on the first wait
}

func (c *fakeClock) sleep(ctx context.Context, d time.Duration) error {
	c.waits = append(c.waits, d)
	if c.cancel != nil {
		c.cancel()
	}
	return ctx.Err()
}

// TestRetry: maxlag, and 429 or 503 with a Retry-After, are tried again
// after the wait the wiki asks for, at most Retries times and never for
// longer than MaxRetryAfter; other answers are not.
func TestRetry(t *testing.T) {
	maxlag := func(retryAfter string) response {
		h := http.Header{"Content-Type": {"application/json"}}
		if retryAfter != "" {
			h.Set("Retry-After", retryAfter)
		}
		return response{200, h, `{"errors":[{"code":"maxlag","text":"Waiting for 10.64.0.1: 7 seconds lagged.","data":{"host":"10.64.0.1","lag":7,"type":"db"},"module":"main"}]}`}
	}
	status := func(code int, retryAfter string) response {
		h := http.Header{"Content-Type": {"text/html"}}
		if retryAfter != "" {
			h.Set("Retry-After", retryAfter)
		}
		return response{code, h, "<html>busy</html>"}
	}
	ok := response{200, http.Header{"Content-Type": {"application/json"}}, `{"query":{"general":{"sitename":"W"}}}`}
	date := time.Now().Add(time.Hour).UTC().Format(http.TimeFormat)
	tests := []struct {
		name      string
		opts      Options
		answers   []response
		wantWaits []time.Duration
		check     func(error) bool
	}{
		{"maxlag then an answer", Options{}, []response{maxlag("7"), ok}, []time.Duration{7 * time.Second}, isNil},
		{"maxlag without Retry-After", Options{}, []response{maxlag(""), ok}, []time.Duration{DefaultRetryAfter}, isNil},
		{"503 with Retry-After", Options{}, []response{status(503, "2"), status(503, "3"), ok}, []time.Duration{2 * time.Second, 3 * time.Second}, isNil},
		{"429 with Retry-After", Options{}, []response{status(429, "1"), ok}, []time.Duration{time.Second}, isNil},
		{"maxlag every time", Options{}, []response{maxlag("5"), maxlag("5"), maxlag("5"), maxlag("5")},
			[]time.Duration{5 * time.Second, 5 * time.Second, 5 * time.Second}, is(ErrMaxLag)},
		{"two retries", Options{Retries: 2}, []response{maxlag("5"), maxlag("5"), maxlag("5")},
			[]time.Duration{5 * time.Second, 5 * time.Second}, is(ErrMaxLag)},
		{"no retries", Options{Retries: -1}, []response{maxlag("5")}, nil, is(ErrMaxLag)},
		{"longer than MaxRetryAfter", Options{}, []response{maxlag("61")}, nil, is(ErrMaxLag)},
		{"within a larger MaxRetryAfter", Options{MaxRetryAfter: 2 * time.Minute}, []response{maxlag("61"), ok}, []time.Duration{61 * time.Second}, isNil},
		{"a date an hour away", Options{}, []response{status(503, date)}, nil, httpStatus(503)},
		{"503 without Retry-After", Options{}, []response{status(503, "")}, nil, httpStatus(503)},
		{"500 with Retry-After", Options{}, []response{status(500, "1")}, nil, httpStatus(500)},
		{"another API error", Options{}, []response{{200, http.Header{"Content-Type": {"application/json"}, "Retry-After": {"1"}}, `{"errors":[{"code":"readonly","text":"x","module":"main"}]}`}}, nil, is(ErrReadOnly)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := 0
			srv := newServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if n >= len(tt.answers) {
					t.Errorf("request %d, more than expected", n+1)
					http.Error(w, "no more", 500)
					return
				}
				a := tt.answers[n]
				n++
				for k, v := range a.header {
					w.Header()[k] = v
				}
				w.WriteHeader(a.status)
				w.Write([]byte(a.body))
			}))
			clock := &fakeClock{}
			tt.opts.Sleep = clock.sleep
			err := newSession(t, srv.URL+"/w/api.php", tt.opts).Client().Ping(context.Background())
			if !tt.check(err) {
				t.Errorf("err = %v", err)
			}
			if !reflect.DeepEqual(clock.waits, tt.wantWaits) {
				t.Errorf("waited %v, want %v", clock.waits, tt.wantWaits)
			}
			if n != len(tt.answers) {
				t.Errorf("%d requests, want %d", n, len(tt.answers))
			}
		})
	}
}

// TestRetryCancelled: a context that ends during the wait ends the call,
// with both the context's error and the wiki's.
func TestRetryCancelled(t *testing.T) {
	n := 0
	srv := newServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n++
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Retry-After", "5")
		w.Write([]byte(`{"errors":[{"code":"maxlag","text":"lagged","module":"main"}]}`))
	}))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	clock := &fakeClock{cancel: cancel}
	s := newSession(t, srv.URL+"/w/api.php", Options{Sleep: clock.sleep, MaxLag: 5 * time.Second})
	err := s.Get(ctx, url.Values{"action": {"query"}}, nil)
	if !errors.Is(err, context.Canceled) || !errors.Is(err, ErrMaxLag) {
		t.Fatalf("err = %v, want context.Canceled and ErrMaxLag", err)
	}
	if n != 1 || len(clock.waits) != 1 {
		t.Errorf("%d requests and waits %v, want 1 and one wait", n, clock.waits)
	}
}

// TestDefaultSleep: the real wait ends with its context.
func TestDefaultSleep(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := sleep(ctx, time.Hour); !errors.Is(err, context.Canceled) {
		t.Fatalf("sleep = %v, want context.Canceled at once", err)
	}
	if err := sleep(context.Background(), 0); err != nil {
		t.Fatalf("sleep(0) = %v", err)
	}
}

type response struct {
	status int
	header http.Header
	body   string
}

func isNil(err error) bool { return err == nil }

func is(target error) func(error) bool {
	return func(err error) bool { return errors.Is(err, target) }
}

func httpStatus(code int) func(error) bool {
	return func(err error) bool { var he *HTTPError; return errors.As(err, &he) && he.StatusCode == code }
}

// TestCookiesChanged: a cookie the wiki sets, renews or removes is a
// change to save; the same cookie sent again is not.
func TestCookiesChanged(t *testing.T) {
	saved := []Cookie{{Name: "wiki_session", Value: "s1", Path: "/", HttpOnly: true}}
	tests := []struct {
		name      string
		setCookie []string
		want      bool
	}{
		{"none", nil, false},
		{"the same again", []string{"wiki_session=s1; path=/; HttpOnly"}, false},
		{"a new value", []string{"wiki_session=s2; path=/; HttpOnly"}, true},
		{"a new cookie", []string{"wikiUserID=7; path=/; HttpOnly"}, true},
		{"a later expiry", []string{"wiki_session=s1; path=/; HttpOnly; Max-Age=3600"}, true},
		{"removed", []string{"wiki_session=deleted; path=/; Max-Age=0"}, true},
		{"removing one it does not have", []string{"wikiToken=deleted; path=/; Max-Age=0"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				for _, c := range tt.setCookie {
					w.Header().Add("Set-Cookie", c)
				}
				serveJSON(cannedUserInfo).ServeHTTP(w, r)
			}))
			c, err := New(srv.URL+"/w/api.php", Options{})
			if err != nil {
				t.Fatal(err)
			}
			s := c.NewSession(saved)
			if s.CookiesChanged() {
				t.Fatal("changed before any call")
			}
			if _, err := s.UserInfo(context.Background(), AssertUser); err != nil {
				t.Fatal(err)
			}
			if got := s.CookiesChanged(); got != tt.want {
				t.Errorf("CookiesChanged = %t, want %t (cookies %+v)", got, tt.want, s.Cookies())
			}
		})
	}
}
