package gateway_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tracegate/tracegate/gateway/reason"

	"github.com/lestrrat-go/jwx/v3/jwa"
	"go.opentelemetry.io/otel/trace"

	"github.com/tracegate/tracegate/examples/blog/users"
	"github.com/tracegate/tracegate/gateway"
	"github.com/tracegate/tracegate/gateway/policy"
	"github.com/tracegate/tracegate/internal/oauthtest"
)

// authEnv is a blog gateway that requires JWTs from a test issuer.
type authEnv struct {
	*env
	iss *oauthtest.Issuer
	url string
}

func newAuthEnv(t *testing.T, mutate ...func(*gateway.Options)) *authEnv {
	t.Helper()
	iss := oauthtest.Start(t)
	e := newEnv(t, append([]func(*gateway.Options){func(o *gateway.Options) {
		o.Config.Auth = gateway.AuthConfig{Resource: oauthtest.Audience, Issuer: iss.URL()}
	}}, mutate...)...)
	return &authEnv{env: e, iss: iss, url: e.serveHTTP(t).URL}
}

// token signs the default claims with changes (nil value: claim removed).
func (a *authEnv) token(t *testing.T, changes map[string]any) string {
	t.Helper()
	c := a.iss.Claims()
	for k, v := range changes {
		if v == nil {
			delete(c, k)
		} else {
			c[k] = v
		}
	}
	return a.iss.Sign(t, "rsa-1", jwa.RS256(), c)
}

func (a *authEnv) client(token string) *rawClient { return &rawClient{url: a.url, token: token} }

// dispatched lists the service spans recorded (any span of a blog service).
func (a *authEnv) dispatched() []string {
	var out []string
	for _, s := range a.capture.Spans() {
		if s.SpanKind == trace.SpanKindServer && !strings.HasPrefix(s.Name, "tools/") && !strings.Contains(s.Name, " /mcp") {
			out = append(out, s.Name)
		}
	}
	return out
}

func (a *authEnv) decisions(t *testing.T, name string) []map[string]string {
	t.Helper()
	var out []map[string]string
	for _, r := range a.capture.LogsNamed(name) {
		m := map[string]string{}
		for k, v := range oteltestAttrs(r) {
			m[k] = v
		}
		out = append(out, m)
	}
	return out
}

