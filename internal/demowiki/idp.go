package demowiki

import (
	"html/template"
	"net/http"
	"net/url"
)

var idpPage = template.Must(template.New("idp").Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Demo identity provider</title>
<style>body{font-family:sans-serif;max-width:28rem;margin:2rem auto;padding:0 1rem}button{display:block;width:100%;margin:.5rem 0;padding:.5rem;font:inherit}</style>
</head><body>
<h1>Demo identity provider</h1>
<p>This page stands in for a single sign-on provider. Choose who you are:</p>
<form method="post" action="idp">
<input type="hidden" name="returnto" value="{{.ReturnTo}}">
<input type="hidden" name="state" value="{{.State}}">
<button type="submit" name="identity" value="{{.Carol}}">Continue as {{.Carol}} (linked to wiki user Carol)</button>
<button type="submit" name="identity" value="{{.Stranger}}">Continue as {{.Stranger}} (no wiki account)</button>
<button type="submit" name="identity" value="deny">Deny access</button>
</form>
</body></html>`))

// idp is a fake OpenID Connect provider: it sends the browser back to the
// client's return URL with a single-use code and the state it was given.
// It uses no wiki session: the browser holding it is the user's, while the
// wiki session belongs to the login app.
func (w *Wiki) idp(rw http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		http.Error(rw, "bad request", http.StatusBadRequest)
		return
	}
	ret, err := url.Parse(r.Form.Get("returnto"))
	if err != nil || (ret.Scheme != "http" && ret.Scheme != "https") || ret.Host == "" {
		http.Error(rw, "returnto must be an absolute http(s) URL", http.StatusBadRequest)
		return
	}
	if r.Method != http.MethodPost {
		rw.Header().Set("Content-Type", "text/html; charset=utf-8")
		idpPage.Execute(rw, map[string]string{"ReturnTo": ret.String(), "State": r.Form.Get("state"),
			"Carol": IdentityCarol, "Stranger": IdentityStranger})
		return
	}
	q := ret.Query()
	switch id := r.Form.Get("identity"); id {
	case IdentityCarol, IdentityStranger:
		code := randHex(16)
		w.mu.Lock()
		w.codes[code] = id
		w.mu.Unlock()
		q.Set("code", code)
	default:
		q.Set("error", "access_denied")
	}
	q.Set("state", r.Form.Get("state"))
	ret.RawQuery = q.Encode()
	http.Redirect(rw, r, ret.String(), http.StatusFound)
}
