package handlers_test

// Several instances, one shared store: two (or more) app instances share a
// real redis-server (internal/testredis) and sit behind one address, a
// small reverse proxy that sends each request to whichever instance the test
// says, against the real test MediaWiki. A browser that moves between
// instances, or whose instance is replaced mid-login, loses nothing: no
// sticky sessions are needed.

import (
	"bytes"
	"compress/flate"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/gorilla/sessions"
	"github.com/redis/go-redis/v9"

	"github.com/mwlogin/mwlogin/handlers"
	"github.com/mwlogin/mwlogin/internal/browsertest"
	"github.com/mwlogin/mwlogin/internal/middleware"
	"github.com/mwlogin/mwlogin/internal/testproc"
	"github.com/mwlogin/mwlogin/internal/testredis"
	"github.com/mwlogin/mwlogin/internal/testwiki"
	"github.com/mwlogin/mwlogin/mwclient"
	"github.com/mwlogin/mwlogin/sessionstore"
	"github.com/mwlogin/mwlogin/store"
)

var (
	instKey1 = []byte("instances-test-key-ONE-0123456789abcdef")
	instKey2 = []byte("instances-test-key-TWO-0123456789abcdef")
)

const instPrefix = "/auth"

// cluster is a front address (the public URL) routing to named instances
// that share one Redis.
type cluster struct {
	t      *testing.T
	w      *testwiki.Wiki
	redis  *testredis.Server
	public string // http://127.0.0.1:PORT, the only address browsers see
	e      *env   // for the helpers of handlers_test.go (base, logs)
	logs   *testproc.SyncBuffer

	mu        sync.Mutex
	instances map[string]*instance
	route     string   // the instance the next request goes to
	served    []string // instances that served requests, since the last take
}

type instance struct {
	name    string
	srv     *httptest.Server
	backend *store.Redis
	app     *handlers.App
}

func newCluster(t *testing.T) *cluster {
	t.Helper()
	w := testwiki.Require(t)
	rs := testredis.Require(t)
	gin.SetMode(gin.ReleaseMode)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	c := &cluster{t: t, w: w, redis: rs, public: "http://" + ln.Addr().String(), logs: &testproc.SyncBuffer{},
		instances: map[string]*instance{}}
	c.e = &env{base: c.public + instPrefix, logs: c.logs}
	currentLogs.Store(t.Name(), c.logs)

	front := &httputil.ReverseProxy{
		Rewrite: func(r *httputil.ProxyRequest) {
			c.mu.Lock()
			inst := c.instances[c.route]
			c.served = append(c.served, c.route)
			c.mu.Unlock()
			target, _ := url.Parse("http://127.0.0.1:1") // nothing listens: 502
			if inst != nil {
				target, _ = url.Parse(inst.srv.URL)
			}
			r.SetURL(target)
			r.Out.Host = r.In.Host // the instances see the public host, as behind nginx
			r.SetXForwarded()
		},
		ErrorLog: slog.NewLogLogger(slog.NewTextHandler(c.logs, nil), slog.LevelError),
	}
	srv := httptest.NewUnstartedServer(front)
	srv.Listener.Close()
	srv.Listener = ln
	srv.Start()
	t.Cleanup(srv.Close)
	t.Cleanup(func() {
		c.mu.Lock()
		defer c.mu.Unlock()
		for _, inst := range c.instances {
			inst.close()
		}
	})
	return c
}

