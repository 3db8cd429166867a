package guard_test

// Attacks on downstream identities (issue 11): a captured identity must not
// be usable at another service.

import (
	"context"
	"encoding/json"
	"sync"
	"testing"

	"go-micro.dev/v5/client"
	"go-micro.dev/v5/metadata"
	"go-micro.dev/v5/registry"
	"go-micro.dev/v5/server"

	"github.com/tracegate/tracegate/gateway/guard"
	"github.com/tracegate/tracegate/gateway/policy"
	"github.com/tracegate/tracegate/gateway/tool"
	"github.com/tracegate/tracegate/internal/microkit"
)

// Accounts is one binary deployed as several go-micro services (one per
// tenant, or a canary beside the stable version): the same handler under
// different service names.
type Accounts struct {
	service string
	mu      *sync.Mutex
	ran     *[]string
}

func (a *Accounts) Close(_ context.Context, _ *json.RawMessage, rsp *json.RawMessage) error {
	a.mu.Lock()
	*a.ran = append(*a.ran, a.service+" Accounts.Close")
	a.mu.Unlock()
	*rsp = json.RawMessage(`{}`)
	return nil
}

// TestAttackIdentityAtAnotherServiceWithTheSameHandler: the guard takes the
// service it protects from the request (req.Service(), the Micro-Service
// header the caller writes), not from the server it wraps, and go-micro
// routes by endpoint alone. An identity minted for accounts-a's
// Accounts.Close (aud accounts-a) is therefore accepted by accounts-b's
// instance when the caller names the service "accounts-a": the guard sees
// aud == service and tool == service.endpoint, a fresh jti in this
// instance's replay cache, and grants the entry hop; accounts-b's Close runs
// for a principal that was only authorized at accounts-a. Guards are set up
// as the blog runner does (no WithAudience).
func TestAttackIdentityAtAnotherServiceWithTheSameHandler(t *testing.T) {
	key := newKey(t)
	m := mustMinter(t, key)
	reg := registry.NewMemoryRegistry()
	var mu sync.Mutex
	var ran []string
	addr := map[string]string{}
	for _, name := range []string{"accounts-a", "accounts-b"} {
		var srv server.Server
		g, err := guard.New(guard.WithPublicKey(m.PublicKey()), guard.WithForwardedIdentities(),
			guard.WithServerFunc(func() server.Server { return srv }))
		if err != nil {
			t.Fatal(err)
		}
		srv, err = microkit.NewServer(name, microkit.WithRegistry(reg), microkit.WithHandlerWrappers(g))
		if err != nil {
			t.Fatal(err)
		}
		h := &Accounts{service: name, mu: &mu, ran: &ran}
		if err := srv.Handle(srv.NewHandler(h, tool.Endpoint("Accounts.Close", tool.Scopes("accounts:admin")))); err != nil {
			t.Fatal(err)
		}
		if err := srv.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = srv.Stop() })
		addr[name] = srv.Options().Address
	}
	cli, err := microkit.NewClient(microkit.WithRegistry(reg))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cli.Close() })

	// The gateway's identity for a tenant-A admin closing an account at A.
	id := mintReq(t, m, policy.IdentityRequest{Tool: "accounts-a.Accounts.Close", Audience: "accounts-a",
		Scopes: []string{"accounts:admin"}})
	// Captured, and presented at accounts-b's instance, naming the service
	// the identity was minted for.
	ctx := metadata.NewContext(t.Context(), metadata.Metadata{guard.MetadataKey: id})
	var rsp json.RawMessage
	err = cli.Call(ctx, cli.NewRequest("accounts-a", "Accounts.Close", map[string]any{"id": "acct-1"}), &rsp,
		client.WithAddress(addr["accounts-b"]), client.WithRetries(0))
	mu.Lock()
	defer mu.Unlock()
	for _, r := range ran {
		if r == "accounts-b Accounts.Close" {
			t.Fatalf("an identity minted for accounts-a.Accounts.Close ran accounts-b's Accounts.Close (call error %v)", err)
		}
	}
	if err == nil {
		t.Fatalf("the call was accepted: %v", ran)
	}
}
