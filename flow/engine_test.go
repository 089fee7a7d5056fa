package flow_test

import (
	"context"
	"errors"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/mwlogin/mwlogin/flow"
	"github.com/mwlogin/mwlogin/internal/demowiki"
	"github.com/mwlogin/mwlogin/mwclient"
)

func newEngine(t *testing.T) (*flow.Engine, *demowiki.Wiki, string) {
	t.Helper()
	w := demowiki.New()
	ts := httptest.NewServer(w)
	t.Cleanup(ts.Close)
	c, err := mwclient.New(ts.URL+"/api.php", mwclient.Options{})
	if err != nil {
		t.Fatal(err)
	}
	e, err := flow.New(flow.Config{Client: c, ReturnURL: "https://app.example/auth/return"})
	if err != nil {
		t.Fatal(err)
	}
	return e, w, ts.URL
}

func submit(t *testing.T, e *flow.Engine, st *flow.State, step string, kv ...string) flow.Outcome {
	t.Helper()
	form := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		form.Add(kv[i], kv[i+1])
	}
	out, err := e.Submit(context.Background(), st, flow.Input{Step: step, Form: form})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestBeginCostsNoWikiCallOnceCached(t *testing.T) {
	e, w, _ := newEngine(t)
	ctx := context.Background()
	st, err := e.Begin(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	if st.Step != flow.FreshStep || st.Cookies != nil {
		t.Fatalf("a fresh form has step %q and %d cookies", st.Step, len(st.Cookies))
	}
	calls := w.Calls()
	for range 10 {
		if _, err := e.Begin(ctx, ""); err != nil {
			t.Fatal(err)
		}
	}
	if w.Calls() != calls {
		t.Fatalf("showing the form 10 times cost %d wiki calls", w.Calls()-calls)
	}
}

func TestPasswordLoginIsTwoRoundTrips(t *testing.T) {
	e, w, _ := newEngine(t)
	if _, err := e.Begin(context.Background(), ""); err != nil {
		t.Fatal(err)
	}
	before := w.Calls()
	out := submit(t, e, nil, flow.FreshStep, "username", "Alice", "password", demowiki.Password)
	if out.Kind != flow.Pass || out.User.Name != "Alice" || len(out.User.Cookies) == 0 {
		t.Fatalf("outcome %+v", out)
	}
	if n := w.Calls() - before; n != 2 {
		t.Fatalf("a password login took %d wiki calls, want 2 (token, clientlogin)", n)
	}
}

func TestFailKeepsNameNotPassword(t *testing.T) {
	e, _, _ := newEngine(t)
	out := submit(t, e, nil, flow.FreshStep, "username", "Alice", "password", "secret-typo")
	st := out.State
	if out.Kind != flow.Show || st.Stage != flow.StageStart || st.Tone != flow.ToneError || st.MessageCode != "wrongpassword" {
		t.Fatalf("outcome %+v", st)
	}
	if got := st.Values["username"]; len(got) != 1 || got[0] != "Alice" {
		t.Fatalf("kept values %v", st.Values)
	}
	if _, ok := st.Values["password"]; ok {
		t.Fatal("the password is kept in the flow state")
	}
	if st.Step == flow.FreshStep || len(st.Cookies) == 0 || st.Token == "" {
		t.Fatal("after a FAIL the flow should own its wiki session")
	}
}

func TestUIStepRepeatedIsAnError(t *testing.T) {
	e, _, _ := newEngine(t)
	out := submit(t, e, nil, flow.FreshStep, "username", "Bob", "password", demowiki.Password)
	st := out.State
	if st.Stage != flow.StageContinue || st.Tone != flow.ToneInfo {
		t.Fatalf("first UI: stage %s tone %s", st.Stage, st.Tone)
	}
	if len(st.Requests) != 1 || len(st.Requests[0].Fields) != 1 || st.Requests[0].Fields[0].Name != "OATHToken" {
		t.Fatalf("the UI step asks for %+v, want the OATHToken field", st.Requests)
	}
	out = submit(t, e, st, st.Step, "OATHToken", "000000")
	if out.State.Stage != flow.StageContinue || out.State.Tone != flow.ToneError || out.State.MessageCode != "oathauth-login-failed" {
		t.Fatalf("wrong code: %+v", out.State)
	}
	out = submit(t, e, out.State, out.State.Step, "OATHToken", demowiki.TOTP(demowiki.TOTPSecret, time.Now()))
	if out.Kind != flow.Pass || out.User.Name != "Bob" {
		t.Fatalf("right code: %+v", out)
	}
}

func TestStaleStep(t *testing.T) {
	e, _, _ := newEngine(t)
	out := submit(t, e, nil, flow.FreshStep, "username", "Bob", "password", demowiki.Password)
	again := submit(t, e, out.State, "an-old-step", "OATHToken", "1")
	if again.State.Notice != flow.NoticeStale || again.State.Stage != flow.StageContinue {
		t.Fatalf("stale form: %+v", again.State)
	}
	none := submit(t, e, nil, "an-old-step")
	if none.State.Notice != flow.NoticeLost || none.State.Stage != flow.StageStart {
		t.Fatalf("no flow: %+v", none.State)
	}
}

func TestRedirectReturn(t *testing.T) {
	e, _, wikiURL := newEngine(t)
	out := submit(t, e, nil, flow.FreshStep, demowiki.SSOButton, "1")
	if out.Kind != flow.Redirect || !strings.HasPrefix(out.State.RedirectTarget, wikiURL+"/idp?") {
		t.Fatalf("outcome %+v", out)
	}
	target, _ := url.Parse(out.State.RedirectTarget)
	ret, _ := url.Parse(target.Query().Get("returnto"))
	if ret.Host != "app.example" || ret.Query().Get(flow.NonceParam) != out.State.Nonce {
		t.Fatalf("loginreturnurl %s does not carry the flow's nonce", ret)
	}
	ctx := context.Background()
	for _, bad := range []url.Values{{}, {flow.NonceParam: {"forged"}}} {
		if _, err := e.Return(ctx, out.State, bad); !errors.Is(err, flow.ErrStateMismatch) {
			t.Fatalf("return with %v: %v", bad, err)
		}
	}
	if _, err := e.Return(ctx, nil, url.Values{flow.NonceParam: {out.State.Nonce}}); !errors.Is(err, flow.ErrNoPendingRedirect) {
		t.Fatalf("return without a flow: %v", err)
	}
}
