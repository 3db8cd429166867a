package guard_test

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/tracegate/tracegate/gateway/guard"
	"github.com/tracegate/tracegate/gateway/policy"
	"github.com/tracegate/tracegate/gateway/reason"
)

// swapPayload keeps tok's header and signature and replaces its claims:
// what an attacker who edits an identity in transit sends.
func swapPayload(t testing.TB, tok string, claims map[string]any) string {
	t.Helper()
	parts := strings.Split(tok, ".")
	p, err := json.Marshal(claims)
	if err != nil {
		t.Fatal(err)
	}
	return parts[0] + "." + base64.RawURLEncoding.EncodeToString(p) + "." + parts[2]
}

// TestHostileIdentities presents identities an attacker could hold or
// build: forged, edited, malformed, or genuine but presented where the
// gateway did not sign them for. Each is refused with its named reason; the
// genuine ones where they were signed for are accepted.
func TestHostileIdentities(t *testing.T) {
	key := newKey(t)
	m := mustMinter(t, key)
	now := time.Now()
	posts := mintReq(t, m, policy.IdentityRequest{Tool: "posts.Posts.Create", Audience: "posts",
		Scopes: []string{"blog:read", "blog:write"}, Downstream: []string{"users.Users.Read"}})
	list := mint(t, m, "comments.Comments.List", "comments", "blog:read")
	admin := validClaims()
	admin[guard.ClaimScope], admin[guard.ClaimTool] = "blog:admin", "posts.Posts.Delete"

	tests := []struct {
		name              string
		service, endpoint string
		token             string
		code              int32 // 0: allowed
		reason            reason.Reason
		err               error
	}{
		{"genuine entry hop", "posts", "Posts.Create", handmade(t, key, guard.TokenType, nil, nil), 0, reason.Granted, nil},
		{"genuine forwarded hop", "users", "Users.Read", posts, 0, reason.Forwarded, nil},
		{"listed endpoint declaring no scope", "users", "Users.List",
			mintReq(t, m, policy.IdentityRequest{Tool: "posts.Posts.List", Audience: "posts", Downstream: []string{"users.Users.List"}}), 0, reason.Forwarded, nil},

		{"no identity", "posts", "Posts.Create", "", 401, reason.IdentityMissing, guard.ErrMissingIdentity},
		{"signed by another key", "posts", "Posts.Create", handmade(t, newKey(t), guard.TokenType, nil, nil), 401, reason.IdentityInvalid, guard.ErrInvalidIdentity},
		{"alg none", "posts", "Posts.Create", unsigned(), 401, reason.IdentityInvalid, guard.ErrInvalidIdentity},
		{"claims edited in transit", "posts", "Posts.Delete", swapPayload(t, posts, admin), 401, reason.IdentityInvalid, guard.ErrInvalidIdentity},
		{"typ JWT (not an identity)", "posts", "Posts.Create", handmade(t, key, "JWT", nil, nil), 401, reason.IdentityInvalid, guard.ErrInvalidIdentity},
		{"typ missing", "posts", "Posts.Create", handmade(t, key, "", nil, nil), 401, reason.IdentityInvalid, guard.ErrInvalidIdentity},
		{"unknown crit extension", "posts", "Posts.Create", handmade(t, key, guard.TokenType, nil,
			map[string]any{"crit": []string{"tracegate-x"}, "tracegate-x": true}), 401, reason.IdentityInvalid, guard.ErrInvalidIdentity},
		{"expired", "posts", "Posts.Create", handmade(t, key, guard.TokenType,
			map[string]any{"iat": now.Add(-2 * time.Minute).Unix(), "exp": now.Add(-time.Minute).Unix()}, nil), 401, reason.IdentityInvalid, guard.ErrInvalidIdentity},
		{"issued in the future", "posts", "Posts.Create", handmade(t, key, guard.TokenType,
			map[string]any{"iat": now.Add(time.Minute).Unix(), "exp": now.Add(90 * time.Second).Unix()}, nil), 401, reason.IdentityInvalid, guard.ErrInvalidIdentity},
		{"lifetime over 60s", "posts", "Posts.Create", handmade(t, key, guard.TokenType,
			map[string]any{"iat": now.Unix(), "exp": now.Add(61 * time.Second).Unix()}, nil), 401, reason.IdentityInvalid, guard.ErrInvalidIdentity},
		{"no exp", "posts", "Posts.Create", handmade(t, key, guard.TokenType, map[string]any{"exp": nil}, nil), 401, reason.IdentityInvalid, guard.ErrInvalidIdentity},
		{"empty sub", "posts", "Posts.Create", handmade(t, key, guard.TokenType, map[string]any{"sub": ""}, nil), 401, reason.IdentityInvalid, guard.ErrInvalidIdentity},
		{"no jti (replay cannot be tracked)", "posts", "Posts.Create", handmade(t, key, guard.TokenType, map[string]any{"jti": nil}, nil), 401, reason.IdentityInvalid, guard.ErrInvalidIdentity},
		{"empty tool", "posts", "Posts.Create", handmade(t, key, guard.TokenType, map[string]any{guard.ClaimTool: ""}, nil), 401, reason.IdentityInvalid, guard.ErrInvalidIdentity},
		{"two audiences", "posts", "Posts.Create", handmade(t, key, guard.TokenType, map[string]any{"aud": []string{"posts", "users"}}, nil), 401, reason.IdentityInvalid, guard.ErrInvalidIdentity},
		{"downstream not a list", "users", "Users.Read", handmade(t, key, guard.TokenType, map[string]any{guard.ClaimDownstream: "users.Users.Read"}, nil), 401, reason.IdentityInvalid, guard.ErrInvalidIdentity},
		{"downstream list of numbers", "users", "Users.Read", handmade(t, key, guard.TokenType, map[string]any{guard.ClaimDownstream: []int{1}}, nil), 401, reason.IdentityInvalid, guard.ErrInvalidIdentity},

		{"blog:read identity at another service's admin endpoint", "users", "Users.Create", list, 403, reason.DownstreamNotAllowed, guard.ErrDownstreamNotAllowed},
		{"blog:read identity at posts' admin endpoint", "posts", "Posts.Delete", list, 403, reason.DownstreamNotAllowed, guard.ErrDownstreamNotAllowed},
		{"own identity at own admin endpoint", "posts", "Posts.Delete", posts, 403, reason.DownstreamNotAllowed, guard.ErrDownstreamNotAllowed},
		{"listed name in another case", "users", "Users.Read",
			mintReq(t, m, policy.IdentityRequest{Tool: "posts.Posts.Create", Audience: "posts", Scopes: []string{"blog:read"}, Downstream: []string{"users.users.read"}}),
			403, reason.DownstreamNotAllowed, guard.ErrDownstreamNotAllowed},
		{"listed but without the endpoint's scope", "users", "Users.Read",
			mintReq(t, m, policy.IdentityRequest{Tool: "posts.Posts.Create", Audience: "posts", Scopes: []string{"blog:write"}, Downstream: []string{"users.Users.Read"}}),
			403, reason.InsufficientScope, guard.ErrInsufficientScope},
		{"wildcard scope is not a grant here", "users", "Users.Read",
			mintReq(t, m, policy.IdentityRequest{Tool: "posts.Posts.Create", Audience: "posts", Scopes: []string{"blog:*", "*"}, Downstream: []string{"users.Users.Read"}}),
			403, reason.InsufficientScope, guard.ErrInsufficientScope},
		{"listed endpoint the scope source does not know", "users", "Users.Purge",
			mintReq(t, m, policy.IdentityRequest{Tool: "posts.Posts.Create", Audience: "posts", Scopes: []string{"blog:admin"}, Downstream: []string{"users.Users.Purge"}}),
			403, reason.InsufficientScope, guard.ErrInsufficientScope},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// A fresh guard per case: no case consumes another's identity.
			h := newHarness(t, guard.WithPublicKey(m.PublicKey()), guard.WithForwardedIdentities(), blogScopes())
			d, _ := h.present(t, tt.service, tt.endpoint, tt.token)
			if d.Allowed != (tt.code == 0) || d.Code != tt.code || d.Reason != tt.reason {
				t.Fatalf("decision = %+v, want code %d, reason %s", d, tt.code, tt.reason)
			}
			if tt.err != nil && !errors.Is(d.Err, tt.err) {
				t.Fatalf("err = %v, want %v", d.Err, tt.err)
			}
			if !d.Allowed && !reason.Reason(d.Reason).Known() {
				t.Fatalf("reason %q is not in gateway/reason", d.Reason)
			}
		})
	}
}

