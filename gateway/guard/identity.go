package guard

import (
	"context"
	"strings"
	"time"

	"go-micro.dev/v5/metadata"
)

// MetadataKey is the go-micro metadata key carrying the downstream identity.
// Read it with [TokenFromMetadata], which ignores case.
const MetadataKey = "Tracegate-Identity"

// TokenType is the JWS "typ" header of a downstream identity. It keeps an
// identity from being mistaken for any other JWT (RFC 8725 §3.11).
const TokenType = "tracegate-id+jwt"

// MaxLifetime is the longest exp-iat a downstream identity may have.
const MaxLifetime = 60 * time.Second

// Claim names of a downstream identity, besides the registered iss, sub,
// aud, iat, exp and jti.
const (
	ClaimClient     = "azp"
	ClaimScope      = "scope" // space-separated
	ClaimTool       = "tool"  // the entry endpoint, "<service>.<Handler>.<Method>"
	ClaimDownstream = "downstream"
	ClaimTraceID    = "trace_id"
	ClaimIntent     = "intent"
)

// Identity is a verified downstream identity: who called which tool through
// the gateway, with which scopes, on behalf of which intent.
type Identity struct {
	ID       string // jti
	Issuer   string
	Subject  string
	Client   string
	Audience string // the service the identity is addressed to
	Scopes   []string
	Tool     string
	// Downstream are the endpoints ("users.Users.Read") the gateway signed
	// as reachable after the entry hop.
	Downstream []string
	TraceID    string
	IntentID   string
	IssuedAt   time.Time
	Expiry     time.Time
}

type identityKey struct{}

// IdentityFrom returns the identity the wrapper verified for this call.
func IdentityFrom(ctx context.Context) (Identity, bool) {
	id, ok := ctx.Value(identityKey{}).(Identity)
	return id, ok
}

// ContextWithIdentity returns ctx carrying id; useful in handler tests.
func ContextWithIdentity(ctx context.Context, id Identity) context.Context {
	return context.WithValue(ctx, identityKey{}, id)
}

// TokenFromMetadata returns the identity token in ctx's go-micro metadata,
// matching [MetadataKey] case-insensitively.
func TokenFromMetadata(ctx context.Context) (string, bool) {
	md, ok := metadata.FromContext(ctx)
	if !ok {
		return "", false
	}
	if v, ok := md[MetadataKey]; ok && v != "" {
		return v, true
	}
	for k, v := range md {
		if v != "" && strings.EqualFold(k, MetadataKey) {
			return v, true
		}
	}
	return "", false
}
