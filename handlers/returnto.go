package handlers

import (
	"fmt"
	"net"
	"net/url"
	"strings"
)

// returnHost is a host the login page may send the browser back to by
// absolute URL: a lower-case name or IP literal, and a port ("" for the
// scheme's default).
type returnHost struct{ name, port string }

// parseReturnHost reads an Options.AllowedReturnHosts entry:
// "tool.example.org" or "tool.example.org:8443", nothing else.
func parseReturnHost(s string) (returnHost, error) {
	h := strings.ToLower(strings.TrimSpace(s))
	bad := fmt.Errorf("handlers: allowed return host %q must be a host name with an optional port, such as tool.example.org or tool.example.org:8443", s)
	if h == "" || !printableASCII(h) || strings.ContainsAny(h, "/\\@?#%") {
		return returnHost{}, bad
	}
	u, err := url.Parse("//" + h)
	if err != nil || u.Host != h || !hostName(u.Hostname()) || strings.HasSuffix(u.Hostname(), ".") {
		return returnHost{}, bad
	}
	if p := u.Port(); p != "" && !digits(p) || strings.HasSuffix(h, ":") {
		return returnHost{}, bad
	}
	return returnHost{name: u.Hostname(), port: u.Port()}, nil
}

// matches reports whether an absolute URL's host and port are this one:
// the same name, and the same port, a port left out being the scheme's
// default.
func (r returnHost) matches(u *url.URL) bool {
	def := map[string]string{"http": "80", "https": "443"}[u.Scheme]
	port := u.Port()
	if port == "" {
		port = def
	}
	want := r.port
	if want == "" {
		want = def
	}
	return strings.ToLower(u.Hostname()) == r.name && port == want
}

// hostName reports whether s is a DNS name in ASCII or an IP address.
func hostName(s string) bool {
	if net.ParseIP(s) != nil {
		return true
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '.') {
			return false
		}
	}
	return s != ""
}

// returnTo checks a requested return address: a local path (safeReturnTo),
// or an absolute URL on the public host or an allowed return host. It
// returns "" for anything else.
func (a *App) returnTo(s string) string {
	if rt := safeReturnTo(s); rt != "" {
		return rt
	}
	if u := a.absoluteReturnTo(s); u != nil {
		return s
	}
	return ""
}

// absoluteReturnTo parses an absolute return URL, or returns nil unless it
// is https (http too in development) on an allowed host, with nothing a
// browser could read another way: printable ASCII only (no backslash,
// space or control character, which browsers drop or turn into a slash),
// no user info, no escapes in the host, no IDN (an allowed host is given
// in ASCII, so a look-alike never matches anyway).
func (a *App) absoluteReturnTo(s string) *url.URL {
	if s == "" || len(s) > 2048 || !printableASCII(s) || strings.ContainsRune(s, '\\') {
		return nil
	}
	u, err := url.Parse(s)
	if err != nil || u.Opaque != "" || u.User != nil || u.Host == "" {
		return nil
	}
	if u.Scheme != "https" && (u.Scheme != "http" || !a.opts.InsecureCookies) {
		return nil
	}
	// The authority exactly as written: url.Parse decodes escapes in it
	// and tolerates forms browsers read differently.
	rest, ok := strings.CutPrefix(strings.ToLower(s), u.Scheme+"://")
	if !ok {
		return nil
	}
	if i := strings.IndexAny(rest, "/?#"); i >= 0 {
		rest = rest[:i]
	}
	if rest != strings.ToLower(u.Host) || strings.ContainsAny(rest, "%@") || strings.HasSuffix(rest, ":") {
		return nil
	}
	if p := u.Port(); p != "" && !digits(p) {
		return nil
	}
	for _, h := range a.returnHosts {
		if h.matches(u) {
			return u
		}
	}
	return nil
}

// returnHostsFor lists the hosts absolute return URLs may point to: the
// public URL's host and the allowed ones.
func returnHostsFor(pub *url.URL, allowed []string) ([]returnHost, error) {
	self := returnHost{name: strings.ToLower(pub.Hostname()), port: pub.Port()}
	hosts := []returnHost{self}
	for _, s := range allowed {
		h, err := parseReturnHost(s)
		if err != nil {
			return nil, err
		}
		hosts = append(hosts, h)
	}
	return hosts, nil
}

func printableASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] >= 0x7f {
			return false
		}
	}
	return true
}

func digits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}
