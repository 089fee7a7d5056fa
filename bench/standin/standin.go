// Package standin is a fast stand-in MediaWiki for load tests: the part of
// the Action API a login uses (meta=tokens, meta=authmanagerinfo,
// action=clientlogin, meta=userinfo, action=logout) with MediaWiki's response
// shapes (formatversion=2, errorformat=plaintext), and an identity provider
// for REDIRECT logins. It is internal/demowiki made for throughput: sessions
// in sharded maps, answers written from prebuilt bytes, no global lock.
//
// Accounts (password Password):
//   - Alice, and any name starting "Bench": PASS at once;
//   - Bob: a UI step asking for a TOTP code (demowiki.TOTP of
//     demowiki.TOTPSecret, current or adjacent 30 s window; a code may be
//     reused, unlike on a real wiki, since thousands of logins share it);
//   - the SSO button (field "demosso"): REDIRECT to the identity provider,
//     which sends the browser straight back with a code for Carol.
//
// Every API call waits Latency first, to mimic a real wiki. The Wiki counts
// API calls by module and, through Track, the TCP connections accepted.
package standin

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mwlogin/mwlogin/internal/demowiki"
)

// Account names and the password.
const (
	UserAlice = demowiki.UserAlice
	UserBob   = demowiki.UserBob
	UserCarol = demowiki.UserCarol
	Password  = demowiki.Password
	SSOButton = demowiki.SSOButton
	// CookieName is the stand-in's session cookie; PASS also sets the
	// UserID and UserName cookies a MediaWiki sets.
	CookieName = "standin_session"
)

// sessionTTL is how long an idle session lives.
const sessionTTL = 2 * time.Minute

// Wiki is the stand-in: api.php at /api.php (Handler) and the identity
// provider at /idp (IdPHandler).
type Wiki struct {
	// Latency is added to every API call.
	Latency time.Duration
	// IdPURL is the identity provider's base URL ("http://host:port"); the
	// REDIRECT target is IdPURL + "/idp?...".
	IdPURL string

	shards [64]shard
	codes  shard // SSO code -> "" (single use), in its own map
	prefix string
	seq    atomic.Uint64

	calls    [nCounters]atomic.Int64
	stopOnce sync.Once
	stop     chan struct{}
}

// Counters, by module.
const (
	CallTokens = iota
	CallAuthManagerInfo
	CallClientLogin
	CallUserInfo
	CallLogout
	CallOther
	nCounters
)

var counterNames = [nCounters]string{"tokens", "authmanagerinfo", "clientlogin", "userinfo", "logout", "other"}

type shard struct {
	mu sync.Mutex
	m  map[string]*session
}

type session struct {
	user    string
	userID  int
	token   string
	csrf    string
	stage   string // "", "oath", "sso"
	pending string // the user of a login in progress
	state   string // the SSO state
	expires time.Time
}

// New returns a stand-in wiki. Call Close to stop its expiry sweeper.
func New(latency time.Duration, idpURL string) *Wiki {
	w := &Wiki{Latency: latency, IdPURL: strings.TrimRight(idpURL, "/"), stop: make(chan struct{})}
	b := make([]byte, 6)
	rand.Read(b)
	w.prefix = hex.EncodeToString(b)
	for i := range w.shards {
		w.shards[i].m = map[string]*session{}
	}
	w.codes.m = map[string]*session{}
	go w.sweep()
	return w
}

// Close stops the sweeper.
func (w *Wiki) Close() { w.stopOnce.Do(func() { close(w.stop) }) }

func (w *Wiki) sweep() {
	t := time.NewTicker(10 * time.Second)
	defer t.Stop()
	for {
		select {
		case <-w.stop:
			return
		case now := <-t.C:
			for i := range w.shards {
				sh := &w.shards[i]
				sh.mu.Lock()
				for k, s := range sh.m {
					if now.After(s.expires) {
						delete(sh.m, k)
					}
				}
				sh.mu.Unlock()
			}
		}
	}
}

