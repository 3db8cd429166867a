// Package search finds tracegate audit records in Jaeger. The gateway emits
// every audit record as the event tracegate.audit on the call's span; Jaeger
// stores it as a span log whose fields are the event attributes
// (tracegate.audit.decision, .subject, .tool, …), and its tag search matches
// them. [Query] asks Jaeger's HTTP API through [jaegerapi.Client.Find]
// (GET /api/traces with the filters as JSON-encoded tags), then keeps the
// matching span logs; [Run] prints them as a table or JSON for
// `tracegate audit search`.
package search
