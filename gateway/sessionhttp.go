package gateway

import (
	"net"
	"net/http"
	"strings"
)

// The HTTP checks the session handler applies as the SDK's handler does.

// hostAllowed is the SDK's DNS-rebinding check: on a loopback listener the
// Host header must be a loopback name too.
func hostAllowed(r *http.Request) bool {
	local, ok := r.Context().Value(http.LocalAddrContextKey).(net.Addr)
	if !ok || local == nil {
		return true
	}
	return !isLoopbackHost(local.String()) || isLoopbackHost(r.Host)
}

// accepts reads the Accept header values: whether they accept JSON and
// server-sent events. wildcards counts */*, application/* and text/* as
// the SDK's handlers do.
func accepts(values []string, wildcards bool) (jsonOK, streamOK bool) {
	for _, v := range values {
		for _, raw := range strings.Split(v, ",") {
			base, _, _ := strings.Cut(strings.TrimSpace(raw), ";")
			switch t := strings.ToLower(strings.TrimSpace(base)); {
			case t == "application/json", wildcards && t == "application/*":
				jsonOK = true
			case t == "text/event-stream", wildcards && t == "text/*":
				streamOK = true
			case wildcards && t == "*/*":
				jsonOK, streamOK = true, true
			}
		}
	}
	return jsonOK, streamOK
}
