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
	"github.com/lestrrat-go/jwx/v3/jws"
	"github.com/lestrrat-go/jwx/v3/jwt"
	"github.com/tracegate/tracegate/gateway/guard"
)

// IdentityMetadataKey is the go-micro metadata key for the downstream
// identity. The HTTP transport Title-cases keys; read it case-insensitively
// (guard.TokenFromMetadata does).
const IdentityMetadataKey = guard.MetadataKey

// IdentityRequest describes one downstream call to mint an identity for.
type IdentityRequest struct {
	Principal Principal
	Tool      string   // the MCP tool name, checked by guard against the endpoint
	Audience  string   // the target go-micro service name
	TraceID   string   // W3C trace id of the call, for correlation
	Scopes    []string // granted ∩ required: Decision.Satisfied
}

// Minter signs short-lived downstream identities (EdDSA JWT) so that the
// caller's bearer token is never passed through. Safe for concurrent use.
type Minter struct {
	key  ed25519.PrivateKey
	pub  jwk.Key
	kid  string
	hdrs jws.Headers
	cfg  minterConfig
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
	hdrs := jws.NewHeaders()
	if err := hdrs.Set(jws.KeyIDKey, kid); err != nil {
		return nil, err
	}
	if err := hdrs.Set(jws.TypeKey, guard.TokenType); err != nil {
		return nil, err
	}
	return &Minter{key: key, pub: pub, kid: kid, hdrs: hdrs, cfg: cfg}, nil
}

// Mint returns a compact JWT: iss, sub, aud (service), azp (client), scope
// (space-separated), tool, trace_id, intent, iat, exp (iat+TTL), jti.
func (m *Minter) Mint(req IdentityRequest) (string, error) {
	if req.Audience == "" || req.Tool == "" {
		return "", fmt.Errorf("policy: mint identity: audience and tool are required")
	}
	var jti [16]byte
	if _, err := rand.Read(jti[:]); err != nil {
		return "", fmt.Errorf("policy: mint identity: %w", err)
	}
	now := m.cfg.now().Truncate(time.Second)
	b := jwt.NewBuilder().
		Subject(req.Principal.Subject).
		Audience([]string{req.Audience}).
		IssuedAt(now).
		Expiration(now.Add(m.cfg.ttl)).
		JwtID(base64.RawURLEncoding.EncodeToString(jti[:])).
		Claim(guard.ClaimTool, req.Tool).
		Claim(guard.ClaimScope, strings.Join(slices.Compact(slices.Sorted(slices.Values(req.Scopes))), " "))
	if m.cfg.issuer != "" {
		b = b.Issuer(m.cfg.issuer)
	}
	for k, v := range map[string]string{
		guard.ClaimClient:  req.Principal.Client,
		guard.ClaimTraceID: req.TraceID,
		guard.ClaimIntent:  req.Principal.IntentID,
	} {
		if v != "" {
			b = b.Claim(k, v)
		}
	}
	tok, err := b.Build()
	if err != nil {
		return "", fmt.Errorf("policy: mint identity for %s: %w", req.Tool, err)
	}
	signed, err := jwt.Sign(tok, jwt.WithKey(jwa.EdDSA(), m.key, jws.WithProtectedHeaders(m.hdrs)))
	if err != nil {
		return "", fmt.Errorf("policy: sign identity for %s: %w", req.Tool, err)
	}
	return string(signed), nil
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
