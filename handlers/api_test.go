package handlers_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/mwlogin/mwlogin/handlers"
	"github.com/mwlogin/mwlogin/internal/browsertest"
	"github.com/mwlogin/mwlogin/internal/demowiki"
)

const testAPISecret = "tool-secret-0123456789-0123456789-0123456789"

// apiRecordingWiki is the demo wiki, recording what reaches api.php.
type apiRecordingWiki struct {
	*demowiki.Wiki
	mu       sync.Mutex
	requests []*http.Request
	forms    []url.Values
}

func (w *apiRecordingWiki) ServeHTTP(rw http.ResponseWriter, r *http.Request) {
	r.ParseForm()
	w.mu.Lock()
	w.requests = append(w.requests, r.Clone(r.Context()))
	w.forms = append(w.forms, r.Form)
	w.mu.Unlock()
	w.Wiki.ServeHTTP(rw, r)
}

func (w *apiRecordingWiki) count() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.requests)
}

func (w *apiRecordingWiki) last() (*http.Request, url.Values) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.requests[len(w.requests)-1], w.forms[len(w.forms)-1]
}

// apiEnv is the app under /auth with {prefix}/api on and one tool secret,
// in front of a recording demo wiki.
func apiEnv(t *testing.T, extra ...func(*handlers.Options)) (*env, *apiRecordingWiki) {
	t.Helper()
	wiki := &apiRecordingWiki{Wiki: demowiki.New()}
	wikiTS := httptest.NewServer(wiki)
	t.Cleanup(wikiTS.Close)
	e := newEnvFor(t, "/auth", wikiTS.URL+"/api.php", wiki.Wiki, wikiTS, envHook{opts: func(o *handlers.Options) {
		o.EnableAPI, o.APISecrets = true, []string{testAPISecret}
		for _, f := range extra {
			f(o)
		}
	}})
	return e, wiki
}

// apiCall posts body to the app's /api with the browser's cookies and the
// given headers, and decodes the JSON answer.
func apiCall(t *testing.T, b *browsertest.Browser, rawURL, body string, header map[string]string) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, rawURL, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	for k, v := range header {
		if v == "" {
			req.Header.Del(k)
		} else {
			req.Header.Set(k, v)
		}
	}
	resp, err := b.Client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var out map[string]any
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatalf("%s answered %d, not JSON: %q", rawURL, resp.StatusCode, raw)
	}
	return resp.StatusCode, out
}

// errorCode is the code of the first error of an API answer.
func errorCode(out map[string]any) string {
	errs, _ := out["errors"].([]any)
	if len(errs) == 0 {
		return ""
	}
	e, _ := errs[0].(map[string]any)
	code, _ := e["code"].(string)
	return code
}

// signedInWithToken signs Alice in and returns her CSRF token, read from
// the sign-out form of the signed-in page.
func signedInWithToken(t *testing.T, e *env, b *browsertest.Browser) string {
	t.Helper()
	p := login(t, e, b, demowiki.UserAlice, demowiki.Password)
	tok, _ := browsertest.Attr(p.Input("csrf"), "value")
	if tok == "" {
		t.Fatalf("no CSRF token on the signed-in page: %s", p.Text())
	}
	return tok
}

const userinfoCall = "action=query&meta=userinfo"

