package mwclient_test

import (
	"net/http/httptest"

	"github.com/mwlogin/mwlogin/internal/demowiki"
)

// The examples run against the demo wiki: apiURL is its api.php, and Alice
// logs in with alicePassword.
var (
	apiURL        = httptest.NewServer(demowiki.New()).URL + "/api.php"
	alicePassword = demowiki.Password
)
