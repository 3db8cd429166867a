package jaegerapi

import "strings"

// TraceIDPlaceholder, in a trace link base given to [TraceURL], is replaced
// by the trace id.
const TraceIDPlaceholder = "{trace_id}"

// TraceURL is where a link to trace traceID points. ui is the Jaeger UI's
// base URL (the link is its trace page, <ui>/trace/<id>) or, for a Jaeger
// without its UI (the binary built from the Go module serves a placeholder
// page there), a URL holding [TraceIDPlaceholder]: every placeholder is
// replaced by the id, e.g. http://127.0.0.1:16686/api/v3/traces/{trace_id}
// (the trace as JSON). An empty ui gives "".
func TraceURL(ui, traceID string) string {
	switch {
	case ui == "":
		return ""
	case strings.Contains(ui, TraceIDPlaceholder):
		return strings.ReplaceAll(ui, TraceIDPlaceholder, traceID)
	}
	return strings.TrimRight(ui, "/") + "/trace/" + traceID
}
