package policy

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/lestrrat-go/jwx/v3/jwa"
	"github.com/lestrrat-go/jwx/v3/jwk"
	"go.opentelemetry.io/otel/trace"

	"github.com/tracegate/tracegate/gateway/guard"
)

// IdentityMetadataKey is the go-micro metadata key for the downstream
// identity. The HTTP transport Title-cases keys; read it case-insensitively
// (guard.TokenFromMetadata does).
const IdentityMetadataKey = guard.MetadataKey

// IdentityRequest describes one dispatch attempt to mint an identity for.
type IdentityRequest struct {
	Principal Principal
	// Tool is the canonical name of the entry endpoint
	// ("<service>.<Handler>.<Method>"); the guard accepts the identity at
	// that endpoint once (the entry hop).
	Tool string
	// Audience is the go-micro service of the entry endpoint.
	Audience string
	// TraceID is the W3C trace id of the call (32 lowercase hex, as
	// trace.TraceID.String()), for correlation. An empty, malformed or
	// all-zero id is left out of the identity rather than signed.
	TraceID string
	// Scopes the identity carries: [ScopePolicy.IdentityScopes] (the
	// principal's scopes within the tool's and its downstream endpoints'
	// requirements), or [RequestedScopes] without authentication.
	Scopes []string
	// Downstream are the endpoints the call may reach after the entry hop
	// (see [ResolveDownstream]); the guard accepts the identity at those,
	// checking each one's own declared scopes (the forwarded hops). The
	// gateway signs the list as claim "downstream".
	Downstream []string
	// TTL bounds this identity's lifetime, normally the tool's timeout: the
	// identity lives min(TTL, the Minter's TTL), rounded up to whole
	// seconds (JWT times are in seconds). Zero: the Minter's TTL.
	TTL time.Duration
}

// Minter signs short-lived downstream identities (EdDSA JWT) so that the
// caller's bearer token is never passed through. Safe for concurrent use.
type Minter struct {
	key    ed25519.PrivateKey
	pub    jwk.Key
	kid    string
	header string // the JWS protected header, base64url-encoded once
	cfg    minterConfig
}

// identityHeader is the JWS protected header of every identity (RFC 7515
// §4.1: alg, kid, typ).
type identityHeader struct {
	Alg string `json:"alg"`
	Kid string `json:"kid"`
	Typ string `json:"typ"`
}

// identityClaims is the payload Mint signs (RFC 7519 §4.1 registered claims
// and the guard's own). Its JSON names are guard.Claim*: the identity tests
// verify minted identities through the guard.
type identityClaims struct {
	Issuer     string   `json:"iss,omitempty"`
	Subject    string   `json:"sub"`
	Audience   []string `json:"aud"`
	Client     string   `json:"azp,omitempty"`
	Scope      string   `json:"scope"`
	Tool       string   `json:"tool"`
	Downstream []string `json:"downstream,omitempty"`
	TraceID    string   `json:"trace_id,omitempty"`
	Intent     string   `json:"intent,omitempty"`
	IssuedAt   int64    `json:"iat"`
	Expiry     int64    `json:"exp"`
	JWTID      string   `json:"jti"`
}

// NewMinter returns a Minter signing with key. Its key id is the RFC 7638
// thumbprint of the public key.
func NewMinter(key ed25519.PrivateKey, opts ...MinterOption) (*Minter, error) {
	if len(key) != ed25519.PrivateKeySize {
		return nil, fmt.Errorf("%w: ed25519 private key has %d bytes", ErrInvalidKey, len(key))
	}
	cfg := newMinterConfig(opts)
	if cfg.ttl <= 0 || cfg.ttl > guard.MaxLifetime {
		return nil, fmt.Errorf("%w: %s", ErrInvalidTTL, cfg.ttl)
	}
	pub, err := jwk.Import(key.Public())
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidKey, err)
	}
	if err := jwk.AssignKeyID(pub); err != nil {
		return nil, fmt.Errorf("%w: key id: %w", ErrInvalidKey, err)
	}
	kid, _ := pub.KeyID()
	for k, v := range map[string]any{jwk.AlgorithmKey: jwa.EdDSA(), jwk.KeyUsageKey: "sig"} {
		if err := pub.Set(k, v); err != nil {
			return nil, fmt.Errorf("%w: %w", ErrInvalidKey, err)
		}
	}
	header, err := json.Marshal(identityHeader{Alg: jwa.EdDSA().String(), Kid: kid, Typ: guard.TokenType})
	if err != nil {
		return nil, err
	}
	return &Minter{key: key, pub: pub, kid: kid, header: base64.RawURLEncoding.EncodeToString(header), cfg: cfg}, nil
}

