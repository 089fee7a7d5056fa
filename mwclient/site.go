package mwclient

import (
	"context"
	"net/url"
	"slices"
	"strings"
)

// SiteInfo is what a login page shows of the wiki: its name and logo,
// where its pages are, the languages it speaks, which of its login links
// it offers to anonymous users, and some of its messages in its content
// language.
type SiteInfo struct {
	Name string // sitename
	// Logo is the logo's absolute URL; "" when the wiki has none.
	Logo string
	// MainPage is the main page's absolute URL.
	MainPage string
	// Script is index.php's absolute URL, for links to special pages.
	Script string
	// Lang is the content language; Languages every language code the
	// wiki has messages in.
	Lang      string
	Languages []string
	// CanCreateAccount: anonymous users may create accounts
	// (Special:CreateAccount). CanResetPassword: the wiki has a route to
	// reset a password (Special:PasswordReset).
	CanCreateAccount bool
	CanResetPassword bool
	// Messages are the wiki's messages asked for, in Lang.
	Messages *Messages
	// Info is meta=languageinfo (autonyms; no directions) for the codes
	// asked for that the wiki knows.
	Info map[string]LanguageInfo
}

// Messages are some of the wiki's messages in one language, with
// {{SITENAME}} and the like filled in (amenableparser).
type Messages struct {
	Lang string
	// Dir is "rtl" or "ltr", as the wiki writes Lang.
	Dir string
	// Autonym is Lang's name in itself.
	Autonym string
	Text    map[string]string // by message name; a message the wiki lacks is absent
}

// LanguageInfo is one language as meta=languageinfo describes it.
type LanguageInfo struct {
	Code    string `json:"code"`
	Autonym string `json:"autonym"`
	Dir     string `json:"dir"`
}

// SiteInfo asks the wiki, in one query, for its general site information
// and languages, the rights of an anonymous user, the messages names in
// the content language and meta=languageinfo for the codes in langs; and
// whether it resets passwords (action=paraminfo of resetpassword, which
// has parameters only when the wiki has a route for it).
func (c *Client) SiteInfo(ctx context.Context, names, langs []string) (*SiteInfo, error) {
	var r struct {
		envelope
		Query struct {
			General struct {
				SiteName string `json:"sitename"`
				Logo     string `json:"logo"`
				Base     string `json:"base"`
				Lang     string `json:"lang"`
				Server   string `json:"server"`
				Script   string `json:"script"`
			} `json:"general"`
			Languages []struct {
				Code string `json:"code"`
			} `json:"languages"`
			UserInfo struct {
				Rights []string `json:"rights"`
			} `json:"userinfo"`
			allMessages
		} `json:"query"`
	}
	p := url.Values{
		"action": {"query"}, "meta": {"siteinfo|userinfo|allmessages|languageinfo"},
		"siprop": {"general|languages"}, "uiprop": {"rights"},
		"ammessages": {strings.Join(names, "|")}, "amenableparser": {"1"},
		// No dir: it loads each language's localisation, about 0.7 s a
		// language on a cold wiki (3.4 s for seven), while autonyms are
		// one table. Messages gives the direction of the page's language.
		"liprop": {"code|autonym"}, "licode": {strings.Join(langs, "|")},
	}
	// A session of its own and no cookies: what an anonymous visitor gets.
	if err := c.NewSession(nil).Get(ctx, p, &r); err != nil {
		return nil, err
	}
	g := r.Query.General
	if g.SiteName == "" {
		return nil, &DecodeError{ContentType: "application/json", Err: errMissing("query.general.sitename")}
	}
	si := &SiteInfo{
		Name: g.SiteName, Lang: g.Lang, Info: r.Query.LanguageInfo,
		CanCreateAccount: slices.Contains(r.Query.UserInfo.Rights, "createaccount"),
	}
	server := c.absolute(g.Server)
	si.Logo = c.absolute(g.Logo)
	si.MainPage = c.absolute(g.Base)
	if g.Script != "" && server != "" {
		si.Script = strings.TrimRight(server, "/") + g.Script
	}
	for _, l := range r.Query.Languages {
		si.Languages = append(si.Languages, l.Code)
	}
	si.Messages = r.Query.messages(g.Lang)

	var pi struct {
		envelope
		ParamInfo struct {
			Modules []struct {
				Parameters []struct {
					Name string `json:"name"`
				} `json:"parameters"`
			} `json:"modules"`
		} `json:"paraminfo"`
	}
	if err := c.NewSession(nil).Get(ctx, url.Values{"action": {"paraminfo"}, "modules": {"resetpassword"}}, &pi); err != nil {
		return nil, err
	}
	for _, m := range pi.ParamInfo.Modules {
		si.CanResetPassword = slices.ContainsFunc(m.Parameters, func(p struct {
			Name string `json:"name"`
		}) bool {
			return p.Name == "user" || p.Name == "email"
		})
	}
	return si, nil
}

// Messages asks for the wiki's messages names in lang (meta=allmessages
// with amlang), and for lang's direction (meta=languageinfo), in one query.
func (c *Client) Messages(ctx context.Context, lang string, names []string) (*Messages, error) {
	var r struct {
		envelope
		Query allMessages `json:"query"`
	}
	p := url.Values{
		"action": {"query"}, "meta": {"allmessages|languageinfo"},
		"ammessages": {strings.Join(names, "|")}, "amlang": {lang}, "amenableparser": {"1"},
		"liprop": {"code|autonym|dir"}, "licode": {lang},
	}
	if err := c.NewSession(nil).Get(ctx, p, &r); err != nil {
		return nil, err
	}
	if r.Query.AllMessages == nil {
		return nil, &DecodeError{ContentType: "application/json", Err: errMissing("query.allmessages")}
	}
	return r.Query.messages(lang), nil
}

// allMessages is the part of a query answer that meta=allmessages and
// meta=languageinfo fill.
type allMessages struct {
	AllMessages []struct {
		Name    string `json:"name"`
		Content string `json:"content"`
		Missing bool   `json:"missing"`
	} `json:"allmessages"`
	LanguageInfo map[string]LanguageInfo `json:"languageinfo"`
}

func (a *allMessages) messages(lang string) *Messages {
	info := a.LanguageInfo[lang]
	m := &Messages{Lang: lang, Dir: info.Dir, Autonym: info.Autonym, Text: map[string]string{}}
	if m.Dir != "rtl" {
		m.Dir = "ltr"
	}
	for _, msg := range a.AllMessages {
		if !msg.Missing && msg.Content != "" {
			m.Text[msg.Name] = msg.Content
		}
	}
	return m
}

// absolute resolves a URL the wiki gave (possibly protocol-relative, as
// $wgServer often is) against the API URL; "" stays "".
func (c *Client) absolute(ref string) string {
	if ref == "" {
		return ""
	}
	u, err := url.Parse(ref)
	if err != nil {
		return ""
	}
	u = c.api.ResolveReference(u)
	if u.Scheme != "http" && u.Scheme != "https" {
		return ""
	}
	return u.String()
}
