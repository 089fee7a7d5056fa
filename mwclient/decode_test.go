package mwclient

import (
	"context"
	"encoding/json"
	"errors"
	"net/url"
	"reflect"
	"strings"
	"testing"
)

func TestFieldsUnmarshal(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want Fields
	}{
		{"document order", `{"zeta":{"type":"string","label":"Z"},"alpha":{"type":"password","sensitive":true},"mid":{"type":"checkbox","optional":true}}`,
			Fields{{Name: "zeta", Type: "string", Label: "Z"}, {Name: "alpha", Type: "password", Sensitive: true}, {Name: "mid", Type: "checkbox", Optional: true}}},
		{"PHP empty array", `[]`, Fields{}},
		{"PHP empty array with spaces", " [ ] \n", Fields{}},
		{"empty object", `{}`, Fields{}},
		{"list form", `[{"name":"b","type":"string"},{"name":"a","type":"hidden","value":"v"}]`,
			Fields{{Name: "b", Type: "string"}, {Name: "a", Type: "hidden", Value: "v"}}},
		{"options in document order", `{"c":{"type":"select","value":"m","options":{"z":"Zed","a":"Ay","m":"Em"}}}`,
			Fields{{Name: "c", Type: "select", Value: "m", Options: []Option{{"z", "Zed"}, {"a", "Ay"}, {"m", "Em"}}}}},
		{"options with HTML labels and escapes", `{"c":{"type":"multiselect","options":{"x\u00e9":"<b>X</b>","y\"q":"Y"}}}`,
			Fields{{Name: "c", Type: "multiselect", Options: []Option{{"xé", "<b>X</b>"}, {`y"q`, "Y"}}}}},
		{"options PHP empty array", `{"c":{"type":"select","options":[]}}`, Fields{{Name: "c", Type: "select"}}},
		{"options non-string label", `{"c":{"type":"select","options":{"1":1,"2":true}}}`,
			Fields{{Name: "c", Type: "select", Options: []Option{{"1", "1"}, {"2", "1"}}}}},
		{"value true", `{"f":{"type":"checkbox","value":true}}`, Fields{{Name: "f", Type: "checkbox", Value: "1"}}},
		{"value false", `{"f":{"type":"checkbox","value":false}}`, Fields{{Name: "f", Type: "checkbox", Value: ""}}},
		{"value integer", `{"f":{"type":"hidden","value":12345}}`, Fields{{Name: "f", Type: "hidden", Value: "12345"}}},
		{"value negative float", `{"f":{"type":"hidden","value":-1.25}}`, Fields{{Name: "f", Type: "hidden", Value: "-1.25"}}},
		{"value null", `{"f":{"type":"null","value":null}}`, Fields{{Name: "f", Type: "null"}}},
		{"value string", `{"f":{"type":"null","value":"<p>Q?</p>"}}`, Fields{{Name: "f", Type: "null", Value: "<p>Q?</p>"}}},
		{"value object", `{"f":{"type":"hidden","value":{"a":1}}}`, Fields{{Name: "f", Type: "hidden"}}},
		{"unicode key", `{"caf\u00e9":{"type":"string"}}`, Fields{{Name: "café", Type: "string"}}},
		{"unknown members ignored", `{"f":{"type":"string","extra":[1,2],"deprecated":{"x":1}}}`, Fields{{Name: "f", Type: "string"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got Fields
			if err := json.Unmarshal([]byte(tt.in), &got); err != nil {
				t.Fatalf("Unmarshal(%s): %v", tt.in, err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Unmarshal(%s)\n got  %#v\n want %#v", tt.in, got, tt.want)
			}
		})
	}
}

func TestFieldsUnmarshalErrors(t *testing.T) {
	for _, in := range []string{
		`"username"`,
		`42`,
		`{"a":1}`,
		`{"a":"string"}`,
		`{"a":{"type":"string"}`,
		`{"a":{"type":7}}`,
		`{"a":{"type":"select","options":{"x":}}}`,
		`[{"name":1}]`,
	} {
		var fs Fields
		if err := json.Unmarshal([]byte(in), &fs); err == nil {
			t.Errorf("Unmarshal(%s) = %#v, want an error", in, fs)
		}
	}
}

// TestFieldsJSONRoundTrip: Fields marshal to a list, which decodes back to
// the same fields in the same order.
func TestFieldsJSONRoundTrip(t *testing.T) {
	var lr LoginResult
	if err := json.Unmarshal([]byte(cannedUI), &struct{ ClientLogin *LoginResult }{&lr}); err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(lr.Fields)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(b), "[") {
		t.Fatalf("Fields marshal to %.20s..., want a list", b)
	}
	var back Fields
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back, lr.Fields) {
		t.Fatalf("round trip changed the fields:\n got  %#v\n want %#v", back, lr.Fields)
	}
}

