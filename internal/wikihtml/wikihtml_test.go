package wikihtml

import (
	"net/url"
	"strings"
	"testing"
)

func TestHTML(t *testing.T) {
	base, _ := url.Parse("https://wiki.example/w/api.php")
	s := New(base)
	cases := []struct{ in, want string }{
		{`<p>Question <a href="/wiki/Help">help</a></p>`, `<a href="https://wiki.example/wiki/Help"`},
		{`<a href="/w/index.php?title=Special:PasswordReset">reset</a>`, `href="https://wiki.example/w/index.php?title=Special:PasswordReset"`},
		{`<b>bold</b>`, `<b>bold</b>`},
		{`<script>alert(1)</script>ok`, `ok`},
		{`<img src=x onerror=alert(1)>`, ``},
		{`<a href="javascript:alert(1)">x</a>`, `x`},
		{`plain & simple`, `plain &amp; simple`},
	}
	for _, c := range cases {
		got := string(s.HTML(c.in))
		if !strings.Contains(got, c.want) {
			t.Errorf("HTML(%q) = %q, want it to contain %q", c.in, got, c.want)
		}
		for _, bad := range []string{"<script", "onerror", "javascript:", "<img"} {
			if strings.Contains(got, bad) {
				t.Errorf("HTML(%q) = %q keeps %q", c.in, got, bad)
			}
		}
	}
}

func TestText(t *testing.T) {
	s := New(&url.URL{Scheme: "https", Host: "w"})
	if got := s.Text(`Option <b onmouseover=x>A</b> &amp; B<script>alert(1)</script>`); got != "Option A & B" {
		t.Fatalf("Text = %q", got)
	}
}
