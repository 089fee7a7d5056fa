package handlers_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"golang.org/x/net/html"

	"github.com/mwlogin/mwlogin/internal/browsertest"
)

// scriptedWiki answers meta=authmanagerinfo and action=clientlogin with
// fixed JSON, for what the demo wiki never says.
func scriptedWiki(t *testing.T, info, login string) *httptest.Server {
	t.Helper()
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		w.Header().Set("Content-Type", "application/json")
		switch {
		case r.URL.Path == "/captcha.png":
			w.Header().Set("Content-Type", "image/png")
			w.Write([]byte("\x89PNG fake"))
		case r.Form.Get("action") == "clientlogin":
			fmt.Fprint(w, login)
		case strings.Contains(r.Form.Get("meta"), "authmanagerinfo"):
			fmt.Fprintf(w, `{"batchcomplete":true,"query":{"authmanagerinfo":%s,"tokens":{"logintoken":"tok+\\"}}}`, info)
		case r.Form.Get("meta") == "tokens":
			fmt.Fprint(w, `{"batchcomplete":true,"query":{"tokens":{"logintoken":"tok+\\"}}}`)
		default:
			http.Error(w, "unexpected", http.StatusBadRequest)
		}
	}))
	t.Cleanup(ts.Close)
	return ts
}

const evil = `<script>alert(1)</script><img src=x onerror=alert(2)><a href="javascript:alert(3)">x</a>`

func TestWikiHTMLIsSanitized(t *testing.T) {
	info := map[string]any{
		"canauthenticatenow": true,
		"requests": []any{map[string]any{
			"id": "Evil", "required": "required", "metadata": []any{},
			"fields": map[string]any{
				"username": map[string]any{"type": "string", "label": "User " + evil, "help": "Help " + evil, "value": `"><script>alert(4)</script>`},
				"choice": map[string]any{"type": "select", "label": "Choice", "help": "",
					"options": map[string]any{"a": "Option <b onmouseover=alert(5)>A</b>" + evil}},
				"info": map[string]any{"type": "null", "label": "Info", "help": "", "value": `<p>Question <a href="/wiki/Help">help</a></p>` + evil},
			},
		}},
	}
	ib, _ := json.Marshal(info)
	loginAnswer := `{"clientlogin":{"status":"FAIL","message":"Bad ` + strings.ReplaceAll(evil, `"`, `\"`) + `","messagecode":"x"}}`
	ts := scriptedWiki(t, string(ib), loginAnswer)
	e := newEnvFor(t, "/", ts.URL+"/api.php", nil, nil)
	b := browsertest.New(t)
	p := b.Get(e.base + "/")
	if p.Status != http.StatusOK {
		t.Fatalf("status %d: %s", p.Status, p.Text())
	}
	check := func(p *browsertest.Page) {
		t.Helper()
		for _, bad := range []string{"<script>alert", "onerror", "onmouseover", "javascript:", "<img src=x"} {
			if strings.Contains(p.Body, bad) {
				t.Fatalf("page contains %q:\n%s", bad, p.Body)
			}
		}
	}
	check(p)
	mustContain(t, p, "User", "Help", "Option A", "Question")
	// A relative wiki link points at the wiki, not at us.
	links := p.Find(browsertest.ByTag("a"))
	found := false
	for _, l := range links {
		if href, _ := browsertest.Attr(l, "href"); href == ts.URL+"/wiki/Help" {
			found = true
		}
	}
	if !found {
		t.Fatalf("the wiki's relative link was not made absolute:\n%s", p.Body)
	}
	p = p.Form("/login").Set("username", "x").Submit()
	check(p)
	mustContain(t, p, "Bad")
}

