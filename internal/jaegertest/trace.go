package jaegertest

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"
)

// Span kinds as Jaeger reports them in the span.kind tag.
const (
	KindServer   = "server"
	KindClient   = "client"
	KindInternal = "internal"
	KindProducer = "producer"
	KindConsumer = "consumer"
)

// RefChildOf is the reference type of a span's parent.
const RefChildOf = "CHILD_OF"

// Trace is one trace of the v1 query API: data[i] of /api/traces answers.
type Trace struct {
	TraceID   string             `json:"traceID"`
	Spans     []Span             `json:"spans"`
	Processes map[string]Process `json:"processes"`
}

// Span is one span. Jaeger renders OTel span events as Logs and the span
// kind, scope and status as tags (span.kind, otel.scope.name, …).
type Span struct {
	TraceID       string      `json:"traceID"`
	SpanID        string      `json:"spanID"`
	OperationName string      `json:"operationName"`
	References    []Reference `json:"references"`
	StartTime     int64       `json:"startTime"` // µs since the epoch
	Duration      int64       `json:"duration"`  // µs
	Tags          []KeyValue  `json:"tags"`
	Logs          []Log       `json:"logs"`
	ProcessID     string      `json:"processID"`
	Warnings      []string    `json:"warnings"`
}

// Reference links a span to another, CHILD_OF for the parent.
type Reference struct {
	RefType string `json:"refType"`
	TraceID string `json:"traceID"`
	SpanID  string `json:"spanID"`
}

// KeyValue is a tag or log field; Type is string, bool, int64, float64 or
// binary, and Value the JSON value (numbers as json.Number).
type KeyValue struct {
	Key   string `json:"key"`
	Type  string `json:"type"`
	Value any    `json:"value"`
}

// String renders the value: strings as they are, numbers and bools in JSON.
func (kv KeyValue) String() string {
	switch v := kv.Value.(type) {
	case string:
		return v
	case json.Number:
		return v.String()
	default:
		return fmt.Sprint(v)
	}
}

// Log is a span log, i.e. an OTel span event: its name is the "event" field.
type Log struct {
	Timestamp int64      `json:"timestamp"` // µs since the epoch
	Fields    []KeyValue `json:"fields"`
}

// Process is the emitting service: resource service.name and attributes.
type Process struct {
	ServiceName string     `json:"serviceName"`
	Tags        []KeyValue `json:"tags"`
}

// Event is a span log read as an OTel span event.
type Event struct {
	Name   string
	Time   time.Time
	Fields map[string]string // every field but "event", values as by KeyValue.String
}

// NormalizeID left-pads a hex trace id to 32 digits: the v1 API prints a
// trace id whose high 64 bits are zero with 16 digits only.
func NormalizeID(id string) string {
	id = strings.ToLower(id)
	if len(id) < 32 {
		id = strings.Repeat("0", 32-len(id)) + id
	}
	return id
}

// Service is the service name of s's process.
func (tr Trace) Service(s Span) string { return tr.Processes[s.ProcessID].ServiceName }

// Services lists the trace's service names, sorted, once each.
func (tr Trace) Services() []string {
	seen := map[string]bool{}
	var out []string
	for _, p := range tr.Processes {
		if !seen[p.ServiceName] {
			seen[p.ServiceName] = true
			out = append(out, p.ServiceName)
		}
	}
	sort.Strings(out)
	return out
}

// SpansBy returns the spans of service with operation name operation and
// kind (a Kind… constant); an empty argument matches anything.
func (tr Trace) SpansBy(service, operation, kind string) []Span {
	var out []Span
	for _, s := range tr.Spans {
		if (service == "" || tr.Service(s) == service) &&
			(operation == "" || s.OperationName == operation) &&
			(kind == "" || s.Kind() == kind) {
			out = append(out, s)
		}
	}
	return out
}

// SpanBy returns the first span [Trace.SpansBy] finds.
func (tr Trace) SpanBy(service, operation, kind string) (Span, bool) {
	if ss := tr.SpansBy(service, operation, kind); len(ss) > 0 {
		return ss[0], true
	}
	return Span{}, false
}

// SpanByID returns the span with that id.
func (tr Trace) SpanByID(id string) (Span, bool) {
	for _, s := range tr.Spans {
		if s.SpanID == id {
			return s, true
		}
	}
	return Span{}, false
}

// Parent returns s's CHILD_OF parent when it is in the trace.
func (tr Trace) Parent(s Span) (Span, bool) {
	if id := s.ParentID(); id != "" {
		return tr.SpanByID(id)
	}
	return Span{}, false
}

// ParentID is the span id of s's CHILD_OF reference, empty for a root.
func (s Span) ParentID() string {
	for _, r := range s.References {
		if r.RefType == RefChildOf {
			return r.SpanID
		}
	}
	return ""
}

// Tag returns the value of tag key, rendered by [KeyValue.String].
func (s Span) Tag(key string) (string, bool) {
	for _, kv := range s.Tags {
		if kv.Key == key {
			return kv.String(), true
		}
	}
	return "", false
}

// Kind is the span.kind tag (a Kind… constant).
func (s Span) Kind() string {
	k, _ := s.Tag("span.kind")
	return k
}

// Events returns the span logs as span events, in order.
func (s Span) Events() []Event {
	out := make([]Event, 0, len(s.Logs))
	for _, l := range s.Logs {
		ev := Event{Time: time.UnixMicro(l.Timestamp), Fields: map[string]string{}}
		for _, f := range l.Fields {
			if f.Key == "event" {
				ev.Name = f.String()
				continue
			}
			ev.Fields[f.Key] = f.String()
		}
		out = append(out, ev)
	}
	return out
}

// String renders the span tree, one span a line, for failure messages.
func (tr Trace) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "trace %s (%d spans)\n", tr.TraceID, len(tr.Spans))
	children := map[string][]Span{}
	var roots []Span
	for _, s := range tr.Spans {
		if _, ok := tr.Parent(s); ok {
			children[s.ParentID()] = append(children[s.ParentID()], s)
		} else {
			roots = append(roots, s)
		}
	}
	var walk func(s Span, depth int)
	walk = func(s Span, depth int) {
		names := make([]string, 0, len(s.Logs))
		for _, ev := range s.Events() {
			names = append(names, ev.Name)
		}
		fmt.Fprintf(&b, "%s%s %s [%s] %s events=%v\n", strings.Repeat("  ", depth+1),
			tr.Service(s), s.OperationName, s.Kind(), s.SpanID, names)
		kids := children[s.SpanID]
		sort.Slice(kids, func(i, j int) bool { return kids[i].StartTime < kids[j].StartTime })
		for _, c := range kids {
			walk(c, depth+1)
		}
	}
	sort.Slice(roots, func(i, j int) bool { return roots[i].StartTime < roots[j].StartTime })
	for _, r := range roots {
		walk(r, 0)
	}
	return b.String()
}
