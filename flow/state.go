// Package flow is the clientlogin state machine: plain Go, no HTTP. It
// takes what a browser submitted, drives the wiki through mwclient, and
// answers what the browser must see next. One State is one browser's login
// in progress, with its own wiki session.
package flow

import (
	"crypto/rand"
	"encoding/base64"
	"time"

	"github.com/mwlogin/mwlogin/mwclient"
)

// Stage is where a login stands.
type Stage string

const (
	// StageStart shows the login form built from meta=authmanagerinfo.
	StageStart Stage = "start"
	// StageContinue shows the fields of a UI answer (2FA code, ...).
	StageContinue Stage = "continue"
	// StageRedirect waits for the browser to come back from a third party.
	StageRedirect Stage = "redirect"
	// StageRestart shows a RESTART message and offers to start again.
	StageRestart Stage = "restart"
)

// Tone says how to present the wiki's message.
type Tone string

const (
	ToneInfo  Tone = "info"
	ToneError Tone = "error"
)

// State is one browser's login in progress. It is stored between requests
// (server-side, encrypted) and never holds a password or any field the wiki
// marks sensitive.
type State struct {
	// ID names the flow for its whole life (logs, metrics).
	ID       string             `json:"id"`
	Stage    Stage              `json:"stage"`
	Requests []mwclient.Request `json:"requests,omitempty"` // what the current step shows
	// Message is the wiki's message as HTML, not yet sanitized; MessageCode
	// is its key. Notice is one of ours (a Notice constant).
	Message     string `json:"message,omitempty"`
	MessageCode string `json:"messageCode,omitempty"`
	Tone        Tone   `json:"tone,omitempty"`
	Notice      Notice `json:"notice,omitempty"`
	// Values re-fills non-sensitive fields (the user name) when a step
	// comes back after a wrong answer.
	Values map[string][]string `json:"values,omitempty"`
	// Remember: the login form asked the wiki to keep the user logged in
	// ("Keep me logged in"), and our session lasts as long.
	Remember bool `json:"remember,omitempty"`
	// Cookies and Token are this flow's own wiki session; the token is only
	// known once the wiki session exists.
	Cookies []mwclient.Cookie `json:"cookies,omitempty"`
	Token   string            `json:"token,omitempty"`
	// Step names the form shown now. A form posted with another step is
	// stale (from an old tab), unless it is Answered, the step just
	// answered (the same form posted twice).
	Step     string `json:"step"`
	Answered string `json:"answered,omitempty"`
	// Nonce travels in loginreturnurl and must come back with a REDIRECT's
	// return; it is only accepted in StageRedirect.
	Nonce string `json:"nonce,omitempty"`
	// RedirectTarget is where the wiki sent the browser.
	RedirectTarget string `json:"redirectTarget,omitempty"`
	// PreserveState asks the next start to use loginpreservestate.
	PreserveState bool `json:"preserveState,omitempty"`
	// Lang is the language the wiki is asked to answer in; LangChosen
	// tells that the user chose it (uselang), so that it travels with
	// loginreturnurl.
	Lang       string    `json:"lang,omitempty"`
	LangChosen bool      `json:"langChosen,omitempty"`
	Started    time.Time `json:"started"`
}

// Notice is a message of our own, shown with the step.
type Notice string

const (
	NoticeNone Notice = ""
	// NoticeExpired: the wiki forgot the login (session expired).
	NoticeExpired Notice = "expired"
	// NoticeLost: a step was posted for a flow we no longer have: our
	// store lost it (a Redis restarted empty) or the flow's lifetime ran
	// out here. The wiki is not to blame.
	NoticeLost Notice = "lost"
	// NoticeStale: the form was submitted twice or is out of date.
	NoticeStale Notice = "stale"
	// NoticeRestarted: the user chose to start over.
	NoticeRestarted Notice = "restarted"
	// NoticeDenied: the identity provider sent the user back refusing
	// the sign-in (error=access_denied): the user cancelled there.
	NoticeDenied Notice = "denied"
)

// User is a signed-in user: the name the wiki confirmed and the wiki
// session that proves it.
type User struct {
	Name     string            `json:"name"`
	Cookies  []mwclient.Cookie `json:"cookies,omitempty"`
	SignedIn time.Time         `json:"signedIn"`
	// Remember: the user asked to stay logged in, and the wiki keeps
	// the session for its remembered lifetime.
	Remember bool `json:"remember,omitempty"`
	// Checked is when the wiki last confirmed the session on request
	// (assert=user), with what it said then; zero until the first check.
	Checked   time.Time `json:"checked,omitzero"`
	ID        int       `json:"id,omitempty"`
	EditCount int       `json:"editCount,omitempty"`
	Groups    []string  `json:"groups,omitempty"`
}

// Confirmed is when the wiki last vouched for the session: the PASS or the
// last check, whichever came later.
func (u *User) Confirmed() time.Time {
	if u.Checked.After(u.SignedIn) {
		return u.Checked
	}
	return u.SignedIn
}

func randomID() string {
	b := make([]byte, 18)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}
