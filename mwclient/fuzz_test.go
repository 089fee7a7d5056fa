package mwclient

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func FuzzDecode(f *testing.F) {
	for _, s := range cannedAnswers {
		f.Add("application/json; charset=utf-8", []byte(s))
	}
	f.Add("text/html", []byte("<html></html>"))
	f.Add("", []byte(`{"errors":[{"code":"badtoken","text":"Invalid CSRF token.","module":"main"}]}`))
	f.Add("application/json", []byte(`{"clientlogin":{"status":"UI","fields":[],"requests":[{"id":"x","metadata":[],"fields":{"a":{"type":"select","options":{"b":"c"}}}}]}}`))
	files, _ := filepath.Glob(filepath.Join("testdata", "real", "*.json"))
	for _, file := range files {
		if b, err := os.ReadFile(file); err == nil {
			f.Add("application/json; charset=utf-8", b)
		}
	}

	f.Fuzz(func(t *testing.T, ct string, body []byte) {
		var login struct {
			envelope
			ClientLogin *LoginResult `json:"clientlogin"`
		}
		var info struct {
			envelope
			Query struct {
				AuthManagerInfo *AuthManagerInfo  `json:"authmanagerinfo"`
				Tokens          map[string]string `json:"tokens"`
			} `json:"query"`
		}
		var bare struct { // so that Fields and Metadata sit at the top
			envelope
			LoginResult
		}
		for _, out := range []any{&login, &info, &bare} {
			err := decode(ct, body, out)
			if err == nil {
				continue
			}
			var ae *APIError
			var de *DecodeError
			if !errors.As(err, &ae) && !errors.As(err, &de) {
				t.Fatalf("decode returned %T %v; want nil, *APIError or *DecodeError", err, err)
			}
			if de != nil && de.Err == nil {
				t.Fatalf("DecodeError without a cause")
			}
		}
		// Whatever decoded re-encodes and decodes to the same value (Fields
		// marshal as a list, which UnmarshalJSON reads back).
		if login.ClientLogin != nil {
			roundTrip(t, login.ClientLogin, new(LoginResult))
		}
		if info.Query.AuthManagerInfo != nil {
			roundTrip(t, info.Query.AuthManagerInfo, new(AuthManagerInfo))
		}
	})
}

func roundTrip[T any](t *testing.T, v *T, into *T) {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("Marshal(%+v): %v", v, err)
	}
	if err := json.Unmarshal(b, into); err != nil {
		t.Fatalf("Unmarshal(%s): %v", b, err)
	}
	b2, err := json.Marshal(into)
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != string(b2) {
		t.Fatalf("round trip changed the value:\n%s\n%s", b, b2)
	}
}
