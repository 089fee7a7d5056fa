package handlers_test

import (
	"strings"
	"testing"
	"testing/fstest"

	"github.com/gin-gonic/gin"

	"github.com/mwlogin/mwlogin/handlers"
)

// TestOptionsCheckedAtStart: a mistake in Options is an error from
// NewHandler and Register, not a surprise at request time.
func TestOptionsCheckedAtStart(t *testing.T) {
	key := []byte("test-key-0123456789-0123456789-0123456789")
	tests := []struct {
		name    string
		prefix  string
		opts    func(*handlers.Options)
		wantErr string // "" for none
	}{
		{"defaults", "/auth", func(*handlers.Options) {}, ""},
		{"no client", "/auth", func(o *handlers.Options) { o.Client = nil }, "Client is required"},
		{"relative PublicURL", "/auth", func(o *handlers.Options) { o.PublicURL = "tool.example" }, "PublicURL"},
		{"plain HTTP PublicURL", "/auth", func(o *handlers.Options) { o.PublicURL = "http://tool.example" }, "plain HTTP"},
		{"plain HTTP for development", "/auth", func(o *handlers.Options) { o.PublicURL, o.InsecureCookies = "http://tool.example", true }, ""},
		{"no keys", "/auth", func(o *handlers.Options) { o.Keys = nil }, "key"},
		{"a short key", "/auth", func(o *handlers.Options) { o.Keys = [][]byte{key, []byte("0123456789012345678901234567890")} }, "key"},
		{"cookie path elsewhere", "/auth", func(o *handlers.Options) { o.CookiePath = "/tool" }, `does not cover the mount prefix "/auth/"`},
		{"cookie path a name's start", "/auth", func(o *handlers.Options) { o.CookiePath = "/au" }, "does not cover the mount prefix"},
		{"cookie path not a path", "/auth", func(o *handlers.Options) { o.CookiePath = "auth" }, "must be a path"},
		{"cookie path with an attribute", "/auth", func(o *handlers.Options) { o.CookiePath = "/; Domain=evil.example" }, "must be a path"},
		{"cookie path the prefix", "/auth", func(o *handlers.Options) { o.CookiePath = "/auth" }, ""},
		{"cookie path below the prefix", "/auth", func(o *handlers.Options) { o.CookiePath = "/auth/x" }, "does not cover the mount prefix"},
		{"cookie path at the root", "", func(o *handlers.Options) { o.CookiePath = "/" }, ""},
		{"protected path outside the default cookie path", "/auth", func(o *handlers.Options) { o.ProtectedPaths = []string{"/tool/"} },
			`does not cover the protected path "/tool/"`},
		{"protected path under a cookie path of /", "/auth", func(o *handlers.Options) { o.CookiePath, o.ProtectedPaths = "/", []string{"/tool/", "/me"} }, ""},
		{"protected path under the prefix", "/auth", func(o *handlers.Options) { o.ProtectedPaths = []string{"/auth/admin"} }, ""},
		{"protected path sharing the prefix's letters", "/auth", func(o *handlers.Options) { o.ProtectedPaths = []string{"/authority"} },
			`does not cover the protected path "/authority"`},
		{"one of two protected paths outside", "/tools", func(o *handlers.Options) {
			o.CookiePath, o.ProtectedPaths = "/tools", []string{"/tools/a", "/other"}
		}, `protected path "/other"`},
		{"protected path not a path", "/auth", func(o *handlers.Options) { o.CookiePath, o.ProtectedPaths = "/", []string{"tool"} }, "must be a path"},
		{"protected path with a query", "/auth", func(o *handlers.Options) { o.CookiePath, o.ProtectedPaths = "/", []string{"/tool?x=1"} }, "must be a path"},
		{"home URL not a URL of ours", "/auth", func(o *handlers.Options) { o.HomeURL = "javascript:alert(1)" }, "HomeURL"},
		{"a template without its block", "/auth", func(o *handlers.Options) {
			o.Templates = fstest.MapFS{"error.html": {Data: []byte(`<p>no block</p>`)}}
		}, `error.html must define "content"`},
		{"a template that does not parse", "/auth", func(o *handlers.Options) {
			o.Templates = fstest.MapFS{"signedin.html": {Data: []byte(`{{define "content"}}{{.User.Name}`)}}
		}, "signedin.html"},
	}
	for _, tt := range tests {
		for _, how := range []string{"NewHandler", "Register"} {
			t.Run(tt.name+"/"+how, func(t *testing.T) {
				opts := handlers.Options{Client: mustClient(t), PublicURL: "https://tool.example", Keys: [][]byte{key}}
				tt.opts(&opts)
				var err error
				if how == "NewHandler" {
					_, _, err = handlers.NewHandler(tt.prefix, opts)
				} else {
					_, err = handlers.Register(gin.New().Group(tt.prefix), opts)
				}
				switch {
				case tt.wantErr == "" && err != nil:
					t.Fatalf("refused: %v", err)
				case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
					t.Fatalf("err = %v, want one saying %q", err, tt.wantErr)
				}
			})
		}
	}
}
