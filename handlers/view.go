package handlers

import (
	"html/template"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/mwlogin/mwlogin/flow"
	"github.com/mwlogin/mwlogin/internal/wikihtml"
	"github.com/mwlogin/mwlogin/locale"
	"github.com/mwlogin/mwlogin/mwclient"
)

// pageData is what every template gets.
type pageData struct {
	// AppName is Options.AppName, the host's name for the app; SiteName
	// names the wiki in the header and the title (its sitename, or
	// AppName when the wiki has not said). WikiName names the wiki in
	// sentences (its sitename, or its host), WikiURL is its main page;
	// CreateAccountURL its Special:CreateAccount, "" when it lets nobody
	// create an account.
	AppName          string
	SiteName         string
	WikiName         string
	WikiURL          string
	CreateAccountURL string
	Title            string
	Prefix           string
	CSRF             string
	Notice           string
	NoticeTone       string
	Step             *stepView
	User             *userView
	Error            *errorText
	Bounce           []hiddenValue
	Banner           template.HTML
	// HomeURL is Options.HomeURL: the host's page.
	HomeURL string
	// Lang and Dir are the page's language and its direction ("rtl" or
	// "ltr"). Logo and MainPage are the wiki's (absolute URLs, or "").
	Lang, Dir string
	Logo      string
	MainPage  string
	// Links are the wiki's login links it offers (password reset, account
	// creation, help); Languages the language menu.
	Links     []linkView
	Languages []langView
	sp        *speech
}

// T is the text id in the page's language (see speech.html), for the
// templates: {{$.T "login"}}, {{$.T "redirect-status" "Host" .TargetHost}}.
func (p *pageData) T(id string, args ...any) (template.HTML, error) {
	return p.speech().html(id, args...)
}

// URL is one of our paths under the prefix, carrying the language the user
// chose: {{$.URL "/login"}}.
func (p *pageData) URL(path string) string {
	return p.speech().local(p.Prefix + path)
}

// Anchor is a link, for a text that has one inside: {{$.T "id" "Link"
// ($.Anchor $.URL "text")}}. href must be an http(s) URL or a path.
func (p *pageData) Anchor(href string, text template.HTML) template.HTML {
	if u, err := url.Parse(href); err != nil || (u.Scheme != "" && u.Scheme != "http" && u.Scheme != "https") {
		return text
	}
	return template.HTML(`<a href="`+template.HTMLEscapeString(href)+`">`) + text + "</a>"
}

func (p *pageData) speech() *speech {
	if p.sp == nil {
		p.sp = &speech{lang: locale.English, dir: "ltr", cat: locale.Default()}
	}
	return p.sp
}

type stepView struct {
	Stage   string
	ID      string
	Message template.HTML
	Tone    string
	Fields  []fieldView
	Buttons []fieldView
	Submit  string // a text ID
	// CanCancel offers to drop the flow (after the first step).
	CanCancel bool
	// Preserve: after RESTART, starting again keeps the wiki's state.
	Preserve   bool
	Target     string
	TargetHost string
	// AutoRedirect sends the browser on at once (a meta refresh, which
	// CSP's form-action does not block as it would a 303 to another site).
	AutoRedirect bool
}

type fieldView struct {
	ID           string
	Name         string
	Type         string
	InputType    string
	Label        template.HTML
	Help         template.HTML
	HelpText     string
	Required     bool
	Optional     bool
	Autofocus    bool
	Autocomplete string
	// DescribedBy lists the IDs of what describes the field: its
	// request's informational fields and its help.
	DescribedBy []string
	Value       string
	Checked     bool
	Options     []optionView
	Info        template.HTML
	Image       string
	ImageAlt    string
	// Placeholder is a hint shown in an empty text box.
	Placeholder string
	page        *pageData
}

// T is the text id in the page's language, for the field templates.
func (f fieldView) T(id string, args ...any) (template.HTML, error) {
	if f.page == nil {
		return (&pageData{}).T(id, args...)
	}
	return f.page.T(id, args...)
}

type optionView struct {
	Value    string
	Label    string
	Selected bool
}

type userView struct {
	Name string
	// NameHTML is the name, marked up, for a sentence; ReturnTo the local
	// path the sign-in was asked to return to.
	NameHTML  template.HTML
	ReturnTo  string
	Checked   bool
	EditCount int
	Groups    []string
	Warning   string
}

// errorView is what an error page says, as texts of the catalogs.
type errorView struct {
	Message msg
	Detail  msg
	Retry   bool
}

// errorText is an errorView in the page's language.
type errorText struct {
	Message string
	Detail  string
	Retry   bool
}

// msg is a text of the catalogs with its values (name, value pairs), or a
// text from elsewhere (the wiki's) shown as it is.
type msg struct {
	ID   string
	Args []any
	Raw  string
}

