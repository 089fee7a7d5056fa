package handlers_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mwlogin/mwlogin/handlers"
	"github.com/mwlogin/mwlogin/internal/browsertest"
	"github.com/mwlogin/mwlogin/internal/demowiki"
	"github.com/mwlogin/mwlogin/locale"
)

// langWiki is the demo wiki, recording the API calls it gets.
type langWiki struct {
	wiki *demowiki.Wiki
	mu   sync.Mutex
	reqs []url.Values
}

func (w *langWiki) ServeHTTP(rw http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/api.php" {
		_ = r.ParseForm()
		w.mu.Lock()
		w.reqs = append(w.reqs, r.Form)
		w.mu.Unlock()
	}
	w.wiki.ServeHTTP(rw, r)
}

// asked returns the values of param in the calls whose meta or action
// contains what, and forgets every call.
func (w *langWiki) asked(what, param string) []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []string
	for _, f := range w.reqs {
		if strings.Contains(f.Get("meta"), what) || f.Get("action") == what {
			out = append(out, f.Get(param))
		}
	}
	w.reqs = nil
	return out
}

func newLangEnv(t *testing.T, hooks ...envHook) (*env, *langWiki) {
	t.Helper()
	rw := &langWiki{wiki: demowiki.New()}
	ts := httptest.NewServer(rw)
	t.Cleanup(ts.Close)
	return newEnvFor(t, "/auth", ts.URL+"/api.php", rw.wiki, ts, hooks...), rw
}

var htmlLangDir = regexp.MustCompile(`<html lang="([^"]*)" dir="([^"]*)">`)

func langDir(t *testing.T, p *browsertest.Page) (string, string) {
	t.Helper()
	m := htmlLangDir.FindStringSubmatch(p.Body)
	if m == nil {
		t.Fatalf("no <html lang dir> in %s:\n%s", p.URL, p.Body)
	}
	return m[1], m[2]
}

// The language is chosen as MediaWiki chooses it: uselang first, then the
// browser's languages among those the wiki speaks, then the wiki's content
// language; the wiki is asked for its labels in that language, and the
// page says which it is.
func TestLanguageChoice(t *testing.T) {
	e, wiki := newLangEnv(t)
	for _, tc := range []struct {
		name, uselang, accept string
		lang, dir, heading    string
	}{
		{"browser's language", "", "ja,en;q=0.5", "ja", "ltr", "ログイン"},
		{"with a region", "", "de-DE,de;q=0.9,en;q=0.8", "de", "ltr", "Anmelden"},
		{"first the wiki speaks", "", "pt-BR,pt;q=0.9,ar;q=0.5", "ar", "rtl", "تسجيل الدخول"},
		{"none the wiki speaks", "", "fr;q=0.5, nl", "en", "ltr", "Log in"},
		{"any", "", "*", "en", "ltr", "Log in"},
		{"no header", "", "", "en", "ltr", "Log in"},
		{"uselang first", "ar", "ja,de", "ar", "rtl", "تسجيل الدخول"},
		{"uselang in capitals", "JA", "de", "ja", "ltr", "ログイン"},
		{"uselang the wiki lacks", "xx", "ru", "ru", "ltr", "Войти"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := browsertest.New(t)
			if tc.accept != "" {
				b.Header.Set("Accept-Language", tc.accept)
			}
			u := e.base + "/"
			if tc.uselang != "" {
				u += "?uselang=" + tc.uselang
			}
			wiki.asked("", "") // forget the calls so far
			p := b.Get(u)
			if lang, dir := langDir(t, p); lang != tc.lang || dir != tc.dir {
				t.Errorf("<html lang=%q dir=%q>, want %q %q", lang, dir, tc.lang, tc.dir)
			}
			if h := textOf(t, p, "h1"); h != tc.heading {
				t.Errorf("heading %q, want %q", h, tc.heading)
			}
			// The labels: authmanagerinfo in the same language (cached
			// per language, so asked at most once).
			if got := wiki.asked("authmanagerinfo", "uselang"); len(got) > 1 || len(got) == 1 && got[0] != tc.lang {
				t.Errorf("authmanagerinfo asked with uselang %q, want %q", got, tc.lang)
			}
			// The language menu marks the page's language.
			cur := p.Find(browsertest.ByTag("a", "aria-current", "true"))
			if len(cur) != 1 {
				t.Fatalf("%d current languages in the menu", len(cur))
			}
			if hl, _ := browsertest.Attr(cur[0], "hreflang"); hl != tc.lang {
				t.Errorf("the menu's current language is %q, want %q", hl, tc.lang)
			}
		})
	}
}

