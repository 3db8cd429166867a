// Package jaegerapi reads traces from Jaeger's query API: the v1-shaped JSON
// of GET /api/traces/{id} and GET /api/traces?service=…, which Jaeger v2
// still serves.
//
//   - [Client.Trace] fetches one trace by id (a 404 is found=false, not an
//     error) and [Client.Find] searches by service, tags and time with a
//     [Query]. Answers other than 200 are a [*StatusError].
//   - [Trace], [Span], [Reference], [KeyValue], [Log] and [Process] are the
//     model. Jaeger renders OTel span events as span logs ([Span.Events]
//     reads them back as [Event] values) and the span kind and status as tags
//     ([Span.Kind], [Span.Tag]).
//   - [Trace.SpanBy], [Trace.SpanByID], [Trace.Parent] and [Trace.Tree]
//     navigate a trace; [Trace.Complete] tells whether it looks whole yet.
//   - [TraceURL] is where a link to a trace points: the Jaeger UI's trace
//     page, or a URL with {trace_id} for a Jaeger without its UI.
//   - [NormalizeID] pads the 16-digit ids the API prints for 64-bit-high-zero
//     trace ids to 32 digits.
//
// `tracegate audit search`, the example agent and the end-to-end test helper
// internal/jaegertest all read Jaeger through this package.
package jaegerapi
