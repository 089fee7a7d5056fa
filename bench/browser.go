package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/mwlogin/mwlogin/bench/standin"
	"github.com/mwlogin/mwlogin/internal/demowiki"
)

// kind is what a simulated login does.
type kind int

const (
	kindPassword kind = iota // Alice: form, password, PASS
	kind2FA                  // Bob: form, password, UI (TOTP code), PASS
	kindSSO                  // Carol: form, SSO button, REDIRECT page, IdP, return, PASS
	nKinds
)

var kindNames = [nKinds]string{"password", "2fa", "sso"}
var kindUsers = [nKinds]string{standin.UserAlice, standin.UserBob, standin.UserCarol}

// browser is one simulated browser: its own connections to the app (and to
// the identity provider), and a new cookie jar for every login, as a new
// user would have.
type browser struct {
	base *url.URL // the app's URL
	c    *client
	buf  bytes.Buffer
}

var browserHeader = http.Header{
	"User-Agent":      {"Mozilla/5.0 (X11; Linux x86_64) mwlogin-bench"},
	"Accept":          {"text/html,application/xhtml+xml"},
	"Accept-Language": {"en"},
}

func newBrowser(base string) *browser {
	u, err := url.Parse(strings.TrimRight(base, "/") + "/")
	if err != nil {
		panic(err)
	}
	return &browser{base: u, c: newClient(browserHeader)}
}

func (b *browser) close() { b.c.close() }

// page is a loaded page.
type page struct {
	url    *url.URL
	status int
	body   string
}

func (b *browser) load(method string, u *url.URL, form url.Values) (*page, error) {
	var body []byte
	ct := ""
	if form != nil {
		body, ct = []byte(form.Encode()), "application/x-www-form-urlencoded"
	}
	r, err := b.c.do(method, u, ct, body, &b.buf)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", method, u.Path, err)
	}
	return &page{url: r.url, status: r.status, body: r.body}, nil
}

func (b *browser) get(u *url.URL) (*page, error) { return b.load(http.MethodGet, u, nil) }

// post sends a form the way a browser does from a page of the same site.
func (b *browser) post(u *url.URL, v url.Values) (*page, error) {
	return b.load(http.MethodPost, u, v)
}

// login does one complete login of kind k, as a browser does it: load the
// form, post it, follow the redirects, answer the 2FA step or go through
// the identity provider, and check the signed-in page names the user.
func (b *browser) login(k kind) error {
	b.c.jar = jar{}
	p, err := b.get(b.base)
	if err != nil {
		return err
	}
	if err := want(p, http.StatusOK, "login form"); err != nil {
		return err
	}
	f, err := formOf(p, "/login")
	if err != nil {
		return err
	}
	switch k {
	case kindSSO:
		if !f.hasButton(standin.SSOButton) {
			return fmt.Errorf("login form has no %s button", standin.SSOButton)
		}
		f.values.Set(standin.SSOButton, "1")
	default:
		f.values.Set("username", kindUsers[k])
		f.values.Set("password", standin.Password)
	}
	if p, err = b.post(f.action, f.values); err != nil {
		return err
	}
	switch k {
	case kind2FA:
		if err := want(p, http.StatusOK, "2FA step"); err != nil {
			return err
		}
		f, err := formOf(p, "/login")
		if err != nil {
			return err
		}
		if _, ok := f.values["OATHToken"]; !ok {
			return errors.New("the 2FA step has no OATHToken field")
		}
		f.values.Set("OATHToken", demowiki.TOTP(demowiki.TOTPSecret, time.Now()))
		if p, err = b.post(f.action, f.values); err != nil {
			return err
		}
	case kindSSO:
		if err := want(p, http.StatusOK, "redirect page"); err != nil {
			return err
		}
		target := metaRefresh(p.body)
		if target == "" {
			return errors.New("the REDIRECT page has no meta refresh")
		}
		u, err := p.url.Parse(target)
		if err != nil {
			return err
		}
		// The IdP sends the browser back to /return, which answers with a
		// redirect to the signed-in page: all followed here.
		if p, err = b.get(u); err != nil {
			return err
		}
	}
	if err := want(p, http.StatusOK, "signed-in page"); err != nil {
		return err
	}
	name := kindUsers[k]
	if !strings.Contains(p.body, `class="username">`+name+`</strong>`) {
		return fmt.Errorf("final page %s does not name %s as signed in: %.300q", p.url.Path, name, text(p.body))
	}
	return nil
}

