package mwclient

import (
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mwlogin/mwlogin/internal/demowiki"
)

func TestSiteInfoDemo(t *testing.T) {
	api, _ := demo(t)
	c, err := New(api, Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx := ctxTimeout(t, 10*time.Second)
	si, err := c.SiteInfo(ctx, []string{"login", "userlogin-joinproject", "no-such-message"}, []string{"ja", "ar", "xx"})
	if err != nil {
		t.Fatal(err)
	}
	base := strings.TrimSuffix(api, "/api.php")
	if si.Name != demowiki.SiteName || si.Lang != "en" || si.Logo != base+"/logo.svg" ||
		si.MainPage != base+"/index.php?title=Main_Page" || si.Script != base+"/index.php" {
		t.Errorf("SiteInfo = %+v", si)
	}
	if !si.CanCreateAccount || !si.CanResetPassword {
		t.Errorf("links offered: create %v, reset %v; the demo wiki offers both", si.CanCreateAccount, si.CanResetPassword)
	}
	if !slices.Contains(si.Languages, "ja") || !slices.Contains(si.Languages, "de") {
		t.Errorf("languages %v", si.Languages)
	}
	if got := si.Messages.Text["userlogin-joinproject"]; got != "Join Demo wiki" {
		t.Errorf("userlogin-joinproject = %q, want {{SITENAME}} filled in", got)
	}
	if _, ok := si.Messages.Text["no-such-message"]; ok {
		t.Errorf("a missing message has a text: %v", si.Messages.Text)
	}
	if si.Info["ar"].Autonym != "العربية" || si.Info["ja"].Autonym != "日本語" || len(si.Info) != 2 {
		t.Errorf("languageinfo %+v", si.Info)
	}

	for _, tt := range []struct{ lang, login, dir string }{
		{"ja", "ログイン", "ltr"}, {"ar", "تسجيل الدخول", "rtl"}, {"de", "Anmelden", "ltr"},
	} {
		m, err := c.Messages(ctx, tt.lang, []string{"login", "userlogin-joinproject"})
		if err != nil {
			t.Fatal(err)
		}
		if m.Lang != tt.lang || m.Dir != tt.dir || m.Text["login"] != tt.login || !strings.Contains(m.Text["userlogin-joinproject"], demowiki.SiteName) {
			t.Errorf("Messages(%s) = %+v", tt.lang, m)
		}
	}
}

// A wiki whose URLs are protocol-relative, that resets no passwords and
// lets no anonymous user create an account.
func TestSiteInfoClosedWiki(t *testing.T) {
	srv := newServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if r.URL.Query().Get("action") == "paraminfo" {
			w.Write([]byte(`{"paraminfo":{"modules":[{"name":"resetpassword","parameters":[]}]}}`))
			return
		}
		w.Write([]byte(`{"batchcomplete":true,"query":{"general":{"sitename":"Closed","logo":"//img.example/logo.png",
			"base":"//wiki.example/wiki/Main_Page","lang":"fr","server":"//wiki.example","script":"/w/index.php"},
			"languages":[{"code":"fr"}],"userinfo":{"id":0,"anon":true,"rights":["read"]},
			"allmessages":[{"name":"login","content":"Se connecter"}],"languageinfo":{}}}`))
	}))
	c, err := New(srv.URL+"/w/api.php", Options{})
	if err != nil {
		t.Fatal(err)
	}
	si, err := c.SiteInfo(ctxTimeout(t, 10*time.Second), []string{"login"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if si.CanCreateAccount || si.CanResetPassword {
		t.Errorf("links offered: create %v, reset %v", si.CanCreateAccount, si.CanResetPassword)
	}
	if si.Logo != "http://img.example/logo.png" || si.MainPage != "http://wiki.example/wiki/Main_Page" || si.Script != "http://wiki.example/w/index.php" {
		t.Errorf("URLs not made absolute with the API's scheme: %+v", si)
	}
	if si.Messages.Lang != "fr" || si.Messages.Text["login"] != "Se connecter" || si.Messages.Dir != "ltr" {
		t.Errorf("messages %+v", si.Messages)
	}
}
