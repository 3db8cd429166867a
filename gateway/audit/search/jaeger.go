package search

import (
	"encoding/json"
	"strconv"
)

// jaegerResponse is the shape of GET /api/traces (Jaeger query API v2 JSON).
type jaegerResponse struct {
	Data   []jaegerTrace `json:"data"`
	Errors []struct {
		Code int    `json:"code"`
		Msg  string `json:"msg"`
	} `json:"errors"`
}

type jaegerTrace struct {
	TraceID string       `json:"traceID"`
	Spans   []jaegerSpan `json:"spans"`
}

type jaegerSpan struct {
	TraceID       string      `json:"traceID"`
	SpanID        string      `json:"spanID"`
	OperationName string      `json:"operationName"`
	StartTime     int64       `json:"startTime"` // µs since epoch
	Duration      int64       `json:"duration"`  // µs
	Logs          []jaegerLog `json:"logs"`
}

type jaegerLog struct {
	Timestamp int64          `json:"timestamp"` // µs since epoch
	Fields    []jaegerKeyVal `json:"fields"`
}

type jaegerKeyVal struct {
	Key   string          `json:"key"`
	Type  string          `json:"type"`
	Value json.RawMessage `json:"value"`
}

// text renders a field value (string, bool, int64 or float64) as text.
func (kv jaegerKeyVal) text() string {
	var s string
	if json.Unmarshal(kv.Value, &s) == nil {
		return s
	}
	return string(kv.Value)
}

func (kv jaegerKeyVal) float() float64 {
	f, _ := strconv.ParseFloat(kv.text(), 64)
	return f
}
