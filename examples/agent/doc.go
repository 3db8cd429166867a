// Package agent is an MCP client that plays an AI agent for one user
// message, so that the message becomes one trace from the agent, through
// the tracegate gateway, into the go-micro services behind it.
//
// For a message such as "Publish a post titled 'Hello MCP' as alice and add
// a comment", [Agent.Handle]:
//
//  1. opens the root span invoke_agent <agent name> (OTel GenAI agent
//     conventions: gen_ai.operation.name=invoke_agent, gen_ai.agent.name,
//     gen_ai.conversation.id) and gives the message an id, which is the
//     intent id of everything that follows (attribute tracegate.intent.id);
//  2. discovers the token endpoint from the authorization server's RFC 8414
//     metadata and requests a client-credentials token carrying only the
//     scopes the plan needs, with intent=<message id> and
//     resource=<gateway URL> (RFC 8707);
//  3. connects to the gateway over streamable HTTP with that bearer token,
//     lists the tools and runs the plan (plan.go) one tool call at a time. Every MCP
//     request gets a CLIENT span named per the OTel MCP conventions
//     (tools/call <tool>, tools/list, …) whose context travels in
//     params._meta.traceparent (MCP SEP-414), so the gateway continues the
//     trace;
//  4. tries one call beyond its token (posts.Posts.Delete needs blog:admin):
//     the gateway answers 403 with a step-up challenge
//     (WWW-Authenticate: Bearer error="insufficient_scope", scope="…") and a
//     JSON-RPC error carrying the request id, so the session survives. The
//     agent records the denial on that call's span, reports the scope the
//     challenge asks for and goes on; it never steps up on its own.
//
// Users.Create needs blog:admin, which the message's token deliberately
// lacks, so [Agent.Setup] creates the plan's user beforehand with a separate
// admin client, in a trace of its own (the "setup" root span): an operator
// preparing data, not part of the user's message.
//
// After the message, [WaitTrace] polls Jaeger's query API until the trace is
// complete and [WriteTree] prints it as an indented tree (service,
// operation, span kind, key tags and span logs such as the gateway's
// tracegate.authz.decision, tracegate.ratelimit.decision and tracegate.audit).
//
// The binary is cmd/agent; cmd/devregistry is the loopback NATS registry
// scripts/demo.sh runs the demo on.
package agent
