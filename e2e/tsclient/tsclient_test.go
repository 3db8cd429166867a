//go:build e2e

package tsclient_test

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
)

// createPost is a posts.Posts.Create call (blog:write) for the author.
func createPost(author, title string) call {
	return call{Name: "posts.Posts.Create", Arguments: map[string]any{"title": title, "body": "written by the TypeScript SDK", "author_id": author}}
}

// listUsers is a users.Users.List call (blog:read).
var listUsers = call{Name: "users.Users.List", Arguments: map[string]any{}}

// checkDiscovery asserts the first steps every flow shares: the gateway's
// 401 names the protected resource metadata and the baseline scope, the
// client reads that metadata and then the authorization server's.
func checkDiscovery(t *testing.T, st *stack, r report) {
	t.Helper()
	at := inOrder(t, r,
		step{"sdk", "POST", st.gatewayURL, http.StatusUnauthorized},
		step{"sdk", "GET", gatewayOrigin(st) + "/.well-known/oauth-protected-resource", http.StatusOK},
		step{"sdk", "GET", st.authURL + "/.well-known/oauth-authorization-server", http.StatusOK},
	)
	challenge := r.HTTP[at[0]].WWWAuthenticate
	for _, want := range []string{"Bearer", "resource_metadata=", `scope="blog:read"`} {
		if !strings.Contains(challenge, want) {
			t.Errorf("the 401's challenge %q lacks %s (a client follows it for its first token)", challenge, want)
		}
	}
	checkGatewayPaths(t, st, r)
}

func gatewayOrigin(st *stack) string {
	u, _ := url.Parse(st.gatewayURL)
	return u.Scheme + "://" + u.Host
}

// checkGatewayPaths: nothing but MCP and its protected resource metadata
// is asked of the gateway (no token endpoint, no client credentials there).
func checkGatewayPaths(t *testing.T, st *stack, r report) {
	t.Helper()
	for _, h := range r.HTTP {
		if !strings.HasPrefix(h.URL, gatewayOrigin(st)+"/") {
			continue
		}
		p := strings.TrimPrefix(h.URL, gatewayOrigin(st))
		if p != "/mcp" && !strings.HasPrefix(p, "/.well-known/oauth-protected-resource") {
			t.Errorf("the client asked the gateway for %s %s (%d)", h.Method, p, h.Status)
		}
	}
}

// checkProtectedResourceMetadata reads the RFC 9728 document as any client
// does: the resource is the URL the client used, and it offers only the
// baseline scope, never blog:admin.
func checkProtectedResourceMetadata(t *testing.T, st *stack) {
	t.Helper()
	res, err := http.Get(gatewayOrigin(st) + "/.well-known/oauth-protected-resource/mcp")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var prm struct {
		Resource             string   `json:"resource"`
		AuthorizationServers []string `json:"authorization_servers"`
		ScopesSupported      []string `json:"scopes_supported"`
	}
	if err := json.NewDecoder(res.Body).Decode(&prm); err != nil {
		t.Fatal(err)
	}
	if prm.Resource != st.gatewayURL || !slices.Equal(prm.AuthorizationServers, []string{st.authURL}) {
		t.Errorf("metadata resource %q servers %v, want %q and [%s]", prm.Resource, prm.AuthorizationServers, st.gatewayURL, st.authURL)
	}
	if !slices.Equal(prm.ScopesSupported, []string{"blog:read"}) {
		t.Errorf("scopes_supported %v, want the baseline [blog:read] (admin scopes are not advertised)", prm.ScopesSupported)
	}
}

// check403 finds the gateway's insufficient_scope refusal naming scope.
func check403(t *testing.T, st *stack, r report, scope string) {
	t.Helper()
	for _, h := range r.HTTP {
		if h.Status == http.StatusForbidden && strings.HasPrefix(h.URL, st.gatewayURL) {
			if !strings.Contains(h.WWWAuthenticate, `error="insufficient_scope"`) || !strings.Contains(h.WWWAuthenticate, scope) {
				t.Errorf("403 challenge %q lacks insufficient_scope with %s", h.WWWAuthenticate, scope)
			}
			return
		}
	}
	t.Errorf("no 403 from the gateway; exchanges:\n%s", r.exchanges())
}

// TestClientCredentials: the SDK's ClientCredentialsProvider as the
// least-privileged demo-agent (blog:read blog:write) discovers everything
// from a 401, gets a token from the authorization server (never the
// gateway), lists and calls tools; a tool it may not call is listed with
// the scopes it needs, and calling it ends in the 403 step-up challenge,
// which the client credentials cannot satisfy.
func TestClientCredentials(t *testing.T) {
	st := startStack(t)
	checkProtectedResourceMetadata(t, st)
	r := runClient(t, scenario{
		URL: st.gatewayURL, Mode: "client_credentials", ClientID: "demo-agent", ClientSecret: "demo-secret",
		Scope: "blog:read blog:write", ExpectedIssuer: st.authURL,
		Calls: []call{listUsers, createPost(st.aliceID, "Hello from the TypeScript SDK"),
			{Name: "posts.Posts.Delete", Arguments: map[string]any{"id": "post-1"}}},
	})
	if r.Error != "" {
		t.Fatalf("client error: %s\nexchanges:\n%s", r.Error, r.exchanges())
	}
	checkDiscovery(t, st, r)
	inOrder(t, r,
		step{"sdk", "GET", st.authURL + "/.well-known/oauth-authorization-server", http.StatusOK},
		step{"sdk", "POST", st.authURL + "/token", http.StatusOK},
		step{"sdk", "POST", st.gatewayURL, http.StatusOK},
	)
	for _, name := range []string{"users.Users.List", "posts.Posts.Create"} {
		if scopes, ok := r.tool(name); !ok || scopes != nil {
			t.Errorf("%s: listed %v, required-scopes %v; want listed as callable", name, ok, scopes)
		}
	}
	if scopes, ok := r.tool("posts.Posts.Delete"); !ok || !slices.Contains(scopes, "blog:admin") {
		t.Errorf("posts.Posts.Delete: listed %v with %s %v; want listed with blog:admin", ok, requiredScopesKey, scopes)
	}
	if len(r.Calls) != 3 {
		t.Fatalf("calls %+v", r.Calls)
	}
	for _, c := range r.Calls[:2] {
		if !c.OK {
			t.Errorf("%s failed: %s %s", c.Name, c.Error, c.Result)
		}
	}
	if del := r.Calls[2]; del.OK || !strings.Contains(del.Error, "403") {
		t.Errorf("posts.Posts.Delete: ok %v error %q; want the 403 the client cannot step up from", del.OK, del.Error)
	}
	check403(t, st, r, "blog:admin")
}

