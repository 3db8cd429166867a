package authserver_test

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/tracegate/tracegate/examples/authserver"
	"github.com/tracegate/tracegate/gateway/policy"
)

// TestGatewayVerifierAcceptsIssuedTokens runs the gateway's own JWT verifier
// against the server: discovery through the RFC 8414 metadata, the JWKS, and
// every claim the gateway reads, for each supported key type.
func TestGatewayVerifierAcceptsIssuedTokens(t *testing.T) {
	for _, kt := range []struct {
		name string
		key  func(t *testing.T) crypto.Signer
	}{
		{"generated Ed25519", func(*testing.T) crypto.Signer { return nil }},
		{"RS256 from PKCS#1 PEM", func(t *testing.T) crypto.Signer {
			k, err := rsa.GenerateKey(rand.Reader, 2048)
			if err != nil {
				t.Fatal(err)
			}
			return loadPEM(t, "RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(k))
		}},
		{"ES256 from SEC 1 PEM", func(t *testing.T) crypto.Signer {
			k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
			if err != nil {
				t.Fatal(err)
			}
			der, err := x509.MarshalECPrivateKey(k)
			if err != nil {
				t.Fatal(err)
			}
			return loadPEM(t, "EC PRIVATE KEY", der)
		}},
		{"Ed25519 from PKCS#8 PEM", func(t *testing.T) crypto.Signer {
			_, k, err := ed25519.GenerateKey(rand.Reader)
			if err != nil {
				t.Fatal(err)
			}
			der, err := x509.MarshalPKCS8PrivateKey(k)
			if err != nil {
				t.Fatal(err)
			}
			return loadPEM(t, "PRIVATE KEY", der)
		}},
	} {
		t.Run(kt.name, func(t *testing.T) {
			s, ts := startServer(t, authserver.Config{SigningKey: kt.key(t)})
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			v, err := policy.NewJWTVerifier(ctx, policy.WithIssuer(s.Issuer()), policy.WithAudience(testAudience),
				policy.WithHTTPClient(ts.Client()))
			if err != nil {
				t.Fatalf("NewJWTVerifier: %v", err)
			}
			t.Cleanup(func() { _ = v.Close() })
			if v.JWKSURL() != ts.URL+authserver.JWKSPath {
				t.Errorf("discovered JWKS %q, want %q", v.JWKSURL(), ts.URL+authserver.JWKSPath)
			}

			got := callToken(t, ts, tokenCall{basic: [2]string{"demo-agent", "demo-secret"},
				form: form("grant_type", "client_credentials", "scope", "blog:read blog:write", "intent", "msg-42", "resource", testAudience)})
			if got.status != 200 {
				t.Fatalf("token: %d %v", got.status, got.body)
			}
			p, err := v.Verify(ctx, got.str("access_token"))
			if err != nil {
				t.Fatalf("Verify: %v", err)
			}
			if p.Subject != "demo-agent" || p.Client != "demo-agent" || p.IntentID != "msg-42" || p.Issuer != s.Issuer() ||
				!slices.Equal(p.Scopes, []string{"blog:read", "blog:write"}) {
				t.Errorf("principal = %+v", p)
			}
			if d := time.Until(p.Expiry); d <= 0 || d > authserver.MaxTokenLifetime {
				t.Errorf("expiry in %s, want within %s", d, authserver.MaxTokenLifetime)
			}
		})
	}
}

// TestGatewayVerifierRejectsOtherAudience: a token for this gateway is not
// accepted by a gateway with another resource URI.
func TestGatewayVerifierRejectsOtherAudience(t *testing.T) {
	s, ts := startServer(t, authserver.Config{})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	v, err := policy.NewJWTVerifier(ctx, policy.WithIssuer(s.Issuer()), policy.WithAudience("http://127.0.0.1:9999/mcp"),
		policy.WithHTTPClient(ts.Client()))
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	got := callToken(t, ts, tokenCall{basic: [2]string{"demo-agent", "demo-secret"}, form: form("grant_type", "client_credentials")})
	if _, err := v.Verify(ctx, got.str("access_token")); !errors.Is(err, policy.ErrBadAudience) {
		t.Fatalf("Verify = %v, want ErrBadAudience", err)
	}
}

func loadPEM(t *testing.T, typ string, der []byte) crypto.Signer {
	t.Helper()
	path := filepath.Join(t.TempDir(), "key.pem")
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	k, err := authserver.LoadSigningKey(path)
	if err != nil {
		t.Fatalf("LoadSigningKey: %v", err)
	}
	return k
}