func TestCaptchaImageThroughProxy(t *testing.T) {
	info := `{"canauthenticatenow":true,"requests":[
	 {"id":"CaptchaAuthenticationRequest","required":"required","metadata":{"type":"image","mime":"image/png"},
	  "fields":{"captchaId":{"type":"hidden","label":"ID","help":"","value":"123"},
	            "captchaInfo":{"type":"null","label":"Type the text in the picture","help":"","value":"/captcha.png?id=123"},
	            "captchaWord":{"type":"string","label":"Text","help":""}}}]}`
	ts := scriptedWiki(t, info, `{"clientlogin":{"status":"PASS","username":"X"}}`)
	e := newEnvFor(t, "/auth", ts.URL+"/api.php", nil, nil)
	b := browsertest.New(t)
	p := b.Get(e.base + "/")
	imgs := p.Find(browsertest.ByTag("img"))
	if len(imgs) != 1 {
		t.Fatalf("%d images on the form:\n%s", len(imgs), p.Body)
	}
	src, _ := browsertest.Attr(imgs[0], "src")
	if !strings.HasPrefix(src, "/auth/captcha/") {
		t.Fatalf("captcha image src %q does not go through our proxy", src)
	}
	if alt, _ := browsertest.Attr(imgs[0], "alt"); alt == "" {
		t.Fatal("captcha image has no alt text")
	}
	img := p.Follow(src)
	if img.Status != http.StatusOK || img.Header.Get("Content-Type") != "image/png" || !strings.HasPrefix(img.Body, "\x89PNG") {
		t.Fatalf("proxy: status %d type %q", img.Status, img.Header.Get("Content-Type"))
	}
	// Another browser cannot fetch this flow's image.
	if other := browsertest.New(t).Get(ts.URL[:0] + e.base + strings.TrimPrefix(src, "/auth")); other.Status != http.StatusNotFound {
		t.Fatalf("another browser got the captcha: status %d", other.Status)
	}
}

func TestRedirectTargetMustBeHTTP(t *testing.T) {
	info := `{"canauthenticatenow":true,"requests":[{"id":"SSO","required":"primary-required","metadata":[],
	 "fields":{"sso":{"type":"button","label":"SSO","help":""}}}]}`
	ts := scriptedWiki(t, info, `{"clientlogin":{"status":"REDIRECT","redirecttarget":"javascript:alert(1)","requests":[]}}`)
	e := newEnvFor(t, "/", ts.URL+"/api.php", nil, nil)
	b := browsertest.New(t)
	p := b.Get(e.base + "/").Form("/login").Submit("sso")
	if p.Status != http.StatusBadGateway {
		t.Fatalf("status %d", p.Status)
	}
	if strings.Contains(p.Body, "javascript:") {
		t.Fatal("the bad target reached the page")
	}
	mustContain(t, p, "not a web page")
}

func TestReturnByCrossSitePost(t *testing.T) {
	e := newEnv(t, "/")
	b := browsertest.New(t)
	ret := providerReturn(t, e, b)
	// The provider POSTs the return (response_mode=form_post): the browser
	// sends no SameSite=Lax cookie with a cross-site POST.
	cookieless := browsertest.New(t)
	cookieless.Header.Set("Sec-Fetch-Site", "cross-site")
	bounce := cookieless.Post(e.base+"/return", ret.Query())
	mustContain(t, bounce, "Continue signing in")
	if !strings.Contains(bounce.Body, "/static/bounce.js") {
		t.Fatal("the bounce page does not load its auto-submit script")
	}
	// The user's own browser re-posts it from our page, with its cookie.
	f := bounce.Form("/return")
	p := b.Post(f.Action.String(), f.Values)
	mustContain(t, p, "holds your sign-in to", " as Carol")
}

