package flow

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"maps"
	"net/url"
	"time"

	"github.com/mwlogin/mwlogin/mwclient"
)

// NonceParam is our own query parameter in loginreturnurl. It is removed
// before a REDIRECT's return parameters go back to the wiki.
const NonceParam = "mwlogin_state"

// FreshStep is the step of a login form that belongs to no stored flow: the
// form built from the cached meta=authmanagerinfo, which costs neither a
// wiki round trip nor server-side state to show.
const FreshStep = "fresh"

// Errors a REDIRECT return can end with. Nothing is logged in.
var (
	ErrNoPendingRedirect = errors.New("flow: no sign-in is waiting for a return from an identity provider in this browser")
	ErrStateMismatch     = errors.New("flow: the return's state parameter is missing or wrong")
	// ErrBadRedirectTarget: the wiki asked to send the browser somewhere
	// that is not an absolute http(s) URL.
	ErrBadRedirectTarget = errors.New("flow: the wiki's redirect target is not an absolute http or https URL")
)

// ErrUnknownStatus: clientlogin answered a status that is none of PASS,
// FAIL, UI, REDIRECT and RESTART (a newer MediaWiki, or an extension). The
// error wraps it with the status the wiki sent.
var ErrUnknownStatus = errors.New("flow: clientlogin answered a status this app does not know")

// Kind is what the browser must do after a step.
type Kind int

const (
	// Show the State's step (a form, a message).
	Show Kind = iota
	// Redirect the browser to State.RedirectTarget.
	Redirect
	// Pass: the user is signed in as Outcome.User.
	Pass
)

// Outcome is the answer to a step.
type Outcome struct {
	Kind Kind
	// Status is the wiki's answer that led here ("" when the wiki was not
	// asked, such as for a stale form).
	Status mwclient.Status
	State  *State // nil after Pass
	User   *User
}

// Config configures an Engine.
type Config struct {
	Client *mwclient.Client
	// ReturnURL is the absolute URL of our REDIRECT return endpoint.
	ReturnURL string
	// FormTTL is how long meta=authmanagerinfo is cached per language.
	FormTTL time.Duration
	// RecheckAfter is how long a signed-in user's wiki session is trusted
	// after the wiki last vouched for it (see Confirm); negative asks the
	// wiki every time.
	RecheckAfter time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// SiteMessages names the wiki's messages that Messages asks for;
	// SiteLanguages the languages Site describes (meta=languageinfo), such
	// as those of a language menu. SiteTTL is how long both are kept
	// (DefaultSiteTTL if zero).
	SiteMessages  []string
	SiteLanguages []string
	SiteTTL       time.Duration
}

// Engine runs logins. It is safe for concurrent use; all per-user state is
// in the States it hands out.
type Engine struct {
	client       *mwclient.Client
	returnURL    *url.URL
	forms        *formCache
	site         *siteCache
	recheckAfter time.Duration
	now          func() time.Time
}

