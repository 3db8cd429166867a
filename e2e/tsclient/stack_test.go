//go:build e2e

package tsclient_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"go-micro.dev/v5/registry"

	"github.com/tracegate/tracegate/examples/authserver"
	"github.com/tracegate/tracegate/examples/blog/blogtest"
	"github.com/tracegate/tracegate/examples/blog/users"
	"github.com/tracegate/tracegate/gateway"
	"github.com/tracegate/tracegate/internal/gatewaytest"
)

// runTimeout bounds one client run (node start, SDK import, the flow).
const runTimeout = 2 * time.Minute

// requiredScopesKey is where a listed tool that the token cannot call names
// the scopes it needs (policy.list_uncallable).
const requiredScopesKey = "io.tracegate/required-scopes"

// gatewayYAML is the gateway's configuration: a 401 names the baseline
// scope blog:read (the demo's), and tools/list also shows the tools the
// token cannot call, with the scopes they need, so a client can step up.
const gatewayYAML = `auth:
  issuer: %ISSUER%
  resource: %RESOURCE%
  baseline_scopes: [blog:read]
policy:
  list_uncallable: true
`

// stack is the blog behind the gateway with the dev authserver, in process
// on 127.0.0.1, plus an https server with the client's metadata document.
type stack struct {
	gatewayURL, authURL string
	documentURL         string        // the tsclient's Client ID Metadata Document
	documentHits        *atomic.Int32 // fetches of it
	aliceID             string        // a user posts can be written for
}

func startStack(t *testing.T) *stack {
	t.Helper()
	st := &stack{documentHits: &atomic.Int32{}}
	docs := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/tsclient.json" {
			http.NotFound(w, r)
			return
		}
		st.documentHits.Add(1)
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{
			"client_id":                  st.documentURL,
			"client_name":                "tracegate e2e tsclient (metadata document)",
			"redirect_uris":              []string{"http://127.0.0.1/callback"},
			"grant_types":                []string{"authorization_code"},
			"response_types":             []string{"code"},
			"token_endpoint_auth_method": "none",
		})
	}))
	t.Cleanup(docs.Close)
	st.documentURL = docs.URL + "/tsclient.json"

	as := httptest.NewUnstartedServer(nil)
	gs := httptest.NewUnstartedServer(nil)
	st.authURL = "http://" + as.Listener.Addr().String()
	st.gatewayURL = "http://" + gs.Listener.Addr().String() + gateway.MCPPath
	acfg := authserver.DefaultConfig()
	acfg.Issuer, acfg.Audience = st.authURL, st.gatewayURL
	acfg.HTTPClient = docs.Client() // trusts the document server's certificate
	srv, err := authserver.New(acfg)
	if err != nil {
		t.Fatal(err)
	}
	as.Config.Handler = srv.Handler()
	as.Start()
	t.Cleanup(as.Close)

	reg := registry.NewMemoryRegistry()
	blog := blogtest.Start(t, blogtest.Options{Registry: reg})
	alice, err := blog.Users.Create(context.Background(), &users.CreateRequest{Name: "alice", Email: "alice@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	st.aliceID = alice.User.ID

	path := filepath.Join(t.TempDir(), "gateway.yaml")
	yaml := strings.NewReplacer("%ISSUER%", st.authURL, "%RESOURCE%", st.gatewayURL).Replace(gatewayYAML)
	if err := os.WriteFile(path, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := gateway.LoadConfig(path)
	if err != nil {
		t.Fatalf("gateway config with auth.baseline_scopes and policy.list_uncallable "+
			"(the gateway side of issue 12, findings 2 and 4): %v", err)
	}
	gatewaytest.Serve(t, gs, gateway.Options{Registry: reg, Logger: log.New(io.Discard, "", 0), Config: cfg})
	t.Cleanup(http.DefaultClient.CloseIdleConnections)
	return st
}

// scenario is client.mjs's input.
type scenario struct {
	URL               string `json:"url"`
	Mode              string `json:"mode"`
	ClientID          string `json:"clientId,omitempty"`
	ClientSecret      string `json:"clientSecret,omitempty"`
	Scope             string `json:"scope,omitempty"`
	ExpectedIssuer    string `json:"expectedIssuer,omitempty"`
	RedirectURL       string `json:"redirectUrl,omitempty"`
	ClientMetadataURL string `json:"clientMetadataUrl,omitempty"`
	Calls             []call `json:"calls"`
}

type call struct {
	Name      string         `json:"name"`
	Arguments map[string]any `json:"arguments"`
}

// report is client.mjs's output.
type report struct {
	HTTP []struct {
		From, Method, URL, WWWAuthenticate string
		Status                             int
	} `json:"http"`
	Tools []struct {
		Name string                     `json:"name"`
		Meta map[string]json.RawMessage `json:"meta"`
	} `json:"tools"`
	Calls []struct {
		Name   string          `json:"name"`
		OK     bool            `json:"ok"`
		StepUp bool            `json:"stepUp"`
		Error  string          `json:"error"`
		Result json.RawMessage `json:"result"`
	} `json:"calls"`
	Consents []struct {
		URL, Scope, ClientID, Error string
		Status                      int
	} `json:"consents"`
	ClientID      string   `json:"clientId"`
	GrantedScopes []string `json:"grantedScopes"`
	Error         string   `json:"error"`
}

// runClient runs client.mjs with sc and decodes its report.
func runClient(t *testing.T, sc scenario) report {
	t.Helper()
	in, err := json.Marshal(sc)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), runTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, script, string(in))
	cmd.Env = append(os.Environ(), "NODE_NO_WARNINGS=1")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	err = cmd.Run()
	t.Logf("client.mjs ran in %s", time.Since(start).Round(time.Millisecond))
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		t.Fatalf("client.mjs: %v\n%s", err, stderr.String())
	}
	var r report
	if err := json.Unmarshal(stdout.Bytes(), &r); err != nil {
		t.Fatalf("client.mjs wrote no report (%v; exit %v)\nstdout: %s\nstderr: %s", err, cmd.ProcessState, stdout.String(), stderr.String())
	}
	if stderr.Len() > 0 {
		t.Logf("client.mjs stderr:\n%s", stderr.String())
	}
	if testing.Verbose() {
		t.Logf("exchanges:\n%s", r.exchanges())
	}
	return r
}

