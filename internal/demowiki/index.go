package demowiki

import (
	"html/template"
	"net/http"
	"strings"
)

var indexPage = template.Must(template.New("index").Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}} - Demo wiki</title>
<style>body{font-family:sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem}</style>
</head><body>
<h1>{{.Title}}</h1>
{{range .Text}}<p>{{.}}</p>{{end}}
<p><a href="index.php">Main Page</a></p>
</body></html>`))

// index stands in for the wiki's index.php, which links from the login
// app lead to: the main page, Special:CreateAccount, and an empty page for
// any other title, as MediaWiki shows one.
func (w *Wiki) index(rw http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		rw.Header().Set("Allow", "GET, HEAD")
		http.Error(rw, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	title := strings.ReplaceAll(r.URL.Query().Get("title"), "_", " ")
	status := http.StatusOK
	var text []string
	switch title {
	case "", "Main Page":
		title = "Main Page"
		text = []string{"Welcome to the demo wiki. It has only what logging in needs: its accounts are listed on the login page.",
			"You are not logged in here: a login app holds its sign-in on its own server, not in your browser."}
	case "Special:CreateAccount":
		title = "Create account"
		text = []string{"The demo wiki does not create accounts. Log in with one of the accounts listed on the login page."}
	default:
		status = http.StatusNotFound
		text = []string{"There is currently no text in this page."}
	}
	rw.Header().Set("Content-Type", "text/html; charset=utf-8")
	rw.WriteHeader(status)
	indexPage.Execute(rw, map[string]any{"Title": title, "Text": text})
}
