package testwiki

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// apiClient is a minimal MediaWiki Action API client (just what the helpers
// and the package's own tests need; the app has its own in mwclient).
type apiClient struct {
	url  string
	http *http.Client
}

func newClient(apiURL string) *apiClient {
	return &apiClient{url: apiURL, http: NewHTTPClient()}
}

// answer is a decoded API answer, with its raw bytes.
type answer struct {
	raw []byte
	m   map[string]any
}

// get walks the decoded JSON: get("clientlogin", "status").
func (a answer) get(path ...string) any {
	var v any = a.m
	for _, p := range path {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[p]
	}
	return v
}

func (a answer) str(path ...string) string {
	s, _ := a.get(path...).(string)
	return s
}

func (a answer) status() string { return a.str("clientlogin", "status") }

func (a answer) String() string { return string(a.raw) }

// do sends one request: GET if post is nil, else POST (form encoded).
// format=json is added to params.
func (c *apiClient) do(ctx context.Context, params url.Values, post url.Values) (answer, error) {
	q := url.Values{}
	for k, v := range params {
		q[k] = v
	}
	if q.Get("format") == "" {
		q.Set("format", "json")
	}
	var req *http.Request
	var err error
	if post == nil {
		req, err = http.NewRequestWithContext(ctx, http.MethodGet, c.url+"?"+q.Encode(), nil)
	} else {
		req, err = http.NewRequestWithContext(ctx, http.MethodPost, c.url+"?"+q.Encode(), strings.NewReader(post.Encode()))
		if err == nil {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
	}
	if err != nil {
		return answer{}, err
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return answer{}, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return answer{}, err
	}
	if resp.StatusCode != http.StatusOK {
		return answer{raw: raw}, fmt.Errorf("testwiki: API HTTP %d: %s", resp.StatusCode, raw)
	}
	a := answer{raw: raw}
	if err := json.Unmarshal(raw, &a.m); err != nil {
		return a, fmt.Errorf("testwiki: API answer is not JSON: %v: %.300s", err, raw)
	}
	return a, nil
}

// token fetches a token of the given type (login, csrf) with formatversion=2.
func (c *apiClient) token(ctx context.Context, typ string) (string, error) {
	a, err := c.do(ctx, url.Values{"action": {"query"}, "meta": {"tokens"}, "type": {typ}, "formatversion": {"2"}}, nil)
	if err != nil {
		return "", err
	}
	t := a.str("query", "tokens", typ+"token")
	if t == "" {
		return "", fmt.Errorf("testwiki: no %s token in %s", typ, a)
	}
	return t, nil
}

// clientLogin posts action=clientlogin (formatversion=2,
// loginmessageformat=html, loginmergerequestfields=1) with a fresh login
// token and the given fields.
func (c *apiClient) clientLogin(ctx context.Context, fields url.Values) (answer, error) {
	tok, err := c.token(ctx, "login")
	if err != nil {
		return answer{}, err
	}
	post := url.Values{
		"action":                  {"clientlogin"},
		"formatversion":           {"2"},
		"loginmessageformat":      {"html"},
		"loginmergerequestfields": {"1"},
		"logintoken":              {tok},
	}
	for k, v := range fields {
		post[k] = v
	}
	return c.do(ctx, nil, post)
}

// authManagerInfo gets meta=authmanagerinfo&amirequestsfor=login&amimergerequestfields=1.
func (c *apiClient) authManagerInfo(ctx context.Context, extra url.Values) (answer, error) {
	q := url.Values{
		"action":                {"query"},
		"meta":                  {"authmanagerinfo"},
		"amirequestsfor":        {"login"},
		"amimergerequestfields": {"1"},
		"formatversion":         {"2"},
	}
	for k, v := range extra {
		q[k] = v
	}
	return c.do(ctx, q, nil)
}

// requestIDs lists the "id" of each request in an authmanagerinfo or
// clientlogin answer part (the map holding "requests").
func requestIDs(part any) []string {
	m, _ := part.(map[string]any)
	reqs, _ := m["requests"].([]any)
	var ids []string
	for _, r := range reqs {
		if rm, ok := r.(map[string]any); ok {
			if id, ok := rm["id"].(string); ok {
				ids = append(ids, id)
			}
		}
	}
	return ids
}
