package flow

import (
	"net/url"
	"reflect"
	"testing"

	"github.com/mwlogin/mwlogin/mwclient"
)

// Only values that may be shown again are kept after a wrong answer: never
// a password, never a field the wiki marks sensitive, whatever its type.
func TestKeepableDropsSecrets(t *testing.T) {
	fields := []mwclient.Field{
		{Name: "username", Type: mwclient.FieldString},
		{Name: "password", Type: mwclient.FieldPassword, Sensitive: true},
		{Name: "pin", Type: mwclient.FieldString, Sensitive: true},
		{Name: "recovery", Type: mwclient.FieldSelect, Sensitive: true, Options: []mwclient.Option{{Value: "a"}}},
		{Name: "pass2", Type: mwclient.FieldPassword},
		{Name: "remember", Type: mwclient.FieldCheckbox},
		{Name: "newsletter", Type: mwclient.FieldCheckbox},
		{Name: "sso", Type: mwclient.FieldButton},
		{Name: "captchaWord", Type: mwclient.FieldString},
		{Name: "OATHToken", Type: mwclient.FieldString},
	}
	st := &State{Requests: []mwclient.Request{{ID: "R", Fields: fields}}}
	form := url.Values{
		"username": {"Alice"}, "password": {"pw"}, "pin": {"1234"}, "recovery": {"a"},
		"pass2": {"pw2"}, "remember": {"1"}, "sso": {"1"}, "captchaWord": {"green"}, "OATHToken": {"123456"},
	}
	got := keepable(st, form)
	// An unticked box is kept as unticked, so that its default does not
	// come back; a captcha answer and a two-factor code are single-use.
	want := map[string][]string{"username": {"Alice"}, "remember": {"1"}, "newsletter": {}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("kept %v, want %v", got, want)
	}
}
