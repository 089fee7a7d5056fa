package demowiki

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// shape lists the JSON paths of a document: object keys, "[]" for array
// elements, and "*" for the keys that name data rather than structure
// (field names, option values, token names are structure and kept).
func shape(v any, prefix string, out map[string]bool) {
	switch x := v.(type) {
	case map[string]any:
		out[prefix+"{}"] = true
		for k, e := range x {
			name := k
			if strings.HasSuffix(prefix, "fields.") || strings.HasSuffix(prefix, "options.") || strings.HasSuffix(prefix, "metadata.") {
				name = "*"
			}
			shape(e, prefix+name+".", out)
		}
	case []any:
		out[prefix+"[]"] = true
		for _, e := range x {
			shape(e, prefix+"[].", out)
		}
	default:
		out[prefix+typeName(v)] = true
	}
}

func typeName(v any) string {
	switch v.(type) {
	case string:
		return "string"
	case float64:
		return "number"
	case bool:
		return "bool"
	}
	return "null"
}

type client struct {
	t   *testing.T
	api string
	hc  *http.Client
}

func (c *client) call(post bool, params url.Values) map[string]any {
	c.t.Helper()
	params.Set("format", "json")
	params.Set("formatversion", "2")
	params.Set("errorformat", "plaintext")
	var resp *http.Response
	var err error
	if post {
		resp, err = c.hc.PostForm(c.api, params)
	} else {
		resp, err = c.hc.Get(c.api + "?" + params.Encode())
	}
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		c.t.Fatalf("%s: %v", b, err)
	}
	return m
}

func (c *client) token() string {
	m := c.call(false, url.Values{"action": {"query"}, "meta": {"tokens"}, "type": {"login"}})
	return m["query"].(map[string]any)["tokens"].(map[string]any)["logintoken"].(string)
}

func (c *client) login(fields url.Values) map[string]any {
	fields.Set("action", "clientlogin")
	fields.Set("loginmergerequestfields", "1")
	fields.Set("loginmessageformat", "html")
	if fields.Get("logintoken") == "" {
		fields.Set("logintoken", c.token())
	}
	if fields.Get("logincontinue") == "" {
		fields.Set("loginreturnurl", "http://127.0.0.1:9999/callback")
	}
	return c.call(true, fields)
}

