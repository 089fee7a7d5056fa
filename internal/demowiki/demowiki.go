// Package demowiki is a small stand-in for a MediaWiki wiki: it speaks the
// subset of the Action API that logging in uses (meta=tokens,
// meta=authmanagerinfo, action=clientlogin, meta=userinfo, action=logout,
// action=login) with MediaWiki's response shapes (formatversion=2,
// errorformat=plaintext) and message codes, and it has accounts that walk
// every path of a clientlogin: PASS, FAIL, a 2FA UI step, a captcha after a
// failure, a REDIRECT through a fake identity provider, RESTART, and a UI
// step using every field type.
//
// It also has pages, starting with MainPage, so that a tool can act as a
// logged-in user: action=edit with the session's csrf token (anonymous
// users may not edit), prop=revisions (text and history, continued) and
// list=allpages (continued).
//
// It serves the app's handler tests, the offline demo and the benchmark.
// It is not MediaWiki: the real-wiki tests are the reference.
package demowiki

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha1"
	"encoding/base32"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Account names and passwords.
const (
	UserAlice = "Alice" // password only
	UserBob   = "Bob"   // password, then a TOTP code
	UserCarol = "Carol" // reached through the demo identity provider
	UserDave  = "Dave"  // password; meant for the captcha walk
	UserErin  = "Erin"  // password, then a step with every field type

	Password = "demo-password"
	// TOTPSecret is Bob's base32 TOTP secret (RFC 6238, SHA-1, 30 s, 6 digits).
	TOTPSecret = "JBSWY3DPEHPK3PXP"
	// BotName and BotPassword log in with action=login.
	BotName     = "Alice@demo"
	BotPassword = "demo-bot-password-0123456789abcdef"

	// IdentityCarol maps to Carol; IdentityStranger maps to no account.
	IdentityCarol    = "carol@idp.example"
	IdentityStranger = "stranger@idp.example"

	// SSOButton is the name of the SSO button field on the login form.
	SSOButton = "demosso"
	// CaptchaQuestion's answer is CaptchaAnswer.
	CaptchaQuestion = "What is the colour of the sky on a clear day?"
	CaptchaAnswer   = "blue"

	// CookieName is the demo wiki's session cookie, named apart from the
	// app's own since browsers share cookies between ports.
	CookieName = "demowiki_session"
)

// Request ids, as MediaWiki names its AuthenticationRequest classes.
const (
	reqPassword = `MediaWiki\Auth\PasswordAuthenticationRequest`
	reqRemember = `MediaWiki\Auth\RememberMeAuthenticationRequest`
	reqOATH     = `MediaWiki\Extension\OATHAuth\Auth\TOTPAuthenticationRequest`
	reqCaptcha  = `CaptchaAuthenticationRequest`
	reqSSO      = `DemoSSO\ButtonRequest`
	reqSSOBack  = `DemoSSO\ReturnRequest`
	reqProfile  = `DemoProfile\ConfirmRequest`
)

// Wiki is the demo wiki, an http.Handler: api.php at /api.php, a few
// pages at /index.php, and the identity provider at /idp.
type Wiki struct {
	// Latency is added to every API call, to mimic a real wiki.
	Latency time.Duration

	mu       sync.Mutex
	sessions map[string]*session
	failures map[string]int    // failed logins by user name, for the captcha
	codes    map[string]string // SSO code -> identity, single use
	usedTOTP map[string]bool
	now      func() time.Time
	calls    atomic.Int64
	mux      *http.ServeMux
	merge    bool   // the current call (under mu) asked for merged fields
	lang     string // the current call's (under mu) uselang, one the wiki speaks
	pages    map[string]*page
	lastPage int // the last page id given
	lastRev  int // the last revision id given
}

type session struct {
	id        string
	user      string
	userID    int
	token     string // login token
	csrf      string
	auth      *auth
	captchaID string
	captchaOK string
	expires   time.Time
}

// auth is a login in progress, as AuthManager keeps it in the session.
type auth struct {
	stage     string // "oath", "sso", "profile"
	user      string
	returnURL string
	state     string
	remember  bool
}

// sessionTTL is how long an idle demo session lives.
const sessionTTL = time.Hour

