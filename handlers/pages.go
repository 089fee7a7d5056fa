package handlers

import (
	"context"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/gorilla/sessions"

	"github.com/mwlogin/mwlogin/flow"
	"github.com/mwlogin/mwlogin/mwclient"
)

// Session value keys.
const (
	keyFlow = "flow"
	keyUser = "user"
)

// session returns the request's session (loaded once per request).
func (a *App) session(c *gin.Context) *sessions.Session {
	sess, _ := a.store.Get(c.Request, a.opts.CookieName)
	return sess
}

// loadSession reads the session before any handler, so that a session
// backend that does not answer gives a clear 503 instead of looking like a
// signed-out user.
func (a *App) loadSession(c *gin.Context) {
	sess, ok := a.sessionOrFail(c)
	if !ok {
		return
	}
	if a.store.Followed(sess) {
		// The browser still holds the cookie from before a step that
		// another of its requests finished (a double click, a reload):
		// give it the new one.
		if err := a.save(c, sess); err != nil {
			a.fail(c, err)
			c.Abort()
			return
		}
	}
	c.Next()
}

// sessionOrFail loads the request's session, or answers 503 and aborts
// when the backend does not answer.
func (a *App) sessionOrFail(c *gin.Context) (*sessions.Session, bool) {
	sess, err := a.store.Get(c.Request, a.opts.CookieName)
	if err != nil {
		a.fail(c, fmt.Errorf("%w: %w", errStore, err))
		c.Abort()
		return nil, false
	}
	return sess, true
}

func flowOf(s *sessions.Session) *flow.State {
	st, _ := s.Values[keyFlow].(*flow.State)
	return st
}

func userOf(s *sessions.Session) *flow.User {
	u, _ := s.Values[keyUser].(*flow.User)
	return u
}

// save writes the session. A signed-in session lives for SessionLifetime
// (RememberLifetime if the user asked to stay logged in), a login in
// progress for FlowLifetime.
func (a *App) save(c *gin.Context, s *sessions.Session) error {
	a.setLifetime(s)
	// Once the wiki has done a step, what it led to must be stored even if
	// the browser has gone (a double click abandons the first post).
	r := c.Request.WithContext(context.WithoutCancel(c.Request.Context()))
	if err := s.Save(r, c.Writer); err != nil {
		return fmt.Errorf("%w: %w", errStore, err)
	}
	return nil
}

// setLifetime sets how long the session lives from its next save.
func (a *App) setLifetime(s *sessions.Session) {
	if s.Options.MaxAge < 0 {
		return
	}
	life := a.opts.FlowLifetime
	if u := userOf(s); u != nil {
		life = a.opts.SessionLifetime
		if u.Remember {
			// The wiki keeps this login for RememberLifetime; so do we,
			// with a cookie the browser keeps as long.
			life = max(life, a.opts.RememberLifetime)
			a.store.Persist(s)
		}
	}
	s.Options.MaxAge = int(life.Seconds())
}

// lock makes the requests that change one browser's flow take turns
// (Store.Lock), and reloads sess as the previous one left it. It answers
// the request itself when the store fails.
func (a *App) lock(c *gin.Context, sess *sessions.Session) (unlock func(), ok bool) {
	unlock, err := a.store.Lock(c.Request, sess)
	if err != nil {
		a.fail(c, fmt.Errorf("%w: %w", errStore, err))
		return nil, false
	}
	return unlock, true
}

// page starts a page titled by the text title, in the request's language.
func (a *App) page(c *gin.Context, s *sessions.Session, title string) *pageData {
	p := a.newPage(a.speech(c), title, a.store.CSRFToken(s))
	if a.opts.Banner != nil {
		p.Banner = a.opts.Banner(c)
	}
	return p
}

// newPage starts a page in sp's language, titled by the text title.
func (a *App) newPage(sp *speech, title, csrf string) *pageData {
	p := &pageData{AppName: a.opts.AppName, Prefix: a.prefix, CSRF: csrf, sp: sp,
		Lang: sp.lang, Dir: sp.dir, Languages: sp.menu(a.prefix), HomeURL: a.opts.HomeURL}
	if p.AppName == "" {
		p.AppName = sp.text("app-name")
	}
	p.SiteName, p.WikiName, p.WikiURL = p.AppName, a.opts.Client.APIURL().Host, a.wikiURL
	p.CreateAccountURL = a.wikiURL + "?title=Special:CreateAccount"
	if sp.site != nil {
		p.SiteName, p.WikiName = sp.site.Name, sp.site.Name
		p.Logo, p.MainPage = sp.site.Logo, sp.wikiURL(sp.site.MainPage)
		p.WikiURL = p.MainPage
		p.CreateAccountURL = ""
		if sp.site.CanCreateAccount {
			p.CreateAccountURL = sp.special("CreateAccount")
		}
	}
	p.Title = sp.text(title)
	return p
}

