package handlers

import (
	"net/url"
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