func TestAPIAuthentication(t *testing.T) {
	e, wiki := apiEnv(t)
	alice := browsertest.New(t)
	tok := signedInWithToken(t, e, alice)
	nobody := browsertest.New(t)
	api := e.base + "/api"
	for _, tc := range []struct {
		name    string
		b       *browsertest.Browser
		url     string
		body    string
		header  map[string]string
		status  int
		code    string
		reaches bool // the call reaches the wiki
	}{
		{"page with the CSRF token", alice, api, userinfoCall, map[string]string{handlers.HeaderCSRF: tok}, 200, "", true},
		{"no CSRF token", alice, api, userinfoCall, nil, 403, "mwlogin-badcsrf", false},
		{"wrong CSRF token", alice, api, userinfoCall, map[string]string{handlers.HeaderCSRF: tok + "x"}, 403, "mwlogin-badcsrf", false},
		{"CSRF token in the body is not enough", alice, api, userinfoCall + "&csrf=" + url.QueryEscape(tok), nil, 403, "mwlogin-badcsrf", false},
		{"from another site", alice, api, userinfoCall, map[string]string{handlers.HeaderCSRF: tok, "Sec-Fetch-Site": "cross-site"}, 403, "mwlogin-crossorigin", false},
		{"tool's secret", alice, api, userinfoCall, map[string]string{"Authorization": "Bearer " + testAPISecret}, 200, "", true},
		{"tool's secret, scheme in lower case", alice, api, userinfoCall, map[string]string{"Authorization": "bearer " + testAPISecret}, 200, "", true},
		{"wrong secret", alice, api, userinfoCall, map[string]string{"Authorization": "Bearer " + testAPISecret[1:]}, 401, "mwlogin-badsecret", false},
		{"wrong secret with the CSRF token", alice, api, userinfoCall, map[string]string{"Authorization": "Bearer nope", handlers.HeaderCSRF: tok}, 401, "mwlogin-badsecret", false},
		{"a browser's Basic credentials are not ours", alice, api, userinfoCall, map[string]string{"Authorization": "Basic dTpw", handlers.HeaderCSRF: tok}, 200, "", true},
		{"nobody signed in", nobody, api, userinfoCall, map[string]string{handlers.HeaderCSRF: tok}, 401, "mwlogin-notsignedin", false},
		{"tool's secret, nobody signed in", nobody, api, userinfoCall, map[string]string{"Authorization": "Bearer " + testAPISecret}, 401, "mwlogin-notsignedin", false},
		{"parameters in the URL", alice, api + "?action=query&meta=userinfo", "", map[string]string{handlers.HeaderCSRF: tok}, 400, "mwlogin-querystring", false},
		{"JSON body", alice, api, `{"action":"query"}`, map[string]string{handlers.HeaderCSRF: tok, "Content-Type": "application/json"}, 415, "mwlogin-contenttype", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := wiki.count()
			status, out := apiCall(t, tc.b, tc.url, tc.body, tc.header)
			if status != tc.status || errorCode(out) != tc.code {
				t.Fatalf("answered %d %v; want %d %q", status, out, tc.status, tc.code)
			}
			if reached := wiki.count() > before; reached != tc.reaches {
				t.Fatalf("reached the wiki: %v", reached)
			}
			if tc.status == 200 {
				ui, _ := out["query"].(map[string]any)["userinfo"].(map[string]any)
				if ui["name"] != demowiki.UserAlice {
					t.Fatalf("the wiki's answer: %v", out)
				}
			}
		})
	}
}

