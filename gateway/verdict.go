package gateway

import (
	"encoding/json"
	"errors"
	"net/http"
	"time"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/tracegate/tracegate/gateway/policy"
	"github.com/tracegate/tracegate/gateway/reason"
)

// JSON-RPC error codes of refusals that JSON-RPC and MCP do not define
// (implementation-defined server errors, -32000 to -32099, avoiding the codes
// the go-sdk uses itself: its client treats -32003 as "client is closing").
// On HTTP the same error is the body of the 401/403/404/429/503 answer.
const (
	CodeUnauthorized            = -32011
	CodeForbidden               = -32013
	CodeRateLimited             = -32029
	CodeLimiterUnavailable      = -32030
	CodeSessionLimit            = -32031
	CodeOverloaded              = -32032
	CodeSessionNotFound         = -32001 // as the official TypeScript SDK answers an unknown session
	CodeAdmissionMismatch       = -32033
	CodeAuditUnavailable        = -32034
	CodeSessionStoreUnavailable = -32035
)

// refusal is how a reason is answered: the HTTP status, the JSON-RPC code,
// and the HTTP status on the 2026-07-28 protocol where it differs (the SDK
// answers -32601 with 404 and -32602 with 400 there, 200 before).
type refusal struct {
	status, modernStatus int
	code                 int64
}

// refusals declares, once, the answer to every refusal reason. The event's
// reason, the JSON-RPC error's data.reason and the audit record's reason are
// all the verdict's reason; a table test checks the three agree.
var refusals = map[reason.Reason]refusal{
	reason.Unauthenticated:            {http.StatusUnauthorized, 0, CodeUnauthorized},
	reason.InsufficientScope:          {http.StatusForbidden, 0, CodeForbidden},
	reason.UnscopedDenied:             {http.StatusForbidden, 0, CodeForbidden},
	reason.RateLimited:                {http.StatusTooManyRequests, 0, CodeRateLimited},
	reason.LimiterUnavailable:         {http.StatusServiceUnavailable, 0, CodeLimiterUnavailable},
	reason.SessionLimit:               {http.StatusServiceUnavailable, 0, CodeSessionLimit},
	reason.SessionStoreUnavailable:    {http.StatusServiceUnavailable, 0, CodeSessionStoreUnavailable},
	reason.Overloaded:                 {http.StatusServiceUnavailable, 0, CodeOverloaded},
	reason.ParseError:                 {http.StatusBadRequest, 0, jsonrpc.CodeParseError},
	reason.InvalidRequest:             {http.StatusBadRequest, 0, jsonrpc.CodeInvalidRequest},
	reason.NestingTooDeep:             {http.StatusBadRequest, 0, jsonrpc.CodeInvalidRequest},
	reason.BodyTooLarge:               {http.StatusRequestEntityTooLarge, 0, jsonrpc.CodeInvalidRequest},
	reason.UnsupportedMediaType:       {http.StatusUnsupportedMediaType, 0, jsonrpc.CodeInvalidRequest},
	reason.NotAcceptable:              {http.StatusBadRequest, 0, jsonrpc.CodeInvalidRequest},
	reason.OriginNotAllowed:           {http.StatusForbidden, 0, jsonrpc.CodeInvalidRequest},
	reason.MethodNotAllowed:           {http.StatusMethodNotAllowed, 0, jsonrpc.CodeInvalidRequest},
	reason.HeaderMismatch:             {http.StatusBadRequest, 0, mcp.CodeHeaderMismatch},
	reason.UnsupportedProtocolVersion: {http.StatusBadRequest, 0, mcp.CodeUnsupportedProtocolVersion},
	reason.SessionNotFound:            {http.StatusNotFound, 0, CodeSessionNotFound},
	reason.NotInitialized:             {http.StatusBadRequest, 0, jsonrpc.CodeInvalidRequest},
	reason.MethodNotFound:             {http.StatusOK, http.StatusNotFound, jsonrpc.CodeMethodNotFound},
	reason.UnknownTool:                {http.StatusOK, http.StatusBadRequest, jsonrpc.CodeInvalidParams},
	reason.InvalidParams:              {http.StatusOK, http.StatusBadRequest, jsonrpc.CodeInvalidParams},
	reason.InvalidArguments:           {http.StatusOK, 0, 0}, // an isError tool result (SEP-1303)
	reason.AdmissionMismatch:          {http.StatusForbidden, 0, CodeAdmissionMismatch},
	reason.AuditUnavailable:           {http.StatusServiceUnavailable, 0, CodeAuditUnavailable},
	reason.Internal:                   {http.StatusInternalServerError, 0, jsonrpc.CodeInternalError},
}

// verdict is a refusal, decided once: the reason, the answer (HTTP status,
// JSON-RPC code and message, challenge scopes, retry-after) and the data the
// client gets. The decision event, the JSON-RPC error and the audit record
// all read it.
type verdict struct {
	reason     reason.Reason
	message    string
	retryAfter time.Duration
	scopes     []string // WWW-Authenticate scope= (all scopes the tool requires)
	missing    []string
	tool       string
	cause      error // the policy error, for the challenge's error code
}

// maxMessage caps a refusal's message (it is also the span status and may
// quote the client's input, e.g. a schema validation error).
const maxMessage = 1024

// refuseWith builds a verdict for why with a message for the client.
func refuseWith(why reason.Reason, message string) *verdict {
	return &verdict{reason: why, message: capString(message, maxMessage)}
}