func m(id string, args ...any) msg { return msg{ID: id, Args: args} }

func rawMsg(s string) msg { return msg{Raw: s} }

type hiddenValue struct{ Name, Value string }

// stepTitle is the heading of each stage (a text ID).
var stepTitle = map[flow.Stage]string{
	flow.StageStart:    "login",
	flow.StageContinue: "title-continue",
	flow.StageRedirect: "title-redirect",
	flow.StageRestart:  "title-restart",
}

// buildStep turns a flow state into what the page shows. Fields are
// rendered from their description alone (type, label, help, ...), never by
// the id of the request they come from, so any provider's fields work.
func buildStep(st *flow.State, san *wikihtml.Sanitizer, prefix string) *stepView {
	v := &stepView{Stage: string(st.Stage), ID: st.Step, Message: san.HTML(st.Message), Tone: string(st.Tone)}
	if v.Tone == "" {
		v.Tone = string(flow.ToneInfo)
	}
	switch st.Stage {
	case flow.StageRedirect:
		v.Target = st.RedirectTarget
		if u, err := url.Parse(st.RedirectTarget); err == nil {
			v.TargetHost = u.Host
		}
		return v
	case flow.StageRestart:
		v.Preserve = st.PreserveState
		return v
	}
	primaries := 0
	for _, r := range st.Requests {
		if r.Required == "primary-required" {
			primaries++
		}
	}
	seen := map[string]bool{}
	// The primary requests first (user name, password), then the others
	// (a captcha), then optional ones, as Special:UserLogin orders them.
	order := make([]int, len(st.Requests))
	for i := range order {
		order[i] = i
	}
	rank := map[string]int{"primary-required": 0, "required": 1}
	slices.SortStableFunc(order, func(x, y int) int {
		rx, ok := rank[st.Requests[x].Required]
		if !ok {
			rx = 2
		}
		ry, ok := rank[st.Requests[y].Required]
		if !ok {
			ry = 2
		}
		return rx - ry
	})
	for _, ri := range order {
		r := st.Requests[ri]
		// In a request that asks one thing (a captcha), its informational
		// fields (the question) say what the answer is to: a screen reader
		// reads them with the answer's field.
		var infos []string
		inputs := 0
		for fi, f := range r.Fields {
			switch f.Type {
			case mwclient.FieldNull:
				if !seen[f.Name] {
					infos = append(infos, fieldID(ri, fi))
				}
			case mwclient.FieldHidden, mwclient.FieldButton:
			default:
				inputs++
			}
		}
		if inputs != 1 {
			infos = nil
		}
		for fi, f := range r.Fields {
			if seen[f.Name] || f.Type == mwclient.FieldHidden {
				continue
			}
			seen[f.Name] = true
			fv := buildField(f, r, st, san)
			fv.ID = fieldID(ri, fi)
			if f.Type != mwclient.FieldNull {
				fv.DescribedBy = slices.Clone(infos)
			}
			if fv.Help != "" {
				fv.DescribedBy = append(fv.DescribedBy, fv.ID+"-help")
			}
			// A field is required only if its request is: with several
			// primary providers (password, SSO button) none of them is.
			fv.Required = !f.Optional && (r.Required == "required" || (r.Required == "primary-required" && primaries == 1))
			if f.Type == mwclient.FieldNull && fv.Image != "" {
				fv.Image = prefix + "/captcha/" + url.PathEscape(st.Step) + "/" + strconv.Itoa(imageIndex(st, f.Name))
			}
			if f.Type == mwclient.FieldButton {
				v.Buttons = append(v.Buttons, fv)
				continue
			}
			v.Fields = append(v.Fields, fv)
		}
	}
	// Focus the first field still to fill in (after a FAIL the user name is
	// kept, so the password), else the first field.
	first := -1
	for i, f := range v.Fields {
		if f.Type == mwclient.FieldNull {
			continue
		}
		if first < 0 {
			first = i
		}
		if f.Value == "" && f.Type != mwclient.FieldCheckbox && f.Type != mwclient.FieldMultiselect {
			first = i
			break
		}
	}
	if first >= 0 {
		v.Fields[first].Autofocus = true
	}
	if slices.ContainsFunc(v.Fields, func(f fieldView) bool { return f.Type != mwclient.FieldNull }) {
		v.Submit = "pt-login-button"
		if st.Stage == flow.StageContinue {
			v.Submit = "submit-continue"
		}
	}
	v.CanCancel = st.Stage != flow.StageStart
	return v
}

