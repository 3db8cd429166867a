package authserver_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/tracegate/tracegate/examples/authserver"
)

// consoleResource is a second resource the issuer serves (the tracegate
// console), whose tokens may carry only tracegate:admin.
const consoleResource = "http://127.0.0.1:8080/console"

// TestResources: a token names the resource it was asked for (RFC 8707)
// and carries only that resource's scopes; an unknown resource is refused.
func TestResources(t *testing.T) {
	_, ts := startServer(t, authserver.Config{Clients: authserver.DemoClients(),
		Resources: map[string][]string{consoleResource: {"tracegate:admin"}}})
	admin, demo := [2]string{"admin-agent", "admin-secret"}, [2]string{"demo-agent", "demo-secret"}
	cc := "client_credentials"
	for _, tc := range []struct {
		name        string
		call        tokenCall
		status      int
		aud, scope  string
		description string
	}{
		{name: "console token", call: tokenCall{basic: admin, form: form("grant_type", cc, "resource", consoleResource)},
			status: 200, aud: consoleResource, scope: "tracegate:admin"},
		{name: "console token, scope asked", call: tokenCall{basic: admin, form: form("grant_type", cc, "resource", consoleResource, "scope", "tracegate:admin")},
			status: 200, aud: consoleResource, scope: "tracegate:admin"},
		{name: "a blog scope for the console", call: tokenCall{basic: admin, form: form("grant_type", cc, "resource", consoleResource, "scope", "blog:admin")},
			status: 400, description: "resource " + consoleResource},
		{name: "an MCP token may carry tracegate:admin", call: tokenCall{basic: admin, form: form("grant_type", cc, "scope", "blog:read tracegate:admin")},
			status: 200, aud: authserver.DefaultAudience, scope: "blog:read tracegate:admin"},
		{name: "demo-agent gets no console scope", call: tokenCall{basic: demo, form: form("grant_type", cc, "resource", consoleResource, "scope", "tracegate:admin")},
			status: 400},
		{name: "unknown resource", call: tokenCall{basic: admin, form: form("grant_type", cc, "resource", "http://127.0.0.1:8080/other")},
			status: 400},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := callToken(t, ts, tc.call)
			if r.status != tc.status || !strings.Contains(r.str("error_description"), tc.description) {
				t.Fatalf("status %d %v, want %d", r.status, r.body, tc.status)
			}
			if r.status != http.StatusOK {
				return
			}
			tok, _ := parseToken(t, ts, r.str("access_token"))
			if aud, _ := tok.Audience(); len(aud) != 1 || aud[0] != tc.aud || r.str("scope") != tc.scope {
				t.Errorf("aud %v scope %q, want %s %q", aud, r.str("scope"), tc.aud, tc.scope)
			}
		})
	}
}

// TestResourceCodeFlow: the user grants a console resource's scope on the
// consent page, and the code redeems for a token of that audience.
func TestResourceCodeFlow(t *testing.T) {
	_, ts := startServer(t, authserver.Config{Clients: authserver.DemoClients(),
		Resources: map[string][]string{consoleResource: {"tracegate:admin"}}})
	redirect := "http://127.0.0.1:4567/console/callback"
	client := registerClient(t, ts, redirect)
	b := newBrowser(t, ts)
	if p := b.get(authzURL(ts, client, redirect, "scope", "blog:read", "resource", consoleResource)); p.status != http.StatusSeeOther {
		t.Fatalf("a blog scope for the console resource: %d, want a redirect with invalid_scope", p.status)
	}
	q := b.approve(ts, b.get(authzURL(ts, client, redirect, "scope", "tracegate:admin", "resource", consoleResource)))
	r := redeem(t, ts, client, q.Get("code"), redirect, testVerifier, "resource", consoleResource)
	if r.status != http.StatusOK {
		t.Fatalf("redeem: %d %v", r.status, r.body)
	}
	tok, _ := parseToken(t, ts, r.str("access_token"))
	if aud, _ := tok.Audience(); len(aud) != 1 || aud[0] != consoleResource || claim(tok, "scope") != "tracegate:admin" {
		t.Errorf("aud %v scope %q", aud, claim(tok, "scope"))
	}
	q = b.approve(ts, b.get(authzURL(ts, client, redirect, "scope", "tracegate:admin", "resource", consoleResource)))
	if r := redeem(t, ts, client, q.Get("code"), redirect, testVerifier, "resource", authserver.DefaultAudience); r.status != http.StatusBadRequest {
		t.Errorf("redeeming a console code for the MCP audience: %d, want 400", r.status)
	}
}
