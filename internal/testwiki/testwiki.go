// Package testwiki starts the project's real test MediaWiki (Debian's
// MediaWiki 1.39 on SQLite, served by PHP's built-in server on 127.0.0.1)
// for integration tests, and knows its users and secrets.
//
// The wiki is built by scripts/testwiki/start.sh (see scripts/testwiki/README.md):
// a fresh wiki per Start, about 2-3 s. Typical use, one wiki per test binary,
// started by the first Require and stopped by Main:
//
//	func TestMain(m *testing.M) { os.Exit(testwiki.Main(m)) }
//
//	func TestLogin(t *testing.T) {
//		w := testwiki.Require(t) // skips if MediaWiki is not installed (and CI != "true")
//		... w.APIURL ...
//	}
//
// Everything here is TEST-ONLY: the accounts and secrets are public.
package testwiki

import (
	"bufio"
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base32"
	"encoding/binary"
	"errors"
	"fmt"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mwlogin/mwlogin/internal/testproc"
)

// Accounts and secrets of the test wiki. They are defined in
// scripts/testwiki/users.env (the one source; a unit test checks that these
// constants match it).
const (
	AdminUser     = "Admin"
	AdminPassword = "admin-password-123"

	// Alice: password only, plus a bot password (action=login with
	// lgname=AliceBotUser, lgpassword=AliceBotPassword).
	AliceUser        = "Alice"
	AlicePassword    = "alice-password-123"
	AliceBotAppID    = "mwtest"
	AliceBotUser     = AliceUser + "@" + AliceBotAppID
	AliceBotPassword = "alicebotpassword0123456789abcdef"

	// SiteName is the wiki's name (scripts/testwiki/start.sh installs it
	// so), as meta=siteinfo tells it.
	SiteName = "MwloginTest"

	// Bob: password plus OATHAuth TOTP (RFC 6238, SHA1, 30 s, 6 digits).
	// Use (*Wiki).NextTOTP: OATHAuth accepts a time step at most once.
	BobUser       = "Bob"
	BobPassword   = "bob-password-123"
	BobTOTPSecret = "MWLOGINTESTBOBTOTPSECRETAAAAAAAA"

	// Carol: local user the SSO identity SSOMappedIdentity logs in as.
	CarolUser     = "Carol"
	CarolPassword = "carol-password-123"

	// Dave: password user whose failed logins switch on the login captcha
	// (only for him). See (*Wiki).TriggerCaptcha.
	DaveUser     = "Dave"
	DavePassword = "dave-password-123"

	// QuestyCaptcha's only question and its answer.
	CaptchaQuestion = "What is the name of this test wiki's favourite colour? (answer: blue)"
	CaptchaAnswer   = "blue"
	// Failed logins of Dave after which his next login attempt needs the captcha.
	CaptchaBadLoginAttempts = 1

	// Identities offered by the fake identity provider Special:MwloginTestIdP.
	SSOMappedIdentity   = "carol@idp"    // clientlogin ends in PASS as Carol
	SSOUnmappedIdentity = "stranger@idp" // clientlogin ends in RESTART
	SSOInvalidChoice    = "invalid"      // IdP returns an invalid code: FAIL
	SSODenyChoice       = "deny"         // IdP returns error=access_denied&state=..., no code
)

// Request ids and field names as they appear in meta=authmanagerinfo and
// action=clientlogin answers of the test wiki.
const (
	PasswordRequestID   = `MediaWiki\Auth\PasswordAuthenticationRequest`                // fields username, password
	RememberMeRequestID = `MediaWiki\Auth\RememberMeAuthenticationRequest`              // field rememberMe (checkbox)
	TOTPRequestID       = `MediaWiki\Extension\OATHAuth\Auth\TOTPAuthenticationRequest` // field OATHToken
	CaptchaRequestID    = "CaptchaAuthenticationRequest"                                // fields captchaId (hidden, value), captchaInfo (null: the question), captchaWord
	SSOButtonRequestID  = `MediaWiki\Extension\MwloginTestSSO\SSOButtonRequest:mwlogintestsso`
	SSOReturnRequestID  = `MediaWiki\Extension\MwloginTestSSO\SSOReturnRequest` // fields code, state (after REDIRECT)

	SSOButtonField = "mwlogintestsso" // type "button": post mwlogintestsso=1 with loginreturnurl
)

// Wiki is a running test wiki.
type Wiki struct {
	APIURL   string // http://127.0.0.1:PORT/api.php
	IndexURL string // http://127.0.0.1:PORT/index.php
	BaseURL  string // http://127.0.0.1:PORT
	Dir      string // the wiki's directory (LocalSettings.php, data/, logs/, server.log)
	Port     int

	root string // repository root

	mu       sync.Mutex
	lastStep int64 // last TOTP time step handed out by NextTOTP
	stopped  bool
}

