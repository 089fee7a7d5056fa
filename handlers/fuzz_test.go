package handlers

import (
	"encoding/json"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"
	"golang.org/x/net/html"

	"github.com/mwlogin/mwlogin/flow"
	"github.com/mwlogin/mwlogin/internal/wikihtml"
	"github.com/mwlogin/mwlogin/mwclient"
	"github.com/mwlogin/mwlogin/templates"
)

// unsafeMarkup parses a page as a browser would and names the first
// script element, event handler attribute or javascript: URL in it.
func unsafeMarkup(page string) string {
	doc, err := html.Parse(strings.NewReader(page))
	if err != nil {
		return "unparseable HTML"
	}
	var found string
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if found != "" {
			return
		}
		if n.Type == html.ElementNode {
			if n.Data == "script" {
				for _, a := range n.Attr {
					// Our own script files, by their fixed paths.
					if a.Key == "src" && (strings.HasSuffix(a.Val, "/static/bounce.js") || strings.HasSuffix(a.Val, "/static/forms.js")) {
						return
					}
				}
				found = "a script element"
				return
			}
			for _, a := range n.Attr {
				v := strings.ToLower(strings.TrimSpace(a.Val))
				switch {
				case strings.HasPrefix(strings.ToLower(a.Key), "on"):
					found = "an event handler " + a.Key
				case (a.Key == "href" || a.Key == "src" || a.Key == "action") && strings.HasPrefix(v, "javascript:"):
					found = "a javascript: URL"
				}
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(doc)
	return found
}

// FuzzRenderStep renders a step from arbitrary request descriptions, as a
// hostile or broken wiki could send them: it must never panic, and no
// script or event handler from the wiki may reach the page.
func FuzzRenderStep(f *testing.F) {
	seeds, _ := filepath.Glob("../mwclient/testdata/real/*.json")
	for _, p := range seeds {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte(`{"requests":[{"id":"x","metadata":{"type":"image","mime":"image/png"},"fields":{"a":{"type":"null","label":"<script>alert(1)</script>","value":"/c.png"}}}]}`))
	f.Add([]byte(`{"requests":[{"id":"x","fields":{"s":{"type":"select","label":"L","options":{"<b onclick=x>":"<img src=x onerror=y>"}}}}]}`))
	f.Add([]byte(`{"requests":[{"id":"x","fields":{"m":{"type":"multiselect","value":"a","options":{"a":"A"}},"h":{"type":"hidden","value":"\"><script>"}}}]}`))
	r, err := newRenderer(templates.FS, nil)
	if err != nil {
		f.Fatal(err)
	}
	san := wikihtml.New(&url.URL{Scheme: "https", Host: "wiki.example", Path: "/w/api.php"})
	gin.SetMode(gin.ReleaseMode)
	f.Fuzz(func(t *testing.T, data []byte) {
		var doc struct {
			Requests []mwclient.Request `json:"requests"`
			Query    struct {
				AMI struct {
					Requests []mwclient.Request `json:"requests"`
				} `json:"authmanagerinfo"`
			} `json:"query"`
			ClientLogin struct {
				Requests []mwclient.Request `json:"requests"`
				Message  string             `json:"message"`
			} `json:"clientlogin"`
		}
		if json.Unmarshal(data, &doc) != nil {
			return
		}
		reqs := append(append(doc.Requests, doc.Query.AMI.Requests...), doc.ClientLogin.Requests...)
		for _, stage := range []flow.Stage{flow.StageStart, flow.StageContinue, flow.StageRestart} {
			st := &flow.State{Stage: stage, Requests: reqs, Step: "s", Message: doc.ClientLogin.Message,
				Values: map[string][]string{"username": {`"><script>alert(9)</script>`}}}
			rec := httptest.NewRecorder()
			c, _ := gin.CreateTestContext(rec)
			page := &pageData{AppName: "x", Title: "t", Prefix: "/p", CSRF: "c", Step: buildStep(st, san, "/p")}
			name := tmplLogin
			if stage == flow.StageRestart {
				name = tmplRestart
			}
			r.render(c, 200, name, page)
			if rec.Code != 200 {
				t.Fatalf("render failed: %d %s", rec.Code, rec.Body)
			}
			if bad := unsafeMarkup(rec.Body.String()); bad != "" {
				t.Fatalf("%s reached the page:\n%s", bad, rec.Body)
			}
		}
	})
}
