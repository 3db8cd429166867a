package guard_test

import (
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"sync"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v3/jwa"
	"github.com/lestrrat-go/jwx/v3/jws"
	"go-micro.dev/v5/server"

	"github.com/tracegate/tracegate/gateway/guard"
	"github.com/tracegate/tracegate/gateway/guard/guardtest"
	"github.com/tracegate/tracegate/gateway/policy"
	"github.com/tracegate/tracegate/internal/oauthtest"
)

func newKey(t testing.TB) ed25519.PrivateKey { return guardtest.NewKey(t) }

func mustMinter(t testing.TB, k ed25519.PrivateKey) *policy.Minter {
	t.Helper()
	m, err := policy.NewMinter(k)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// alice is the principal of every minted identity.
var alice = policy.Principal{Subject: "alice", Client: "agent", IntentID: "msg-1"}

// mint signs an identity for tool at service aud with scopes and no
// downstream endpoints.
func mint(t testing.TB, m *policy.Minter, tool, aud string, scopes ...string) string {
	t.Helper()
	return mintReq(t, m, policy.IdentityRequest{Tool: tool, Audience: aud, Scopes: scopes})
}

// mintReq signs req, filling the principal and trace id.
func mintReq(t testing.TB, m *policy.Minter, req policy.IdentityRequest) string {
	t.Helper()
	if req.Principal.Subject == "" {
		req.Principal = alice
	}
	if req.TraceID == "" {
		req.TraceID = "0af7651916cd43dd8448eb211c80319c"
	}
	tok, err := m.Mint(req)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// validClaims are the claims of a genuine entry-hop identity for
// posts.Posts.Create; handmade changes them.
func validClaims() map[string]any {
	now := time.Now()
	return map[string]any{
		"sub": "alice", "aud": []string{"posts"}, "iat": now.Unix(), "exp": now.Add(30 * time.Second).Unix(),
		"jti":           base64.RawURLEncoding.EncodeToString([]byte(now.String())),
		guard.ClaimTool: "posts.Posts.Create", guard.ClaimScope: "blog:write",
		guard.ClaimDownstream: []string{"users.Users.Read"},
	}
}

// handmade signs claims (validClaims with changes; a nil value removes the
// claim) with key, protected headers typ and any extra headers.
func handmade(t testing.TB, key ed25519.PrivateKey, typ string, changes map[string]any, headers map[string]any) string {
	t.Helper()
	claims := validClaims()
	for k, v := range changes {
		if v == nil {
			delete(claims, k)
		} else {
			claims[k] = v
		}
	}
	h := map[string]any{jws.TypeKey: typ}
	for k, v := range headers {
		h[k] = v
	}
	return oauthtest.SignJWT(t, jwa.EdDSA(), key, claims, h)
}

// unsigned builds an alg=none identity from the valid claims.
func unsigned() string {
	h, _ := json.Marshal(map[string]string{"alg": "none", "typ": guard.TokenType})
	p, _ := json.Marshal(validClaims())
	enc := base64.RawURLEncoding.EncodeToString
	return enc(h) + "." + enc(p) + "."
}

// harness calls guard wrappers in-process (no transport), one per service
// as each service instance has its own (built with WithAudience(service)):
// present runs one call through the called service's wrapper and returns
// the decision the hook saw.
type harness struct {
	opts    []guard.Option
	mu      sync.Mutex
	ws      map[string]server.HandlerWrapper
	last    guard.Decision
	handled int
}

func newHarness(t testing.TB, opts ...guard.Option) *harness {
	t.Helper()
	h := &harness{ws: map[string]server.HandlerWrapper{}}
	h.opts = append(opts, guard.WithDecisionHook(func(_ context.Context, d guard.Decision) {
		h.mu.Lock()
		h.last = d
		h.mu.Unlock()
	}))
	return h
}

// wrapper is service's guard.
func (h *harness) wrapper(t testing.TB, service string) server.HandlerWrapper {
	t.Helper()
	h.mu.Lock()
	defer h.mu.Unlock()
	if w, ok := h.ws[service]; ok {
		return w
	}
	w, err := guard.New(append(append([]guard.Option{}, h.opts...), guard.WithAudience(service))...)
	if err != nil {
		t.Fatal(err)
	}
	h.ws[service] = w
	return w
}

// present calls endpoint ("Users.Read") of service with token (none when
// empty) and returns the decision and whether the handler ran.
func (h *harness) present(t testing.TB, service, endpoint, token string) (guard.Decision, bool) {
	t.Helper()
	ran, err := guardtest.Call(t.Context(), h.wrapper(t, service), service, endpoint, token)
	h.mu.Lock()
	d := h.last
	h.mu.Unlock()
	if (err == nil) != d.Allowed || ran != d.Allowed {
		t.Fatalf("handler ran %v, err %v, but decision %+v", ran, err, d)
	}
	return d, ran
}

// blogScopes are the blog's declared endpoint scopes, as a static source.
func blogScopes() guard.Option {
	return guard.WithEndpointScopes(map[string][]string{
		"Posts.Create": {"blog:write"}, "Posts.Read": {"blog:read"}, "Posts.Delete": {"blog:admin"},
		"Users.Create": {"blog:admin"}, "Users.Read": {"blog:read"}, "Users.List": nil,
		"Comments.Create": {"blog:write"}, "Comments.List": {"blog:read"},
	})
}
