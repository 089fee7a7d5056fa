package handlers

import (
	"context"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"

	"github.com/gin-gonic/gin"

	"github.com/mwlogin/mwlogin/locale"
	"github.com/mwlogin/mwlogin/mwclient"
)

// siteMessages are the MediaWiki messages the pages use, asked of the wiki
// (flow.Engine.Messages) in the language of the page. The catalogs have
// them too, for a wiki that does not answer.
var siteMessages = []string{
	"login", "pt-login-button", "logout", "loginsuccesstitle",
	"userlogin-resetpassword-link", "userlogin-joinproject", "userlogin-helplink2", "helplogin-url",
	"userlogin-yourname-ph", "userlogin-yourpassword-ph", "mainpage-description",
}

// speech is the language of one request, and what the wiki says in it.
type speech struct {
	lang string
	dir  string
	// chosen: the language came with uselang, so our URLs carry it on.
	chosen bool
	site   *mwclient.SiteInfo // nil when the wiki never answered
	wiki   map[string]string  // the wiki's messages in lang
	names  map[string]string  // autonyms of the menu's languages
	cat    *locale.Catalog
}

type speechKey struct{}

// speech chooses the request's language as MediaWiki does (uselang, then
// Accept-Language among the languages the wiki speaks, then the wiki's
// content language) and gets the wiki's messages in it, from the cache.
// A wiki that does not answer leaves the app's own texts.
func (a *App) speech(c *gin.Context) *speech {
	if v, ok := c.Get(speechKey{}); ok {
		return v.(*speech)
	}
	sp := a.speechFor(a.wikiContext(c), c.Request)
	c.Set(speechKey{}, sp)
	return sp
}

// PageLanguage is the language (a MediaWiki code) of the page the app is
// rendering for c, for an Options.Banner in the same language.
func PageLanguage(c *gin.Context) string {
	if v, ok := c.Get(speechKey{}); ok {
		return v.(*speech).lang
	}
	return locale.English
}

// speechFor is speech for a request of a host's route (no Gin context),
// asking the wiki, if at all, with ctx.
func (a *App) speechFor(ctx context.Context, r *http.Request) *speech {
	site, err := a.flows.Site(ctx)
	if err != nil {
		a.log.WarnContext(ctx, "wiki site information unavailable", "err", err)
	}
	ch := a.chooser(site)
	uselang := strings.ToLower(r.URL.Query().Get("uselang"))
	sp := &speech{lang: ch.Choose(uselang, r.Header.Get("Accept-Language")), site: site, cat: a.catalog}
	sp.chosen = uselang != "" && uselang == sp.lang
	sp.dir = locale.Dir(sp.lang)
	if site != nil {
		if m, err := a.flows.Messages(ctx, sp.lang); m != nil {
			sp.wiki, sp.dir = m.Text, m.Dir
			if m.Autonym != "" {
				sp.names = map[string]string{sp.lang: m.Autonym}
			}
		} else if err != nil {
			a.log.WarnContext(ctx, "wiki messages unavailable", "lang", sp.lang, "err", err)
		}
	}
	return sp
}

// chooser returns the language chooser for the wiki's languages, made
// again only when the site information changed.
func (a *App) chooser(site *mwclient.SiteInfo) *locale.Chooser {
	a.chooserMu.Lock()
	defer a.chooserMu.Unlock()
	if a.chooserFor != site || a.chooserCur == nil {
		a.chooserFor = site
		if site == nil {
			a.chooserCur = locale.NewChooser(nil, "")
		} else {
			a.chooserCur = locale.NewChooser(site.Languages, site.Lang)
		}
	}
	return a.chooserCur
}

// chooserCache holds App's language chooser.
type chooserCache struct {
	chooserMu  sync.Mutex
	chooserFor *mwclient.SiteInfo
	chooserCur *locale.Chooser
}

// html is the text id in the page's language: the wiki's message if it
// has one, else the catalog's, filled with args (name, value pairs).
// Values of type template.HTML go into the result as they are; everything
// else is escaped.
func (sp *speech) html(id string, args ...any) (template.HTML, error) {
	if w, ok := sp.wiki[id]; ok && len(args) == 0 {
		return template.HTML(template.HTMLEscapeString(w)), nil
	}
	data := sp.data()
	for i := 0; i+1 < len(args); i += 2 {
		name, _ := args[i].(string)
		data[name] = args[i+1]
	}
	return sp.cat.HTML(sp.lang, id, data)
}

// data is what every text may name: the wiki's name.
func (sp *speech) data() map[string]any {
	if sp.site != nil {
		return map[string]any{"SiteName": sp.site.Name}
	}
	name, _ := sp.cat.Text(sp.lang, "app-name", nil)
	return map[string]any{"SiteName": name}
}