// start starts an instance under name with keys (replacing, after stopping
// it, any instance of that name): a process of its own in all but name, with
// its own wiki client, router, app and Redis client, and the same
// configuration as the others.
func (c *cluster) start(name string, keys ...[]byte) *instance {
	c.t.Helper()
	c.stop(name)
	client, err := mwclient.New(c.w.APIURL, mwclient.Options{UserAgent: "mwlogin-test/0 (instances)", Timeout: 20 * time.Second})
	if err != nil {
		c.t.Fatal(err)
	}
	backend, err := store.NewRedis(c.redis.URL)
	if err != nil {
		c.t.Fatal(err)
	}
	if err := backend.Ping(context.Background()); err != nil {
		c.t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(c.logs, &slog.HandlerOptions{Level: slog.LevelDebug})).With("instance", name)
	router := gin.New()
	router.Use(middleware.RequestID(), middleware.AccessLog(log), middleware.Recovery(log))
	group := router.Group(instPrefix)
	app, err := handlers.Register(group, handlers.Options{
		Client: client, PublicURL: c.public, Keys: keys, Backend: backend,
		InsecureCookies: true, Logger: log,
		// Every signed-in page asks the wiki, so that each proves the
		// wiki session another instance may have stored.
		RecheckAfter: -1,
	})
	if err != nil {
		c.t.Fatal(err)
	}
	// The wiki cookies the app holds for the signed-in user, for the test
	// that looks for them in Redis.
	group.GET("/_held", func(g *gin.Context) {
		_, s, ok := app.User(g)
		if !ok {
			g.Status(http.StatusNotFound)
			return
		}
		g.JSON(http.StatusOK, s.Cookies())
	})
	inst := &instance{name: name, srv: httptest.NewServer(router), backend: backend, app: app}
	c.mu.Lock()
	c.instances[name] = inst
	c.mu.Unlock()
	return inst
}

// stop stops an instance: its server closes (after the requests in flight)
// and its Redis client too. Whatever it held in memory is gone.
func (c *cluster) stop(name string) {
	c.mu.Lock()
	inst := c.instances[name]
	delete(c.instances, name)
	c.mu.Unlock()
	if inst != nil {
		inst.close()
	}
}

func (i *instance) close() {
	i.srv.Close()
	i.backend.Close()
}

// to sends the following requests to instance name.
func (c *cluster) to(name string) {
	c.mu.Lock()
	c.route = name
	c.mu.Unlock()
}

// mustHaveServed checks which instances served the requests since the last
// check (each listed once, in order of first use), and forgets them.
func (c *cluster) mustHaveServed(want ...string) {
	c.t.Helper()
	c.mu.Lock()
	var got []string
	for _, n := range c.served {
		if !slices.Contains(got, n) {
			got = append(got, n)
		}
	}
	c.served = nil
	c.mu.Unlock()
	if !slices.Equal(got, want) {
		c.t.Fatalf("requests were served by %q, want %q", got, want)
	}
}

// signInAcross signs Alice in with b, the login form loaded from instance
// from and the password posted to instance to.
func (c *cluster) signInAcross(b *browsertest.Browser, from, to string) {
	c.t.Helper()
	c.to(from)
	form := b.Get(c.e.base + "/").Form("/login")
	c.to(to)
	mustSignedInAs(c.t, form.Set("username", testwiki.AliceUser).Set("password", testwiki.AlicePassword).Submit(), testwiki.AliceUser)
}

func (c *cluster) realEnv() *realEnv { return &realEnv{env: c.e, w: c.w} }

func mustSignedInAs(t *testing.T, p *browsertest.Page, user string) {
	t.Helper()
	mustContain(t, p, "holds your sign-in to", " as "+user, "Edits")
}

func mustSignedOut(t *testing.T, p *browsertest.Page) {
	t.Helper()
	if strings.Contains(p.Text(), "holds your sign-in") || p.Input("username") == nil {
		t.Fatalf("page %s (status %d): want the login form of a signed-out browser, got:\n%s", p.URL, p.Status, p.Text())
	}
}

// (a) The password on A, the two-factor step on B.
func TestInstancesTOTPAcrossInstances(t *testing.T) {
	c := newCluster(t)
	c.start("A", instKey1)
	c.start("B", instKey1)
	b := browsertest.New(t)

	c.to("A")
	p := bobAtTwoFactor(t, c.e, b)
	c.mustHaveServed("A")

	c.to("B")
	p = answerTOTP(t, c.w, p)
	mustSignedInAs(t, p, testwiki.BobUser)
	c.mustHaveServed("B")

	c.to("A")
	mustSignedInAs(t, b.Get(c.e.base+"/"), testwiki.BobUser)
	c.mustHaveServed("A")
}

