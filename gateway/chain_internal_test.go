package gateway

import (
	"context"
	"encoding/json"
	"io"
	"log"
	"strings"
	"sync"
	"testing"

	"go-micro.dev/v5/registry"

	"github.com/tracegate/tracegate/gateway/audit"
	"github.com/tracegate/tracegate/gateway/internal/wire"
	"github.com/tracegate/tracegate/gateway/reason"
	"github.com/tracegate/tracegate/internal/oteltest"
)

type sinkFunc struct {
	mu   sync.Mutex
	recs []audit.Record
}

func (s *sinkFunc) Write(_ context.Context, r audit.Record) error {
	s.mu.Lock()
	s.recs = append(s.recs, r)
	s.mu.Unlock()
	return nil
}

func (s *sinkFunc) take() []audit.Record {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := s.recs
	s.recs = nil
	return out
}

// stepEnv is a gateway built (not started) with capturing telemetry and an
// audit sink, to drive its steps directly.
func stepEnv(t *testing.T) (*Gateway, *oteltest.Capture, *sinkFunc) {
	t.Helper()
	capture := oteltest.New(t)
	sink := &sinkFunc{}
	g, err := New(Options{
		Registry:       registry.NewMemoryRegistry(),
		TraceProvider:  capture.TracerProvider,
		LoggerProvider: capture.LoggerProvider,
		Logger:         log.New(io.Discard, "", 0),
		AuditSinks:     []audit.Sink{sink},
		Config:         Config{Auth: AuthConfig{Anonymous: true}},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = g.Close() })
	return g, capture, sink
}

func toolsCall(t *testing.T, name string) *exchange {
	t.Helper()
	m, err := wire.Parse([]byte(`{"jsonrpc":"2.0","id":9,"method":"tools/call","params":{"name":"`+name+`","arguments":{}}}`), 0)
	if err != nil {
		t.Fatal(err)
	}
	ex := newExchange(transportStdio)
	ex.principal, ex.authenticated = anonymous, true
	ex.setMessage(m)
	return ex
}

// TestReasonsAgree: for every refusal reason, the decision event, the
// JSON-RPC error's data.reason (or the isError result's _meta) and the
// audit record name the same reason, and the answer is declared once.
func TestReasonsAgree(t *testing.T) {
	g, capture, sink := stepEnv(t)
	for r := range refusals {
		t.Run(string(r), func(t *testing.T) {
			if !r.Known() || r.Allows() {
				t.Fatalf("%q is not a refusal of the vocabulary", r)
			}
			capture.Reset()
			sink.take()
			ex := toolsCall(t, "x.Y.Z")
			v := refuseWith(r, "refused")
			ex.refuse(v)
			g.chain.run(context.Background(), ex, func(context.Context, *exchange) {
				t.Fatal("a refused request reached the terminal")
			})
			var answer string
			if v.isToolResult() {
				answer, _ = v.toolResult().Meta[metaKeyReason].(string)
			} else {
				var d denialData
				_ = json.Unmarshal(v.rpcError().Data, &d)
				answer = string(d.Reason)
			}
			var events []string
			for _, rec := range capture.LogsNamed(EventAuthzDecision) {
				events = append(events, oteltest.Attrs(rec)[KeyAuthzReason].AsString())
			}
			recs := sink.take()
			if answer != string(r) || len(events) != 1 || events[0] != string(r) || len(recs) != 1 || recs[0].Reason() != r {
				t.Fatalf("answer %q, events %v, audit %d records %v; want all %q", answer, events, len(recs), recs, r)
			}
		})
	}
	// Every refusal word of the vocabulary the gateway can give has an answer.
	for _, r := range reason.All() {
		guardOnly := strings.HasPrefix(string(r), "identity_") || r == reason.WrongAudience ||
			r == reason.WrongTool || r == reason.DownstreamNotAllowed
		if _, ok := refusals[r]; !ok && !r.Allows() && !guardOnly {
			t.Errorf("reason %q has no declared answer", r)
		}
	}
}

// TestStepsAlone drives each step over a stub next step.
func TestStepsAlone(t *testing.T) {
	g, capture, sink := stepEnv(t)
	t.Run("tracing opens and ends one span around next", func(t *testing.T) {
		capture.Reset()
		ex := toolsCall(t, "x.Y.Z")
		var inside bool
		g.tracing.wrap(func(ctx context.Context, ex *exchange) { inside = ex.span != nil && ex.span.IsRecording() })(context.Background(), ex)
		spans := capture.Spans()
		if !inside || len(spans) != 1 || spans[0].Name != "tools/call" || spans[0].SpanKind.String() != "server" {
			t.Fatalf("inside %v, spans %v", inside, spans)
		}
	})
	t.Run("auditor records once after next", func(t *testing.T) {
		sink.take()
		ex := toolsCall(t, "x.Y.Z")
		g.auditor.wrap(func(context.Context, *exchange) {
			if len(sink.take()) != 0 {
				t.Error("recorded before next ran")
			}
			ex.refuse(refuseWith(reason.UnknownTool, "nope"))
		})(context.Background(), ex)
		if recs := sink.take(); len(recs) != 1 || recs[0].Reason() != reason.UnknownTool {
			t.Fatalf("records %v", recs)
		}
	})
	t.Run("admitter runs next only when allowed", func(t *testing.T) {
		for _, tc := range []struct {
			name string
			ex   *exchange
			want bool
		}{
			{"unknown tool", toolsCall(t, "x.Y.Z"), false},
			{"refused by the transport", func() *exchange {
				ex := toolsCall(t, "x.Y.Z")
				ex.refuse(refuseWith(reason.ParseError, "bad"))
				return ex
			}(), false},
			{"other method", func() *exchange {
				m, _ := wire.Parse([]byte(`{"jsonrpc":"2.0","id":1,"method":"ping"}`), 0)
				ex := newExchange(transportStdio)
				ex.principal, ex.authenticated = anonymous, true
				ex.setMessage(m)
				return ex
			}(), true},
		} {
			ran := false
			g.admitter.wrap(func(context.Context, *exchange) { ran = true })(context.Background(), tc.ex)
			if ran != tc.want {
				t.Errorf("%s: next ran = %v, want %v (verdict %+v)", tc.name, ran, tc.want, tc.ex.verdict)
			}
		}
	})
}