// text is html as plain text, for values the templates escape themselves.
func (sp *speech) text(id string, args ...any) string {
	if w, ok := sp.wiki[id]; ok && len(args) == 0 {
		return w
	}
	data := sp.data()
	for i := 0; i+1 < len(args); i += 2 {
		name, _ := args[i].(string)
		data[name] = args[i+1]
	}
	s, err := sp.cat.Text(sp.lang, id, data)
	if err != nil {
		// Only a text missing from the English catalog gets here, which
		// the tests rule out; say something rather than nothing.
		return id
	}
	return s
}

// say is a msg in the page's language.
func (sp *speech) say(m msg) string {
	if m.ID == "" {
		return m.Raw
	}
	return sp.text(m.ID, m.Args...)
}

// query is what our own URLs carry: the language, if the user chose it.
func (sp *speech) query() url.Values {
	if sp.chosen {
		return url.Values{"uselang": {sp.lang}}
	}
	return url.Values{}
}

// local makes one of our URLs (prefix + path) carry the chosen language.
func (sp *speech) local(prefixed string, extra ...string) string {
	q := sp.query()
	for i := 0; i+1 < len(extra); i += 2 {
		q.Set(extra[i], extra[i+1])
	}
	if len(q) == 0 {
		return prefixed
	}
	sep := "?"
	if strings.Contains(prefixed, "?") {
		sep = "&"
	}
	return prefixed + sep + q.Encode()
}

// wikiURL makes a link to the wiki carry the page's language, unless it is
// the wiki's own.
func (sp *speech) wikiURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") {
		return ""
	}
	if sp.site != nil && sp.lang != sp.site.Lang {
		sep := "?"
		if u.RawQuery != "" {
			sep = "&"
		}
		// Appended, so that the title keeps MediaWiki's spelling.
		return u.String() + sep + "uselang=" + url.QueryEscape(sp.lang)
	}
	return u.String()
}

// special is the URL of one of the wiki's special pages.
func (sp *speech) special(name string) string {
	if sp.site == nil || sp.site.Script == "" {
		return ""
	}
	return sp.wikiURL(sp.site.Script + "?title=" + titleParam("Special:"+name))
}

// titleParam is a page title as index.php's title parameter, spelt as
// MediaWiki spells it in its own links.
func titleParam(title string) string {
	return strings.ReplaceAll(url.QueryEscape(strings.ReplaceAll(title, " ", "_")), "%3A", ":")
}

type linkView struct {
	Text string
	URL  string
}

type langView struct {
	Code, Name, Dir, URL string
	Current              bool
}

// links are the wiki's login links, each only when the wiki offers it.
func (sp *speech) links() []linkView {
	if sp.site == nil {
		return nil
	}
	var out []linkView
	if sp.site.CanResetPassword {
		if u := sp.special("PasswordReset"); u != "" {
			out = append(out, linkView{sp.text("userlogin-resetpassword-link"), u})
		}
	}
	if sp.site.CanCreateAccount {
		if u := sp.special("CreateAccount"); u != "" {
			out = append(out, linkView{sp.text("userlogin-joinproject"), u})
		}
	}
	// As Special:UserLogin: a URL, or the title of a page of the wiki.
	if help := sp.site.Messages.Text["helplogin-url"]; help != "" && sp.site.Script != "" {
		u := help
		if p, err := url.Parse(help); err != nil || !p.IsAbs() {
			u = sp.site.Script + "?title=" + titleParam(help)
		}
		if u = sp.wikiURL(u); u != "" {
			out = append(out, linkView{sp.text("userlogin-helplink2"), u})
		}
	}
	return out
}

// menu lists the languages a person may switch to: the catalogs' that the
// wiki speaks, and the page's own.
func (sp *speech) menu(prefix string) []langView {
	codes := slices.Clone(locale.Languages)
	if !slices.Contains(codes, sp.lang) {
		codes = append(codes, sp.lang)
	}
	var out []langView
	for _, code := range codes {
		if sp.site != nil && !slices.Contains(sp.site.Languages, code) {
			continue
		}
		l := langView{Code: code, Name: locale.Autonym(code), Dir: locale.Dir(code), Current: code == sp.lang,
			URL: prefix + "/?uselang=" + url.QueryEscape(code)}
		if sp.site != nil {
			if info, ok := sp.site.Info[code]; ok && info.Autonym != "" {
				l.Name = info.Autonym
			}
		}
		if n := sp.names[code]; n != "" {
			l.Name = n
		}
		if code == sp.lang {
			l.Dir = sp.dir
		}
		if l.Name == "" {
			l.Name = code
		}
		out = append(out, l)
	}
	return out
}