// (b) Single sign-on: the browser leaves for the identity provider from A
// and comes back to B.
func TestInstancesSSOAcrossInstances(t *testing.T) {
	c := newCluster(t)
	c.start("A", instKey1)
	c.start("B", instKey1)
	b := browsertest.New(t)

	c.to("A")
	back := realSSO(t, c.realEnv(), b, testwiki.SSOMappedIdentity) // form, button, "Taking you to", IdP
	c.mustHaveServed("A")

	c.to("B")
	mustSignedInAs(t, b.Get(back.String()), testwiki.CarolUser)
	c.mustHaveServed("B")

	// The state value was used up for every instance, not just B.
	c.to("A")
	if p := b.Get(back.String()); p.Status != http.StatusBadRequest {
		t.Fatalf("the return replayed on A: status %d: %s", p.Status, p.Text())
	}
	mustSignedInAs(t, b.Get(c.e.base+"/"), testwiki.CarolUser)
	c.mustHaveServed("A")
}

// (c) The instance that started the login is replaced by a new one (same
// configuration, nothing of the old one's memory) before the two-factor
// step is answered.
func TestInstancesRestartMidFlow(t *testing.T) {
	c := newCluster(t)
	c.start("A", instKey1)
	b := browsertest.New(t)

	c.to("A")
	p := bobAtTwoFactor(t, c.e, b)
	c.stop("A")
	if p := b.Get(c.e.base + "/"); p.Status != http.StatusBadGateway {
		t.Fatalf("with A stopped the front answered %d: the test's routing is wrong", p.Status)
	}
	c.start("A'", instKey1)
	c.mustHaveServed("A")

	c.to("A'")
	p = answerTOTP(t, c.w, p)
	mustSignedInAs(t, p, testwiki.BobUser)
	c.mustHaveServed("A'")

	// A signed-in session survives restarts too.
	c.stop("A'")
	c.start("A''", instKey1)
	c.to("A''")
	mustSignedInAs(t, b.Get(c.e.base+"/"), testwiki.BobUser)
}

// (d) Key rotation across a rolling restart: sessions and forms made under
// [k1] work under [k2, k1]; cookies made under [k2, k1] work under [k2]
// alone; once k1 is retired, a cookie signed only with it opens nothing.
func TestInstancesKeyRotation(t *testing.T) {
	c := newCluster(t)
	c.start("A", instKey1)
	c.start("B", instKey1)

	// Under [k1]: one browser signs in (form on A, password on B), another
	// only loads the login form.
	old := browsertest.New(t)
	c.signInAcross(old, "A", "B")
	k1Cookie := cookie(t, old, c.e.base+"/", handlers.DefaultCookieName)
	pending := browsertest.New(t)
	c.to("A")
	pendingForm := pending.Get(c.e.base + "/").Form("/login")

	// Both instances restart with k2 first, k1 still accepted.
	c.start("A", instKey2, instKey1)
	c.start("B", instKey2, instKey1)
	for _, name := range []string{"A", "B"} {
		c.to(name)
		mustSignedInAs(t, old.Get(c.e.base+"/"), testwiki.AliceUser)
	}
	// The form (and its CSRF token) made under [k1] is still good.
	c.to("B")
	mustSignedInAs(t, pendingForm.Set("username", testwiki.AliceUser).Set("password", testwiki.AlicePassword).Submit(), testwiki.AliceUser)

	// A new login gets a cookie signed with k2.
	fresh := browsertest.New(t)
	c.to("A")
	mustSignedInAs(t, login(t, c.e, fresh, testwiki.AliceUser, testwiki.AlicePassword), testwiki.AliceUser)
	freshCookie := cookie(t, fresh, c.e.base+"/", handlers.DefaultCookieName)
	if id := ticketOf(t, freshCookie, instKey2); id == "" {
		t.Fatal("a cookie set under [k2, k1] does not verify with k2 alone")
	}
	if id := ticketOf(t, freshCookie, instKey1); id != "" {
		t.Fatal("a cookie set under [k2, k1] is signed with k1")
	}

	// k1 retired: the new login still works, the old k1-only cookie does not.
	c.start("A", instKey2)
	c.start("B", instKey2)
	for _, name := range []string{"A", "B"} {
		c.to(name)
		mustSignedInAs(t, fresh.Get(c.e.base+"/"), testwiki.AliceUser)
	}
	stale := browsertest.New(t)
	setCookie(t, stale, c.public, k1Cookie)
	mustSignedOut(t, stale.Get(c.e.base+"/"))
}

