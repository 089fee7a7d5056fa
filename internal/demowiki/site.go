package demowiki

import (
	_ "embed"
	"encoding/json"
	"net/http"
	"strings"
)

// SiteName is the demo wiki's name (meta=siteinfo).
const SiteName = "Demo wiki"

// messages.json holds, for a few languages, the MediaWiki messages a login
// page uses, as MediaWiki 1.39 words them (languages/i18n/*.json).
//
//go:embed messages.json
var messagesJSON []byte

var messages = func() map[string]map[string]string {
	var m map[string]map[string]string
	if err := json.Unmarshal(messagesJSON, &m); err != nil {
		panic(err)
	}
	return m
}()

// languages the demo wiki speaks, with their autonyms and directions.
var languages = []struct{ code, autonym, dir string }{
	{"en", "English", "ltr"}, {"de", "Deutsch", "ltr"}, {"id", "Bahasa Indonesia", "ltr"},
	{"es", "español", "ltr"}, {"tr", "Türkçe", "ltr"}, {"ja", "日本語", "ltr"},
	{"ru", "русский", "ltr"}, {"ar", "العربية", "rtl"},
}

// Languages lists the codes of the languages the demo wiki speaks.
func Languages() []string {
	out := make([]string, len(languages))
	for i, l := range languages {
		out[i] = l.code
	}
	return out
}

// message is MediaWiki's message name in lang (English when lang has
// none), with {{SITENAME}} filled in, as amenableparser does; "" if unknown.
func message(lang, name string) string {
	m, ok := messages[lang][name]
	if !ok {
		m = messages["en"][name]
	}
	return strings.ReplaceAll(m, "{{SITENAME}}", SiteName)
}

// msgLang is the language a request's messages are in: uselang if the
// wiki speaks it, else English, the content language.
func msgLang(lang string) string {
	if _, ok := messages[lang]; ok {
		return lang
	}
	return "en"
}

// siteGeneral is meta=siteinfo's siprop=general.
func siteGeneral(r *http.Request) map[string]any {
	server := baseURL(r)
	return map[string]any{
		"sitename": SiteName, "generator": "demowiki (mwlogin)", "lang": "en",
		"mainpage": "Main Page", "base": server + "/index.php?title=Main_Page",
		"logo": server + "/logo.svg", "server": server, "script": "/index.php",
		"articlepath": "/index.php?title=$1",
	}
}

func siteLanguages() []map[string]string {
	out := make([]map[string]string, len(languages))
	for i, l := range languages {
		out[i] = map[string]string{"code": l.code, "bcp47": l.code, "name": l.autonym}
	}
	return out
}

// allMessages answers meta=allmessages (ammessages, amlang).
func allMessages(r *http.Request) []map[string]any {
	lang := r.Form.Get("amlang")
	if lang == "" {
		lang = "en"
	}
	var out []map[string]any
	for _, name := range strings.Split(r.Form.Get("ammessages"), "|") {
		if name == "" {
			continue
		}
		if text := message(lang, name); text != "" {
			out = append(out, map[string]any{"name": name, "normalizedname": name, "content": text})
		} else {
			out = append(out, map[string]any{"name": name, "normalizedname": name, "missing": true})
		}
	}
	return out
}

// languageInfo answers meta=languageinfo (licode) for the languages the
// demo wiki knows.
func languageInfo(r *http.Request) map[string]any {
	out := map[string]any{}
	for _, code := range strings.Split(r.Form.Get("licode"), "|") {
		for _, l := range languages {
			if l.code == code {
				out[code] = map[string]string{"code": code, "autonym": l.autonym, "dir": l.dir}
			}
		}
	}
	return out
}

// paramInfo answers action=paraminfo for resetpassword, as a wiki with a
// route to reset passwords does.
func paramInfo(rw http.ResponseWriter, r *http.Request) {
	var mods []any
	for _, m := range strings.Split(r.Form.Get("modules"), "|") {
		if m == "resetpassword" {
			mods = append(mods, map[string]any{"name": "resetpassword", "path": "resetpassword",
				"parameters": []map[string]any{{"name": "user", "type": "user"}, {"name": "email", "type": "string"}}})
		}
	}
	writeJSON(rw, map[string]any{"paraminfo": map[string]any{"modules": mods}})
}

// logo is the demo wiki's logo, an SVG drawn here.
const logo = `<svg xmlns="http://www.w3.org/2000/svg" width="50" height="50" viewBox="0 0 50 50"><circle cx="25" cy="25" r="23" fill="#36c"/><text x="25" y="33" font-family="sans-serif" font-size="22" font-weight="bold" fill="#fff" text-anchor="middle">D</text></svg>`

func serveLogo(rw http.ResponseWriter, _ *http.Request) {
	rw.Header().Set("Content-Type", "image/svg+xml")
	rw.Header().Set("Cache-Control", "max-age=3600")
	_, _ = rw.Write([]byte(logo))
}
