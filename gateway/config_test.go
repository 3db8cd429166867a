package gateway_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
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
		{"replicas without id", "replicas: 3\nsessions:\n  key_file: k\n", gateway.ErrReplicaID},
		{"replicas without key", "replicas: 3\nreplica_id: r1\n", gateway.ErrReplicaKey},
		{"replica id with a slash", "replica_id: ../r1\n", gateway.ErrReplicaID},
		{"replica id too long", "replica_id: " + strings.Repeat("r", 64) + "\n", gateway.ErrReplicaID},
		{"negative lifetime", "sessions:\n  max_lifetime: -1s\n", gateway.ErrBadSessions},
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

// TestReplicaAuditPath: each replica's audit file derives from its id and
// never collides with another replica's file or rotated segment.
func TestReplicaAuditPath(t *testing.T) {
	for _, tc := range []struct{ path, id, want string }{
		{"/var/log/tracegate/audit.jsonl", "r1", "/var/log/tracegate/audit.r1.jsonl"},
		{"/var/log/tracegate/audit.r1.jsonl", "r1", "/var/log/tracegate/audit.r1.jsonl"},
		{"/var/log/tracegate/{replica}/audit.jsonl", "gw-2", "/var/log/tracegate/gw-2/audit.jsonl"},
		{"/logs/{replica}.jsonl", "", "/logs/default.jsonl"},
		{"audit", "r1", "audit.r1"},
		{"/var/log/audit.jsonl", "", "/var/log/audit.jsonl"},
		{"", "r1", ""},
	} {
		if got := gateway.ReplicaAuditPath(tc.path, tc.id); got != tc.want {
			t.Errorf("ReplicaAuditPath(%q, %q) = %q, want %q", tc.path, tc.id, got, tc.want)
		}
	}
}
