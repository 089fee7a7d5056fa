package mwclient

import (
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// Cookie is one wiki cookie in a form that can be stored and restored,
// which net/http/cookiejar does not allow.
type Cookie struct {
	Name  string `json:"name"`
	Value string `json:"value"`
	Path  string `json:"path,omitempty"`
	// Expires is zero for a session cookie. The jar keeps it in whole
	// seconds and UTC, so that a cookie read back from JSON is equal to the
	// one saved.
	Expires  time.Time `json:"expires,omitzero"`
	Secure   bool      `json:"secure,omitempty"`
	HttpOnly bool      `json:"httpOnly,omitempty"`
}

// Jar is the http.CookieJar of one wiki session, kept instead of
// net/http/cookiejar because its cookies can be saved between requests and
// restored. A Client only ever talks to one host, so the jar keys cookies by
// name and path and ignores domains. It is safe for concurrent use.
type Jar struct {
	mu      sync.Mutex
	cookies []Cookie
	changed bool
	now     func() time.Time
}

// NewJar returns a jar holding a copy of cookies, as returned by Saved.
func NewJar(cookies []Cookie) *Jar {
	j := &Jar{now: time.Now}
	j.cookies = append(j.cookies, cookies...)
	return j
}

// SetCookies implements http.CookieJar.
func (j *Jar) SetCookies(_ *url.URL, cookies []*http.Cookie) {
	j.mu.Lock()
	defer j.mu.Unlock()
	now := j.now()
	for _, hc := range cookies {
		c := Cookie{Name: hc.Name, Value: hc.Value, Path: hc.Path, Secure: hc.Secure, HttpOnly: hc.HttpOnly}
		if c.Path == "" || c.Path[0] != '/' {
			c.Path = "/"
		}
		switch {
		case hc.MaxAge < 0:
			c.Expires = now.Add(-time.Second)
		case hc.MaxAge > 0:
			// Whole seconds, as HTTP has them: shorter when stored.
			c.Expires = now.Add(time.Duration(hc.MaxAge) * time.Second).Truncate(time.Second).UTC()
		case !hc.Expires.IsZero():
			c.Expires = hc.Expires.Truncate(time.Second).UTC()
		}
		j.put(c, now)
	}
}

func (j *Jar) put(c Cookie, now time.Time) {
	expired := !c.Expires.IsZero() && !c.Expires.After(now)
	for i := range j.cookies {
		if j.cookies[i].Name == c.Name && j.cookies[i].Path == c.Path {
			if expired {
				j.cookies = append(j.cookies[:i], j.cookies[i+1:]...)
				j.changed = true
			} else if old := j.cookies[i]; old.Value != c.Value || !old.Expires.Equal(c.Expires) ||
				old.Secure != c.Secure || old.HttpOnly != c.HttpOnly {
				j.cookies[i] = c
				j.changed = true
			}
			return
		}
	}
	if !expired {
		j.cookies = append(j.cookies, c)
		j.changed = true
	}
}

// Changed reports whether SetCookies added, changed or removed a cookie
// since NewJar: a cookie set again as it was is no change.
func (j *Jar) Changed() bool {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.changed
}

// Cookies implements http.CookieJar.
func (j *Jar) Cookies(u *url.URL) []*http.Cookie {
	j.mu.Lock()
	defer j.mu.Unlock()
	now := j.now()
	path := u.Path
	if path == "" {
		path = "/"
	}
	var out []*http.Cookie
	for _, c := range j.cookies {
		if !c.Expires.IsZero() && !c.Expires.After(now) {
			continue
		}
		if c.Secure && u.Scheme != "https" {
			continue
		}
		if !pathMatch(c.Path, path) {
			continue
		}
		out = append(out, &http.Cookie{Name: c.Name, Value: c.Value})
	}
	return out
}

// Saved returns the live cookies, for storing the session between requests.
func (j *Jar) Saved() []Cookie {
	j.mu.Lock()
	defer j.mu.Unlock()
	now := j.now()
	out := make([]Cookie, 0, len(j.cookies))
	for _, c := range j.cookies {
		if c.Expires.IsZero() || c.Expires.After(now) {
			out = append(out, c)
		}
	}
	return out
}

// pathMatch is RFC 6265 section 5.1.4.
func pathMatch(cookiePath, reqPath string) bool {
	if cookiePath == reqPath {
		return true
	}
	if !strings.HasPrefix(reqPath, cookiePath) {
		return false
	}
	return strings.HasSuffix(cookiePath, "/") || reqPath[len(cookiePath)] == '/'
}
