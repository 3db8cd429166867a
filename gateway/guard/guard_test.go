package guard_test

import (
	"context"
	"errors"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"go-micro.dev/v5/broker"
	"go-micro.dev/v5/client"
	merrors "go-micro.dev/v5/errors"
	"go-micro.dev/v5/metadata"
	"go-micro.dev/v5/registry"
	"go-micro.dev/v5/server"
	"go-micro.dev/v5/transport"
	"go.uber.org/goleak"

	"github.com/tracegate/tracegate/gateway/guard"
	"github.com/tracegate/tracegate/gateway/policy"
	"github.com/tracegate/tracegate/gateway/reason"
	"github.com/tracegate/tracegate/internal/microkit"
	"github.com/tracegate/tracegate/internal/microkit/microkittest"
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
	mu        sync.Mutex
	decisions []guard.Decision
}

// startPosts runs service "posts" in-process on 127.0.0.1 with the memory
// registry, memory broker and HTTP transport, guarded by the wrapper built
// from opts (plus the decision recorder and the server's own scopes).
func startPosts(t *testing.T, opts ...guard.Option) *env {
	t.Helper()
	e := &env{}
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

func (e *env) reset() {
	e.mu.Lock()
	e.decisions = nil
	e.mu.Unlock()
}

func (e *env) only(t *testing.T) guard.Decision {
	t.Helper()
	e.mu.Lock()
	defer e.mu.Unlock()
	if len(e.decisions) != 1 {
		t.Fatalf("decisions = %+v, want one", e.decisions)
	}
	return e.decisions[0]
}

// TestHandlerWrapper runs entry hops through a real go-micro server.
func TestHandlerWrapper(t *testing.T) {
	key := newKey(t)
	m := mustMinter(t, key)
	e := startPosts(t, guard.WithPublicKey(m.PublicKey()))
	tests := []struct {
		name     string
		endpoint string
		token    string
		code     int32 // 0: allowed
		reason   reason.Reason
	}{
		{"valid", "Posts.Create", mint(t, m, "posts.Posts.Create", "posts", "posts:write"), 0, reason.Granted},
		{"unscoped endpoint", "Posts.Read", mint(t, m, "posts.Posts.Read", "posts"), 0, reason.Granted},
		// The gateway decided (an override may loosen a tool): the entry hop
		// does not re-check the endpoint's declared scopes.
		{"entry hop follows the gateway's decision", "Posts.Create", mint(t, m, "posts.Posts.Create", "posts", "blog:posts"), 0, reason.Granted},
		{"missing", "Posts.Create", "", 401, reason.IdentityMissing},
		{"forged (other key)", "Posts.Create", mint(t, mustMinter(t, newKey(t)), "posts.Posts.Create", "posts", "posts:write"), 401, reason.IdentityInvalid},
		{"garbage", "Posts.Create", "abc.def.ghi", 401, reason.IdentityInvalid},
		{"lifetime over 60s", "Posts.Create", handmade(t, key, guard.TokenType, map[string]any{"exp": time.Now().Add(10 * time.Minute).Unix()}, nil), 401, reason.IdentityInvalid},
		{"wrong audience", "Posts.Create", mint(t, m, "posts.Posts.Create", "users", "posts:write"), 401, reason.WrongAudience},
		{"wrong tool", "Posts.Create", mint(t, m, "posts.Posts.Read", "posts", "posts:write"), 403, reason.WrongTool},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e.reset()
			rsp, err := e.call(t, tt.endpoint, tt.token)
			if tt.code == 0 {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				if tt.endpoint == "Posts.Create" && (rsp.Subject != "alice" || rsp.Intent != "msg-1") {
					t.Fatalf("handler saw identity %+v", rsp)
				}
			} else if err == nil || err.Code != tt.code || err.Detail != string(tt.reason) {
				t.Fatalf("err = %v, want code %d, detail %s", err, tt.code, tt.reason)
			}
			if d := e.only(t); d.Reason != tt.reason || d.Allowed != (tt.code == 0) {
				t.Fatalf("decision = %+v", d)
			}
		})
	}
	t.Run("replayed over the wire", func(t *testing.T) {
		tok := mint(t, m, "posts.Posts.Create", "posts", "posts:write")
		if _, err := e.call(t, "Posts.Create", tok); err != nil {
			t.Fatal(err)
		}
		e.reset()
		if _, err := e.call(t, "Posts.Create", tok); err == nil || err.Code != 401 || err.Detail != string(reason.IdentityReplayed) {
			t.Fatalf("second presentation: %v", err)
		}
		if d := e.only(t); !errors.Is(d.Err, guard.ErrReplayed) {
			t.Fatalf("decision = %+v", d)
		}
	})
}