// Calls returns the API calls served, by module name.
func (w *Wiki) Calls() map[string]int64 {
	out := make(map[string]int64, nCounters)
	for i, n := range counterNames {
		out[n] = w.calls[i].Load()
	}
	return out
}

// TotalCalls is the number of API calls served.
func (w *Wiki) TotalCalls() int64 {
	var n int64
	for i := range w.calls {
		n += w.calls[i].Load()
	}
	return n
}

// Sessions is the number of wiki sessions held.
func (w *Wiki) Sessions() int {
	n := 0
	for i := range w.shards {
		w.shards[i].mu.Lock()
		n += len(w.shards[i].m)
		w.shards[i].mu.Unlock()
	}
	return n
}

// newID returns a unique, unguessable-enough session id or token.
func (w *Wiki) newID() string {
	var b [40]byte
	out := append(b[:0], w.prefix...)
	out = strconv.AppendUint(out, w.seq.Add(1), 16)
	var r [8]byte
	rand.Read(r[:])
	out = hex.AppendEncode(out, r[:])
	return string(out)
}

func (w *Wiki) shardOf(id string) *shard {
	var h uint32 = 2166136261
	for i := 0; i < len(id); i++ {
		h = (h ^ uint32(id[i])) * 16777619
	}
	return &w.shards[h%uint32(len(w.shards))]
}

// sessionOf returns the request's session id and session, or "", nil.
// Callers lock the shard around any use of the session.
func (w *Wiki) lookup(r *http.Request) (string, *shard) {
	c, err := r.Cookie(CookieName)
	if err != nil || c.Value == "" {
		return "", nil
	}
	return c.Value, w.shardOf(c.Value)
}

// Handler serves api.php.
func (w *Wiki) Handler() http.Handler { return http.HandlerFunc(w.api) }

// IdPHandler serves the identity provider at /idp.
func (w *Wiki) IdPHandler() http.Handler { return http.HandlerFunc(w.idp) }

var (
	hdrJSON = []string{"application/json; charset=utf-8"}
)

func writeRaw(rw http.ResponseWriter, body []byte) {
	h := rw.Header()
	h["Content-Type"] = hdrJSON
	h["Content-Length"] = []string{strconv.Itoa(len(body))}
	rw.Write(body)
}

func apiError(rw http.ResponseWriter, code, text string) {
	rw.Header().Set("MediaWiki-API-Error", code)
	b := []byte(`{"errors":[{"code":`)
	b = appendJSONString(b, code)
	b = append(b, `,"text":`...)
	b = appendJSONString(b, text)
	b = append(b, `,"module":"main"}],"docref":"See /api.php for API usage.","servedby":"standin"}`...)
	writeRaw(rw, b)
}

func appendJSONString(b []byte, s string) []byte {
	j, _ := json.Marshal(s)
	return append(b, j...)
}

func (w *Wiki) api(rw http.ResponseWriter, r *http.Request) {
	if w.Latency > 0 {
		time.Sleep(w.Latency)
	}
	if err := r.ParseForm(); err != nil {
		w.calls[CallOther].Add(1)
		apiError(rw, "badrequest", "The request could not be read.")
		return
	}
	switch action := r.Form.Get("action"); action {
	case "query":
		w.query(rw, r)
	case "clientlogin", "logout":
		if r.Method != http.MethodPost {
			w.calls[CallOther].Add(1)
			apiError(rw, "mustbeposted", "The \""+action+"\" module requires a POST request.")
			return
		}
		for _, secret := range []string{"password", "logintoken", "token"} {
			if r.URL.Query().Has(secret) {
				w.calls[CallOther].Add(1)
				apiError(rw, "mustpostparams", "The following parameter was found in the query string, but must be in the POST body: "+secret+".")
				return
			}
		}
		if action == "clientlogin" {
			w.calls[CallClientLogin].Add(1)
			w.clientLogin(rw, r)
		} else {
			w.calls[CallLogout].Add(1)
			w.logout(rw, r)
		}
	default:
		w.calls[CallOther].Add(1)
		apiError(rw, "badvalue", "Unrecognized value for parameter \"action\": "+action+".")
	}
}