// A copy of Redis opens nothing: after a real login through two instances,
// no value in Redis shows the user name or any of the wiki's cookies, every
// value looks random, and a cookie forged for the same session ID with
// another secret (as someone holding the Redis copy and even the signing
// keys could make) opens an empty session.
func TestInstancesRedisHoldsNoSecrets(t *testing.T) {
	c := newCluster(t)
	c.start("A", instKey1)
	c.start("B", instKey1)
	b := browsertest.New(t)

	c.signInAcross(b, "A", "B")
	c.to("A")
	held := b.Get(c.e.base + "/_held")
	var wikiCookies []mwclient.Cookie
	if err := json.Unmarshal([]byte(held.Body), &wikiCookies); err != nil || len(wikiCookies) == 0 {
		t.Fatalf("the wiki cookies the app holds (%d %s): %v", held.Status, held.Body, err)
	}

	// The copy of Redis.
	ctx := ctxFor(t)
	opts, _ := redis.ParseURL(c.redis.URL)
	rc := redis.NewClient(opts)
	defer rc.Close()
	dump := map[string][]byte{}
	keys, err := rc.Keys(ctx, "*").Result()
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range keys {
		v, err := rc.Get(ctx, k).Bytes()
		if err != nil {
			t.Fatal(err)
		}
		dump[k] = v
	}
	if len(dump) == 0 {
		t.Fatal("Redis holds nothing after a login")
	}
	secrets := []string{testwiki.AliceUser, testwiki.AlicePassword, "mwtest", "user", "flow", "string"}
	for _, ck := range wikiCookies {
		if len(ck.Value) >= 6 { // long enough to be a credential, not an accident
			secrets = append(secrets, ck.Value)
		}
	}
	userCookie := cookie(t, b, c.e.base+"/", handlers.DefaultCookieName)
	ticket := ticketOf(t, userCookie, instKey1)
	if ticket == "" {
		t.Fatal("the browser's cookie does not verify")
	}
	raw, _ := base64.RawURLEncoding.DecodeString(ticket)
	secretPart := raw[len(raw)-32:]
	for k, v := range dump {
		if !strings.HasPrefix(k, "mwlogin:session:") {
			t.Errorf("Redis key %q is outside the app's namespace", k)
		}
		for _, s := range secrets {
			if bytes.Contains(bytes.ToLower(v), bytes.ToLower([]byte(s))) || strings.Contains(strings.ToLower(k), strings.ToLower(s)) {
				t.Errorf("Redis entry %s contains %q in clear", k, s)
			}
		}
		if bytes.Contains(v, secretPart) || strings.Contains(k, base64.RawURLEncoding.EncodeToString(secretPart)) {
			t.Errorf("Redis entry %s holds the cookie's secret", k)
		}
		var z bytes.Buffer
		fw, _ := flate.NewWriter(&z, flate.BestCompression)
		fw.Write(v)
		fw.Close()
		if len(v) < 64 || z.Len() < len(v)*98/100 {
			t.Errorf("Redis value of %s (%d bytes) compresses to %d: not ciphertext", k, len(v), z.Len())
		}
	}

	// The forged cookie: the user's session ID (learnt somehow: the Redis
	// key is a hash of the whole ticket, so not from there), a secret of the
	// attacker's, signed with the server's own key.
	id := raw[:len(raw)-32]
	if len(keys) != 1 {
		t.Fatalf("Redis holds %d keys, want the signed-in session's only: %q", len(keys), keys)
	}
	key := keys[0]
	if strings.Contains(key, base64.RawURLEncoding.EncodeToString(id)) {
		t.Fatalf("the Redis key %q shows the session ID", key)
	}
	before := dump[key]
	forgedTicket := base64.RawURLEncoding.EncodeToString(append(slices.Clone(id), bytes.Repeat([]byte{0x5A}, 32)...))
	forged := mintCookie(t, forgedTicket, instKey1)
	if got := ticketOf(t, forged, instKey1); got != forgedTicket {
		t.Fatalf("the forged cookie does not carry the forged ticket (%q): the test proves nothing", got)
	}
	attacker := browsertest.New(t)
	setCookie(t, attacker, c.public, forged)
	for _, name := range []string{"A", "B"} {
		c.to(name)
		mustSignedOut(t, attacker.Get(c.e.base+"/"))
		if p := attacker.Get(c.e.base + "/_held"); p.Status != http.StatusNotFound {
			t.Fatalf("App.User with the forged cookie on %s: status %d %s", name, p.Status, p.Body)
		}
	}
	if after, err := rc.Get(ctx, key).Bytes(); err != nil || !bytes.Equal(after, before) {
		t.Fatalf("the forged cookie changed the user's Redis entry (err %v)", err)
	}
	mustSignedInAs(t, b.Get(c.e.base+"/"), testwiki.AliceUser)
}

