// Package reason declares, once, the words tracegate uses to say why a
// request was allowed or refused: [Granted], [InsufficientScope],
// [RateLimited], [InvalidArguments], [AdmissionMismatch], … The gateway's
// decision events (tracegate.authz.reason), its JSON-RPC errors (data.reason),
// its audit records (reason) and gateway/guard's decisions all use a
// [Reason] from here, so a search by reason in Jaeger and in the audit trail
// gives the same answer.
//
// It has no dependencies, so service-side code (gateway/guard) can use it
// without importing the gateway.
package reason
