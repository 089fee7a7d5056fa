package flow

import (
	"slices"
	"testing"
	"time"

	"github.com/mwlogin/mwlogin/mwclient"
)

func TestRenewalApply(t *testing.T) {
	exp := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	sess := mwclient.Cookie{Name: "wiki_session", Value: "s1", Path: "/"}
	token := mwclient.Cookie{Name: "wikiToken", Value: "t1", Path: "/", Expires: exp}
	other := mwclient.Cookie{Name: "other", Value: "o1", Path: "/"}
	with := func(c mwclient.Cookie, value string) mwclient.Cookie { c.Value = value; return c }
	for _, tc := range []struct {
		name          string
		before, after []mwclient.Cookie
		// stored is the user's cookies when the renewal is applied
		// (another request may have changed them), want the result.
		stored, want []mwclient.Cookie
		empty        bool
	}{
		{name: "nothing changed", before: []mwclient.Cookie{sess, token}, after: []mwclient.Cookie{sess, token},
			stored: []mwclient.Cookie{sess, token}, want: []mwclient.Cookie{sess, token}, empty: true},
		{name: "same expiry in another location", before: []mwclient.Cookie{token},
			after:  []mwclient.Cookie{func() mwclient.Cookie { c := token; c.Expires = exp.In(time.FixedZone("X", 3600)); return c }()},
			stored: []mwclient.Cookie{token}, want: []mwclient.Cookie{token}, empty: true},
		{name: "renewed", before: []mwclient.Cookie{sess, token}, after: []mwclient.Cookie{with(sess, "s2"), token},
			stored: []mwclient.Cookie{sess, token}, want: []mwclient.Cookie{with(sess, "s2"), token}},
		{name: "added", before: []mwclient.Cookie{sess}, after: []mwclient.Cookie{sess, token},
			stored: []mwclient.Cookie{sess}, want: []mwclient.Cookie{sess, token}},
		{name: "removed", before: []mwclient.Cookie{sess, token}, after: []mwclient.Cookie{sess},
			stored: []mwclient.Cookie{sess, token}, want: []mwclient.Cookie{sess}},
		{name: "another request's renewal stays", before: []mwclient.Cookie{sess, token}, after: []mwclient.Cookie{with(sess, "s2"), token},
			stored: []mwclient.Cookie{sess, with(token, "t2"), other}, want: []mwclient.Cookie{with(sess, "s2"), with(token, "t2"), other}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := renewal(tc.before, tc.after)
			if r.Empty() != tc.empty {
				t.Fatalf("Empty() = %v", r.Empty())
			}
			u := &User{Cookies: slices.Clone(tc.stored)}
			r.Apply(u)
			if !slices.EqualFunc(u.Cookies, tc.want, equalCookie) {
				t.Fatalf("cookies after Apply:\n%v\nwant\n%v", u.Cookies, tc.want)
			}
		})
	}
}

func TestUserSame(t *testing.T) {
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	a := &User{Name: "Alice", SignedIn: at}
	for _, tc := range []struct {
		v    *User
		want bool
	}{
		{&User{Name: "Alice", SignedIn: at.In(time.FixedZone("X", 3600))}, true},
		{&User{Name: "Alice", SignedIn: at.Add(time.Second)}, false},
		{&User{Name: "Bob", SignedIn: at}, false},
		{nil, false},
	} {
		if got := a.Same(tc.v); got != tc.want {
			t.Errorf("Same(%v) = %v", tc.v, got)
		}
	}
}
