// Package templates holds the default HTML templates of the login pages.
// A host application overrides any of them with handlers.Options.Templates
// (the CLI: -templates DIR): a file of the same name replaces ours. They
// are html/template files; the app parses them when it is built and
// refuses to start if one does not parse or lacks a block it needs.
//
// # Files and blocks
//
// layout.html defines "layout", the whole document; it calls the page's
// "content" block and, if the page defines one, its "head" block (inside
// <head>). fields.html defines "field", one login form field (a .Fields or
// .Buttons element below), and the helpers "help" and "describedby". Each
// page file defines "content" and may define "head":
//
//   - login.html: the login form and every later step (two-factor code,
//     captcha, a provider's own fields). Gets .Step.
//   - redirect.html: on the way to an identity provider (REDIRECT). Gets
//     .Step with .Target, .TargetHost and .AutoRedirect.
//   - restart.html: the wiki could not finish the login (RESTART). Gets
//     .Step with .Message and .Preserve.
//   - signedin.html: the signed-in page. Gets .User.
//   - error.html: something went wrong. Gets .Error.
//   - bounce.html: an identity provider posted its answer back; the page
//     posts it on to {{.Prefix}}/return. Gets .Bounce.
//
// # Data
//
// Every template executes with the same value, whose fields are:
//
//	.AppName     string         Options.AppName, the host's name for the app
//	.SiteName    string         the wiki's name in the header and <title>
//	.WikiName    string         the wiki's name in sentences
//	.WikiURL     string         the wiki's main page
//	.CreateAccountURL string    the wiki's Special:CreateAccount, or "" when
//	                            it lets nobody create an account
//	.Title       string         the page's heading, in the page's language
//	.Prefix      string         the mount prefix ("" at the root); static
//	                            files are under {{.Prefix}}/static/
//	.CSRF        string         the token every form posts as the field "csrf"
//	.Notice      string         a line about what just happened, or ""
//	.NoticeTone  string         "info" or "error"
//	.Banner      template.HTML  Options.Banner's trusted HTML, or ""
//	.HomeURL     string         Options.HomeURL, the host's page, or ""
//	.Lang        string         the page's language code, for <html lang>
//	.Dir         string         its direction, "ltr" or "rtl"
//	.Logo        string         the wiki's logo (an absolute URL), or ""
//	.MainPage    string         the wiki's main page for the header, or ""
//	.Links       []{Text, URL string}  the wiki's login links (password
//	                            reset, account creation, help)
//	.Languages   []{Code, Name, Dir, URL string; Current bool}  the
//	                            language menu
//	.Step        *Step          login, redirect and restart pages; else nil
//	.User        *User          the signed-in page; else nil
//	.Error       *Error         the error page; else nil
//	.Bounce      []{Name, Value string}  the bounce page: hidden fields to post
//
// and whose methods are:
//
//	.T id [name value]...       the text id of the catalogs (package locale)
//	                            in the page's language, with its values:
//	                            {{$.T "redirect-status" "Host" .TargetHost}}
//	.URL path                   one of the app's paths under the prefix,
//	                            keeping the chosen language: {{$.URL "/login"}}
//	.Anchor href text           a link, as a value of a text that has one
//
// Step is one step of a login in progress:
//
//	.Stage       string         "start", "continue", "redirect" or "restart"
//	.ID          string         the step id the form posts back as "step"
//	.Message     template.HTML  the wiki's message, sanitized, or ""
//	.Tone        string         "info" or "error": how to show .Message
//	.Fields      []Field        the form's fields, in order
//	.Buttons     []Field        buttons that submit the form with their
//	                            name (a single sign-on provider)
//	.Submit      string         the submit button's text id ({{$.T .Submit}});
//	                            "" when the step has nothing to fill in
//	.CanCancel   bool           offer "start over" (after the first step)
//	.Preserve    bool           restart: starting again keeps what the wiki
//	                            learnt
//	.Target      string         redirect: the provider's URL
//	.TargetHost  string         redirect: its host, to name it
//	.AutoRedirect bool          redirect: go on at once (a meta refresh)
//
// Field is one form field, built from the wiki's description of it; it has
// the method .T too:
//
//	.ID          string         a unique id for the element and its label
//	.Name        string         the name to post
//	.Type        string         the wiki's type: "string", "password",
//	                            "select", "multiselect", "checkbox",
//	                            "button" or "null" (text or an image to show)
//	.InputType   string         the <input type> for string and password
//	.Label       template.HTML  sanitized label
//	.Help        template.HTML  sanitized help
//	.HelpText    string         the help as plain text (for a title)
//	.Required    bool           the step cannot go on without it
//	.Optional    bool           the wiki marks it optional
//	.Autofocus   bool           the field to focus first
//	.Autocomplete string        an autocomplete hint, or ""
//	.Placeholder string         a hint shown in an empty text box, or ""
//	.DescribedBy []string       ids of what describes it (aria-describedby)
//	.Value       string         the value to show again (never a password)
//	.Checked     bool           checkbox: checked
//	.Options     []{Value, Label string; Selected bool}  select, multiselect
//	.Info        template.HTML  null: sanitized text to show
//	.Image       string         null: the URL of an image (a captcha), or ""
//	.ImageAlt    string         null: the image's alternative text
//
// User is the signed-in user:
//
//	.Name        string         the wiki user name
//	.NameHTML    template.HTML  the name marked up, for a sentence
//	.ReturnTo    string         the local path the sign-in was to return
//	                            to, or ""
//	.Checked     bool           the wiki has just confirmed the session:
//	                            .EditCount and .Groups are known
//	.EditCount   int            their edit count
//	.Groups      []string       their groups, without "*"
//	.Warning     string         why the session could not be checked, or ""
//
// Error is what went wrong, in the page's language:
//
//	.Message     string         what happened, for the user
//	.Detail      string         more explanation, or ""
//	.Retry       bool           trying again may help
//
// Forms post to {{$.URL "/login"}}, "/restart", "/cancel" and "/logout"
// with the field csrf; the defaults show how.
package templates

import "embed"

// FS holds layout.html, the page templates and the field partials.
//
//go:embed *.html
var FS embed.FS
