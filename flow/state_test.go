package flow

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/mwlogin/mwlogin/mwclient"
)

// The app stores State and User as JSON between requests: every field must
// come back as it went.
func TestStateAndUserSurviveJSON(t *testing.T) {
	at := time.Date(2026, 11, 23, 12, 0, 0, 123456789, time.UTC)
	cookies := []mwclient.Cookie{
		{Name: "wiki_session", Value: "abc", Path: "/", HttpOnly: true, Secure: true},
		{Name: "wikiUserID", Value: "7", Path: "/", Expires: at.Add(time.Hour).Truncate(time.Second)}, // cookies keep whole seconds
	}
	st := &State{ID: "id", Stage: StageContinue, Message: "<b>Enter</b>", MessageCode: "oathauth-auth-ui",
		Tone: ToneError, Notice: NoticeStale, Values: map[string][]string{"username": {"Bob"}},
		Requests: []mwclient.Request{{ID: "TOTP", Required: "required", Provider: "p", Account: "Bob",
			Metadata: mwclient.Metadata{"type": "image"},
			Fields: mwclient.Fields{{Name: "OATHToken", Type: "string", Label: "Code", Help: "h", Optional: true, Sensitive: true, Value: "v",
				Options: []mwclient.Option{{Value: "a", Label: "A"}}}}}},
		Cookies: cookies, Token: "tok+\\", Step: "step", Nonce: "n", RedirectTarget: "https://idp.example/?a=b",
		PreserveState: true, Lang: "de", Started: at, Remember: true}
	u := &User{Name: "Bob", Cookies: cookies, SignedIn: at, Checked: at.Add(time.Minute), EditCount: 3, Groups: []string{"user"}, Remember: true}
	for _, v := range []any{st, u, &State{ID: "fresh", Step: FreshStep, Started: at}, &User{Name: "A", SignedIn: at}} {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		back := reflect.New(reflect.TypeOf(v).Elem()).Interface()
		if err := json.Unmarshal(b, back); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(v, back) {
			t.Fatalf("JSON round trip changed the value:\n%+v\n%+v\n%s", v, back, b)
		}
	}
}

// Entries written before the JSON names were set (Go's field names) still
// read back: encoding/json matches names without regard to case.
func TestUserReadsFieldNamesOfEarlierEntries(t *testing.T) {
	var u User
	old := `{"Name":"Alice","Cookies":[{"Name":"s","Value":"v","Path":"/","Expires":"0001-01-01T00:00:00Z","Secure":false,"HttpOnly":true}],"SignedIn":"2026-11-23T12:00:00Z"}`
	if err := json.Unmarshal([]byte(old), &u); err != nil {
		t.Fatal(err)
	}
	if u.Name != "Alice" || len(u.Cookies) != 1 || u.Cookies[0].Value != "v" || !u.Cookies[0].HttpOnly || u.SignedIn.IsZero() {
		t.Fatalf("read %+v", u)
	}
}
