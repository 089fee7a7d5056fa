package mwclient

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"
)

// InfoQuery selects what AuthManagerInfo asks for.
type InfoQuery struct {
	Lang string // uselang; empty for the wiki's default
	// MergeFields asks for amimergerequestfields: all fields in one list.
	MergeFields bool
	// LoginToken fetches a login token in the same round trip.
	LoginToken bool
}

// AuthManagerInfo fetches meta=authmanagerinfo&amirequestsfor=login with
// messages as HTML. Run it in the session that will log in: ConfirmEdit
// stores its captcha in the wiki session and shows it only here, never in
// a clientlogin answer.
func (s *Session) AuthManagerInfo(ctx context.Context, q InfoQuery) (*AuthManagerInfo, string, error) {
	p := url.Values{
		"action":           {"query"},
		"meta":             {"authmanagerinfo"},
		"amirequestsfor":   {"login"},
		"amimessageformat": {"html"},
	}
	if q.MergeFields {
		p.Set("amimergerequestfields", "1")
	}
	if q.LoginToken {
		p.Set("meta", "authmanagerinfo|tokens")
		p.Set("type", "login")
	}
	if q.Lang != "" {
		p.Set("uselang", q.Lang)
	}
	var r struct {
		Query struct {
			AuthManagerInfo *AuthManagerInfo  `json:"authmanagerinfo"`
			Tokens          map[string]string `json:"tokens"`
		} `json:"query"`
	}
	if err := s.Get(ctx, p, &r); err != nil {
		return nil, "", err
	}
	if r.Query.AuthManagerInfo == nil {
		return nil, "", &DecodeError{ContentType: "application/json", Err: errMissing("query.authmanagerinfo")}
	}
	tok := r.Query.Tokens["logintoken"]
	if q.LoginToken {
		if tok == "" {
			return nil, "", &DecodeError{ContentType: "application/json", Err: errMissing("query.tokens.logintoken")}
		}
		s.keepToken("login", tok)
	}
	return r.Query.AuthManagerInfo, tok, nil
}

// LoginParams is one clientlogin call.
type LoginParams struct {
	Token string
	// ReturnURL starts a login; it must be absolute. Leave it empty and set
	// Continue to continue after UI or REDIRECT.
	ReturnURL string
	Continue  bool
	// PreserveState asks the wiki to keep what it learnt from an earlier
	// attempt that ended in RESTART.
	PreserveState bool
	// Fields are the request fields (username, password, OATHToken, a
	// REDIRECT's return parameters...). They are always POSTed.
	Fields url.Values
	// Requests, if set, limits the wiki to these request ids.
	Requests []string
	Lang     string
	// MergeFields asks for loginmergerequestfields.
	MergeFields bool
}

// ClientLogin posts action=clientlogin. Every status, FAIL included, is a
// result; an error means the wiki refused the call (badtoken, missingparam,
// ...) or could not be reached. lp.Token is a login token (Token(ctx,
// "login")); after a PASS the session's cached tokens are dropped, since
// they belonged to the anonymous session.
func (s *Session) ClientLogin(ctx context.Context, lp LoginParams) (*LoginResult, error) {
	p := url.Values{}
	for k, v := range lp.Fields {
		p[k] = v
	}
	p.Set("action", "clientlogin")
	p.Set("logintoken", lp.Token)
	p.Set("loginmessageformat", "html")
	if lp.ReturnURL != "" {
		p.Set("loginreturnurl", lp.ReturnURL)
	}
	if lp.Continue {
		p.Set("logincontinue", "1")
	}
	if lp.PreserveState {
		p.Set("loginpreservestate", "1")
	}
	if lp.MergeFields {
		p.Set("loginmergerequestfields", "1")
	}
	if len(lp.Requests) > 0 {
		p.Set("loginrequests", strings.Join(lp.Requests, "|"))
	}
	if lp.Lang != "" {
		p.Set("uselang", lp.Lang)
	}
	var r struct {
		ClientLogin *LoginResult `json:"clientlogin"`
	}
	if err := s.Post(ctx, p, &r); err != nil {
		return nil, err
	}
	if r.ClientLogin == nil || r.ClientLogin.Status == "" {
		return nil, &DecodeError{ContentType: "application/json", Err: errMissing("clientlogin.status")}
	}
	if r.ClientLogin.Status == StatusPass {
		s.forgetTokens()
	}
	return r.ClientLogin, nil
}

// Assert is the assert parameter of a read.
type Assert string

const (
	AssertNone Assert = ""
	AssertUser Assert = "user"
	AssertBot  Assert = "bot"
)

