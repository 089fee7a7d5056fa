package handlers

import (
	"bytes"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"

	"github.com/gin-gonic/gin"
)

// Page templates; each defines "content" (and may define "head") for
// layout.html. fields.html holds the field partials.
const (
	tmplLogin    = "login.html"
	tmplRestart  = "restart.html"
	tmplRedirect = "redirect.html"
	tmplSignedIn = "signedin.html"
	tmplError    = "error.html"
	tmplBounce   = "bounce.html"
)

var sharedTemplates = []string{"layout.html", "fields.html"}
var pageTemplates = []string{tmplLogin, tmplRestart, tmplRedirect, tmplSignedIn, tmplError, tmplBounce}

// renderer holds one parsed template set per page. It renders with
// html/template directly, so the host's gin HTML renderer is left alone.
type renderer struct {
	pages map[string]*template.Template
}

// overlay serves a file from top if it has it, else from base.
type overlay struct{ top, base fs.FS }

func (o overlay) Open(name string) (fs.File, error) {
	if o.top != nil {
		f, err := o.top.Open(name)
		if err == nil {
			return f, nil
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return nil, err
		}
	}
	return o.base.Open(name)
}

func newRenderer(base, override fs.FS) (*renderer, error) {
	fsys := overlay{top: override, base: base}
	for _, name := range append(append([]string{}, sharedTemplates...), pageTemplates...) {
		if _, err := fs.Stat(fsys, name); err != nil {
			return nil, fmt.Errorf("handlers: template %s is missing: %w", name, err)
		}
	}
	shared, err := template.New("").ParseFS(fsys, sharedTemplates...)
	if err != nil {
		return nil, fmt.Errorf("handlers: templates: %w", err)
	}
	if shared.Lookup("layout") == nil || shared.Lookup("field") == nil {
		return nil, errors.New(`handlers: templates: layout.html must define "layout" and fields.html "field"`)
	}
	r := &renderer{pages: map[string]*template.Template{}}
	for _, name := range pageTemplates {
		t, err := template.Must(shared.Clone()).ParseFS(fsys, name)
		if err != nil {
			return nil, fmt.Errorf("handlers: template %s: %w", name, err)
		}
		if t.Lookup("content") == nil {
			return nil, fmt.Errorf(`handlers: template %s must define "content"`, name)
		}
		r.pages[name] = t
	}
	return r, nil
}

// render writes a page. It renders into a buffer first, so that a template
// error becomes a clean 500 rather than half a page.
func (r *renderer) render(c *gin.Context, status int, name string, data *pageData) {
	page, err := r.execute(name, data)
	if err != nil {
		c.Error(err)
		c.Data(http.StatusInternalServerError, "text/plain; charset=utf-8", []byte("Internal error while rendering the page."))
		return
	}
	c.Data(status, "text/html; charset=utf-8", page)
}

// write is render for a plain http.ResponseWriter (a host's route).
func (r *renderer) write(w http.ResponseWriter, status int, name string, data *pageData) {
	page, err := r.execute(name, data)
	if err != nil {
		http.Error(w, "Internal error while rendering the page.", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	w.Write(page)
}

func (r *renderer) execute(name string, data *pageData) ([]byte, error) {
	var buf bytes.Buffer
	if err := r.pages[name].ExecuteTemplate(&buf, "layout", data); err != nil {
		return nil, fmt.Errorf("render %s: %w", name, err)
	}
	return buf.Bytes(), nil
}
