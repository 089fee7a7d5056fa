package handlers_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/mwlogin/mwlogin/internal/testwiki"
)

// pageLanguage is what a page says of its language and how it lays out the
// login form: the left (x) and right edges of the first field's label
// text and of the form.
type pageLanguage struct {
	Lang, Dir                              string
	LabelLeft, LabelRight                  float64
	FormLeft, FormRight                    float64
	ButtonText                             string
	MenuCurrent                            string
	HasJoin, HasHelp, HasReset, HeaderLogo bool
}

func (b *tab) pageLanguage() pageLanguage {
	b.t.Helper()
	var pl pageLanguage
	if err := b.eval(`(() => {
		const r = el => el ? el.getBoundingClientRect() : {left: 0, right: 0};
		// The label's text, not its box (a block as wide as the form).
		const el = document.querySelector('form.step label');
		const range = document.createRange();
		if (el) range.selectNodeContents(el);
		const label = r(el && range);
		const form = r(document.querySelector('form.step'));
		const cur = document.querySelector('.languages a[aria-current]');
		const links = Array.from(document.querySelectorAll('.wiki-links a')).map(a => a.href);
		return {Lang: document.documentElement.lang, Dir: document.documentElement.dir,
			LabelLeft: label.left, LabelRight: label.right, FormLeft: form.left, FormRight: form.right,
			ButtonText: (document.querySelector('form.step button[type=submit]') || {}).innerText || '',
			MenuCurrent: cur ? cur.hreflang : '',
			HasJoin: links.some(h => h.includes('Special:CreateAccount')),
			HasHelp: links.some(h => h.includes('Help:Logging_in')),
			HasReset: links.some(h => h.includes('Special:PasswordReset')),
			HeaderLogo: !!document.querySelector('.site-name img') && document.querySelector('.site-name img').naturalWidth > 0};
	})()`, &pl); err != nil {
		b.t.Fatal(err)
	}
	return pl
}

