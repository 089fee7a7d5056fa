package mwclient

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
)

const realDir = "testdata/real"

// realFiles lists the recorded answers of a real MediaWiki. No directory
// means nothing was recorded yet; an empty one is a mistake.
func realFiles(t testing.TB) []string {
	t.Helper()
	if _, err := os.Stat(realDir); errors.Is(err, os.ErrNotExist) {
		return nil
	} else if err != nil {
		t.Fatal(err)
	}
	files, err := filepath.Glob(filepath.Join(realDir, "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatalf("%s exists but holds no *.json answers", realDir)
	}
	return files
}

// realServer answers the call under test with the recorded file and the
// token fetches some calls make first with canned tokens.
func realServer(t *testing.T, body []byte, serveTokens bool) *Session {
	t.Helper()
	srv := newServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		if serveTokens && r.Form.Get("meta") == "tokens" {
			if r.Form.Get("type") == "csrf" {
				w.Write([]byte(cannedCSRFToken))
			} else {
				w.Write([]byte(cannedLoginToken))
			}
			return
		}
		w.Write(body)
	}))
	return newSession(t, srv.URL+"/w/api.php", Options{})
}

func TestRealAnswers(t *testing.T) {
	files := realFiles(t)
	if files == nil {
		t.Skip(realDir + " not recorded yet")
	}
	for _, file := range files {
		name := strings.TrimSuffix(filepath.Base(file), ".json")
		t.Run(name, func(t *testing.T) {
			body, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			checkRealAnswer(t, name, body)
		})
	}
}

