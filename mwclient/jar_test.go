package mwclient

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"reflect"
	"slices"
	"sort"
	"sync"
	"testing"
	"time"
)

var _ http.CookieJar = (*Jar)(nil)

type jarClock struct{ t time.Time }

func (c *jarClock) now() time.Time { return c.t }

func newJarAt(t0 time.Time, cookies []Cookie) (*Jar, *jarClock) {
	c := &jarClock{t: t0}
	j := NewJar(cookies)
	j.now = c.now
	return j, c
}

func mustURL(t testing.TB, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// names returns the sorted "name=value" pairs of cookies.
func names(cs []*http.Cookie) []string {
	out := []string{}
	for _, c := range cs {
		out = append(out, c.Name+"="+c.Value)
	}
	sort.Strings(out)
	return out
}

func TestJarPathMatching(t *testing.T) {
	j := NewJar(nil)
	j.SetCookies(mustURL(t, "https://wiki.example/w/api.php"), []*http.Cookie{
		{Name: "root", Value: "1", Path: "/"},
		{Name: "w", Value: "2", Path: "/w"},
		{Name: "wiki", Value: "3", Path: "/wiki/"},
		{Name: "deep", Value: "4", Path: "/w/sub"},
		{Name: "nopath", Value: "5"},                 // defaults to /
		{Name: "relpath", Value: "6", Path: "rel/x"}, // not absolute: /
	})
	tests := []struct {
		url  string
		want []string
	}{
		{"https://wiki.example/w/api.php", []string{"nopath=5", "relpath=6", "root=1", "w=2"}},
		{"https://wiki.example/w", []string{"nopath=5", "relpath=6", "root=1", "w=2"}},
		{"https://wiki.example/w/", []string{"nopath=5", "relpath=6", "root=1", "w=2"}},
		{"https://wiki.example/wx/api.php", []string{"nopath=5", "relpath=6", "root=1"}},
		{"https://wiki.example/w/sub/x", []string{"deep=4", "nopath=5", "relpath=6", "root=1", "w=2"}},
		{"https://wiki.example/w/subway", []string{"nopath=5", "relpath=6", "root=1", "w=2"}},
		{"https://wiki.example/wiki/Main_Page", []string{"nopath=5", "relpath=6", "root=1", "wiki=3"}},
		{"https://wiki.example/wiki", []string{"nopath=5", "relpath=6", "root=1"}},
		{"https://wiki.example", []string{"nopath=5", "relpath=6", "root=1"}},
		{"https://wiki.example/", []string{"nopath=5", "relpath=6", "root=1"}},
	}
	for _, tt := range tests {
		t.Run(tt.url, func(t *testing.T) {
			got := names(j.Cookies(mustURL(t, tt.url)))
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Cookies(%s) = %v, want %v", tt.url, got, tt.want)
			}
		})
	}
}

func TestPathMatch(t *testing.T) {
	tests := []struct {
		cookie, req string
		want        bool
	}{
		{"/", "/", true},
		{"/", "/anything", true},
		{"/w", "/w", true},
		{"/w", "/w/api.php", true},
		{"/w", "/wiki", false},
		{"/w/", "/w/api.php", true},
		{"/w/", "/w", false},
		{"/w/api.php", "/w", false},
		{"/a/b", "/a/b/c", true},
		{"/a/b", "/a/bc", false},
	}
	for _, tt := range tests {
		if got := pathMatch(tt.cookie, tt.req); got != tt.want {
			t.Errorf("pathMatch(%q, %q) = %v, want %v", tt.cookie, tt.req, got, tt.want)
		}
	}
}

func TestJarSecure(t *testing.T) {
	j := NewJar(nil)
	j.SetCookies(mustURL(t, "https://wiki.example/"), []*http.Cookie{
		{Name: "plain", Value: "p"},
		{Name: "secure", Value: "s", Secure: true},
	})
	if got, want := names(j.Cookies(mustURL(t, "http://wiki.example/w/api.php"))), []string{"plain=p"}; !reflect.DeepEqual(got, want) {
		t.Errorf("over http: %v, want %v", got, want)
	}
	if got, want := names(j.Cookies(mustURL(t, "https://wiki.example/w/api.php"))), []string{"plain=p", "secure=s"}; !reflect.DeepEqual(got, want) {
		t.Errorf("over https: %v, want %v", got, want)
	}
}