func textOf(t *testing.T, p *browsertest.Page, tag string) string {
	t.Helper()
	ns := p.Find(browsertest.ByTag(tag))
	if len(ns) == 0 {
		t.Fatalf("no <%s> on %s:\n%s", tag, p.URL, p.Text())
	}
	return strings.TrimSpace(browsertest.TextOf(ns[0]))
}

// A language chosen with uselang stays for the whole sign-in: the forms,
// a wrong password, the redirects, the identity provider's return and the
// sign-out, whatever the browser's languages say.
func TestChosenLanguageIsKept(t *testing.T) {
	e, wiki := newLangEnv(t)
	b := browsertest.New(t)
	b.Header.Set("Accept-Language", "en")
	p := b.Get(e.base + "/?uselang=ja")
	if f := p.Form("/login"); f.Action.Query().Get("uselang") != "ja" {
		t.Fatalf("the form posts to %s", f.Action)
	}
	p = p.Form("/login").Set("username", demowiki.UserAlice).Set("password", "wrong").Submit()
	if lang, _ := langDir(t, p); lang != "ja" {
		t.Fatalf("after a wrong password the page is in %q", lang)
	}
	if got := wiki.asked("clientlogin", "uselang"); !slices.Equal(got, []string{"ja"}) {
		t.Errorf("clientlogin asked in %q, want ja", got)
	}
	mustContain(t, p, "利用者名またはパスワードが間違っています")
	p = p.Form("/login").Set("password", demowiki.Password).Submit()
	if p.URL.Query().Get("uselang") != "ja" {
		t.Errorf("signed in at %s, want the language kept", p.URL)
	}
	if lang, _ := langDir(t, p); lang != "ja" || textOf(t, p, "h1") != "ログイン済み" {
		t.Errorf("signed-in page in %q: %q", lang, textOf(t, p, "h1"))
	}
	p = p.Form("/logout").Submit()
	if q := p.URL.Query(); q.Get("uselang") != "ja" || q.Get("signedout") != "1" {
		t.Errorf("signed out at %s", p.URL)
	}

	// Single sign-on: the language travels in loginreturnurl.
	wiki.asked("", "")
	p = b.Get(e.base + "/?uselang=ar").Form("/login").Submit(demowiki.SSOButton)
	if got := wiki.asked("clientlogin", "loginreturnurl"); len(got) != 1 || !strings.Contains(got[0], "uselang=ar") {
		t.Fatalf("loginreturnurl %q, want it to carry uselang=ar", got)
	}
	if lang, dir := langDir(t, p); lang != "ar" || dir != "rtl" {
		t.Errorf("the page before the provider is %s %s", lang, dir)
	}
	idp := b.Get(p.MetaRefresh())
	p = idp.Form("idp").Submit("identity")
	if lang, _ := langDir(t, p); lang != "ar" || p.URL.Query().Get("uselang") != "ar" {
		t.Errorf("back from the provider at %s, in %q", p.URL, lang)
	}
	if got := wiki.asked("clientlogin", "uselang"); !slices.Equal(got, []string{"ar"}) {
		t.Errorf("the return went to the wiki with uselang %q, want ar", got)
	}
	mustContain(t, p, "Carol")
}

// The header names the wiki by its sitename, with its logo, linking to its
// main page; the title too. The wiki's host and port are named nowhere.
func TestSiteNameAndLogo(t *testing.T) {
	e, _ := newLangEnv(t)
	p := browsertest.New(t).Get(e.base + "/")
	wikiBase := strings.TrimSuffix(e.wikiTS.URL, "/")
	if title := textOf(t, p, "title"); title != "Log in · "+demowiki.SiteName {
		t.Errorf("title %q", title)
	}
	links := p.Find(browsertest.ByTag("a", "href", wikiBase+"/index.php?title=Main_Page"))
	if len(links) != 1 || strings.TrimSpace(browsertest.TextOf(links[0])) != demowiki.SiteName {
		t.Errorf("no header link to the main page named %q", demowiki.SiteName)
	}
	if imgs := p.Find(browsertest.ByTag("img", "src", wikiBase+"/logo.svg")); len(imgs) != 1 {
		t.Error("no logo")
	}
	host := strings.TrimPrefix(wikiBase, "http://")
	if strings.Contains(p.Text(), host) {
		t.Errorf("the page names %s: %s", host, p.Text())
	}
	if csp := p.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "img-src 'self' "+wikiBase+";") {
		t.Errorf("CSP %q does not allow the logo", csp)
	}
}

