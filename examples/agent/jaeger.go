package agent

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/tracegate/tracegate/internal/jaegerapi"
)

// ErrTraceIncomplete is returned (wrapped) by [WaitTrace] with the last
// trace seen when Jaeger did not have a complete trace in time.
var ErrTraceIncomplete = errors.New("agent: trace incomplete in Jaeger")

// The model of Jaeger's query API (GET /api/traces/{id}), from
// [jaegerapi]: OTel span events are a span's Logs, span kind and status are
// tags, and [jaegerapi.Trace.Complete] tells whether a trace looks whole.
type (
	Trace     = jaegerapi.Trace
	Span      = jaegerapi.Span
	Reference = jaegerapi.Reference
	KeyValue  = jaegerapi.KeyValue
	Log       = jaegerapi.Log
	Process   = jaegerapi.Process
)

// FetchTrace gets a trace from the Jaeger query API at baseURL; found is
// false while Jaeger does not have it.
func FetchTrace(ctx context.Context, hc *http.Client, baseURL, traceID string) (tr Trace, found bool, err error) {
	tr, found, err = (&jaegerapi.Client{URL: baseURL, HTTP: hc}).Trace(ctx, traceID)
	if err != nil {
		return Trace{}, false, fmt.Errorf("agent: jaeger: %w", err)
	}
	return tr, found, nil
}

// WaitTrace polls Jaeger every interval until the trace is
// [jaegerapi.Trace.Complete] and its span count held still for one more poll
// (services export in batches, at their own pace), or timeout passes: then
// it returns the last trace seen with ErrTraceIncomplete.
func WaitTrace(ctx context.Context, hc *http.Client, baseURL, traceID string, interval, timeout time.Duration) (Trace, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var last Trace
	lastCount := -1
	for {
		tr, found, err := FetchTrace(ctx, hc, baseURL, traceID)
		switch {
		case err != nil && ctx.Err() == nil:
			return last, err
		case found && tr.Complete() && len(tr.Spans) == lastCount:
			return tr, nil
		case found:
			last, lastCount = tr, len(tr.Spans)
		}
		select {
		case <-ctx.Done():
			return last, fmt.Errorf("%w after %s (%d spans)", ErrTraceIncomplete, timeout, len(last.Spans))
		case <-time.After(interval):
		}
	}
}