func TestMetadataUnmarshal(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want Metadata
	}{
		{"PHP empty array", `{"metadata":[]}`, nil},
		{"null", `{"metadata":null}`, nil},
		{"absent", `{}`, nil},
		{"empty object", `{"metadata":{}}`, Metadata{}},
		{"captcha", `{"metadata":{"type":"image","mime":"image/png"}}`, Metadata{"type": "image", "mime": "image/png"}},
		{"non-string members", `{"metadata":{"width":250,"animated":true,"still":false,"nested":{"a":1},"list":[1]}}`,
			Metadata{"width": "250", "animated": "1", "still": "", "nested": "", "list": ""}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var r Request
			if err := json.Unmarshal([]byte(tt.in), &r); err != nil {
				t.Fatalf("Unmarshal: %v", err)
			}
			if !reflect.DeepEqual(r.Metadata, tt.want) {
				t.Errorf("Metadata = %#v, want %#v", r.Metadata, tt.want)
			}
		})
	}
	var m Metadata
	if err := json.Unmarshal([]byte(`{"a":`), &m); err == nil {
		t.Error("truncated metadata decoded without error")
	}
}

func TestScalarString(t *testing.T) {
	tests := []struct{ in, want string }{
		{`"x"`, "x"},
		{`"a\nb\u00e9"`, "a\nbé"},
		{`true`, "1"},
		{`false`, ""},
		{`null`, ""},
		{``, ""},
		{`0`, "0"},
		{`42`, "42"},
		{`-7`, "-7"},
		{`1.5`, "1.5"},
		{`1e3`, "1000"},
		{`{}`, ""},
		{`[1]`, ""},
		{` "padded" `, "padded"},
	}
	for _, tt := range tests {
		if got := scalarString(json.RawMessage(tt.in)); got != tt.want {
			t.Errorf("scalarString(%s) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// clientLogin runs one ClientLogin against a server answering body.
func clientLogin(t *testing.T, body string) (*LoginResult, error) {
	t.Helper()
	srv := newServer(t, serveJSON(body))
	s := newSession(t, srv.URL+"/w/api.php", Options{})
	return s.ClientLogin(context.Background(), LoginParams{Token: "t+\\", ReturnURL: "https://app.example/return",
		Fields: url.Values{"username": {"Alice"}, "password": {"secret"}}})
}

func TestClientLoginStatuses(t *testing.T) {
	tests := []struct {
		name  string
		body  string
		check func(t *testing.T, r *LoginResult)
	}{
		{"UI", cannedUI, func(t *testing.T, r *LoginResult) {
			if r.Status != StatusUI || r.MessageCode != "oathauth-auth-ui" || !strings.Contains(r.Message, "authenticator") {
				t.Errorf("status %q code %q message %q", r.Status, r.MessageCode, r.Message)
			}
			wantOrder := []string{"zeta", "OATHToken", "colour", "topics", "pin", "agree", "newsletter", "captchaId", "ratio", "captchaInfo", "nothing"}
			if got := fieldNames(r.Fields); !reflect.DeepEqual(got, wantOrder) {
				t.Errorf("merged field order = %v, want %v", got, wantOrder)
			}
			colour, _ := fieldByName(r.Fields, "colour")
			if colour.Type != FieldSelect || colour.Value != "mango" ||
				!reflect.DeepEqual(colour.Options, []Option{{"zebra", "Zebra <i>stripes</i>"}, {"apple", "Apple"}, {"mango", "Mango"}}) {
				t.Errorf("colour = %+v", colour)
			}
			if topics, _ := fieldByName(r.Fields, "topics"); topics.Type != FieldMultiselect || len(topics.Options) != 0 || !topics.Optional {
				t.Errorf("topics = %+v", topics)
			}
			if pin, _ := fieldByName(r.Fields, "pin"); !pin.Sensitive || pin.Type != FieldPassword {
				t.Errorf("pin = %+v", pin)
			}
			values := map[string]string{"agree": "1", "newsletter": "", "captchaId": "12345", "ratio": "1.5",
				"captchaInfo": "/w/index.php?title=Special:Captcha/image&wpCaptchaId=12345", "nothing": ""}
			for name, want := range values {
				if f, ok := fieldByName(r.Fields, name); !ok || f.Value != want {
					t.Errorf("field %s value = %q (present %v), want %q", name, f.Value, ok, want)
				}
			}
			if len(r.Requests) != 2 {
				t.Fatalf("%d requests, want 2", len(r.Requests))
			}
			oath, captcha := r.Requests[0], r.Requests[1]
			if oath.Metadata != nil || oath.Account != "Bob" || oath.Required != "required" ||
				!reflect.DeepEqual(fieldNames(oath.Fields), []string{"OATHToken"}) {
				t.Errorf("OATH request = %+v", oath)
			}
			if !reflect.DeepEqual(captcha.Metadata, Metadata{"type": "image", "mime": "image/png", "width": "250", "animated": ""}) {
				t.Errorf("captcha metadata = %#v", captcha.Metadata)
			}
			if len(captcha.Fields) != 0 {
				t.Errorf("captcha fields = %#v, want none ([] in JSON)", captcha.Fields)
			}
		}},
		{"REDIRECT", cannedRedirect, func(t *testing.T, r *LoginResult) {
			if r.Status != StatusRedirect || r.RedirectTarget != "https://idp.example/authorize?client_id=wiki&state=s1" {
				t.Errorf("status %q target %q", r.Status, r.RedirectTarget)
			}
			if len(r.Requests) != 1 || !reflect.DeepEqual(fieldNames(r.Requests[0].Fields), []string{"state", "code"}) {
				t.Errorf("requests = %+v", r.Requests)
			}
			if len(r.Fields) != 0 {
				t.Errorf("merged fields = %+v, want none", r.Fields)
			}
		}},
		{"RESTART", cannedRestart, func(t *testing.T, r *LoginResult) {
			if r.Status != StatusRestart || !r.CanPreserveState || r.MessageCode != "authmanager-authn-no-local-user-link" {
				t.Errorf("status %q canpreservestate %v code %q", r.Status, r.CanPreserveState, r.MessageCode)
			}
			if got := fieldNames(r.Fields); !reflect.DeepEqual(got, []string{"username", "password"}) {
				t.Errorf("fields = %v", got)
			}
		}},
		{"PASS", cannedPass, func(t *testing.T, r *LoginResult) {
			if r.Status != StatusPass || r.Username != "Alice" || r.Message != "" || len(r.Requests) != 0 {
				t.Errorf("result = %+v", r)
			}
		}},
		{"FAIL with warnings", cannedFail, func(t *testing.T, r *LoginResult) {
			if r.Status != StatusFail || r.MessageCode != "wrongpassword" || r.Message != "Incorrect username or password entered.\nPlease try again." || r.CanPreserveState {
				t.Errorf("result = %+v", r)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := clientLogin(t, tt.body)
			if err != nil {
				t.Fatalf("ClientLogin: %v", err)
			}
			tt.check(t, r)
		})
	}
}

func TestClientLoginMissingStatus(t *testing.T) {
	for _, body := range []string{`{}`, `{"clientlogin":{}}`, `{"clientlogin":null}`, `{"batchcomplete":true}`, `null`} {
		r, err := clientLogin(t, body)
		var de *DecodeError
		if !errors.As(err, &de) {
			t.Errorf("ClientLogin(%s) = %+v, %v; want a *DecodeError", body, r, err)
		}
	}
}

func TestAuthManagerInfoDecode(t *testing.T) {
	srv := newServer(t, serveJSON(cannedAuthManagerInfo))
	s := newSession(t, srv.URL+"/w/api.php", Options{})
	info, tok, err := s.AuthManagerInfo(context.Background(), InfoQuery{MergeFields: true, LoginToken: true})
	if err != nil {
		t.Fatal(err)
	}
	if tok != `0123abcd+\` {
		t.Errorf("token = %q", tok)
	}
	if !info.CanAuthenticateNow || info.CanCreateAccounts || !info.CanLinkAccounts || !info.HasPrimaryPreserve || info.PreservedUsername != "Alice" {
		t.Errorf("info = %+v", info)
	}
	if len(info.Requests) != 2 || info.Requests[0].Metadata == nil || len(info.Requests[0].Metadata) != 0 || info.Requests[1].Metadata != nil {
		t.Errorf("requests = %+v; want {} metadata as an empty map and [] as nil", info.Requests)
	}
	if got := fieldNames(info.Fields); !reflect.DeepEqual(got, []string{"username", "password", "rememberMe"}) {
		t.Errorf("fields = %v", got)
	}
}

func TestAuthManagerInfoMissing(t *testing.T) {
	tests := []struct {
		name string
		body string
		q    InfoQuery
	}{
		{"no authmanagerinfo", cannedLoginToken, InfoQuery{}},
		{"token asked, none given", `{"query":{"authmanagerinfo":{"canauthenticatenow":true,"requests":[]}}}`, InfoQuery{LoginToken: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newServer(t, serveJSON(tt.body))
			s := newSession(t, srv.URL+"/api.php", Options{})
			_, _, err := s.AuthManagerInfo(context.Background(), tt.q)
			var de *DecodeError
			if !errors.As(err, &de) {
				t.Fatalf("err = %v, want *DecodeError", err)
			}
		})
	}
}

func TestTokenMissing(t *testing.T) {
	srv := newServer(t, serveJSON(`{"batchcomplete":true,"query":{"tokens":{}}}`))
	s := newSession(t, srv.URL+"/api.php", Options{})
	for _, name := range []string{"login", "csrf"} {
		tok, err := s.Token(context.Background(), name)
		var de *DecodeError
		if !errors.As(err, &de) || tok != "" {
			t.Errorf("%s token = %q, %v; want a *DecodeError", name, tok, err)
		}
	}
}

func TestUserInfoDecode(t *testing.T) {
	srv := newServer(t, serveJSON(cannedUserInfo))
	s := newSession(t, srv.URL+"/api.php", Options{})
	ui, err := s.UserInfo(context.Background(), AssertUser)
	if err != nil {
		t.Fatal(err)
	}
	want := &UserInfo{ID: 7, Name: "Alice", Groups: []string{"*", "user"}, EditCount: 12}
	if !reflect.DeepEqual(ui, want) {
		t.Errorf("UserInfo = %+v, want %+v", ui, want)
	}
}

func TestDecodeMediaTypes(t *testing.T) {
	tests := []struct {
		ct string
		ok bool
	}{
		{"application/json", true},
		{"application/json; charset=utf-8", true},
		{"Application/JSON; charset=UTF-8", true},
		{"text/javascript; charset=utf-8", true},
		{"", true}, // no type: judged by the body
		{"text/html; charset=utf-8", false},
		{"text/plain", false},
		{"application/xml", false},
	}
	for _, tt := range tests {
		var out struct {
			envelope
			ClientLogin *LoginResult `json:"clientlogin"`
		}
		err := decode(tt.ct, []byte(cannedPass), &out)
		if tt.ok && (err != nil || out.ClientLogin == nil || out.ClientLogin.Status != StatusPass) {
			t.Errorf("decode(%q) = %v, %+v; want the PASS", tt.ct, err, out.ClientLogin)
		}
		var de *DecodeError
		if !tt.ok && (!errors.As(err, &de) || de.ContentType != tt.ct) {
			t.Errorf("decode(%q) = %v; want a *DecodeError with the content type", tt.ct, err)
		}
	}
}

func TestDecodeAPIErrorFirstWins(t *testing.T) {
	body := `{"errors":[{"code":"badtoken","text":"Invalid CSRF token.","module":"clientlogin"},{"code":"missingparam","text":"x","module":"main"}],"clientlogin":{"status":"PASS"}}`
	var out struct {
		envelope
		ClientLogin *LoginResult `json:"clientlogin"`
	}
	err := decode("application/json", []byte(body), &out)
	var ae *APIError
	if !errors.As(err, &ae) || ae.Code != "badtoken" || ae.Text != "Invalid CSRF token." || ae.Module != "clientlogin" {
		t.Fatalf("err = %#v, want the first APIError", err)
	}
}

// TestDecodeEnvelope: the error is found in either format, wherever it sits
// in the answer, and an answer without one decodes.
func TestDecodeEnvelope(t *testing.T) {
	tests := []struct {
		name, body string
		want       *APIError // nil: no error, the PASS decoded
	}{
		{"errors", `{"errors":[{"code":"badtoken","text":"Invalid CSRF token.","module":"main"}]}`,
			&APIError{Code: "badtoken", Text: "Invalid CSRF token.", Module: "main"}},
		{"bc format", `{"error":{"code":"badtoken","info":"Invalid CSRF token.","*":"See api.php"},"servedby":"mw1"}`,
			&APIError{Code: "badtoken", Text: "Invalid CSRF token."}},
		{"after the module data", `{"clientlogin":{"status":"PASS"},"errors":[{"code":"readonly","text":"x","module":"main"}]}`,
			&APIError{Code: "readonly", Text: "x", Module: "main"}},
		{"escaped key", `{"\u0065rrors":[{"code":"readonly","text":"x","module":"main"}]}`,
			&APIError{Code: "readonly", Text: "x", Module: "main"}},
		{"module data that does not fit", `{"errors":[{"code":"readonly","text":"x","module":"main"}],"clientlogin":"odd"}`,
			&APIError{Code: "readonly", Text: "x", Module: "main"}},
		{"empty errors", `{"errors":[],"clientlogin":{"status":"PASS"}}`, nil},
		{"bc error without a code", `{"error":{},"clientlogin":{"status":"PASS"}}`, nil},
		{"a member named like one", `{"clientlogin":{"status":"PASS","username":"errors"}}`, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out struct {
				envelope
				ClientLogin *LoginResult `json:"clientlogin"`
			}
			err := decode("application/json", []byte(tt.body), &out)
			if tt.want == nil {
				if err != nil || out.ClientLogin == nil || out.ClientLogin.Status != StatusPass {
					t.Fatalf("decode = %v, %+v; want the PASS", err, out.ClientLogin)
				}
				return
			}
			var ae *APIError
			if !errors.As(err, &ae) || *ae != *tt.want {
				t.Fatalf("decode = %#v, want %#v", err, tt.want)
			}
		})
	}
}