func TestJarReplaceByNameAndPath(t *testing.T) {
	j := NewJar(nil)
	u := mustURL(t, "https://wiki.example/w/api.php")
	j.SetCookies(u, []*http.Cookie{{Name: "s", Value: "1", Path: "/"}, {Name: "s", Value: "2", Path: "/w"}})
	j.SetCookies(u, []*http.Cookie{{Name: "s", Value: "3", Path: "/"}})
	if got, want := names(j.Cookies(u)), []string{"s=2", "s=3"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("Cookies = %v, want %v", got, want)
	}
	if n := len(j.Saved()); n != 2 {
		t.Fatalf("Saved has %d cookies, want 2", n)
	}
}

func TestJarExpiry(t *testing.T) {
	t0 := time.Date(2025, 3, 4, 5, 6, 7, 0, time.UTC)
	u := mustURL(t, "https://wiki.example/w/api.php")
	tests := []struct {
		name        string
		set         *http.Cookie
		wantPresent bool
		wantExpires time.Time // checked when present
	}{
		{"session cookie", &http.Cookie{Name: "s", Value: "new"}, true, time.Time{}},
		{"MaxAge>0 sets expiry", &http.Cookie{Name: "s", Value: "new", MaxAge: 3600}, true, t0.Add(time.Hour)},
		{"MaxAge wins over Expires", &http.Cookie{Name: "s", Value: "new", MaxAge: 60, Expires: t0.Add(48 * time.Hour)}, true, t0.Add(time.Minute)},
		{"future Expires", &http.Cookie{Name: "s", Value: "new", Expires: t0.Add(24 * time.Hour)}, true, t0.Add(24 * time.Hour)},
		{"MaxAge<0 deletes", &http.Cookie{Name: "s", Value: "deleted", MaxAge: -1}, false, time.Time{}},
		{"past Expires deletes", &http.Cookie{Name: "s", Value: "deleted", Expires: t0.Add(-time.Hour)}, false, time.Time{}},
		{"Expires now deletes", &http.Cookie{Name: "s", Value: "deleted", Expires: t0}, false, time.Time{}},
		{"MaxAge<0 wins over future Expires", &http.Cookie{Name: "s", Value: "deleted", MaxAge: -1, Expires: t0.Add(time.Hour)}, false, time.Time{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Start with an existing cookie of the same name and path, and
			// another that must stay.
			j, _ := newJarAt(t0, []Cookie{{Name: "s", Value: "old", Path: "/"}, {Name: "other", Value: "o", Path: "/"}})
			j.SetCookies(u, []*http.Cookie{tt.set})
			saved := j.Saved()
			var got *Cookie
			for i := range saved {
				if saved[i].Name == "s" {
					got = &saved[i]
				}
			}
			if !slices.ContainsFunc(saved, func(c Cookie) bool { return c.Name == "other" }) {
				t.Error("unrelated cookie lost")
			}
			sent := names(j.Cookies(u))
			if !tt.wantPresent {
				if got != nil {
					t.Fatalf("cookie still saved: %+v", *got)
				}
				if slices.Contains(sent, "s=old") || slices.Contains(sent, "s=deleted") {
					t.Fatalf("cookie still sent: %v", sent)
				}
				return
			}
			if got == nil {
				t.Fatal("cookie not saved")
			}
			if got.Value != "new" || !got.Expires.Equal(tt.wantExpires) {
				t.Errorf("saved %q expiring %v, want %q expiring %v", got.Value, got.Expires, "new", tt.wantExpires)
			}
			if !slices.Contains(sent, "s=new") {
				t.Errorf("cookie not sent: %v", sent)
			}
		})
	}
}

func TestJarExpiresWithTime(t *testing.T) {
	t0 := time.Date(2025, 3, 4, 5, 6, 7, 0, time.UTC)
	u := mustURL(t, "https://wiki.example/w/api.php")
	j, clock := newJarAt(t0, nil)
	j.SetCookies(u, []*http.Cookie{
		{Name: "short", Value: "1", MaxAge: 10},
		{Name: "session", Value: "2"},
	})
	clock.t = t0.Add(9 * time.Second)
	if got, want := names(j.Cookies(u)), []string{"session=2", "short=1"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("before expiry: %v, want %v", got, want)
	}
	clock.t = t0.Add(10 * time.Second)
	if got, want := names(j.Cookies(u)), []string{"session=2"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("at expiry: %v, want %v", got, want)
	}
	if saved := j.Saved(); len(saved) != 1 || saved[0].Name != "session" {
		t.Fatalf("Saved at expiry = %+v, want only the session cookie", saved)
	}
}