// TestShapesMatchRealMediaWiki compares the demo wiki's answers with the
// answers recorded from the real test MediaWiki 1.39
// (mwclient/testdata/real, scripts/testwiki/record.sh): the same keys at the
// same places with the same JSON types.
func TestShapesMatchRealMediaWiki(t *testing.T) {
	ts := httptest.NewServer(New())
	defer ts.Close()
	newClient := func() *client {
		jar, _ := cookiejar.New(nil)
		return &client{t: t, api: ts.URL + "/api.php", hc: &http.Client{Jar: jar}}
	}
	redirect := func(c *client) map[string]any { return c.login(url.Values{SSOButton: {"1"}}) }
	sso := func(identity string) map[string]any {
		c := newClient()
		target := redirect(c)["clientlogin"].(map[string]any)["redirecttarget"].(string)
		u, _ := url.Parse(target)
		noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		resp, err := noFollow.PostForm(ts.URL+"/idp", url.Values{"returnto": {u.Query().Get("returnto")}, "state": {u.Query().Get("state")}, "identity": {identity}})
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		back, _ := url.Parse(resp.Header.Get("Location"))
		return c.login(url.Values{"logincontinue": {"1"}, "code": {back.Query().Get("code")}, "state": {back.Query().Get("state")}})
	}
	cases := map[string]func() map[string]any{
		"tokens_login.json": func() map[string]any {
			return newClient().call(false, url.Values{"action": {"query"}, "meta": {"tokens"}, "type": {"login"}})
		},
		"authmanagerinfo_login_nomerge.json": func() map[string]any {
			return newClient().call(false, url.Values{"action": {"query"}, "meta": {"authmanagerinfo"}, "amirequestsfor": {"login"}})
		},
		"authmanagerinfo_login.json": func() map[string]any {
			return newClient().call(false, url.Values{"action": {"query"}, "meta": {"authmanagerinfo"}, "amirequestsfor": {"login"}, "amimergerequestfields": {"1"}})
		},
		"clientlogin_fail_wrongpassword.json": func() map[string]any {
			return newClient().login(url.Values{"username": {UserAlice}, "password": {"wrong"}})
		},
		"clientlogin_pass.json": func() map[string]any {
			return newClient().login(url.Values{"username": {UserAlice}, "password": {Password}})
		},
		"clientlogin_ui_oath.json": func() map[string]any {
			return newClient().login(url.Values{"username": {UserBob}, "password": {Password}})
		},
		"clientlogin_ui_oath_wrongcode.json": func() map[string]any {
			c := newClient()
			c.login(url.Values{"username": {UserBob}, "password": {Password}})
			return c.login(url.Values{"logincontinue": {"1"}, "OATHToken": {"000000"}})
		},
		"clientlogin_pass_oath.json": func() map[string]any {
			c := newClient()
			c.login(url.Values{"username": {UserBob}, "password": {Password}})
			return c.login(url.Values{"logincontinue": {"1"}, "OATHToken": {TOTP(TOTPSecret, time.Now())}})
		},
		"clientlogin_redirect.json": func() map[string]any { return redirect(newClient()) },
		"clientlogin_pass_sso.json": func() map[string]any { return sso(IdentityCarol) },
		"clientlogin_restart.json":  func() map[string]any { return sso(IdentityStranger) },
		"clientlogin_fail_notinprogress.json": func() map[string]any {
			return newClient().login(url.Values{"logincontinue": {"1"}})
		},
		"error_badtoken.plaintext.json": func() map[string]any {
			c := newClient()
			c.token()
			return c.login(url.Values{"logintoken": {"bad+\\"}, "username": {UserAlice}, "password": {Password}})
		},
		"error_assertuserfailed.plaintext.json": func() map[string]any {
			return newClient().call(false, url.Values{"action": {"query"}, "meta": {"userinfo"}, "assert": {"user"}})
		},
		"userinfo_assert_user.json": func() map[string]any {
			c := newClient()
			c.login(url.Values{"username": {UserAlice}, "password": {Password}})
			return c.call(false, url.Values{"action": {"query"}, "meta": {"userinfo"}, "assert": {"user"}})
		},
		"login_botpassword_success.json": func() map[string]any {
			c := newClient()
			return c.call(true, url.Values{"action": {"login"}, "lgname": {BotName}, "lgpassword": {BotPassword}, "lgtoken": {c.token()}})
		},
		"login_botpassword_failed.json": func() map[string]any {
			c := newClient()
			return c.call(true, url.Values{"action": {"login"}, "lgname": {BotName}, "lgpassword": {"wrong"}, "lgtoken": {c.token()}})
		},
	}
	alice := func() *client {
		c := newClient()
		c.login(url.Values{"username": {UserAlice}, "password": {Password}})
		return c
	}
	edit := func(c *client, title, text string) map[string]any {
		tok := c.call(false, url.Values{"action": {"query"}, "meta": {"tokens"}})["query"].(map[string]any)["tokens"].(map[string]any)["csrftoken"].(string)
		return c.call(true, url.Values{"action": {"edit"}, "title": {title}, "text": {text}, "summary": {"recorded"}, "token": {tok}})
	}
	// One page with two revisions by Alice, for the reads.
	editor := alice()
	edit(editor, "Record sandbox", "one")
	edit(editor, "Record sandbox", "two")
	cases["edit_new.json"] = func() map[string]any { return edit(alice(), "New page", "new") }
	cases["edit_success.json"] = func() map[string]any { return edit(alice(), MainPage, "three") }
	cases["edit_nochange.json"] = func() map[string]any { return edit(alice(), "Record sandbox", "two") }
	cases["error_edit_permissiondenied.plaintext.json"] = func() map[string]any { return edit(newClient(), "Record sandbox", "anon") }
	cases["revisions_history.json"] = func() map[string]any {
		return newClient().call(false, url.Values{"action": {"query"}, "prop": {"revisions"}, "titles": {"Record_sandbox"},
			"rvprop": {"ids|timestamp|user|comment"}, "rvlimit": {"1"}})
	}
	cases["revisions_content.json"] = func() map[string]any {
		return newClient().call(false, url.Values{"action": {"query"}, "prop": {"revisions"}, "titles": {"Record sandbox|Missing page"},
			"rvprop": {"ids|timestamp|user|comment|content"}, "rvslots": {"main"}})
	}
	cases["allpages.json"] = func() map[string]any {
		return newClient().call(false, url.Values{"action": {"query"}, "list": {"allpages"}, "aplimit": {"1"}})
	}
	for file, demo := range cases {
		t.Run(file, func(t *testing.T) {
			b, err := os.ReadFile(filepath.Join("..", "..", "mwclient", "testdata", "real", file))
			if err != nil {
				t.Fatal(err)
			}
			var real map[string]any
			if err := json.Unmarshal(b, &real); err != nil {
				t.Fatal(err)
			}
			want, got := map[string]bool{}, map[string]bool{}
			// Warnings depend on the parameters a call happened to send.
			delete(real, "warnings")
			shape(real, "", want)
			shape(demo(), "", got)
			var missing, extra []string
			for k := range want {
				if !got[k] {
					missing = append(missing, k)
				}
			}
			for k := range got {
				if !want[k] {
					extra = append(extra, k)
				}
			}
			slices.Sort(missing)
			slices.Sort(extra)
			if len(missing)+len(extra) > 0 {
				t.Errorf("the demo's answer differs from MediaWiki's:\n  missing %q\n  extra %q", missing, extra)
			}
		})
	}
}
