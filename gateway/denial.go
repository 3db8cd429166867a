package gateway

import (
	"errors"
	"github.com/tracegate/tracegate/gateway/reason"
	"net/http"
	"time"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"

	"github.com/tracegate/tracegate/gateway/policy"
)

// JSON-RPC error codes for policy denials (implementation-defined server
// errors, -32000 to -32099, avoiding the codes the go-sdk itself uses: its
// client treats -32003 as "client is closing"). On HTTP the same error is
// the body of the 401/403/429 answer.
const (
	CodeUnauthorized       = -32011
	CodeForbidden          = -32013
	CodeRateLimited        = -32029
	CodeLimiterUnavailable = -32030
)

// denialData is the data member of a denial's JSON-RPC error.
type denialData struct {
	Reason         reason.Reason `json:"reason"`
	Tool           string        `json:"tool,omitempty"`
	RequiredScopes []string      `json:"required_scopes,omitempty"`
	MissingScopes  []string      `json:"missing_scopes,omitempty"`
	RetryAfterMs   int64         `json:"retry_after_ms,omitempty"`
}

// rpcDenial turns a refused admission into the JSON-RPC error both
// transports return.
func rpcDenial(a admission) *jsonrpc.Error {
	err := a.err()
	d := denialData{Reason: denialReason(err), RequiredScopes: a.Requirement.Scopes}
	if a.Entry != nil {
		d.Tool = a.Entry.Name
	}
	code := int64(CodeForbidden)
	msg := err.Error()
	switch {
	case a.AuthErr != nil:
		code, msg = CodeUnauthorized, "unauthorized: "+policy.NewChallenge(err, "", nil, 0).Description
		if errors.Is(err, policy.ErrMissingToken) {
			msg = "unauthorized: a bearer token is required"
		}
	case a.Decision != nil && !a.Decision.Allowed:
		d.MissingScopes = a.Decision.Missing
	case a.Limit != nil:
		d.RetryAfterMs = retryMillis(a.Limit.RetryAfter)
		code = CodeRateLimited
		if errors.Is(err, policy.ErrLimiterUnavailable) {
			code, msg = CodeLimiterUnavailable, "rate limiter unavailable"
		}
	}
	data, _ := jsonMarshal(d)
	return &jsonrpc.Error{Code: code, Message: msg, Data: data}
}

func retryMillis(d time.Duration) int64 {
	if d <= 0 {
		return 0
	}
	return max(1, d.Milliseconds())
}

// challengeFor is the HTTP status and WWW-Authenticate/Retry-After for a
// refused admission. scope= lists all scopes the tool requires, so a client
// can step up with exactly those.
func challengeFor(a admission, resourceMetadata string) policy.Challenge {
	c := policy.NewChallenge(a.err(), resourceMetadata, a.Requirement.Scopes, 0)
	if a.Limit != nil && !a.Limit.Allowed {
		c.RetryAfter = a.Limit.RetryAfter
		if c.RetryAfter < time.Second && c.Status == http.StatusTooManyRequests {
			c.RetryAfter = time.Second // Retry-After has whole seconds; never 0
		}
	}
	return c
}
