package handlers

import (
	"math"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"golang.org/x/text/unicode/norm"

	"github.com/mwlogin/mwlogin/flow"
	"github.com/mwlogin/mwlogin/internal/ratelimit"
	"github.com/mwlogin/mwlogin/mwclient"
)

// attempt is a post of the login form let through the failure limits:
// counted in advance as a failure (see ratelimit.Reserve) until settle
// learns what the wiki answered.
type attempt struct {
	client        string // the client's addressKey
	user, address ratelimit.Reservation
}

// admit checks the failure limits before a login form goes to the wiki,
// answering 429 itself (and returning false) when one of them is reached.
// Later steps of a flow pass untouched, so that a limit reached meanwhile
// never cuts off a login already under way.
func (a *App) admit(c *gin.Context, st *flow.State, step string) (attempt, bool) {
	at := attempt{client: addressKey(c.ClientIP())}
	if !flow.NewLogin(st, step) {
		return at, true
	}
	name := strings.TrimSpace(c.PostForm("username"))
	if name != "" {
		r, wait, ok := a.userLimit.Reserve(userLimitKey(at.client, name))
		if !ok {
			sp := a.speech(c)
			a.refuse(c, "user", wait, errorView{
				Message: m("limit-user", "Name", name),
				Detail: m("limit-user-detail", "Max", a.opts.LoginFailuresPerUser,
					"Window", sp.duration(a.opts.LoginUserWindow), "Wait", sp.duration(wait))},
				m("limit-user-busy", "Name", name))
			return at, false
		}
		at.user = r
	}
	r, wait, ok := a.addrLimit.Reserve(at.client)
	if !ok {
		at.user.Cancel()
		sp := a.speech(c)
		a.refuse(c, "address", wait, errorView{
			Message: m("limit-address"),
			Detail: m("limit-address-detail", "Max", a.opts.LoginFailuresPerAddress,
				"Window", sp.duration(a.opts.LoginAddressWindow), "Wait", sp.duration(wait))},
			m("limit-address-busy"))
		return at, false
	}
	at.address = r
	return at, true
}

// settle counts the attempt as a failure if the wiki answered FAIL, and
// takes it back otherwise. A success also clears the user's failures from
// this address, as MediaWiki does, so that a few typos do not stay against
// someone who then got in.
func (a *App) settle(at attempt, out flow.Outcome, err error) {
	if err == nil && out.Status == mwclient.StatusFail {
		at.user.Fail()
		at.address.Fail()
		return
	}
	at.user.Cancel()
	at.address.Cancel()
	if err == nil && out.Kind == flow.Pass {
		a.userLimit.Reset(userLimitKey(at.client, out.User.Name))
	}
}

// busyRetry is when to try again after a refusal that attempts still
// under way made up: most of them will have their answer by then.
const busyRetry = 5 * time.Second

// refuse answers a login form over a limit: 429 with Retry-After, and a
// page that says which limit and when to try again. A zero wait means the
// limit is made up by attempts still under way, which may yet succeed;
// busy then says so. The wiki is not asked.
func (a *App) refuse(c *gin.Context, limit string, wait time.Duration, ev errorView, busy msg) {
	if wait == 0 {
		limit, wait = limit+" (attempts under way)", busyRetry
		ev = errorView{Message: busy, Detail: m("limit-busy-detail")}
	}
	secs := int(math.Ceil(wait.Seconds()))
	a.log.WarnContext(c.Request.Context(), "login refused: too many failures", "limit", limit,
		"client", c.ClientIP(), "user", strings.TrimSpace(c.PostForm("username")), "retry_after_s", secs)
	c.Header("Retry-After", strconv.Itoa(secs))
	a.errorPage(c, http.StatusTooManyRequests, ev)
}

// addressKey is what the address limits count by: an IPv4 address, or the
// /64 network of an IPv6 address, since one household or office usually
// gets a whole /64 and can pick any address in it.
func addressKey(ip string) string {
	addr, err := netip.ParseAddr(ip)
	if err != nil {
		return ip
	}
	addr = addr.Unmap().WithZone("")
	if addr.Is6() {
		p, _ := addr.Prefix(64)
		return p.String()
	}
	return addr.String()
}

// userLimitKey names a user name's failures from one address.
func userLimitKey(addr, name string) string { return addr + "\x00" + foldName(name) }

// foldName folds the spellings of a user name that the wiki may take for
// one account: MediaWiki reads "_" as a space, trims and collapses spaces,
// normalises to NFC and capitalises the first letter. Lower-casing the
// whole name is coarser, so no spelling escapes the count.
func foldName(name string) string {
	name = norm.NFC.String(strings.ReplaceAll(name, "_", " "))
	name = strings.ToLower(strings.Join(strings.Fields(name), " "))
	if len(name) > maxNameBytes {
		name = name[:maxNameBytes]
	}
	return name
}

// maxNameBytes is MediaWiki's longest user name ($wgMaxNameChars); it
// bounds the limiter's keys.
const maxNameBytes = 255

// duration says a duration as people do, in the page's language, rounded up: "40 seconds",
// "5 minutes", "1 hour".
func (sp *speech) duration(d time.Duration) string {
	id, n := "duration-seconds", int(math.Ceil(d.Seconds()))
	switch {
	case d >= time.Hour && d%time.Hour == 0:
		id, n = "duration-hours", int(d/time.Hour)
	case d >= time.Minute:
		id, n = "duration-minutes", int(math.Ceil(d.Minutes()))
	}
	return sp.text(id, "Count", n)
}
