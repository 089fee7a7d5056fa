// Package browsertest drives web pages the way a browser without
// JavaScript does, for tests: a cookie jar, real forms parsed from the HTML
// (with their hidden fields and the pressed submit button), and redirects
// followed.
package browsertest

import (
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"

	"golang.org/x/net/html"
)

// Browser is one browser with its own cookies.
type Browser struct {
	t      testing.TB
	Client *http.Client
	// Header is sent with every request (Accept-Language, Origin...).
	Header http.Header
}

// New returns a browser with an empty cookie jar.
func New(t testing.TB) *Browser {
	jar, _ := cookiejar.New(nil)
	return &Browser{t: t, Client: &http.Client{Jar: jar}, Header: http.Header{}}
}

// Page is a loaded page.
type Page struct {
	t      testing.TB
	b      *Browser
	URL    *url.URL
	Status int
	Header http.Header
	Body   string
	doc    *html.Node
}

// Get loads a URL.
func (b *Browser) Get(rawURL string) *Page {
	b.t.Helper()
	req, err := http.NewRequest(http.MethodGet, rawURL, nil)
	if err != nil {
		b.t.Fatalf("GET %s: %v", rawURL, err)
	}
	return b.do(req)
}

// Post sends a form as a browser would from a page of origin.
func (b *Browser) Post(rawURL string, values url.Values) *Page {
	b.t.Helper()
	req, err := http.NewRequest(http.MethodPost, rawURL, strings.NewReader(values.Encode()))
	if err != nil {
		b.t.Fatalf("POST %s: %v", rawURL, err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return b.do(req)
}

func (b *Browser) do(req *http.Request) *Page {
	b.t.Helper()
	for k, v := range b.Header {
		req.Header[k] = v
	}
	if req.Method == http.MethodPost && req.Header.Get("Sec-Fetch-Site") == "" && req.Header.Get("Origin") == "" {
		// What a browser sends for a form on a page of the same site.
		req.Header.Set("Sec-Fetch-Site", "same-origin")
	}
	resp, err := b.Client.Do(req)
	if err != nil {
		b.t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		b.t.Fatalf("%s %s: reading body: %v", req.Method, req.URL, err)
	}
	p := &Page{t: b.t, b: b, URL: resp.Request.URL, Status: resp.StatusCode, Header: resp.Header, Body: string(body)}
	if strings.Contains(resp.Header.Get("Content-Type"), "html") {
		p.doc, err = html.Parse(strings.NewReader(p.Body))
		if err != nil {
			b.t.Fatalf("parsing %s: %v", p.URL, err)
		}
	}
	return p
}

// TextOf is the text in n, whitespace folded.
func TextOf(n *html.Node) string {
	var b strings.Builder
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.TextNode {
			b.WriteString(n.Data)
			b.WriteByte(' ')
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(n)
	return strings.Join(strings.Fields(b.String()), " ")
}

// Cookies returns the browser's cookies for a URL.
func (b *Browser) Cookies(rawURL string) []*http.Cookie {
	u, _ := url.Parse(rawURL)
	return b.Client.Jar.Cookies(u)
}

// Text is the page's visible text, whitespace folded.
func (p *Page) Text() string {
	if p.doc == nil {
		return p.Body
	}
	var b strings.Builder
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode && (n.Data == "script" || n.Data == "style" || n.Data == "head") {
			return
		}
		if n.Type == html.TextNode {
			b.WriteString(n.Data)
			b.WriteByte(' ')
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(p.doc)
	return strings.Join(strings.Fields(b.String()), " ")
}

// Find returns the elements matching a test, in document order.
func (p *Page) Find(match func(*html.Node) bool) []*html.Node {
	if p.doc == nil {
		return nil
	}
	return p.findIn(p.doc, match)
}

// Attr returns an attribute of n.
func Attr(n *html.Node, key string) (string, bool) {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val, true
		}
	}
	return "", false
}

// ByTag matches elements by tag name and optional attribute key=value pairs.
func ByTag(tag string, kv ...string) func(*html.Node) bool {
	return func(n *html.Node) bool {
		if n.Data != tag {
			return false
		}
		for i := 0; i+1 < len(kv); i += 2 {
			if v, ok := Attr(n, kv[i]); !ok || v != kv[i+1] {
				return false
			}
		}
		return true
	}
}

// Input returns the input element named name, or nil.
func (p *Page) Input(name string) *html.Node {
	for _, tag := range []string{"input", "select", "textarea"} {
		if ns := p.Find(ByTag(tag, "name", name)); len(ns) > 0 {
			return ns[0]
		}
	}
	return nil
}

// MetaRefresh returns the URL of a <meta http-equiv="refresh">, or "".
func (p *Page) MetaRefresh() string {
	for _, n := range p.Find(ByTag("meta", "http-equiv", "refresh")) {
		c, _ := Attr(n, "content")
		if _, u, ok := strings.Cut(c, "url="); ok {
			return u
		}
	}
	return ""
}

// Follow loads an href or a meta refresh target relative to the page.
func (p *Page) Follow(ref string) *Page {
	p.t.Helper()
	u, err := p.URL.Parse(ref)
	if err != nil {
		p.t.Fatalf("bad link %q: %v", ref, err)
	}
	return p.b.Get(u.String())
}

// Form is a form of a page, with the values a browser would send.
type Form struct {
	p      *Page
	node   *html.Node
	Action *url.URL
	Values url.Values
}

// Form returns the first form whose action, or its path without the
// query, ends with suffix.
func (p *Page) Form(suffix string) *Form {
	p.t.Helper()
	for _, n := range p.Find(ByTag("form")) {
		action, _ := Attr(n, "action")
		path, _, _ := strings.Cut(action, "?")
		if strings.HasSuffix(action, suffix) || strings.HasSuffix(path, suffix) {
			u, err := p.URL.Parse(action)
			if err != nil {
				p.t.Fatalf("bad form action %q", action)
			}
			f := &Form{p: p, node: n, Action: u, Values: url.Values{}}
			f.collect(n)
			return f
		}
	}
	p.t.Fatalf("no form with action ending %q on %s (status %d):\n%s", suffix, p.URL, p.Status, p.Text())
	return nil
}

// collect gathers the successful controls a browser would submit, minus
// submit buttons (only the pressed one is sent).
func (f *Form) collect(n *html.Node) {
	if n.Type == html.ElementNode {
		name, hasName := Attr(n, "name")
		_, disabled := Attr(n, "disabled")
		if hasName && !disabled {
			switch n.Data {
			case "input":
				typ, _ := Attr(n, "type")
				val, _ := Attr(n, "value")
				switch typ {
				case "submit", "button", "image", "reset":
				case "checkbox", "radio":
					if _, on := Attr(n, "checked"); on {
						if val == "" {
							val = "on"
						}
						f.Values.Add(name, val)
					}
				default:
					f.Values.Add(name, val)
				}
			case "select":
				for _, o := range f.p.findIn(n, ByTag("option")) {
					if _, sel := Attr(o, "selected"); sel {
						v, _ := Attr(o, "value")
						f.Values.Add(name, v)
					}
				}
			}
		}
	}
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		f.collect(c)
	}
}

func (p *Page) findIn(root *html.Node, match func(*html.Node) bool) []*html.Node {
	var out []*html.Node
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode && match(n) {
			out = append(out, n)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(root)
	return out
}

// Set sets a field, failing the test if the form has no such control.
func (f *Form) Set(name, value string) *Form {
	f.p.t.Helper()
	if len(f.p.findIn(f.node, func(n *html.Node) bool {
		v, _ := Attr(n, "name")
		return v == name && (n.Data == "input" || n.Data == "select" || n.Data == "textarea")
	})) == 0 {
		f.p.t.Fatalf("form %s has no field %q:\n%s", f.Action, name, f.p.Text())
	}
	f.Values.Set(name, value)
	return f
}

// Submit posts the form, pressing the submit button named button ("" for
// the default).
func (f *Form) Submit(button ...string) *Page {
	f.p.t.Helper()
	v := url.Values{}
	for k, vs := range f.Values {
		v[k] = append([]string(nil), vs...)
	}
	if len(button) > 0 && button[0] != "" {
		btns := f.p.findIn(f.node, ByTag("button", "name", button[0]))
		if len(btns) == 0 {
			f.p.t.Fatalf("form %s has no button %q:\n%s", f.Action, button[0], f.p.Text())
		}
		val, _ := Attr(btns[0], "value")
		v.Set(button[0], val)
	}
	return f.p.b.Post(f.Action.String(), v)
}