// New returns a demo wiki.
func New() *Wiki {
	w := &Wiki{sessions: map[string]*session{}, failures: map[string]int{},
		codes: map[string]string{}, usedTOTP: map[string]bool{}, now: time.Now, pages: map[string]*page{}}
	w.addRevision(MainPage, "MediaWiki default", "", mainPageText)
	w.mux = http.NewServeMux()
	w.mux.HandleFunc("/api.php", w.api)
	w.mux.HandleFunc("/idp", w.idp)
	w.mux.HandleFunc("/index.php", w.index)
	w.mux.HandleFunc("/logo.svg", serveLogo)
	return w
}

func (w *Wiki) ServeHTTP(rw http.ResponseWriter, r *http.Request) { w.mux.ServeHTTP(rw, r) }

// Calls reports how many api.php requests were served.
func (w *Wiki) Calls() int64 { return w.calls.Load() }

// ExpireSessions forgets every session, as a wiki whose session store was
// flushed.
func (w *Wiki) ExpireSessions() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.sessions = map[string]*session{}
}

// TOTP returns the code for secret at t.
func TOTP(secret string, t time.Time) string {
	key, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(strings.ToUpper(strings.TrimRight(secret, "=")))
	if err != nil {
		return ""
	}
	var msg [8]byte
	binary.BigEndian.PutUint64(msg[:], uint64(t.Unix()/30))
	m := hmac.New(sha1.New, key)
	m.Write(msg[:])
	sum := m.Sum(nil)
	off := sum[len(sum)-1] & 0x0f
	code := binary.BigEndian.Uint32(sum[off:off+4]) & 0x7fffffff
	return fmt.Sprintf("%06d", code%1000000)
}

var userIDs = map[string]int{UserAlice: 1, UserBob: 2, UserCarol: 3, UserDave: 4, UserErin: 5}

// Students is how many numbered accounts, Student(1) to Student(Students),
// the wiki has besides the named ones: password only, for tests of a room
// full of people signing in from one address.
const Students = 100

// Student names the n-th numbered account.
func Student(n int) string { return "Student" + strconv.Itoa(n) }

// userID is the id of the account named user, if there is one.
func userID(user string) (int, bool) {
	if id, ok := userIDs[user]; ok {
		return id, true
	}
	n, err := strconv.Atoi(strings.TrimPrefix(user, "Student"))
	if err != nil || n < 1 || n > Students || user != Student(n) {
		return 0, false
	}
	return 100 + n, true
}

func randHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// sess returns the request's session, making one (and its cookie) if asked.
func (w *Wiki) sess(rw http.ResponseWriter, r *http.Request, create bool) *session {
	now := w.now()
	if c, err := r.Cookie(CookieName); err == nil {
		if s, ok := w.sessions[c.Value]; ok && now.Before(s.expires) {
			s.expires = now.Add(sessionTTL)
			return s
		}
	}
	if !create {
		return nil
	}
	s := &session{id: randHex(16), expires: now.Add(sessionTTL)}
	w.sessions[s.id] = s
	http.SetCookie(rw, &http.Cookie{Name: CookieName, Value: s.id, Path: "/", HttpOnly: true})
	return s
}

// renew gives a session a new ID at login, as MediaWiki does.
func (w *Wiki) renew(rw http.ResponseWriter, s *session) {
	delete(w.sessions, s.id)
	s.id = randHex(16)
	s.token, s.csrf = "", ""
	w.sessions[s.id] = s
	http.SetCookie(rw, &http.Cookie{Name: CookieName, Value: s.id, Path: "/", HttpOnly: true})
}

// writeJSON answers v, merging the requests' fields into one "fields"
// object when the call asked for it (loginmergerequestfields,
// amimergerequestfields), as MediaWiki does.
func (w *Wiki) writeJSON(rw http.ResponseWriter, v map[string]any) {
	if w.merge {
		if cl, ok := v["clientlogin"].(map[string]any); ok {
			mergeFields(cl)
		}
		if q, ok := v["query"].(map[string]any); ok {
			if ami, ok := q["authmanagerinfo"].(map[string]any); ok {
				mergeFields(ami)
			}
		}
	}
	writeJSON(rw, v)
}