// pending starts a two-factor login and leaves it at the code step: a
// pending flow the app keeps in its store.
func (b *browser) pending() error {
	b.c.jar = jar{}
	p, err := b.get(b.base)
	if err != nil {
		return err
	}
	f, err := formOf(p, "/login")
	if err != nil {
		return err
	}
	f.values.Set("username", standin.UserBob)
	f.values.Set("password", standin.Password)
	if p, err = b.post(f.action, f.values); err != nil {
		return err
	}
	if err := want(p, http.StatusOK, "2FA step"); err != nil {
		return err
	}
	if !strings.Contains(p.body, `name="OATHToken"`) {
		return fmt.Errorf("no two-factor step: %.200q", text(p.body))
	}
	return nil
}

func want(p *page, status int, what string) error {
	if p.status != status {
		return fmt.Errorf("%s: %s answered HTTP %d: %.200q", what, p.url.Path, p.status, text(p.body))
	}
	return nil
}

// text is a page's body with tags dropped, for error messages.
func text(body string) string {
	var b strings.Builder
	in := false
	for _, r := range body {
		switch {
		case r == '<':
			in = true
		case r == '>':
			in = false
			b.WriteByte(' ')
		case !in:
			b.WriteRune(r)
		}
	}
	return strings.Join(strings.Fields(b.String()), " ")
}

// form is an HTML form: its action and the values a browser would send
// (hidden and text inputs, ticked checkboxes), and its named buttons.
type form struct {
	action  *url.URL
	values  url.Values
	buttons []string
}

func (f *form) hasButton(name string) bool {
	for _, b := range f.buttons {
		if b == name {
			return true
		}
	}
	return false
}

// formOf finds the first form whose action ends with suffix. It is a small
// scanner, not a full HTML parser: the load generator shares the CPU with
// the app, so it must stay cheap. The bench test checks it against the
// app's real pages.
func formOf(p *page, suffix string) (*form, error) {
	body := p.body
	for {
		i := strings.Index(body, "<form")
		if i < 0 {
			return nil, fmt.Errorf("no form with action ending %q on %s (HTTP %d): %.300q", suffix, p.url.Path, p.status, text(p.body))
		}
		body = body[i:]
		end := strings.Index(body, "</form>")
		if end < 0 {
			end = len(body)
		}
		tagEnd := strings.IndexByte(body, '>')
		attrs := parseAttrs(body[len("<form"):tagEnd])
		if action := attrs["action"]; strings.HasSuffix(action, suffix) {
			u, err := p.url.Parse(action)
			if err != nil {
				return nil, err
			}
			f := &form{action: u, values: url.Values{}}
			f.collect(body[tagEnd+1 : end])
			return f, nil
		}
		body = body[end:]
	}
}

func (f *form) collect(inner string) {
	for {
		i := strings.IndexByte(inner, '<')
		if i < 0 {
			return
		}
		inner = inner[i+1:]
		j := strings.IndexByte(inner, '>')
		if j < 0 {
			return
		}
		tag := inner[:j]
		inner = inner[j+1:]
		switch {
		case strings.HasPrefix(tag, "input "):
			a := parseAttrs(tag[len("input"):])
			name, ok := a["name"]
			if !ok {
				continue
			}
			if _, disabled := a["disabled"]; disabled {
				continue
			}
			switch a["type"] {
			case "submit", "button", "image", "reset":
			case "checkbox", "radio":
				if _, on := a["checked"]; on {
					v := a["value"]
					if v == "" {
						v = "on"
					}
					f.values.Add(name, v)
				}
			default:
				f.values.Add(name, a["value"])
			}
		case strings.HasPrefix(tag, "button "):
			if name, ok := parseAttrs(tag[len("button"):])["name"]; ok {
				f.buttons = append(f.buttons, name)
			}
		}
	}
}