func TestHandlerWrapperJWKSAndRateLimit(t *testing.T) {
	m := mustMinter(t, newKey(t))
	jwks := httptest.NewServer(m.JWKSHandler())
	t.Cleanup(jwks.Close)
	e := startPosts(t, guard.WithJWKSURL(jwks.URL), guard.WithHTTPClient(jwks.Client()),
		guard.WithRateLimit(0.001, 2), guard.WithEndpointScopes(map[string][]string{"Posts.Create": {"posts:write"}}))
	for i, want := range []int32{0, 0, 429} {
		// A fresh identity per call, as the gateway mints per attempt.
		_, err := e.call(t, "Posts.Create", mint(t, m, "posts.Posts.Create", "posts", "posts:write"))
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
	e := startPosts(t, guard.WithPublicKey(m.PublicKey()), guard.WithRateLimit(1000, 1000))
	// One call first: go-micro's registry cache answers ErrNotFound to
	// concurrent first lookups of a service (microkit.Client.Warm).
	if _, err := e.call(t, "Posts.Create", mint(t, m, "posts.Posts.Create", "posts", "posts:admin")); err != nil {
		t.Fatal(err)
	}
	// Fresh identities concurrently: all accepted. One identity presented
	// concurrently: accepted exactly once.
	shared := mint(t, m, "posts.Posts.Create", "posts", "posts:admin")
	var wg sync.WaitGroup
	errs := make(chan error, 40)
	sharedOK := make(chan bool, 20)
	for range 4 {
		wg.Go(func() {
			for range 5 {
				if _, err := e.call(t, "Posts.Create", mint(t, m, "posts.Posts.Create", "posts", "posts:admin")); err != nil {
					errs <- err
				}
				_, err := e.call(t, "Posts.Create", shared)
				if err != nil && err.Detail != string(reason.IdentityReplayed) {
					errs <- err
				}
				sharedOK <- err == nil
			}
		})
	}
	wg.Wait()
	close(errs)
	close(sharedOK)
	for err := range errs {
		t.Fatal(err)
	}
	n := 0
	for ok := range sharedOK {
		if ok {
			n++
		}
	}
	if n != 1 {
		t.Fatalf("one identity accepted %d times concurrently, want once", n)
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

// TestForwardedIdentities: a forwarded hop is refused by default and, with
// WithForwardedIdentities, accepted only for a listed endpoint whose own
// declared scopes the identity holds (here read from the server's
// registration: Posts.Create declares posts:write, posts:admin).
func TestForwardedIdentities(t *testing.T) {
	m := mustMinter(t, newKey(t))
	hop := func(scopes ...string) string {
		return mintReq(t, m, policy.IdentityRequest{Tool: "comments.Comments.Create", Audience: "comments",
			Scopes: scopes, Downstream: []string{"posts.Posts.Create"}})
	}
	for _, tc := range []struct {
		name   string
		opts   []guard.Option
		token  string
		code   int32
		reason reason.Reason
	}{
		{"strict refuses a hop", nil, hop("posts:write"), 401, reason.WrongAudience},
		{"forwarding accepts a listed hop", []guard.Option{guard.WithForwardedIdentities()}, hop("posts:write"), 0, reason.Forwarded},
		{"forwarding checks the endpoint's scopes", []guard.Option{guard.WithForwardedIdentities()}, hop("blog:read"), 403, reason.InsufficientScope},
		{"forwarding checks the list", []guard.Option{guard.WithForwardedIdentities()},
			mint(t, m, "comments.Comments.Create", "comments", "posts:write"), 403, reason.DownstreamNotAllowed},
		{"forwarding still verifies", []guard.Option{guard.WithForwardedIdentities()},
			mintReq(t, mustMinter(t, newKey(t)), policy.IdentityRequest{Tool: "comments.Comments.Create", Audience: "comments",
				Scopes: []string{"posts:write"}, Downstream: []string{"posts.Posts.Create"}}), 401, reason.IdentityInvalid},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := startPosts(t, append([]guard.Option{guard.WithPublicKey(m.PublicKey())}, tc.opts...)...)
			_, err := e.call(t, "Posts.Create", tc.token)
			if tc.code == 0 && err != nil {
				t.Fatalf("refused: %v", err)
			}
			if tc.code != 0 && (err == nil || err.Code != tc.code) {
				t.Fatalf("err = %v, want %d", err, tc.code)
			}
			if d := e.only(t); d.Reason != tc.reason {
				t.Fatalf("decision = %+v", d)
			}
		})
	}
}