// authManagerInfo is the login form: password, remember me, and an SSO
// button, as MediaWiki describes them (amimessageformat=html, no merge).
var authManagerInfo = []byte(`"authmanagerinfo":{"canauthenticatenow":true,"cancreateaccounts":false,"cancreatetempaccounts":false,"preservedusername":"","requests":[` +
	`{"id":"MediaWiki\\Auth\\PasswordAuthenticationRequest","metadata":[],"required":"primary-required","provider":"Password-based authentication","account":"","fields":{"username":{"type":"string","label":"Username","help":"Username for authentication."},"password":{"type":"password","label":"Password","help":"Password for authentication.","sensitive":true}}},` +
	`{"id":"MediaWiki\\Auth\\RememberMeAuthenticationRequest","metadata":[],"required":"optional","provider":"","account":"","fields":{"rememberMe":{"type":"checkbox","label":"Keep me logged in (for up to 180 days)","help":"Whether the password should be remembered for longer than the length of the session.","optional":true}}},` +
	`{"id":"DemoSSO\\ButtonRequest","metadata":[],"required":"primary-required","provider":"Demo single sign-on","account":"","fields":{"demosso":{"type":"button","label":"Log in with Demo SSO","help":"Log in through the demo identity provider."}}}]}`)

func (w *Wiki) query(rw http.ResponseWriter, r *http.Request) {
	metas := strings.Split(r.Form.Get("meta"), "|")
	counted := false
	count := func(i int) {
		if !counted {
			w.calls[i].Add(1)
			counted = true
		}
	}
	b := make([]byte, 0, 1024)
	b = append(b, `{"batchcomplete":true,"query":{`...)
	first := true
	sep := func() {
		if !first {
			b = append(b, ',')
		}
		first = false
	}
	for _, meta := range metas {
		switch meta {
		case "authmanagerinfo":
			count(CallAuthManagerInfo)
			if r.Form.Get("amirequestsfor") != "login" {
				apiError(rw, "badvalue", "This stand-in only describes logins (amirequestsfor=login).")
				return
			}
			sep()
			b = append(b, authManagerInfo...)
		case "tokens":
			count(CallTokens)
			id, sh := w.lookup(r)
			var s *session
			if sh != nil {
				sh.mu.Lock()
				if s = sh.m[id]; s != nil && time.Now().After(s.expires) {
					s = nil
				}
				if s == nil {
					sh.mu.Unlock()
				}
			}
			if s == nil {
				id = w.newID()
				s = &session{}
				sh = w.shardOf(id)
				sh.mu.Lock()
				sh.m[id] = s
				http.SetCookie(rw, &http.Cookie{Name: CookieName, Value: id, Path: "/", HttpOnly: true})
			}
			s.expires = time.Now().Add(sessionTTL)
			sep()
			b = append(b, `"tokens":{`...)
			tf := true
			for _, typ := range strings.Split(r.Form.Get("type"), "|") {
				if !tf {
					b = append(b, ',')
				}
				tf = false
				switch typ {
				case "login":
					if s.token == "" {
						s.token = w.newID() + `+\`
					}
					b = append(b, `"logintoken":`...)
					b = appendJSONString(b, s.token)
				default:
					tok := `+\`
					if s.user != "" {
						if s.csrf == "" {
							s.csrf = w.newID() + `+\`
						}
						tok = s.csrf
					}
					b = append(b, `"csrftoken":`...)
					b = appendJSONString(b, tok)
				}
			}
			sh.mu.Unlock()
			b = append(b, '}')
		case "userinfo":
			count(CallUserInfo)
			id, sh := w.lookup(r)
			user, uid := "", 0
			if sh != nil {
				sh.mu.Lock()
				if s := sh.m[id]; s != nil && time.Now().Before(s.expires) {
					user, uid = s.user, s.userID
					s.expires = time.Now().Add(sessionTTL)
				}
				sh.mu.Unlock()
			}
			if user == "" {
				if a := r.Form.Get("assert"); a == "user" || a == "bot" {
					apiError(rw, "assert"+a+"failed", "You are no longer logged in, so the action could not be completed.")
					return
				}
				sep()
				host, _, _ := net.SplitHostPort(r.RemoteAddr)
				b = append(b, `"userinfo":{"id":0,"name":`...)
				b = appendJSONString(b, host)
				b = append(b, `,"anon":true,"groups":["*"],"editcount":0}`...)
				continue
			}
			sep()
			b = append(b, `"userinfo":{"id":`...)
			b = strconv.AppendInt(b, int64(uid), 10)
			b = append(b, `,"name":`...)
			b = appendJSONString(b, user)
			b = append(b, `,"groups":["*","user","autoconfirmed"],"editcount":`...)
			b = strconv.AppendInt(b, int64(42+uid), 10)
			b = append(b, '}')
		case "":
		default:
			count(CallOther)
			apiError(rw, "badvalue", "Unrecognized value for parameter \"meta\": "+meta+".")
			return
		}
	}
	if !counted {
		w.calls[CallOther].Add(1)
	}
	b = append(b, "}}"...)
	writeRaw(rw, b)
}

var (
	passPrefix = []byte(`{"clientlogin":{"status":"PASS","username":`)
	oathUI     = []byte(`{"clientlogin":{"status":"UI","message":"Enter a verification code from your authenticator app.","messagecode":"oathauth-auth-ui","requests":[{"id":"MediaWiki\\Extension\\OATHAuth\\Auth\\TOTPAuthenticationRequest","metadata":[],"required":"required","provider":"","account":"","fields":{"OATHToken":{"type":"string","label":"Token","help":"Two-factor authentication token"}}}]}}`)
	oathWrong  = []byte(`{"clientlogin":{"status":"UI","message":"Verification failed.","messagecode":"oathauth-login-failed","requests":[{"id":"MediaWiki\\Extension\\OATHAuth\\Auth\\TOTPAuthenticationRequest","metadata":[],"required":"required","provider":"","account":"","fields":{"OATHToken":{"type":"string","label":"Token","help":"Two-factor authentication token"}}}]}}`)
	ssoReturn  = `,"requests":[{"id":"DemoSSO\\ReturnRequest","metadata":[],"required":"required","provider":"Demo single sign-on","account":"","fields":{"code":{"type":"string","label":"code","help":"Code from the identity provider."},"state":{"type":"string","label":"state","help":"State from the identity provider."}}}]}}`
	wrongPass  = []byte(`{"clientlogin":{"status":"FAIL","message":"Incorrect username or password entered. Please try again.","messagecode":"wrongpassword"}}`)
	notInProg  = []byte(`{"clientlogin":{"status":"FAIL","message":"No authentication is in progress. Please start again.","messagecode":"authmanager-authn-not-in-progress"}}`)
	badState   = []byte(`{"clientlogin":{"status":"FAIL","message":"The identity provider's answer does not match this login (bad state).","messagecode":"demosso-bad-state"}}`)
	noPrimary  = []byte(`{"clientlogin":{"status":"FAIL","message":"No authentication data was provided, or the provider cannot handle it.","messagecode":"authmanager-authn-no-primary"}}`)
)

var userIDs = map[string]int{UserAlice: 1, UserBob: 2, UserCarol: 3}

func (w *Wiki) clientLogin(rw http.ResponseWriter, r *http.Request) {
	f := r.PostForm
	tok := f.Get("logintoken")
	if tok == "" {
		apiError(rw, "missingparam", "The \"logintoken\" parameter must be set.")
		return
	}
	id, sh := w.lookup(r)
	if sh == nil {
		apiError(rw, "badtoken", "Invalid CSRF token.")
		return
	}
	sh.mu.Lock()
	s := sh.m[id]
	if s == nil || time.Now().After(s.expires) || s.token == "" || s.token != tok {
		sh.mu.Unlock()
		apiError(rw, "badtoken", "Invalid CSRF token.")
		return
	}
	s.expires = time.Now().Add(sessionTTL)
	switch {
	case f.Get("logincontinue") != "":
		w.continueLogin(rw, id, sh, s, f) // unlocks
	case f.Get("loginreturnurl") != "":
		w.beginLogin(rw, id, sh, s, f) // unlocks
	default:
		sh.mu.Unlock()
		apiError(rw, "missingparam", "At least one of the parameters \"loginreturnurl\" and \"logincontinue\" is required.")
	}
}

// beginLogin and continueLogin are called with sh locked and unlock it.
func (w *Wiki) beginLogin(rw http.ResponseWriter, id string, sh *shard, s *session, f url.Values) {
	s.stage, s.pending, s.state = "", "", ""
	ret, err := url.Parse(f.Get("loginreturnurl"))
	if err != nil || !ret.IsAbs() {
		sh.mu.Unlock()
		apiError(rw, "badvalue", "The loginreturnurl must be absolute.")
		return
	}
	if f.Get(SSOButton) != "" {
		s.stage, s.state = "sso", w.newID()
		state := s.state
		sh.mu.Unlock()
		q := url.Values{"returnto": {ret.String()}, "state": {state}}
		b := append([]byte(nil), `{"clientlogin":{"status":"REDIRECT","redirecttarget":`...)
		b = appendJSONString(b, w.IdPURL+"/idp?"+q.Encode())
		b = append(b, ssoReturn...)
		writeRaw(rw, b)
		return
	}
	user, pass := f.Get("username"), f.Get("password")
	if user == "" {
		sh.mu.Unlock()
		writeRaw(rw, noPrimary)
		return
	}
	user = strings.ToUpper(user[:1]) + user[1:]
	known := user == UserAlice || user == UserBob || strings.HasPrefix(user, "Bench")
	if !known || pass != Password {
		sh.mu.Unlock()
		writeRaw(rw, wrongPass)
		return
	}
	if user == UserBob {
		s.stage, s.pending = "oath", user
		sh.mu.Unlock()
		writeRaw(rw, oathUI)
		return
	}
	w.pass(rw, id, sh, s, user)
}

func (w *Wiki) continueLogin(rw http.ResponseWriter, id string, sh *shard, s *session, f url.Values) {
	switch s.stage {
	case "oath":
		code := strings.TrimSpace(f.Get("OATHToken"))
		now := time.Now()
		ok := false
		for _, d := range []time.Duration{0, -30 * time.Second, 30 * time.Second} {
			if code != "" && code == demowiki.TOTP(demowiki.TOTPSecret, now.Add(d)) {
				ok = true
				break
			}
		}
		if !ok {
			sh.mu.Unlock()
			writeRaw(rw, oathWrong)
			return
		}
		w.pass(rw, id, sh, s, s.pending)
	case "sso":
		if f.Get("state") == "" || f.Get("state") != s.state {
			s.stage = ""
			sh.mu.Unlock()
			writeRaw(rw, badState)
			return
		}
		code := f.Get("code")
		w.codes.mu.Lock()
		_, ok := w.codes.m[code]
		delete(w.codes.m, code)
		w.codes.mu.Unlock()
		if !ok {
			s.stage = ""
			sh.mu.Unlock()
			writeRaw(rw, []byte(`{"clientlogin":{"status":"FAIL","message":"The identity provider's code is not valid.","messagecode":"demosso-bad-code"}}`))
			return
		}
		w.pass(rw, id, sh, s, UserCarol)
	default:
		sh.mu.Unlock()
		writeRaw(rw, notInProg)
	}
}

// pass logs the session in under a new ID, as MediaWiki does, with the
// cookies MediaWiki sets. Called with sh locked; unlocks it.
func (w *Wiki) pass(rw http.ResponseWriter, id string, sh *shard, s *session, user string) {
	delete(sh.m, id)
	sh.mu.Unlock()
	uid := userIDs[user]
	if uid == 0 {
		uid = 100
	}
	ns := &session{user: user, userID: uid, expires: time.Now().Add(sessionTTL)}
	nid := w.newID()
	nsh := w.shardOf(nid)
	nsh.mu.Lock()
	nsh.m[nid] = ns
	nsh.mu.Unlock()
	h := rw.Header()
	h.Add("Set-Cookie", CookieName+"="+nid+"; Path=/; HttpOnly")
	h.Add("Set-Cookie", "standinUserID="+strconv.Itoa(uid)+"; Path=/; Max-Age=15552000; HttpOnly")
	h.Add("Set-Cookie", "standinUserName="+url.QueryEscape(user)+"; Path=/; Max-Age=15552000; HttpOnly")
	b := append([]byte(nil), passPrefix...)
	b = appendJSONString(b, user)
	b = append(b, "}}"...)
	writeRaw(rw, b)
}

func (w *Wiki) logout(rw http.ResponseWriter, r *http.Request) {
	id, sh := w.lookup(r)
	tok := r.PostForm.Get("token")
	want := `+\`
	if sh != nil {
		sh.mu.Lock()
		if s := sh.m[id]; s != nil && s.user != "" {
			want = s.csrf
		}
		sh.mu.Unlock()
	}
	if tok == "" || tok != want {
		apiError(rw, "badtoken", "Invalid CSRF token.")
		return
	}
	if sh != nil {
		sh.mu.Lock()
		delete(sh.m, id)
		sh.mu.Unlock()
	}
	http.SetCookie(rw, &http.Cookie{Name: CookieName, Value: "deleted", Path: "/", MaxAge: -1})
	writeRaw(rw, []byte(`{}`))
}

// idp is an identity provider that consents at once: it sends the browser
// back to returnto with a single-use code for Carol and the state it got.
func (w *Wiki) idp(rw http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	ret, err := url.Parse(q.Get("returnto"))
	if err != nil || (ret.Scheme != "http" && ret.Scheme != "https") || ret.Host == "" {
		http.Error(rw, "returnto must be an absolute http(s) URL", http.StatusBadRequest)
		return
	}
	code := w.newID()
	w.codes.mu.Lock()
	w.codes.m[code] = nil
	w.codes.mu.Unlock()
	rq := ret.Query()
	rq.Set("code", code)
	rq.Set("state", q.Get("state"))
	ret.RawQuery = rq.Encode()
	http.Redirect(rw, r, ret.String(), http.StatusFound)
}

// Conns counts the TCP connections of one server.
type Conns struct {
	Opened atomic.Int64 // accepted since start
	open   atomic.Int64
	Peak   atomic.Int64 // most open at once
}

// Open is the number of connections open now.
func (c *Conns) Open() int64 { return c.open.Load() }

// Track returns an http.Server ConnState hook that counts into c.
func (c *Conns) Track() func(net.Conn, http.ConnState) {
	return func(_ net.Conn, st http.ConnState) {
		switch st {
		case http.StateNew:
			c.Opened.Add(1)
			n := c.open.Add(1)
			for {
				p := c.Peak.Load()
				if n <= p || c.Peak.CompareAndSwap(p, n) {
					break
				}
			}
		case http.StateClosed, http.StateHijacked:
			c.open.Add(-1)
		}
	}
}

// ResetPeak sets the peak to the connections open now.
func (c *Conns) ResetPeak() { c.Peak.Store(c.open.Load()) }