// UserInfo fetches meta=userinfo with groups and edit count. With
// AssertUser, a session that is no longer logged in fails with
// ErrAssertUserFailed (and so ErrNotLoggedIn).
func (s *Session) UserInfo(ctx context.Context, assert Assert) (*UserInfo, error) {
	p := url.Values{"action": {"query"}, "meta": {"userinfo"}, "uiprop": {"groups|editcount"}}
	if assert != AssertNone {
		p.Set("assert", string(assert))
	}
	var r struct {
		Query struct {
			UserInfo *UserInfo `json:"userinfo"`
		} `json:"query"`
	}
	if err := s.Get(ctx, p, &r); err != nil {
		return nil, err
	}
	if r.Query.UserInfo == nil {
		return nil, &DecodeError{ContentType: "application/json", Err: errMissing("query.userinfo")}
	}
	return r.Query.UserInfo, nil
}

// Logout ends the wiki session (action=logout with a csrf token).
func (s *Session) Logout(ctx context.Context) error {
	err := s.PostWithToken(ctx, "csrf", url.Values{"action": {"logout"}}, nil)
	s.forgetTokens()
	return err
}

// BotLogin logs in with a bot password (action=login). name is
// "User@botname". A refusal is a *LoginError; match it with
// errors.Is(err, ErrLoginFailed) and its siblings.
func (s *Session) BotLogin(ctx context.Context, name, password string) (string, error) {
	tok, err := s.Token(ctx, "login")
	if err != nil {
		return "", err
	}
	var r struct {
		Login struct {
			Result   string          `json:"result"`
			Reason   json.RawMessage `json:"reason"`
			UserName string          `json:"lgusername"`
		} `json:"login"`
	}
	p := url.Values{"action": {"login"}, "lgname": {name}, "lgpassword": {password}, "lgtoken": {tok}}
	if err := s.Post(ctx, p, &r); err != nil {
		return "", err
	}
	switch r.Login.Result {
	case "Success":
		s.forgetTokens()
		return r.Login.UserName, nil
	case "":
		return "", &DecodeError{ContentType: "application/json", Err: errMissing("login.result")}
	}
	return "", &LoginError{Result: r.Login.Result, Reason: reasonText(r.Login.Reason)}
}

// reasonText reads action=login's reason, a string in the old error format
// and an object {code, text} in the others.
func reasonText(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var o struct {
		Text string `json:"text"`
		Code string `json:"code"`
	}
	if json.Unmarshal(raw, &o) == nil {
		if o.Text != "" {
			return o.Text
		}
		return o.Code
	}
	return ""
}

type errMissing string

func (e errMissing) Error() string { return "missing " + string(e) }

// Ping asks the wiki for its name (meta=siteinfo), to tell whether it
// answers as an API at all.
func (c *Client) Ping(ctx context.Context) error {
	var r struct {
		Query struct {
			General struct {
				SiteName string `json:"sitename"`
			} `json:"general"`
		} `json:"query"`
	}
	p := url.Values{"action": {"query"}, "meta": {"siteinfo"}, "siprop": {"general"}}
	if err := c.NewSession(nil).Get(ctx, p, &r); err != nil {
		return err
	}
	if r.Query.General.SiteName == "" {
		return &DecodeError{ContentType: "application/json", Err: errMissing("query.general.sitename")}
	}
	return nil
}

// Image fetches an image the wiki points to (a captcha), in this session,
// since the wiki only shows a captcha to the session it made it for. ref is
// resolved against the API URL and must stay on the wiki's host.
func (s *Session) Image(ctx context.Context, ref string) (contentType string, body []byte, err error) {
	u, same := s.c.Resolve(ref)
	if !same {
		return "", nil, fmt.Errorf("mwclient: image %q is not on the wiki's host", ref)
	}
	ctx, cancel := s.c.bound(ctx)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return "", nil, err
	}
	req.Header.Set("User-Agent", s.c.ua)
	resp, err := s.hc.Do(req)
	if err != nil {
		return "", nil, &TransportError{Action: "image", Err: err}
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return "", nil, &HTTPError{StatusCode: resp.StatusCode, Status: resp.Status}
	}
	ct := resp.Header.Get("Content-Type")
	if mt, _, _ := mime.ParseMediaType(ct); !strings.HasPrefix(mt, "image/") || mt == "image/svg+xml" {
		// SVG can carry script; no wiki captcha needs it.
		return "", nil, &DecodeError{ContentType: ct, Err: errMissing("an image")}
	}
	body, err = io.ReadAll(io.LimitReader(resp.Body, s.c.maxBytes+1))
	if err != nil {
		return "", nil, &TransportError{Action: "image", Err: err}
	}
	if int64(len(body)) > s.c.maxBytes {
		return "", nil, &DecodeError{ContentType: ct, Err: ErrResponseTooLarge}
	}
	return ct, body, nil
}
