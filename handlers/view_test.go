package handlers

import (
	"net/url"
	"strings"
	"testing"

	"github.com/mwlogin/mwlogin/flow"
	"github.com/mwlogin/mwlogin/internal/wikihtml"
	"github.com/mwlogin/mwlogin/mwclient"
)

// A field the wiki marks sensitive is never filled in, whether a value was
// kept for it (which flow does not do) or the wiki sent one; other text
// fields show the user's own entry.
func TestSensitiveFieldIsNotRefilled(t *testing.T) {
	san := wikihtml.New(&url.URL{Scheme: "https", Host: "wiki.example", Path: "/w/api.php"})
	r := mwclient.Request{ID: "R", Fields: []mwclient.Field{
		{Name: "username", Type: mwclient.FieldString, Value: "wiki default"},
		{Name: "pin", Type: mwclient.FieldString, Sensitive: true, Value: "from the wiki"},
	}}
	st := &flow.State{Stage: flow.StageStart, Requests: []mwclient.Request{r},
		Values: map[string][]string{"username": {"Alice"}, "pin": {"1234"}}}
	cases := []struct {
		field        int
		value        string
		autocomplete string
	}{
		{0, "Alice", "username"},
		{1, "", "off"},
	}
	for _, tc := range cases {
		fv := buildField(r.Fields[tc.field], r, st, san)
		if fv.Value != tc.value || fv.Autocomplete != tc.autocomplete {
			t.Errorf("%s: value %q autocomplete %q, want %q %q", fv.Name, fv.Value, fv.Autocomplete, tc.value, tc.autocomplete)
		}
	}
}

// Password managers and phones are told what each field is, as
// Special:UserLogin tells them: the account's password only on the login
// form, a new password on a later step (the change the wiki asks for after
// a temporary password), a one-time code for OATHAuth's field (which takes
// recovery codes too, so no numeric keyboard), nothing for a captcha.
func TestAutocomplete(t *testing.T) {
	san := wikihtml.New(&url.URL{Scheme: "https", Host: "wiki.example", Path: "/w/api.php"})
	cases := []struct {
		stage flow.Stage
		field mwclient.Field
		want  string
	}{
		{flow.StageStart, mwclient.Field{Name: "username", Type: mwclient.FieldString}, "username"},
		{flow.StageStart, mwclient.Field{Name: "password", Type: mwclient.FieldPassword, Sensitive: true}, "current-password"},
		{flow.StageStart, mwclient.Field{Name: "domainpassword", Type: mwclient.FieldPassword, Sensitive: true}, "off"},
		{flow.StageContinue, mwclient.Field{Name: "password", Type: mwclient.FieldPassword, Sensitive: true}, "new-password"},
		{flow.StageContinue, mwclient.Field{Name: "retype", Type: mwclient.FieldPassword, Sensitive: true}, "new-password"},
		{flow.StageContinue, mwclient.Field{Name: "pin", Type: mwclient.FieldPassword, Sensitive: true}, "off"},
		{flow.StageContinue, mwclient.Field{Name: "OATHToken", Type: mwclient.FieldString}, "one-time-code"},
		{flow.StageStart, mwclient.Field{Name: "captchaWord", Type: mwclient.FieldString}, "off"},
		{flow.StageContinue, mwclient.Field{Name: "nickname", Type: mwclient.FieldString}, ""},
	}
	for _, tc := range cases {
		r := mwclient.Request{ID: "R", Fields: []mwclient.Field{tc.field}}
		st := &flow.State{Stage: tc.stage, Requests: []mwclient.Request{r}}
		if got := buildField(tc.field, r, st, san).Autocomplete; got != tc.want {
			t.Errorf("%s on the %s step: autocomplete %q, want %q", tc.field.Name, tc.stage, got, tc.want)
		}
	}
}

// The captcha's question describes its answer's field (aria-describedby),
// together with the field's help; a request that asks several things does
// not tie its notes to each of them.
func TestInfoDescribesTheOnlyInput(t *testing.T) {
	san := wikihtml.New(&url.URL{Scheme: "https", Host: "wiki.example", Path: "/w/api.php"})
	captcha := mwclient.Request{ID: "CaptchaAuthenticationRequest", Required: "required", Fields: []mwclient.Field{
		{Name: "captchaId", Type: mwclient.FieldHidden, Value: "1"},
		{Name: "captchaInfo", Type: mwclient.FieldNull, Label: "Answer the question below:", Value: "What colour is the sky?"},
		{Name: "captchaWord", Type: mwclient.FieldString, Label: "CAPTCHA", Help: "Solution of the CAPTCHA."},
	}}
	profile := mwclient.Request{ID: "Profile", Required: "required", Fields: []mwclient.Field{
		{Name: "notice", Type: mwclient.FieldNull, Value: "About this step"},
		{Name: "nickname", Type: mwclient.FieldString, Label: "Nickname"},
		{Name: "colour", Type: mwclient.FieldString, Label: "Colour"},
	}}
	// A provider's question with one answer, and help of its own.
	quiz := mwclient.Request{ID: `Ext\QuizRequest`, Required: "required", Fields: []mwclient.Field{
		{Name: "question", Type: mwclient.FieldNull, Value: "Which city?"},
		{Name: "city", Type: mwclient.FieldString, Label: "City", Help: "The city you were born in."},
	}}
	v := buildStep(&flow.State{Stage: flow.StageContinue, Step: "s", Requests: []mwclient.Request{captcha, profile, quiz}}, san, "")
	// MediaWiki's "Solution of the CAPTCHA." says nothing the label does
	// not, and is not shown; the provider's help is.
	want := map[string]string{"captchaWord": "f-0-1", "nickname": "", "colour": "", "city": "f-2-0 f-2-1-help"}
	for _, f := range v.Fields {
		w, ok := want[f.Name]
		if !ok {
			continue
		}
		if got := strings.Join(f.DescribedBy, " "); got != w {
			t.Errorf("%s: described by %q, want %q", f.Name, got, w)
		}
	}
	if v.Fields[0].ID != "f-0-1" || v.Fields[0].Name != "captchaInfo" {
		t.Fatalf("the captcha's question is %+v", v.Fields[0])
	}
}
