package gateway_test

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/tracegate/tracegate/gateway"
	"github.com/tracegate/tracegate/gateway/audit"
	"github.com/tracegate/tracegate/gateway/policy"
)

// TestExampleConfigLoads keeps the documented reference file valid.
func TestExampleConfigLoads(t *testing.T) {
	c, err := gateway.LoadConfig(filepath.Join("..", "docs", "tracegate.example.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if c.Tools["posts.Posts.Create"].Name != "create_post" || c.Trust != gateway.TrustParent ||
		c.Policy.Scopes.Overrides[0].Scopes[0] != "blog:admin" || c.Policy.RateLimit.Account.Burst != 20 ||
		c.Audit.ToolModes["users.Users.Create"] != audit.ModeStrict || c.Auth.Leeway != 30*time.Second {
		t.Fatalf("config = %+v", c)
	}
}

func TestConfigErrors(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		name, yaml string
		want       error
	}{
		{"unknown key", "trustt: parent\n", nil},
		{"bad trust", "trust: sometimes\n", gateway.ErrBadTrust},
		{"bad tool name", "tools:\n  a.B.C:\n    name: \"no spaces\"\n", gateway.ErrBadToolName},
		{"duplicate name", "tools:\n  a.B.C: {name: x}\n  d.E.F: {name: x}\n", gateway.ErrDupToolName},
		{"bad scope mode", "policy:\n  scopes:\n    mode: most\n", policy.ErrInvalidMode},
		{"bad audit mode", "audit:\n  mode: eventually\n", audit.ErrInvalidMode},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := filepath.Join(dir, "c.yaml")
			if err := os.WriteFile(p, []byte(tc.yaml), 0o600); err != nil {
				t.Fatal(err)
			}
			_, err := gateway.LoadConfig(p)
			if err == nil || (tc.want != nil && !errors.Is(err, tc.want)) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
		})
	}
	if _, err := gateway.LoadConfig(filepath.Join(dir, "missing.yaml")); err == nil {
		t.Fatal("missing file accepted")
	}
}

func TestOptionsRejectUnimplemented(t *testing.T) {
	for _, o := range []gateway.Options{
		{},                    // no registry, no auth
		{Payment: struct{}{}}, // go-micro's x402 field
		{CircuitBreaker: &gateway.CircuitBreakerConfig{MaxFailures: 3}},
		{RateLimit: &gateway.RateLimitConfig{RequestsPerSecond: 0}},
	} {
		if err := o.Validate(); err == nil {
			t.Errorf("%+v validated", o)
		}
	}
	if err := (gateway.Options{}).Validate(); !errors.Is(err, gateway.ErrNoRegistry) || !errors.Is(err, gateway.ErrNoAuth) {
		t.Errorf("empty options: %v", err)
	}
}
