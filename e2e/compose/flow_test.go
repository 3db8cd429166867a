package compose_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"
	"go-micro.dev/v5/registry"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/tracegate/tracegate/examples/agent"
	"github.com/tracegate/tracegate/examples/authserver"
	"github.com/tracegate/tracegate/examples/blog/blogtest"
	"github.com/tracegate/tracegate/gateway"
	"github.com/tracegate/tracegate/internal/gatewaytest"
)

// network stands in for the compose topology on loopback: every host:port
// a compose URL names (the canonical 127.0.0.1:9090 and 127.0.0.1:8080 the
// host uses, the internal authserver:9090 and gateway:8080 containers use)
// is a listener of its own here, and mapURL rewrites compose URLs to them.
// Each listener counts the requests it gets.
type network struct {
	addr map[string]string // compose host:port -> local 127.0.0.1:port
	hits map[string]*atomic.Int32
}

func (n *network) mapURL(t *testing.T, raw string) string {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	local, ok := n.addr[u.Host]
	if !ok {
		t.Fatalf("%s names %s, which this run does not serve", raw, u.Host)
	}
	u.Host = local
	return u.String()
}

// listen makes an unstarted server standing in for composeHost.
func (n *network) listen(composeHost string) *httptest.Server {
	s := httptest.NewUnstartedServer(nil)
	n.addr[composeHost] = s.Listener.Addr().String()
	n.hits[composeHost] = &atomic.Int32{}
	return s
}

// serve starts s with h, counting requests for composeHost.
func (n *network) serve(t *testing.T, s *httptest.Server, composeHost string, h http.Handler) {
	hits := n.hits[composeHost]
	s.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		h.ServeHTTP(w, r)
	})
	s.Start()
	t.Cleanup(func() {
		s.CloseClientConnections()
		s.Close()
	})
}

