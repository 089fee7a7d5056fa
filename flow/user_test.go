package flow_test

import (
	"context"
	"errors"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/mwlogin/mwlogin/flow"
	"github.com/mwlogin/mwlogin/internal/demowiki"
	"github.com/mwlogin/mwlogin/mwclient"
)

// TestIdentifyAsksOnceAfterPass: the PASS names the user only; forward
// authentication needs the ID and groups, which cost one userinfo call the
// first time, and none again until RecheckAfter has passed.
func TestIdentifyAsksOnceAfterPass(t *testing.T) {
	w := demowiki.New()
	ts := httptest.NewServer(w)
	t.Cleanup(ts.Close)
	c, err := mwclient.New(ts.URL+"/api.php", mwclient.Options{})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	e, err := flow.New(flow.Config{Client: c, ReturnURL: "https://app.example/auth/return",
		RecheckAfter: time.Minute, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	out := submit(t, e, nil, flow.FreshStep, "username", demowiki.UserAlice, "password", demowiki.Password)
	u := out.User
	if out.Kind != flow.Pass || u.ID != 0 || u.Groups != nil {
		t.Fatalf("after PASS: %+v", out)
	}
	// Confirm trusts a fresh PASS without asking, and so learns no ID.
	if asked, err := e.Confirm(ctx, u); asked || err != nil || u.ID != 0 {
		t.Fatalf("Confirm after PASS: asked %v, err %v, id %d", asked, err, u.ID)
	}
	calls := w.Calls()
	asked, err := e.Identify(ctx, u)
	if !asked || err != nil {
		t.Fatalf("first Identify: asked %v, err %v", asked, err)
	}
	if u.ID != 1 || len(u.Groups) == 0 || w.Calls()-calls != 1 {
		t.Fatalf("first Identify: id %d, groups %v, %d wiki calls", u.ID, u.Groups, w.Calls()-calls)
	}
	calls = w.Calls()
	now = now.Add(30 * time.Second)
	if asked, err := e.Identify(ctx, u); asked || err != nil || w.Calls() != calls {
		t.Fatalf("Identify within RecheckAfter: asked %v, err %v, %d wiki calls", asked, err, w.Calls()-calls)
	}
	now = now.Add(time.Minute)
	if asked, err := e.Identify(ctx, u); !asked || err != nil || w.Calls()-calls != 1 {
		t.Fatalf("Identify after RecheckAfter: asked %v, err %v, %d wiki calls", asked, err, w.Calls()-calls)
	}
	// A wiki session that ended is reported as such.
	if err := e.SignOut(ctx, u); err != nil {
		t.Fatal(err)
	}
	now = now.Add(2 * time.Minute)
	if _, err := e.Identify(ctx, u); !errors.Is(err, flow.ErrSignedOut) {
		t.Fatalf("Identify after the wiki logout: %v", err)
	}
}
