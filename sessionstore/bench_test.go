package sessionstore_test

import (
	"net/http"
	"net/http/httptest"
	"runtime"
	"testing"
	"time"

	"github.com/gorilla/sessions"

	"github.com/mwlogin/mwlogin/flow"
	"github.com/mwlogin/mwlogin/handlers"
	"github.com/mwlogin/mwlogin/mwclient"
	"github.com/mwlogin/mwlogin/sessionstore"
	"github.com/mwlogin/mwlogin/store"
)

// pendingFlow is a login waiting at the two-factor step, as the app stores
// it between the password and the code.
func pendingFlow() *flow.State {
	return &flow.State{
		Stage: flow.StageContinue,
		Requests: []mwclient.Request{{
			ID: `MediaWiki\Extension\OATHAuth\Auth\TOTPAuthenticationRequest`, Required: "required",
			Fields: mwclient.Fields{{Name: "OATHToken", Type: "string", Label: "Token", Help: "Two-factor authentication token"}},
		}},
		Message: "Enter a verification code from your authenticator app.", MessageCode: "oathauth-auth-ui",
		Tone: flow.ToneInfo, Values: map[string][]string{"username": {"Bob"}},
		Cookies: []mwclient.Cookie{{Name: "enwiki_session", Value: "0123456789abcdef0123456789abcdef", Path: "/", HttpOnly: true, Secure: true}},
		Token:   "9e2b4722b3ab4f54af66d3ccc8bc7e576b040985+\\", Step: "kq3Vb0pQk1x2n3m4b5v6c7x8", Nonce: "Zx9Yw8Xv7Wu6Vt5Us4Tr3Sq2",
		Lang: "en", Started: time.Now(),
	}
}

// signedInUser is a signed-in user with the cookies MediaWiki sets at login.
func signedInUser() *flow.User {
	return &flow.User{Name: "Alice", SignedIn: time.Now(), Cookies: []mwclient.Cookie{
		{Name: "enwiki_session", Value: "0123456789abcdef0123456789abcdef", Path: "/", HttpOnly: true, Secure: true},
		{Name: "enwikiUserID", Value: "12345", Path: "/", Expires: time.Now().Add(180 * 24 * time.Hour), HttpOnly: true, Secure: true},
		{Name: "enwikiUserName", Value: "Alice", Path: "/", Expires: time.Now().Add(180 * 24 * time.Hour), HttpOnly: true, Secure: true},
	}}
}

// appJSONValues are the app's values as handlers declares them (importing
// handlers also registers them with gob).
var appJSONValues = handlers.SessionValues()

func benchStore(b *testing.B, jsonValues map[string]any) *sessionstore.Store {
	s, err := sessionstore.New(sessionstore.Config{
		Backend: store.NewMemory(), Keys: [][]byte{[]byte("bench-key-0123456789-0123456789-0123456789")},
		MaxAge: 12 * time.Hour, KeyPrefix: "mwlogin:",
		Options:    sessions.Options{Path: "/", HttpOnly: true, Secure: true, SameSite: http.SameSiteLaxMode},
		JSONValues: jsonValues,
	})
	if err != nil {
		b.Fatal(err)
	}
	return s
}

// BenchmarkSessionValues stores the app's real session values and reads
// them back, as two requests of a browser do: Save (gob, AES-GCM, the
// backend, the signed cookie) then a new request's Get (the reverse), with
// gob and with Config.JSONValues.
func BenchmarkSessionValues(b *testing.B) {
	for _, tc := range []struct {
		name  string
		key   string
		value func() any
		json  map[string]any
	}{
		{"pending-flow/gob", "flow", func() any { return pendingFlow() }, nil},
		{"pending-flow/json", "flow", func() any { return pendingFlow() }, appJSONValues},
		{"signed-in-user/gob", "user", func() any { return signedInUser() }, nil},
		{"signed-in-user/json", "user", func() any { return signedInUser() }, appJSONValues},
	} {
		b.Run(tc.name, func(b *testing.B) {
			s := benchStore(b, tc.json)
			v := tc.value()
			b.ReportAllocs()
			for b.Loop() {
				r := httptest.NewRequest(http.MethodGet, "/", nil)
				sess, err := s.Get(r, "mwlogin_session")
				if err != nil {
					b.Fatal(err)
				}
				sess.Values[tc.key] = v
				w := httptest.NewRecorder()
				if err := s.Save(r, w, sess); err != nil {
					b.Fatal(err)
				}
				r2 := httptest.NewRequest(http.MethodGet, "/", nil)
				r2.Header.Set("Cookie", w.Header().Get("Set-Cookie"))
				got, err := s.Get(r2, "mwlogin_session")
				if err != nil || got.IsNew || got.Values[tc.key] == nil {
					b.Fatalf("round trip lost the value: %v", err)
				}
			}
		})
	}
}

