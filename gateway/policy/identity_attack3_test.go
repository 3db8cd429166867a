package policy

import (
	"slices"
	"strings"
	"testing"

	"github.com/lestrrat-go/jwx/v3/jwa"
	"github.com/lestrrat-go/jwx/v3/jwt"

	"github.com/tracegate/tracegate/gateway/guard"
)

// TestIdentityScopeWhitespaceSmuggleAttack3: regression test (attack round 3) for "a wildcard
// grant is never copied into an identity, only the concrete scopes it
// covers, so a downstream guard compares names exactly": a scope a service
// declares in the registry with inner whitespace ("probe:x other:admin",
// kept whole by tool.ParseScopes) is covered by a "probe:*" grant, joined
// into the space-separated scope claim by Mint, and read back by the guard
// (strings.Fields) as two scopes, one of which, other:admin, the principal
// was never granted.
func TestIdentityScopeWhitespaceSmuggleAttack3(t *testing.T) {
	p, err := NewScopePolicy(ScopeConfig{Wildcards: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, declared := range []string{"probe:x other:admin", "probe:x\tother:admin", "probe:x\u00a0other:admin", "probe:x\u2028other:admin"} {
		granted := []string{"probe:*"}
		scopes := p.IdentityScopes(granted, Requirement{Tool: "probe.Probe.X", Scopes: []string{declared}}, nil)
		m := newTestMinter(t)
		raw, err := m.Mint(IdentityRequest{Principal: Principal{Subject: "alice", Scopes: granted},
			Tool: "probe.Probe.X", Audience: "probe", Scopes: scopes})
		if err != nil {
			t.Fatal(err)
		}
		tok, err := jwt.Parse([]byte(raw), jwt.WithKey(jwa.EdDSA(), m.PublicKey()), jwt.WithValidate(false))
		if err != nil {
			t.Fatal(err)
		}
		var claim string
		_ = tok.Get(guard.ClaimScope, &claim)
		asGuardReads := strings.Fields(claim) // guard.identityFromToken
		if slices.Contains(asGuardReads, "other:admin") {
			t.Errorf("declared scope %q, granted %v: identity scope claim %q reads at the guard as %q, carrying other:admin", declared, granted, claim, asGuardReads)
		}
	}
}
