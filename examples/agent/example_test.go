package agent_test

import (
	"os"

	"github.com/tracegate/tracegate/examples/agent"
)

// WriteTree prints a trace fetched from Jaeger as a tree: operation,
// service, span kind and duration, key tags, then span logs.
func ExampleWriteTree() {
	kv := func(k string, v any) agent.KeyValue { return agent.KeyValue{Key: k, Value: v} }
	childOf := func(parent string) []agent.Reference { return []agent.Reference{{RefType: "CHILD_OF", SpanID: parent}} }
	tr := agent.Trace{
		TraceID:   "4bf92f3577b34da6a3ce929d0e0e4736",
		Processes: map[string]agent.Process{"p1": {ServiceName: "agent"}, "p2": {ServiceName: "tracegate"}},
		Spans: []agent.Span{
			{SpanID: "a", OperationName: "invoke_agent blog-agent", ProcessID: "p1", Duration: 1500,
				Tags: []agent.KeyValue{kv("span.kind", "internal"), kv("tracegate.intent.id", "msg-1")}},
			{SpanID: "b", OperationName: "tools/call posts.Posts.Delete", ProcessID: "p1", StartTime: 1, Duration: 900,
				References: childOf("a"), Tags: []agent.KeyValue{kv("span.kind", "client"), kv("error.type", "-32013")}},
			{SpanID: "c", OperationName: "tools/call posts.Posts.Delete", ProcessID: "p2", StartTime: 2, Duration: 120,
				References: childOf("b"),
				Tags:       []agent.KeyValue{kv("span.kind", "server"), kv("tracegate.authz.decision", "deny")},
				Logs: []agent.Log{{Fields: []agent.KeyValue{
					kv("event", "tracegate.authz.decision"), kv("tracegate.authz.reason", "insufficient_scope"),
				}}}},
		},
	}
	agent.WriteTree(os.Stdout, tr)
	// Output:
	// trace 4bf92f3577b34da6a3ce929d0e0e4736: 3 spans from agent, tracegate
	// invoke_agent blog-agent [agent, internal, 1.5ms] tracegate.intent.id=msg-1
	// └─ tools/call posts.Posts.Delete [agent, client, 900µs] error.type=-32013
	//    └─ tools/call posts.Posts.Delete [tracegate, server, 120µs] tracegate.authz.decision=deny
	//         · tracegate.authz.decision tracegate.authz.reason=insufficient_scope
}

// WriteSummary names the message, its trace and a link to the trace: the
// Jaeger UI's trace page, or, for a Jaeger without its UI (the local build
// make demo runs), a URL with {trace_id} filled in, here Jaeger's API.
func ExampleResult_WriteSummary() {
	r := agent.Result{Message: agent.Message{ID: "msg-1"}, TraceID: "4bf92f3577b34da6a3ce929d0e0e4736"}
	r.WriteSummary(os.Stdout, "http://127.0.0.1:16686")
	r.WriteSummary(os.Stdout, "http://127.0.0.1:16686/api/v3/traces/{trace_id}")
	// Output:
	//
	// message id: msg-1 (the intent id in the token, the spans and the audit records)
	// trace id:   4bf92f3577b34da6a3ce929d0e0e4736
	// jaeger:     http://127.0.0.1:16686/trace/4bf92f3577b34da6a3ce929d0e0e4736
	//
	// message id: msg-1 (the intent id in the token, the spans and the audit records)
	// trace id:   4bf92f3577b34da6a3ce929d0e0e4736
	// jaeger:     http://127.0.0.1:16686/api/v3/traces/4bf92f3577b34da6a3ce929d0e0e4736
}
