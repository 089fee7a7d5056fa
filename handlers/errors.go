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
		return http.StatusBadRequest, errorView{Message: m("error-no-pending"), Detail: m("error-no-pending-detail")}
	case errors.Is(err, flow.ErrStateMismatch):
		return http.StatusBadRequest, errorView{Message: m("error-state"), Detail: m("error-state-detail")}
	case errors.Is(err, flow.ErrBadRedirectTarget):
		return http.StatusBadGateway, errorView{Message: m("error-bad-target")}
	case errors.Is(err, flow.ErrUnknownStatus):
		return http.StatusBadGateway, errorView{Message: m("error-unknown-status"), Detail: m("error-unknown-status-detail"), Retry: true}
	case errors.Is(err, context.DeadlineExceeded):
		return http.StatusGatewayTimeout, errorView{Message: m("error-timeout"), Detail: m("error-timeout-detail"), Retry: true}
	case errors.As(err, &te):
		return http.StatusBadGateway, errorView{Message: m("error-unreachable"), Detail: m("error-unreachable-detail"), Retry: true}
	case errors.As(err, &he) && (he.StatusCode == http.StatusNotFound || he.StatusCode == http.StatusGone):
		// api.php is not there: the configured address is wrong (or the
		// wiki moved it), which waiting does not mend.
		return http.StatusBadGateway, errorView{Message: m("error-wrong-address", "Status", he.Status), Detail: m("error-wrong-address-detail")}
	case errors.As(err, &he):
		return http.StatusBadGateway, errorView{Message: m("error-http", "Status", he.Status), Detail: m("error-try-moment"), Retry: true}
	case errors.As(err, &de):
		return http.StatusBadGateway, errorView{Message: m("error-undecodable"), Detail: m("error-undecodable-detail"), Retry: true}
	case errors.Is(err, mwclient.ErrReadOnly):
		return http.StatusServiceUnavailable, errorView{Message: m("error-readonly"), Detail: rawMsg(api0(err)), Retry: true}
	case errors.Is(err, mwclient.ErrRateLimited):
		return http.StatusTooManyRequests, errorView{Message: m("error-ratelimited"), Detail: rawMsg(api0(err)), Retry: true}
	case errors.Is(err, mwclient.ErrBadToken):
		return http.StatusConflict, errorView{Message: m("error-badtoken"), Detail: m("error-start-again"), Retry: true}
	case errors.Is(err, mwclient.ErrMustPostParams):
		return http.StatusInternalServerError, errorView{Message: m("error-mustpost"), Detail: rawMsg(api0(err)), Retry: true}
	case errors.As(err, &api):
		return http.StatusBadGateway, errorView{Message: m("error-refused"), Detail: rawMsg(api.Text), Retry: true}
	case errors.Is(err, errStore):
		return http.StatusServiceUnavailable, errorView{Message: m("error-store"), Detail: m("error-try-moment"), Retry: true}
	}
	return http.StatusInternalServerError, errorView{Message: m("error-internal"), Detail: m("error-internal-detail"), Retry: true}
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
