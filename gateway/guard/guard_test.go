package guard_test

import (
	"github.com/tracegate/tracegate/gateway/reason"
	"github.com/tracegate/tracegate/internal/microkit"
	"github.com/tracegate/tracegate/internal/microkit/microkittest"

	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v3/jwa"
	"github.com/lestrrat-go/jwx/v3/jws"
	"github.com/lestrrat-go/jwx/v3/jwt"
	"github.com/tracegate/tracegate/gateway/guard"
	"github.com/tracegate/tracegate/gateway/policy"
	"go-micro.dev/v5/broker"
	"go-micro.dev/v5/client"
	merrors "go-micro.dev/v5/errors"
	"go-micro.dev/v5/metadata"
	"go-micro.dev/v5/registry"
	"go-micro.dev/v5/server"
	"go-micro.dev/v5/transport"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	microkittest.VerifyTestMain(m,
		// The test client's selector (a plain go-micro client: guard does
		// not depend on microkit's) keeps a registry cache with no stop API.
		goleak.IgnoreAnyFunction("go-micro.dev/v5/registry/cache.(*cache).run"),
		goleak.IgnoreAnyFunction("go-micro.dev/v5/registry/cache.(*cache).watch"),
		goleak.IgnoreAnyFunction("go-micro.dev/v5/registry/cache.(*cache).watch.func1"),
	)
}

// Posts is a tiny go-micro handler.
type Posts struct{}

type CreateRequest struct{ Title string }
type CreateResponse struct{ Subject, Intent string }

func (Posts) Create(ctx context.Context, req *CreateRequest, rsp *CreateResponse) error {
	id, ok := guard.IdentityFrom(ctx)
	if !ok {
		return merrors.InternalServerError("posts", "no identity in handler context")
	}
	rsp.Subject, rsp.Intent = id.Subject, id.IntentID
	return nil
}

func (Posts) Read(ctx context.Context, req *CreateRequest, rsp *CreateResponse) error { return nil }

type env struct {
	cli       client.Client
	minter    *policy.Minter
	mu        sync.Mutex
	decisions []guard.Decision
}

// startPosts runs service "posts" in-process on 127.0.0.1 with the memory
// registry, memory broker and HTTP transport, guarded by the wrapper built
// from opts (plus the decision recorder).
func startPosts(t *testing.T, m *policy.Minter, opts ...guard.Option) *env {
	t.Helper()
	e := &env{minter: m}
	reg := registry.NewMemoryRegistry()
	brk := broker.NewMemoryBroker()
	tr := transport.NewHTTPTransport()
	srv := server.NewRPCServer(server.Name("posts"), server.Registry(reg), server.Broker(brk),
		server.Transport(tr), server.Address("127.0.0.1:0"))
	h := srv.NewHandler(Posts{}, server.WithEndpointScopes("Posts.Create", "posts:write", "posts:admin"))
	opts = append([]guard.Option{guard.WithDecisionHook(func(_ context.Context, d guard.Decision) {
		e.mu.Lock()
		e.decisions = append(e.decisions, d)
		e.mu.Unlock()
	})}, opts...)
	if err := srv.Init(server.WrapHandler(guard.NewHandlerWrapper(append(opts, guard.WithServer(srv))...))); err != nil {
		t.Fatal(err)
	}
	if err := srv.Handle(h); err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Stop() })
	// A client with its own selector: client.Registry would re-point go-micro's
	// global default selector, shared (and cached) across tests.
	cli, err := microkit.NewClient(microkit.WithRegistry(reg), microkit.WithTransport(tr),
		microkit.WithClientOptions(client.RequestTimeout(5*time.Second), client.Retries(0),
			client.PoolSize(0))) // no pooled sockets left open after the test
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cli.Close() })
	e.cli = cli
	return e
}

func (e *env) call(t *testing.T, endpoint, token string) (CreateResponse, *merrors.Error) {
	t.Helper()
	ctx := t.Context()
	if token != "" {
		// lowercase on purpose: the HTTP transport Title-cases it.
		ctx = metadata.NewContext(ctx, metadata.Metadata{"tracegate-identity": token})
	}
	var rsp CreateResponse
	err := e.cli.Call(ctx, e.cli.NewRequest("posts", endpoint, &CreateRequest{Title: "x"}), &rsp)
	if err == nil {
		return rsp, nil
	}
	return rsp, merrors.FromError(err)
}