// mergeFields moves the fields of holder's requests into holder["fields"],
// the first request naming a field winning.
func mergeFields(holder map[string]any) {
	reqs, _ := holder["requests"].([]any)
	merged := orderedFields{m: map[string]any{}}
	for _, r := range reqs {
		req, _ := r.(map[string]any)
		fs, ok := req["fields"].(orderedFields)
		if !ok {
			continue
		}
		delete(req, "fields")
		for _, name := range fs.order {
			if _, dup := merged.m[name]; !dup {
				merged.m[name] = fs.m[name]
				merged.order = append(merged.order, name)
			}
		}
	}
	if len(reqs) > 0 {
		holder["fields"] = merged
	}
}

func writeJSON(rw http.ResponseWriter, v any) {
	rw.Header().Set("Content-Type", "application/json; charset=utf-8")
	json.NewEncoder(rw).Encode(v)
}

func apiError(rw http.ResponseWriter, code, text string) { moduleError(rw, "main", code, text) }

// moduleError is an error a module (edit, query+revisions) raised.
func moduleError(rw http.ResponseWriter, module, code, text string) {
	rw.Header().Set("MediaWiki-API-Error", code)
	writeJSON(rw, map[string]any{
		"errors": []map[string]string{{"code": code, "text": text, "module": module}},
		"docref": "See /api.php for API usage.",
	})
}