func TestJarSavedRoundTrip(t *testing.T) {
	t0 := time.Now()
	u := mustURL(t, "https://wiki.example/w/api.php")
	j := NewJar(nil)
	j.SetCookies(u, []*http.Cookie{
		{Name: "wiki_session", Value: "abc", Path: "/", HttpOnly: true, Secure: true},
		{Name: "wikiUserID", Value: "7", Path: "/w", MaxAge: 3600},
		{Name: "wikiToken", Value: "tok", Expires: t0.Add(24 * time.Hour)},
	})
	saved := j.Saved()
	if len(saved) != 3 {
		t.Fatalf("Saved = %+v, want 3 cookies", saved)
	}
	ws := saved[slices.IndexFunc(saved, func(c Cookie) bool { return c.Name == "wiki_session" })]
	if !ws.HttpOnly || !ws.Secure || ws.Path != "/" || !ws.Expires.IsZero() {
		t.Errorf("wiki_session saved as %+v; want HttpOnly, Secure, Path /, no expiry", ws)
	}

	restored := NewJar(saved)
	if !reflect.DeepEqual(restored.Saved(), saved) {
		t.Errorf("NewJar(Saved()).Saved() = %+v\nwant %+v", restored.Saved(), saved)
	}
	for _, s := range []string{"https://wiki.example/w/api.php", "https://wiki.example/", "http://wiki.example/w/api.php"} {
		if got, want := names(restored.Cookies(mustURL(t, s))), names(j.Cookies(mustURL(t, s))); !reflect.DeepEqual(got, want) {
			t.Errorf("restored Cookies(%s) = %v, want %v", s, got, want)
		}
	}

	// NewJar copies its input and Saved returns a copy.
	saved[0].Value = "mutated"
	for _, c := range restored.Saved() {
		if c.Value == "mutated" {
			t.Error("NewJar shares its input slice")
		}
	}
	out := restored.Saved()
	out[0].Value = "mutated"
	for _, c := range restored.Saved() {
		if c.Value == "mutated" {
			t.Error("Saved shares the jar's slice")
		}
	}

	// A saved cookie that has expired since is dropped.
	old := NewJar([]Cookie{{Name: "gone", Value: "x", Path: "/", Expires: time.Now().Add(-time.Minute)}})
	if got := old.Cookies(u); len(got) != 0 {
		t.Errorf("expired restored cookie sent: %v", names(got))
	}
	if got := old.Saved(); len(got) != 0 {
		t.Errorf("expired restored cookie saved: %+v", got)
	}
}

// TestJarThroughClient checks the jar with net/http: Set-Cookie headers are
// stored and sent back, and a deletion is honoured.
func TestJarThroughClient(t *testing.T) {
	srv := newServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/set":
			http.SetCookie(w, &http.Cookie{Name: "a", Value: "1", Path: "/"})
			http.SetCookie(w, &http.Cookie{Name: "b", Value: "2", Path: "/", MaxAge: 60})
		case "/del":
			http.SetCookie(w, &http.Cookie{Name: "a", Value: "deleted", Path: "/", MaxAge: -1})
		}
		var got []string
		for _, c := range r.Cookies() {
			got = append(got, c.Name+"="+c.Value)
		}
		sort.Strings(got)
		fmt.Fprint(w, got)
	}))
	j := NewJar(nil)
	hc := &http.Client{Jar: j}
	get := func(path string) string {
		t.Helper()
		resp, err := hc.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var b [256]byte
		n, _ := resp.Body.Read(b[:])
		return string(b[:n])
	}
	get("/set")
	if got := get("/echo"); got != "[a=1 b=2]" {
		t.Fatalf("after /set the client sent %s, want [a=1 b=2]", got)
	}
	get("/del")
	if got := get("/echo"); got != "[b=2]" {
		t.Fatalf("after /del the client sent %s, want [b=2]", got)
	}
}

