package telemetry_test

import (
	"context"
	"strings"
	"testing"

	"go-micro.dev/v5/metadata"
	"go.opentelemetry.io/otel/trace"

	"github.com/tracegate/tracegate/internal/oteltest"
	"github.com/tracegate/tracegate/telemetry"
)

const (
	parentA = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
	parentB = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
)

func TestCarrierGetIsCaseInsensitive(t *testing.T) {
	c := telemetry.MetadataCarrier{"Traceparent": parentA}
	if got := c.Get("traceparent"); got != parentA {
		t.Fatalf("Get(traceparent) = %q, want %q", got, parentA)
	}
	if got := c.Get("TRACEPARENT"); got != parentA {
		t.Fatalf("Get(TRACEPARENT) = %q", got)
	}
	if got := c.Get("tracestate"); got != "" {
		t.Fatalf("Get(tracestate) = %q, want empty", got)
	}
}

func TestCarrierSetLeavesOneLowercaseKey(t *testing.T) {
	c := telemetry.MetadataCarrier{"Traceparent": parentA, "TRACEPARENT": parentA, "Other": "x"}
	c.Set("traceparent", parentB)
	if len(c) != 2 || c["traceparent"] != parentB || c["Other"] != "x" {
		t.Fatalf("after Set: %v", map[string]string(c))
	}
}

func TestCarrierIgnoresOversizedValues(t *testing.T) {
	c := telemetry.MetadataCarrier{"baggage": strings.Repeat("k=v,", 5000)}
	if got := c.Get("baggage"); got != "" {
		t.Fatalf("oversized value returned (%d bytes)", len(got))
	}
}

func TestInjectReplacesStaleParentKeys(t *testing.T) {
	capture := oteltest.New(t)
	ctx := metadata.NewContext(context.Background(), metadata.Metadata{
		"Traceparent": parentA, "traceparent": parentA, "Tracestate": "a=b", "Keep": "me",
	})
	ctx, span := capture.TracerProvider.Tracer("t").Start(ctx, "parent")
	defer span.End()

	out := telemetry.Inject(ctx, telemetry.NewPropagator())
	md, _ := metadata.FromContext(out)
	var parents []string
	for k := range md {
		if strings.EqualFold(k, "traceparent") {
			parents = append(parents, k)
		}
		if strings.EqualFold(k, "tracestate") {
			t.Errorf("stale tracestate key %q kept", k)
		}
	}
	if len(parents) != 1 || parents[0] != "traceparent" {
		t.Fatalf("traceparent keys = %v, want exactly [traceparent]", parents)
	}
	if !strings.Contains(md["traceparent"], span.SpanContext().SpanID().String()) {
		t.Fatalf("traceparent %q does not name the current span", md["traceparent"])
	}
	if md["Keep"] != "me" {
		t.Fatalf("unrelated metadata lost: %v", md)
	}
}

func TestExtract(t *testing.T) {
	for _, tc := range []struct {
		name      string
		md        metadata.Metadata
		wantTrace string // empty: no valid remote parent
	}{
		{"lowercase", metadata.Metadata{"traceparent": parentA}, "0af7651916cd43dd8448eb211c80319c"},
		{"title case from go-micro transport", metadata.Metadata{"Traceparent": parentB}, "4bf92f3577b34da6a3ce929d0e0e4736"},
		{"garbage", metadata.Metadata{"traceparent": "not-a-trace"}, ""},
		{"all zero", metadata.Metadata{"traceparent": "00-00000000000000000000000000000000-0000000000000000-01"}, ""},
		{"too long", metadata.Metadata{"traceparent": parentA + strings.Repeat("f", 9000)}, ""},
		{"none", metadata.Metadata{"Other": "x"}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := metadata.NewContext(context.Background(), tc.md)
			sc := trace.SpanContextFromContext(telemetry.Extract(ctx, telemetry.NewPropagator()))
			got := ""
			if sc.IsValid() {
				got = sc.TraceID().String()
			}
			if got != tc.wantTrace {
				t.Fatalf("trace id = %q, want %q", got, tc.wantTrace)
			}
		})
	}
}

func FuzzExtract(f *testing.F) {
	for _, s := range []string{parentA, parentB, "", "00-", "ff-" + strings.Repeat("0", 60), "00-00000000000000000000000000000000-0000000000000000-00"} {
		f.Add(s, "a=b", "k=v")
	}
	prop := telemetry.NewPropagator()
	f.Fuzz(func(t *testing.T, tp, ts, bag string) {
		ctx := metadata.NewContext(context.Background(), metadata.Metadata{"Traceparent": tp, "tracestate": ts, "baggage": bag})
		sc := trace.SpanContextFromContext(telemetry.Extract(ctx, prop))
		if sc.IsValid() && (len(tp) > 8192 || !strings.Contains(strings.ToLower(tp), sc.TraceID().String())) {
			t.Fatalf("valid parent %v from traceparent %q", sc.TraceID(), tp)
		}
		out := telemetry.Inject(ctx, prop)
		md, _ := metadata.FromContext(out)
		n := 0
		for k := range md {
			if strings.EqualFold(k, "traceparent") {
				n++
			}
		}
		if n > 1 {
			t.Fatalf("%d traceparent keys after Inject: %v", n, md)
		}
	})
}
