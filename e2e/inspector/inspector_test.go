//go:build e2e

package inspector_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"go-micro.dev/v5/registry"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/tracegate/tracegate/examples/authserver"
	"github.com/tracegate/tracegate/examples/blog/blogtest"
	"github.com/tracegate/tracegate/examples/blog/users"
	"github.com/tracegate/tracegate/gateway"
	"github.com/tracegate/tracegate/internal/gatewaytest"
)

// Exit statuses of the Inspector CLI (EXIT_CODES in its source).
const (
	exitOK           = 0
	exitAuthRequired = 3
	exitToolError    = 5
)

// cliTimeout bounds one Inspector run.
const cliTimeout = 90 * time.Second

// stack is the blog behind a JWT-protected gateway, with the dev
// authserver, all in-process on 127.0.0.1.
type stack struct {
	gatewayURL, authURL string
	blog                *blogtest.Stack
}

func startStack(t *testing.T) *stack {
	t.Helper()
	as := httptest.NewUnstartedServer(nil)
	gs := httptest.NewUnstartedServer(nil)
	st := &stack{
		authURL:    "http://" + as.Listener.Addr().String(),
		gatewayURL: "http://" + gs.Listener.Addr().String() + gateway.MCPPath,
	}
	acfg := authserver.DefaultConfig()
	acfg.Issuer, acfg.Audience = st.authURL, st.gatewayURL
	srv, err := authserver.New(acfg)
	if err != nil {
		t.Fatal(err)
	}
	as.Config.Handler = srv.Handler()
	as.Start()
	t.Cleanup(as.Close)

	reg := registry.NewMemoryRegistry()
	st.blog = blogtest.Start(t, blogtest.Options{Registry: reg})
	cfg := gateway.DefaultConfig()
	cfg.Auth = gateway.AuthConfig{Issuer: st.authURL, Resource: st.gatewayURL}
	gatewaytest.Serve(t, gs, gateway.Options{Registry: reg, Logger: log.New(io.Discard, "", 0), Config: cfg})
	return st
}

// token asks the authserver for a client-credentials token for the gateway.
func (st *stack) token(t *testing.T, id, secret string) string {
	t.Helper()
	hc := &http.Client{Transport: &http.Transport{}}
	defer hc.CloseIdleConnections()
	cc := clientcredentials.Config{ClientID: id, ClientSecret: secret, TokenURL: st.authURL + "/token",
		AuthStyle: oauth2.AuthStyleInHeader, EndpointParams: url.Values{"resource": {st.gatewayURL}, "intent": {"inspector-" + t.Name()}}}
	tok, err := cc.Token(context.WithValue(context.Background(), oauth2.HTTPClient, hc))
	if err != nil {
		t.Fatal(err)
	}
	return tok.AccessToken
}

// run is one Inspector CLI run.
type run struct {
	code           int
	stdout, stderr string
}

// inspect runs `mcp-inspector --cli url ARGS` with a throw-away HOME (its
// catalog and client config), stdin not a terminal.
func inspect(t *testing.T, url string, args ...string) run {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), cliTimeout)
	defer cancel()
	home := t.TempDir()
	cmd := exec.CommandContext(ctx, node, append([]string{launcher, "--cli", url}, args...)...)
	cmd.Env = append(cmd.Environ(), "HOME="+home,
		"MCP_CATALOG_PATH="+filepath.Join(home, "mcp.json"), "MCP_CLIENT_CONFIG_PATH="+filepath.Join(home, "client.json"))
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	r := run{stdout: stdout.String(), stderr: stderr.String()}
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		r.code = ee.ExitCode()
	case err != nil:
		t.Fatalf("inspector %v: %v\n%s", args, err, stderr.String())
	}
	return r
}

// result decodes the CLI's --format json output: {"result": …}.
func (r run) result(t *testing.T, v any) {
	t.Helper()
	var out struct{ Result json.RawMessage }
	if err := json.Unmarshal([]byte(r.stdout), &out); err != nil || len(out.Result) == 0 {
		t.Fatalf("not a JSON result (%v):\n%s\n%s", err, r.stdout, r.stderr)
	}
	if err := json.Unmarshal(out.Result, v); err != nil {
		t.Fatalf("result: %v\n%s", err, out.Result)
	}
}

