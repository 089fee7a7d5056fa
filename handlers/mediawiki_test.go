package handlers_test

// End-to-end tests against the real test MediaWiki (scripts/testwiki):
// our app driven like a browser (cookie jar, real forms, redirects), every
// clientlogin status. They skip only outside CI when MediaWiki is not
// installed.

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/mwlogin/mwlogin/handlers"
	"github.com/mwlogin/mwlogin/internal/browsertest"
	"github.com/mwlogin/mwlogin/internal/testwiki"
	"github.com/mwlogin/mwlogin/mwclient"
)

func TestMain(m *testing.M) { code := testwiki.Main(m); stopChromium(); os.Exit(code) }

type realEnv struct {
	*env
	w *testwiki.Wiki
}

func newRealEnv(t *testing.T) *realEnv {
	t.Helper()
	w := testwiki.Require(t)
	return &realEnv{env: newEnvFor(t, "/auth", w.APIURL, nil, nil), w: w}
}

func ctxFor(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

func TestMediaWikiPasswordPass(t *testing.T) {
	e := newRealEnv(t)
	b := browsertest.New(t)
	form := b.Get(e.base + "/")
	// The form comes from authmanagerinfo: password, remember-me and the
	// test SSO provider's button.
	mustContain(t, form, "Username", "Password", "Keep me logged in", "Log in with Test SSO")
	p := form.Form("/login").Set("username", testwiki.AliceUser).Set("password", testwiki.AlicePassword).Submit()
	// "Edits" is only shown once assert=user succeeded with the stored
	// wiki session.
	mustContain(t, p, "holds your sign-in to", " as Alice", "Edits")
	if strings.Contains(e.logs.String(), testwiki.AlicePassword) {
		t.Fatal("the password appears in the logs")
	}
}

func TestMediaWikiWrongPassword(t *testing.T) {
	e := newRealEnv(t)
	b := browsertest.New(t)
	p := login(t, e.env, b, testwiki.AliceUser, "wrong-password-xyz")
	mustContain(t, p, "Incorrect username or password")
	if v, _ := browsertest.Attr(p.Input("password"), "value"); v != "" {
		t.Fatalf("password re-filled: %q", v)
	}
	mustNotContain(t, p, "wrong-password-xyz")
	if v, _ := browsertest.Attr(p.Input("username"), "value"); v != testwiki.AliceUser {
		t.Fatalf("username not kept: %q", v)
	}
}

// bobAtTwoFactor logs Bob in with his password and checks that the wiki
// asks for his second factor.
func bobAtTwoFactor(t *testing.T, e *env, b *browsertest.Browser) *browsertest.Page {
	t.Helper()
	p := login(t, e, b, testwiki.BobUser, testwiki.BobPassword)
	if p.Input("OATHToken") == nil {
		t.Fatalf("no 2FA step after the password: %s", p.Text())
	}
	return p
}

// answerTOTP answers the two-factor step p with the wiki's next code.
func answerTOTP(t *testing.T, w *testwiki.Wiki, p *browsertest.Page) *browsertest.Page {
	t.Helper()
	code, err := w.NextTOTP(ctxFor(t))
	if err != nil {
		t.Fatal(err)
	}
	return p.Form("/login").Set("OATHToken", code).Submit()
}

func TestMediaWikiTOTP(t *testing.T) {
	e := newRealEnv(t)
	b := browsertest.New(t)
	p := bobAtTwoFactor(t, e.env, b)
	mustContain(t, p, "Continue logging in")
	p = p.Form("/login").Set("OATHToken", "000000").Submit()
	if p.Input("OATHToken") == nil {
		t.Fatalf("the 2FA step is not shown again after a wrong code: %s", p.Text())
	}
	if len(p.Find(browsertest.ByTag("div", "role", "alert"))) == 0 {
		t.Fatalf("no error message after a wrong code: %s", p.Text())
	}
	p = answerTOTP(t, e.w, p)
	mustContain(t, p, "holds your sign-in to", " as Bob")
}

func TestMediaWikiCaptcha(t *testing.T) {
	e := newRealEnv(t)
	b := browsertest.New(t)
	// ConfirmEdit counts Dave's failures; after them the wiki refuses his
	// next attempt and then asks for the captcha, only in authmanagerinfo.
	p := login(t, e.env, b, testwiki.DaveUser, "wrong-password")
	mustContain(t, p, "Incorrect username or password")
	for i := 0; p.Input("captchaWord") == nil; i++ {
		if i == 3 {
			t.Fatalf("no captcha after %d attempts: %s", i+1, p.Text())
		}
		p = p.Form("/login").Set("username", testwiki.DaveUser).Set("password", testwiki.DavePassword).Submit()
	}
	mustContain(t, p, testwiki.CaptchaQuestion)
	if p.Input("captchaId") != nil {
		t.Fatal("the captcha id went to the browser")
	}
	p = p.Form("/login").Set("username", testwiki.DaveUser).Set("password", testwiki.DavePassword).Set("captchaWord", "green").Submit()
	if strings.Contains(p.Text(), "holds your sign-in") || p.Input("captchaWord") == nil {
		t.Fatalf("a wrong captcha answer: %s", p.Text())
	}
	p = p.Form("/login").Set("username", testwiki.DaveUser).Set("password", testwiki.DavePassword).Set("captchaWord", testwiki.CaptchaAnswer).Submit()
	mustContain(t, p, "holds your sign-in to", " as Dave")
}

// realSSO presses the SSO button, follows the browser to the identity
// provider and picks identity there; it returns the URL the provider sends
// the browser back to (not yet followed).
func realSSO(t *testing.T, e *realEnv, b *browsertest.Browser, identity string) *url.URL {
	t.Helper()
	p := b.Get(e.base + "/").Form("/login").Submit(testwiki.SSOButtonField)
	mustContain(t, p, "Taking you to")
	target := p.MetaRefresh()
	if !strings.HasPrefix(target, e.w.BaseURL) {
		t.Fatalf("redirect target %q is not the wiki's identity provider", target)
	}
	// The provider's page is loaded by the browser, with the browser's
	// cookies, none of which are the wiki's.
	if idp := p.Follow(target); idp.Status != http.StatusOK {
		t.Fatalf("identity provider page: %d", idp.Status)
	}
	back, err := testwiki.ChooseIdentity(ctxFor(t), target, identity)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(back.String(), e.base+"/return?") {
		t.Fatalf("the provider sent the browser to %s", back)
	}
	return back
}

func TestMediaWikiRedirect(t *testing.T) {
	e := newRealEnv(t)
	b := browsertest.New(t)
	back := realSSO(t, e, b, testwiki.SSOMappedIdentity)

	t.Run("forged state", func(t *testing.T) {
		q := back.Query()
		q.Set("mwlogin_state", "forged")
		forged := *back
		forged.RawQuery = q.Encode()
		if p := b.Get(forged.String()); p.Status != http.StatusBadRequest {
			t.Fatalf("status %d", p.Status)
		}
	})
	t.Run("missing state", func(t *testing.T) {
		q := back.Query()
		q.Del("mwlogin_state")
		missing := *back
		missing.RawQuery = q.Encode()
		if p := b.Get(missing.String()); p.Status != http.StatusBadRequest {
			t.Fatalf("status %d", p.Status)
		}
	})
	t.Run("other browser", func(t *testing.T) {
		if p := browsertest.New(t).Get(back.String()); p.Status != http.StatusBadRequest {
			t.Fatalf("status %d", p.Status)
		}
	})
	if strings.Contains(b.Get(e.base+"/").Text(), "holds your sign-in") {
		t.Fatal("signed in by a refused return")
	}

	p := b.Get(back.String())
	mustContain(t, p, "holds your sign-in to", " as Carol", "Edits")

	t.Run("replayed", func(t *testing.T) {
		if p := b.Get(back.String()); p.Status != http.StatusBadRequest {
			t.Fatalf("status %d", p.Status)
		}
	})
}

func TestMediaWikiRedirectBadCode(t *testing.T) {
	e := newRealEnv(t)
	b := browsertest.New(t)
	back := realSSO(t, e, b, testwiki.SSOInvalidChoice)
	p := b.Get(back.String())
	// The wiki's FAIL: the login form again, with its message.
	if p.Status != http.StatusOK || p.Input("username") == nil {
		t.Fatalf("status %d: %s", p.Status, p.Text())
	}
	if len(p.Find(browsertest.ByTag("div", "role", "alert"))) == 0 {
		t.Fatalf("no message: %s", p.Text())
	}
}

func TestMediaWikiRestart(t *testing.T) {
	e := newRealEnv(t)
	b := browsertest.New(t)
	back := realSSO(t, e, b, testwiki.SSOUnmappedIdentity)
	p := b.Get(back.String())
	mustContain(t, p, "Login not completed", "Start again")
	p = p.Form("/restart").Submit()
	mustContain(t, p, "Starting again", "Username")
	p = p.Form("/login").Set("username", testwiki.AliceUser).Set("password", testwiki.AlicePassword).Submit()
	mustContain(t, p, "holds your sign-in to", " as Alice")
}

func TestMediaWikiSessionExpiredMidFlow(t *testing.T) {
	e := newRealEnv(t)
	b := browsertest.New(t)
	p := bobAtTwoFactor(t, e.env, b)
	if err := e.w.ExpireSessions(); err != nil {
		t.Fatal(err)
	}
	p = answerTOTP(t, e.w, p)
	if p.Status != http.StatusOK {
		t.Fatalf("status %d: %s", p.Status, p.Text())
	}
	mustContain(t, p, "took too long", "Username")
	p = p.Form("/login").Set("username", testwiki.AliceUser).Set("password", testwiki.AlicePassword).Submit()
	mustContain(t, p, "holds your sign-in to", " as Alice")
}

func TestMediaWikiSignOut(t *testing.T) {
	w := testwiki.Require(t)
	// A side route reads the wiki session the app holds for the user,
	// through App.User, so the test can ask the wiki after sign-out. The
	// app keeps its default RecheckAfter: the signed-in page trusts the
	// PASS, and the held session is checked here instead.
	var held []mwclient.Cookie
	var client *mwclient.Client
	e := newEnvFor(t, "/auth", w.APIURL, nil, nil, envHook{routes: func(g *gin.RouterGroup, app *handlers.App) {
		g.GET("/_held", func(c *gin.Context) {
			if name, s, ok := app.User(c); ok && name == testwiki.AliceUser {
				held, client = s.Cookies(), s.Client()
			}
			c.Status(http.StatusNoContent)
		})
	}}, defaultRecheck)
	b := browsertest.New(t)
	p := login(t, e, b, testwiki.AliceUser, testwiki.AlicePassword)
	mustContain(t, p, "holds your sign-in to", " as Alice")
	b.Get(e.base + "/_held")
	if len(held) == 0 {
		t.Fatal("App.User gave no wiki session for the signed-in user")
	}
	if _, err := client.NewSession(held).UserInfo(ctxFor(t), mwclient.AssertUser); err != nil {
		t.Fatalf("assert=user with the held wiki session: %v", err)
	}
	p = p.Form("/logout").Submit()
	mustContain(t, p, "You have signed out")
	_, err := client.NewSession(held).UserInfo(ctxFor(t), mwclient.AssertUser)
	if !errors.Is(err, mwclient.ErrAssertUserFailed) {
		t.Fatalf("after sign-out the old wiki session still works: %v", err)
	}
}

func TestMediaWikiTwoUsers(t *testing.T) {
	e := newRealEnv(t)
	bob := browsertest.New(t)
	alice := browsertest.New(t)
	pb := bobAtTwoFactor(t, e.env, bob)
	var wg sync.WaitGroup
	wg.Add(2)
	var pa *browsertest.Page
	go func() { defer wg.Done(); pa = login(t, e.env, alice, testwiki.AliceUser, testwiki.AlicePassword) }()
	go func() {
		defer wg.Done()
		code, err := e.w.NextTOTP(ctxFor(t))
		if err != nil {
			t.Error(err)
			return
		}
		pb = pb.Form("/login").Set("OATHToken", code).Submit()
	}()
	wg.Wait()
	mustContain(t, pa, "holds your sign-in to", " as Alice")
	mustContain(t, pb, "holds your sign-in to", " as Bob")
	mustContain(t, alice.Get(e.base+"/"), "holds your sign-in to", " as Alice")
	mustContain(t, bob.Get(e.base+"/"), "holds your sign-in to", " as Bob")
}

// The real wiki's provider refusal (error=access_denied) says the sign-in
// was cancelled there, and the login form is back.
func TestMediaWikiProviderRefusal(t *testing.T) {
	e := newRealEnv(t)
	b := browsertest.New(t)
	p := b.Get(realSSO(t, e, b, testwiki.SSODenyChoice).String())
	if p.Status != http.StatusOK || p.Input("username") == nil {
		t.Fatalf("status %d: %s", p.Status, p.Text())
	}
	mustContain(t, p, "cancelled at the identity provider")
	mustNotContain(t, p, "did not return both a code and a state")
}

// "Keep me logged in" on the real wiki: the box the wiki describes is the
// one the app reads, and the app's cookie then lasts as long as the wiki's
// remembered login ($wgExtendedLoginCookieExpiration, 180 days).
func TestMediaWikiRememberMe(t *testing.T) {
	e := newRealEnv(t)
	b := browsertest.New(t)
	var set []*http.Cookie
	b.Client.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		set = append(set, req.Response.Cookies()...)
		return nil
	}
	p := b.Get(e.base+"/").Form("/login").Set("username", testwiki.AliceUser).Set("password", testwiki.AlicePassword).Set("rememberMe", "1").Submit()
	mustContain(t, p, "holds your sign-in to", " as Alice", "Edits")
	var ours *http.Cookie
	for _, c := range set {
		if c.Name == handlers.DefaultCookieName {
			ours = c
		}
	}
	if ours == nil || time.Duration(ours.MaxAge)*time.Second != handlers.DefaultRememberLifetime {
		t.Fatalf("the app's cookie after a remembered login: %+v", ours)
	}
}
