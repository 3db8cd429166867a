package telemetry

import (
	"fmt"
	"os"
	"strconv"
	"strings"

	"go.opentelemetry.io/otel/attribute"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
)

// EvidenceKey marks a span that is the gateway's evidence of one MCP
// request (its SERVER span): [EvidenceSampler] always records and samples
// it, whatever the client's trace flags say.
const EvidenceKey = attribute.Key("tracegate.evidence")

// EvidenceSampler returns a sampler that records and samples every span
// carrying EvidenceKey=true, and leaves every other span to next. A client
// that sends a traceparent with the sampled flag off (00-…-…-00) can then
// not make the gateway's span, its decision events and its audit event
// vanish from the trace backend; the spans below the gateway's follow its
// decision through their (parent-based) samplers.
func EvidenceSampler(next sdktrace.Sampler) sdktrace.Sampler {
	if next == nil {
		next = sdktrace.ParentBased(sdktrace.AlwaysSample())
	}
	return evidenceSampler{next: next}
}

type evidenceSampler struct{ next sdktrace.Sampler }

func (s evidenceSampler) ShouldSample(p sdktrace.SamplingParameters) sdktrace.SamplingResult {
	for _, a := range p.Attributes {
		if a.Key == EvidenceKey && a.Value.AsBool() {
			return sdktrace.SamplingResult{Decision: sdktrace.RecordAndSample,
				Tracestate: trace.SpanContextFromContext(p.ParentContext).TraceState()}
		}
	}
	return s.next.ShouldSample(p)
}

func (s evidenceSampler) Description() string {
	return "EvidenceSampler{" + s.next.Description() + "}"
}

// SamplerFromEnv builds the sampler the OTEL_TRACES_SAMPLER and
// OTEL_TRACES_SAMPLER_ARG variables name (OTel SDK environment
// specification: always_on, always_off, traceidratio, parentbased_always_on,
// parentbased_always_off, parentbased_traceidratio), default
// parentbased_always_on. An unknown name is an error.
func SamplerFromEnv() (sdktrace.Sampler, error) {
	return samplerFrom(os.Getenv)
}

func samplerFrom(getenv func(string) string) (sdktrace.Sampler, error) {
	name := strings.TrimSpace(strings.ToLower(getenv("OTEL_TRACES_SAMPLER")))
	ratio := func() (float64, error) {
		arg := strings.TrimSpace(getenv("OTEL_TRACES_SAMPLER_ARG"))
		if arg == "" {
			return 1, nil
		}
		r, err := strconv.ParseFloat(arg, 64)
		if err != nil || r < 0 || r > 1 {
			return 0, fmt.Errorf("telemetry: OTEL_TRACES_SAMPLER_ARG %q: want a ratio in [0, 1]", arg)
		}
		return r, nil
	}
	switch name {
	case "", "parentbased_always_on":
		return sdktrace.ParentBased(sdktrace.AlwaysSample()), nil
	case "always_on":
		return sdktrace.AlwaysSample(), nil
	case "always_off":
		return sdktrace.NeverSample(), nil
	case "parentbased_always_off":
		return sdktrace.ParentBased(sdktrace.NeverSample()), nil
	case "traceidratio", "parentbased_traceidratio":
		r, err := ratio()
		if err != nil {
			return nil, err
		}
		if name == "traceidratio" {
			return sdktrace.TraceIDRatioBased(r), nil
		}
		return sdktrace.ParentBased(sdktrace.TraceIDRatioBased(r)), nil
	}
	return nil, fmt.Errorf("telemetry: OTEL_TRACES_SAMPLER %q is not supported", name)
}
