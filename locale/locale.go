// Package locale holds the app's own texts in several languages and picks
// the language of a request the way MediaWiki does.
//
// The texts MediaWiki has messages for (the login heading, the links under
// the form) are asked of the wiki itself (flow.Site), which speaks every
// language it has; the catalogs here hold the rest (our notices and error
// pages), and MediaWiki's own wording of those messages as a fallback for
// a wiki that does not answer. A text missing in a language falls back to
// English, never to its key.
package locale

import (
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"path"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/BurntSushi/toml"
	"github.com/nicksnyder/go-i18n/v2/i18n"
	"golang.org/x/text/language"
)

//go:embed catalog/*.toml
var catalogs embed.FS

// English is the language every text exists in, and the fallback.
const English = "en"

// Languages are the languages the catalogs are written in, English first.
var Languages = []string{"en", "id", "es", "tr", "ja", "ru", "ar"}

// ErrNoText means a message ID is in no catalog: a bug, caught by the
// tests, since every ID must be in the English one.
var ErrNoText = errors.New("locale: no such text")

// Catalog is the app's texts in every language it ships.
type Catalog struct {
	bundle *i18n.Bundle
	ids    []string // the English catalog's IDs, sorted
	mu     sync.Mutex
	locs   map[string]*i18n.Localizer
}

// Default returns the embedded catalogs (parsed once).
var Default = sync.OnceValue(func() *Catalog {
	c, err := Load(catalogs)
	if err != nil {
		panic(err) // the embedded files are checked by the tests
	}
	return c
})

// Load reads catalog/*.toml from fsys, one file per language named by its
// code (en.toml, ja.toml, ...). en.toml must be there.
func Load(fsys fs.FS) (*Catalog, error) {
	b := i18n.NewBundle(language.English)
	b.RegisterUnmarshalFunc("toml", toml.Unmarshal)
	files, err := fs.Glob(fsys, "catalog/*.toml")
	if err != nil {
		return nil, err
	}
	c := &Catalog{bundle: b, locs: map[string]*i18n.Localizer{}}
	for _, f := range files {
		data, err := fs.ReadFile(fsys, f)
		if err != nil {
			return nil, err
		}
		mf, err := b.ParseMessageFileBytes(data, path.Base(f))
		if err != nil {
			return nil, fmt.Errorf("locale: %s: %w", f, err)
		}
		if mf.Tag == language.English {
			for _, m := range mf.Messages {
				c.ids = append(c.ids, m.ID)
			}
		}
	}
	if len(c.ids) == 0 {
		return nil, errors.New("locale: no English catalog (catalog/en.toml)")
	}
	slices.Sort(c.ids)
	return c, nil
}

// IDs lists the IDs of every text, as the English catalog has them.
func (c *Catalog) IDs() []string { return slices.Clone(c.ids) }

// Has reports whether id is a text of the catalogs.
func (c *Catalog) Has(id string) bool {
	_, ok := slices.BinarySearch(c.ids, id)
	return ok
}

// Translated reports whether lang's own catalog has id (no fallback).
func (c *Catalog) Translated(lang, id string) bool {
	_, tag, err := c.localizer(lang).LocalizeWithTag(&i18n.LocalizeConfig{MessageID: id})
	return err == nil && tag != language.Und
}

// Text returns the text id in lang, filled with data (its "Count", if any,
// chooses the plural form). A text lang's catalog lacks comes in English;
// an id no catalog has is an ErrNoText.
func (c *Catalog) Text(lang, id string, data map[string]any) (string, error) {
	if !c.Has(id) {
		return "", fmt.Errorf("%w: %q", ErrNoText, id)
	}
	lc := &i18n.LocalizeConfig{MessageID: id, TemplateData: data}
	if n, ok := data["Count"]; ok {
		lc.PluralCount = n
	}
	// A text lang lacks comes in English, with an error that says so; a
	// plural form it lacks, in its "other" form, with another. Either way
	// there is a text, which is what a page needs.
	s, _ := c.localizer(lang).Localize(lc)
	if s == "" {
		var err error
		if s, err = c.localizer(English).Localize(lc); s == "" {
			return "", fmt.Errorf("locale: %s: %w", id, err)
		}
	}
	return s, nil
}

// HTML is Text as HTML: the text is escaped, and values of data that are
// template.HTML go in as they are (markup inside a sentence, such as a
// link or a name in bold), wherever the translation puts them.
func (c *Catalog) HTML(lang, id string, data map[string]any) (template.HTML, error) {
	d := make(map[string]any, len(data))
	var raw []string
	for k, v := range data {
		if h, ok := v.(template.HTML); ok {
			// A marker that survives the translation and the escaping.
			d[k] = "\x00" + strconv.Itoa(len(raw)) + "\x00"
			raw = append(raw, string(h))
			continue
		}
		d[k] = v
	}
	s, err := c.Text(lang, id, d)
	if err != nil {
		return "", err
	}
	s = template.HTMLEscapeString(s)
	for i, h := range raw {
		s = strings.ReplaceAll(s, template.HTMLEscapeString("\x00"+strconv.Itoa(i)+"\x00"), h)
	}
	return template.HTML(s), nil //nolint:gosec // escaped, and our callers' own markup
}

