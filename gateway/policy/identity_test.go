package policy

import (
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v3/jwa"
	"github.com/lestrrat-go/jwx/v3/jwk"
	"github.com/lestrrat-go/jwx/v3/jws"
	"github.com/lestrrat-go/jwx/v3/jwt"
	"github.com/tracegate/tracegate/gateway/guard"
)

func newTestMinter(t testing.TB, opts ...MinterOption) *Minter {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	m, err := NewMinter(priv, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestMinter(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	m := newTestMinter(t, WithIdentityIssuer("https://gw.example.test"), withMinterClock(func() time.Time { return now }))
	raw, err := m.Mint(IdentityRequest{
		Principal: Principal{Subject: "alice", Client: "agent-1", IntentID: "msg-42", Scopes: []string{"blog:*", "secret"}},
		Tool:      "posts.Posts.Create", Audience: "posts", TraceID: "0af7651916cd43dd8448eb211c80319c",
		Scopes: []string{"blog:write", "blog:read", "blog:write"}, Downstream: []string{"users.Users.Read", "media.Media.Put", "users.Users.Read"},
	})
	if err != nil {
		t.Fatal(err)
	}
	msg, err := jws.Parse([]byte(raw))
	if err != nil {
		t.Fatal(err)
	}
	h := msg.Signatures()[0].ProtectedHeaders()
	if typ, _ := h.Type(); typ != guard.TokenType {
		t.Fatalf("typ = %q", typ)
	}
	if kid, _ := h.KeyID(); kid != m.KeyID() || kid == "" {
		t.Fatalf("kid = %q", kid)
	}
	tok, err := jwt.Parse([]byte(raw), jwt.WithKey(jwa.EdDSA(), m.PublicKey()), jwt.WithValidate(false))
	if err != nil {
		t.Fatal(err)
	}
	iat, _ := tok.IssuedAt()
	exp, _ := tok.Expiration()
	aud, _ := tok.Audience()
	sub, _ := tok.Subject()
	jti, _ := tok.JwtID()
	if exp.Sub(iat) != DefaultIdentityTTL || !iat.Equal(now) || !slices.Equal(aud, []string{"posts"}) || sub != "alice" || jti == "" {
		t.Fatalf("registered claims: iat %v exp %v aud %v sub %q jti %q", iat, exp, aud, sub, jti)
	}
	for k, want := range map[string]string{
		guard.ClaimScope: "blog:read blog:write", guard.ClaimTool: "posts.Posts.Create", guard.ClaimClient: "agent-1",
		guard.ClaimIntent: "msg-42", guard.ClaimTraceID: "0af7651916cd43dd8448eb211c80319c",
	} {
		var got string
		if err := tok.Get(k, &got); err != nil || got != want {
			t.Fatalf("claim %s = %q (%v), want %q", k, got, err, want)
		}
	}

	var ds []any
	if err := tok.Get(guard.ClaimDownstream, &ds); err != nil || !slices.Equal(ds, []any{"media.Media.Put", "users.Users.Read"}) {
		t.Fatalf("downstream = %q (%v), want sorted and deduplicated", ds, err)
	}

	// The JWKS handler serves a key that verifies the identity.
	srv := httptest.NewServer(m.JWKSHandler())
	defer srv.Close()
	set, err := jwk.Fetch(t.Context(), srv.URL, jwk.WithHTTPClient(srv.Client()))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := jwt.Parse([]byte(raw), jwt.WithKeySet(set), jwt.WithValidate(false)); err != nil {
		t.Fatalf("verify with served JWKS: %v", err)
	}
}

func TestNewMinterErrors(t *testing.T) {
	_, priv, _ := ed25519.GenerateKey(rand.Reader)
	tests := []struct {
		name string
		key  ed25519.PrivateKey
		opts []MinterOption
		want error
	}{
		{"short key", priv[:10], nil, ErrInvalidKey},
		{"ttl over 60s", priv, []MinterOption{WithIdentityTTL(61 * time.Second)}, ErrInvalidTTL},
		{"zero ttl", priv, []MinterOption{WithIdentityTTL(0)}, ErrInvalidTTL},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := NewMinter(tt.key, tt.opts...); !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
		})
	}
	for _, req := range []IdentityRequest{
		{Tool: "x", Principal: Principal{Subject: "alice"}},
		{Audience: "x", Principal: Principal{Subject: "alice"}},
		{Tool: "x.X.Y", Audience: "x"}, // empty subject
	} {
		if _, err := newTestMinter(t).Mint(req); !errors.Is(err, ErrIncompleteIdentity) {
			t.Fatalf("Mint(%+v) = %v, want ErrIncompleteIdentity", req, err)
		}
	}
}

