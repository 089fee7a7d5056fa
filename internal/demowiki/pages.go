package demowiki

import (
	"cmp"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// MainPage is the page every demo wiki starts with.
const MainPage = "Main Page"

// mainPageText is the Main Page's first revision, by "MediaWiki default"
// as on a freshly installed wiki.
const mainPageText = "Welcome to the '''demo wiki'''. It is not MediaWiki: it stands in for one in mwlogin's demo and tests.\n\nAnyone may read it; only a logged-in user may edit it."

// page is one wiki page, in namespace 0 (the demo has no others).
type page struct {
	id    int
	title string
	revs  []revision // oldest first
}

type revision struct {
	id, parent int
	user       string
	timestamp  time.Time
	comment    string
	text       string
}

// addRevision saves text as a new revision of title (creating the page),
// and returns the page and the revision.
func (w *Wiki) addRevision(title, user, comment, text string) (*page, revision) {
	p := w.pages[title]
	if p == nil {
		w.lastPage++
		p = &page{id: w.lastPage, title: title}
		w.pages[title] = p
	}
	w.lastRev++
	rev := revision{id: w.lastRev, user: user, timestamp: w.now().UTC().Truncate(time.Second), comment: comment, text: text}
	if n := len(p.revs); n > 0 {
		rev.parent = p.revs[n-1].id
	}
	p.revs = append(p.revs, rev)
	return p, rev
}

// Page returns the current text of a page and the user names of its
// revisions, newest first, as a test reads them back.
func (w *Wiki) Page(title string) (text string, users []string, ok bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	t, _ := normalizeTitle(title)
	p := w.pages[t]
	if p == nil {
		return "", nil, false
	}
	for _, r := range slices.Backward(p.revs) {
		users = append(users, r.user)
	}
	return p.revs[len(p.revs)-1].text, users, true
}

// normalizeTitle makes a title what MediaWiki stores: spaces for
// underscores, no surrounding space, the first letter upper case. ok is
// false for a title MediaWiki refuses.
func normalizeTitle(t string) (string, bool) {
	t = strings.TrimSpace(strings.ReplaceAll(t, "_", " "))
	if t == "" || len(t) > 255 || strings.ContainsAny(t, "#<>[]|{}\n\t") || strings.Contains(t, "  ") {
		return t, false
	}
	r, n := utf8.DecodeRuneInString(t)
	return string(unicode.ToUpper(r)) + t[n:], true
}

// dbKey is a title as MediaWiki's continuation parameters carry it.
func dbKey(title string) string { return strings.ReplaceAll(title, " ", "_") }

func timestamp(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05Z") }

// edit is action=edit: a logged-in user with the session's csrf token
// replaces a page's text (title, text, summary; createonly and nocreate).
// An anonymous user is refused, as on a wiki with
// $wgGroupPermissions['*']['edit'] = false.
func (w *Wiki) edit(rw http.ResponseWriter, r *http.Request) {
	s := w.sess(rw, r, false)
	f := r.PostForm
	tok := f.Get("token")
	if tok == "" {
		moduleError(rw, "edit", "missingparam", "The \"token\" parameter must be set.")
		return
	}
	want := `+\`
	if s != nil && s.user != "" {
		want = s.csrf
	}
	if tok != want {
		moduleError(rw, "edit", "badtoken", "Invalid CSRF token.")
		return
	}
	if s == nil || s.user == "" {
		moduleError(rw, "edit", "permissiondenied", "The action you have requested is limited to users in the group: Users.")
		return
	}
	if !f.Has("title") {
		moduleError(rw, "edit", "missingparam", "The \"title\" parameter must be set.")
		return
	}
	if !f.Has("text") {
		moduleError(rw, "edit", "missingparam", "The \"text\" parameter must be set.")
		return
	}
	title, ok := normalizeTitle(f.Get("title"))
	if !ok {
		moduleError(rw, "edit", "invalidtitle", "Bad title \""+f.Get("title")+"\".")
		return
	}
	p := w.pages[title]
	switch {
	case p == nil && f.Has("nocreate"):
		moduleError(rw, "edit", "missingtitle", "The page you specified doesn't exist.")
		return
	case p != nil && f.Has("createonly"):
		moduleError(rw, "edit", "articleexists", "The article you tried to create has been created already.")
		return
	}
	text := strings.TrimRight(f.Get("text"), " \t\n")
	if p != nil && p.revs[len(p.revs)-1].text == text {
		w.writeJSON(rw, map[string]any{"edit": map[string]any{"result": "Success", "pageid": p.id,
			"title": p.title, "contentmodel": "wikitext", "nochange": true, "watched": true}})
		return
	}
	p, rev := w.addRevision(title, s.user, f.Get("summary"), text)
	res := map[string]any{"result": "Success", "pageid": p.id, "title": p.title, "contentmodel": "wikitext",
		"oldrevid": rev.parent, "newrevid": rev.id, "newtimestamp": timestamp(rev.timestamp), "watched": true}
	if rev.parent == 0 {
		res["new"] = true
	}
	w.writeJSON(rw, map[string]any{"edit": res})
}

// limit reads a limit parameter: def if absent, max for "max", at most max.
func limit(v string, def, max int) (int, bool) {
	switch v {
	case "":
		return def, true
	case "max":
		return max, true
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		return 0, false
	}
	return min(n, max), true
}

// revisions is prop=revisions: the latest revision of each page, or with
// rvlimit, rvdir or rvcontinue the history of one page, newest first
// unless rvdir=newer, rvlimit at a time. It fills q and returns the
// continuation, nil when there is none, or false after writing an error.
func (w *Wiki) revisions(rw http.ResponseWriter, f url.Values, q map[string]any) (map[string]any, bool) {
	var titles []string
	if t := f.Get("titles"); t != "" {
		titles = strings.Split(t, "|")
	}
	history := f.Has("rvlimit") || f.Has("rvdir") || f.Has("rvcontinue")
	if history && len(titles) > 1 {
		moduleError(rw, "query+revisions", "invalidparammix", "\"titles\", \"pageids\" or a generator was used to supply multiple pages, but the \"rvlimit\", \"rvstartid\", \"rvendid\", \"rvdir=newer\", \"rvuser\", \"rvexcludeuser\", \"rvstart\", and \"rvend\" parameters may only be used on a single page.")
		return nil, false
	}
	n, ok := limit(f.Get("rvlimit"), 10, 500)
	if !ok {
		moduleError(rw, "query+revisions", "badinteger", "Invalid value \""+f.Get("rvlimit")+"\" for integer parameter \"rvlimit\".")
		return nil, false
	}
	props := map[string]bool{}
	for _, p := range strings.Split(cmp.Or(f.Get("rvprop"), "ids|timestamp|flags|comment|user"), "|") {
		props[p] = true
	}
	var from int // rvcontinue: the revision to start at
	if c := f.Get("rvcontinue"); c != "" {
		_, id, _ := strings.Cut(c, "|")
		var err error
		if from, err = strconv.Atoi(id); err != nil {
			moduleError(rw, "query+revisions", "badcontinue", "Invalid continue param. You should pass the original value returned by the previous query.")
			return nil, false
		}
	}
	var cont map[string]any
	var pages, normalized []any
	for _, raw := range titles {
		title, valid := normalizeTitle(raw)
		if !valid {
			pages = append(pages, map[string]any{"title": raw, "invalidreason": "The requested page title contains invalid characters.", "invalid": true})
			continue
		}
		if title != raw {
			normalized = append(normalized, map[string]any{"fromencoded": false, "from": raw, "to": title})
		}
		p := w.pages[title]
		if p == nil {
			pages = append(pages, map[string]any{"ns": 0, "title": title, "missing": true})
			continue
		}
		revs := slices.Clone(p.revs)
		if f.Get("rvdir") != "newer" {
			slices.Reverse(revs)
		}
		if !history {
			revs = revs[:1]
		}
		if from != 0 {
			i := slices.IndexFunc(revs, func(r revision) bool { return r.id == from })
			revs = revs[max(i, 0):]
		}
		if history && len(revs) > n {
			next := revs[n]
			cont = map[string]any{"rvcontinue": next.timestamp.Format("20060102150405") + "|" + strconv.Itoa(next.id), "continue": "||"}
			revs = revs[:n]
		}
		out := []any{}
		for _, r := range revs {
			out = append(out, revisionJSON(r, props, f.Has("rvslots")))
		}
		pages = append(pages, map[string]any{"pageid": p.id, "ns": 0, "title": p.title, "revisions": out})
	}
	if normalized != nil {
		q["normalized"] = normalized
	}
	q["pages"] = pages
	return cont, true
}

func revisionJSON(r revision, props map[string]bool, slots bool) map[string]any {
	out := map[string]any{}
	if props["ids"] {
		out["revid"], out["parentid"] = r.id, r.parent
	}
	if props["flags"] {
		out["minor"] = false
	}
	if props["user"] {
		out["user"] = r.user
	}
	if props["timestamp"] {
		out["timestamp"] = timestamp(r.timestamp)
	}
	if props["comment"] {
		out["comment"] = r.comment
	}
	if props["content"] {
		content := map[string]any{"contentmodel": "wikitext", "contentformat": "text/x-wiki", "content": r.text}
		if slots {
			out["slots"] = map[string]any{"main": content}
		} else {
			for k, v := range content {
				out[k] = v
			}
		}
	}
	return out
}

// allPages is list=allpages: titles in order, aplimit at a time from
// apfrom or apcontinue. It fills q and returns the continuation, nil when
// there is none, or false after writing an error.
func (w *Wiki) allPages(rw http.ResponseWriter, f url.Values, q map[string]any) (map[string]any, bool) {
	n, ok := limit(f.Get("aplimit"), 10, 500)
	if !ok {
		moduleError(rw, "query+allpages", "badinteger", "Invalid value \""+f.Get("aplimit")+"\" for integer parameter \"aplimit\".")
		return nil, false
	}
	from := dbKey(cmp.Or(f.Get("apcontinue"), f.Get("apfrom")))
	var all []*page
	for _, p := range w.pages {
		if dbKey(p.title) >= from {
			all = append(all, p)
		}
	}
	slices.SortFunc(all, func(a, b *page) int { return strings.Compare(dbKey(a.title), dbKey(b.title)) })
	var cont map[string]any
	if len(all) > n {
		cont = map[string]any{"apcontinue": dbKey(all[n].title), "continue": "-||"}
		all = all[:n]
	}
	list := []any{}
	for _, p := range all {
		list = append(list, map[string]any{"pageid": p.id, "ns": 0, "title": p.title})
	}
	q["allpages"] = list
	return cont, true
}
