package testwiki

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var record = flag.Bool("record", false, "re-record the real MediaWiki answers into mwclient/testdata/real (scripts/testwiki/record.sh)")

// recorder saves pretty-printed API answers.
type recorder struct {
	t   *testing.T
	dir string
	n   int
}

func (r *recorder) save(name string, a answer) {
	r.t.Helper()
	var buf bytes.Buffer
	if err := json.Indent(&buf, a.raw, "", "  "); err != nil {
		r.t.Fatalf("%s: %v: %s", name, err, a.raw)
	}
	buf.WriteByte('\n')
	if err := os.WriteFile(filepath.Join(r.dir, name+".json"), buf.Bytes(), 0o644); err != nil {
		r.t.Fatal(err)
	}
	r.n++
}

// raw sends a request exactly as given (method, query, form) and returns the
// answer even when it is an API error.
func raw(ctx context.Context, c *apiClient, method string, query, form url.Values) (answer, error) {
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequestWithContext(ctx, method, c.url+"?"+query.Encode(), body)
	if err != nil {
		return answer{}, err
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return answer{}, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return answer{}, err
	}
	a := answer{raw: b}
	if err := json.Unmarshal(b, &a.m); err != nil {
		return a, fmt.Errorf("not JSON: %v: %.200s", err, b)
	}
	return a, nil
}