// parseUnverified reads a minted identity's claims (the signature is tested
// in TestMinter).
func parseUnverified(t *testing.T, m *Minter, raw string) jwt.Token {
	t.Helper()
	tok, err := jwt.Parse([]byte(raw), jwt.WithKey(jwa.EdDSA(), m.PublicKey()), jwt.WithValidate(false))
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// TestMinterLifetime: an identity lives min(request TTL, configured TTL),
// rounded up to whole seconds; a request without TTL gets the configured one.
func TestMinterLifetime(t *testing.T) {
	now := time.Unix(1_800_000_000, 700_000_000)
	m := newTestMinter(t, WithIdentityTTL(20*time.Second), withMinterClock(func() time.Time { return now }))
	for _, tc := range []struct {
		ttl, want time.Duration
	}{
		{0, 20 * time.Second},
		{5 * time.Second, 5 * time.Second},
		{1500 * time.Millisecond, 2 * time.Second},
		{time.Millisecond, time.Second},
		{time.Hour, 20 * time.Second},
		{-time.Second, 20 * time.Second},
	} {
		raw, err := m.Mint(IdentityRequest{Principal: Principal{Subject: "alice"}, Tool: "posts.Posts.Read", Audience: "posts", TTL: tc.ttl})
		if err != nil {
			t.Fatal(err)
		}
		tok := parseUnverified(t, m, raw)
		iat, _ := tok.IssuedAt()
		exp, _ := tok.Expiration()
		if got := exp.Sub(iat); got != tc.want || !iat.Equal(now.Truncate(time.Second)) {
			t.Errorf("TTL %s: iat %v, lifetime %s, want %s", tc.ttl, iat, got, tc.want)
		}
	}
}

// TestMinterTraceID: a valid W3C trace id is signed in canonical form; an
// empty, malformed or all-zero one is left out, never signed.
func TestMinterTraceID(t *testing.T) {
	m := newTestMinter(t)
	for in, want := range map[string]string{
		"0af7651916cd43dd8448eb211c80319c":   "0af7651916cd43dd8448eb211c80319c",
		"":                                   "",
		"00000000000000000000000000000000":   "",
		"0AF7651916CD43DD8448EB211C80319C":   "",
		"0af7651916cd43dd8448eb211c80319":    "",
		"0af7651916cd43dd8448eb211c80319c00": "",
		"not-a-trace-id-at-all-0123456789":   "",
	} {
		raw, err := m.Mint(IdentityRequest{Principal: Principal{Subject: "alice"}, Tool: "posts.Posts.Read", Audience: "posts", TraceID: in})
		if err != nil {
			t.Fatalf("%q: %v", in, err)
		}
		var got string
		_ = parseUnverified(t, m, raw).Get(guard.ClaimTraceID, &got)
		if got != want {
			t.Errorf("trace id %q signed as %q, want %q", in, got, want)
		}
	}
}

// TestMinterFreshPerCall: every Mint is a new identity.
func TestMinterFreshPerCall(t *testing.T) {
	m := newTestMinter(t)
	req := IdentityRequest{Principal: Principal{Subject: "alice"}, Tool: "posts.Posts.Read", Audience: "posts"}
	seen := map[string]bool{}
	for range 50 {
		raw, err := m.Mint(req)
		if err != nil {
			t.Fatal(err)
		}
		jti, _ := parseUnverified(t, m, raw).JwtID()
		if seen[jti] {
			t.Fatalf("jti %q minted twice", jti)
		}
		seen[jti] = true
	}
}

// BenchmarkMint: one downstream identity (payload, Ed25519 signature,
// compact serialization), minted per dispatch attempt.
func BenchmarkMint(b *testing.B) {
	m := newTestMinter(b)
	req := IdentityRequest{Principal: Principal{Subject: "alice", Client: "agent", IntentID: "m1"}, Tool: "users.Users.Read", Audience: "users", Scopes: []string{"blog:read"}, TraceID: "0af7651916cd43dd8448eb211c80319c"}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := m.Mint(req); err != nil {
			b.Fatal(err)
		}
	}
}