func buildField(f mwclient.Field, r mwclient.Request, st *flow.State, san *wikihtml.Sanitizer) fieldView {
	fv := fieldView{
		Name: f.Name, Type: f.Type, Label: san.HTML(f.Label), Optional: f.Optional,
	}
	if !quietHelp[requestClass(r.ID)+" "+f.Name] {
		fv.Help, fv.HelpText = san.HTML(f.Help), san.Text(f.Help)
	}
	if fv.Label == "" {
		fv.Label = template.HTML(template.HTMLEscapeString(f.Name))
	}
	kept := st.Values[f.Name]
	switch f.Type {
	case mwclient.FieldPassword:
		fv.InputType = "password"
		fv.Autocomplete = passwordAutocomplete(st.Stage, f.Name)
	case mwclient.FieldString:
		fv.InputType = "text"
		switch {
		case f.Sensitive:
			fv.Autocomplete = "off"
		case f.Name == "username":
			fv.Autocomplete = "username"
		case f.Name == "OATHToken":
			// OATHAuth's own form asks for one-time-code. Not
			// inputmode=numeric: the field takes recovery codes too,
			// which are base32 (letters and digits).
			fv.Autocomplete = "one-time-code"
		case f.Name == "captchaWord":
			fv.Autocomplete = "off"
		}
		// Never show a sensitive value again; otherwise the user's own
		// entry wins over the wiki's default.
		if !f.Sensitive {
			fv.Value = f.Value
			if len(kept) > 0 {
				fv.Value = kept[0]
			}
		}
	case mwclient.FieldCheckbox:
		fv.Checked = f.Value != "" && f.Value != "0"
		if kept != nil {
			fv.Checked = len(kept) > 0 && kept[0] != ""
		}
	case mwclient.FieldSelect, mwclient.FieldMultiselect:
		chosen := map[string]bool{}
		if kept != nil {
			for _, k := range kept {
				chosen[k] = true
			}
		} else if f.Value != "" {
			chosen[f.Value] = true
		}
		for _, o := range f.Options {
			fv.Options = append(fv.Options, optionView{Value: o.Value, Label: san.Text(o.Label), Selected: chosen[o.Value]})
		}
	case mwclient.FieldButton:
		// A button's label is its caption; its value says nothing.
	case mwclient.FieldNull:
		if flow.IsImage(r, f) {
			fv.Image = f.Value              // replaced by the proxy URL by the caller
			fv.ImageAlt = san.Text(f.Label) // "" gets our "CAPTCHA image"
		} else {
			fv.Info = san.HTML(f.Value)
		}
	default:
		// A type this version does not know: a plain text box still lets
		// the user answer.
		fv.Type, fv.InputType = mwclient.FieldString, "text"
	}
	return fv
}

func fieldID(request, field int) string {
	return "f-" + strconv.Itoa(request) + "-" + strconv.Itoa(field)
}

// passwordAutocomplete tells password managers what a password field is,
// as Special:UserLogin does: the account's password on the login form
// (current-password, so they fill it in), a new one on a later step (the
// password change the wiki asks for after a temporary password, whose
// fields are password and retype), and nothing for any other secret (a
// provider's PIN), which they must neither fill in nor save.
func passwordAutocomplete(stage flow.Stage, name string) string {
	switch {
	case stage == flow.StageStart && name == "password":
		return "current-password"
	case stage != flow.StageStart && (name == "password" || name == "retype"):
		return "new-password"
	}
	return "off"
}

// quietHelp names the fields of MediaWiki's own requests (by class and
// field name) whose help only says what the label does ("Username for
// authentication.", "Solution of the CAPTCHA."): Special:UserLogin shows
// none of them, and neither do we. A provider's help is shown, since it
// may say something new.
var quietHelp = map[string]bool{
	"PasswordAuthenticationRequest username":     true,
	"PasswordAuthenticationRequest password":     true,
	"RememberMeAuthenticationRequest rememberMe": true,
	"CaptchaAuthenticationRequest captchaWord":   true,
	"CaptchaAuthenticationRequest captchaInfo":   true,
}

// requestClass is a request id's class name without its namespace (and
// without a provider's ":suffix").
func requestClass(id string) string {
	id, _, _ = strings.Cut(id, ":")
	return id[strings.LastIndex(id, `\`)+1:]
}

// placeholders are MediaWiki's own hints in the login form's fields, as
// Special:UserLogin shows them: the wiki's messages (siteMessages).
var placeholders = map[string]string{
	"username": "userlogin-yourname-ph",
	"password": "userlogin-yourpassword-ph",
}

// imageIndex numbers the image fields of a step, for the proxy URL; the
// flow fetches the image by the same number (flow.Engine.Image).
func imageIndex(st *flow.State, name string) int {
	n := 0
	for _, r := range st.Requests {
		for _, f := range r.Fields {
			if flow.IsImage(r, f) {
				if f.Name == name {
					return n
				}
				n++
			}
		}
	}
	return -1
}