// TestComposeNamesLocalRun runs the compose file's auth wiring on loopback:
// the authserver with the compose issuer (distinct from where it listens),
// the gateway with the compose issuer, resource and internal JWKS URL, and
// the agent with the compose environment (internal MCP and token URLs, the
// canonical resource, no discovery). The agent's message succeeds without
// touching a canonical URL, and a client on the host discovers everything
// from the canonical resource alone: RFC 9728 §3.3 and RFC 8414 §3.3 hold.
func TestComposeNamesLocalRun(t *testing.T) {
	p := loadProject(t)
	as, gw, ag := service(t, p, "authserver"), service(t, p, "gateway"), service(t, p, "agent")
	n := &network{addr: map[string]string{}, hits: map[string]*atomic.Int32{}}
	host := func(raw string) string { u, _ := url.Parse(raw); return u.Host }
	canonicalAuth, canonicalGW := n.listen(host(issuer)), n.listen(host(resource))
	internalAuth, internalGW := n.listen(host(tokenURL)), n.listen(host(internalMCP))

	acfg := authserver.DefaultConfig()
	acfg.Issuer = n.mapURL(t, mustFlag(t, "authserver", as.Command, "issuer"))
	acfg.Audience = n.mapURL(t, mustFlag(t, "authserver", as.Command, "audience"))
	srv, err := authserver.New(acfg)
	if err != nil {
		t.Fatal(err)
	}
	n.serve(t, canonicalAuth, host(issuer), srv.Handler())
	n.serve(t, internalAuth, host(tokenURL), srv.Handler())

	reg := registry.NewMemoryRegistry()
	blogtest.Start(t, blogtest.Options{Registry: reg})
	cfg := demoGatewayConfig(t) // the gateway's --config, then its flags
	cfg.Auth.Issuer = n.mapURL(t, mustFlag(t, "gateway", gw.Command, "auth-issuer"))
	cfg.Auth.JWKSURL = n.mapURL(t, mustFlag(t, "gateway", gw.Command, "auth-jwks-url"))
	cfg.Auth.Resource = n.mapURL(t, mustFlag(t, "gateway", gw.Command, "auth-resource"))
	g := gatewaytest.Start(t, gateway.Options{Registry: reg, Logger: log.New(io.Discard, "", 0), Config: cfg})
	n.serve(t, canonicalGW, host(resource), g.Handler())
	n.serve(t, internalGW, host(internalMCP), g.Handler())
	t.Cleanup(http.DefaultClient.CloseIdleConnections)

	t.Run("agent in the network", func(t *testing.T) {
		before := map[string]int32{host(issuer): n.hits[host(issuer)].Load(), host(resource): n.hits[host(resource)].Load()}
		acfg := agent.DefaultConfig()
		acfg.GatewayURL = n.mapURL(t, env(ag, "TRACEGATE_URL"))
		acfg.Resource = n.mapURL(t, env(ag, "TRACEGATE_RESOURCE"))
		acfg.AuthURL = n.mapURL(t, env(ag, "AUTH_URL"))
		acfg.TokenURL = n.mapURL(t, env(ag, "AUTH_TOKEN_URL"))
		acfg.ClientID, acfg.ClientSecret = env(ag, "AUTH_CLIENT_ID"), env(ag, "AUTH_CLIENT_SECRET")
		transport := &http.Transport{}
		t.Cleanup(transport.CloseIdleConnections)
		var out bytes.Buffer
		a, err := agent.New(acfg, agent.WithTransport(transport), agent.WithOutput(&out))
		if err != nil {
			t.Fatal(err)
		}
		msg := agent.NewMessage(agent.DefaultMessage)
		if err := a.Setup(context.Background(), msg); err != nil {
			t.Fatalf("Setup: %v\n%s", err, out.String())
		}
		res, err := a.Handle(context.Background(), msg)
		if err != nil {
			t.Fatalf("Handle: %v\n%s", err, out.String())
		}
		if res.Scope != "blog:read blog:write" {
			t.Errorf("token scope %q", res.Scope)
		}
		for h, b := range before {
			if got := n.hits[h].Load(); got != b {
				t.Errorf("the agent used the host's URL %s (%d requests): containers must not need it", h, got-b)
			}
		}
	})

	t.Run("client on the host", func(t *testing.T) {
		hostMCP := n.mapURL(t, resource)
		res, err := http.Post(hostMCP, "application/json", strings.NewReader(`{"jsonrpc":"2.0","id":1,"method":"tools/list"}`))
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		challenge := res.Header.Get("WWW-Authenticate")
		prmURL := param(challenge, "resource_metadata")
		if res.StatusCode != http.StatusUnauthorized || !strings.HasPrefix(prmURL, "http://"+n.addr[host(resource)]+"/") {
			t.Fatalf("401 challenge %q (status %d): want resource metadata on the host URL", challenge, res.StatusCode)
		}
		if param(challenge, "scope") != "blog:read" {
			t.Errorf("401 challenge %q does not name the baseline scope blog:read", challenge)
		}
		var prm struct {
			Resource             string   `json:"resource"`
			AuthorizationServers []string `json:"authorization_servers"`
			ScopesSupported      []string `json:"scopes_supported"`
		}
		getJSON(t, prmURL, &prm)
		if prm.Resource != hostMCP || !slices.Equal(prm.AuthorizationServers, []string{n.mapURL(t, issuer)}) {
			t.Fatalf("protected resource metadata %+v: RFC 9728 §3.3 wants the resource %s the client used and the canonical issuer", prm, hostMCP)
		}
		if !slices.Equal(prm.ScopesSupported, []string{"blog:read"}) {
			t.Errorf("scopes_supported %v, want the baseline [blog:read]", prm.ScopesSupported)
		}
		var md authserver.Metadata
		getJSON(t, prm.AuthorizationServers[0]+authserver.MetadataPath, &md)
		if md.Issuer != prm.AuthorizationServers[0] || !strings.HasPrefix(md.TokenEndpoint, prm.AuthorizationServers[0]+"/") ||
			!strings.HasPrefix(md.AuthorizationEndpoint, prm.AuthorizationServers[0]+"/") {
			t.Fatalf("metadata %+v: RFC 8414 §3.3 wants the issuer it was fetched from, and endpoints the host can reach", md)
		}
		hc := &http.Client{Transport: &http.Transport{}}
		t.Cleanup(hc.CloseIdleConnections)
		cc := clientcredentials.Config{ClientID: "demo-agent", ClientSecret: "demo-secret", TokenURL: md.TokenEndpoint,
			AuthStyle: oauth2.AuthStyleInHeader, EndpointParams: url.Values{"resource": {prm.Resource}}}
		ctx := context.WithValue(context.Background(), oauth2.HTTPClient, hc)
		mcpHTTP := cc.Client(ctx)
		t.Cleanup(mcpHTTP.CloseIdleConnections)
		cs, err := mcp.NewClient(&mcp.Implementation{Name: "host-client", Version: "1"}, nil).Connect(context.Background(),
			&mcp.StreamableClientTransport{Endpoint: hostMCP, HTTPClient: mcpHTTP, DisableStandaloneSSE: true}, nil)
		if err != nil {
			t.Fatalf("connect with a token from %s: %v", md.TokenEndpoint, err)
		}
		defer cs.Close()
		tools, err := cs.ListTools(context.Background(), nil)
		if err != nil {
			t.Fatalf("tools/list: %v", err)
		}
		if len(tools.Tools) == 0 {
			t.Error("tools/list is empty")
		}
	})
}

// param reads one auth-param of a Bearer challenge.
func param(challenge, name string) string {
	i := strings.Index(challenge, name+`="`)
	if i < 0 {
		return ""
	}
	rest := challenge[i+len(name)+2:]
	if j := strings.IndexByte(rest, '"'); j >= 0 {
		return rest[:j]
	}
	return ""
}

func getJSON(t *testing.T, u string, v any) {
	t.Helper()
	res, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s", u, res.Status)
	}
	if err := json.NewDecoder(res.Body).Decode(v); err != nil {
		t.Fatalf("GET %s: %v", u, err)
	}
}