// parseAttrs reads the attributes of a tag (the text after its name).
func parseAttrs(s string) map[string]string {
	out := make(map[string]string, 8)
	for {
		s = strings.TrimLeft(s, " \t\n\r/")
		if s == "" {
			return out
		}
		n := strings.IndexAny(s, "= \t\n\r")
		if n < 0 {
			out[strings.ToLower(s)] = ""
			return out
		}
		name := strings.ToLower(s[:n])
		s = s[n:]
		if s[0] != '=' {
			out[name] = ""
			continue
		}
		s = s[1:]
		var val string
		if s != "" && (s[0] == '"' || s[0] == '\'') {
			q := s[0]
			e := strings.IndexByte(s[1:], q)
			if e < 0 {
				e = len(s) - 1
			}
			val, s = s[1:1+e], s[min(len(s), e+2):]
		} else {
			e := strings.IndexAny(s, " \t\n\r")
			if e < 0 {
				e = len(s)
			}
			val, s = s[:e], s[e:]
		}
		out[name] = html.UnescapeString(val)
	}
}

// metaRefresh returns the URL of a page's <meta http-equiv="refresh">.
func metaRefresh(body string) string {
	for {
		i := strings.Index(body, "<meta ")
		if i < 0 {
			return ""
		}
		body = body[i+len("<meta "):]
		j := strings.IndexByte(body, '>')
		if j < 0 {
			return ""
		}
		a := parseAttrs(body[:j])
		if strings.EqualFold(a["http-equiv"], "refresh") {
			if _, u, ok := strings.Cut(a["content"], "url="); ok {
				return u
			}
		}
	}
}

// direct is a client of the stand-in wiki itself: a password login as the
// API allows it at its fastest, token then clientlogin, with a fresh wiki
// session (cookie jar) each time. It is the ceiling our app is measured
// against.
type direct struct {
	api *url.URL
	c   *client
	buf bytes.Buffer
}

func newDirect(api string) *direct {
	u, err := url.Parse(api)
	if err != nil {
		panic(err)
	}
	return &direct{api: u, c: newClient(http.Header{"User-Agent": {"mwlogin-bench/direct"}, "Accept": {"application/json"}})}
}

func (d *direct) close() { d.c.close() }

var tokenQuery = "action=query&meta=tokens&type=login&format=json&formatversion=2&errorformat=plaintext"

func (d *direct) call(u *url.URL, body []byte) (string, error) {
	method, ct := http.MethodGet, ""
	if body != nil {
		method, ct = http.MethodPost, "application/x-www-form-urlencoded"
	}
	r, err := d.c.do(method, u, ct, body, &d.buf)
	if err != nil {
		return "", err
	}
	if r.status != http.StatusOK {
		return "", fmt.Errorf("HTTP %d", r.status)
	}
	return r.body, nil
}

func (d *direct) login() error {
	d.c.jar = jar{}
	tu := *d.api
	tu.RawQuery = tokenQuery
	body, err := d.call(&tu, nil)
	if err != nil {
		return fmt.Errorf("tokens: %w", err)
	}
	var tr struct {
		Query struct {
			Tokens struct {
				LoginToken string `json:"logintoken"`
			} `json:"tokens"`
		} `json:"query"`
	}
	if err := json.Unmarshal([]byte(body), &tr); err != nil || tr.Query.Tokens.LoginToken == "" {
		return fmt.Errorf("tokens: no login token in %.200q", body)
	}
	form := url.Values{"action": {"clientlogin"}, "format": {"json"}, "formatversion": {"2"}, "errorformat": {"plaintext"},
		"username": {standin.UserAlice}, "password": {standin.Password}, "logintoken": {tr.Query.Tokens.LoginToken},
		"loginreturnurl": {"http://127.0.0.1/return"}, "loginmessageformat": {"html"}}
	if body, err = d.call(d.api, []byte(form.Encode())); err != nil {
		return fmt.Errorf("clientlogin: %w", err)
	}
	var lr struct {
		ClientLogin struct {
			Status   string `json:"status"`
			Username string `json:"username"`
		} `json:"clientlogin"`
	}
	if err := json.Unmarshal([]byte(body), &lr); err != nil || lr.ClientLogin.Status != "PASS" || lr.ClientLogin.Username != standin.UserAlice {
		return fmt.Errorf("clientlogin: not a PASS for Alice: %.200q", body)
	}
	return nil
}
