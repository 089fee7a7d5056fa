package handlers

import (
	"bytes"
	"errors"
	"fmt"
	"html/template"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"

	"github.com/mwlogin/mwlogin/mwclient"
	"github.com/mwlogin/mwlogin/templates"
)

func TestFreshPagesSpliceTheToken(t *testing.T) {
	f := newFreshPages()
	renders := 0
	// A page with the token in two places, as a form and a second form
	// would have it.
	render := func(csrf string) ([]byte, error) {
		renders++
		return []byte(`<form><input name="csrf" value="` + csrf + `"></form><form><input value="` + csrf + `"></form>`), nil
	}
	serve := func(lang string, form []mwclient.Request, token string) (string, bool) {
		rec := httptest.NewRecorder()
		c, _ := gin.CreateTestContext(rec)
		ok := f.serve(c, lang, form, token, render)
		return rec.Body.String(), ok
	}
	form := []mwclient.Request{{ID: "password"}}
	for i, token := range []string{"tokenA", "tokenB", "tokenA"} {
		got, ok := serve("en", form, token)
		want := `<form><input name="csrf" value="` + token + `"></form><form><input value="` + token + `"></form>`
		if !ok || got != want {
			t.Fatalf("serve %d: %v %q, want %q", i, ok, got, want)
		}
	}
	if renders != 1 {
		t.Fatalf("rendered %d times for one form and language, want 1", renders)
	}
	if _, ok := serve("de", form, "t"); !ok || renders != 2 {
		t.Fatalf("another language was not rendered anew (%d renders)", renders)
	}
	// The form cache fetched the form again: a new slice, rendered anew.
	if _, ok := serve("en", []mwclient.Request{{ID: "password"}}, "t"); !ok || renders != 3 {
		t.Fatalf("a refreshed form description was not rendered anew (%d renders)", renders)
	}
	if _, ok := serve("en", nil, "t"); ok {
		t.Fatal("served a page for an empty form")
	}
	for i := range 3 * maxFreshPages {
		serve(fmt.Sprint("l", i), form, "t")
	}
	if n := len(f.pages); n > maxFreshPages {
		t.Fatalf("%d pages cached, want at most %d", n, maxFreshPages)
	}
}

func TestFreshPagesRenderFailure(t *testing.T) {
	f := newFreshPages()
	rec := httptest.NewRecorder()
	c, _ := gin.CreateTestContext(rec)
	failing := func(string) ([]byte, error) { return nil, errors.New("template broke") }
	if f.serve(c, "en", []mwclient.Request{{ID: "password"}}, "t", failing) {
		t.Fatal("a failed render was reported as served")
	}
	if rec.Body.Len() != 0 || len(f.pages) != 0 {
		t.Fatalf("a failed render wrote %q or was cached", rec.Body.String())
	}
}

// The cached page is byte for byte what the template makes for the same
// browser, through the real templates and the app.
func TestFreshPageMatchesTemplate(t *testing.T) {
	pages, err := newRenderer(templates.FS, nil)
	if err != nil {
		t.Fatal(err)
	}
	f := newFreshPages()
	data := func(csrf string) *pageData {
		return &pageData{AppName: "Wiki sign-in", WikiHost: "wiki.example", Title: "Log in", CSRF: csrf,
			Step: &stepView{Stage: "start", ID: "fresh", Submit: "Log in",
				Fields: []fieldView{{ID: "f-username", Name: "username", Type: "string", InputType: "text", Label: "Username"}}}}
	}
	render := func(csrf string) ([]byte, error) { return pages.execute(tmplLogin, data(csrf)) }
	form := []mwclient.Request{{ID: "password"}}
	for _, token := range []string{"first-token", "second-token"} {
		rec := httptest.NewRecorder()
		c, _ := gin.CreateTestContext(rec)
		if !f.serve(c, "", form, token, render) {
			t.Fatal("not served")
		}
		want, _ := pages.execute(tmplLogin, data(token))
		if rec.Body.String() != string(want) {
			t.Fatalf("cached page differs from the template's:\n%s\n---\n%s", rec.Body.String(), want)
		}
		if strings.Count(rec.Body.String(), token) == 0 {
			t.Fatal("the token is missing")
		}
	}
}

func TestStencilCutAndFill(t *testing.T) {
	s := cut([]byte("a[X]b[Y]c[X]"), []string{"[X]", "[Y]"})
	if got := string(s.fill("1", "2")); got != "a1b2c1" {
		t.Fatalf("fill: %q", got)
	}
	if got := string(cut([]byte("none"), []string{"[X]"}).fill("1")); got != "none" {
		t.Fatalf("fill without marks: %q", got)
	}
}

// The page right after PASS from its stencil is byte for byte the
// template's, whatever the name.
func TestWelcomePageMatchesTemplate(t *testing.T) {
	pages, err := newRenderer(templates.FS, nil)
	if err != nil {
		t.Fatal(err)
	}
	render := func(csrf, name string) ([]byte, error) {
		return pages.execute(tmplSignedIn, &pageData{AppName: "Wiki sign-in", WikiHost: "wiki.example", Title: "Signed in",
			Prefix: "/auth", CSRF: csrf, User: &userView{Name: name}})
	}
	var w welcomePage
	for i, name := range []string{"Alice", "O'Neil & <Sons>", "A+B \"quoted\"", "Zoë 日本", "nul\x00byte"} {
		rec := httptest.NewRecorder()
		c, _ := gin.CreateTestContext(rec)
		token := fmt.Sprint("token-", i) // base64url, as CSRF tokens are
		if !w.serve(c, token, name, render) {
			t.Fatal("the stencil was refused for our own template")
		}
		want, _ := render(token, name)
		if rec.Body.String() != string(want) {
			t.Fatalf("stencil differs from the template for %q:\n%s\n---\n%s", name, rec.Body.String(), want)
		}
	}
}

// A template that does not show the name as HTML text (here in a URL) gets
// no stencil: the page is rendered every time.
func TestWelcomePageRefusesOtherEscaping(t *testing.T) {
	tmpl := template.Must(template.New("").Parse(`<a href="/wiki/User:{{.Name}}">{{.Name}}</a><input value="{{.CSRF}}">`))
	render := func(csrf, name string) ([]byte, error) {
		var b bytes.Buffer
		err := tmpl.Execute(&b, map[string]string{"Name": name, "CSRF": csrf})
		return b.Bytes(), err
	}
	var w welcomePage
	c, _ := gin.CreateTestContext(httptest.NewRecorder())
	if w.serve(c, "tok", "Alice", render) {
		t.Fatal("a stencil was used for a name in a URL")
	}
}
