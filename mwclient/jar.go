package mwclient

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// Cookie is one wiki cookie in a form that can be stored and restored,
// which net/http/cookiejar does not allow.
type Cookie struct {
	Name     string
	Value    string
	Path     string
	Expires  time.Time // zero for a session cookie; whole seconds
	Secure   bool
	HttpOnly bool
}

// Cookie flags in the JSON form.
const (
	cookieSecure = 1 << iota
	cookieHTTPOnly
)

// MarshalJSON writes a cookie as an array, [name, value, path, expires
// (Unix seconds, 0 for a session cookie), flags (1 Secure, 2 HttpOnly)]:
// every signed-in user's stored session holds the wiki's cookies, and as
// arrays they take half the room of objects.
func (c Cookie) MarshalJSON() ([]byte, error) {
	var exp int64
	if !c.Expires.IsZero() {
		exp = c.Expires.Unix()
	}
	flags := 0
	if c.Secure {
		flags |= cookieSecure
	}
	if c.HttpOnly {
		flags |= cookieHTTPOnly
	}
	return json.Marshal([5]any{c.Name, c.Value, c.Path, exp, flags})
}

// UnmarshalJSON reads the array form, or an object with the field names.
func (c *Cookie) UnmarshalJSON(data []byte) error {
	if len(data) == 0 || data[0] != '[' {
		type object Cookie // without these methods
		return json.Unmarshal(data, (*object)(c))
	}
	var a []any
	if err := json.Unmarshal(data, &a); err != nil {
		return err
	}
	name, ok1 := elem[string](a, 0)
	value, ok2 := elem[string](a, 1)
	path, ok3 := elem[string](a, 2)
	exp, ok4 := elem[float64](a, 3)
	flags, ok5 := elem[float64](a, 4)
	if len(a) != 5 || !ok1 || !ok2 || !ok3 || !ok4 || !ok5 {
		return fmt.Errorf("mwclient: a cookie must be [name, value, path, expires, flags], not %s", data)
	}
	*c = Cookie{Name: name, Value: value, Path: path,
		Secure: int(flags)&cookieSecure != 0, HttpOnly: int(flags)&cookieHTTPOnly != 0}
	if exp != 0 {
		c.Expires = time.Unix(int64(exp), 0).UTC()
	}
	return nil
}

func elem[T any](a []any, i int) (T, bool) {
	var zero T
	if i >= len(a) {
		return zero, false
	}
	v, ok := a[i].(T)
	return v, ok
}

// Jar is the cookie jar of one wiki session. A Client only ever talks to one
// host, so the jar keys cookies by name and path and ignores domains. It is
// safe for concurrent use.
type Jar struct {
	mu      sync.Mutex
	cookies []Cookie
	now     func() time.Time
}

// NewJar returns a jar holding a copy of cookies, as saved by Cookies.
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
			c.Expires = now.Add(time.Duration(hc.MaxAge) * time.Second).Truncate(time.Second)
		case !hc.Expires.IsZero():
			c.Expires = hc.Expires
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
			} else {
				j.cookies[i] = c
			}
			return
		}
	}
	if !expired {
		j.cookies = append(j.cookies, c)
	}
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