// New returns an Engine.
func New(cfg Config) (*Engine, error) {
	if cfg.Client == nil {
		return nil, errors.New("flow: no wiki client")
	}
	u, err := url.Parse(cfg.ReturnURL)
	if err != nil || !u.IsAbs() || (u.Scheme != "http" && u.Scheme != "https") {
		return nil, fmt.Errorf("flow: return URL %q must be an absolute http(s) URL", cfg.ReturnURL)
	}
	if cfg.FormTTL <= 0 {
		cfg.FormTTL = time.Minute
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Engine{client: cfg.Client, returnURL: u, forms: newFormCache(cfg.Client, cfg.FormTTL, cfg.Now),
		site:         newSiteCache(cfg.Client, cfg.SiteMessages, cfg.SiteLanguages, cfg.SiteTTL, cfg.Now),
		recheckAfter: cfg.RecheckAfter, now: cfg.Now}, nil
}

// Begin returns a new flow at the login form. The form usually comes from
// the cache and the flow needs no storage until it is submitted (its Step is
// FreshStep). A form that carries wiki session state (hidden values, such as
// a captcha id) gets its own wiki session at once.
func (e *Engine) Begin(ctx context.Context, lang string) (*State, error) {
	reqs, err := e.forms.get(ctx, lang)
	if err != nil {
		return nil, err
	}
	st := &State{ID: randomID(), Stage: StageStart, Requests: reqs, Lang: lang, Step: FreshStep, Started: e.now()}
	if sessionBound(reqs) {
		if err := e.reload(ctx, st, e.client.NewSession(nil)); err != nil {
			return nil, err
		}
	}
	return st, nil
}

// Input is a posted step.
type Input struct {
	Step string     // the step named in the form
	Form url.Values // the posted values; only the wiki's fields are read
	Lang string     // the page's language (a MediaWiki code)
	// LangChosen: the user chose Lang (uselang), so it travels in
	// loginreturnurl for the return from an identity provider.
	LangChosen bool
}

// NewLogin reports whether Submit may start a login (check a password) for
// a post of step: the fresh form, the stored flow's login form, or any step
// when no flow is stored, as Submit starts afresh from a whole login form.
func NewLogin(st *State, step string) bool {
	return step == FreshStep || st == nil || (step == st.Step && st.Stage == StageStart)
}

// Submit handles a posted step: the login form or a UI step. st is the
// browser's stored flow, nil if none.
func (e *Engine) Submit(ctx context.Context, st *State, in Input) (Outcome, error) {
	step, form := in.Step, in.Form
	switch {
	case step == FreshStep:
		fresh, err := e.Begin(ctx, in.Lang)
		if err != nil {
			return Outcome{}, err
		}
		fresh.LangChosen = in.LangChosen
		return e.start(ctx, fresh, form)
	case st == nil:
		fresh, err := e.Begin(ctx, in.Lang)
		if err != nil {
			return Outcome{}, err
		}
		fresh.LangChosen = in.LangChosen
		if answers(fresh, form) {
			// The post's flow is gone (a double click whose first post
			// ended it, or it expired), but it carries a whole login
			// form: it can start afresh, as a fresh form would.
			return e.start(ctx, fresh, form)
		}
		fresh.Notice = NoticeLost
		return Outcome{Kind: Show, State: fresh}, nil
	case step == st.Answered:
		// The step was answered already, by another post of the same form
		// (a double click): show what it led to.
		return Outcome{Kind: Show, State: st}, nil
	case step != st.Step:
		st.Notice = NoticeStale
		return Outcome{Kind: Show, State: st}, nil
	}
	st.Notice = NoticeNone
	if in.Lang != "" {
		// The wiki answers the rest in the language of the page now (the
		// user may have switched it midway).
		st.Lang, st.LangChosen = in.Lang, in.LangChosen
	}
	switch st.Stage {
	case StageStart:
		return e.start(ctx, st, form)
	case StageContinue:
		// Merged, so that the login form's values (the user name) stay for
		// a FAIL later in the flow.
		if st.Values == nil {
			st.Values = map[string][]string{}
		}
		maps.Copy(st.Values, keepable(st, form))
		return e.cont(ctx, st, collect(st, form))
	default:
		// A REDIRECT or RESTART page has no fields of the wiki's to post.
		st.Notice = NoticeStale
		return Outcome{Kind: Show, State: st}, nil
	}
}

// Return handles the browser coming back from a REDIRECT with the
// parameters the third party gave it (query or POST).
func (e *Engine) Return(ctx context.Context, st *State, params url.Values) (Outcome, error) {
	if st == nil || st.Stage != StageRedirect || st.Nonce == "" {
		return Outcome{}, ErrNoPendingRedirect
	}
	got := params.Get(NonceParam)
	if got == "" || subtle.ConstantTimeCompare([]byte(got), []byte(st.Nonce)) != 1 {
		return Outcome{}, ErrStateMismatch
	}
	if params.Get("error") == "access_denied" {
		// The user said no at the provider (OAuth 2.0's answer, RFC 6749
		// 4.1.2.1): the wiki could only say the return lacks a code. The
		// wiki's half-done login is left to expire with its session.
		return e.startOver(ctx, st.Lang, NoticeDenied)
	}
	fields := url.Values{}
	for k, v := range params {
		if k != NonceParam && k != "uselang" {
			fields[k] = v
		}
	}
	// Leaving StageRedirect makes this return single-use: a replay finds no
	// pending redirect.
	st.Stage = StageContinue
	return e.cont(ctx, st, fields)
}

// Restart starts again after RESTART (or whenever the user asks), keeping
// the wiki session when the wiki can preserve what it learnt.
func (e *Engine) Restart(ctx context.Context, st *State) (Outcome, error) {
	if st == nil || !st.PreserveState {
		lang := ""
		if st != nil {
			lang = st.Lang
		}
		fresh, err := e.Begin(ctx, lang)
		if err != nil {
			return Outcome{}, err
		}
		fresh.Notice = NoticeRestarted
		return Outcome{Kind: Show, State: fresh}, nil
	}
	st.Stage, st.Message, st.MessageCode, st.Notice = StageStart, "", "", NoticeRestarted
	if err := e.reload(ctx, st, e.client.NewSession(st.Cookies)); err != nil {
		return Outcome{}, err
	}
	return Outcome{Kind: Show, State: st}, nil
}

func (e *Engine) start(ctx context.Context, st *State, form url.Values) (Outcome, error) {
	st.Notice = NoticeNone
	st.Values = keepable(st, form)
	st.Remember = remembers(st, form)
	fields := collect(st, form)
	if st.Nonce == "" {
		st.Nonce = randomID()
	}
	sess := e.client.NewSession(st.Cookies)
	lp := mwclient.LoginParams{ReturnURL: e.returnTo(st), PreserveState: st.PreserveState, Fields: fields, Lang: st.Lang}
	for attempt := 0; ; attempt++ {
		if st.Token == "" {
			tok, err := sess.Token(ctx, "login")
			if err != nil {
				return Outcome{}, err
			}
			st.Token = tok
		}
		lp.Token = st.Token
		res, err := sess.ClientLogin(ctx, lp)
		if errors.Is(err, mwclient.ErrBadToken) && attempt == 0 {
			// The wiki session behind the token is gone. Nothing has
			// happened in it yet, so a new one loses nothing.
			sess, st.Token, st.PreserveState = e.client.NewSession(nil), "", false
			lp.PreserveState = false
			continue
		}
		if err != nil {
			return Outcome{}, err
		}
		return e.handle(ctx, st, sess, res)
	}
}

func (e *Engine) cont(ctx context.Context, st *State, fields url.Values) (Outcome, error) {
	sess := e.client.NewSession(st.Cookies)
	res, err := sess.ClientLogin(ctx, mwclient.LoginParams{Token: st.Token, Continue: true, Fields: fields, Lang: st.Lang})
	if errors.Is(err, mwclient.ErrBadToken) {
		return e.startOver(ctx, st.Lang, NoticeExpired)
	}
	if err != nil {
		return Outcome{}, err
	}
	return e.handle(ctx, st, sess, res)
}

// handle moves the flow on from one clientlogin answer.
func (e *Engine) handle(ctx context.Context, st *State, sess *mwclient.Session, res *mwclient.LoginResult) (Outcome, error) {
	out, err := e.next(ctx, st, sess, res)
	out.Status = res.Status
	return out, err
}

func (e *Engine) next(ctx context.Context, st *State, sess *mwclient.Session, res *mwclient.LoginResult) (Outcome, error) {
	st.Cookies = sess.Cookies()
	prev := st.Stage
	st.Message, st.MessageCode = res.Message, res.MessageCode
	st.Answered, st.Step = st.Step, randomID()
	switch res.Status {
	case mwclient.StatusPass:
		return Outcome{Kind: Pass, User: &User{Name: res.Username, Cookies: st.Cookies, SignedIn: e.now(), Remember: st.Remember}}, nil
	case mwclient.StatusFail:
		if prev != StageStart && res.MessageCode == "authmanager-authn-not-in-progress" {
			return e.startOver(ctx, st.Lang, NoticeExpired)
		}
		st.Stage, st.Tone = StageStart, ToneError
		// The FAIL may have switched on a captcha, which only shows in
		// authmanagerinfo, in this wiki session.
		if err := e.reload(ctx, st, sess); err != nil {
			return Outcome{}, err
		}
		return Outcome{Kind: Show, State: st}, nil
	case mwclient.StatusUI:
		// The same step again means the wiki refused what was entered.
		st.Tone = ToneInfo
		if prev == StageContinue && sameRequests(st.Requests, res.Requests) {
			st.Tone = ToneError
		}
		st.Stage, st.Requests = StageContinue, res.Requests
		return Outcome{Kind: Show, State: st}, nil
	case mwclient.StatusRedirect:
		target, err := url.Parse(res.RedirectTarget)
		if err != nil || (target.Scheme != "http" && target.Scheme != "https") || target.Host == "" {
			return Outcome{}, ErrBadRedirectTarget
		}
		st.Stage, st.Requests, st.RedirectTarget, st.Tone = StageRedirect, res.Requests, target.String(), ToneInfo
		return Outcome{Kind: Redirect, State: st}, nil
	case mwclient.StatusRestart:
		st.Stage, st.Tone, st.PreserveState = StageRestart, ToneError, res.CanPreserveState
		st.Requests = res.Requests
		return Outcome{Kind: Show, State: st}, nil
	}
	return Outcome{}, fmt.Errorf("%w: %q", ErrUnknownStatus, res.Status)
}

// startOver answers a flow that cannot go on (its wiki session is gone, or we
// no longer have it): a fresh form and a word on what happened.
func (e *Engine) startOver(ctx context.Context, lang string, why Notice) (Outcome, error) {
	st, err := e.Begin(ctx, lang)
	if err != nil {
		return Outcome{}, err
	}
	st.Notice = why
	return Outcome{Kind: Show, State: st}, nil
}

// reload shows the login form from meta=authmanagerinfo asked in the flow's
// own wiki session, with a fresh login token in the same round trip.
func (e *Engine) reload(ctx context.Context, st *State, sess *mwclient.Session) error {
	info, tok, err := sess.AuthManagerInfo(ctx, mwclient.InfoQuery{Lang: st.Lang, LoginToken: true})
	if err != nil {
		return err
	}
	st.Requests, st.Token, st.Cookies = info.Requests, tok, sess.Cookies()
	if st.Step == FreshStep {
		st.Step = randomID()
	}
	return nil
}

func (e *Engine) returnTo(st *State) string {
	u := *e.returnURL
	q := u.Query()
	q.Set(NonceParam, st.Nonce)
	if st.LangChosen && st.Lang != "" {
		q.Set("uselang", st.Lang)
	}
	u.RawQuery = q.Encode()
	return u.String()
}

// sessionBound reports whether a form carries values the wiki keeps in a
// wiki session (hidden fields, such as ConfirmEdit's captchaId), so that it
// cannot be shared between users.
func sessionBound(reqs []mwclient.Request) bool {
	for _, r := range reqs {
		for _, f := range r.Fields {
			if f.Type == mwclient.FieldHidden && f.Value != "" {
				return true
			}
		}
	}
	return false
}

func sameRequests(a, b []mwclient.Request) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].ID != b[i].ID {
			return false
		}
	}
	return true
}
