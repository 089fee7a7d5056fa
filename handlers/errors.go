package handlers

import (
	"context"
	"errors"
	"net/http"

	"github.com/mwlogin/mwlogin/flow"
	"github.com/mwlogin/mwlogin/mwclient"
)

// describe turns an error from the flow or the wiki into what a person is
// told: a status, a sentence, and whether trying again may help. Nothing of
// what the user typed is ever part of it.
func describe(err error) (int, errorView) {
	var api *mwclient.APIError
	var he *mwclient.HTTPError
	var de *mwclient.DecodeError
	var te *mwclient.TransportError
	switch {
	case errors.Is(err, flow.ErrNoPendingRedirect):
		return http.StatusBadRequest, errorView{
			Message: "This browser has no sign-in waiting for a return from an identity provider.",
			Detail:  "The link may have been used already, opened in another browser, or the sign-in may have expired. Start again from the login page."}
	case errors.Is(err, flow.ErrStateMismatch):
		return http.StatusBadRequest, errorView{
			Message: "This return from the identity provider does not belong to your sign-in.",
			Detail:  "Nothing was signed in. Start again from the login page."}
	case errors.Is(err, flow.ErrBadRedirectTarget):
		return http.StatusBadGateway, errorView{
			Message: "The wiki asked to send you to an address that is not a web page, so we did not follow it."}
	case errors.Is(err, flow.ErrUnknownStatus):
		return http.StatusBadGateway, errorView{
			Message: "The wiki answered something this app does not understand.",
			Detail:  "Nothing was signed in. The wiki may be newer than this app; if it keeps happening, tell whoever runs this site.", Retry: true}
	case errors.Is(err, context.DeadlineExceeded):
		return http.StatusGatewayTimeout, errorView{
			Message: "The wiki took too long to answer.", Detail: "It may be busy. Nothing was lost; please try again in a moment.", Retry: true}
	case errors.As(err, &te):
		return http.StatusBadGateway, errorView{
			Message: "The wiki cannot be reached right now.", Detail: "Nothing was lost; please try again in a moment.", Retry: true}
	case errors.As(err, &he) && (he.StatusCode == http.StatusNotFound || he.StatusCode == http.StatusGone):
		// api.php is not there: the configured address is wrong (or the
		// wiki moved it), which waiting does not mend.
		return http.StatusBadGateway, errorView{
			Message: "This site is set up with a wrong address for the wiki: the wiki answered " + he.Status + ".",
			Detail:  "Signing in cannot work until that is fixed; please tell whoever runs this site."}
	case errors.As(err, &he):
		return http.StatusBadGateway, errorView{
			Message: "The wiki answered with an error (" + he.Status + ").", Detail: "Please try again in a moment.", Retry: true}
	case errors.As(err, &de):
		return http.StatusBadGateway, errorView{
			Message: "The wiki's answer could not be understood.", Detail: "It may be down for maintenance. Please try again in a moment.", Retry: true}
	case errors.Is(err, mwclient.ErrReadOnly):
		return http.StatusServiceUnavailable, errorView{Message: "The wiki is read-only at the moment, so nobody can log in.", Detail: api0(err), Retry: true}
	case errors.Is(err, mwclient.ErrRateLimited):
		return http.StatusTooManyRequests, errorView{Message: "Too many attempts. Please wait a few minutes, then try again.", Detail: api0(err), Retry: true}
	case errors.Is(err, mwclient.ErrBadToken):
		return http.StatusConflict, errorView{Message: "Your session with the wiki expired.", Detail: "Please start again.", Retry: true}
	case errors.Is(err, mwclient.ErrMustPostParams):
		return http.StatusInternalServerError, errorView{Message: "The wiki refused how the request was sent.", Detail: api0(err), Retry: true}
	case errors.As(err, &api):
		return http.StatusBadGateway, errorView{Message: "The wiki refused the request.", Detail: api.Text, Retry: true}
	case errors.Is(err, errStore):
		return http.StatusServiceUnavailable, errorView{Message: "Sign-in is unavailable: our session storage is not answering.", Detail: "Please try again in a moment.", Retry: true}
	}
	return http.StatusInternalServerError, errorView{Message: "Something went wrong on our side.", Detail: "Please try again.", Retry: true}
}

func api0(err error) string {
	var api *mwclient.APIError
	if errors.As(err, &api) {
		return api.Text
	}
	return ""
}

// errStore marks a failure of the session backend.
var errStore = errors.New("session store unavailable")