// The links under the form go to the wiki's own pages, in the page's
// language, and each only when the wiki offers it.
func TestWikiLinks(t *testing.T) {
	e, _ := newLangEnv(t)
	wikiBase := e.wikiTS.URL
	p := browsertest.New(t).Get(e.base + "/?uselang=ja")
	want := map[string]string{
		"パスワードをお忘れですか？":      wikiBase + "/index.php?title=Special:PasswordReset&uselang=ja",
		"Demo wikiのアカウントを作成": wikiBase + "/index.php?title=Special:CreateAccount&uselang=ja",
		"ログインについてのヘルプ":       "https://www.mediawiki.org/wiki/Special:MyLanguage/Help:Logging_in?uselang=ja",
	}
	got := map[string]string{}
	for _, n := range p.Find(browsertest.ByTag("a")) {
		href, _ := browsertest.Attr(n, "href")
		got[strings.TrimSpace(browsertest.TextOf(n))] = href
	}
	for text, href := range want {
		if got[text] != href {
			t.Errorf("link %q goes to %q, want %q", text, got[text], href)
		}
	}

	// A wiki where anonymous users may not create accounts, that resets
	// no passwords and has no help page: no links.
	closed := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		w.Header().Set("Content-Type", "application/json")
		switch {
		case r.Form.Get("action") == "paraminfo":
			w.Write([]byte(`{"paraminfo":{"modules":[{"name":"resetpassword","parameters":[]}]}}`))
		case strings.Contains(r.Form.Get("meta"), "siteinfo"):
			w.Write([]byte(`{"query":{"general":{"sitename":"Closed wiki","base":"http://wiki.example/Main","lang":"en",
				"server":"http://wiki.example","script":"/index.php"},"languages":[{"code":"en"}],
				"userinfo":{"anon":true,"rights":["read"]},"allmessages":[{"name":"helplogin-url","missing":true}]}}`))
		default:
			w.Write([]byte(`{"query":{"authmanagerinfo":{"requests":[{"id":"P","required":"primary-required","fields":{
				"username":{"type":"string","label":"Username"},"password":{"type":"password","label":"Password","sensitive":true}}}]}}}`))
		}
	}))
	t.Cleanup(closed.Close)
	p = browsertest.New(t).Get(newEnvFor(t, "/", closed.URL+"/api.php", nil, nil).base + "/")
	mustContain(t, p, "Closed wiki", "Username")
	if nav := p.Find(browsertest.ByTag("nav", "class", "wiki-links")); len(nav) != 0 {
		t.Errorf("links offered by a wiki that offers none: %s", browsertest.TextOf(nav[0]))
	}
	mustNotContain(t, p, "Forgot your password?", "Join Closed wiki", "Help with logging in")
}

// The wiki is asked for its site information and for its messages once
// per language per period, however many pages are shown.
func TestSiteMessagesCachedPerLanguage(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var mu sync.Mutex
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	e, wiki := newLangEnv(t, envHook{opts: func(o *handlers.Options) { o.Now = clock }})
	count := func() map[string]int {
		n := map[string]int{}
		for _, l := range wiki.asked("allmessages", "amlang") {
			n[l]++
		}
		return n
	}
	view := func() {
		for _, lang := range []string{"ja", "ar", "en", "de", "ja", "ar"} {
			b := browsertest.New(t)
			b.Header.Set("Accept-Language", lang)
			if l, _ := langDir(t, b.Get(e.base+"/")); l != lang {
				t.Fatalf("page in %q, want %q", l, lang)
			}
		}
	}
	view()
	// "" is the site information, which brings the content language's.
	want := map[string]int{"": 1, "ja": 1, "ar": 1, "de": 1}
	if got := count(); !mapsEqual(got, want) {
		t.Errorf("calls by language %v, want %v", got, want)
	}
	view()
	if got := count(); len(got) != 0 {
		t.Errorf("calls within the period: %v, want none", got)
	}
	mu.Lock()
	now = now.Add(11 * time.Minute)
	mu.Unlock()
	view()
	if got := count(); !mapsEqual(got, want) {
		t.Errorf("calls after the period %v, want %v", got, want)
	}
}