func TestAPIRefusesAccountManagement(t *testing.T) {
	e, wiki := apiEnv(t)
	b := browsertest.New(t)
	tok := signedInWithToken(t, e, b)
	hdr := map[string]string{handlers.HeaderCSRF: tok}
	for _, tc := range []struct {
		body   string
		status int
		code   string
	}{
		{"action=login&lgname=Bob&lgpassword=x", 403, "mwlogin-refusedaction"},
		{"action=clientlogin&username=Bob", 403, "mwlogin-refusedaction"},
		{"action=logout", 403, "mwlogin-refusedaction"},
		{"action=createaccount", 403, "mwlogin-refusedaction"},
		{"action=linkaccount", 403, "mwlogin-refusedaction"},
		{"action=unlinkaccount", 403, "mwlogin-refusedaction"},
		{"action=changeauthenticationdata", 403, "mwlogin-refusedaction"},
		{"action=removeauthenticationdata", 403, "mwlogin-refusedaction"},
		{"action=resetpassword", 403, "mwlogin-refusedaction"},
		{"action=validatepassword", 403, "mwlogin-refusedaction"},
		{"action=centralauthtoken", 403, "mwlogin-refusedaction"},
		{"action=setglobalaccountstatus", 403, "mwlogin-refusedaction"},
		{"action=deleteglobalaccount", 403, "mwlogin-refusedaction"},
		{"action=oathvalidate", 403, "mwlogin-refusedaction"},
		{"action=webauthn", 403, "mwlogin-refusedaction"},
		{"action=LOGOUT", 403, "mwlogin-refusedaction"},
		{"action=%20logout", 403, "mwlogin-refusedaction"},
		// PHP reads the last of two values, Go the first.
		{"action=query&action=logout", 400, "mwlogin-repeatedparam"},
		// PHP reads "action[]" as action, and turns "." and " " into "_".
		{"action[]=logout", 400, "mwlogin-badparamname"},
		{"meta.x=userinfo&action=query", 400, "mwlogin-badparamname"},
		{"meta+x=userinfo&action=query", 400, "mwlogin-badparamname"},
		{"meta=userinfo", 400, "mwlogin-noaction"},
		{userinfoCall + "&callback=f", 403, "mwlogin-refusedparam"},
		{userinfoCall + "&origin=*", 403, "mwlogin-refusedparam"},
		{userinfoCall + "&centralauthtoken=x", 403, "mwlogin-refusedparam"},
		{userinfoCall + "&assertuser=Bob", 403, "mwlogin-refusedparam"},
		{userinfoCall + "&assert=anon", 400, "mwlogin-fixedparam"},
		{userinfoCall + "&format=xml", 400, "mwlogin-fixedparam"},
		{userinfoCall + "&formatversion=1", 400, "mwlogin-fixedparam"},
		{userinfoCall + "&errorformat=html", 400, "mwlogin-fixedparam"},
		// What is allowed: the same values the app sends.
		{userinfoCall + "&format=json&formatversion=2&errorformat=plaintext&assert=user", 200, ""},
	} {
		t.Run(tc.body, func(t *testing.T) {
			before := wiki.count()
			status, out := apiCall(t, b, e.base+"/api", tc.body, hdr)
			if status != tc.status || errorCode(out) != tc.code {
				t.Fatalf("answered %d %v; want %d %q", status, out, tc.status, tc.code)
			}
			if reached := wiki.count() > before; reached != (tc.status == 200) {
				t.Fatalf("reached the wiki: %v", reached)
			}
		})
	}
	// Alice is still signed in: nothing reached the wiki's logout.
	if status, _ := apiCall(t, b, e.base+"/api", userinfoCall, hdr); status != 200 {
		t.Fatalf("after the refused calls: %d", status)
	}
}

func TestAPIForwardsOnlyTheWikiSession(t *testing.T) {
	e, wiki := apiEnv(t)
	b := browsertest.New(t)
	tok := signedInWithToken(t, e, b)
	// A cookie of the host's, which the browser sends along.
	u, _ := url.Parse(e.base + "/")
	b.Client.Jar.SetCookies(u, []*http.Cookie{{Name: "toolsession", Value: "tool-secret-value", Path: "/"}})
	status, out := apiCall(t, b, e.base+"/api", userinfoCall+"&uiprop=groups", map[string]string{handlers.HeaderCSRF: tok, "Authorization": "Basic dTpw", "X-Extra": "x"})
	if status != 200 {
		t.Fatalf("answered %d %v", status, out)
	}
	req, form := wiki.last()
	var names []string
	for _, c := range req.Cookies() {
		names = append(names, c.Name)
	}
	if len(names) != 1 || names[0] != demowiki.CookieName {
		t.Fatalf("the wiki got cookies %v; want its own session cookie only", names)
	}
	for _, h := range []string{"Authorization", handlers.HeaderCSRF, "X-Extra", "Sec-Fetch-Site", "Origin"} {
		if v := req.Header.Get(h); v != "" {
			t.Fatalf("the wiki got the browser's %s header: %q", h, v)
		}
	}
	if req.Method != http.MethodPost || form.Get("assert") != "user" || form.Get("uiprop") != "groups" {
		t.Fatalf("the wiki got %s %v; want a POST with the tool's parameters and assert=user", req.Method, form)
	}
}