func TestJarConcurrent(t *testing.T) {
	j := NewJar(nil)
	u := mustURL(t, "https://wiki.example/w/api.php")
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 200 {
				name := fmt.Sprintf("c%d", i%10)
				maxAge := 0
				if i%3 == 0 {
					maxAge = -1
				}
				j.SetCookies(u, []*http.Cookie{{Name: name, Value: fmt.Sprint(g, i), MaxAge: maxAge}})
				j.Cookies(u)
				if i%10 == 0 {
					NewJar(j.Saved())
				}
			}
		}()
	}
	wg.Wait()
	// Each name and path is held at most once.
	seen := map[string]bool{}
	for _, c := range j.Saved() {
		if seen[c.Name+c.Path] {
			t.Errorf("cookie %s (path %s) held twice", c.Name, c.Path)
		}
		seen[c.Name+c.Path] = true
	}
}

func BenchmarkJar(b *testing.B) {
	u, _ := url.Parse("https://wiki.example/w/api.php")
	set := []*http.Cookie{
		{Name: "wiki_session", Value: "0123456789abcdef0123456789abcdef", Path: "/", HttpOnly: true, Secure: true},
		{Name: "wikiUserID", Value: "12345", Path: "/", MaxAge: 15552000},
		{Name: "wikiUserName", Value: "Alice", Path: "/", MaxAge: 15552000},
		{Name: "centralauth_Session", Value: "fedcba9876543210", Path: "/", Secure: true},
		{Name: "GeoIP", Value: "XX:::0.00:0.00:v4", Path: "/"},
	}
	b.ReportAllocs()
	for b.Loop() {
		j := NewJar(nil)
		j.SetCookies(u, set)
		if len(j.Cookies(u)) != len(set) {
			b.Fatal("cookies lost")
		}
		NewJar(j.Saved())
	}
}

func TestCookieJSON(t *testing.T) {
	exp := time.Date(2027, 5, 22, 12, 0, 0, 0, time.UTC)
	for _, tt := range []struct {
		c    Cookie
		want string
	}{
		{Cookie{Name: "enwiki_session", Value: "abc\"\\<>", Path: "/", HttpOnly: true, Secure: true},
			`{"name":"enwiki_session","value":"abc\"\\\u003c\u003e","path":"/","secure":true,"httpOnly":true}`},
		{Cookie{Name: "enwikiUserID", Value: "12345", Path: "/w", Expires: exp},
			`{"name":"enwikiUserID","value":"12345","path":"/w","expires":"2027-05-22T12:00:00Z"}`},
		{Cookie{Name: "x", Value: ""}, `{"name":"x","value":""}`},
	} {
		b, err := json.Marshal(tt.c)
		if err != nil {
			t.Fatal(err)
		}
		if string(b) != tt.want {
			t.Errorf("Marshal(%+v) = %s, want %s", tt.c, b, tt.want)
		}
		var back Cookie
		if err := json.Unmarshal(b, &back); err != nil {
			t.Fatal(err)
		}
		if back != tt.c {
			t.Errorf("round trip: %+v became %+v (%s)", tt.c, back, b)
		}
	}
	// Entries written before the JSON names were set (Go's field names).
	var old Cookie
	if err := json.Unmarshal([]byte(`{"Name":"s","Value":"v","Path":"/","Expires":"2027-05-22T12:00:00Z","Secure":false,"HttpOnly":true}`), &old); err != nil {
		t.Fatal(err)
	}
	if old != (Cookie{Name: "s", Value: "v", Path: "/", Expires: exp, HttpOnly: true}) {
		t.Errorf("field names read as %+v", old)
	}
	// One format: the array form of earlier versions is refused, not
	// misread.
	var c Cookie
	if err := json.Unmarshal([]byte(`["s","v","/",0,2]`), &c); err == nil {
		t.Errorf("the array form was accepted as %+v", c)
	}
}

// TestJarSavedJSON: cookies the wiki set come back equal from their JSON,
// whatever the server's time zone.
func TestJarSavedJSON(t *testing.T) {
	t0 := time.Date(2025, 3, 4, 5, 6, 7, 500, time.FixedZone("UTC+1", 3600))
	j, _ := newJarAt(t0, nil)
	j.SetCookies(mustURL(t, "https://wiki.example/w/api.php"), []*http.Cookie{
		{Name: "session", Value: "1", Secure: true, HttpOnly: true},
		{Name: "maxage", Value: "2", MaxAge: 3600},
		{Name: "expires", Value: "3", Expires: t0.Add(24 * time.Hour)},
	})
	saved := j.Saved()
	b, err := json.Marshal(saved)
	if err != nil {
		t.Fatal(err)
	}
	var back []Cookie
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back, saved) {
		t.Fatalf("JSON round trip changed the cookies:\n%+v\n%+v\n%s", saved, back, b)
	}
}
