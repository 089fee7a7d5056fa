package mwclient

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// decodeAlwaysEnvelope is decode without its shortcut: the envelope is
// parsed for every answer.
func decodeAlwaysEnvelope(contentType string, body []byte, out any) error {
	if err := decode(contentType, []byte("{}"), &struct{}{}); err != nil {
		return err // the media type
	}
	if err := envelopeError(contentType, body); err != nil {
		return err
	}
	if err := json.Unmarshal(body, out); err != nil {
		return &DecodeError{ContentType: contentType, Err: err}
	}
	return nil
}

// FuzzDecodeShortcut checks that skipping the envelope of an answer that
// cannot hold an error changes nothing: same error, same decoded value.
func FuzzDecodeShortcut(f *testing.F) {
	for _, s := range cannedAnswers {
		f.Add([]byte(s))
	}
	for _, s := range []string{
		`{"errors":[{"code":"badtoken","text":"Invalid CSRF token.","module":"main"}]}`,
		`{"\u0065rrors":[{"code":"x","text":"escaped key","module":"main"}]}`,
		`{"error":{"code":"badtoken","info":"Invalid CSRF token."}}`,
		`{"errors":[]}`, `{"clientlogin":{"status":"PASS","username":"errors"}}`, `{"clientlogin":`, `[]`, `null`,
	} {
		f.Add([]byte(s))
	}
	files, _ := filepath.Glob(filepath.Join("testdata", "real", "*.json"))
	for _, file := range files {
		if b, err := os.ReadFile(file); err == nil {
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		var got, want struct {
			ClientLogin *LoginResult `json:"clientlogin"`
			Query       struct {
				Tokens map[string]string `json:"tokens"`
			} `json:"query"`
		}
		errGot := decode("application/json", body, &got)
		errWant := decodeAlwaysEnvelope("application/json", body, &want)
		var aeGot, aeWant *APIError
		var deGot, deWant *DecodeError
		switch {
		case errors.As(errWant, &aeWant):
			if !errors.As(errGot, &aeGot) || *aeGot != *aeWant {
				t.Fatalf("%q: got %v, want %v", body, errGot, errWant)
			}
		case errors.As(errWant, &deWant):
			if !errors.As(errGot, &deGot) {
				t.Fatalf("%q: got %v, want a DecodeError (%v)", body, errGot, errWant)
			}
		case errWant == nil:
			if errGot != nil || !reflect.DeepEqual(got, want) {
				t.Fatalf("%q: got %+v, %v; want %+v", body, got, errGot, want)
			}
		}
	})
}