// RepoRoot returns the repository root (the directory holding go.mod and
// scripts/testwiki).
func RepoRoot() (string, error) {
	var starts []string
	if _, file, _, ok := runtime.Caller(0); ok {
		starts = append(starts, filepath.Dir(file))
	}
	if wd, err := os.Getwd(); err == nil {
		starts = append(starts, wd)
	}
	for _, dir := range starts {
		for d := dir; ; d = filepath.Dir(d) {
			if fileExists(filepath.Join(d, "go.mod")) && fileExists(filepath.Join(d, "scripts", "testwiki", "start.sh")) {
				return d, nil
			}
			if filepath.Dir(d) == d {
				break
			}
		}
	}
	return "", errors.New("testwiki: repository root (go.mod + scripts/testwiki/start.sh) not found")
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// mwInstallPath is where Debian's mediawiki package puts MediaWiki.
func mwInstallPath() string {
	if p := os.Getenv("MW_INSTALL_PATH"); p != "" {
		return p
	}
	return "/usr/share/mediawiki"
}

// Installed reports whether what the test wiki needs is installed (php with
// the SQLite driver, MediaWiki with OATHAuth and ConfirmEdit). If not, the
// reason says what is missing; scripts/testwiki/install-deps.sh installs it.
func Installed() (ok bool, reason string) {
	php, err := exec.LookPath("php")
	if err != nil {
		return false, "php not found in PATH (run scripts/testwiki/install-deps.sh)"
	}
	mw := mwInstallPath()
	for _, f := range []string{
		"maintenance/install.php",
		"extensions/OATHAuth/extension.json",
		"extensions/ConfirmEdit/extension.json",
	} {
		if !fileExists(filepath.Join(mw, f)) {
			return false, fmt.Sprintf("%s missing (run scripts/testwiki/install-deps.sh)", filepath.Join(mw, f))
		}
	}
	out, err := exec.Command(php, "-m").Output()
	if err != nil {
		return false, "php -m: " + err.Error()
	}
	for _, m := range []string{"pdo_sqlite", "intl", "mbstring", "xml"} {
		if !bytes.Contains(out, []byte("\n"+m+"\n")) {
			return false, "php module " + m + " missing (run scripts/testwiki/install-deps.sh)"
		}
	}
	return true, ""
}

// Start creates a fresh test wiki in a new temporary directory on a free
// port and starts its server. Stop it with (*Wiki).Stop.
func Start(ctx context.Context) (*Wiki, error) {
	if ok, reason := Installed(); !ok {
		return nil, errors.New("testwiki: " + reason)
	}
	root, err := RepoRoot()
	if err != nil {
		return nil, err
	}
	return testproc.Start(ctx, func() (*Wiki, error) { return start(ctx, root) })
}

func start(ctx context.Context, root string) (*Wiki, error) {
	port, err := testproc.FreePort()
	if err != nil {
		return nil, fmt.Errorf("testwiki: free port: %w", err)
	}
	dir, err := os.MkdirTemp("", "mwlogin-testwiki-")
	if err != nil {
		return nil, fmt.Errorf("testwiki: %w", err)
	}
	cmd := exec.CommandContext(ctx, filepath.Join(root, "scripts", "testwiki", "start.sh"), dir, strconv.Itoa(port))
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.WaitDelay = 5 * time.Second
	if err := cmd.Run(); err != nil {
		stopScript(root, dir)
		os.RemoveAll(dir)
		return nil, fmt.Errorf("testwiki: start.sh: %v\n%s", err, stderr.String())
	}
	kv := map[string]string{}
	sc := bufio.NewScanner(&stdout)
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), "="); ok {
			kv[k] = v
		}
	}
	w := &Wiki{
		APIURL:   kv["API_URL"],
		IndexURL: kv["INDEX_URL"],
		BaseURL:  kv["BASE_URL"],
		Dir:      kv["DIR"],
		Port:     port,
		root:     root,
	}
	if w.APIURL == "" || w.Dir == "" {
		stopScript(root, dir)
		os.RemoveAll(dir)
		return nil, fmt.Errorf("testwiki: start.sh printed no API_URL/DIR:\n%s\n%s", stdout.String(), stderr.String())
	}
	return w, nil
}

func stopScript(root, dir string) error {
	out, err := exec.Command(filepath.Join(root, "scripts", "testwiki", "stop.sh"), dir).CombinedOutput()
	if err != nil {
		return fmt.Errorf("testwiki: stop.sh: %v: %s", err, out)
	}
	return nil
}

