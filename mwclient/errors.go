package mwclient

import (
	"errors"
	"fmt"
	"slices"
)

// APIError is an error the wiki answered in the body of an Action API
// response: {"errors":[{"code":...,"text":...,"module":...}]}, or the
// older {"error":{"code":...,"info":...}}, whose info is read as Text.
// Callers branch on Code, most simply with errors.Is against one of the
// sentinels below.
type APIError struct {
	Code   string
	Text   string // plain text in the requested language (errorformat=plaintext)
	Module string
}

func (e *APIError) Error() string {
	if e.Text == "" {
		return "mediawiki api: " + e.Code
	}
	return fmt.Sprintf("mediawiki api: %s: %s", e.Code, e.Text)
}

// Is makes errors.Is(err, ErrBadToken) true for any APIError with that code,
// whatever its text or language, and errors.Is(err, ErrNotLoggedIn) and
// errors.Is(err, ErrPermissionDenied) true for each code of their family.
func (e *APIError) Is(target error) bool {
	t, ok := target.(*APIError)
	return ok && (t.Code == e.Code || slices.Contains(families[t.Code], e.Code))
}

// Sentinels for the API error codes callers of this package branch on.
var (
	ErrBadToken       = &APIError{Code: "badtoken"}
	ErrMissingParam   = &APIError{Code: "missingparam"}
	ErrMustPostParams = &APIError{Code: "mustpostparams"}
	// ErrAssertUserFailed: assert=user, and the session is not logged in.
	ErrAssertUserFailed = &APIError{Code: "assertuserfailed"}
	// ErrAssertNamedUserFailed: assertuser=NAME, and the session is not
	// NAME's (logged out, or someone else).
	ErrAssertNamedUserFailed = &APIError{Code: "assertnameduserfailed"}
	ErrAssertBotFailed       = &APIError{Code: "assertbotfailed"}
	ErrReadOnly              = &APIError{Code: "readonly"}
	ErrRateLimited           = &APIError{Code: "ratelimited"}
	// ErrNotLoggedIn matches notloggedin, assertuserfailed and
	// assertnameduserfailed: whichever way the wiki says it, the session is
	// not (or no longer) the user's, and they must sign in again.
	ErrNotLoggedIn = &APIError{Code: "notloggedin"}
	// ErrPermissionDenied matches the codes of a user who may not do
	// this: permissiondenied, protectedpage, cascadeprotected,
	// protectednamespace, protectednamespace-interface, customcssprotected,
	// customjsprotected, customjsonprotected, cantcreate, cantcreate-anon,
	// noedit, noedit-anon, writeapidenied, readapidenied.
	ErrPermissionDenied = &APIError{Code: "permissiondenied"}
	// ErrMaxLag: the wiki's replicas lag more than the maxlag asked for.
	// It is returned once Options.Retries are spent.
	ErrMaxLag = &APIError{Code: "maxlag"}
)

// families are the codes a sentinel matches besides its own.
var families = map[string][]string{
	"notloggedin": {"assertuserfailed", "assertnameduserfailed"},
	"permissiondenied": {"protectedpage", "cascadeprotected", "protectednamespace",
		"protectednamespace-interface", "customcssprotected", "customjsprotected",
		"customjsonprotected", "cantcreate", "cantcreate-anon", "noedit", "noedit-anon",
		"writeapidenied", "readapidenied"},
}

// HTTPError is a response whose HTTP status was not 200: a wiki behind a
// failing proxy, a maintenance page, an overloaded server.
type HTTPError struct {
	StatusCode int
	Status     string
}

func (e *HTTPError) Error() string {
	return "mediawiki api: unexpected HTTP status " + e.Status
}

// DecodeError is a response that was not the JSON the Action API speaks:
// an HTML error page, a truncated body, garbage.
type DecodeError struct {
	ContentType string
	Err         error
}

func (e *DecodeError) Error() string {
	return fmt.Sprintf("mediawiki api: response is not valid API JSON (content type %q): %v", e.ContentType, e.Err)
}

func (e *DecodeError) Unwrap() error { return e.Err }

// ErrResponseTooLarge is returned when a response body exceeds the client's
// limit; it is wrapped in a DecodeError.
var ErrResponseTooLarge = errors.New("response body too large")

// TransportError is a failure to exchange a request with the wiki at all:
// connection refused, DNS, TLS, a timeout. errors.Is(err,
// context.DeadlineExceeded) works through it.
type TransportError struct {
	Action string
	Err    error
}

func (e *TransportError) Error() string {
	return fmt.Sprintf("mediawiki api: %s: %v", e.Action, e.Err)
}

func (e *TransportError) Unwrap() error { return e.Err }

// LoginError is an unsuccessful action=login (bot password) result. Match it
// with errors.Is against ErrLoginFailed, ErrWrongToken, ErrNeedToken or
// ErrLoginAborted.
type LoginError struct {
	Result string // "Failed", "WrongToken", "NeedToken", "Aborted", ...
	Reason string
}

func (e *LoginError) Error() string {
	if e.Reason == "" {
		return "mediawiki login: " + e.Result
	}
	return fmt.Sprintf("mediawiki login: %s: %s", e.Result, e.Reason)
}

func (e *LoginError) Is(target error) bool {
	t, ok := target.(*LoginError)
	return ok && t.Result == e.Result
}

var (
	ErrLoginFailed  = &LoginError{Result: "Failed"}
	ErrWrongToken   = &LoginError{Result: "WrongToken"}
	ErrNeedToken    = &LoginError{Result: "NeedToken"}
	ErrLoginAborted = &LoginError{Result: "Aborted"}
)
