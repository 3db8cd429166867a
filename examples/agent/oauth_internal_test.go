package agent

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/tracegate/tracegate/examples/authserver"
	"github.com/tracegate/tracegate/gateway"
	"github.com/tracegate/tracegate/gateway/policy"
)

func TestMetadataURL(t *testing.T) {
	for issuer, want := range map[string]string{
		"http://127.0.0.1:9090":         "http://127.0.0.1:9090/.well-known/oauth-authorization-server",
		"http://127.0.0.1:9090/":        "http://127.0.0.1:9090/.well-known/oauth-authorization-server",
		"https://idp.example/tenant/a/": "https://idp.example/.well-known/oauth-authorization-server/tenant/a",
	} {
		if got, err := metadataURL(issuer); err != nil || got != want {
			t.Errorf("metadataURL(%q) = %q, %v; want %q", issuer, got, err, want)
		}
	}
	if _, err := metadataURL("not a url"); !errors.Is(err, ErrDiscovery) {
		t.Errorf("bad issuer: %v, want ErrDiscovery", err)
	}
}

func TestDiscoveryChecksTheIssuer(t *testing.T) {
	var issuer string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != metadataPath {
			http.NotFound(w, r)
			return
		}
		_ = json.NewEncoder(w).Encode(serverMetadata{Issuer: issuer, TokenEndpoint: "http://127.0.0.1:1/token"})
	}))
	defer srv.Close()
	hc := srv.Client()
	issuer = srv.URL
	if got, err := discoverTokenEndpoint(context.Background(), hc, srv.URL); err != nil || got != "http://127.0.0.1:1/token" {
		t.Errorf("discover = %q, %v", got, err)
	}
	issuer = "http://evil.example"
	if _, err := discoverTokenEndpoint(context.Background(), hc, srv.URL); !errors.Is(err, ErrDiscovery) {
		t.Errorf("wrong issuer: %v, want ErrDiscovery", err)
	}
	if _, err := discoverTokenEndpoint(context.Background(), hc, srv.URL+"/nope"); !errors.Is(err, ErrDiscovery) {
		t.Errorf("404: %v, want ErrDiscovery", err)
	}
}

// TestTokenCarriesIntentAndResource asks the real dev authserver for a
// token and reads its claims: only the requested scopes, the intent, and the
// gateway as audience.
func TestTokenCarriesIntentAndResource(t *testing.T) {
	srv := httptest.NewUnstartedServer(nil)
	iss := "http://" + srv.Listener.Addr().String()
	cfg := authserver.DefaultConfig()
	cfg.Issuer, cfg.Audience = iss, "http://127.0.0.1:8080/mcp"
	as, err := authserver.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	srv.Config.Handler = as.Handler()
	srv.Start()
	defer srv.Close()
	hc := srv.Client()
	ctx := context.Background()
	tokenURL, err := discoverTokenEndpoint(ctx, hc, iss)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := fetchToken(ctx, hc, tokenURL, tokenRequest{clientID: "demo-agent", clientSecret: "demo-secret",
		scopes: []string{ScopeRead}, intent: "msg-1", resource: cfg.Audience})
	if err != nil {
		t.Fatal(err)
	}
	parts := strings.Split(tok.AccessToken, ".")
	if len(parts) != 3 {
		t.Fatalf("not a JWT: %q", tok.AccessToken)
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var claims struct {
		Scope, Intent string
		Aud           any
	}
	if err := json.Unmarshal(payload, &claims); err != nil {
		t.Fatal(err)
	}
	if claims.Scope != ScopeRead || claims.Intent != "msg-1" || !strings.Contains(string(payload), cfg.Audience) {
		t.Errorf("claims %s", payload)
	}
	if tok.scope != ScopeRead {
		t.Errorf("granted scope %q", tok.scope)
	}
	_, err = fetchToken(ctx, hc, tokenURL, tokenRequest{clientID: "demo-agent", clientSecret: "demo-secret",
		scopes: []string{ScopeAdmin}, intent: "msg-1", resource: cfg.Audience})
	if !errors.Is(err, ErrToken) || !strings.Contains(err.Error(), "invalid_scope") {
		t.Errorf("admin scope for demo-agent: %v, want invalid_scope", err)
	}
}

func TestParseChallenge(t *testing.T) {
	h := policy.NewChallenge(policy.ErrInsufficientScope, "http://gw/.well-known/oauth-protected-resource/mcp", []string{"blog:admin", "blog:x"}, 0).Header()
	c, ok := parseChallenge(403, []string{h})
	if !ok || c.Error != "insufficient_scope" || c.Scope != "blog:admin blog:x" || c.Status != 403 ||
		c.ResourceMetadata != "http://gw/.well-known/oauth-protected-resource/mcp" {
		t.Errorf("parseChallenge(%q) = %+v, %v", h, c, ok)
	}
	if _, ok := parseChallenge(401, []string{`Basic realm="x"`}); ok {
		t.Error("a Basic challenge parsed as Bearer")
	}
}

func TestErrorTypeAndForbiddenCode(t *testing.T) {
	if codeForbidden != gateway.CodeForbidden {
		t.Errorf("codeForbidden %d, gateway says %d", codeForbidden, gateway.CodeForbidden)
	}
	for _, tc := range []struct {
		res  mcp.Result
		err  error
		want string
	}{
		{&mcp.CallToolResult{}, nil, ""},
		{&mcp.CallToolResult{IsError: true}, nil, "tool_error"},
		{nil, &jsonrpc.Error{Code: -32013}, "-32013"},
		{nil, errors.New("connection reset"), "_OTHER"},
	} {
		if got := errorType(tc.res, tc.err); got != tc.want {
			t.Errorf("errorType(%v, %v) = %q, want %q", tc.res, tc.err, got, tc.want)
		}
	}
}
