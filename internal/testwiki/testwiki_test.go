package testwiki

import (
	"bufio"
	"context"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestMain(m *testing.M) { os.Exit(Main(m)) }

// RFC 6238 appendix B test vectors (SHA1), truncated to 6 digits.
func TestTOTPRFC6238(t *testing.T) {
	secret := "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ" // base32("12345678901234567890")
	for _, tc := range []struct {
		unix int64
		want string
	}{
		{59, "287082"},
		{1111111109, "081804"},
		{1111111111, "050471"},
		{1234567890, "005924"},
		{2000000000, "279037"},
	} {
		if got := TOTP(secret, time.Unix(tc.unix, 0)); got != tc.want {
			t.Errorf("TOTP(%d) = %s, want %s", tc.unix, got, tc.want)
		}
	}
}

func TestNextTOTPNeverRepeats(t *testing.T) {
	w := &Wiki{}
	seen := map[int64]bool{}
	for i := 0; i <= totpMaxAhead; i++ {
		if _, err := w.NextTOTP(context.Background()); err != nil {
			t.Fatal(err)
		}
		if seen[w.lastStep] {
			t.Fatalf("step %d handed out twice", w.lastStep)
		}
		seen[w.lastStep] = true
	}
	if now := time.Now().Unix() / 30; w.lastStep > now+totpMaxAhead {
		t.Fatalf("step %d too far ahead of %d", w.lastStep, now)
	}
}

// The Go constants must match scripts/testwiki/users.env, the source the
// wiki is built from.
func TestConstantsMatchUsersEnv(t *testing.T) {
	root, err := RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(filepath.Join(root, "scripts", "testwiki", "users.env"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	env := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' {
			continue
		}
		k, v, _ := strings.Cut(line, "=")
		env[k] = strings.Trim(v, `"`)
	}
	want := map[string]string{
		"ADMIN_USER":                AdminUser,
		"ADMIN_PASSWORD":            AdminPassword,
		"ALICE_USER":                AliceUser,
		"ALICE_PASSWORD":            AlicePassword,
		"ALICE_BOT_APPID":           AliceBotAppID,
		"ALICE_BOT_PASSWORD":        AliceBotPassword,
		"BOB_USER":                  BobUser,
		"BOB_PASSWORD":              BobPassword,
		"BOB_TOTP_SECRET":           BobTOTPSecret,
		"CAROL_USER":                CarolUser,
		"CAROL_PASSWORD":            CarolPassword,
		"DAVE_USER":                 DaveUser,
		"DAVE_PASSWORD":             DavePassword,
		"CAPTCHA_QUESTION":          CaptchaQuestion,
		"CAPTCHA_ANSWER":            CaptchaAnswer,
		"CAPTCHA_BADLOGIN_ATTEMPTS": strconv.Itoa(CaptchaBadLoginAttempts),
		"SSO_MAPPED_IDENTITY":       SSOMappedIdentity,
		"SSO_UNMAPPED_IDENTITY":     SSOUnmappedIdentity,
	}
	for k, v := range want {
		if env[k] != v {
			t.Errorf("users.env %s = %q, Go constant = %q", k, env[k], v)
		}
	}
	if len(env) != len(want) {
		t.Errorf("users.env has %d keys, the test knows %d", len(env), len(want))
	}
}

const returnURL = "http://127.0.0.1:9999/callback"

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

func mustStatus(t *testing.T, a answer, err error, want string) answer {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
	if got := a.status(); got != want {
		t.Fatalf("clientlogin status %q, want %q: %s", got, want, a)
	}
	return a
}

func login(ctx context.Context, c *apiClient, user, pass string) (answer, error) {
	return c.clientLogin(ctx, url.Values{"username": {user}, "password": {pass}, "loginreturnurl": {returnURL}})
}

func TestPasswordLogin(t *testing.T) {
	w := Require(t)
	ctx := ctxT(t)
	c := newClient(w.APIURL)

	info, err := c.authManagerInfo(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	ids := requestIDs(info.get("query", "authmanagerinfo"))
	for _, id := range []string{PasswordRequestID, RememberMeRequestID, SSOButtonRequestID} {
		if !slices.Contains(ids, id) {
			t.Errorf("authmanagerinfo lacks %s: %v", id, ids)
		}
	}
	if slices.Contains(ids, CaptchaRequestID) {
		t.Errorf("captcha shown in a fresh session: %v", ids)
	}
	if typ := info.str("query", "authmanagerinfo", "fields", SSOButtonField, "type"); typ != "button" {
		t.Errorf("field %s type %q, want button", SSOButtonField, typ)
	}

	a, err := login(ctx, newClient(w.APIURL), AliceUser, "wrong")
	mustStatus(t, a, err, "FAIL")
	a, err = login(ctx, c, AliceUser, AlicePassword)
	a = mustStatus(t, a, err, "PASS")
	if u := a.str("clientlogin", "username"); u != AliceUser {
		t.Errorf("username %q", u)
	}
	ui, err := c.do(ctx, url.Values{"action": {"query"}, "meta": {"userinfo"}, "assert": {"user"}, "formatversion": {"2"}}, nil)
	if err != nil || ui.str("query", "userinfo", "name") != AliceUser {
		t.Fatalf("userinfo after login: %v %s", err, ui)
	}
}

func TestOATHLogin(t *testing.T) {
	w := Require(t)
	ctx := ctxT(t)
	for round := 0; round < 2; round++ {
		c := newClient(w.APIURL)
		a, err := login(ctx, c, BobUser, BobPassword)
		a = mustStatus(t, a, err, "UI")
		if ids := requestIDs(a.get("clientlogin")); !slices.Equal(ids, []string{TOTPRequestID}) {
			t.Fatalf("UI requests %v", ids)
		}
		if a.get("clientlogin", "fields", "OATHToken") == nil {
			t.Fatalf("no OATHToken field: %s", a)
		}
		if round == 0 {
			a, err = c.clientLogin(ctx, url.Values{"logincontinue": {"1"}, "OATHToken": {"000000"}})
			a = mustStatus(t, a, err, "UI")
			if mc := a.str("clientlogin", "messagecode"); mc != "oathauth-login-failed" {
				t.Errorf("wrong code: messagecode %q", mc)
			}
		}
		code, err := w.NextTOTP(ctx)
		if err != nil {
			t.Fatal(err)
		}
		a, err = c.clientLogin(ctx, url.Values{"logincontinue": {"1"}, "OATHToken": {code}})
		mustStatus(t, a, err, "PASS")
	}
}

// ssoBegin starts an SSO login and returns the redirect target.
func ssoBegin(t *testing.T, ctx context.Context, c *apiClient, wk *Wiki) string {
	t.Helper()
	a, err := c.clientLogin(ctx, url.Values{SSOButtonField: {"1"}, "loginreturnurl": {returnURL}})
	a = mustStatus(t, a, err, "REDIRECT")
	if ids := requestIDs(a.get("clientlogin")); !slices.Equal(ids, []string{SSOReturnRequestID}) {
		t.Fatalf("REDIRECT requests %v", ids)
	}
	target := a.str("clientlogin", "redirecttarget")
	if !strings.HasPrefix(target, wk.IndexURL) {
		t.Fatalf("redirecttarget %q", target)
	}
	return target
}

func TestSSO(t *testing.T) {
	wk := Require(t)
	ctx := ctxT(t)

	finish := func(t *testing.T, identity string, mangle func(url.Values)) answer {
		c := newClient(wk.APIURL)
		target := ssoBegin(t, ctx, c, wk)
		back, err := ChooseIdentity(ctx, target, identity)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(back.String(), returnURL+"?") {
			t.Fatalf("IdP redirected to %s", back)
		}
		q := back.Query()
		fields := url.Values{"logincontinue": {"1"}, "code": {q.Get("code")}, "state": {q.Get("state")}}
		if mangle != nil {
			mangle(fields)
		}
		a, err := c.clientLogin(ctx, fields)
		if err != nil {
			t.Fatal(err)
		}
		return a
	}

	t.Run("mapped", func(t *testing.T) {
		a := mustStatus(t, finish(t, SSOMappedIdentity, nil), nil, "PASS")
		if u := a.str("clientlogin", "username"); u != CarolUser {
			t.Errorf("username %q, want %s", u, CarolUser)
		}
	})
	t.Run("unmapped", func(t *testing.T) {
		a := mustStatus(t, finish(t, SSOUnmappedIdentity, nil), nil, "RESTART")
		if mc := a.str("clientlogin", "messagecode"); mc != "authmanager-authn-no-local-user-link" {
			t.Errorf("messagecode %q", mc)
		}
		if cp, _ := a.get("clientlogin", "canpreservestate").(bool); !cp {
			t.Errorf("canpreservestate false: %s", a)
		}
	})
	t.Run("badstate", func(t *testing.T) {
		a := mustStatus(t, finish(t, SSOMappedIdentity, func(v url.Values) { v.Set("state", "bad") }), nil, "FAIL")
		if mc := a.str("clientlogin", "messagecode"); mc != "mwlogintestsso-error-state" {
			t.Errorf("messagecode %q", mc)
		}
	})
	t.Run("invalidcode", func(t *testing.T) {
		a := mustStatus(t, finish(t, SSOInvalidChoice, nil), nil, "FAIL")
		if mc := a.str("clientlogin", "messagecode"); mc != "mwlogintestsso-error-code" {
			t.Errorf("messagecode %q", mc)
		}
	})
	t.Run("denied", func(t *testing.T) {
		a := mustStatus(t, finish(t, SSODenyChoice, nil), nil, "FAIL")
		if mc := a.str("clientlogin", "messagecode"); mc != "mwlogintestsso-error-missing" {
			t.Errorf("messagecode %q", mc)
		}
	})
}

func TestCaptcha(t *testing.T) {
	wk := Require(t)
	ctx := ctxT(t)
	hc := NewHTTPClient()
	c := &apiClient{url: wk.APIURL, http: hc}
	if err := wk.TriggerCaptcha(ctx, hc, DaveUser); err != nil {
		t.Fatal(err)
	}
	// Another user's login from the same IP, in a fresh session: no captcha.
	a, err := login(ctx, newClient(wk.APIURL), AliceUser, AlicePassword)
	mustStatus(t, a, err, "PASS")

	info, err := c.authManagerInfo(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	ami := info.get("query", "authmanagerinfo")
	if ids := requestIDs(ami); !slices.Contains(ids, CaptchaRequestID) {
		t.Fatalf("no captcha in authmanagerinfo: %s", info)
	}
	id := info.str("query", "authmanagerinfo", "fields", "captchaId", "value")
	q := info.str("query", "authmanagerinfo", "fields", "captchaInfo", "value")
	if id == "" || q != CaptchaQuestion {
		t.Fatalf("captchaId %q question %q", id, q)
	}
	// Wrong answer: FAIL (ConfirmEdit says "wrongpassword" on purpose).
	a, err = c.clientLogin(ctx, url.Values{"username": {DaveUser}, "password": {DavePassword},
		"captchaId": {id}, "captchaWord": {"green"}, "loginreturnurl": {returnURL}})
	mustStatus(t, a, err, "FAIL")

	info, err = c.authManagerInfo(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	id = info.str("query", "authmanagerinfo", "fields", "captchaId", "value")
	a, err = c.clientLogin(ctx, url.Values{"username": {DaveUser}, "password": {DavePassword},
		"captchaId": {id}, "captchaWord": {CaptchaAnswer}, "loginreturnurl": {returnURL}})
	mustStatus(t, a, err, "PASS")

	// Solved: Dave logs in without captcha again.
	a, err = login(ctx, newClient(wk.APIURL), DaveUser, DavePassword)
	mustStatus(t, a, err, "PASS")
}

func TestBotPassword(t *testing.T) {
	wk := Require(t)
	ctx := ctxT(t)
	c := newClient(wk.APIURL)
	tok, err := c.token(ctx, "login")
	if err != nil {
		t.Fatal(err)
	}
	a, err := c.do(ctx, nil, url.Values{"action": {"login"}, "formatversion": {"2"},
		"lgname": {AliceBotUser}, "lgpassword": {AliceBotPassword}, "lgtoken": {tok}})
	if err != nil || a.str("login", "result") != "Success" || a.str("login", "lgusername") != AliceUser {
		t.Fatalf("bot login: %v %s", err, a)
	}
	ui, err := c.do(ctx, url.Values{"action": {"query"}, "meta": {"userinfo"}, "assert": {"user"}, "formatversion": {"2"}}, nil)
	if err != nil || ui.str("query", "userinfo", "name") != AliceUser {
		t.Fatalf("userinfo: %v %s", err, ui)
	}
}

func TestExpireSessions(t *testing.T) {
	wk := Require(t)
	ctx := ctxT(t)
	c := newClient(wk.APIURL)
	a, err := login(ctx, c, BobUser, BobPassword)
	mustStatus(t, a, err, "UI")
	if err := wk.ExpireSessions(); err != nil {
		t.Fatal(err)
	}
	code, err := wk.NextTOTP(ctx)
	if err != nil {
		t.Fatal(err)
	}
	a, err = c.clientLogin(ctx, url.Values{"logincontinue": {"1"}, "OATHToken": {code}})
	a = mustStatus(t, a, err, "FAIL")
	if mc := a.str("clientlogin", "messagecode"); mc != "authmanager-authn-not-in-progress" {
		t.Errorf("messagecode %q", mc)
	}
}

// The PHP server runs PHP_CLI_SERVER_WORKERS=4 workers on SQLite: parallel
// logins must all work.
func TestConcurrentLogins(t *testing.T) {
	wk := Require(t)
	ctx := ctxT(t)
	const n = 24
	var wg sync.WaitGroup
	errs := make(chan string, n)
	start := time.Now()
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			a, err := login(ctx, newClient(wk.APIURL), AliceUser, AlicePassword)
			if err != nil {
				errs <- err.Error()
			} else if a.status() != "PASS" {
				errs <- a.String()
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
	t.Logf("%d parallel logins (token + clientlogin) in %v", n, time.Since(start))
}