// render writes a page, its CSP allowing the wiki's logo.
func (a *App) render(c *gin.Context, status int, name string, p *pageData) {
	a.allowLogo(c.Writer.Header(), p)
	a.pages.render(c, status, name, p)
}

// allowLogo lets the page's CSP load the wiki's logo.
func (a *App) allowLogo(h http.Header, p *pageData) {
	if u, err := url.Parse(p.Logo); err == nil && p.Logo != "" && u.Host != "" {
		h.Set("Content-Security-Policy", strings.Replace(a.csp, "img-src 'self'", "img-src 'self' "+u.Scheme+"://"+u.Host, 1))
	}
}

func (a *App) errorPage(c *gin.Context, status int, ev errorView) {
	s := a.session(c)
	p := a.page(c, s, "title-error-page")
	p.Error = &errorText{Message: p.sp.say(ev.Message), Detail: p.sp.say(ev.Detail), Retry: ev.Retry}
	a.render(c, status, tmplError, p)
}

// statusClientClosed is nginx's 499 "client closed request": nobody reads
// it, but the access log then tells an abandoned request from a failure.
const statusClientClosed = 499

// fail answers an error from the flow or the wiki, and logs it.
func (a *App) fail(c *gin.Context, err error) {
	if errors.Is(err, context.Canceled) || errors.Is(c.Request.Context().Err(), context.Canceled) {
		// The browser went away (a closed tab, the stop button): no page
		// would reach anyone, and neither the wiki nor we failed.
		a.log.InfoContext(c.Request.Context(), "browser went away", "path", c.Request.URL.Path, "err", err)
		c.Status(statusClientClosed)
		c.Abort()
		return
	}
	status, ev := describe(err)
	level := slog.LevelWarn
	if status >= 500 {
		level = slog.LevelError
	}
	a.log.Log(c.Request.Context(), level, "login request failed", "path", c.Request.URL.Path, "status", status, "err", err)
	a.errorPage(c, status, ev)
}

// index shows the signed-in page, or the current step of the login.
func (a *App) index(c *gin.Context) {
	sess := a.session(c)
	if u := userOf(sess); u != nil {
		if rt := a.returnTo(c.Query("returnto")); rt != "" {
			c.Redirect(http.StatusSeeOther, rt)
			return
		}
		a.signedIn(c, sess, u)
		return
	}
	a.rememberReturnTo(c, sess)
	st := flowOf(sess)
	if st != nil && st.Tone == flow.ToneError && (st.Stage == flow.StageStart || st.Stage == flow.StageContinue) {
		// The wiki's refusal ("Incorrect username or password") was shown
		// with the answer to the post that caused it; a later visit gets
		// the form without it. A RESTART's message is the page itself.
		st.Message, st.Tone = "", flow.ToneInfo
	}
	notice := ""
	switch c.Query("signedout") {
	case "":
	case signedOutHere:
		notice = "notice-signedout-here"
	default:
		notice = "notice-signedout"
	}
	sp := a.speech(c)
	if st == nil {
		var err error
		if st, err = a.flows.Begin(a.wikiContext(c), sp.lang); err != nil {
			a.fail(c, err)
			return
		}
	}
	a.show(c, sess, st, http.StatusOK, notice, false)
}

// show stores the flow (unless it is a fresh form that needs no storage) and
// renders its step, with the notice (a text ID) or the flow's. Our notices
// are shown once.
func (a *App) show(c *gin.Context, sess *sessions.Session, st *flow.State, status int, notice string, autoRedirect bool) {
	tone := "info"
	switch st.Notice {
	case flow.NoticeExpired:
		notice, tone = "notice-expired", "error"
	case flow.NoticeLost:
		notice, tone = "notice-lost", "error"
	case flow.NoticeStale:
		notice, tone = staleNotice, "error"
	case flow.NoticeRestarted:
		notice = "notice-restarted"
	case flow.NoticeDenied:
		notice, tone = "notice-denied", "error"
	}
	st.Notice = flow.NoticeNone
	if st.Step == flow.FreshStep {
		delete(sess.Values, keyFlow)
	} else {
		sess.Values[keyFlow] = st
		a.opts.Metrics.FlowActive(st.ID, time.Now().Add(a.opts.FlowLifetime))
	}
	if err := a.save(c, sess); err != nil {
		a.fail(c, err)
		return
	}
	a.renderStep(c, sess, st, status, notice, tone, autoRedirect)
}

