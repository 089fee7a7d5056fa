package handlers_test

import (
	"strings"
	"testing"

	"golang.org/x/net/html"

	"github.com/mwlogin/mwlogin/internal/browsertest"
	"github.com/mwlogin/mwlogin/internal/demowiki"
)

func value(n *html.Node) string {
	v, _ := browsertest.Attr(n, "value")
	return v
}

func has(n *html.Node, attr string) bool {
	_, ok := browsertest.Attr(n, attr)
	return ok
}

// selected reports whether the option value of a select is selected.
func selected(p *browsertest.Page, name, option string) bool {
	for _, o := range p.Find(browsertest.ByTag("option", "value", option)) {
		if o.Parent != nil && o.Parent.Data == "select" {
			if n, _ := browsertest.Attr(o.Parent, "name"); n == name {
				return has(o, "selected")
			}
		}
	}
	return false
}

// checked reports whether the checkbox name with value is ticked.
func checked(p *browsertest.Page, name, val string) bool {
	for _, n := range p.Find(browsertest.ByTag("input", "name", name)) {
		if value(n) == val {
			return has(n, "checked")
		}
	}
	return false
}

// When the wiki shows a step again after a wrong answer, what the user
// typed that is not secret is still there; passwords, fields the wiki
// marks sensitive, a captcha's answer and a two-factor code are not.
func TestAnswersKeptAfterWrongAnswer(t *testing.T) {
	t.Run("UI step", func(t *testing.T) {
		e := newEnv(t, "/")
		b := browsertest.New(t)
		p := login(t, e, b, "Erin", demowiki.Password)
		f := p.Form("/login").Set("nickname", "Eri").Set("pin", "0000").Set("colour", "blue").Set("terms", "1")
		f.Values.Add("topics", "art")
		f.Values.Add("topics", "history")
		p = f.Submit()
		mustContain(t, p, "Please fill in")
		if got := value(p.Input("nickname")); got != "Eri" {
			t.Errorf("nickname %q, want the one typed", got)
		}
		if has(p.Input("pin"), "value") {
			t.Error("the PIN (sensitive) is filled in again")
		}
		mustNotContain(t, p, "0000")
		if !selected(p, "colour", "blue") || selected(p, "colour", "green") {
			t.Error("the colour chosen is not kept")
		}
		if !checked(p, "topics", "art") || !checked(p, "topics", "history") || checked(p, "topics", "science") {
			t.Error("the topics chosen are not kept")
		}
		if !checked(p, "terms", "1") || checked(p, "newsletter", "1") {
			t.Error("the checkboxes are not as left")
		}
		p = p.Form("/login").Set("pin", "1234").Submit()
		mustContain(t, p, "holds your sign-in to", " as Erin")
	})
	t.Run("captcha", func(t *testing.T) {
		e := newEnv(t, "/")
		b := browsertest.New(t)
		p := login(t, e, b, "Dave", "wrong")
		p = p.Form("/login").Set("password", demowiki.Password).Set("captchaWord", "green").Submit()
		mustContain(t, p, "Incorrect username or password", demowiki.CaptchaQuestion)
		if got := value(p.Input("username")); got != "Dave" {
			t.Errorf("user name %q", got)
		}
		for _, secret := range []string{"password", "captchaWord"} {
			if has(p.Input(secret), "value") {
				t.Errorf("%s filled in again", secret)
			}
		}
		mustNotContain(t, p, `value="green"`)
	})
	t.Run("two-factor code", func(t *testing.T) {
		e := newEnv(t, "/")
		b := browsertest.New(t)
		p := login(t, e, b, "Bob", demowiki.Password)
		p = p.Form("/login").Set("OATHToken", "000000").Submit()
		mustContain(t, p, "Verification failed")
		if has(p.Input("OATHToken"), "value") {
			t.Error("the wrong code is filled in again")
		}
	})
}

// The fields carry what browsers, password managers and screen readers
// need: autocomplete tokens, and the captcha's question tied to its answer.
func TestFieldHints(t *testing.T) {
	e := newEnv(t, "/")
	b := browsertest.New(t)
	p := b.Get(e.base + "/")
	attr := func(p *browsertest.Page, name, key string) string {
		t.Helper()
		n := p.Input(name)
		if n == nil {
			t.Fatalf("no field %s: %s", name, p.Text())
		}
		v, _ := browsertest.Attr(n, key)
		return v
	}
	if attr(p, "username", "autocomplete") != "username" || attr(p, "password", "autocomplete") != "current-password" {
		t.Errorf("login form: username %q, password %q", attr(p, "username", "autocomplete"), attr(p, "password", "autocomplete"))
	}

	p = login(t, e, browsertest.New(t), "Bob", demowiki.Password)
	if attr(p, "OATHToken", "autocomplete") != "one-time-code" || has(p.Input("OATHToken"), "inputmode") {
		t.Errorf("two-factor code: autocomplete %q, inputmode %v", attr(p, "OATHToken", "autocomplete"), has(p.Input("OATHToken"), "inputmode"))
	}

	p = login(t, e, browsertest.New(t), "Erin", demowiki.Password)
	if got := attr(p, "pin", "autocomplete"); got != "off" {
		t.Errorf("a provider's PIN: autocomplete %q, want off (not the account's password)", got)
	}

	p = login(t, e, browsertest.New(t), "Dave", "wrong")
	if got := attr(p, "captchaWord", "autocomplete"); got != "off" {
		t.Errorf("captcha answer: autocomplete %q", got)
	}
	ids := strings.Fields(attr(p, "captchaWord", "aria-describedby"))
	question := false
	for _, id := range ids {
		for _, n := range p.Find(browsertest.ByTag("div", "id", id)) {
			if strings.Contains(text(n), demowiki.CaptchaQuestion) {
				question = true
			}
		}
	}
	if !question {
		t.Errorf("the captcha answer is described by %v, none of which holds the question", ids)
	}
}

// text is the text content of n.
func text(n *html.Node) string {
	if n.Type == html.TextNode {
		return n.Data
	}
	var b strings.Builder
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		b.WriteString(text(c))
	}
	return b.String()
}