// TestRecord re-records mwclient/testdata/real/*.json from the real wiki.
// Run: scripts/testwiki/record.sh (go test ./internal/testwiki -run TestRecord -record).
func TestRecord(t *testing.T) {
	if !*record {
		t.Skip("only with -record (scripts/testwiki/record.sh)")
	}
	wk := Require(t)
	ctx := ctxT(t)
	root, err := RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	must := func(a answer, err error) answer {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	r := &recorder{t: t, dir: filepath.Join(root, "mwclient", "testdata", "real")}
	if err := os.MkdirAll(r.dir, 0o755); err != nil {
		t.Fatal(err)
	}
	fv2 := func(kv ...string) url.Values {
		v := url.Values{"format": {"json"}, "formatversion": {"2"}}
		for i := 0; i+1 < len(kv); i += 2 {
			v.Set(kv[i], kv[i+1])
		}
		return v
	}
	// Both error formats for answers that carry errors or warnings.
	both := func(name string, do func(errorformat string) (answer, error)) {
		a, err := do("")
		r.save(name, must(a, err))
		a, err = do("plaintext")
		r.save(name+".plaintext", must(a, err))
	}
	withEF := func(v url.Values, ef string) url.Values {
		if ef != "" {
			v.Set("errorformat", ef)
		}
		return v
	}
	cl := func(c *apiClient, fields url.Values) answer {
		a, err := c.clientLogin(ctx, fields)
		return must(a, err)
	}

	// meta=tokens type=login.
	c := newClient(wk.APIURL)
	r.save("tokens_login", must(raw(ctx, c, "GET", fv2("action", "query", "meta", "tokens", "type", "login"), nil)))

	// meta=authmanagerinfo: plain, German, with captcha (German too).
	ami := func(c *apiClient, lang string) answer {
		q := fv2("action", "query", "meta", "authmanagerinfo", "amirequestsfor", "login", "amimergerequestfields", "1")
		if lang != "" {
			q.Set("uselang", lang)
		}
		return must(raw(ctx, c, "GET", q, nil))
	}
	r.save("authmanagerinfo_login", ami(c, ""))
	r.save("authmanagerinfo_login.de", ami(c, "de"))
	// Without amimergerequestfields.
	r.save("authmanagerinfo_login_nomerge", must(raw(ctx, c, "GET",
		fv2("action", "query", "meta", "authmanagerinfo", "amirequestsfor", "login"), nil)))

	// clientlogin PASS (password) and FAIL (wrong password).
	r.save("clientlogin_pass", cl(newClient(wk.APIURL), url.Values{"username": {AliceUser}, "password": {AlicePassword}, "loginreturnurl": {returnURL}}))
	r.save("clientlogin_pass_rememberme", cl(newClient(wk.APIURL), url.Values{"username": {AliceUser}, "password": {AlicePassword}, "rememberMe": {"1"}, "loginreturnurl": {returnURL}}))
	r.save("clientlogin_fail_wrongpassword", cl(newClient(wk.APIURL), url.Values{"username": {AliceUser}, "password": {"wrong"}, "loginreturnurl": {returnURL}}))
	r.save("clientlogin_fail_nosuchuser", cl(newClient(wk.APIURL), url.Values{"username": {"Nobody"}, "password": {"wrong"}, "loginreturnurl": {returnURL}}))
	q := url.Values{"username": {AliceUser}, "password": {"wrong"}, "loginreturnurl": {returnURL}}
	q.Set("uselang", "de")
	r.save("clientlogin_fail_wrongpassword.de", cl(newClient(wk.APIURL), q))

	// OATH: UI, UI after a wrong code, PASS.
	bob := newClient(wk.APIURL)
	r.save("clientlogin_ui_oath", cl(bob, url.Values{"username": {BobUser}, "password": {BobPassword}, "loginreturnurl": {returnURL}}))
	r.save("clientlogin_ui_oath_wrongcode", cl(bob, url.Values{"logincontinue": {"1"}, "OATHToken": {"000000"}}))
	code, err := wk.NextTOTP(ctx)
	if err != nil {
		t.Fatal(err)
	}
	r.save("clientlogin_pass_oath", cl(bob, url.Values{"logincontinue": {"1"}, "OATHToken": {code}}))

	// SSO: REDIRECT, PASS as Carol, RESTART, FAIL (bad state).
	sso := func(identity string, state func(string) string) (redirect, final answer) {
		c := newClient(wk.APIURL)
		redirect = cl(c, url.Values{SSOButtonField: {"1"}, "loginreturnurl": {returnURL}})
		back, err := ChooseIdentity(ctx, redirect.str("clientlogin", "redirecttarget"), identity)
		if err != nil {
			t.Fatal(err)
		}
		st := back.Query().Get("state")
		if state != nil {
			st = state(st)
		}
		final = cl(c, url.Values{"logincontinue": {"1"}, "code": {back.Query().Get("code")}, "state": {st}})
		return
	}
	red, pass := sso(SSOMappedIdentity, nil)
	r.save("clientlogin_redirect", red)
	r.save("clientlogin_pass_sso", pass)
	_, restart := sso(SSOUnmappedIdentity, nil)
	r.save("clientlogin_restart", restart)
	_, bad := sso(SSOMappedIdentity, func(string) string { return "wrong-state" })
	r.save("clientlogin_fail_sso_state", bad)

	// Captcha: FAIL of the attempt that needs it, authmanagerinfo with it
	// (en, de), PASS with the answer.
	hc := NewHTTPClient()
	dave := &apiClient{url: wk.APIURL, http: hc}
	r.save("clientlogin_fail_captcha_trigger", cl(dave, url.Values{"username": {DaveUser}, "password": {"wrong"}, "loginreturnurl": {returnURL}}))
	r.save("clientlogin_fail_captcha_needed", cl(dave, url.Values{"username": {DaveUser}, "password": {DavePassword}, "loginreturnurl": {returnURL}}))
	r.save("authmanagerinfo_login_captcha.de", ami(dave, "de"))
	withCaptcha := ami(dave, "")
	r.save("authmanagerinfo_login_captcha", withCaptcha)
	r.save("clientlogin_pass_captcha", cl(dave, url.Values{"username": {DaveUser}, "password": {DavePassword},
		"captchaId":   {withCaptcha.str("query", "authmanagerinfo", "fields", "captchaId", "value")},
		"captchaWord": {CaptchaAnswer}, "loginreturnurl": {returnURL}}))

	// Wiki session lost in the middle of a flow.
	lost := newClient(wk.APIURL)
	cl(lost, url.Values{"username": {BobUser}, "password": {BobPassword}, "loginreturnurl": {returnURL}})
	if err := wk.ExpireSessions(); err != nil {
		t.Fatal(err)
	}
	code, err = wk.NextTOTP(ctx)
	if err != nil {
		t.Fatal(err)
	}
	r.save("clientlogin_fail_notinprogress", cl(lost, url.Values{"logincontinue": {"1"}, "OATHToken": {code}}))

	// Errors, in the default ("bc") and the plaintext error format.
	both("error_badtoken", func(ef string) (answer, error) {
		return raw(ctx, newClient(wk.APIURL), "POST", withEF(fv2(), ef), url.Values{
			"action": {"clientlogin"}, "logintoken": {"bad+\\"}, "username": {AliceUser},
			"password": {AlicePassword}, "loginreturnurl": {returnURL}})
	})
	both("error_missingparam", func(ef string) (answer, error) {
		return raw(ctx, newClient(wk.APIURL), "POST", withEF(fv2(), ef), url.Values{
			"action": {"clientlogin"}, "username": {AliceUser}, "password": {AlicePassword}, "loginreturnurl": {returnURL}})
	})
	both("error_missingparam_returnurl", func(ef string) (answer, error) {
		c := newClient(wk.APIURL)
		tok, err := c.token(ctx, "login")
		if err != nil {
			return answer{}, err
		}
		return raw(ctx, c, "POST", withEF(fv2(), ef), url.Values{
			"action": {"clientlogin"}, "logintoken": {tok}, "username": {AliceUser}, "password": {AlicePassword}})
	})
	both("error_mustpostparams", func(ef string) (answer, error) {
		c := newClient(wk.APIURL)
		tok, err := c.token(ctx, "login")
		if err != nil {
			return answer{}, err
		}
		return raw(ctx, c, "POST", withEF(fv2("logintoken", tok), ef), url.Values{
			"action": {"clientlogin"}, "username": {AliceUser}, "password": {AlicePassword}, "loginreturnurl": {returnURL}})
	})
	both("error_mustbeposted", func(ef string) (answer, error) {
		// clientlogin checks its token first: a GET of it never gets here.
		return raw(ctx, newClient(wk.APIURL), "GET", withEF(fv2("action", "login"), ef), nil)
	})
	both("clientlogin_warning_unrecognized", func(ef string) (answer, error) {
		c := newClient(wk.APIURL)
		tok, err := c.token(ctx, "login")
		if err != nil {
			return answer{}, err
		}
		return raw(ctx, c, "POST", withEF(fv2(), ef), url.Values{
			"action": {"clientlogin"}, "logintoken": {tok}, "username": {AliceUser}, "password": {AlicePassword},
			"loginreturnurl": {returnURL}, "bogusfield": {"1"}})
	})

	// meta=userinfo with assert=user: success and assertuserfailed.
	alice := newClient(wk.APIURL)
	cl(alice, url.Values{"username": {AliceUser}, "password": {AlicePassword}, "loginreturnurl": {returnURL}})
	r.save("userinfo_assert_user", must(raw(ctx, alice, "GET", fv2("action", "query", "meta", "userinfo", "assert", "user"), nil)))
	r.save("userinfo_anon", must(raw(ctx, newClient(wk.APIURL), "GET", fv2("action", "query", "meta", "userinfo"), nil)))
	both("error_assertuserfailed", func(ef string) (answer, error) {
		return raw(ctx, newClient(wk.APIURL), "GET", withEF(fv2("action", "query", "meta", "userinfo", "assert", "user"), ef), nil)
	})

	// Logout (needs a csrf token), and logout with a bad token.
	both("error_logout_badtoken", func(ef string) (answer, error) {
		return raw(ctx, alice, "POST", withEF(fv2(), ef), url.Values{"action": {"logout"}, "token": {"bad+\\"}})
	})
	csrf, err := alice.token(ctx, "csrf")
	if err != nil {
		t.Fatal(err)
	}
	r.save("tokens_csrf", must(raw(ctx, alice, "GET", fv2("action", "query", "meta", "tokens"), nil)))
	r.save("logout", must(raw(ctx, alice, "POST", fv2(), url.Values{"action": {"logout"}, "token": {csrf}})))

	// Acting as a user: action=edit (new page, new revision, no change,
	// refused to an anonymous user), prop=revisions (history continued,
	// content) and list=allpages (continued).
	editor := newClient(wk.APIURL)
	cl(editor, url.Values{"username": {AliceUser}, "password": {AlicePassword}, "loginreturnurl": {returnURL}})
	edit := func(c *apiClient, ef, text string) (answer, error) {
		tok, err := c.token(ctx, "csrf")
		if err != nil {
			return answer{}, err
		}
		return raw(ctx, c, "POST", withEF(fv2(), ef), url.Values{"action": {"edit"}, "title": {"Record sandbox"},
			"text": {text}, "summary": {"recorded"}, "token": {tok}})
	}
	r.save("edit_new", must(edit(editor, "plaintext", "one")))
	r.save("edit_success", must(edit(editor, "plaintext", "two")))
	r.save("edit_nochange", must(edit(editor, "plaintext", "two")))
	both("error_edit_permissiondenied", func(ef string) (answer, error) { return edit(newClient(wk.APIURL), ef, "anon") })
	r.save("revisions_history", must(raw(ctx, editor, "GET", fv2("action", "query", "prop", "revisions", "titles", "Record_sandbox",
		"rvprop", "ids|timestamp|user|comment", "rvlimit", "1", "errorformat", "plaintext"), nil)))
	r.save("revisions_content", must(raw(ctx, editor, "GET", fv2("action", "query", "prop", "revisions", "titles", "Record sandbox|Missing page",
		"rvprop", "ids|timestamp|user|comment|content", "rvslots", "main", "errorformat", "plaintext"), nil)))
	r.save("allpages", must(raw(ctx, editor, "GET", fv2("action", "query", "list", "allpages", "aplimit", "1", "errorformat", "plaintext"), nil)))

	// action=login with the bot password: Success and Failed.
	bot := func(pass string) answer {
		c := newClient(wk.APIURL)
		tok, err := c.token(ctx, "login")
		if err != nil {
			t.Fatal(err)
		}
		return must(raw(ctx, c, "POST", fv2(), url.Values{"action": {"login"},
			"lgname": {AliceBotUser}, "lgpassword": {pass}, "lgtoken": {tok}}))
	}
	r.save("login_botpassword_success", bot(AliceBotPassword))
	both("login_needtoken", func(ef string) (answer, error) {
		return raw(ctx, newClient(wk.APIURL), "POST", withEF(fv2(), ef), url.Values{"action": {"login"},
			"lgname": {AliceBotUser}, "lgpassword": {AliceBotPassword}})
	})
	r.save("login_wrongtoken", must(raw(ctx, newClient(wk.APIURL), "POST", fv2(), url.Values{"action": {"login"},
		"lgname": {AliceBotUser}, "lgpassword": {AliceBotPassword}, "lgtoken": {"bad+\\"}})))
	r.save("login_botpassword_failed", bot("wrong-bot-password"))

	t.Logf("recorded %d answers into %s", r.n, r.dir)
}