func TestAPIWikiAnswers(t *testing.T) {
	e, _ := apiEnv(t)
	b := browsertest.New(t)
	tok := signedInWithToken(t, e, b)
	hdr := map[string]string{handlers.HeaderCSRF: tok}
	// The wiki's own errors come back as the wiki gives them.
	status, out := apiCall(t, b, e.base+"/api", "action=nosuchmodule", hdr)
	if status != 200 || errorCode(out) != "badvalue" {
		t.Fatalf("a wiki error: %d %v", status, out)
	}
	// A session the wiki ended: 401, and the sign-in is forgotten.
	e.wiki.ExpireSessions()
	status, out = apiCall(t, b, e.base+"/api", userinfoCall, hdr)
	if status != 401 || errorCode(out) != "mwlogin-notsignedin" {
		t.Fatalf("a session the wiki ended: %d %v", status, out)
	}
	if p := b.Get(e.base + "/"); p.Input("password") == nil {
		t.Fatalf("still signed in after the wiki ended the session: %s", p.Text())
	}
}

func TestAPISavesRenewedCookies(t *testing.T) {
	wiki := &renewingWiki{Wiki: demowiki.New()}
	wikiTS := httptest.NewServer(wiki)
	t.Cleanup(wikiTS.Close)
	e := newEnvFor(t, "/auth", wikiTS.URL+"/api.php", wiki.Wiki, wikiTS, envHook{opts: func(o *handlers.Options) { o.EnableAPI = true }})
	b := browsertest.New(t)
	tok := signedInWithToken(t, e, b)
	prev := wiki.lastSeen()["renewed"]
	for i := range 2 {
		if status, out := apiCall(t, b, e.base+"/api", userinfoCall, map[string]string{handlers.HeaderCSRF: tok}); status != 200 {
			t.Fatalf("call %d: %d %v", i, status, out)
		}
		got := wiki.lastSeen()["renewed"]
		if got == prev || got == "" {
			t.Fatalf("call %d brought the wiki renewed=%q after %q: the renewal before it was not saved", i, got, prev)
		}
		prev = got
	}
}

func TestAPIMethodsAndSwitch(t *testing.T) {
	e, _ := apiEnv(t)
	req, _ := http.NewRequest(http.MethodGet, e.base+"/api?action=query", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed || resp.Header.Get("Allow") != "POST" {
		t.Fatalf("GET: %d, Allow %q", resp.StatusCode, resp.Header.Get("Allow"))
	}

	off := newEnv(t, "/auth")
	b := browsertest.New(t)
	tok := signedInWithToken(t, off, b)
	req, _ = http.NewRequest(http.MethodPost, off.base+"/api", strings.NewReader(userinfoCall))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set(handlers.HeaderCSRF, tok)
	resp, err = b.Client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Fatalf("/api without EnableAPI: %d", resp.StatusCode)
	}

	for _, tc := range []struct {
		name string
		opts handlers.Options
		want string
	}{
		{"secrets without EnableAPI", handlers.Options{APISecrets: []string{testAPISecret}}, "EnableAPI"},
		{"a short secret", handlers.Options{EnableAPI: true, APISecrets: []string{"short"}}, "at least 32"},
	} {
		o := tc.opts
		o.Client, o.PublicURL, o.Keys = mustClient(t), "https://x.example", [][]byte{[]byte("test-key-0123456789-0123456789-0123456789")}
		if _, _, err := handlers.NewHandler("/auth", o); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v", tc.name, err)
		}
	}
}

// A page of a tool in another language learns the token from /whoami.
func TestAPITokenFromWhoami(t *testing.T) {
	whoamiCSRF := func(e *env, b *browsertest.Browser) string {
		t.Helper()
		var who struct {
			Name string `json:"name"`
			CSRF string `json:"csrf"`
		}
		p := b.Get(e.base + "/whoami")
		if err := json.Unmarshal([]byte(p.Body), &who); err != nil || who.Name != demowiki.UserAlice {
			t.Fatalf("/whoami: %d %q", p.Status, p.Body)
		}
		return who.CSRF
	}
	e, _ := apiEnv(t)
	b := browsertest.New(t)
	signedInWithToken(t, e, b)
	tok := whoamiCSRF(e, b)
	if status, out := apiCall(t, b, e.base+"/api", userinfoCall, map[string]string{handlers.HeaderCSRF: tok}); status != 200 {
		t.Fatalf("with the token of /whoami: %d %v", status, out)
	}
	off := newEnv(t, "/auth")
	b = browsertest.New(t)
	signedInWithToken(t, off, b)
	if tok := whoamiCSRF(off, b); tok != "" {
		t.Fatalf("/whoami gives a token with the API off: %q", tok)
	}
}
