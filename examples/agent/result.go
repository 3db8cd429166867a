package agent

import (
	"fmt"
	"io"

	"github.com/tracegate/tracegate/internal/jaegerapi"
)

// Outcome of a step.
type Outcome string

// Outcomes.
const (
	OutcomeOK     Outcome = "ok"
	OutcomeDenied Outcome = "denied"
	OutcomeFailed Outcome = "failed"
)

// StepResult is what one tool call did.
type StepResult struct {
	Tool string
	// Why is what a model would have said before the call.
	Why     string
	Outcome Outcome
	// Detail says what happened (ids created, the scope a denial asks for).
	Detail string
	// Overreach marks the call beyond the token's scopes.
	Overreach bool
	// Challenge is the WWW-Authenticate challenge of a 401/403 answer.
	Challenge *Challenge
	// Err is set when the step failed the message (a refused overreach
	// does not).
	Err error
}

// Result is what one message did.
type Result struct {
	Message Message
	// TraceID is the hex trace id of the message's trace.
	TraceID string
	// Scope is the scope the token was granted.
	Scope string
	// Intent is what the agent read from the message.
	Intent Intent
	// ToolsOffered counts the tools the gateway listed for the token.
	ToolsOffered int
	Steps        []StepResult
}

// Step returns the result of the first call of tool.
func (r *Result) Step(tool string) (StepResult, bool) {
	for _, s := range r.Steps {
		if s.Tool == tool {
			return s, true
		}
	}
	return StepResult{}, false
}

// TraceURL is the link to the trace: its page in the Jaeger UI at
// jaegerURL, or jaegerURL with {trace_id} filled in when it holds that
// placeholder (a Jaeger without its UI: e.g. its API,
// http://127.0.0.1:16686/api/v3/traces/{trace_id}). See
// [jaegerapi.TraceURL].
func TraceURL(jaegerURL, traceID string) string {
	return jaegerapi.TraceURL(jaegerURL, traceID)
}

// WriteSummary prints where to find the message afterwards: its id (the
// intent id), the trace id and the trace's Jaeger URL (when jaegerURL is
// set). The steps were reported as they ran (see [WithOutput]).
func (r *Result) WriteSummary(w io.Writer, jaegerURL string) {
	fmt.Fprintf(w, "\nmessage id: %s (the intent id in the token, the spans and the audit records)\n", r.Message.ID)
	fmt.Fprintf(w, "trace id:   %s\n", r.TraceID)
	if jaegerURL != "" {
		fmt.Fprintf(w, "jaeger:     %s\n", TraceURL(jaegerURL, r.TraceID))
	}
}