// Stop stops the wiki's server and removes its directory (kept if the
// environment variable MWLOGIN_TESTWIKI_KEEP is set, e.g. to read its logs).
func (w *Wiki) Stop() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.stopped {
		return nil
	}
	w.stopped = true
	err := stopScript(w.root, w.Dir)
	if os.Getenv("MWLOGIN_TESTWIKI_KEEP") == "" {
		os.RemoveAll(w.Dir)
	}
	return err
}

// ExpireSessions deletes all of the wiki's sessions (a login flow in
// progress is lost: the next clientlogin logincontinue=1 answers FAIL
// "authmanager-authn-not-in-progress"; tokens become invalid).
func (w *Wiki) ExpireSessions() error {
	out, err := exec.Command(filepath.Join(w.root, "scripts", "testwiki", "expire-sessions.sh"), w.Dir).CombinedOutput()
	if err != nil {
		return fmt.Errorf("testwiki: expire-sessions.sh: %v: %s", err, out)
	}
	return nil
}

// ---------------------------------------------------------------------------
// Sharing one wiki in a test binary.

var (
	mainCalled bool
	skipReason string // set by Main when the wiki cannot run here
	startOnce  sync.Once
	shared     *Wiki
	startErr   error
)

func isCI() bool { return os.Getenv("CI") == "true" }

// Main is for TestMain: it runs the tests and afterwards stops the wiki that
// Require started (the wiki is started lazily, by the first Require, so a
// run of only unit tests costs nothing). Return its result to os.Exit.
//
// If MediaWiki/php is not installed and the environment variable CI is not
// "true", it prints why and Require skips. With CI=true a missing
// installation fails the test binary (exit code 1) and a wiki that cannot
// start fails the tests that Require it.
func Main(m *testing.M) int {
	mainCalled = true
	if ok, reason := Installed(); !ok {
		if isCI() {
			fmt.Fprintln(os.Stderr, "testwiki: CI=true but the test wiki cannot run:", reason)
			return 1
		}
		skipReason = "test wiki not available: " + reason
		fmt.Fprintln(os.Stderr, "testwiki:", skipReason, "(integration tests are skipped)")
	}
	code := m.Run()
	if shared != nil {
		if err := shared.Stop(); err != nil {
			fmt.Fprintln(os.Stderr, err)
		}
	}
	return code
}

// Require returns the test binary's shared wiki, starting it on first use.
// It skips the test (t.Skip) when the wiki cannot run here, except with
// CI=true where it fails the test. The package's TestMain must call Main.
func Require(t testing.TB) *Wiki {
	t.Helper()
	if !mainCalled {
		t.Fatal("testwiki.Require: the package needs func TestMain(m *testing.M) { os.Exit(testwiki.Main(m)) }")
	}
	if skipReason != "" {
		t.Skip(skipReason)
	}
	startOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		shared, startErr = Start(ctx)
	})
	if startErr != nil {
		if isCI() {
			t.Fatalf("CI=true and the test wiki did not start: %v", startErr)
		}
		t.Skipf("test wiki did not start: %v", startErr)
	}
	return shared
}

// ---------------------------------------------------------------------------
// TOTP.

// TOTP returns the RFC 6238 code (HMAC-SHA1, 30 s steps, 6 digits) of the
// base32 secret for time t.
func TOTP(secret string, t time.Time) string {
	return totpAt(secret, t.Unix()/30)
}

func totpAt(secret string, step int64) string {
	s := strings.ToUpper(strings.ReplaceAll(secret, " ", ""))
	s = strings.TrimRight(s, "=")
	key, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(s)
	if err != nil {
		panic("testwiki: bad base32 TOTP secret: " + err.Error())
	}
	var msg [8]byte
	binary.BigEndian.PutUint64(msg[:], uint64(step))
	mac := hmac.New(sha1.New, key)
	mac.Write(msg[:])
	sum := mac.Sum(nil)
	off := sum[len(sum)-1] & 0x0f
	code := binary.BigEndian.Uint32(sum[off:off+4]) & 0x7fffffff
	return fmt.Sprintf("%06d", code%1000000)
}

// totpMaxAhead is how many 30 s steps ahead of now NextTOTP may go. OATHAuth
// accepts codes of now-4 .. now+4 steps ($wgOATHAuthWindowRadius = 4) but
// each step only once per user (it stores the last used step), so codes of
// later steps are handed out instead of waiting.
const totpMaxAhead = 3

