// Package oauthtest is a fake OAuth authorization server for tests: RFC 8414
// metadata and a JWKS on 127.0.0.1, keys that can be added, published or
// withheld (rotation), and helpers that forge the tokens a resource server
// must refuse (alg none, HS256 keyed with the public key).
package oauthtest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v3/jwa"
	"github.com/lestrrat-go/jwx/v3/jwk"
	"github.com/lestrrat-go/jwx/v3/jws"
	"github.com/lestrrat-go/jwx/v3/jwt"
)

// Audience is the default aud of [Issuer.Claims].
const Audience = "https://gw.example.test/mcp"

// Issuer is a real JWKS + RFC 8414 metadata server on 127.0.0.1.
type Issuer struct {
	Server     *httptest.Server
	JWKSHits   atomic.Int64
	NoOAuthMD  bool // serve only openid-configuration
	WrongIssMD bool // metadata names another issuer

	mu        sync.Mutex
	keys      map[string]any // kid -> private key
	published []string       // kids in the JWKS
}

// Start serves an issuer with one published RSA key, kid "rsa-1".
func Start(t testing.TB) *Issuer {
	t.Helper()
	a := &Issuer{keys: map[string]any{}}
	mux := http.NewServeMux()
	mux.HandleFunc("/jwks", a.serveJWKS)
	mux.HandleFunc("/.well-known/oauth-authorization-server", func(w http.ResponseWriter, r *http.Request) {
		if a.NoOAuthMD {
			http.NotFound(w, r)
			return
		}
		a.serveMetadata(w, r)
	})
	mux.HandleFunc("/.well-known/openid-configuration", a.serveMetadata)
	a.Server = httptest.NewServer(mux)
	t.Cleanup(a.Server.Close)
	a.AddKey(t, "rsa-1", RSAKey(t), true)
	return a
}

// URL is the issuer identifier.
func (a *Issuer) URL() string { return a.Server.URL }

func (a *Issuer) serveMetadata(w http.ResponseWriter, _ *http.Request) {
	iss := a.URL()
	if a.WrongIssMD {
		iss = "https://evil.example"
	}
	_ = json.NewEncoder(w).Encode(map[string]any{"issuer": iss, "jwks_uri": a.Server.URL + "/jwks"})
}

func (a *Issuer) serveJWKS(w http.ResponseWriter, _ *http.Request) {
	a.JWKSHits.Add(1)
	a.mu.Lock()
	defer a.mu.Unlock()
	set := jwk.NewSet()
	for _, kid := range a.published {
		pub, err := jwk.PublicKeyOf(a.keys[kid])
		if err != nil {
			panic(err)
		}
		_ = pub.Set(jwk.KeyIDKey, kid)
		_ = set.AddKey(pub)
	}
	_ = json.NewEncoder(w).Encode(set)
}

// AddKey adds a signing key; publish puts it in the JWKS now.
func (a *Issuer) AddKey(t testing.TB, kid string, priv any, publish bool) {
	t.Helper()
	a.mu.Lock()
	defer a.mu.Unlock()
	a.keys[kid] = priv
	if publish {
		a.published = append(a.published, kid)
	}
}

// Publish adds kid to the JWKS (key rotation).
func (a *Issuer) Publish(kid string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.published = append(a.published, kid)
}

// Claims returns valid default claims for [Audience].
func (a *Issuer) Claims() map[string]any {
	now := time.Now()
	return map[string]any{
		"iss": a.URL(), "sub": "alice", "aud": Audience,
		"exp": now.Add(5 * time.Minute).Unix(), "iat": now.Unix(),
		"scope": "blog:read blog:write", "client_id": "agent-1", "intent": "msg-42",
	}
}

// Sign signs claims with the key kid using alg.
func (a *Issuer) Sign(t testing.TB, kid string, alg jwa.SignatureAlgorithm, claims map[string]any) string {
	t.Helper()
	return a.SignWithHeaders(t, kid, alg, claims, nil)
}

// SignWithHeaders is Sign with extra protected headers (typ, crit, …).
func (a *Issuer) SignWithHeaders(t testing.TB, kid string, alg jwa.SignatureAlgorithm, claims, headers map[string]any) string {
	t.Helper()
	a.mu.Lock()
	key := a.keys[kid]
	a.mu.Unlock()
	h := map[string]any{jws.KeyIDKey: kid}
	for k, v := range headers {
		h[k] = v
	}
	return SignJWT(t, alg, key, claims, h)
}

// SignJWT signs claims with key using alg and the given protected headers,
// whatever they say: for building hostile tokens in tests.
func SignJWT(t testing.TB, alg jwa.SignatureAlgorithm, key any, claims, headers map[string]any) string {
	t.Helper()
	b := jwt.NewBuilder()
	for k, v := range claims {
		b = b.Claim(k, v)
	}
	tok, err := b.Build()
	if err != nil {
		t.Fatal(err)
	}
	h := jws.NewHeaders()
	for k, v := range headers {
		if err := h.Set(k, v); err != nil {
			t.Fatal(err)
		}
	}
	out, err := jwt.Sign(tok, jwt.WithKey(alg, key, jws.WithProtectedHeaders(h)))
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}

// RSAKey generates a 2048-bit RSA key.
func RSAKey(t testing.TB) *rsa.PrivateKey {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// ECKey generates a P-256 key.
func ECKey(t testing.TB) *ecdsa.PrivateKey {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// Unsigned builds an alg=none token.
func Unsigned(claims map[string]any) string {
	h, _ := json.Marshal(map[string]string{"alg": "none", "typ": "JWT", "kid": "rsa-1"})
	p, _ := json.Marshal(claims)
	enc := base64.RawURLEncoding.EncodeToString
	return enc(h) + "." + enc(p) + "."
}

// HSWithPublicKey signs with HS256 using the RSA public key's PEM as secret:
// the classic algorithm-confusion attack.
func HSWithPublicKey(t testing.TB, pub *rsa.PublicKey, claims map[string]any) string {
	t.Helper()
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	secret := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
	h, _ := json.Marshal(map[string]string{"alg": "HS256", "typ": "JWT", "kid": "rsa-1"})
	p, _ := json.Marshal(claims)
	enc := base64.RawURLEncoding.EncodeToString
	input := enc(h) + "." + enc(p)
	return input + "." + enc(hmacSHA256(secret, []byte(input)))
}

func hmacSHA256(key, msg []byte) []byte {
	m := hmac.New(sha256.New, key)
	m.Write(msg)
	return m.Sum(nil)
}

// RSAPublicKey returns the public half of the RSA key kid.
func (a *Issuer) RSAPublicKey(kid string) *rsa.PublicKey {
	a.mu.Lock()
	defer a.mu.Unlock()
	return &a.keys[kid].(*rsa.PrivateKey).PublicKey
}

// FlipB64 returns another valid base64url character than c, to tamper with
// a signature without making it undecodable.
func FlipB64(c byte) byte {
	if c == 'A' {
		return 'B'
	}
	return 'A'
}
