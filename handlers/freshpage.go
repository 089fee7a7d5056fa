package handlers

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"strconv"
	"strings"
	"sync"

	"github.com/gin-gonic/gin"

	"github.com/mwlogin/mwlogin/mwclient"
)

// A stencil is a page rendered once with marks in place of the values that
// differ between browsers (the CSRF token, the user's name), kept in
// pieces; serving it splices the values in. The two commonest pages, the
// login form for a new browser and the page right after PASS, then cost no
// template run.
type stencil struct {
	parts [][]byte
	slots []int // slots[i]: which value follows parts[i]
}

// newMark returns a placeholder no wiki text or name can hold by chance.
func newMark() string {
	b := make([]byte, 16)
	rand.Read(b)
	return "mark-" + hex.EncodeToString(b)
}

// cut splits a page rendered with marks in it.
func cut(page []byte, marks []string) *stencil {
	s := &stencil{}
	for {
		at, which := -1, -1
		for i, m := range marks {
			if j := bytes.Index(page, []byte(m)); j >= 0 && (at < 0 || j < at) {
				at, which = j, i
			}
		}
		if at < 0 {
			s.parts = append(s.parts, page)
			return s
		}
		s.parts = append(s.parts, page[:at])
		s.slots = append(s.slots, which)
		page = page[at+len(marks[which]):]
	}
}

// write answers 200 with the page, values in place of the marks, sent in
// pieces: the page is never assembled (it would be garbage right after).
func (s *stencil) write(c *gin.Context, values ...string) {
	h := c.Writer.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Length", strconv.Itoa(s.size(values)))
	c.Status(http.StatusOK)
	for i, p := range s.parts {
		c.Writer.Write(p)
		if i < len(s.slots) {
			c.Writer.WriteString(values[s.slots[i]])
		}
	}
}

// size is the length of the page with values in place of the marks.
func (s *stencil) size(values []string) int {
	n := 0
	for _, p := range s.parts {
		n += len(p)
	}
	for _, i := range s.slots {
		n += len(values[i])
	}
	return n
}

// fill returns the page with values in place of the marks.
func (s *stencil) fill(values ...string) []byte {
	out := make([]byte, 0, s.size(values))
	for i, p := range s.parts {
		out = append(out, p...)
		if i < len(s.slots) {
			out = append(out, values[s.slots[i]]...)
		}
	}
	return out
}

// freshPages keeps the login form as every new browser sees it: one
// stencil per cached form description and language, with the CSRF token
// as its only value.
type freshPages struct {
	mark  string
	mu    sync.RWMutex
	pages map[string]freshPage // by language
}

type freshPage struct {
	// The cached form description the page was rendered from; the flow's
	// form cache hands out a new slice when it fetches the form again.
	form *mwclient.Request
	page *stencil
}

// maxFreshPages bounds the cache like the flow's form cache (one page per
// language a browser may ask for).
const maxFreshPages = 64

func newFreshPages() *freshPages {
	return &freshPages{mark: newMark(), pages: map[string]freshPage{}}
}

// serve writes the page for lang rendered from form, rendering it with
// render (given the placeholder as CSRF token) when it is not cached. It
// reports false if it wrote nothing (render failed, or form is empty).
func (f *freshPages) serve(c *gin.Context, lang string, form []mwclient.Request, token string, render func(csrf string) ([]byte, error)) bool {
	if len(form) == 0 {
		return false
	}
	f.mu.RLock()
	p, ok := f.pages[lang]
	f.mu.RUnlock()
	if !ok || p.form != &form[0] {
		page, err := render(f.mark)
		if err != nil {
			return false
		}
		p = freshPage{form: &form[0], page: cut(page, []string{f.mark})}
		f.mu.Lock()
		if len(f.pages) >= maxFreshPages {
			clear(f.pages)
		}
		f.pages[lang] = p
		f.mu.Unlock()
	}
	p.page.write(c, token)
	return true
}

// welcomePage is the signed-in page as it is right after PASS (the wiki
// not asked yet, so no edit count), with the CSRF token and the user's
// name as values. It is made once, and only from our own templates: a
// replacement template might show the name where HTML escaping is not the
// right escaping, or show something else for some names.
type welcomePage struct {
	once sync.Once
	page *stencil // nil: render every time
}

// serve writes the page for name, reporting false when it cannot, so that
// the caller renders it.
func (w *welcomePage) serve(c *gin.Context, token, name string, render func(csrf, name string) ([]byte, error)) bool {
	w.once.Do(func() {
		csrf, user := newMark(), newMark()
		page, err := render(csrf, user)
		if err != nil {
			return
		}
		s := cut(page, []string{csrf, user})
		// The stencil must give what the template gives, for a name with
		// every character the template escapes.
		const probeToken, probeName = "probe-token", "Ann <b>&\"'O'Neil+\x00</b>"
		want, err := render(probeToken, probeName)
		if err != nil || !bytes.Equal(s.fill(probeToken, htmlText.Replace(probeName)), want) {
			return
		}
		w.page = s
	})
	if w.page == nil {
		return false
	}
	w.page.write(c, token, htmlText.Replace(name))
	return true
}

// htmlText escapes as html/template does a value in HTML text; welcomePage
// checks that it still does.
var htmlText = strings.NewReplacer("\x00", "\uFFFD", `"`, "&#34;", "&", "&amp;", "'", "&#39;", "+", "&#43;", "<", "&lt;", ">", "&gt;")
