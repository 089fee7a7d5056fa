package handlers_test

import (
	"fmt"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/mwlogin/mwlogin/handlers"
	"github.com/mwlogin/mwlogin/internal/browsertest"
	"github.com/mwlogin/mwlogin/internal/demowiki"
)

// The limits' Options: other numbers and windows, and -1 for none.
func TestLimitOptions(t *testing.T) {
	cases := []struct {
		name     string
		opts     func(*handlers.Options)
		failures int    // wrong passwords answered FAIL (user names vary when per address)
		sameName bool   // all failures under one name
		refusal  string // what the next one is refused with, "" if not refused
		retry    string
	}{
		{"per address, custom", func(o *handlers.Options) {
			o.LoginFailuresPerAddress, o.LoginAddressWindow = 3, 10*time.Minute
		}, 3, false, "After 3 failed attempts in 10 minutes from your address", "600"},
		{"per user, custom", func(o *handlers.Options) {
			o.LoginFailuresPerUser, o.LoginUserWindow = 2, 30*time.Second
		}, 2, true, "After 2 failed attempts in 30 seconds", "30"},
		{"per user off", func(o *handlers.Options) { o.LoginFailuresPerUser = -1 }, 12, true, "", ""},
		{"per address off", func(o *handlers.Options) { o.LoginFailuresPerAddress = -1 }, 155, false, "", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			wiki := demowiki.New()
			wikiTS := httptest.NewServer(wiki)
			t.Cleanup(wikiTS.Close)
			e := newEnvFor(t, "/", wikiTS.URL+"/api.php", wiki, wikiTS, envHook{opts: tc.opts})
			base := e.base
			b := browsertest.New(t)
			name := func(i int) string {
				if tc.sameName {
					return "Alice"
				}
				return fmt.Sprintf("Nobody%d", i)
			}
			for i := range tc.failures {
				mustFail(t, try(b, base, name(i), "wrong"))
			}
			p := try(b, base, name(tc.failures), "wrong")
			if tc.refusal == "" {
				mustFail(t, p)
				return
			}
			mustRefuse(t, p, tc.retry, tc.refusal)
		})
	}
}
