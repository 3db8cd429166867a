// Package gateway serves the endpoints of a go-micro registry as MCP tools,
// each call authenticated, authorized per tool, rate-limited, audited and
// traced.
//
// # One request, one parse, one decision
//
// A tools/call walks through these files, in this order:
//
//   - front.go (HTTP) or stdio.go (one message per line): the transport
//     creates the request's [exchange] (exchange.go), authenticates the
//     caller from the headers before reading the body (admit.go,
//     admitter.authenticate), and parses the message exactly once with
//     internal/wire: strict, so that no two readers can see two different
//     messages (case-variant or duplicate members, trailing data and
//     batches are refused). On 2026-07-28 the Mcp-Method and Mcp-Name
//     headers must match the body.
//   - chain.go: the pipeline, registered once in [Gateway] as
//     chain{tracing, auditor, admitter}; every request on every transport
//     runs through it, refusals included.
//   - trace.go: one SERVER span per request, parented per the trust policy;
//     baggage.go decides what baggage crosses the trust boundary.
//   - audit.go: exactly one audit record per request, written after the
//     rest of the chain (allowed calls are recorded by the caller around
//     dispatch, so strict mode writes before dispatching).
//   - admit.go: sessions (sessions.go), the tool's scopes, the rate limits,
//     and the arguments (arguments.go: schema, case collisions, integer
//     normalisation). A refusal is one [verdict] (verdict.go): its reason
//     (package gateway/reason), HTTP status, JSON-RPC code and challenge,
//     read by the decision event (events.go), the answer and the audit
//     record alike.
//   - the terminal: fastpath.go serves a stateless tools/call directly;
//     everything else goes to the MCP SDK, whose one middleware (bridge, in
//     chain.go) joins each request to its exchange and fails closed when
//     what the SDK is about to run is not what was admitted
//     (admission_mismatch). respond.go turns the SDK's own refusals into the
//     same uniform answers, and holds each answer until its span and audit
//     record exist.
//   - call.go and dispatch.go: mint the downstream identity, call the
//     service with the admitted argument bytes, map the result (result.go).
//
// [Gateway.Handler] serves HTTP (MCP at /mcp, RFC 9728 metadata, the
// identity JWKS, /healthz, /readyz); [Gateway.ServeStdio] serves stdio.
package gateway
