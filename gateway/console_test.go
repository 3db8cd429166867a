package gateway_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/tracegate/tracegate/gateway"
	"github.com/tracegate/tracegate/gateway/audit"
	"github.com/tracegate/tracegate/gateway/console"
	"github.com/tracegate/tracegate/gateway/policy"
)

// consoleResource is the console's audience, derived from the gateway's
// resource (oauthtest.Audience, https://gw.example.test/mcp).
const consoleResource = "https://gw.example.test/console"

// consoleCall calls the console's API with a bearer token.
func consoleCall(t *testing.T, url, method, path, token string, body any) (int, []byte) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, url+path, rd)
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	return res.StatusCode, raw
}

// TestConsoleChangesPolicy is the console's path through the real gateway:
// the tools with their scopes and sources; an MCP-audience token refused;
// a change of posts.Posts.Delete's override that turns the next call of a
// token holding the new scope from 403 into 200 through the guarded
// service; the change in the configuration file and the audit trail.
func TestConsoleChangesPolicy(t *testing.T) {
	r := newReloadEnv(t, "# console test\npolicy:\n  list_uncallable: true\n", func(o *gateway.Options) {
		o.Config.Console = console.Config{Enabled: true}
	})
	admin := r.token(t, map[string]any{"aud": consoleResource, "scope": "tracegate:admin", "sub": "ops", "client_id": "ops-cli"})
	mcpAdmin := r.token(t, map[string]any{"scope": "blog:read tracegate:admin"})

	status, raw := consoleCall(t, r.url, http.MethodGet, "/console/api/tools", admin, nil)
	var ts struct {
		PolicyHash string         `json:"policy_hash"`
		Tools      []console.Tool `json:"tools"`
	}
	if err := json.Unmarshal(raw, &ts); status != 200 || err != nil {
		t.Fatalf("tools: %d %s", status, raw)
	}
	var del *console.Tool
	for i, tool := range ts.Tools {
		if tool.Canonical == "posts.Posts.Delete" {
			del = &ts.Tools[i]
		}
	}
	if del == nil || del.Requirement.Source != policy.SourceService || strings.Join(del.Requirement.Scopes, " ") != "blog:admin" {
		t.Fatalf("posts.Posts.Delete in the console: %+v", del)
	}
	if status, _ := consoleCall(t, r.url, http.MethodGet, "/console/api/tools", mcpAdmin, nil); status != http.StatusUnauthorized {
		t.Fatalf("an MCP-audience token with tracegate:admin: %d, want 401", status)
	}

	// A post to delete, made by an administrator.
	setup := r.client(r.token(t, map[string]any{"scope": "blog:read blog:write blog:admin"}))
	setup.initialize(t)
	var user struct {
		User struct{ ID string } `json:"user"`
	}
	var post struct {
		Post struct{ ID string } `json:"post"`
	}
	decode(t, setup.callTool(t, "users.Users.Create", map[string]any{"name": "Ada", "email": "ada@example.com"}), &user)
	decode(t, setup.callTool(t, "posts.Posts.Create", map[string]any{"title": "t", "body": "b", "author_id": user.User.ID}), &post)

	writer := r.client(r.token(t, map[string]any{"scope": "blog:read blog:write", "sub": "writer"}))
	writer.initialize(t)
	if rep := writer.callTool(t, "posts.Posts.Delete", map[string]any{"id": post.Post.ID}); rep.Status != http.StatusForbidden {
		t.Fatalf("delete before the change: %s, want 403", rep)
	}
	cfg, hash := r.gw.CurrentPolicy()
	cfg.Scopes.Overrides = append(cfg.Scopes.Overrides, policy.ScopeOverride{Tool: "posts.Posts.Delete", Scopes: []string{"blog:write"}})
	status, raw = consoleCall(t, r.url, http.MethodPut, "/console/api/policy", admin, map[string]any{"base_hash": hash, "policy": cfg})
	if status != http.StatusOK {
		t.Fatalf("policy change: %d %s", status, raw)
	}
	rep := writer.callTool(t, "posts.Posts.Delete", map[string]any{"id": post.Post.ID})
	if rep.Status != http.StatusOK || rep.Error != nil || strings.Contains(string(rep.Result), `"isError":true`) {
		t.Fatalf("delete after the change: %s %s", rep, rep.Result)
	}
	if status, _ := consoleCall(t, r.url, http.MethodPut, "/console/api/policy", admin, map[string]any{"base_hash": hash, "policy": cfg}); status != http.StatusConflict {
		t.Errorf("a change from a stale hash: %d, want 409", status)
	}

	data, _ := os.ReadFile(r.cfg)
	if !strings.HasPrefix(string(data), "# console test\npolicy:\n") || !strings.Contains(string(data), "tool: posts.Posts.Delete") {
		t.Errorf("configuration file after the change:\n%s", data)
	}
	var change audit.Record
	for _, rec := range r.records(t) {
		if rec.Kind() == audit.KindPolicy {
			change = rec
		}
	}
	if change.Subject() != "ops" || change.Client() != "ops-cli" || change.PolicyBefore() != hash ||
		!strings.Contains(change.Change(), "scopes.overrides[posts.Posts.Delete]: added [blog:write]") {
		t.Errorf("policy record: subject %q client %q before %q change %q", change.Subject(), change.Client(), change.PolicyBefore(), change.Change())
	}
	if status, raw := consoleCall(t, r.url, http.MethodGet, "/console/api/decisions?tool=posts.Posts.Delete&decision=allow", admin, nil); status != 200 ||
		!strings.Contains(string(raw), `"subject": "writer"`) {
		t.Errorf("the feed lacks the allowed delete: %d %s", status, raw)
	}
	md, _ := http.Get(r.url + policy.WellKnownProtectedResource + console.Path)
	if md != nil {
		var m map[string]any
		_ = json.NewDecoder(md.Body).Decode(&m)
		md.Body.Close()
		if m["resource"] != consoleResource {
			t.Errorf("console resource metadata: %v", m)
		}
	}
}

func decode(t *testing.T, rep rawReply, out any) {
	t.Helper()
	var res struct {
		StructuredContent json.RawMessage `json:"structuredContent"`
	}
	if err := json.Unmarshal(rep.Result, &res); err != nil || json.Unmarshal(res.StructuredContent, out) != nil {
		t.Fatalf("result %s: %v", rep.Result, err)
	}
}

// TestConsoleNeedsIssuer: the console is refused without a way to verify
// its tokens.
func TestConsoleNeedsIssuer(t *testing.T) {
	o := gateway.Options{Config: gateway.Config{Auth: gateway.AuthConfig{Anonymous: true}, Console: console.Config{Enabled: true}}}
	if err := o.Validate(); err == nil || !strings.Contains(err.Error(), "console") {
		t.Fatalf("Validate: %v", err)
	}
}