// A status this app does not know is the wiki's oddity, not our failure.
func TestUnknownLoginStatus(t *testing.T) {
	info := `{"canauthenticatenow":true,"requests":[{"id":"P","required":"primary-required","metadata":[],
	 "fields":{"username":{"type":"string","label":"Username","help":""},"password":{"type":"password","label":"Password","help":"","sensitive":true}}}]}`
	ts := scriptedWiki(t, info, `{"clientlogin":{"status":"MAYBE","message":"Hmm"}}`)
	e := newEnvFor(t, "/", ts.URL+"/api.php", nil, nil)
	p := browsertest.New(t).Get(e.base+"/").Form("/login").Set("username", "Alice").Set("password", "pw-secret-123").Submit()
	if p.Status != http.StatusBadGateway {
		t.Fatalf("status %d, want 502: %s", p.Status, p.Text())
	}
	mustContain(t, p, "does not understand")
	mustNotContain(t, p, "on our side", "pw-secret-123")
}

// A field with no label is labelled with its name, which the wiki chose:
// a hostile name is shown as text, never as markup.
func TestUnlabelledHostileFieldNameIsEscaped(t *testing.T) {
	const name = `x"><img src=y onerror=alert(1)><script>alert(2)</script>`
	info, _ := json.Marshal(map[string]any{
		"canauthenticatenow": true,
		"requests": []any{map[string]any{
			"id": "Odd", "required": "required", "metadata": []any{},
			"fields": map[string]any{name: map[string]any{"type": "string", "label": "", "help": ""}},
		}},
	})
	ts := scriptedWiki(t, string(info), `{"clientlogin":{"status":"FAIL","message":"No","messagecode":"x"}}`)
	e := newEnvFor(t, "/", ts.URL+"/api.php", nil, nil)
	p := browsertest.New(t).Get(e.base + "/")
	if p.Status != http.StatusOK {
		t.Fatalf("status %d: %s", p.Status, p.Text())
	}
	injected := p.Find(func(n *html.Node) bool {
		if n.Type != html.ElementNode {
			return false
		}
		_, handler := browsertest.Attr(n, "onerror")
		if src, _ := browsertest.Attr(n, "src"); n.Data == "script" && src == "/static/forms.js" {
			return false // ours
		}
		return n.Data == "img" || n.Data == "script" || handler
	})
	if len(injected) > 0 {
		t.Fatalf("the field name became markup:\n%s", p.Body)
	}
	// The name is the label, as text, and the input still carries it.
	mustContain(t, p, `<img src=y onerror=alert(1)>`)
	if p.Input(name) == nil {
		t.Fatalf("no input named after the field:\n%s", p.Body)
	}
}

// After a FAIL, a field the wiki marks sensitive that is not a password
// (a PIN typed as text) comes back empty, like the password; the user
// name is kept.
func TestSensitiveTextFieldIsNotShownAgain(t *testing.T) {
	info := `{"canauthenticatenow":true,"requests":[{"id":"P","required":"primary-required","metadata":[],
	 "fields":{"username":{"type":"string","label":"Username","help":""},
	           "pin":{"type":"string","label":"PIN","help":"","sensitive":true},
	           "password":{"type":"password","label":"Password","help":"","sensitive":true}}}]}`
	ts := scriptedWiki(t, info, `{"clientlogin":{"status":"FAIL","message":"Wrong PIN.","messagecode":"wrongpin"}}`)
	e := newEnvFor(t, "/", ts.URL+"/api.php", nil, nil)
	b := browsertest.New(t)
	p := b.Get(e.base+"/").Form("/login").Set("username", "Alice").Set("pin", "pin-secret-8642").Set("password", "pw-secret-123").Submit()
	mustContain(t, p, "Wrong PIN.")
	mustNotContain(t, p, "pin-secret-8642", "pw-secret-123")
	if v, _ := browsertest.Attr(p.Input("pin"), "value"); v != "" {
		t.Fatalf("the PIN was filled in again: %q", v)
	}
	if v, _ := browsertest.Attr(p.Input("username"), "value"); v != "Alice" {
		t.Fatalf("user name not kept: %q", v)
	}
	if strings.Contains(e.logs.String(), "pin-secret-8642") {
		t.Fatal("the PIN is in the log")
	}
}