// codecStore is a sessionstore with the app's cookie keys and no data: for
// reading and minting cookies as the app would (the data stays in memory).
func codecStore(t *testing.T, keys ...[]byte) *sessionstore.Store {
	t.Helper()
	st, err := sessionstore.New(sessionstore.Config{Backend: store.NewMemory(), Keys: keys, MaxAge: time.Hour,
		Options: sessions.Options{Path: instPrefix}, Codec: noValues{}})
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// noValues is the codec of a store that keeps no values.
type noValues struct{}

func (noValues) Encode(map[any]any) ([]byte, error) {
	return nil, errors.New("codecStore keeps no values")
}

func (noValues) Decode([]byte) (map[any]any, error) {
	return nil, errors.New("codecStore keeps no values")
}

// ticketOf returns the ticket a cookie value carries if it verifies under
// keys, else "".
func ticketOf(t *testing.T, value string, keys ...[]byte) string {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, "/", nil)
	req.AddCookie(&http.Cookie{Name: handlers.DefaultCookieName, Value: value})
	st := codecStore(t, keys...)
	sess, err := st.New(req, handlers.DefaultCookieName)
	if err != nil {
		t.Fatal(err)
	}
	// An unverifiable cookie gets a new random ticket; tell them apart by
	// loading twice: a cookie's own ticket is stable.
	again, _ := st.New(req, handlers.DefaultCookieName)
	if sess.ID != again.ID {
		return ""
	}
	return sess.ID
}

// mintCookie returns a cookie value for ticket signed with keys, written by
// sessionstore itself (an empty session: nothing is stored).
func mintCookie(t *testing.T, ticket string, keys ...[]byte) string {
	t.Helper()
	st := codecStore(t, keys...)
	req := httptest.NewRequest(http.MethodGet, "/", nil)
	sess, err := st.New(req, handlers.DefaultCookieName)
	if err != nil {
		t.Fatal(err)
	}
	sess.ID = ticket
	rec := httptest.NewRecorder()
	if err := st.Save(req, rec, sess); err != nil {
		t.Fatal(err)
	}
	for _, ck := range rec.Result().Cookies() {
		if ck.Name == handlers.DefaultCookieName {
			return ck.Value
		}
	}
	t.Fatal("no cookie minted")
	return ""
}

// setCookie puts our session cookie with value into a browser's jar.
func setCookie(t *testing.T, b *browsertest.Browser, public, value string) {
	t.Helper()
	u, err := url.Parse(public)
	if err != nil {
		t.Fatal(err)
	}
	b.Client.Jar.SetCookies(u, []*http.Cookie{{Name: handlers.DefaultCookieName, Value: value, Path: instPrefix}})
	if got := cookie(t, b, public+instPrefix+"/", handlers.DefaultCookieName); got != value {
		t.Fatalf("cookie not set: %q", got)
	}
}