func newKey(t testing.TB) ed25519.PrivateKey {
	t.Helper()
	_, k, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func mint(t testing.TB, m *policy.Minter, tool, aud string, scopes ...string) string {
	t.Helper()
	tok, err := m.Mint(policy.IdentityRequest{
		Principal: policy.Principal{Subject: "alice", Client: "agent", IntentID: "msg-1"},
		Tool:      tool, Audience: aud, TraceID: "0af7651916cd43dd8448eb211c80319c", Scopes: scopes,
	})
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// handmade signs arbitrary identity claims with key.
func handmade(t testing.TB, key ed25519.PrivateKey, typ string, iat, exp time.Time, extra map[string]any) string {
	t.Helper()
	b := jwt.NewBuilder().Subject("alice").Audience([]string{"posts"}).IssuedAt(iat).Expiration(exp).
		Claim(guard.ClaimTool, "posts.Posts.Create").Claim(guard.ClaimScope, "posts:write")
	for k, v := range extra {
		b = b.Claim(k, v)
	}
	tok, err := b.Build()
	if err != nil {
		t.Fatal(err)
	}
	h := jws.NewHeaders()
	_ = h.Set(jws.TypeKey, typ)
	out, err := jwt.Sign(tok, jwt.WithKey(jwa.EdDSA(), key, jws.WithProtectedHeaders(h)))
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}

func TestHandlerWrapper(t *testing.T) {
	key := newKey(t)
	m, err := policy.NewMinter(key)
	if err != nil {
		t.Fatal(err)
	}
	e := startPosts(t, m, guard.WithPublicKey(m.PublicKey()))
	now := time.Now()
	tests := []struct {
		name     string
		endpoint string
		token    string
		code     int32 // 0: allowed
		reason   reason.Reason
	}{
		{"valid", "Posts.Create", mint(t, m, "posts.Posts.Create", "posts", "posts:write"), 0, reason.Granted},
		{"unscoped endpoint", "Posts.Read", mint(t, m, "posts.Posts.Read", "posts"), 0, reason.Granted},
		{"missing", "Posts.Create", "", 401, reason.IdentityMissing},
		{"forged (other key)", "Posts.Create", mint(t, mustMinter(t, newKey(t)), "posts.Posts.Create", "posts", "posts:write"), 401, reason.IdentityInvalid},
		{"garbage", "Posts.Create", "abc.def.ghi", 401, reason.IdentityInvalid},
		{"expired", "Posts.Create", handmade(t, key, guard.TokenType, now.Add(-2*time.Minute), now.Add(-time.Minute), nil), 401, reason.IdentityInvalid},
		{"lifetime over 60s", "Posts.Create", handmade(t, key, guard.TokenType, now, now.Add(10*time.Minute), nil), 401, reason.IdentityInvalid},
		{"not an identity (typ JWT)", "Posts.Create", handmade(t, key, "JWT", now, now.Add(30*time.Second), nil), 401, reason.IdentityInvalid},
		{"wrong audience", "Posts.Create", mint(t, m, "posts.Posts.Create", "users", "posts:write"), 401, reason.WrongAudience},
		{"wrong tool", "Posts.Create", mint(t, m, "posts.Posts.Read", "posts", "posts:write"), 403, reason.WrongTool},
		{"insufficient scope", "Posts.Create", mint(t, m, "posts.Posts.Create", "posts", "posts:read"), 403, reason.InsufficientScope},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e.mu.Lock()
			e.decisions = nil
			e.mu.Unlock()
			rsp, err := e.call(t, tt.endpoint, tt.token)
			if tt.code == 0 {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				if tt.endpoint == "Posts.Create" && (rsp.Subject != "alice" || rsp.Intent != "msg-1") {
					t.Fatalf("handler saw identity %+v", rsp)
				}
			} else if err == nil || err.Code != tt.code {
				t.Fatalf("err = %v, want code %d", err, tt.code)
			}
			e.mu.Lock()
			defer e.mu.Unlock()
			if len(e.decisions) != 1 || e.decisions[0].Reason != tt.reason || e.decisions[0].Allowed != (tt.code == 0) {
				t.Fatalf("decisions = %+v", e.decisions)
			}
		})
	}
}

