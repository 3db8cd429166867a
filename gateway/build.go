package gateway

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"fmt"

	"github.com/tracegate/tracegate/gateway/audit"
	"github.com/tracegate/tracegate/gateway/policy"
	"github.com/tracegate/tracegate/telemetry"
)

// newVerifier picks the authentication: an explicit Verifier, go-micro's
// auth.Auth, JWT against the configured issuer/JWKS, or none (anonymous,
// validated to be explicit). ctx bounds the JWKS cache's life.
func newVerifier(ctx context.Context, o Options) (policy.Verifier, error) {
	a := o.Config.Auth
	switch {
	case o.Verifier != nil:
		return o.Verifier, nil
	case o.Auth != nil:
		return policy.NewAuthVerifier(o.Auth), nil
	case a.Issuer != "" || a.JWKSURL != "":
		v, err := newJWTVerifier(ctx, a, a.Resource)
		if err != nil {
			return nil, fmt.Errorf("gateway: auth: %w", err)
		}
		return v, nil
	}
	return nil, nil
}

// newJWTVerifier verifies JWTs from the configured issuer for audience (the
// MCP resource, or the console's).
func newJWTVerifier(ctx context.Context, a AuthConfig, audience string) (*policy.JWTVerifier, error) {
	opts := []policy.JWTOption{policy.WithAudience(audience), policy.WithIssuer(a.Issuer)}
	if a.JWKSURL != "" {
		opts = append(opts, policy.WithJWKSURL(a.JWKSURL))
	}
	if len(a.Algorithms) > 0 {
		opts = append(opts, policy.WithAlgorithms(a.Algorithms...))
	}
	if a.Leeway > 0 {
		opts = append(opts, policy.WithLeeway(a.Leeway))
	}
	if a.IntentClaim != "" {
		opts = append(opts, policy.WithIntentClaim(a.IntentClaim))
	}
	opts = append(opts, policy.WithMaxLifetime(a.MaxTokenLifetime), policy.WithRequiredType(a.RequireTyp))
	return policy.NewJWTVerifier(ctx, opts...)
}

// newMinter loads or generates the downstream identity key.
func newMinter(o Options) (*policy.Minter, error) {
	key := o.IdentityKey
	if key == nil && o.Config.Identity.KeyFile != "" {
		k, err := audit.LoadSigningKey(o.Config.Identity.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("gateway: identity key: %w", err)
		}
		key = k
	}
	if key == nil {
		_, k, err := ed25519.GenerateKey(rand.Reader)
		if err != nil {
			return nil, fmt.Errorf("gateway: identity key: %w", err)
		}
		key = k
	}
	opts := []policy.MinterOption{policy.WithIdentityIssuer(identityIssuer(o))}
	if o.Config.Identity.TTL > 0 {
		opts = append(opts, policy.WithIdentityTTL(o.Config.Identity.TTL))
	}
	m, err := policy.NewMinter(key, opts...)
	if err != nil {
		return nil, fmt.Errorf("gateway: identity: %w", err)
	}
	return m, nil
}

// identityIssuer is the iss of downstream identities.
func identityIssuer(o Options) string {
	if o.Config.Auth.Resource != "" {
		return o.Config.Auth.Resource
	}
	return "tracegate"
}

func newRecorder(o Options, em *telemetry.Emitter) (*audit.Recorder, error) {
	opts := []audit.Option{audit.WithEmitter(em), audit.WithMeterProvider(o.MeterProvider),
		audit.WithLogger(o.Logger), audit.WithTracerProvider(o.TraceProvider)}
	if o.AuditFunc != nil {
		opts = append(opts, audit.WithAuditFunc(o.AuditFunc))
	}
	for _, s := range o.AuditSinks {
		opts = append(opts, audit.WithSink(s))
	}
	opts = append(opts, o.AuditOptions...)
	r, err := audit.New(o.Config.Audit, opts...)
	if err != nil {
		return nil, fmt.Errorf("gateway: audit: %w", err)
	}
	return r, nil
}
