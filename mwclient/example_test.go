package mwclient_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net/url"
	"time"

	"github.com/mwlogin/mwlogin/mwclient"
)

// Log a user in with their password, edit a page as them, and read back
// who made its last edit. apiURL is the wiki's api.php, such as
// "https://en.wikipedia.org/w/api.php".
func Example() {
	ctx := context.Background()
	client, err := mwclient.New(apiURL, mwclient.Options{
		UserAgent: "mytool/1.0 (https://tool.example; ops@tool.example)",
		MaxLag:    5 * time.Second,
	})
	if err != nil {
		log.Fatal(err)
	}
	s := client.NewSession(nil) // or the cookies saved from an earlier request

	token, err := s.Token(ctx, "login")
	if err != nil {
		log.Fatal(err)
	}
	login, err := s.ClientLogin(ctx, mwclient.LoginParams{
		Token:     token,
		ReturnURL: "https://tool.example/return",
		Fields:    url.Values{"username": {"Alice"}, "password": {alicePassword}},
	})
	if err != nil {
		log.Fatal(err)
	}
	if login.Status != mwclient.StatusPass {
		log.Fatalf("login: %s: %s", login.Status, login.Message)
	}

	var edit struct {
		Edit struct {
			Result string `json:"result"`
		} `json:"edit"`
	}
	err = s.PostWithToken(ctx, "csrf", url.Values{
		"action":  {"edit"},
		"title":   {"Sandbox"},
		"text":    {"Hello from mytool."},
		"summary": {"Saying hello"},
	}, &edit)
	switch {
	case errors.Is(err, mwclient.ErrNotLoggedIn):
		log.Fatal("the wiki session ended: sign in again")
	case errors.Is(err, mwclient.ErrPermissionDenied):
		log.Fatal("Alice may not edit this page")
	case err != nil:
		log.Fatal(err)
	}
	fmt.Println("edit:", edit.Edit.Result)

	type revisions struct {
		Pages []struct {
			Revisions []struct {
				User    string `json:"user"`
				Comment string `json:"comment"`
			} `json:"revisions"`
		} `json:"pages"`
	}
	for page, err := range mwclient.Query[revisions](ctx, s, url.Values{
		"prop": {"revisions"}, "titles": {"Sandbox"}, "rvprop": {"user|comment"},
	}) {
		if err != nil {
			log.Fatal(err)
		}
		r := page.Pages[0].Revisions[0]
		fmt.Printf("last edit by %s: %s\n", r.User, r.Comment)
	}

	// Save s.Cookies() (when s.CookiesChanged()) with the user's session,
	// to act as them again later with client.NewSession(cookies).

	// Output:
	// edit: Success
	// last edit by Alice: Saying hello
}