// TestAuthorizationCodeWithRegistration: a client without a metadata
// document registers itself (RFC 7591), the user approves the baseline scope
// the 401 named, and a call that needs more scope takes the 403 step-up:
// the SDK sends the user to consent again for the scope the challenge names
// and the retried call succeeds.
func TestAuthorizationCodeWithRegistration(t *testing.T) {
	st := startStack(t)
	r := runClient(t, scenario{
		URL: st.gatewayURL, Mode: "authorization_code", RedirectURL: loopbackRedirect(t),
		Calls: []call{listUsers, createPost(st.aliceID, "Stepped up")},
	})
	if r.Error != "" {
		t.Fatalf("client error: %s\nexchanges:\n%s", r.Error, r.exchanges())
	}
	checkDiscovery(t, st, r)
	inOrder(t, r,
		step{"sdk", "POST", st.authURL + "/register", http.StatusCreated},
		step{"browser", "GET", st.authURL + "/authorize?", http.StatusOK},
		step{"browser", "POST", st.authURL + "/authorize/consent", http.StatusSeeOther},
		step{"sdk", "POST", st.authURL + "/token", http.StatusOK},
		step{"sdk", "POST", st.gatewayURL, http.StatusOK},
	)
	if !strings.HasPrefix(r.ClientID, "dcr-") {
		t.Errorf("client id %q, want a registered dcr- id", r.ClientID)
	}
	if len(r.Consents) == 0 || r.Consents[0].Scope != "blog:read" {
		t.Fatalf("first consent %+v, want the baseline scope blog:read", r.Consents)
	}
	if scopes, ok := r.tool("posts.Posts.Create"); !ok || !slices.Contains(scopes, "blog:write") {
		t.Errorf("posts.Posts.Create: listed %v with %s %v; want listed with blog:write for a blog:read token", ok, requiredScopesKey, scopes)
	}
	if len(r.Calls) != 2 {
		t.Fatalf("calls %+v", r.Calls)
	}
	if c := r.Calls[0]; !c.OK || c.StepUp {
		t.Errorf("users.Users.List: %+v", c)
	}
	if c := r.Calls[1]; !c.OK || !c.StepUp {
		t.Errorf("posts.Posts.Create: ok %v stepUp %v error %q; want success after a step-up", c.OK, c.StepUp, c.Error)
	}
	check403(t, st, r, "blog:write")
	if len(r.Consents) != 2 || !strings.Contains(r.Consents[1].Scope, "blog:write") {
		t.Errorf("consents %+v, want a second one for blog:write", r.Consents)
	}
}

// TestAuthorizationCodeWithMetadataDocument: a client whose client_id is
// the https URL of its metadata document (MCP 2025-11-25) does not register;
// the authorization server fetches the document, and the flow runs to a
// tool call.
func TestAuthorizationCodeWithMetadataDocument(t *testing.T) {
	st := startStack(t)
	r := runClient(t, scenario{
		URL: st.gatewayURL, Mode: "authorization_code", RedirectURL: loopbackRedirect(t),
		ClientMetadataURL: st.documentURL, Calls: []call{listUsers},
	})
	if r.Error != "" {
		t.Fatalf("client error: %s\nexchanges:\n%s", r.Error, r.exchanges())
	}
	checkDiscovery(t, st, r)
	inOrder(t, r,
		step{"browser", "GET", st.authURL + "/authorize?", http.StatusOK},
		step{"browser", "POST", st.authURL + "/authorize/consent", http.StatusSeeOther},
		step{"sdk", "POST", st.authURL + "/token", http.StatusOK},
	)
	for _, h := range r.HTTP {
		if strings.HasPrefix(h.URL, st.authURL+"/register") {
			t.Errorf("the client registered although it has a metadata document: %s %s", h.Method, h.URL)
		}
	}
	if r.ClientID != st.documentURL || len(r.Consents) == 0 || r.Consents[0].ClientID != st.documentURL {
		t.Errorf("client id %q, consents %+v; want the document URL %s", r.ClientID, r.Consents, st.documentURL)
	}
	if st.documentHits.Load() == 0 {
		t.Error("the authorization server never fetched the metadata document")
	}
	if len(r.Calls) != 1 || !r.Calls[0].OK {
		t.Errorf("calls %+v", r.Calls)
	}
}

// loopbackRedirect is a redirect URI on a loopback port, like a native
// client's local listener (nothing listens: the script reads the redirect).
func loopbackRedirect(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return fmt.Sprintf("http://127.0.0.1:%d/callback", ln.Addr().(*net.TCPAddr).Port)
}