// step is one expected HTTP exchange, matched by prefix.
type step struct {
	from, method, urlPrefix string
	status                  int
}

// inOrder asserts that steps happen in this order in r.HTTP (other
// exchanges may come between) and returns the index of each.
func inOrder(t *testing.T, r report, steps ...step) []int {
	t.Helper()
	var at []int
	i := 0
	for _, s := range steps {
		found := -1
		for ; i < len(r.HTTP) && found < 0; i++ {
			h := r.HTTP[i]
			if h.From == s.from && h.Method == s.method && strings.HasPrefix(h.URL, s.urlPrefix) && h.Status == s.status {
				found = i
			}
		}
		if found < 0 {
			t.Fatalf("no %s %s %s… → %d after the steps before it; exchanges:\n%s", s.from, s.method, s.urlPrefix, s.status, r.exchanges())
		}
		at = append(at, found)
	}
	return at
}

func (r report) exchanges() string {
	var b strings.Builder
	for _, h := range r.HTTP {
		b.WriteString("  " + h.From + " " + h.Method + " " + h.URL + " → " + http.StatusText(h.Status))
		if h.WWWAuthenticate != "" {
			b.WriteString("  [" + h.WWWAuthenticate + "]")
		}
		b.WriteString("\n")
	}
	return b.String()
}

// tool returns the scopes the listed tool's _meta says it needs (nil if
// it has no such entry) and whether it is listed.
func (r report) tool(name string) ([]string, bool) {
	for _, tl := range r.Tools {
		if tl.Name != name {
			continue
		}
		raw, ok := tl.Meta[requiredScopesKey]
		if !ok {
			return nil, true
		}
		// {"scopes": [...], "mode": "any" | "all"}
		var req struct {
			Scopes []string `json:"scopes"`
			Mode   string   `json:"mode"`
		}
		if err := json.Unmarshal(raw, &req); err != nil || len(req.Scopes) == 0 || req.Mode == "" {
			return []string{"malformed: " + string(raw)}, true
		}
		return req.Scopes, true
	}
	return nil, false
}