// TestReplay: an entry-hop identity is accepted once; a forwarded one at
// most WithForwardedUses times per endpoint, counted apart per endpoint.
func TestReplay(t *testing.T) {
	m := mustMinter(t, newKey(t))
	h := newHarness(t, guard.WithPublicKey(m.PublicKey()), guard.WithForwardedIdentities(), blogScopes(), guard.WithForwardedUses(2))
	tok := mintReq(t, m, policy.IdentityRequest{Tool: "comments.Comments.Create", Audience: "comments",
		Scopes: []string{"blog:read", "blog:write"}, Downstream: []string{"posts.Posts.Read", "users.Users.Read"}})
	steps := []struct {
		service, endpoint string
		reason            reason.Reason
	}{
		{"comments", "Comments.Create", reason.Granted},
		{"comments", "Comments.Create", reason.IdentityReplayed},
		{"posts", "Posts.Read", reason.Forwarded},
		{"users", "Users.Read", reason.Forwarded},
		{"posts", "Posts.Read", reason.Forwarded},
		{"users", "Users.Read", reason.Forwarded},
		{"posts", "Posts.Read", reason.IdentityReplayed},
		{"users", "Users.Read", reason.IdentityReplayed},
	}
	for i, s := range steps {
		if d, _ := h.present(t, s.service, s.endpoint, tok); d.Reason != s.reason {
			t.Fatalf("step %d (%s.%s): %+v, want %s", i, s.service, s.endpoint, d, s.reason)
		}
	}
	// Another identity for the same call is not affected.
	fresh := mintReq(t, m, policy.IdentityRequest{Tool: "comments.Comments.Create", Audience: "comments",
		Scopes: []string{"blog:read"}, Downstream: []string{"posts.Posts.Read"}})
	if d, _ := h.present(t, "comments", "Comments.Create", fresh); d.Reason != reason.Granted {
		t.Fatalf("fresh identity: %+v", d)
	}
}

