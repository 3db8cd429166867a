package policy

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

const testAudience = "https://gw.example.test/mcp"

// testAuthServer is a real JWKS + RFC 8414 metadata server on 127.0.0.1.
type testAuthServer struct {
	srv        *httptest.Server
	mu         sync.Mutex
	keys       map[string]any // kid -> private key
	published  []string       // kids in the JWKS
	jwksHits   atomic.Int64
	noOAuthMD  bool // serve only openid-configuration
	wrongIssMD bool
}

func newTestAuthServer(t testing.TB) *testAuthServer {
	t.Helper()
	a := &testAuthServer{keys: map[string]any{}}
	mux := http.NewServeMux()
	mux.HandleFunc("/jwks", a.serveJWKS)
	mux.HandleFunc("/.well-known/oauth-authorization-server", func(w http.ResponseWriter, r *http.Request) {
		if a.noOAuthMD {
			http.NotFound(w, r)
			return
		}
		a.serveMetadata(w, r)
	})
	mux.HandleFunc("/.well-known/openid-configuration", a.serveMetadata)
	a.srv = httptest.NewServer(mux)
	t.Cleanup(a.srv.Close)
	a.addKey(t, "rsa-1", mustRSA(t), true)
	return a
}

func (a *testAuthServer) issuer() string { return a.srv.URL }

func (a *testAuthServer) serveMetadata(w http.ResponseWriter, _ *http.Request) {
	iss := a.issuer()
	if a.wrongIssMD {
		iss = "https://evil.example"
	}
	_ = json.NewEncoder(w).Encode(map[string]any{"issuer": iss, "jwks_uri": a.srv.URL + "/jwks"})
}

func (a *testAuthServer) serveJWKS(w http.ResponseWriter, _ *http.Request) {
	a.jwksHits.Add(1)
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

func (a *testAuthServer) addKey(t testing.TB, kid string, priv any, publish bool) {
	t.Helper()
	a.mu.Lock()
	defer a.mu.Unlock()
	a.keys[kid] = priv
	if publish {
		a.published = append(a.published, kid)
	}
}

func (a *testAuthServer) publish(kid string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.published = append(a.published, kid)
}

// claims returns valid default claims.
func (a *testAuthServer) claims() map[string]any {
	now := time.Now()
	return map[string]any{
		"iss": a.issuer(), "sub": "alice", "aud": testAudience,
		"exp": now.Add(5 * time.Minute).Unix(), "iat": now.Unix(),
		"scope": "blog:read blog:write", "client_id": "agent-1", "intent": "msg-42",
	}
}

// sign signs claims with the key kid using alg.
func (a *testAuthServer) sign(t testing.TB, kid string, alg jwa.SignatureAlgorithm, claims map[string]any) string {
	t.Helper()
	a.mu.Lock()
	key := a.keys[kid]
	a.mu.Unlock()
	b := jwt.NewBuilder()
	for k, v := range claims {
		b = b.Claim(k, v)
	}
	tok, err := b.Build()
	if err != nil {
		t.Fatal(err)
	}
	h := jws.NewHeaders()
	_ = h.Set(jws.KeyIDKey, kid)
	out, err := jwt.Sign(tok, jwt.WithKey(alg, key, jws.WithProtectedHeaders(h)))
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}

func mustRSA(t testing.TB) *rsa.PrivateKey {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func mustEC(t testing.TB) *ecdsa.PrivateKey {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// unsignedToken builds an alg=none token.
func unsignedToken(claims map[string]any) string {
	h, _ := json.Marshal(map[string]string{"alg": "none", "typ": "JWT", "kid": "rsa-1"})
	p, _ := json.Marshal(claims)
	enc := base64.RawURLEncoding.EncodeToString
	return enc(h) + "." + enc(p) + "."
}

// hsWithPublicKey signs with HS256 using the RSA public key's PEM as secret:
// the classic algorithm-confusion attack.
func hsWithPublicKey(t testing.TB, pub *rsa.PublicKey, claims map[string]any) string {
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
