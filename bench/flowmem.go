package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"runtime"
	"time"

	"github.com/gorilla/sessions"

	"github.com/mwlogin/mwlogin/flow"
	"github.com/mwlogin/mwlogin/mwclient"
	"github.com/mwlogin/mwlogin/sessionstore"
	"github.com/mwlogin/mwlogin/store"
)

// flowsMem is the memory n pending flows take in the default store.
type flowsMem struct {
	N          int
	HeapGrowth int64 // live heap after GC, with the flows minus without
	EntryBytes int   // one stored (encrypted) entry
}

func (m flowsMem) String() string {
	return fmt.Sprintf("%d pending flows at the two-factor step: %.1f MiB of live heap (%d bytes per encrypted entry, %d per flow in all)",
		m.N, mib(m.HeapGrowth), m.EntryBytes, m.HeapGrowth/int64(max(1, m.N)))
}

func mib(b int64) float64 { return float64(b) / (1 << 20) }

// pendingFlow is a login waiting at the two-factor step, as the app stores
// it: the wiki's UI request, its message, the kept user name, the flow's
// wiki session (cookie and login token) and its step and nonce.
func pendingFlow() *flow.State {
	return &flow.State{
		Stage: flow.StageContinue,
		Requests: []mwclient.Request{{
			ID: `MediaWiki\Extension\OATHAuth\Auth\TOTPAuthenticationRequest`, Required: "required",
			Fields: mwclient.Fields{{Name: "OATHToken", Type: "string", Label: "Token", Help: "Two-factor authentication token"}},
		}},
		Message:     "Enter a verification code from your authenticator app.",
		MessageCode: "oathauth-auth-ui",
		Tone:        flow.ToneInfo,
		Values:      map[string][]string{"username": {"Bob"}},
		Cookies:     []mwclient.Cookie{{Name: "enwiki_session", Value: "0123456789abcdef0123456789abcdef", Path: "/", HttpOnly: true, Secure: true}},
		Token:       "9e2b4722b3ab4f54af66d3ccc8bc7e576b040985+\\",
		Step:        "kq3Vb0pQk1x2n3m4b5v6c7x8",
		Nonce:       "Zx9Yw8Xv7Wu6Vt5Us4Tr3Sq2",
		Lang:        "en",
		Started:     time.Now(),
	}
}

// pendingFlowsMemory stores n pending flows through the session store into
// store.Memory, as the app does, and measures the live heap they hold.
func pendingFlowsMemory(n int) (flowsMem, error) {
	backend := &sizing{Backend: store.NewMemory()}
	st, err := sessionstore.New(sessionstore.Config{
		Backend: backend, Keys: [][]byte{[]byte("bench-secret-key-0123456789-0123456789")},
		MaxAge: 12 * time.Hour, KeyPrefix: "mwlogin:", Codec: flowCodec{},
		Options: sessions.Options{Path: "/", HttpOnly: true, SameSite: http.SameSiteLaxMode},
	})
	if err != nil {
		return flowsMem{}, err
	}
	before := liveHeap()
	for range n {
		r := httptest.NewRequest(http.MethodPost, "/login", nil)
		sess, err := st.Get(r, "mwlogin_session")
		if err != nil {
			return flowsMem{}, err
		}
		sess.Values["flow"] = pendingFlow()
		sess.Options.MaxAge = int((15 * time.Minute).Seconds())
		if err := st.Save(r, httptest.NewRecorder(), sess); err != nil {
			return flowsMem{}, err
		}
	}
	after := liveHeap()
	if got := backend.Backend.(*store.Memory).Len(); got != n {
		return flowsMem{}, fmt.Errorf("store holds %d entries, want %d", got, n)
	}
	runtime.KeepAlive(backend)
	return flowsMem{N: n, HeapGrowth: after - before, EntryBytes: int(backend.bytes / int64(n))}, nil
}

// flowCodec encodes a session holding a flow alone as the app's codec
// (handlers/sessiondata.go) does; the measurement never reads one back.
type flowCodec struct{}

func (flowCodec) Encode(values map[any]any) ([]byte, error) {
	f, ok := values["flow"].(*flow.State)
	if !ok || len(values) != 1 {
		return nil, fmt.Errorf("flowCodec encodes a flow alone, not %v", values)
	}
	return json.Marshal(map[string]*flow.State{"flow": f})
}

func (flowCodec) Decode([]byte) (map[any]any, error) {
	return nil, errors.New("flowCodec does not decode")
}

// sizing counts the bytes stored.
type sizing struct {
	store.Backend
	bytes int64
}

func (s *sizing) Set(ctx context.Context, key string, value []byte, ttl time.Duration) error {
	s.bytes += int64(len(value))
	return s.Backend.Set(ctx, key, value, ttl)
}

func liveHeap() int64 {
	var m runtime.MemStats
	for range 2 {
		runtime.GC()
	}
	runtime.ReadMemStats(&m)
	return int64(m.HeapAlloc)
}
