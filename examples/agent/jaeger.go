package agent

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// ErrTraceIncomplete is returned (wrapped) by [WaitTrace] with the last
// trace seen when Jaeger did not have a complete trace in time.
var ErrTraceIncomplete = errors.New("agent: trace incomplete in Jaeger")

// Trace is one trace of Jaeger's query API (GET /api/traces/{id}).
type Trace struct {
	TraceID   string             `json:"traceID"`
	Spans     []Span             `json:"spans"`
	Processes map[string]Process `json:"processes"`
}

// Span is a Jaeger span: OTel span events are its Logs, span kind and
// status are tags.
type Span struct {
	SpanID        string      `json:"spanID"`
	OperationName string      `json:"operationName"`
	References    []Reference `json:"references"`
	StartTime     int64       `json:"startTime"` // µs since the epoch
	Duration      int64       `json:"duration"`  // µs
	Tags          []KeyValue  `json:"tags"`
	Logs          []Log       `json:"logs"`
	ProcessID     string      `json:"processID"`
}

// Reference points at a span's parent (CHILD_OF) or a link (FOLLOWS_FROM).
type Reference struct {
	RefType string `json:"refType"`
	SpanID  string `json:"spanID"`
}

// KeyValue is a tag or a log field.
type KeyValue struct {
	Key   string `json:"key"`
	Value any    `json:"value"`
}

// Log is a span log (an OTel span event; its name is the "event" field).
type Log struct {
	Timestamp int64      `json:"timestamp"`
	Fields    []KeyValue `json:"fields"`
}

// Process is the service that emitted a span.
type Process struct {
	ServiceName string `json:"serviceName"`
}

// String renders a value: strings as they are, anything else as JSON.
func (kv KeyValue) String() string {
	if s, ok := kv.Value.(string); ok {
		return s
	}
	b, _ := json.Marshal(kv.Value)
	return string(b)
}

// ParentID is the span id of s's CHILD_OF reference, "" for a root.
func (s Span) ParentID() string {
	for _, r := range s.References {
		if r.RefType == "CHILD_OF" {
			return r.SpanID
		}
	}
	return ""
}

// Tag returns the value of a tag.
func (s Span) Tag(key string) (string, bool) {
	for _, kv := range s.Tags {
		if kv.Key == key {
			return kv.String(), true
		}
	}
	return "", false
}

// Kind is the span.kind tag (server, client, internal, …).
func (s Span) Kind() string {
	k, _ := s.Tag("span.kind")
	if k == "" {
		return "internal"
	}
	return k
}

// Service is the service name of s.
func (tr Trace) Service(s Span) string { return tr.Processes[s.ProcessID].ServiceName }

// Complete tells whether the trace looks whole: every referenced parent is
// present, every MCP or RPC CLIENT span has a child (its server's span), and
// there is exactly one root.
func (tr Trace) Complete() bool {
	ids := map[string]bool{}
	children := map[string]int{}
	for _, s := range tr.Spans {
		ids[s.SpanID] = true
		children[s.ParentID()]++
	}
	roots := 0
	for _, s := range tr.Spans {
		p := s.ParentID()
		switch {
		case p == "":
			roots++
		case !ids[p]:
			return false
		}
		if s.Kind() == "client" && children[s.SpanID] == 0 {
			if _, mcp := s.Tag("mcp.method.name"); mcp {
				return false
			}
			if _, rpc := s.Tag("rpc.system"); rpc {
				return false
			}
		}
	}
	return roots == 1
}

// FetchTrace gets a trace from the Jaeger query API at baseURL; found is
// false while Jaeger does not have it.
func FetchTrace(ctx context.Context, hc *http.Client, baseURL, traceID string) (tr Trace, found bool, err error) {
	u := strings.TrimRight(baseURL, "/") + "/api/traces/" + url.PathEscape(traceID)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return Trace{}, false, err
	}
	rsp, err := hc.Do(req)
	if err != nil {
		return Trace{}, false, fmt.Errorf("agent: jaeger: %w", err)
	}
	defer rsp.Body.Close()
	body, err := io.ReadAll(rsp.Body)
	if err != nil {
		return Trace{}, false, fmt.Errorf("agent: jaeger: read %s: %w", u, err)
	}
	if rsp.StatusCode == http.StatusNotFound {
		return Trace{}, false, nil
	}
	if rsp.StatusCode != http.StatusOK {
		return Trace{}, false, fmt.Errorf("agent: jaeger: GET %s: %s", u, rsp.Status)
	}
	return decodeTrace(body, traceID)
}

// decodeTrace reads a query API answer ({"data": [trace]}).
func decodeTrace(body []byte, traceID string) (Trace, bool, error) {
	var out struct {
		Data []Trace `json:"data"`
	}
	if err := json.Unmarshal(body, &out); err != nil {
		return Trace{}, false, fmt.Errorf("agent: jaeger: decode: %w", err)
	}
	for _, tr := range out.Data {
		if strings.TrimLeft(tr.TraceID, "0") == strings.TrimLeft(strings.ToLower(traceID), "0") {
			return tr, true, nil
		}
	}
	return Trace{}, false, nil
}

// WaitTrace polls Jaeger every interval until the trace is [Trace.Complete]
// and its span count held still for one more poll (services export in
// batches, at their own pace), or timeout passes: then it returns the last
// trace seen with ErrTraceIncomplete.
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