func checkRealAnswer(t *testing.T, name string, body []byte) {
	ctx := context.Background()
	// "name.de" and "name.plaintext" are variants of "name".
	base, variant, _ := strings.Cut(name, ".")
	plaintext := variant == "plaintext"
	switch {
	case strings.HasPrefix(base, "authmanagerinfo_"):
		s := realServer(t, body, false)
		info, _, err := s.AuthManagerInfo(ctx, InfoQuery{MergeFields: !strings.Contains(base, "nomerge")})
		if err != nil {
			t.Fatalf("AuthManagerInfo: %v", err)
		}
		checkRealInfo(t, base, info)

	case strings.HasPrefix(base, "clientlogin_"):
		s := realServer(t, body, false)
		r, err := s.ClientLogin(ctx, LoginParams{Token: "t", ReturnURL: "https://app.example/"})
		if err != nil {
			t.Fatalf("ClientLogin: %v", err)
		}
		checkRealLogin(t, base, variant, r)

	case strings.HasPrefix(base, "error_"):
		code := strings.TrimPrefix(base, "error_")
		var call func() error
		switch {
		case code == "assertuserfailed":
			call = func() error { _, err := realServer(t, body, false).UserInfo(ctx, AssertUser); return err }
		case code == "logout_badtoken":
			code = "badtoken"
			if !plaintext {
				// errorformat=bc ("error": {...}), which this client never
				// asks for; Logout only reads the "errors" shape.
				return
			}
			call = func() error { return realServer(t, body, true).Logout(ctx) }
		case code == "edit_permissiondenied":
			code = "permissiondenied"
			call = func() error {
				return realServer(t, body, true).PostWithToken(ctx, "csrf", url.Values{"action": {"edit"}, "title": {"X"}, "text": {"x"}}, nil)
			}
		default:
			code, _, _ = strings.Cut(code, "_") // missingparam_returnurl
			call = func() error {
				_, err := realServer(t, body, false).ClientLogin(ctx, LoginParams{Token: "t", ReturnURL: "https://app.example/"})
				return err
			}
		}
		err := call()
		if err == nil {
			t.Fatalf("no error for a recorded %s error", code)
		}
		if !plaintext {
			// errorformat=bc: at least not taken for an answer.
			return
		}
		var ae *APIError
		if !errors.As(err, &ae) || ae.Code != code || ae.Text == "" || ae.Module == "" {
			t.Fatalf("err = %#v, want APIError %s with text and module", err, code)
		}
		sentinels := map[string]error{"badtoken": ErrBadToken, "assertuserfailed": ErrAssertUserFailed,
			"missingparam": ErrMissingParam, "mustpostparams": ErrMustPostParams, "permissiondenied": ErrPermissionDenied}
		if want, ok := sentinels[code]; ok && !errors.Is(err, want) {
			t.Errorf("errors.Is(err, %v) = false", want)
		}

	case strings.HasPrefix(base, "login_"):
		s := realServer(t, body, true)
		user, err := s.BotLogin(ctx, "Alice@bot", "pw")
		want := map[string]error{
			"login_botpassword_failed": ErrLoginFailed,
			// MediaWiki no longer answers WrongToken: a bad lgtoken is "Failed"
			// with a session-timeout reason.
			"login_wrongtoken": ErrLoginFailed,
			"login_needtoken":  ErrNeedToken,
		}
		if base == "login_botpassword_success" {
			if err != nil || user != "Alice" {
				t.Fatalf("BotLogin = %q, %v; want Alice", user, err)
			}
			return
		}
		w, ok := want[base]
		if !ok {
			t.Fatalf("no expectation for %s", name)
		}
		var le *LoginError
		if !errors.Is(err, w) || !errors.As(err, &le) {
			t.Fatalf("BotLogin err = %v, want %v", err, w)
		}
		if w == ErrLoginFailed && le.Reason == "" {
			t.Errorf("reason lost: %+v", le)
		}

	case base == "logout":
		if err := realServer(t, body, true).Logout(ctx); err != nil {
			t.Fatalf("Logout: %v", err)
		}

	case base == "tokens_csrf", base == "tokens_login":
		s := realServer(t, body, false)
		tok, err := s.Token(ctx, strings.TrimPrefix(base, "tokens_"))
		if err != nil || !strings.HasSuffix(tok, `+\`) || len(tok) < 10 {
			t.Fatalf("token = %q, %v", tok, err)
		}

	case strings.HasPrefix(base, "edit_"):
		var r struct {
			Edit struct {
				Result   string `json:"result"`
				Title    string `json:"title"`
				NewRevID int    `json:"newrevid"`
				NoChange bool   `json:"nochange"`
			} `json:"edit"`
		}
		err := realServer(t, body, true).PostWithToken(ctx, "csrf", url.Values{"action": {"edit"}, "title": {"X"}, "text": {"x"}}, &r)
		if err != nil || r.Edit.Result != "Success" || r.Edit.Title == "" || (r.Edit.NewRevID == 0) != (base == "edit_nochange") || r.Edit.NoChange != (base == "edit_nochange") {
			t.Fatalf("edit = %+v, %v", r.Edit, err)
		}

	case strings.HasPrefix(base, "revisions_"):
		type page struct {
			Title     string `json:"title"`
			Missing   bool   `json:"missing"`
			Revisions []struct {
				RevID int    `json:"revid"`
				User  string `json:"user"`
				Slots struct {
					Main struct {
						Content string `json:"content"`
					} `json:"main"`
				} `json:"slots"`
			} `json:"revisions"`
		}
		for q, err := range Query[struct{ Pages []page }](ctx, realServer(t, body, false), url.Values{"prop": {"revisions"}}) {
			if err != nil || len(q.Pages) == 0 {
				t.Fatalf("revisions = %+v, %v", q, err)
			}
			// MediaWiki lists missing pages first.
			if base == "revisions_content" && (len(q.Pages) != 2 || !q.Pages[0].Missing) {
				t.Fatalf("the missing page = %+v, %v", q, err)
			}
			last := q.Pages[len(q.Pages)-1]
			if len(last.Revisions) != 1 || last.Revisions[0].User != "Alice" {
				t.Fatalf("revisions = %+v, %v", q, err)
			}
			if base == "revisions_content" && last.Revisions[0].Slots.Main.Content != "two" {
				t.Fatalf("content = %+v", last)
			}
			break // the recording's continuation leads back to itself
		}

	case base == "allpages":
		for q, err := range Query[struct {
			AllPages []struct{ Title string } `json:"allpages"`
		}](ctx, realServer(t, body, false), url.Values{"list": {"allpages"}}) {
			if err != nil || len(q.AllPages) != 1 || q.AllPages[0].Title != "Main Page" {
				t.Fatalf("allpages = %+v, %v", q, err)
			}
			break // the recording's continuation leads back to itself
		}

	case strings.HasPrefix(base, "userinfo_"):
		assert := AssertNone
		if strings.Contains(base, "assert_user") {
			assert = AssertUser
		}
		ui, err := realServer(t, body, false).UserInfo(ctx, assert)
		if err != nil {
			t.Fatalf("UserInfo: %v", err)
		}
		if assert == AssertUser && (ui.Anon || ui.ID == 0 || ui.Name == "") {
			t.Errorf("logged-in userinfo = %+v", ui)
		}
		if assert == AssertNone && base == "userinfo_anon" && (!ui.Anon || ui.ID != 0) {
			t.Errorf("anonymous userinfo = %+v", ui)
		}

	default:
		// A recording this test does not know yet: it must at least be API
		// JSON (an answer or an API error).
		var out envelope
		err := decode("application/json", body, &out)
		var ae *APIError
		if err != nil && !errors.As(err, &ae) {
			t.Errorf("%s does not decode: %v", name, err)
		}
		t.Logf("%s: no specific checks; add a case to checkRealAnswer", name)
	}
}

func checkRealInfo(t *testing.T, base string, info *AuthManagerInfo) {
	t.Helper()
	if !info.CanAuthenticateNow || len(info.Requests) == 0 {
		t.Fatalf("info = %+v", info)
	}
	var ids []string
	for _, r := range info.Requests {
		ids = append(ids, r.ID)
	}
	if !slices.Contains(ids, `MediaWiki\Auth\PasswordAuthenticationRequest`) {
		t.Errorf("request ids = %v, want the password request", ids)
	}
	fields := info.Fields
	if strings.Contains(base, "nomerge") {
		if len(fields) != 0 {
			t.Errorf("merged fields without amimergerequestfields: %v", fieldNames(fields))
		}
		pw := info.Requests[slices.Index(ids, `MediaWiki\Auth\PasswordAuthenticationRequest`)]
		if got := fieldNames(pw.Fields); !reflect.DeepEqual(got, []string{"username", "password"}) {
			t.Errorf("password request fields = %v", got)
		}
		fields = pw.Fields
	}
	names := fieldNames(fields)
	u, p := slices.Index(names, "username"), slices.Index(names, "password")
	if u < 0 || p < 0 || u > p {
		t.Errorf("fields = %v; want username before password", names)
	}
	if f, _ := fieldByName(fields, "password"); f.Type != FieldPassword || !f.Sensitive || f.Label == "" {
		t.Errorf("password field = %+v", f)
	}
	if strings.Contains(base, "captcha") {
		if ids[0] != "CaptchaAuthenticationRequest" || info.Requests[0].Metadata["type"] == "" {
			t.Errorf("captcha request = %+v", info.Requests[0])
		}
		if names[0] != "captchaId" {
			t.Errorf("first field = %q, want captchaId (document order)", names[0])
		}
		id, _ := fieldByName(fields, "captchaId")
		if id.Type != FieldHidden || id.Value == "" {
			t.Errorf("captchaId = %+v", id)
		}
		if info, _ := fieldByName(fields, "captchaInfo"); info.Type != FieldNull || info.Value == "" {
			t.Errorf("captchaInfo = %+v", info)
		}
	}
}

func checkRealLogin(t *testing.T, base, variant string, r *LoginResult) {
	t.Helper()
	kind := strings.Split(strings.TrimPrefix(base, "clientlogin_"), "_")[0]
	want := map[string]Status{"pass": StatusPass, "fail": StatusFail, "ui": StatusUI, "redirect": StatusRedirect,
		"restart": StatusRestart, "warning": StatusPass}[kind]
	if want == "" {
		t.Fatalf("no expected status for %s", base)
	}
	if r.Status != want {
		t.Fatalf("status = %q, want %q", r.Status, want)
	}
	switch want {
	case StatusPass:
		if r.Username == "" {
			t.Error("PASS without username")
		}
	case StatusFail:
		if r.Message == "" || r.MessageCode == "" {
			t.Errorf("FAIL without message: %+v", r)
		}
		if variant == "de" && !strings.Contains(r.Message, "Passwort") {
			t.Errorf("German message = %q", r.Message)
		}
	case StatusUI:
		if !strings.HasPrefix(r.MessageCode, "oathauth-") || len(r.Requests) == 0 {
			t.Errorf("UI = %+v", r)
		}
		if f, ok := fieldByName(r.Fields, "OATHToken"); !ok || f.Type != FieldString {
			t.Errorf("fields = %v", fieldNames(r.Fields))
		}
	case StatusRedirect:
		u, err := url.Parse(r.RedirectTarget)
		if err != nil || !u.IsAbs() || u.Query().Get("state") == "" {
			t.Errorf("redirect target = %q", r.RedirectTarget)
		}
		if got := fieldNames(r.Fields); !reflect.DeepEqual(got, []string{"code", "state"}) {
			t.Errorf("fields = %v", got)
		}
	case StatusRestart:
		if !r.CanPreserveState || r.MessageCode == "" || len(r.Requests) == 0 {
			t.Errorf("RESTART = %+v", r)
		}
		if names := fieldNames(r.Fields); len(names) < 2 || names[0] != "username" || names[1] != "password" {
			t.Errorf("fields = %v", names)
		}
	}
}
