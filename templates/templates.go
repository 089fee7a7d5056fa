// Package templates holds the default HTML templates of the login pages.
// A host application can override any of them (see handlers.Options).
package templates

import "embed"

// FS holds layout.html, the page templates and the field partials.
//
//go:embed *.html
var FS embed.FS
