package locale

import (
	"strings"
	"testing"
	"testing/fstest"
)

// Every catalog has every text, in a form that fills in: a missing
// translation would show English, and a broken one nothing.
func TestCatalogsAreComplete(t *testing.T) {
	c := Default()
	ids := c.IDs()
	if len(ids) < 50 {
		t.Fatalf("only %d texts in English", len(ids))
	}
	data := map[string]any{"SiteName": "SITE", "Title": "TITLE", "Host": "HOST", "Name": "NAME",
		"Reason": "REASON", "App": "APP", "Site": "SITE", "Link": "LINK", "Password": "PASSWORD", "User": "USER", "Code": "CODE", "Answer": "ANSWER", "PIN": "PIN", "Button": "BUTTON", "Status": "STATUS", "Method": "METHOD", "Max": 5, "Window": "WINDOW", "Wait": "WAIT", "Count": 3}
	for _, lang := range Languages {
		for _, id := range ids {
			if !c.Translated(lang, id) {
				t.Errorf("%s lacks %q", lang, id)
				continue
			}
			en, _ := c.Text(English, id, data)
			got, err := c.Text(lang, id, data)
			if err != nil || got == "" || got == id && en != id || strings.Contains(got, "<no value>") || strings.Contains(got, "{{") {
				t.Errorf("%s %q = %q, %v", lang, id, got, err)
			}
			// What English fills in, every language fills in.
			for k, v := range data {
				s, _ := v.(string)
				// MediaWiki's own Russian says "join the project".
				if s != "" && strings.Contains(en, s) && !strings.Contains(got, s) && id != "userlogin-joinproject" {
					t.Errorf("%s %q leaves out {{.%s}}: %q", lang, id, k, got)
				}
			}
			if lang != English && got == en && len(en) > 12 && !strings.HasPrefix(id, "error-http") {
				t.Errorf("%s %q is still in English: %q", lang, id, got)
			}
		}
		for _, n := range []int{0, 1, 2, 3, 5, 11, 21, 100} {
			got, err := c.Text(lang, "duration-minutes", map[string]any{"Count": n})
			if err != nil || got == "" {
				t.Errorf("%s duration-minutes %d = %q, %v", lang, n, got, err)
			}
		}
	}
}

// A language with no catalog gets English, a text missing in a catalog
// gets English, and no text is ever its key.
func TestFallbackToEnglish(t *testing.T) {
	c, err := Load(fstest.MapFS{
		"catalog/en.toml": {Data: []byte("hello = \"Hello, {{.SiteName}}\"\nbye = \"Bye\"\n")},
		"catalog/ja.toml": {Data: []byte("hello = \"こんにちは、{{.SiteName}}\"\n")},
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ lang, id, want string }{
		{"ja", "hello", "こんにちは、Wiki"},
		{"ja", "bye", "Bye"},
		{"de", "hello", "Hello, Wiki"},
		{"", "bye", "Bye"},
	} {
		got, err := c.Text(tc.lang, tc.id, map[string]any{"SiteName": "Wiki"})
		if err != nil || got != tc.want {
			t.Errorf("Text(%q, %q) = %q, %v; want %q", tc.lang, tc.id, got, err, tc.want)
		}
	}
	if got, err := c.Text("ja", "nothing", nil); err == nil || got != "" {
		t.Errorf("an unknown ID gave %q, %v", got, err)
	}
	if c.Translated("ja", "bye") || !c.Translated("ja", "hello") {
		t.Error("Translated does not tell a fallback")
	}
}

func TestChoose(t *testing.T) {
	ch := NewChooser([]string{"en", "de", "de-at", "ja", "ar", "zh-hans", "zh-hant", "pt-br", "sr-ec"}, "de")
	for _, tc := range []struct{ uselang, accept, want string }{
		{"", "ja", "ja"},
		{"ar", "ja", "ar"},
		{"AR", "ja", "ar"},
		{"xx", "ja", "ja"},
		{"", "de-AT,de;q=0.5", "de-at"},
		{"", "de-CH", "de"},
		{"", "zh-TW", "zh-hant"},
		{"", "zh-CN", "zh-hans"},
		{"", "pt-BR", "pt-br"},
		{"", "fr, nl;q=0.5", "de"},
		{"", "*", "de"},
		{"", "ja;q=0", "de"},
		{"", "", "de"},
		{"", "not a header ;;", "de"},
		{"", "fr, en;q=0.3", "en"},
	} {
		if got := ch.Choose(tc.uselang, tc.accept); got != tc.want {
			t.Errorf("Choose(%q, %q) = %q, want %q", tc.uselang, tc.accept, got, tc.want)
		}
	}
	// Without the wiki's list: the catalogs', and English.
	if got := NewChooser(nil, "").Choose("", "ru,en"); got != "ru" {
		t.Errorf("no list: %q", got)
	}
	if got := NewChooser(nil, "").Choose("", "de"); got != "en" {
		t.Errorf("no list, no catalog: %q", got)
	}
}

func TestDir(t *testing.T) {
	for code, want := range map[string]string{"ar": "rtl", "he": "rtl", "fa": "rtl", "ja": "ltr", "en": "ltr", "ar-x": "rtl"} {
		if got := Dir(code); got != want {
			t.Errorf("Dir(%q) = %q", code, got)
		}
	}
}