func (c *Catalog) localizer(lang string) *i18n.Localizer {
	c.mu.Lock()
	defer c.mu.Unlock()
	l, ok := c.locs[lang]
	if !ok {
		if len(c.locs) > 256 { // languages come from requests: bound them
			clear(c.locs)
		}
		l = i18n.NewLocalizer(c.bundle, lang)
		c.locs[lang] = l
	}
	return l
}

// autonyms are the catalogs' languages in themselves, for a menu when the
// wiki has not said (meta=languageinfo).
var autonyms = map[string]string{
	"en": "English", "id": "Bahasa Indonesia", "es": "español", "tr": "Türkçe",
	"ja": "日本語", "ru": "русский", "ar": "العربية",
}

// Autonym is a catalog language's name in itself, "" for another.
func Autonym(code string) string { return autonyms[code] }

// rtl are the right-to-left languages among MediaWiki's codes, for when
// the wiki has not said (meta=languageinfo gives the direction otherwise).
var rtl = map[string]bool{
	"ar": true, "arc": true, "arz": true, "azb": true, "bcc": true, "bqi": true, "ckb": true,
	"dv": true, "fa": true, "glk": true, "he": true, "khw": true, "ks": true, "lrc": true,
	"mzn": true, "nqo": true, "pnb": true, "ps": true, "sd": true, "skr": true, "ug": true,
	"ur": true, "yi": true,
}

// Dir is "rtl" for a language written right to left, else "ltr".
func Dir(lang string) string {
	base, _, _ := strings.Cut(lang, "-")
	if rtl[strings.ToLower(base)] {
		return "rtl"
	}
	return "ltr"
}

// Chooser picks the language of a request among those a wiki speaks.
// Make one per list of languages: it prepares the matching once.
type Chooser struct {
	content string
	codes   []string // MediaWiki codes, in the order of tags
	known   map[string]bool
	matcher language.Matcher
}

// NewChooser prepares to choose among wiki, the wiki's languages
// (MediaWiki codes), with content, the wiki's content language, when
// nothing else fits. With no list (the wiki did not answer) it chooses
// among the catalogs' languages.
func NewChooser(wiki []string, content string) *Chooser {
	if content == "" {
		content = English
	}
	if len(wiki) == 0 {
		wiki = Languages
	}
	ch := &Chooser{content: content, known: map[string]bool{}}
	var tags []language.Tag
	for _, code := range wiki {
		ch.known[code] = true
		// MediaWiki's codes are mostly BCP 47 tags already; those that
		// are not and have no tag (zh-classical...) are left out.
		t, err := language.Parse(bcp47(code))
		if err != nil {
			continue
		}
		tags = append(tags, t)
		ch.codes = append(ch.codes, code)
	}
	if len(tags) > 0 {
		ch.matcher = language.NewMatcher(tags)
	}
	return ch
}

// Choose picks a request's language as MediaWiki does: uselang if the wiki
// speaks it, else the best match of the Accept-Language header among the
// wiki's languages, else the wiki's content language.
func (ch *Chooser) Choose(uselang, acceptLanguage string) string {
	uselang = strings.ToLower(strings.TrimSpace(uselang))
	if uselang != "" && ch.known[uselang] {
		return uselang
	}
	prefs, q, err := language.ParseAcceptLanguage(acceptLanguage)
	if err != nil || ch.matcher == nil {
		return ch.content
	}
	// "*" and q=0 ask for nothing in particular.
	var want []language.Tag
	for i, t := range prefs {
		if q[i] > 0 && t != language.Und {
			want = append(want, t)
		}
	}
	if len(want) == 0 {
		return ch.content
	}
	_, i, conf := ch.matcher.Match(want...)
	if conf == language.No {
		return ch.content
	}
	return ch.codes[i]
}

// Speaks reports whether code is one of the wiki's languages.
func (ch *Chooser) Speaks(code string) bool { return ch.known[code] }

// Content is the wiki's content language.
func (ch *Chooser) Content() string { return ch.content }

// bcp47 turns the MediaWiki codes that differ from their BCP 47 tag into
// it (MediaWiki's LanguageCode::bcp47 has the whole list).
func bcp47(code string) string {
	switch code {
	case "zh-hans":
		return "zh-Hans"
	case "zh-hant":
		return "zh-Hant"
	case "simple":
		return "en-simple"
	case "als":
		return "gsw"
	case "be-tarask", "be-x-old":
		return "be-tarask"
	}
	return code
}