// TestWithToken lists and calls tools with a bearer token, in the session
// era (legacy, the CLI's default for a URL) and the stateless one (modern).
func TestWithToken(t *testing.T) {
	st := startStack(t)
	alice, err := st.blog.Users.Create(context.Background(), &users.CreateRequest{Name: "alice", Email: "alice@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	bearer := "Authorization: Bearer " + st.token(t, "demo-agent", "demo-secret")
	for _, era := range []string{"legacy", "modern"} {
		t.Run(era, func(t *testing.T) {
			common := []string{"--protocol-era", era, "--header", bearer, "--format", "json"}

			r := inspect(t, st.gatewayURL, append(common, "--method", "tools/list")...)
			if r.code != exitOK {
				t.Fatalf("tools/list: exit %d\n%s", r.code, r.stderr)
			}
			var list struct{ Tools []struct{ Name string } }
			r.result(t, &list)
			var names []string
			for _, tool := range list.Tools {
				names = append(names, tool.Name)
			}
			for _, want := range []string{"users.Users.List", "posts.Posts.Create", "comments.Comments.Create"} {
				if !slices.Contains(names, want) {
					t.Errorf("tools/list lacks %s: %v", want, names)
				}
			}
			if slices.Contains(names, "posts.Posts.Delete") {
				t.Errorf("tools/list offers posts.Posts.Delete (blog:admin) to a blog:read blog:write token")
			}

			r = inspect(t, st.gatewayURL, append(common, "--method", "tools/call", "--tool-name", "posts.Posts.Create",
				"--tool-args-json", `{"title":"Inspected","body":"via MCP Inspector","author_id":"`+alice.User.ID+`"}`)...)
			if r.code != exitOK {
				t.Fatalf("tools/call: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
			}
			var call struct {
				IsError           bool `json:"isError"`
				StructuredContent struct {
					Post struct {
						ID       string `json:"id"`
						AuthorID string `json:"author_id"`
					} `json:"post"`
				} `json:"structuredContent"`
			}
			r.result(t, &call)
			if p := call.StructuredContent.Post; call.IsError || p.ID == "" || p.AuthorID != alice.User.ID {
				t.Errorf("tools/call result %+v", call)
			}
		})
	}
}

// TestWithoutTokenIsAuthRequired: the gateway's 401 (with its RFC 9728
// challenge) makes the CLI exit with auth_required (3), whether it may try
// interactive OAuth (it cannot: stdin is not a terminal) or not.
func TestWithoutTokenIsAuthRequired(t *testing.T) {
	st := startStack(t)
	for _, tc := range []struct {
		name string
		args []string
	}{
		{"no token", []string{"--method", "tools/list"}},
		{"no token, stored auth only", []string{"--method", "tools/list", "--stored-auth-only"}},
		{"no token, modern era", []string{"--method", "tools/list", "--protocol-era", "modern", "--stored-auth-only"}},
		{"no token, tools/call", []string{"--method", "tools/call", "--tool-name", "users.Users.List", "--stored-auth-only"}},
		{"bad token", []string{"--method", "tools/list", "--header", "Authorization: Bearer not-a-jwt", "--stored-auth-only"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := inspect(t, st.gatewayURL, tc.args...)
			if r.code != exitAuthRequired || !strings.Contains(r.stderr, `"auth_required"`) {
				t.Errorf("exit %d, want %d auth_required\nstdout: %s\nstderr: %s", r.code, exitAuthRequired, r.stdout, r.stderr)
			}
		})
	}
}

// TestToolBeyondScopesIsNotOffered: the CLI resolves a tool name through
// tools/list before calling it; the gateway does not list posts.Posts.Delete
// to a token without blog:admin, so the CLI reports tool_not_found (5)
// without sending the call.
func TestToolBeyondScopesIsNotOffered(t *testing.T) {
	st := startStack(t)
	r := inspect(t, st.gatewayURL, "--method", "tools/call", "--tool-name", "posts.Posts.Delete", "--tool-arg", "id=post-1",
		"--header", "Authorization: Bearer "+st.token(t, "demo-agent", "demo-secret"))
	if r.code != exitToolError || !strings.Contains(r.stderr, "tool_not_found") {
		t.Errorf("exit %d, want %d tool_not_found\nstdout: %s\nstderr: %s", r.code, exitToolError, r.stdout, r.stderr)
	}
}