func TestAuthenticationHTTP(t *testing.T) {
	a := newAuthEnv(t)
	a.iss.AddKey(t, "rogue", oauthtest.RSAKey(t), false)
	now := time.Now()
	valid := a.token(t, nil)
	parts := strings.Split(valid, ".")
	sig := []byte(parts[2])
	sig[4] = oauthtest.FlipB64(sig[4])
	rogue := a.iss.Claims()
	for _, tc := range []struct {
		name       string
		token      string
		query      bool
		wantStatus int
		wantAuth   string // substring of WWW-Authenticate
	}{
		{"missing token", "", false, 401, `resource_metadata="`},
		{"expired", a.token(t, map[string]any{"exp": now.Add(-5 * time.Minute).Unix()}), false, 401, `error="invalid_token"`},
		{"not yet valid", a.token(t, map[string]any{"nbf": now.Add(5 * time.Minute).Unix()}), false, 401, `error="invalid_token"`},
		{"wrong audience", a.token(t, map[string]any{"aud": "https://other.example/mcp"}), false, 401, `error="invalid_token"`},
		{"wrong issuer", a.token(t, map[string]any{"iss": "https://evil.example"}), false, 401, `error="invalid_token"`},
		{"alg none", oauthtest.Unsigned(a.iss.Claims()), false, 401, `error="invalid_token"`},
		{"HS256 keyed with the public key", oauthtest.HSWithPublicKey(t, a.iss.RSAPublicKey("rsa-1"), a.iss.Claims()), false, 401, `error="invalid_token"`},
		{"unknown kid", a.iss.Sign(t, "rogue", jwa.RS256(), rogue), false, 401, `error="invalid_token"`},
		{"tampered signature", parts[0] + "." + parts[1] + "." + string(sig), false, 401, `error="invalid_token"`},
		{"token in query string", valid, true, 400, `error="invalid_request"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a.capture.Reset()
			c := a.client(tc.token)
			var mutate []func(*http.Request)
			if tc.query {
				c.token = ""
				mutate = append(mutate, func(r *http.Request) { r.URL.RawQuery = "access_token=" + tc.token })
			}
			r := c.callTool(t, "users.Users.List", map[string]any{}, mutate...)
			if r.Status != tc.wantStatus || !strings.Contains(r.Header.Get("WWW-Authenticate"), tc.wantAuth) {
				t.Fatalf("got %s, want %d with %s", r, tc.wantStatus, tc.wantAuth)
			}
			if !strings.Contains(r.Header.Get("WWW-Authenticate"), `resource_metadata="`+policy.MetadataURL(oauthtest.Audience)+`"`) {
				t.Errorf("challenge lacks resource_metadata: %s", r.Header.Get("WWW-Authenticate"))
			}
			// 401 is decided from the headers before the body is read, so the
			// error's id is null; 400 for a token in the query likewise.
			if r.Error == nil || (r.Error.Code != gateway.CodeUnauthorized && tc.wantStatus == 401) || string(r.ID) != "null" {
				t.Errorf("body is not a JSON-RPC error with id null: %s", r)
			}
			if d := a.dispatched(); len(d) > 0 {
				t.Fatalf("dispatched %v", d)
			}
			ev := a.decisions(t, gateway.EventAuthzDecision)
			wantReason := "unauthenticated"
			if tc.query {
				wantReason = "invalid_request"
			}
			if len(ev) != 1 || ev[0]["tracegate.authz.decision"] != "deny" || ev[0]["tracegate.authz.reason"] != wantReason {
				t.Fatalf("decision events = %v", ev)
			}
			if strings.Contains(r.Header.Get("WWW-Authenticate"), tc.token) && tc.token != "" {
				t.Fatal("challenge echoes the token")
			}
		})
	}
	t.Run("valid", func(t *testing.T) {
		c := a.client(valid)
		c.initialize(t)
		if r := c.callTool(t, "users.Users.List", map[string]any{}); r.Status != 200 || r.Error != nil {
			t.Fatalf("valid token refused: %s", r)
		}
	})
	t.Run("rotated key accepted", func(t *testing.T) {
		// A fresh gateway: the unknown-kid case above used up the
		// rate-limited JWKS refetch of this one.
		a := newAuthEnv(t)
		c := a.client(a.token(t, nil))
		c.initialize(t)
		a.iss.AddKey(t, "rsa-2", oauthtest.RSAKey(t), true)
		c = a.client(a.iss.Sign(t, "rsa-2", jwa.RS256(), a.iss.Claims()))
		c.initialize(t)
		if r := c.callTool(t, "users.Users.List", map[string]any{}); r.Status != 200 || r.Error != nil {
			t.Fatalf("rotated key refused: %s", r)
		}
	})
}

func TestProtectedResourceMetadata(t *testing.T) {
	a := newAuthEnv(t)
	for _, path := range []string{"/.well-known/oauth-protected-resource/mcp", "/.well-known/oauth-protected-resource"} {
		resp, err := http.Get(a.url + path)
		if err != nil {
			t.Fatal(err)
		}
		var m struct {
			Resource             string   `json:"resource"`
			AuthorizationServers []string `json:"authorization_servers"`
			ScopesSupported      []string `json:"scopes_supported"`
		}
		err = json.NewDecoder(resp.Body).Decode(&m)
		resp.Body.Close()
		if err != nil || m.Resource != oauthtest.Audience || len(m.AuthorizationServers) != 1 ||
			m.AuthorizationServers[0] != a.iss.URL() || strings.Join(m.ScopesSupported, " ") != "blog:admin blog:read blog:write" {
			t.Fatalf("%s: %+v (%v)", path, m, err)
		}
	}
}

func TestScopesHTTP(t *testing.T) {
	a := newAuthEnv(t, func(o *gateway.Options) {
		o.Scopes = map[string][]string{"comments.Comments.List": {"blog:moderate"}} // go-micro style override
		o.Config.Policy.Scopes.Overrides = []policy.ScopeOverride{{Tool: "posts.Posts.*", Scopes: []string{"blog:posts"}}}
	})
	reader := a.client(a.token(t, map[string]any{"scope": "blog:read"}))
	reader.initialize(t)

	t.Run("service-declared scope enforced with step-up challenge", func(t *testing.T) {
		r := reader.callTool(t, "users.Users.Create", map[string]any{"name": "eve", "email": "eve@example.com"})
		auth := r.Header.Get("WWW-Authenticate")
		if r.Status != 403 || !strings.Contains(auth, `error="insufficient_scope"`) || !strings.Contains(auth, `scope="blog:admin"`) {
			t.Fatalf("got %s", r)
		}
		var data struct {
			Required []string `json:"required_scopes"`
		}
		_ = json.Unmarshal(r.Error.Data, &data)
		if r.Error.Code != gateway.CodeForbidden || len(data.Required) != 1 {
			t.Fatalf("error = %s", r)
		}
		// Step up: a token with exactly the scopes of the challenge.
		scope := strings.Split(strings.Split(auth, `scope="`)[1], `"`)[0]
		admin := a.client(a.token(t, map[string]any{"scope": scope}))
		admin.initialize(t)
		if r := admin.callTool(t, "users.Users.Create", map[string]any{"name": "eve", "email": "eve@example.com"}); r.Status != 200 || r.Error != nil {
			t.Fatalf("step-up token refused: %s", r)
		}
	})
	for _, tc := range []struct {
		name, scope, tool string
		args              map[string]any
		want              int
	}{
		{"read scope reads", "blog:read", "users.Users.List", map[string]any{}, 200},
		{"exact override (go-micro Options.Scopes)", "blog:read", "comments.Comments.List", map[string]any{"post_id": "post-1"}, 403},
		{"exact override satisfied", "blog:moderate", "comments.Comments.List", map[string]any{"post_id": "post-1"}, 200},
		{"pattern override", "blog:read", "posts.Posts.List", map[string]any{}, 403},
		{"pattern override satisfied", "blog:posts", "posts.Posts.List", map[string]any{}, 200},
		{"wildcard grant", "blog:*", "users.Users.Create", map[string]any{"name": "w", "email": "w@example.com"}, 200},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := a.client(a.token(t, map[string]any{"scope": tc.scope}))
			c.initialize(t)
			if r := c.callTool(t, tc.tool, tc.args); r.Status != tc.want || (tc.want == 200 && r.Error != nil) {
				t.Fatalf("got %s, want %d", r, tc.want)
			}
		})
	}
	t.Run("tools/list per caller", func(t *testing.T) {
		list := func(scope string) []string {
			c := a.client(a.token(t, map[string]any{"scope": scope}))
			c.initialize(t)
			r := c.post(t, "tools/list", map[string]any{})
			var res struct {
				Tools []struct{ Name string } `json:"tools"`
			}
			if err := json.Unmarshal(r.Result, &res); err != nil {
				t.Fatalf("tools/list: %s", r)
			}
			var names []string
			for _, tl := range res.Tools {
				names = append(names, tl.Name)
			}
			return names
		}
		if got := strings.Join(list("blog:read"), ","); got != "users.Users.List,users.Users.Read" {
			t.Errorf("blog:read sees %s", got)
		}
		if got := strings.Join(list("blog:posts"), ","); got != "posts.Posts.Create,posts.Posts.Delete,posts.Posts.List,posts.Posts.Read" {
			t.Errorf("blog:posts sees %s", got)
		}
	})
}

func TestRateLimitsHTTP(t *testing.T) {
	a := newAuthEnv(t, func(o *gateway.Options) {
		o.Config.Policy.RateLimit.AccountTool = []policy.ToolLimit{{Tool: "users.Users.List", Limit: policy.Limit{Rate: 0.01, Burst: 2}}}
		o.Config.Policy.RateLimit.Tools = []policy.ToolLimit{{Tool: "users.Users.Read", Limit: policy.Limit{Rate: 0.01, Burst: 1}}}
	})
	alice := a.client(a.token(t, nil))
	alice.initialize(t)
	bob := a.client(a.token(t, map[string]any{"sub": "bob"}))
	bob.initialize(t)

	for i := 0; i < 2; i++ {
		if r := alice.callTool(t, "users.Users.List", map[string]any{}); r.Status != 200 {
			t.Fatalf("call %d within burst: %s", i, r)
		}
	}
	a.capture.Reset()
	r := alice.callTool(t, "users.Users.List", map[string]any{})
	if r.Status != 429 || r.Header.Get("Retry-After") == "" || r.Header.Get("Retry-After") == "0" || r.Error == nil || r.Error.Code != gateway.CodeRateLimited {
		t.Fatalf("over burst: %s", r)
	}
	var data struct {
		RetryAfterMs int64 `json:"retry_after_ms"`
	}
	if err := json.Unmarshal(r.Error.Data, &data); err != nil || data.RetryAfterMs <= 0 {
		t.Fatalf("error data %s lacks retry_after_ms", r.Error.Data)
	}
	if d := a.dispatched(); len(d) > 0 {
		t.Fatalf("limited call dispatched: %v", d)
	}
	if ev := a.decisions(t, gateway.EventRateLimitDecision); len(ev) != 1 || ev[0]["tracegate.ratelimit.decision"] != "limited" ||
		ev[0]["tracegate.ratelimit.kind"] != "account_tool" {
		t.Fatalf("rate-limit events = %v", ev)
	}
	if r := bob.callTool(t, "users.Users.List", map[string]any{}); r.Status != 200 {
		t.Fatalf("alice's budget limited bob: %s", r)
	}
	// The per-tool limit is shared by all accounts.
	if r := alice.callTool(t, "users.Users.Read", map[string]any{"id": "user-1"}); r.Status != 200 {
		t.Fatalf("first Read: %s", r)
	}
	if r := bob.callTool(t, "users.Users.Read", map[string]any{"id": "user-1"}); r.Status != 429 {
		t.Fatalf("per-tool limit not shared: %s", r)
	}
}

func TestRateLimitConcurrentSafe(t *testing.T) {
	const burst, callers = 5, 20
	a := newAuthEnv(t, func(o *gateway.Options) {
		o.Config.Policy.RateLimit.Account = policy.Limit{Rate: 0.01, Burst: burst}
	})
	c := a.client(a.token(t, nil))
	c.initialize(t)
	var mu sync.Mutex
	codes := map[int]int{}
	var wg sync.WaitGroup
	for i := 0; i < callers; i++ {
		wg.Go(func() {
			r := c.callTool(t, "users.Users.List", map[string]any{})
			mu.Lock()
			codes[r.Status]++
			mu.Unlock()
		})
	}
	wg.Wait()
	if codes[200] != burst || codes[429] != callers-burst {
		t.Fatalf("statuses = %v, want %d×200 and %d×429", codes, burst, callers-burst)
	}
}

// TestNoTokenPassthrough: the caller's token reaches neither the services'
// metadata nor any span or log record; services get the minted identity.
func TestNoTokenPassthrough(t *testing.T) {
	a := newAuthEnv(t)
	tok := a.token(t, map[string]any{"scope": "blog:read blog:write blog:admin"})
	c := a.client(tok)
	c.initialize(t)
	if r := c.callTool(t, "users.Users.Create", map[string]any{"name": "zed", "email": "zed@example.com"}); r.Status != 200 || r.Error != nil {
		t.Fatalf("create: %s", r)
	}
	if r := c.callTool(t, "posts.Posts.Create", map[string]any{"title": "t", "body": "b", "author_id": "user-1"}); r.Status != 200 || r.Error != nil {
		t.Fatalf("post: %s", r)
	}
	sig := tok[strings.LastIndex(tok, ".")+1:]
	mds := a.seen.all()
	if len(mds) < 3 {
		t.Fatalf("services saw %d requests", len(mds))
	}
	for _, md := range mds {
		hasIdentity := false
		for k, v := range md {
			if strings.Contains(v, sig) {
				t.Fatalf("caller token in service metadata %s", k)
			}
			if strings.EqualFold(k, policy.IdentityMetadataKey) && v != "" {
				hasIdentity = true
			}
		}
		if !hasIdentity {
			t.Fatalf("service request without identity: %v", md)
		}
	}
	for _, s := range a.capture.Spans() {
		for _, kv := range s.Attributes {
			if strings.Contains(kv.Value.String(), sig) {
				t.Fatalf("token in span %s attribute %s", s.Name, kv.Key)
			}
		}
		for _, ev := range s.Events {
			for _, kv := range ev.Attributes {
				if strings.Contains(kv.Value.String(), sig) {
					t.Fatalf("token in span event %s", ev.Name)
				}
			}
		}
	}
	for _, r := range a.capture.Logs() {
		for k, v := range oteltestAttrs(r) {
			if strings.Contains(v, sig) {
				t.Fatalf("token in log record %s attribute %s", r.EventName(), k)
			}
		}
	}
}

func TestServicesRefuseCallsWithoutIdentity(t *testing.T) {
	e := newEnv(t)
	_, err := e.stack.Users.List(t.Context(), &users.ListRequest{})
	if err == nil || !strings.Contains(err.Error(), string(reason.IdentityMissing)) {
		t.Fatalf("direct call without identity: %v", err)
	}
}