func (w *Wiki) api(rw http.ResponseWriter, r *http.Request) {
	w.calls.Add(1)
	if w.Latency > 0 {
		time.Sleep(w.Latency)
	}
	if err := r.ParseForm(); err != nil {
		apiError(rw, "badrequest", "The request could not be read.")
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	post := r.Method == http.MethodPost
	w.merge = r.Form.Get("loginmergerequestfields") != "" || r.Form.Get("amimergerequestfields") != ""
	w.lang = msgLang(r.Form.Get("uselang"))
	if !w.checkAsserts(rw, r) {
		return
	}
	switch action := r.Form.Get("action"); action {
	case "query":
		w.query(rw, r)
	case "paraminfo":
		paramInfo(rw, r)
	case "clientlogin", "login", "logout", "edit":
		if !post {
			apiError(rw, "mustbeposted", fmt.Sprintf("The \"%s\" module requires a POST request.", action))
			return
		}
		for _, secret := range []string{"password", "lgpassword", "logintoken", "lgtoken", "token"} {
			if r.URL.Query().Has(secret) {
				apiError(rw, "mustpostparams", "The following parameter was found in the query string, but must be in the POST body: "+secret+".")
				return
			}
		}
		switch action {
		case "clientlogin":
			w.clientLogin(rw, r)
		case "login":
			w.botLogin(rw, r)
		case "edit":
			w.edit(rw, r)
		default:
			w.logout(rw, r)
		}
	default:
		apiError(rw, "badvalue", fmt.Sprintf("Unrecognized value for parameter \"action\": %s.", action))
	}
}

// checkAsserts refuses a call whose assert or assertuser the session does
// not meet, whatever the module, as ApiMain does.
func (w *Wiki) checkAsserts(rw http.ResponseWriter, r *http.Request) bool {
	a, name := r.Form.Get("assert"), r.Form.Get("assertuser")
	if a == "" && name == "" {
		return true
	}
	user := ""
	if s := w.sess(rw, r, false); s != nil {
		user = s.user
	}
	switch {
	case (a == "user" || a == "bot") && user == "":
		apiError(rw, "assert"+a+"failed", "You are no longer logged in, so the action could not be completed.")
	case a == "bot":
		apiError(rw, "assertbotfailed", "You do not have the \"bot\" right, so the action could not be completed.")
	case name != "" && name != user:
		apiError(rw, "assertnameduserfailed", fmt.Sprintf("You are no longer logged in as \"%s\", so the action could not be completed.", name))
	default:
		return true
	}
	return false
}

func (w *Wiki) query(rw http.ResponseWriter, r *http.Request) {
	q := map[string]any{}
	for _, meta := range strings.Split(r.Form.Get("meta"), "|") {
		switch meta {
		case "tokens":
			s := w.sess(rw, r, true)
			toks := map[string]string{}
			for _, typ := range strings.Split(r.Form.Get("type"), "|") {
				switch typ {
				case "login":
					if s.token == "" {
						s.token = randHex(20) + `+\`
					}
					toks["logintoken"] = s.token
				case "csrf", "":
					if s.user == "" {
						toks["csrftoken"] = `+\`
					} else {
						if s.csrf == "" {
							s.csrf = randHex(20) + `+\`
						}
						toks["csrftoken"] = s.csrf
					}
				}
			}
			q["tokens"] = toks
		case "authmanagerinfo":
			if r.Form.Get("amirequestsfor") != "login" {
				apiError(rw, "badvalue", "This demo wiki only describes logins (amirequestsfor=login).")
				return
			}
			s := w.sess(rw, r, true)
			reqs := []any{}
			if w.captchaNeeded() {
				reqs = append(reqs, w.captchaRequest(s))
			}
			reqs = append(reqs, passwordRequest(w.lang), rememberRequest(w.lang), ssoRequest())
			q["authmanagerinfo"] = map[string]any{
				"canauthenticatenow": true, "cancreateaccounts": false, "canlinkaccounts": false,
				"haspreservedstate": false, "hasprimarypreservedstate": false,
				"preservedusername": "", "requests": reqs,
			}
		case "userinfo":
			s := w.sess(rw, r, false)
			if s == nil || s.user == "" {
				ui := map[string]any{"id": 0, "name": r.RemoteAddr, "anon": true, "groups": []string{"*"}, "editcount": 0}
				if strings.Contains(r.Form.Get("uiprop"), "rights") {
					ui["rights"] = []string{"createaccount", "read", "edit", "editmyprivateinfo"}
				}
				q["userinfo"] = ui
				continue
			}
			ui := map[string]any{"id": s.userID, "name": s.user}
			for _, prop := range strings.Split(r.Form.Get("uiprop"), "|") {
				switch prop {
				case "groups":
					ui["groups"] = []string{"*", "user", "autoconfirmed"}
				case "editcount":
					ui["editcount"] = 42 + s.userID
				}
			}
			q["userinfo"] = ui
		case "siteinfo":
			for _, prop := range strings.Split(r.Form.Get("siprop"), "|") {
				switch prop {
				case "general", "":
					q["general"] = siteGeneral(r)
				case "languages":
					q["languages"] = siteLanguages()
				}
			}
		case "allmessages":
			q["allmessages"] = allMessages(r)
		case "languageinfo":
			q["languageinfo"] = languageInfo(r)
		case "":
		default:
			apiError(rw, "badvalue", "Unrecognized value for parameter \"meta\": "+meta+".")
			return
		}
	}
	out := map[string]any{"batchcomplete": true, "query": q}
	var cont map[string]any
	switch prop := r.Form.Get("prop"); prop {
	case "revisions":
		c, ok := w.revisions(rw, r.Form, q)
		if !ok {
			return
		}
		if c != nil {
			// The pages' props are not all there yet.
			delete(out, "batchcomplete")
			cont = c
		}
	case "":
	default:
		apiError(rw, "badvalue", "Unrecognized value for parameter \"prop\": "+prop+".")
		return
	}
	switch list := r.Form.Get("list"); list {
	case "allpages":
		c, ok := w.allPages(rw, r.Form, q)
		if !ok {
			return
		}
		if c != nil && cont == nil {
			cont = c
		} else if c != nil {
			cont["apcontinue"] = c["apcontinue"]
		}
	case "":
	default:
		apiError(rw, "badvalue", "Unrecognized value for parameter \"list\": "+list+".")
		return
	}
	if cont != nil {
		out["continue"] = cont
	}
	w.writeJSON(rw, out)
}

// captchaNeeded: like ConfirmEdit's badlogin trigger, a captcha is asked of
// everyone once a login failed for Dave.
func (w *Wiki) captchaNeeded() bool { return w.failures[UserDave] > 0 }

func field(typ, label, help string, extra ...any) map[string]any {
	f := map[string]any{"type": typ, "label": label, "help": help, "optional": false, "sensitive": false}
	for i := 0; i+1 < len(extra); i += 2 {
		f[extra[i].(string)] = extra[i+1]
	}
	return f
}

func request(id, required, provider string, fields map[string]any, order []string, metadata any) map[string]any {
	if metadata == nil {
		metadata = map[string]any{}
	}
	return map[string]any{"id": id, "metadata": metadata, "required": required,
		"provider": provider, "account": "", "fields": orderedFields{fields, order}}
}

// orderedFields writes a JSON object in a fixed order, as PHP does.
type orderedFields struct {
	m     map[string]any
	order []string
}

func (o orderedFields) MarshalJSON() ([]byte, error) {
	var b strings.Builder
	b.WriteByte('{')
	for i, k := range o.order {
		if i > 0 {
			b.WriteByte(',')
		}
		kj, _ := json.Marshal(k)
		vj, err := json.Marshal(o.m[k])
		if err != nil {
			return nil, err
		}
		b.Write(kj)
		b.WriteByte(':')
		b.Write(vj)
	}
	b.WriteByte('}')
	return []byte(b.String()), nil
}

func passwordRequest(lang string) map[string]any {
	return request(reqPassword, "primary-required", "Password-based authentication", map[string]any{
		"username": field("string", message(lang, "userlogin-yourname"), "Username for authentication."),
		"password": field("password", message(lang, "userlogin-yourpassword"), "Password for authentication.", "sensitive", true),
	}, []string{"username", "password"}, nil)
}

func rememberRequest(lang string) map[string]any {
	return request(reqRemember, "optional", "", map[string]any{
		"rememberMe": field("checkbox", message(lang, "userlogin-remembermypassword"),
			"Whether the password should be remembered for longer than the length of the session.", "optional", true),
	}, []string{"rememberMe"}, nil)
}

func ssoRequest() map[string]any {
	return request(reqSSO, "primary-required", "Demo single sign-on", map[string]any{
		SSOButton: field("button", "Log in with Demo SSO", "Log in through the demo identity provider."),
	}, []string{SSOButton}, nil)
}

func (w *Wiki) captchaRequest(s *session) map[string]any {
	if s.captchaID == "" {
		s.captchaID = strconv.Itoa(1000000 + int(w.now().UnixNano()%9000000))
		s.captchaOK = CaptchaAnswer
	}
	return request(reqCaptcha, "required", "", map[string]any{
		"captchaId":   field("hidden", "CAPTCHA ID", "This value should be sent back unchanged.", "value", s.captchaID),
		"captchaInfo": field("null", "To protect the wiki against automated password cracking, we kindly ask you to answer the question that appears below:", "Description of the CAPTCHA.", "value", CaptchaQuestion),
		"captchaWord": field("string", "CAPTCHA", "Solution of the CAPTCHA."),
	}, []string{"captchaId", "captchaInfo", "captchaWord"}, map[string]string{"type": "question", "mime": "text/html"})
}

func loginResult(status string, extra map[string]any) map[string]any {
	cl := map[string]any{"status": status}
	for k, v := range extra {
		cl[k] = v
	}
	return map[string]any{"clientlogin": cl}
}

func (w *Wiki) clientLogin(rw http.ResponseWriter, r *http.Request) {
	s := w.sess(rw, r, true)
	f := r.PostForm
	if f.Get("logintoken") == "" {
		apiError(rw, "missingparam", "The \"logintoken\" parameter must be set.")
		return
	}
	if s.token == "" || f.Get("logintoken") != s.token {
		apiError(rw, "badtoken", "Invalid CSRF token.")
		return
	}
	switch {
	case f.Get("logincontinue") != "":
		w.continueLogin(rw, s, f)
	case f.Get("loginreturnurl") != "":
		w.beginLogin(rw, baseURL(r), s, f)
	default:
		apiError(rw, "missingparam", "At least one of the parameters \"loginreturnurl\" and \"logincontinue\" is required.")
	}
}

func fail(msg, code string) map[string]any {
	return loginResult("FAIL", map[string]any{"message": msg, "messagecode": code, "canpreservestate": false})
}

func (w *Wiki) beginLogin(rw http.ResponseWriter, base string, s *session, f url.Values) {
	s.auth = nil
	ret, err := url.Parse(f.Get("loginreturnurl"))
	if err != nil || !ret.IsAbs() {
		apiError(rw, "badvalue", "The loginreturnurl must be absolute.")
		return
	}
	if w.captchaNeeded() {
		if s.captchaID == "" || f.Get("captchaId") != s.captchaID || !strings.EqualFold(strings.TrimSpace(f.Get("captchaWord")), s.captchaOK) {
			s.captchaID = ""
			// As ConfirmEdit: a wrong answer reads like a wrong password,
			// so that guessing cannot tell which of the two was wrong.
			w.writeJSON(rw, fail(message(w.lang, "wrongpassword"), "wrongpassword"))
			return
		}
		s.captchaID = ""
	}
	if f.Get(SSOButton) != "" {
		state := randHex(16)
		s.auth = &auth{stage: "sso", returnURL: ret.String(), state: state}
		w.writeJSON(rw, loginResult("REDIRECT", map[string]any{
			"redirecttarget": idpURL(base, ret.String(), state),
			"requests": []any{request(reqSSOBack, "required", "Demo single sign-on", map[string]any{
				"code":  field("string", "code", "Code from the identity provider."),
				"state": field("string", "state", "State from the identity provider."),
			}, []string{"code", "state"}, nil)},
		}))
		return
	}
	user, pass := f.Get("username"), f.Get("password")
	if user == "" {
		w.writeJSON(rw, fail("The supplied credentials could not be authenticated.", "authmanager-authn-no-primary"))
		return
	}
	user = strings.ToUpper(user[:1]) + user[1:]
	if _, ok := userID(user); !ok || pass != Password || user == UserCarol {
		w.failures[user]++
		w.writeJSON(rw, fail(message(w.lang, "wrongpassword"), "wrongpassword"))
		return
	}
	a := &auth{user: user, remember: f.Get("rememberMe") != ""}
	switch user {
	case UserBob:
		a.stage = "oath"
		s.auth = a
		w.writeJSON(rw, oathUI("", ""))
	case UserErin:
		a.stage = "profile"
		s.auth = a
		w.writeJSON(rw, profileUI("Confirm a few details to finish logging in.", "demo-profile-prompt"))
	default:
		w.pass(rw, s, user)
	}
}

// idpURL points at our identity provider, on the host the API was reached
// at.
func idpURL(base, returnURL, state string) string {
	q := url.Values{"returnto": {returnURL}, "state": {state}}
	return base + "/idp?" + q.Encode()
}

// baseURL is the scheme and host the request reached us at.
func baseURL(r *http.Request) string {
	if r.TLS != nil {
		return "https://" + r.Host
	}
	return "http://" + r.Host
}

func oathUI(msg, code string) map[string]any {
	if msg == "" {
		msg, code = "Please enter a code from your two-factor authentication application (such as Google Authenticator).", "oathauth-auth-ui"
	}
	return loginResult("UI", map[string]any{"message": msg, "messagecode": code, "requests": []any{
		request(reqOATH, "required", "Two-factor authentication (OATH).", map[string]any{
			"OATHToken": field("string", "Two-factor token or recovery code", "The one-time password used as the second factor of two-factor authentication."),
		}, []string{"OATHToken"}, nil)}})
}

func profileUI(msg, code string) map[string]any {
	return loginResult("UI", map[string]any{"message": msg, "messagecode": code, "requests": []any{
		request(reqProfile, "required", "Demo profile", map[string]any{
			"notice":     field("null", "About this step", "", "value", "This step shows <b>every field type</b> AuthManager can describe."),
			"nickname":   field("string", "Nickname", "What should we call you?"),
			"pin":        field("password", "Demo PIN", "Type 1234.", "sensitive", true),
			"colour":     field("select", "Favourite colour", "", "options", orderedFields{map[string]any{"red": "Red", "green": "Green", "blue": "Blue"}, []string{"red", "green", "blue"}}, "value", "green"),
			"topics":     field("multiselect", "Topics", "Pick any.", "optional", true, "options", orderedFields{map[string]any{"art": "Art", "science": "Science", "history": "History"}, []string{"art", "science", "history"}}),
			"terms":      field("checkbox", "I accept the demo terms", ""),
			"ticket":     field("hidden", "Ticket", "", "value", "demo-ticket-42"),
			"newsletter": field("checkbox", "Send me the newsletter", "", "optional", true),
		}, []string{"notice", "nickname", "pin", "colour", "topics", "terms", "ticket", "newsletter"}, nil)}})
}

func (w *Wiki) continueLogin(rw http.ResponseWriter, s *session, f url.Values) {
	a := s.auth
	if a == nil {
		w.writeJSON(rw, fail("No authentication is in progress. Please start again.", "authmanager-authn-not-in-progress"))
		return
	}
	switch a.stage {
	case "oath":
		code := strings.TrimSpace(f.Get("OATHToken"))
		now := w.now()
		ok := false
		for _, d := range []time.Duration{0, -30 * time.Second, 30 * time.Second} {
			if code != "" && code == TOTP(TOTPSecret, now.Add(d)) && !w.usedTOTP[code] {
				ok = true
			}
		}
		if !ok {
			w.writeJSON(rw, oathUI("Verification failed.", "oathauth-login-failed"))
			return
		}
		w.usedTOTP[code] = true
		w.pass(rw, s, a.user)
	case "sso":
		if f.Get("state") == "" || f.Get("state") != a.state {
			s.auth = nil
			w.writeJSON(rw, fail("The identity provider's answer does not match this login (bad state).", "demosso-bad-state"))
			return
		}
		id, ok := w.codes[f.Get("code")]
		delete(w.codes, f.Get("code"))
		switch {
		case !ok:
			s.auth = nil
			w.writeJSON(rw, fail("The identity provider's code is not valid.", "demosso-bad-code"))
		case id == IdentityCarol:
			w.pass(rw, s, UserCarol)
		default:
			s.auth = nil
			w.writeJSON(rw, loginResult("RESTART", map[string]any{
				"requests":         []any{passwordRequest(w.lang), ssoRequest(), rememberRequest(w.lang)},
				"message":          "The supplied credentials are valid but are not associated with any user on this wiki. Login in a different way, or create a new user, and you will have an option to link your previous credentials to that account.",
				"messagecode":      "authmanager-authn-no-local-user-link",
				"canpreservestate": true,
			}))
		}
	case "profile":
		if f.Get("pin") != "1234" || f.Get("terms") == "" || f.Get("nickname") == "" || f.Get("ticket") != "demo-ticket-42" {
			w.writeJSON(rw, profileUI("Please fill in the nickname, type PIN 1234 and accept the terms.", "demo-profile-invalid"))
			return
		}
		w.pass(rw, s, a.user)
	}
}

func (w *Wiki) pass(rw http.ResponseWriter, s *session, user string) {
	s.auth = nil
	s.user = user
	s.userID, _ = userID(user)
	delete(w.failures, user)
	w.renew(rw, s)
	w.writeJSON(rw, loginResult("PASS", map[string]any{"username": user}))
}

func (w *Wiki) botLogin(rw http.ResponseWriter, r *http.Request) {
	s := w.sess(rw, r, true)
	f := r.PostForm
	switch {
	case f.Get("lgtoken") == "":
		w.writeJSON(rw, map[string]any{"warnings": []any{}, "login": map[string]any{"result": "NeedToken", "token": s.token}})
	case f.Get("lgtoken") != s.token:
		w.writeJSON(rw, map[string]any{"login": map[string]any{"result": "WrongToken"}})
	case f.Get("lgname") == UserAlice && f.Get("lgpassword") == Password:
		w.writeJSON(rw, map[string]any{"login": map[string]any{"result": "Aborted",
			"reason": "Login using the main account password rather than bot passwords is not supported."}})
	case f.Get("lgname") == BotName && f.Get("lgpassword") == BotPassword:
		s.user, s.userID = UserAlice, userIDs[UserAlice]
		w.renew(rw, s)
		w.writeJSON(rw, map[string]any{"login": map[string]any{"result": "Success", "lguserid": s.userID, "lgusername": UserAlice}})
	default:
		w.writeJSON(rw, map[string]any{"login": map[string]any{"result": "Failed",
			"reason": "Incorrect username or password entered. Please try again."}})
	}
}

func (w *Wiki) logout(rw http.ResponseWriter, r *http.Request) {
	s := w.sess(rw, r, false)
	tok := r.PostForm.Get("token")
	want := `+\`
	if s != nil && s.user != "" {
		want = s.csrf
	}
	if tok == "" || tok != want {
		apiError(rw, "badtoken", "Invalid CSRF token.")
		return
	}
	if s != nil {
		delete(w.sessions, s.id)
	}
	http.SetCookie(rw, &http.Cookie{Name: CookieName, Value: "deleted", Path: "/", MaxAge: -1})
	w.writeJSON(rw, map[string]any{})
}

// LoggedIn counts the sessions in which a user is logged in.
func (w *Wiki) LoggedIn() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	n := 0
	for _, s := range w.sessions {
		if s.user != "" {
			n++
		}
	}
	return n
}