// policyVerdict turns a policy error (authentication, authorization,
// limiting) into its verdict.
func policyVerdict(err error) *verdict {
	v := &verdict{cause: err, message: err.Error()}
	switch {
	case errors.Is(err, policy.ErrMissingToken):
		v.reason, v.message = reason.Unauthenticated, "unauthorized: a bearer token is required"
	case errors.Is(err, policy.ErrTokenInQuery):
		v.reason, v.message = reason.InvalidRequest, "a bearer token must be sent in the Authorization header (RFC 6750 §2.1), never in the query"
	case errors.Is(err, policy.ErrInvalidToken):
		v.reason = reason.Unauthenticated
		v.message = "unauthorized: " + policy.NewChallenge(err, "", nil, 0).Description
	case errors.Is(err, policy.ErrUnscopedDenied):
		v.reason = reason.UnscopedDenied
	case errors.Is(err, policy.ErrInsufficientScope):
		v.reason = reason.InsufficientScope
	case errors.Is(err, policy.ErrRateLimited):
		v.reason = reason.RateLimited
	case errors.Is(err, policy.ErrLimiterUnavailable):
		v.reason, v.message = reason.LimiterUnavailable, "rate limiter unavailable"
	default:
		v.reason = reason.Internal
	}
	return v
}

// answer is how v is answered on the given protocol era.
func (v *verdict) answer(modern bool) (status int, code int64) {
	r, ok := refusals[v.reason]
	if !ok {
		r = refusals[reason.Internal]
	}
	status = r.status
	if modern && r.modernStatus != 0 {
		status = r.modernStatus
	}
	return status, r.code
}

// isToolResult tells whether v is answered as an isError tool result
// instead of a JSON-RPC error (invalid arguments of a known tool).
func (v *verdict) isToolResult() bool { return v.reason == reason.InvalidArguments }

// denialData is the data member of a refusal's JSON-RPC error.
type denialData struct {
	Reason         reason.Reason `json:"reason"`
	Tool           string        `json:"tool,omitempty"`
	RequiredScopes []string      `json:"required_scopes,omitempty"`
	MissingScopes  []string      `json:"missing_scopes,omitempty"`
	RetryAfterMs   int64         `json:"retry_after_ms,omitempty"`
}

// rpcError is v as a JSON-RPC error.
func (v *verdict) rpcError() *jsonrpc.Error {
	_, code := v.answer(false)
	data, _ := json.Marshal(denialData{Reason: v.reason, Tool: v.tool, RequiredScopes: v.scopes,
		MissingScopes: v.missing, RetryAfterMs: retryMillis(v.retryAfter)})
	return &jsonrpc.Error{Code: code, Message: v.message, Data: data}
}

// metaKeyReason is where an isError result of a refusal carries its reason.
const metaKeyReason = "io.tracegate/reason"

// toolResult is v as an isError tool result (MCP 2025-11-25, SEP-1303:
// input validation errors are tool execution errors the model can act on).
func (v *verdict) toolResult() *mcp.CallToolResult {
	return &mcp.CallToolResult{
		IsError: true,
		Content: []mcp.Content{&mcp.TextContent{Text: v.message}},
		Meta:    mcp.Meta{metaKeyReason: string(v.reason)},
	}
}

// challenge is the WWW-Authenticate/Retry-After of v (RFC 6750 §3, RFC 9728
// §5.1); resourceMetadata is the protected resource metadata URL.
func (v *verdict) challenge(resourceMetadata string) policy.Challenge {
	status, _ := v.answer(false)
	c := policy.Challenge{Status: status, RetryAfter: v.retryAfter}
	switch {
	case errors.Is(v.cause, policy.ErrTokenInQuery):
		c = policy.NewChallenge(v.cause, resourceMetadata, nil, 0)
	case v.reason == reason.Unauthenticated:
		c = policy.NewChallenge(v.cause, resourceMetadata, v.scopes, 0)
	case v.reason == reason.InsufficientScope, v.reason == reason.UnscopedDenied:
		c = policy.NewChallenge(policy.ErrInsufficientScope, resourceMetadata, v.scopes, 0)
	case v.reason == reason.RateLimited, v.reason == reason.LimiterUnavailable, v.reason == reason.SessionLimit, v.reason == reason.SessionStoreUnavailable,
		v.reason == reason.Overloaded, v.reason == reason.AuditUnavailable:
		c.RetryAfter = max(v.retryAfter, time.Second) // Retry-After has whole seconds; never 0
	}
	return c
}

func retryMillis(d time.Duration) int64 {
	if d <= 0 {
		return 0
	}
	return max(1, d.Milliseconds())
}

// rpcErrorReason maps a JSON-RPC error the MCP SDK produced to a reason.
func rpcErrorReason(code int64) reason.Reason {
	switch code {
	case jsonrpc.CodeParseError:
		return reason.ParseError
	case jsonrpc.CodeMethodNotFound:
		return reason.MethodNotFound
	case jsonrpc.CodeInvalidParams:
		return reason.InvalidParams
	case mcp.CodeHeaderMismatch:
		return reason.HeaderMismatch
	case mcp.CodeUnsupportedProtocolVersion:
		return reason.UnsupportedProtocolVersion
	case jsonrpc.CodeInternalError:
		return reason.Internal
	}
	return reason.InvalidRequest
}
