package jaegerapi

import (
	"encoding/json"
	"fmt"
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

// RefChildOf is the reference type of a span's parent; links are
// FOLLOWS_FROM.
const RefChildOf = "CHILD_OF"

// Trace is one trace of the query API: data[i] of an /api/traces answer.
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

// Reference links a span to another: [RefChildOf] for its parent.
type Reference struct {
	RefType string `json:"refType"`
	TraceID string `json:"traceID"`
	SpanID  string `json:"spanID"`
}

// KeyValue is a tag or log field; Type is string, bool, int64, float64 or
// binary, and Value the JSON value ([Client] decodes numbers as
// json.Number, so int64 values keep every digit).
type KeyValue struct {
	Key   string `json:"key"`
	Type  string `json:"type"`
	Value any    `json:"value"`
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

// String renders the value: strings as they are, nil as "", anything else
// (numbers, bools) as JSON.
func (kv KeyValue) String() string {
	switch v := kv.Value.(type) {
	case nil:
		return ""
	case string:
		return v
	case json.Number:
		return v.String()
	}
	b, err := json.Marshal(kv.Value)
	if err != nil {
		return fmt.Sprint(kv.Value)
	}
	return string(b)
}

// NormalizeID lower-cases a hex trace id and left-pads it to 32 digits: the
// API prints a trace id whose high 64 bits are zero with 16 digits only.
func NormalizeID(id string) string {
	id = strings.ToLower(id)
	if len(id) < 32 {
		id = strings.Repeat("0", 32-len(id)) + id
	}
	return id
}
