package handlers

import (
	"net/http"
	"net/http/httptest"
	"reflect"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/sessions"

	"github.com/mwlogin/mwlogin/flow"
	"github.com/mwlogin/mwlogin/mwclient"
	"github.com/mwlogin/mwlogin/sessionstore"
	"github.com/mwlogin/mwlogin/store"
)

// The fixtures are what the app stores; their times are in UTC, as JSON
// gives them back.

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
		Lang: "en", Started: time.Now().UTC(),
	}
}

// signedInUser is a signed-in user with the cookies MediaWiki sets at login.
func signedInUser() *flow.User {
	later := time.Now().Add(180 * 24 * time.Hour).Truncate(time.Second).UTC() // cookies keep whole seconds
	return &flow.User{Name: "Alice", SignedIn: time.Now().UTC(), Cookies: []mwclient.Cookie{
		{Name: "enwiki_session", Value: "0123456789abcdef0123456789abcdef", Path: "/", HttpOnly: true, Secure: true},
		{Name: "enwikiUserID", Value: "12345", Path: "/", Expires: later, HttpOnly: true, Secure: true},
		{Name: "enwikiUserName", Value: "Alice", Path: "/", Expires: later, HttpOnly: true, Secure: true},
	}}
}

func TestSessionCodecRoundTrip(t *testing.T) {
	// Every field set, besides the fixtures.
	fullFlow := pendingFlow()
	fullFlow.ID, fullFlow.Notice, fullFlow.RedirectTarget, fullFlow.PreserveState = "f-3b1c", flow.NoticeStale, "https://idp.example/auth?x=1", true
	fullFlow.Requests[0].Metadata = mwclient.Metadata{"type": "totp"}
	fullFlow.Requests[0].Fields = append(fullFlow.Requests[0].Fields,
		mwclient.Field{Name: "remember", Type: "checkbox", Optional: true, Options: []mwclient.Option{{Value: "1", Label: "Remember"}}})
	checked := signedInUser()
	checked.Checked, checked.EditCount, checked.Groups = time.Now().UTC(), 12, []string{"user", "autoconfirmed"}
	for name, values := range map[string]map[any]any{
		"login in progress": {keyFlow: pendingFlow(), keyReturnTo: "/tool?x=1"},
		"signed in":         {keyUser: signedInUser()},
		"every field":       {keyFlow: fullFlow, keyUser: checked, keyReturnTo: "/tool"},
		"return path only":  {keyReturnTo: "/tool"},
		"nothing":           {},
	} {
		t.Run(name, func(t *testing.T) {
			data, err := sessionCodec{}.Encode(values)
			if err != nil {
				t.Fatalf("Encode: %v", err)
			}
			got, err := sessionCodec{}.Decode(data)
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if !reflect.DeepEqual(got, values) {
				t.Errorf("round trip:\n got %#v\nwant %#v\nencoded %s", got, values, data)
			}
		})
	}
}

// The codec refuses what sessionData has no field for, rather than drop it.
func TestSessionCodecRefusesUnknown(t *testing.T) {
	type marker struct{}
	for name, tc := range map[string]struct {
		key, value any
	}{
		"unknown key":           {"lang", "en"},
		"non-string key":        {marker{}, "old-id"},
		"key of a string type":  {flow.Notice(keyUser), signedInUser()},
		"flow as a value":       {keyFlow, *pendingFlow()},
		"user as a string":      {keyUser, "Alice"},
		"return path as []byte": {keyReturnTo, []byte("/tool")},
		"nil user":              {keyUser, nil},
	} {
		t.Run(name, func(t *testing.T) {
			values := map[any]any{keyFlow: pendingFlow(), tc.key: tc.value}
			_, err := sessionCodec{}.Encode(values)
			if err == nil {
				t.Fatalf("Encode accepted %#v: %#v", tc.key, tc.value)
			}
			if !strings.Contains(err.Error(), "sessionData") {
				t.Errorf("error %q does not say what the codec knows", err)
			}
		})
	}
}

func TestSessionCodecDecodeRejectsGarbage(t *testing.T) {
	for _, data := range []string{"", "not json", `{"user":"Alice"}`, `{"flow":[1]}`} {
		if got, err := (sessionCodec{}).Decode([]byte(data)); err == nil {
			t.Errorf("Decode(%q) = %v, want an error", data, got)
		}
	}
}

func benchStore(b *testing.B) *sessionstore.Store {
	s, err := sessionstore.New(sessionstore.Config{
		Backend: store.NewMemory(), Keys: [][]byte{[]byte("bench-key-0123456789-0123456789-0123456789")},
		MaxAge: 12 * time.Hour, KeyPrefix: "mwlogin:", Codec: sessionCodec{},
		Options: sessions.Options{Path: "/", HttpOnly: true, Secure: true, SameSite: http.SameSiteLaxMode},
	})
	if err != nil {
		b.Fatal(err)
	}
	return s
}

// BenchmarkSessionData stores the app's real session values and reads them
// back, as two requests of a browser do: Save (the codec, AES-GCM, the
// backend, the signed cookie) then a new request's Get (the reverse).
func BenchmarkSessionData(b *testing.B) {
	for _, tc := range []struct {
		name  string
		key   string
		value any
	}{
		{"pending-flow", keyFlow, pendingFlow()},
		{"signed-in-user", keyUser, signedInUser()},
	} {
		b.Run(tc.name, func(b *testing.B) {
			s := benchStore(b)
			b.ReportAllocs()
			for b.Loop() {
				r := httptest.NewRequest(http.MethodGet, "/", nil)
				sess, err := s.Get(r, DefaultCookieName)
				if err != nil {
					b.Fatal(err)
				}
				sess.Values[tc.key] = tc.value
				w := httptest.NewRecorder()
				if err := s.Save(r, w, sess); err != nil {
					b.Fatal(err)
				}
				r2 := httptest.NewRequest(http.MethodGet, "/", nil)
				r2.Header.Set("Cookie", w.Header().Get("Set-Cookie"))
				got, err := s.Get(r2, DefaultCookieName)
				if err != nil || got.IsNew || got.Values[tc.key] == nil {
					b.Fatalf("round trip lost the value: %v", err)
				}
			}
		})
	}
}

// BenchmarkPendingFlowsMemory reports the live heap that 10,000 pending
// flows (at the two-factor step) take in the default store. Run it with
// -benchtime 1x: each iteration stores 10,000 flows.
func BenchmarkPendingFlowsMemory(b *testing.B) {
	benchEntriesMemory(b, keyFlow, func() any { return pendingFlow() }, DefaultFlowLifetime)
}

// BenchmarkSignedInMemory is the live heap of signed-in sessions held in
// the memory store, which is what the app's memory grows with.
func BenchmarkSignedInMemory(b *testing.B) {
	benchEntriesMemory(b, keyUser, func() any { return signedInUser() }, DefaultSessionLifetime)
}

func benchEntriesMemory(b *testing.B, key string, value func() any, life time.Duration) {
	const n = 10000
	for b.Loop() {
		backend := store.NewMemory()
		s, err := sessionstore.New(sessionstore.Config{Backend: backend, Keys: [][]byte{[]byte("bench-key-0123456789-0123456789-0123456789")},
			MaxAge: 12 * time.Hour, KeyPrefix: "mwlogin:", Codec: sessionCodec{}})
		if err != nil {
			b.Fatal(err)
		}
		before := liveHeap()
		for range n {
			r := httptest.NewRequest(http.MethodPost, "/login", nil)
			sess, _ := s.Get(r, DefaultCookieName)
			sess.Values[key] = value()
			sess.Options.MaxAge = int(life.Seconds())
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