// renderStep renders a flow's step without storing anything.
func (a *App) renderStep(c *gin.Context, sess *sessions.Session, st *flow.State, status int, notice, tone string, autoRedirect bool) {
	p := a.page(c, sess, stepTitle[st.Stage])
	if notice != "" {
		p.Notice, p.NoticeTone = p.sp.text(notice), tone
	}
	if st.Stage == flow.StageStart {
		p.Links = p.sp.links()
	}
	p.Step = buildStep(st, a.html, a.prefix)
	for i, f := range p.Step.Fields {
		p.Step.Fields[i].page = p
		if id, ok := placeholders[f.Name]; ok && st.Stage == flow.StageStart && (f.Type == mwclient.FieldString || f.Type == mwclient.FieldPassword) {
			p.Step.Fields[i].Placeholder = p.sp.text(id)
		}
	}
	name := tmplLogin
	switch st.Stage {
	case flow.StageRedirect:
		name = tmplRedirect
		p.Step.AutoRedirect = autoRedirect
	case flow.StageRestart:
		name = tmplRestart
	}
	a.render(c, status, name, p)
}

const staleNotice = "notice-stale"

// submit handles the login form and every UI step.
func (a *App) submit(c *gin.Context) {
	sess := a.session(c)
	if flowOf(sess) != nil {
		// A double click posts the same step twice: the wiki must answer it
		// once, and the second post shows what the first one led to.
		unlock, ok := a.lock(c, sess)
		if !ok {
			return
		}
		defer unlock()
	}
	if userOf(sess) != nil {
		// Another post of this step signed the browser in.
		if err := a.save(c, sess); err != nil {
			a.fail(c, err)
			return
		}
		c.Redirect(http.StatusSeeOther, a.afterSignIn(c, sess))
		return
	}
	st, step := flowOf(sess), c.PostForm("step")
	at, ok := a.admit(c, st, step)
	if !ok {
		return
	}
	// Only this browser knows the ID of a flow past its first step (it was
	// issued when the wiki learnt the first factor), so only an answer to
	// that step, in that flow, may leave the old ID leading to the new one
	// for a moment (Store.Rotate). A fresh login posted under such an ID
	// (one an attacker may have planted) may not.
	grace := st != nil && st.Stage == flow.StageContinue && step == st.Step
	sp := a.speech(c)
	out, err := a.flows.Submit(a.wikiContext(c), st, flow.Input{
		Step: step, Form: c.Request.PostForm, Lang: sp.lang, LangChosen: sp.chosen})
	a.settle(at, out, err)
	if err != nil {
		a.fail(c, err)
		return
	}
	a.apply(c, sess, out, grace)
}

// apply shows the outcome of a step. Whenever the wiki answered, the
// session gets a new ID: whoever knew the ID from before the step (say, a
// cookie planted in this browser) learns nothing of what the wiki learnt.
func (a *App) apply(c *gin.Context, sess *sessions.Session, out flow.Outcome, grace bool) {
	if out.Status != "" {
		a.store.Rotate(sess, grace)
		code := ""
		if out.State != nil {
			code = out.State.MessageCode
		}
		a.opts.Metrics.LoginOutcome(string(out.Status), code)
	}
	switch out.Kind {
	case flow.Pass:
		if st := flowOf(sess); st != nil {
			a.opts.Metrics.FlowEnded(st.ID)
		}
		a.signIn(c, sess, out.User)
	case flow.Redirect:
		// The target's query holds the provider's state: log the host only.
		target := ""
		if u, err := url.Parse(out.State.RedirectTarget); err == nil {
			target = u.Host
		}
		a.log.InfoContext(c.Request.Context(), "login outcome", "flow", out.State.ID, "status", "REDIRECT", "target_host", target)
		a.show(c, sess, out.State, http.StatusOK, "", true)
	default:
		st := out.State
		if out.Status != "" {
			a.log.InfoContext(c.Request.Context(), "login outcome", "flow", st.ID, "status", string(out.Status), "messagecode", st.MessageCode)
		}
		a.show(c, sess, st, http.StatusOK, "", false)
	}
}

