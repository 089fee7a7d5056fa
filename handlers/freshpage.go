package handlers

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"sync"

	"github.com/gin-gonic/gin"

	"github.com/mwlogin/mwlogin/mwclient"
)

// freshPages keeps the login form as every new browser sees it, rendered
// once per cached form description and language. Such pages differ only by
// their CSRF token, so the page is kept in pieces around a placeholder and
// the token is spliced in: the commonest page costs no template run.
type freshPages struct {
	mark  []byte // the placeholder; random, so no wiki text can hold it
	mu    sync.RWMutex
	pages map[string]freshPage // by language
}

type freshPage struct {
	// The cached form description the page was rendered from; the flow's
	// form cache hands out a new slice when it fetches the form again.
	form  *mwclient.Request
	parts [][]byte
}

// maxFreshPages bounds the cache like the flow's form cache (one page per
// language a browser may ask for).
const maxFreshPages = 64

func newFreshPages() *freshPages {
	b := make([]byte, 16)
	rand.Read(b)
	return &freshPages{mark: []byte("csrf-" + hex.EncodeToString(b)), pages: map[string]freshPage{}}
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
		page, err := render(string(f.mark))
		if err != nil {
			return false
		}
		p = freshPage{form: &form[0], parts: bytes.Split(page, f.mark)}
		f.mu.Lock()
		if len(f.pages) >= maxFreshPages {
			clear(f.pages)
		}
		f.pages[lang] = p
		f.mu.Unlock()
	}
	n := len(token) * (len(p.parts) - 1)
	for _, part := range p.parts {
		n += len(part)
	}
	out := make([]byte, 0, n)
	for i, part := range p.parts {
		if i > 0 {
			out = append(out, token...)
		}
		out = append(out, part...)
	}
	c.Data(http.StatusOK, "text/html; charset=utf-8", out)
	return true
}