// Mint returns a compact JWT: iss, sub, aud (service), azp (client), scope
// (space-separated, sorted), tool, downstream (array, sorted, omitted when
// empty), trace_id, intent, iat, exp (iat + the lifetime, see
// [IdentityRequest.TTL]) and a random jti. It fails without an audience, a
// tool or a subject. Every call returns a new identity (a new jti): mint one
// per dispatch attempt.
func (m *Minter) Mint(req IdentityRequest) (string, error) {
	if req.Audience == "" || req.Tool == "" || req.Principal.Subject == "" {
		return "", fmt.Errorf("policy: mint identity: %w", ErrIncompleteIdentity)
	}
	var jti [16]byte
	if _, err := rand.Read(jti[:]); err != nil {
		return "", fmt.Errorf("policy: mint identity: %w", err)
	}
	now := m.cfg.now().Truncate(time.Second)
	claims := identityClaims{
		Issuer:     m.cfg.issuer,
		Subject:    req.Principal.Subject,
		Audience:   []string{req.Audience},
		Client:     req.Principal.Client,
		Scope:      strings.Join(scopeTokens(sortedSet(req.Scopes)), " "), // never a token the guard would split
		Tool:       req.Tool,
		Downstream: sortedSet(req.Downstream),
		Intent:     req.Principal.IntentID,
		IssuedAt:   now.Unix(),
		Expiry:     now.Add(m.lifetime(req.TTL)).Unix(),
		JWTID:      base64.RawURLEncoding.EncodeToString(jti[:]),
	}
	if tid, err := trace.TraceIDFromHex(req.TraceID); err == nil && tid.IsValid() {
		claims.TraceID = tid.String()
	}
	payload, err := json.Marshal(claims)
	if err != nil {
		return "", fmt.Errorf("policy: mint identity for %s: %w", req.Tool, err)
	}
	// RFC 7515 §7.1 compact serialization, signed with Ed25519 (RFC 8037
	// §3.1): built here rather than through jwx's generic token builder and
	// signer, which cost ~3x the signature itself on every dispatch.
	enc := base64.RawURLEncoding
	out := make([]byte, 0, len(m.header)+1+enc.EncodedLen(len(payload))+1+enc.EncodedLen(ed25519.SignatureSize))
	out = append(out, m.header...)
	out = append(out, '.')
	out = enc.AppendEncode(out, payload)
	sig := ed25519.Sign(m.key, out)
	out = append(out, '.')
	out = enc.AppendEncode(out, sig)
	return string(out), nil
}

// lifetime is min(ttl, the configured TTL) rounded up to a whole second, so
// a sub-second tool timeout still gives a usable identity and exp-iat never
// exceeds the configured TTL by a fraction.
func (m *Minter) lifetime(ttl time.Duration) time.Duration {
	d := m.cfg.ttl
	if ttl > 0 && ttl < d {
		d = ttl
	}
	return (d + time.Second - 1).Truncate(time.Second)
}

// sortedSet returns the non-empty values of in, sorted, without duplicates.
func sortedSet(in []string) []string {
	out := slices.DeleteFunc(slices.Clone(in), func(s string) bool { return s == "" })
	slices.Sort(out)
	return slices.Compact(out)
}

// PublicKey is the verification key, for in-process use
// (guard.WithPublicKey).
func (m *Minter) PublicKey() ed25519.PublicKey { return m.key.Public().(ed25519.PublicKey) }

// KeyID is the kid of the signing key.
func (m *Minter) KeyID() string { return m.kid }

// JWKS returns the public key as a JWK Set document.
func (m *Minter) JWKS() ([]byte, error) {
	set := jwk.NewSet()
	if err := set.AddKey(m.pub); err != nil {
		return nil, err
	}
	return json.Marshal(set)
}

// JWKSHandler serves JWKS (for guard.WithJWKSURL).
func (m *Minter) JWKSHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		body, err := m.JWKS()
		if err != nil {
			http.Error(w, "jwks unavailable", http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/jwk-set+json")
		w.Header().Set("Cache-Control", "max-age=300")
		_, _ = w.Write(body)
	})
}