func mapsEqual(a, b map[string]int) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// A wiki that does not tell its name or messages leaves the app's own
// texts, in the browser's language when a catalog has it, English
// otherwise; never a message key.
func TestWikiWithoutSiteInfoFallsBackToCatalog(t *testing.T) {
	ts := scriptedWiki(t, `{"canauthenticatenow":true,"requests":[{"id":"P","required":"primary-required","metadata":[],
	 "fields":{"username":{"type":"string","label":"Username","help":""},"password":{"type":"password","label":"Password","help":"","sensitive":true}}}]}`,
		`{"clientlogin":{"status":"FAIL","message":"No."}}`)
	e := newEnvFor(t, "/", ts.URL+"/api.php", nil, nil)
	for _, tc := range []struct{ accept, lang, heading, site string }{
		{"ja", "ja", "ログイン", "ウィキへのサインイン"},
		{"ar", "ar", "تسجيل الدخول", "تسجيل الدخول إلى الويكي"},
		{"de", "en", "Log in", "Wiki sign-in"},
	} {
		b := browsertest.New(t)
		b.Header.Set("Accept-Language", tc.accept)
		p := b.Get(e.base + "/")
		if lang, _ := langDir(t, p); lang != tc.lang || textOf(t, p, "h1") != tc.heading {
			t.Errorf("Accept-Language %s: page in %q, heading %q; want %q, %q", tc.accept, lang, textOf(t, p, "h1"), tc.lang, tc.heading)
		}
		mustContain(t, p, tc.site)
		for _, id := range locale.Default().IDs() {
			if strings.Contains(p.Body, ">"+id+"<") {
				t.Errorf("the page shows the key %q", id)
			}
		}
	}
}

// Every text a template asks for is in the English catalog (so in every
// language, English at worst).
func TestTemplateTextsAreInTheCatalog(t *testing.T) {
	re := regexp.MustCompile(`\.T "([^"]+)"`)
	files, _ := os.ReadDir("../templates")
	n := 0
	for _, f := range files {
		if !strings.HasSuffix(f.Name(), ".html") {
			continue
		}
		b, err := os.ReadFile("../templates/" + f.Name())
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range re.FindAllStringSubmatch(string(b), -1) {
			n++
			if !locale.Default().Has(m[1]) {
				t.Errorf("%s asks for %q, which is in no catalog", f.Name(), m[1])
			}
		}
	}
	if n < 20 {
		t.Errorf("only %d texts found in the templates", n)
	}
}

// The stylesheet lays a right-to-left page out mirrored: it names no
// physical side.
func TestStylesheetHasOnlyLogicalProperties(t *testing.T) {
	b, err := os.ReadFile("../static/style.css")
	if err != nil {
		t.Fatal(err)
	}
	css := regexp.MustCompile(`(?s)/\*.*?\*/`).ReplaceAllString(string(b), "")
	if m := regexp.MustCompile(`(?i)\b(left|right)\b[^;{]*`).FindAllString(css, -1); len(m) > 0 {
		t.Errorf("style.css names a physical side: %q", m)
	}
}

// The login form shows MediaWiki's own hints, in the page's language, and
// not the help texts that only repeat a label; a provider's help is kept.
func TestFormHintsAreMediaWikis(t *testing.T) {
	e, _ := newLangEnv(t)
	for _, tc := range []struct{ lang, name, password string }{
		{"en", "Enter your username", "Enter your password"},
		{"ja", "利用者名を入力", "パスワードを入力"},
	} {
		p := browsertest.New(t).Get(e.base + "/?uselang=" + tc.lang)
		for field, want := range map[string]string{"username": tc.name, "password": tc.password} {
			in := p.Find(browsertest.ByTag("input", "name", field))
			if len(in) != 1 {
				t.Fatalf("%s: no field %s", tc.lang, field)
			}
			if got, _ := browsertest.Attr(in[0], "placeholder"); got != want {
				t.Errorf("%s: %s placeholder %q, want %q", tc.lang, field, got, want)
			}
		}
		mustNotContain(t, p, "Username for authentication.", "Password for authentication.", "remembered for longer")
		if sso := p.Find(browsertest.ByTag("button", "name", demowiki.SSOButton)); len(sso) != 1 {
			t.Fatal("no SSO button")
		} else if title, _ := browsertest.Attr(sso[0], "title"); title != "Log in through the demo identity provider." {
			t.Errorf("the provider's help %q is not kept", title)
		}
	}
}