// NextTOTP returns a code of Bob's TOTP secret that OATHAuth has not seen
// yet: the current time step's code the first time, then codes of the
// following steps (accepted in advance by OATHAuth's window), waiting for
// time to pass only when more than totpMaxAhead steps ahead would be needed.
// Use it for every OATH login of Bob against this wiki (a code computed with
// TOTP(BobTOTPSecret, time.Now()) may have been used already).
func (w *Wiki) NextTOTP(ctx context.Context) (string, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for {
		now := time.Now().Unix() / 30
		step := max(now, w.lastStep+1)
		if step <= now+totpMaxAhead {
			w.lastStep = step
			return totpAt(BobTOTPSecret, step), nil
		}
		// Wait until step-totpMaxAhead begins.
		wait := time.Until(time.Unix((step-totpMaxAhead)*30, 0)) + 50*time.Millisecond
		select {
		case <-ctx.Done():
			return "", ctx.Err()
		case <-time.After(wait):
		}
	}
}

// ---------------------------------------------------------------------------
// Captcha and SSO helpers.

// TriggerCaptcha makes the next login attempt of user (DaveUser; the
// captcha is only ever triggered for him) need ConfirmEdit's captcha: it
// does CaptchaBadLoginAttempts failed clientlogins (wrong password).
//
// How ConfirmEdit 1.39 then behaves: the next clientlogin of that user in
// any session, even with the right password, answers FAIL "wrongpassword"
// and marks that session; from then on meta=authmanagerinfo&amirequestsfor=login
// in that session lists CaptchaRequestID with fields captchaId (hidden, its
// "value" must be posted back), captchaInfo (the question) and captchaWord.
// A clientlogin with username, password, captchaId and captchaWord=blue
// then PASSes (and resets the counter).
//
// If c is not nil, TriggerCaptcha uses c's cookies and also makes that extra
// attempt, so c's session is already marked when it returns.
func (w *Wiki) TriggerCaptcha(ctx context.Context, c *http.Client, user string) error {
	fresh := newClient(w.APIURL)
	for i := 0; i < CaptchaBadLoginAttempts; i++ {
		res, err := fresh.clientLogin(ctx, url.Values{"username": {user}, "password": {"wrong-password"}, "loginreturnurl": {"http://127.0.0.1/"}})
		if err != nil {
			return err
		}
		if s := res.status(); s != "FAIL" {
			return fmt.Errorf("testwiki: TriggerCaptcha: status %q, want FAIL", s)
		}
	}
	if c == nil {
		return nil
	}
	api := &apiClient{url: w.APIURL, http: c}
	res, err := api.clientLogin(ctx, url.Values{"username": {user}, "password": {"wrong-password"}, "loginreturnurl": {"http://127.0.0.1/"}})
	if err != nil {
		return err
	}
	if s := res.status(); s != "FAIL" {
		return fmt.Errorf("testwiki: TriggerCaptcha: status %q, want FAIL", s)
	}
	return nil
}

// ChooseIdentity plays the browser at the fake identity provider: it loads
// redirectTarget (the "redirecttarget" of a clientlogin REDIRECT answer)
// without any wiki cookie, picks identity (SSOMappedIdentity,
// SSOUnmappedIdentity, SSOInvalidChoice or SSODenyChoice) in its form and
// returns the URL the provider redirects to (the loginreturnurl with code and
// state, or error and state, appended), without following it.
func ChooseIdentity(ctx context.Context, redirectTarget, identity string) (*url.URL, error) {
	hc := &http.Client{
		Timeout:       30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, redirectTarget, nil)
	if err != nil {
		return nil, err
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("testwiki: identity provider page: HTTP %d", resp.StatusCode)
	}
	target, err := url.Parse(redirectTarget)
	if err != nil {
		return nil, err
	}
	form := url.Values{}
	for _, k := range []string{"response_type", "client_id", "redirect_uri", "state"} {
		form.Set(k, target.Query().Get(k))
	}
	form.Set("identity", identity)
	post := *target
	post.RawQuery = url.Values{"title": {target.Query().Get("title")}}.Encode()
	req, err = http.NewRequestWithContext(ctx, http.MethodPost, post.String(), strings.NewReader(form.Encode()))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err = hc.Do(req)
	if err != nil {
		return nil, err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound {
		return nil, fmt.Errorf("testwiki: identity provider: HTTP %d, want 302", resp.StatusCode)
	}
	return url.Parse(resp.Header.Get("Location"))
}

// NewHTTPClient returns an http.Client with its own cookie jar, as an API
// client of the wiki needs.
func NewHTTPClient() *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, Timeout: 30 * time.Second}
}
