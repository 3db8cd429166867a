package gateway

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"strings"
	"sync"
	"testing"
	"time"

	"go-micro.dev/v5/client"
	merrors "go-micro.dev/v5/errors"
	"go-micro.dev/v5/metadata"
	"go-micro.dev/v5/registry"

	"github.com/tracegate/tracegate/gateway/guard"
	"github.com/tracegate/tracegate/gateway/policy"
	"github.com/tracegate/tracegate/gateway/reason"
	"github.com/tracegate/tracegate/internal/microkit"
	"github.com/tracegate/tracegate/internal/microkit/microkittest"
)

// Flaky fails its first call, as a node that dies mid-request would.
type Flaky struct {
	mu    sync.Mutex
	calls int
}

type FlakyRequest struct{}
type FlakyResponse struct{ JTI string }

func (f *Flaky) Do(ctx context.Context, _ *FlakyRequest, rsp *FlakyResponse) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	if f.calls == 1 {
		return merrors.InternalServerError("flaky", "try again")
	}
	id, _ := guard.IdentityFrom(ctx)
	rsp.JTI = id.ID
	return nil
}

// TestCallWrapperMintsPerAttempt: go-micro retries a call; each attempt
// carries a new identity, so the guard, which accepts an entry-hop identity
// once, accepts the retry too.
func TestCallWrapperMintsPerAttempt(t *testing.T) {
	_, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	m, err := policy.NewMinter(key)
	if err != nil {
		t.Fatal(err)
	}
	reg := registry.NewMemoryRegistry()
	var mu sync.Mutex
	var decisions []guard.Decision
	w := guard.NewHandlerWrapper(guard.WithPublicKey(m.PublicKey()), guard.WithAudience("flaky"), guard.WithDecisionHook(func(_ context.Context, d guard.Decision) {
		mu.Lock()
		decisions = append(decisions, d)
		mu.Unlock()
	}))
	srv, err := microkit.NewServer("flaky", microkit.WithRegistry(reg), microkit.WithLogger(microkittest.QuietLogger()),
		microkit.WithHandlerWrappers(w))
	if err != nil {
		t.Fatal(err)
	}
	f := &Flaky{}
	if err := srv.Handle(srv.NewHandler(f)); err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Stop() })
	cli, err := microkit.NewClient(microkit.WithRegistry(reg), microkit.WithLogger(microkittest.QuietLogger()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cli.Close() })

	ir := policy.IdentityRequest{Principal: policy.Principal{Subject: "alice"}, Tool: "flaky.Flaky.Do", Audience: "flaky"}
	// An identity already in the context (e.g. forwarded) is replaced.
	ctx := metadata.NewContext(t.Context(), metadata.Metadata{"tracegate-identity": "stale"})
	var rsp FlakyResponse
	err = cli.Call(ctx, cli.NewRequest("flaky", "Flaky.Do", &FlakyRequest{}), &rsp,
		client.WithCallWrapper(mintPerAttempt(m, ir)), client.WithRetries(2), client.WithRetry(client.RetryAlways),
		client.WithRequestTimeout(5*time.Second))
	if err != nil {
		t.Fatalf("retried call: %v", err)
	}
	mu.Lock()
	defer mu.Unlock()
	if f.calls != 2 || len(decisions) != 2 {
		t.Fatalf("handler ran %d times, %d decisions; want 2 each", f.calls, len(decisions))
	}
	for i, d := range decisions {
		if d.Reason != reason.Granted {
			t.Fatalf("attempt %d: %+v", i, d)
		}
	}
	if a, b := decisions[0].Identity.ID, decisions[1].Identity.ID; a == "" || a == b || rsp.JTI != b {
		t.Fatalf("attempts carried jti %q and %q (response %q), want two different ones", a, b, rsp.JTI)
	}
}

func TestWithIdentityKeepsOneKey(t *testing.T) {
	ctx := metadata.NewContext(context.Background(), metadata.Metadata{
		"Tracegate-Identity": "a", "tracegate-identity": "b", "Traceparent": "tp",
	})
	md, _ := metadata.FromContext(withIdentity(ctx, "fresh"))
	n := 0
	for k, v := range md {
		if strings.EqualFold(k, policy.IdentityMetadataKey) {
			n++
			if k != policy.IdentityMetadataKey || v != "fresh" {
				t.Fatalf("%s = %q", k, v)
			}
		}
	}
	if n != 1 || md["Traceparent"] != "tp" {
		t.Fatalf("metadata = %v, want one identity key and the rest kept", md)
	}
}