// TestChromiumLanguages is the login, a failure and the signed-in page in
// English, Japanese and Arabic, against the real MediaWiki, on a desktop
// and a phone: each page in the language asked for (the wiki's own
// messages and ours), Arabic laid out right to left, and axe-core clean.
func TestChromiumLanguages(t *testing.T) {
	for _, lc := range []struct {
		lang, dir                      string
		login, button, wrong, signedIn string // the wiki's own wording
		done, logout, join, sso        string
	}{
		{"en", "ltr", "Log in", "Log in", "Incorrect username or password entered.", "Logged in", "This app holds your sign-in to", "Log out", "Join MwloginTest", "Log in with Test SSO"},
		{"ja", "ltr", "ログイン", "ログイン", "利用者名またはパスワードが間違っています。", "ログイン済み", "このアプリは " + testwiki.SiteName + " への", "ログアウト", "MwloginTestのアカウントを作成", "テスト SSO でログイン"},
		{"ar", "rtl", "تسجيل الدخول", "دخول", "اسم المستخدم أو كلمة السر التي أدخلتها غير صحيحة.", "تم الدخول", "يحتفظ هذا التطبيق بتسجيل دخولك إلى", "تسجيل الخروج", "انضم إلى MwloginTest", "الدخول عبر SSO التجريبي"},
	} {
		for _, width := range []int64{1280, phoneWidth} {
			t.Run(fmt.Sprintf("%s/%dpx", lc.lang, width), func(t *testing.T) {
				b := newTab(t, realWiki)
				b.viewport(width, 800)
				// The README shows the login form on a phone in Japanese and
				// Arabic; the English pages have pictures of their own.
				shot := func(name string) string {
					if width != phoneWidth || name != "login" || lc.lang == "en" {
						return ""
					}
					return name + "-" + lc.lang + "-phone"
				}
				b.open("/?uselang=" + lc.lang)
				b.wantHeading(lc.login)
				pl := b.pageLanguage()
				if pl.Lang != lc.lang || pl.Dir != lc.dir || pl.MenuCurrent != lc.lang {
					t.Errorf("<html lang=%q dir=%q>, the menu's current language %q; want %s %s", pl.Lang, pl.Dir, pl.MenuCurrent, lc.lang, lc.dir)
				}
				if pl.ButtonText != lc.button {
					t.Errorf("the button says %q, want the wiki's %q", pl.ButtonText, lc.button)
				}
				if !pl.HasJoin || !pl.HasHelp || pl.HasReset || !pl.HeaderLogo {
					t.Errorf("links: join %v, help %v, password reset %v (the test wiki sends no e-mail); logo shown %v", pl.HasJoin, pl.HasHelp, pl.HasReset, pl.HeaderLogo)
				}
				b.wantText(lc.join)
				b.button(lc.sso) // the provider's own label, in the page's language
				// The form reads from the start of the line: the left in
				// English and Japanese, the right in Arabic.
				if lc.dir == "rtl" {
					if d := pl.FormRight - pl.LabelRight; d > 1 || pl.LabelLeft-pl.FormLeft < 20 {
						t.Errorf("right to left: the label spans %.0f–%.0f in a form of %.0f–%.0f; want it against the right edge", pl.LabelLeft, pl.LabelRight, pl.FormLeft, pl.FormRight)
					}
				} else if d := pl.LabelLeft - pl.FormLeft; d > 1 || pl.FormRight-pl.LabelRight < 20 {
					t.Errorf("left to right: the label spans %.0f–%.0f in a form of %.0f–%.0f; want it against the left edge", pl.LabelLeft, pl.LabelRight, pl.FormLeft, pl.FormRight)
				}
				b.checkA11y(lc.lang + " login form at " + fmt.Sprint(width))
				b.screenshot(shot("login"))
				b.checkPhoneWidth(lc.lang+" login form", "")
				b.viewport(width, 800) // checkPhoneWidth leaves the desktop's

				b.passwordLogin2(testwiki.AliceUser, "wrong-password-xyz", lc.button)
				b.wantHeading(lc.login)
				if a := b.alert(); !strings.Contains(strings.Join(strings.Fields(a), " "), strings.Join(strings.Fields(lc.wrong), " ")) {
					t.Fatalf("alert %q, want the wiki's %q", a, lc.wrong)
				}
				if pl := b.pageLanguage(); pl.Lang != lc.lang || pl.Dir != lc.dir {
					t.Errorf("after a failure: lang %q dir %q", pl.Lang, pl.Dir)
				}
				b.checkA11y(lc.lang + " failure at " + fmt.Sprint(width))
				b.screenshot(shot("login-error"))

				b.fill("password", testwiki.AlicePassword)
				b.press(lc.button)
				b.wantHeading(lc.signedIn)
				b.wantText(lc.done, testwiki.AliceUser)
				if pl := b.pageLanguage(); pl.Lang != lc.lang || pl.Dir != lc.dir {
					t.Errorf("signed in: lang %q dir %q", pl.Lang, pl.Dir)
				}
				b.checkA11y(lc.lang + " signed-in page at " + fmt.Sprint(width))
				b.screenshot(shot("signed-in"))
				b.press(lc.logout)
				b.wantHeading(lc.login)
			})
		}
	}
}

// TestChromiumAcceptLanguage: with no uselang, the browser's languages
// choose, as in MediaWiki.
func TestChromiumAcceptLanguage(t *testing.T) {
	b := newTab(t, realWiki)
	if _, err := chromedp.Call(b.ctx, network.SetExtraHTTPHeaders, network.SetExtraHTTPHeadersParams{
		Headers: network.Headers{"Accept-Language": "ja,en;q=0.5"}}); err != nil {
		t.Fatal(err)
	}
	b.open("/")
	b.wantHeading("ログイン")
	if pl := b.pageLanguage(); pl.Lang != "ja" {
		t.Errorf("lang %q", pl.Lang)
	}
	// No uselang: our URLs do not pin the language.
	var action string
	if err := b.eval(`document.querySelector('form.step').getAttribute('action')`, &action); err != nil || strings.Contains(action, "uselang") {
		t.Errorf("the form posts to %q (%v)", action, err)
	}
	b.passwordLogin2(testwiki.AliceUser, "wrong-password-xyz", "ログイン")
	if a := b.alert(); !strings.Contains(a, "利用者名またはパスワードが間違っています") {
		t.Errorf("alert %q", a)
	}
}

// passwordLogin2 fills the login form and presses the button labelled
// button (the login button in the page's language).
func (b *tab) passwordLogin2(user, password, button string) {
	b.t.Helper()
	b.fill("username", user)
	b.fill("password", password)
	b.press(button)
}