// BenchmarkLoad is the read alone: a request whose cookie names a stored
// signed-in session.
func BenchmarkLoad(b *testing.B) {
	b.Run("gob", func(b *testing.B) { benchLoad(b, nil) })
	b.Run("json", func(b *testing.B) { benchLoad(b, appJSONValues) })
}

func benchLoad(b *testing.B, jsonValues map[string]any) {
	s := benchStore(b, jsonValues)
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	sess, _ := s.Get(r, "mwlogin_session")
	sess.Values["user"] = signedInUser()
	w := httptest.NewRecorder()
	if err := s.Save(r, w, sess); err != nil {
		b.Fatal(err)
	}
	cookie := w.Header().Get("Set-Cookie")
	b.ReportAllocs()
	for b.Loop() {
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		r.Header.Set("Cookie", cookie)
		got, err := s.Get(r, "mwlogin_session")
		if err != nil || got.Values["user"] == nil {
			b.Fatal("not loaded")
		}
	}
}

// BenchmarkPendingFlowsMemory reports the live heap that 10,000 pending
// flows (at the two-factor step) take in the default store. Run it with
// -benchtime 1x: each iteration stores 10,000 flows.
func BenchmarkPendingFlowsMemory(b *testing.B) {
	b.Run("gob", func(b *testing.B) { benchEntriesMemory(b, nil, "flow", func() any { return pendingFlow() }, 900) })
	b.Run("json", func(b *testing.B) {
		benchEntriesMemory(b, appJSONValues, "flow", func() any { return pendingFlow() }, 900)
	})
}

// BenchmarkSignedInMemory is the live heap of signed-in sessions held in
// the memory store, which is what the app's memory grows with.
func BenchmarkSignedInMemory(b *testing.B) {
	b.Run("json", func(b *testing.B) {
		benchEntriesMemory(b, appJSONValues, "user", func() any { return signedInUser() }, 12*3600)
	})
}

func benchEntriesMemory(b *testing.B, jsonValues map[string]any, key string, value func() any, maxAge int) {
	const n = 10000
	for b.Loop() {
		backend := store.NewMemory()
		s, _ := sessionstore.New(sessionstore.Config{Backend: backend, Keys: [][]byte{[]byte("bench-key-0123456789-0123456789-0123456789")},
			MaxAge: 12 * time.Hour, KeyPrefix: "mwlogin:", JSONValues: jsonValues})
		before := liveHeap()
		for range n {
			r := httptest.NewRequest(http.MethodPost, "/login", nil)
			sess, _ := s.Get(r, "mwlogin_session")
			sess.Values[key] = value()
			sess.Options.MaxAge = maxAge
			if err := s.Save(r, httptest.NewRecorder(), sess); err != nil {
				b.Fatal(err)
			}
		}
		after := liveHeap()
		if backend.Len() != n {
			b.Fatalf("%d entries", backend.Len())
		}
		b.ReportMetric(float64(after-before)/(1<<20), "MiB/10k")
		b.ReportMetric(float64(after-before)/n, "B/entry")
	}
}

func liveHeap() int64 {
	var m runtime.MemStats
	runtime.GC()
	runtime.GC()
	runtime.ReadMemStats(&m)
	return int64(m.HeapAlloc)
}
