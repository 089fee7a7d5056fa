package mwclient

import (
	"context"
	"crypto/rand"
	"errors"
	"net/url"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/mwlogin/mwlogin/internal/demowiki"
	"github.com/mwlogin/mwlogin/internal/testwiki"
)

func TestMain(m *testing.M) { os.Exit(testwiki.Main(m)) }

// TestActAsUserDemo and TestActAsUserMediaWiki run one walk on the demo
// wiki and on the real test MediaWiki: whatever the demo accepts, the real
// wiki must too.
func TestActAsUserDemo(t *testing.T) {
	api, wiki := demo(t)
	title := actAsUser(t, api, demowiki.UserAlice, demowiki.Password)
	text, users, ok := wiki.Page(title)
	if !ok || text != "second" || !slices.Equal(users, []string{"Alice", "Alice"}) {
		t.Errorf("the demo wiki holds %q by %v (%t)", text, users, ok)
	}
}

func TestActAsUserMediaWiki(t *testing.T) {
	w := testwiki.Require(t)
	actAsUser(t, w.APIURL, testwiki.AliceUser, testwiki.AlicePassword)
}

type editResult struct {
	Edit struct {
		Result   string `json:"result"`
		Title    string `json:"title"`
		New      bool   `json:"new"`
		NewRevID int    `json:"newrevid"`
	} `json:"edit"`
}

type revisionsPage struct {
	Pages []struct {
		Title     string `json:"title"`
		Missing   bool   `json:"missing"`
		Revisions []struct {
			RevID   int    `json:"revid"`
			User    string `json:"user"`
			Comment string `json:"comment"`
			Slots   struct {
				Main struct {
					Content string `json:"content"`
				} `json:"main"`
			} `json:"slots"`
		} `json:"revisions"`
	} `json:"pages"`
}

// actAsUser is refused an edit anonymously, logs user in, edits a new page
// twice as them, reads the page's history (one revision per answer,
// through continuation) and text back, finds the page in list=allpages,
// and checks an assertion for someone else fails. It returns the title.
func actAsUser(t *testing.T, api, user, password string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s := newSession(t, api, Options{UserAgent: "mwclient-test/0 (mwlogin tests)"})
	title := "Mwclient test " + rand.Text()[:8]
	edit := func(text, summary string) (editResult, error) {
		var r editResult
		err := s.PostWithToken(ctx, "csrf", url.Values{"action": {"edit"}, "title": {title}, "text": {text}, "summary": {summary}}, &r)
		return r, err
	}

	if _, err := edit("anonymous", "x"); !errors.Is(err, ErrPermissionDenied) {
		t.Fatalf("anonymous edit: %v, want ErrPermissionDenied", err)
	}

	tok, err := s.Token(ctx, "login")
	if err != nil {
		t.Fatal(err)
	}
	res, err := s.ClientLogin(ctx, LoginParams{Token: tok, ReturnURL: "https://tool.example/return",
		Fields: url.Values{"username": {user}, "password": {password}}})
	if err != nil || res.Status != StatusPass {
		t.Fatalf("ClientLogin = %+v, %v", res, err)
	}
	if !s.CookiesChanged() {
		t.Error("CookiesChanged is false after a login")
	}

	// The anonymous csrf token cached above is no longer used.
	first, err := edit("first", "one")
	if err != nil || first.Edit.Result != "Success" || !first.Edit.New || first.Edit.Title != title {
		t.Fatalf("first edit = %+v, %v", first, err)
	}
	second, err := edit("second", "two")
	if err != nil || second.Edit.Result != "Success" || second.Edit.New || second.Edit.NewRevID <= first.Edit.NewRevID {
		t.Fatalf("second edit = %+v, %v", second, err)
	}

	var history []string
	answers := 0
	for q, err := range Query[revisionsPage](ctx, s, url.Values{"prop": {"revisions"}, "titles": {title},
		"rvprop": {"ids|user|comment"}, "rvlimit": {"1"}}) {
		if err != nil {
			t.Fatal(err)
		}
		answers++
		for _, p := range q.Pages {
			for _, r := range p.Revisions {
				history = append(history, r.User+":"+r.Comment)
			}
		}
	}
	if want := []string{user + ":two", user + ":one"}; !slices.Equal(history, want) || answers != 2 {
		t.Errorf("history %q in %d answers, want %q in 2", history, answers, want)
	}

	for q, err := range Query[revisionsPage](ctx, s, url.Values{"prop": {"revisions"}, "titles": {title + "|No such page here"},
		"rvprop": {"content"}, "rvslots": {"main"}}) {
		if err != nil {
			t.Fatal(err)
		}
		var text string
		missing := 0
		for _, p := range q.Pages {
			if p.Missing {
				missing++
			} else if len(p.Revisions) == 1 {
				text = p.Revisions[0].Slots.Main.Content
			}
		}
		if text != "second" || missing != 1 {
			t.Errorf("content %q with %d missing pages; want second and 1", text, missing)
		}
	}

	var all []string
	for q, err := range Query[struct {
		AllPages []struct {
			Title string `json:"title"`
		} `json:"allpages"`
	}](ctx, s, url.Values{"list": {"allpages"}, "aplimit": {"1"}}) {
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range q.AllPages {
			all = append(all, p.Title)
		}
	}
	if !slices.Contains(all, "Main Page") || !slices.Contains(all, title) {
		t.Errorf("allpages %q; want Main Page and %q", all, title)
	}

	err = s.Get(ctx, url.Values{"action": {"query"}, "meta": {"userinfo"}, "assertuser": {"Somebody else"}}, nil)
	if !errors.Is(err, ErrAssertNamedUserFailed) || !errors.Is(err, ErrNotLoggedIn) {
		t.Errorf("assertuser for someone else: %v, want ErrAssertNamedUserFailed and ErrNotLoggedIn", err)
	}
	return title
}
