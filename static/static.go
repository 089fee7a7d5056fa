// Package static holds the stylesheet and the two small scripts of the
// login pages, served under the mount prefix at /static/.
package static

import "embed"

// FS holds the static files.
//
//go:embed *.css *.js
var FS embed.FS
