// Package wikihtml makes HTML from the wiki (messages, field labels, a
// captcha question) safe to put in our pages: it resolves the wiki's
// relative links against the wiki, then allows only a small set of inline
// markup and http(s) links.
package wikihtml

import (
	"html/template"
	"net/url"
	"strings"

	"github.com/microcosm-cc/bluemonday"
	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// Sanitizer cleans HTML from one wiki.
type Sanitizer struct {
	base   *url.URL
	policy *bluemonday.Policy
}

// New returns a Sanitizer for a wiki whose pages live under base (its
// api.php URL will do: relative links resolve against it).
func New(base *url.URL) *Sanitizer {
	p := bluemonday.NewPolicy()
	p.AllowElements("b", "strong", "i", "em", "u", "s", "small", "big", "sub", "sup",
		"br", "p", "span", "div", "code", "kbd", "tt", "ul", "ol", "li", "dl", "dt", "dd", "bdi")
	p.AllowAttrs("href").OnElements("a")
	p.AllowAttrs("lang", "dir").Globally()
	p.AllowURLSchemes("http", "https")
	p.RequireParseableURLs(true)
	p.RequireNoFollowOnLinks(true)
	p.RequireNoReferrerOnLinks(true)
	p.AddTargetBlankToFullyQualifiedLinks(true)
	return &Sanitizer{base: base, policy: p}
}

// HTML returns s as safe HTML.
func (s *Sanitizer) HTML(in string) template.HTML {
	if in == "" {
		return ""
	}
	if strings.ContainsAny(in, "<&") {
		in = s.absolutize(in)
	}
	return template.HTML(s.policy.Sanitize(in)) //nolint:gosec // sanitized just now
}

// absolutize rewrites relative href attributes to point at the wiki, since
// on our pages they would point at us.
func (s *Sanitizer) absolutize(in string) string {
	nodes, err := html.ParseFragment(strings.NewReader(in), &html.Node{Type: html.ElementNode, Data: "div", DataAtom: atom.Div})
	if err != nil {
		return in
	}
	var b strings.Builder
	for _, n := range nodes {
		s.walk(n)
		if err := html.Render(&b, n); err != nil {
			return in
		}
	}
	return b.String()
}

func (s *Sanitizer) walk(n *html.Node) {
	if n.Type == html.ElementNode {
		for i, a := range n.Attr {
			if a.Key != "href" {
				continue
			}
			if u, err := url.Parse(strings.TrimSpace(a.Val)); err == nil {
				n.Attr[i].Val = s.base.ResolveReference(u).String()
			} else {
				n.Attr[i].Val = ""
			}
		}
	}
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		s.walk(c)
	}
}

var strict = bluemonday.StrictPolicy()

// Text returns the text of in with all markup removed, for places that hold
// only text (an option, an attribute). The caller escapes it.
func (s *Sanitizer) Text(in string) string {
	if !strings.ContainsAny(in, "<&") {
		return in
	}
	return strings.TrimSpace(html.UnescapeString(strict.Sanitize(in)))
}
