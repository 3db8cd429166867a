//go:build e2e

package jaeger_test

import (
	"maps"
	"testing"

	"github.com/tracegate/tracegate/examples/blog/svc"
	"github.com/tracegate/tracegate/internal/jaegertest"
)

// assertLogRecords checks every wanted event reached Jaeger's logs pipeline
// as one OTLP log record of the trace, stamped with its span's id, from the
// right service and scope, with the event's attributes.
func assertLogRecords(t *testing.T, j *jaegertest.Jaeger, traceID string, want []wantSpan, ids map[string]string) {
	t.Helper()
	events := 0
	for _, w := range want {
		if w.event == "" {
			continue
		}
		events++
		t.Run("log record "+w.event, func(t *testing.T) {
			r := j.WaitLogRecord(t, func(r jaegertest.LogRecord) bool {
				return r.TraceID == traceID && r.EventName == w.event
			}, waitTimeout)
			for field, pair := range map[string][2]string{
				"span id":      {r.SpanID, ids[w.key]},
				"body":         {r.Body, w.event},
				"severity":     {r.SeverityText, "INFO"},
				"service.name": {r.Resource["service.name"], w.service},
				"scope":        {r.Scope, svc.ScopePrefix + w.service},
			} {
				if pair[0] != pair[1] {
					t.Errorf("%s = %q, want %q", field, pair[0], pair[1])
				}
			}
			if !maps.Equal(r.Attributes, w.attrs) {
				t.Errorf("attributes %v, want %v", r.Attributes, w.attrs)
			}
		})
	}
	var ofTrace []jaegertest.LogRecord
	for _, r := range jaegertest.LogRecords(t, j.LogPath) {
		if r.TraceID == traceID {
			ofTrace = append(ofTrace, r)
		}
	}
	if len(ofTrace) != events {
		t.Errorf("%d log records of trace %s, want %d: %+v", len(ofTrace), traceID, events, ofTrace)
	}
}