// signIn ends a login with PASS (the session has a new ID, see apply): the
// user and their wiki session stored.
func (a *App) signIn(c *gin.Context, sess *sessions.Session, u *flow.User) {
	delete(sess.Values, keyFlow)
	sess.Values[keyUser] = u
	target := a.afterSignIn(c, sess)
	if err := a.save(c, sess); err != nil {
		a.fail(c, err)
		return
	}
	a.log.InfoContext(c.Request.Context(), "login outcome", "status", "PASS", "user", u.Name)
	if a.opts.OnSignIn != nil {
		a.opts.OnSignIn(c, u.Name)
	}
	c.Redirect(http.StatusSeeOther, target)
}

// afterSignIn is where a PASS leads: the path asked for, or our signed-in
// page in the user's chosen language.
func (a *App) afterSignIn(c *gin.Context, sess *sessions.Session) string {
	target := a.takeReturnTo(sess)
	if target == a.prefix+"/" {
		target = a.speech(c).local(target)
	}
	return target
}

// callback is loginreturnurl: the browser back from a REDIRECT.
func (a *App) callback(c *gin.Context) {
	params := c.Request.URL.Query()
	if c.Request.Method == http.MethodPost {
		for k, v := range c.Request.PostForm {
			params[k] = append(params[k], v...)
		}
	}
	sess := a.session(c)
	if flowOf(sess) != nil {
		// A reload of the return must not send the provider's answer twice.
		unlock, ok := a.lock(c, sess)
		if !ok {
			return
		}
		defer unlock()
	}
	st := flowOf(sess)
	bounced := params.Get("mwlogin_bounced") != ""
	params.Del("mwlogin_bounced")
	if c.Request.Method == http.MethodPost && !bounced && (st == nil || st.Stage != flow.StageRedirect) {
		// A cross-site POST arrives without our SameSite=Lax cookie. Post
		// the same values again from our own page, which carries it.
		p := a.page(c, sess, "title-bounce")
		keys := make([]string, 0, len(params))
		for k := range params {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			for _, v := range params[k] {
				p.Bounce = append(p.Bounce, hiddenValue{Name: k, Value: v})
			}
		}
		a.render(c, http.StatusOK, tmplBounce, p)
		return
	}
	if st != nil {
		st.Lang = a.speech(c).lang
	}
	out, err := a.flows.Return(a.wikiContext(c), st, params)
	if err != nil {
		if errors.Is(err, flow.ErrNoPendingRedirect) || errors.Is(err, flow.ErrStateMismatch) {
			a.log.WarnContext(c.Request.Context(), "REDIRECT return refused", "err", err, "has_flow", st != nil)
			status, ev := describe(err)
			a.errorPage(c, status, ev)
			return
		}
		// The flow moved past StageRedirect before failing; keep that, so
		// the same return cannot be replayed.
		sess.Values[keyFlow] = st
		_ = a.save(c, sess)
		a.fail(c, err)
		return
	}
	a.apply(c, sess, out, false)
}

// restart starts again after RESTART, preserving the wiki's state when it
// allows.
func (a *App) restart(c *gin.Context) {
	sess := a.session(c)
	if flowOf(sess) != nil {
		unlock, ok := a.lock(c, sess)
		if !ok {
			return
		}
		defer unlock()
	}
	st := flowOf(sess)
	if st != nil {
		st.Lang = a.speech(c).lang
	}
	out, err := a.flows.Restart(a.wikiContext(c), st)
	if err != nil {
		a.fail(c, err)
		return
	}
	a.apply(c, sess, out, false)
}

// cancel drops the login in progress.
func (a *App) cancel(c *gin.Context) {
	sess := a.session(c)
	if st := flowOf(sess); st != nil {
		a.opts.Metrics.FlowEnded(st.ID)
	}
	delete(sess.Values, keyFlow)
	if err := a.save(c, sess); err != nil {
		a.fail(c, err)
		return
	}
	c.Redirect(http.StatusSeeOther, a.speech(c).local(a.prefix+"/"))
}