func mustMinter(t testing.TB, k ed25519.PrivateKey) *policy.Minter {
	t.Helper()
	m, err := policy.NewMinter(k)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestHandlerWrapperJWKSAndRateLimit(t *testing.T) {
	m := mustMinter(t, newKey(t))
	jwks := httptest.NewServer(m.JWKSHandler())
	t.Cleanup(jwks.Close)
	e := startPosts(t, m, guard.WithJWKSURL(jwks.URL), guard.WithHTTPClient(jwks.Client()),
		guard.WithRateLimit(0.001, 2), guard.WithEndpointScopes(map[string][]string{"Posts.Create": {"posts:write"}}))
	tok := mint(t, m, "posts.Posts.Create", "posts", "posts:write")
	for i, want := range []int32{0, 0, 429} {
		_, err := e.call(t, "Posts.Create", tok)
		switch {
		case want == 0 && err != nil:
			t.Fatalf("call %d: %v", i, err)
		case want != 0 && (err == nil || err.Code != want):
			t.Fatalf("call %d: %v, want %d", i, err, want)
		}
	}
	e.mu.Lock()
	last := e.decisions[len(e.decisions)-1]
	e.mu.Unlock()
	if last.Reason != reason.RateLimited || last.RetryAfter <= 0 {
		t.Fatalf("last decision %+v", last)
	}
	// A forged identity with an unknown kid triggers one refetch and fails.
	if _, err := e.call(t, "Posts.Create", mint(t, mustMinter(t, newKey(t)), "posts.Posts.Create", "posts", "posts:write")); err == nil || err.Code != 401 {
		t.Fatalf("unknown kid: %v", err)
	}
}

func TestHandlerWrapperConcurrentSafe(t *testing.T) {
	m := mustMinter(t, newKey(t))
	e := startPosts(t, m, guard.WithPublicKey(m.PublicKey()), guard.WithRateLimit(1000, 1000))
	tok := mint(t, m, "posts.Posts.Create", "posts", "posts:admin")
	// One call first: go-micro's registry cache answers ErrNotFound to
	// concurrent first lookups of a service (microkit.Client.Warm).
	if _, err := e.call(t, "Posts.Create", tok); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 40)
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 10 {
				if _, err := e.call(t, "Posts.Create", tok); err != nil {
					errs <- err
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}

func TestTokenFromMetadata(t *testing.T) {
	for _, k := range []string{"Tracegate-Identity", "tracegate-identity", "TRACEGATE-IDENTITY"} {
		ctx := metadata.NewContext(context.Background(), metadata.Metadata{k: "tok"})
		if got, ok := guard.TokenFromMetadata(ctx); !ok || got != "tok" {
			t.Fatalf("%s: %q %v", k, got, ok)
		}
	}
	if _, ok := guard.TokenFromMetadata(context.Background()); ok {
		t.Fatal("no metadata")
	}
}

func TestNewWithoutKey(t *testing.T) {
	if _, err := guard.New(); !errors.Is(err, guard.ErrNoKey) {
		t.Fatalf("New() = %v, want ErrNoKey", err)
	}
	defer func() {
		if recover() == nil {
			t.Fatal("NewHandlerWrapper without key must panic")
		}
	}()
	guard.NewHandlerWrapper()
}

// TestForwardedIdentities: a downstream hop (an identity minted for another
// service's tool) is refused by default and accepted, still verified, with
// WithForwardedIdentities.
func TestForwardedIdentities(t *testing.T) {
	key := newKey(t)
	m := mustMinter(t, key)
	forwarded := mint(t, m, "users.Users.Create", "users", "blog:admin")
	for _, tc := range []struct {
		name   string
		opts   []guard.Option
		token  string
		code   int32
		reason reason.Reason
	}{
		{"strict refuses a hop", nil, forwarded, 401, reason.WrongAudience},
		{"forwarding accepts a hop", []guard.Option{guard.WithForwardedIdentities()}, forwarded, 0, reason.Forwarded},
		{"forwarding still verifies", []guard.Option{guard.WithForwardedIdentities()},
			mint(t, mustMinter(t, newKey(t)), "users.Users.Create", "users"), 401, reason.IdentityInvalid},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := startPosts(t, m, append([]guard.Option{guard.WithPublicKey(m.PublicKey())}, tc.opts...)...)
			_, err := e.call(t, "Posts.Create", tc.token)
			if tc.code == 0 && err != nil {
				t.Fatalf("refused: %v", err)
			}
			if tc.code != 0 && (err == nil || err.Code != tc.code) {
				t.Fatalf("err = %v, want %d", err, tc.code)
			}
			e.mu.Lock()
			defer e.mu.Unlock()
			if len(e.decisions) != 1 || e.decisions[0].Reason != tc.reason {
				t.Fatalf("decisions = %+v", e.decisions)
			}
		})
	}
}
