package gateway_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/tracegate/tracegate/gateway"
	"github.com/tracegate/tracegate/gateway/policy"
	"github.com/tracegate/tracegate/internal/redistest"
)

// TestRedisSharedBudgetAcrossGateways: two gateway replicas limited through
// one Redis share each account's budget; with Redis gone, a fail-closed
// replica refuses (503) and a fail-open one serves.
func TestRedisSharedBudgetAcrossGateways(t *testing.T) {
	rs := redistest.Start(t)
	limits := policy.RateLimitConfig{AccountTool: []policy.ToolLimit{{Tool: "users.Users.List", Limit: policy.Limit{Rate: 0.01, Burst: 2}}}}
	limiter := func(mode policy.FailMode) func(*gateway.Options) {
		return func(o *gateway.Options) {
			l, err := policy.NewRedisLimiter(rs.Client(t), limits, policy.WithFailMode(mode))
			if err != nil {
				t.Fatal(err)
			}
			o.Limiter = l
		}
	}
	a := newAuthEnv(t, limiter(policy.FailClosed))
	sameAuth := func(o *gateway.Options) {
		o.Config.Auth = gateway.AuthConfig{Resource: "https://gw.example.test/mcp", Issuer: a.iss.URL()}
	}
	serve := func(gw *gateway.Gateway) string {
		srv := httptest.NewServer(gw.Handler())
		t.Cleanup(func() {
			srv.CloseClientConnections()
			srv.Close()
			http.DefaultClient.CloseIdleConnections()
		})
		return srv.URL
	}
	urlB := serve(a.newGateway(t, sameAuth, limiter(policy.FailClosed)))
	urlOpen := serve(a.newGateway(t, sameAuth, limiter(policy.FailOpen)))

	tok := a.token(t, nil)
	onA, onB := a.client(tok), &rawClient{url: urlB, token: tok}
	onA.initialize(t)
	onB.initialize(t)
	for i, c := range []*rawClient{onA, onB} {
		if r := c.callTool(t, "users.Users.List", map[string]any{}); r.Status != 200 {
			t.Fatalf("call %d within the shared burst: %s", i, r)
		}
	}
	for i, c := range []*rawClient{onA, onB} {
		if r := c.callTool(t, "users.Users.List", map[string]any{}); r.Status != 429 {
			t.Fatalf("replica %d did not see the shared budget spent: %s", i, r)
		}
	}
	other := a.client(a.token(t, map[string]any{"sub": "carol"}))
	other.initialize(t)
	if r := other.callTool(t, "users.Users.List", map[string]any{}); r.Status != 200 {
		t.Fatalf("another account was limited: %s", r)
	}

	open := &rawClient{url: urlOpen, token: a.token(t, map[string]any{"sub": "dave"})}
	open.initialize(t)
	rs.Stop()
	if r := onB.callTool(t, "users.Users.List", map[string]any{}); r.Status != 503 || r.Error == nil || r.Error.Code != gateway.CodeLimiterUnavailable {
		t.Fatalf("fail-closed replica with Redis down: %s", r)
	}
	if r := open.callTool(t, "users.Users.List", map[string]any{}); r.Status != 200 {
		t.Fatalf("fail-open replica with Redis down: %s", r)
	}
}