// signedOutHere is the signedout value of a sign-out the wiki did not
// hear of, so that the next page does not claim the wiki session ended.
const signedOutHere = "here"

// logout signs out here and on the wiki.
func (a *App) logout(c *gin.Context) {
	sess := a.session(c)
	signedOut := "1"
	if u := userOf(sess); u != nil {
		if err := a.flows.SignOut(a.wikiContext(c), u); err != nil {
			// Our side still signs out; the wiki session will expire.
			a.log.WarnContext(c.Request.Context(), "wiki logout failed", "user", u.Name, "err", err)
			signedOut = signedOutHere
		}
		a.log.InfoContext(c.Request.Context(), "signed out", "user", u.Name)
		if a.opts.OnSignOut != nil {
			a.opts.OnSignOut(c, u.Name)
		}
	}
	sess.Values = map[any]any{}
	sess.Options.MaxAge = -1
	if err := a.save(c, sess); err != nil {
		a.fail(c, err)
		return
	}
	if rt := a.returnTo(c.Query("returnto")); rt != "" {
		// A host's sign-out form (LogoutURL): back to the host.
		c.Redirect(http.StatusSeeOther, rt)
		return
	}
	c.Redirect(http.StatusSeeOther, a.speech(c).local(a.prefix+"/", "signedout", signedOut))
}

// signedIn shows who is signed in, once the flow has made sure the wiki
// still vouches for the user's wiki session (flow.Engine.Confirm).
func (a *App) signedIn(c *gin.Context, sess *sessions.Session, u *flow.User) {
	before := u.Cookies
	asked, err := a.flows.Confirm(a.wikiContext(c), u)
	warning := ""
	switch {
	case errors.Is(err, flow.ErrSignedOut):
		a.log.InfoContext(c.Request.Context(), "wiki session ended", "user", u.Name)
		delete(sess.Values, keyUser)
		st, err := a.flows.Begin(a.wikiContext(c), a.speech(c).lang)
		if err != nil {
			a.fail(c, err)
			return
		}
		a.show(c, sess, st, http.StatusOK, "notice-session-ended", false)
		return
	case err != nil:
		a.log.WarnContext(c.Request.Context(), "could not check the wiki session", "user", u.Name, "err", err)
		_, ev := describe(err)
		sp := a.speech(c)
		warning = sp.text("signedin-unconfirmed", "Reason", sp.say(ev.Message))
	case asked:
		if err := a.storeCheck(c, sess, u, before); err != nil {
			a.fail(c, err)
			return
		}
	}
	p := a.page(c, sess, "loginsuccesstitle")
	p.User = &userView{Name: u.Name, Warning: warning, ReturnTo: a.returnTarget(sess),
		NameHTML: template.HTML(`<strong class="username">` + template.HTMLEscapeString(u.Name) + `</strong>`)}
	if warning == "" && !u.Checked.IsZero() {
		p.User.Checked, p.User.EditCount, p.User.Groups = true, u.EditCount, u.Groups
	}
	a.render(c, http.StatusOK, tmplSignedIn, p)
}

// captcha serves a captcha image of the current step, fetched in the
// flow's own wiki session. Only URLs the wiki gave this flow are fetched.
func (a *App) captcha(c *gin.Context) {
	st := flowOf(a.session(c))
	n, err := strconv.Atoi(c.Param("n"))
	if st == nil || err != nil || c.Param("step") != st.Step {
		c.Status(http.StatusNotFound)
		return
	}
	ct, body, err := a.flows.Image(a.wikiContext(c), st, n)
	if errors.Is(err, flow.ErrNoImage) {
		c.Status(http.StatusNotFound)
		return
	}
	if err != nil {
		a.log.WarnContext(c.Request.Context(), "captcha image fetch failed", "err", err)
		c.Status(http.StatusBadGateway)
		return
	}
	c.Header("Cache-Control", "no-store")
	c.Data(http.StatusOK, ct, body)
}

// User returns the signed-in user of a request, with a wiki API session
// carrying their wiki cookies, ready for calls on their behalf. ok is false
// when nobody is signed in. Cookies the wiki renews in that session are not
// saved: AsUser, which saves them, is the better choice for calls.
func (a *App) User(c *gin.Context) (name string, wiki *mwclient.Session, ok bool) {
	u := userOf(a.session(c))
	if u == nil {
		return "", nil, false
	}
	return u.Name, a.flows.Session(u), true
}