// TestSelfCall: an endpoint that lists itself downstream (it calls itself)
// is accepted again as a forwarded hop after its entry hop; one that does
// not is replayed.
func TestSelfCall(t *testing.T) {
	m := mustMinter(t, newKey(t))
	h := newHarness(t, guard.WithPublicKey(m.PublicKey()), guard.WithForwardedIdentities(), blogScopes())
	self := mintReq(t, m, policy.IdentityRequest{Tool: "posts.Posts.Read", Audience: "posts",
		Scopes: []string{"blog:read"}, Downstream: []string{"posts.Posts.Read"}})
	for i, want := range []reason.Reason{reason.Granted, reason.Forwarded} {
		if d, _ := h.present(t, "posts", "Posts.Read", self); d.Reason != want {
			t.Fatalf("presentation %d: %+v, want %s", i, d, want)
		}
	}
	strict := newHarness(t, guard.WithPublicKey(m.PublicKey()), blogScopes())
	if d, _ := strict.present(t, "posts", "Posts.Read", mint(t, m, "posts.Posts.Read", "posts", "blog:read")); d.Reason != reason.Granted {
		t.Fatalf("first: %+v", d)
	}
	if d, _ := strict.present(t, "posts", "Posts.Read", self); d.Reason != reason.Granted {
		t.Fatalf("self identity first use: %+v", d)
	}
	if d, _ := strict.present(t, "posts", "Posts.Read", self); d.Reason != reason.IdentityReplayed {
		t.Fatalf("without forwarding the second use is a replay: %+v", d)
	}
}

func TestIssuerRequired(t *testing.T) {
	key := newKey(t)
	m, err := policy.NewMinter(key, policy.WithIdentityIssuer("https://gw.example.test/mcp"))
	if err != nil {
		t.Fatal(err)
	}
	h := newHarness(t, guard.WithPublicKey(m.PublicKey()), guard.WithIssuer("https://gw.example.test/mcp"))
	if d, _ := h.present(t, "posts", "Posts.Create", mint(t, m, "posts.Posts.Create", "posts")); !d.Allowed {
		t.Fatalf("right issuer: %+v", d)
	}
	if d, _ := h.present(t, "posts", "Posts.Create", handmade(t, key, guard.TokenType, map[string]any{"iss": "https://evil.example"}, nil)); d.Reason != reason.IdentityInvalid {
		t.Fatalf("wrong issuer: %+v", d)
	}
	if d, _ := h.present(t, "posts", "Posts.Create", handmade(t, key, guard.TokenType, nil, nil)); d.Reason != reason.IdentityInvalid {
		t.Fatalf("no issuer: %+v", d)
	}
}
