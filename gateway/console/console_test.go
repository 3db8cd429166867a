package console_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/tracegate/tracegate/gateway/audit"
	"github.com/tracegate/tracegate/gateway/console"
	"github.com/tracegate/tracegate/gateway/policy"
	"github.com/tracegate/tracegate/gateway/reason"
)

// TestSignIn: authorization code + PKCE against the dev issuer, with the
// console as a public client described by its own metadata document; the
// session cookie is HttpOnly and SameSite=Strict, the login cookie Lax, and
// the browser continues from a console page to where it was going.
func TestSignIn(t *testing.T) {
	s := newStack(t, console.Config{})
	b := newBrowser(t)
	if r := b.get(s.base + "/tools"); r.status != http.StatusSeeOther || !strings.HasPrefix(r.header.Get("Location"), console.LoginPath) {
		t.Fatalf("anonymous browser: %d to %q, want a redirect to sign in", r.status, r.header.Get("Location"))
	}
	login := b.get(s.base + "/login?next=" + url.QueryEscape(console.Path+"/manage"))
	lc := cookie(login.header, console.LoginCookie)
	if lc == nil || !lc.HttpOnly || lc.SameSite != http.SameSiteLaxMode || lc.Path != console.Path {
		t.Fatalf("login cookie %+v: want HttpOnly, SameSite=Lax, path /console", lc)
	}
	authz, _ := url.Parse(login.header.Get("Location"))
	q := authz.Query()
	for k, want := range map[string]string{"response_type": "code", "code_challenge_method": "S256", "resource": s.base,
		"scope": console.DefaultScope, "client_id": s.base + "/oauth-client.json", "redirect_uri": s.base + "/callback"} {
		if q.Get(k) != want {
			t.Errorf("authorization request %s = %q, want %q", k, q.Get(k), want)
		}
	}

	r := s.signIn(t, b)
	sc := cookie(r.header, console.SessionCookie)
	if r.status != http.StatusOK || sc == nil || !sc.HttpOnly || sc.SameSite != http.SameSiteStrictMode || sc.Secure || sc.Path != console.Path {
		t.Fatalf("callback: %d, session cookie %+v: want HttpOnly, SameSite=Strict, path /console (no Secure without TLS)", r.status, sc)
	}
	if !strings.Contains(r.body, `href="/console/manage"`) || !strings.Contains(r.body, "continue.js") {
		t.Errorf("the callback page does not continue to /console/manage:\n%s", r.body)
	}
	page := b.get(s.base + "/tools")
	if page.status != http.StatusOK || !strings.Contains(page.body, "posts.Posts.Delete") || !strings.Contains(page.body, "demo-user") {
		t.Fatalf("tools page after sign-in: %d\n%s", page.status, page.body)
	}
	for _, h := range []string{"Content-Security-Policy", "X-Frame-Options", "X-Content-Type-Options"} {
		if page.header.Get(h) == "" {
			t.Errorf("page lacks %s", h)
		}
	}
	// Sign out: the session is gone.
	out := b.post(s.base+"/logout", url.Values{console.CSRFField: {csrf(page.body)}}, nil)
	if out.status != http.StatusSeeOther {
		t.Fatalf("logout: %d %s", out.status, out.body)
	}
	if r := b.get(s.base + "/tools"); r.status != http.StatusSeeOther {
		t.Errorf("after sign-out: %d, want a redirect to sign in", r.status)
	}
}

// TestCallbackRefusals: a callback that is not the answer to this
// browser's sign-in never makes a session.
func TestCallbackRefusals(t *testing.T) {
	s := newStack(t, console.Config{})
	start := func(b *browser) url.Values {
		r := b.get(s.base + "/login")
		u, _ := url.Parse(r.header.Get("Location"))
		return u.Query()
	}
	for _, tc := range []struct {
		name  string
		query func(authz url.Values) string
		fresh bool // another browser (no login cookie) calls back
	}{
		{"no login cookie", func(a url.Values) string { return "code=x&state=" + a.Get("state") }, true},
		{"wrong state", func(url.Values) string { return "code=x&state=forged" }, false},
		{"no state", func(url.Values) string { return "code=x" }, false},
		{"another issuer", func(a url.Values) string { return "code=x&state=" + a.Get("state") + "&iss=http://evil.example" }, false},
		{"error from the issuer", func(a url.Values) string { return "error=access_denied&state=" + a.Get("state") }, false},
		{"no code", func(a url.Values) string { return "state=" + a.Get("state") }, false},
		{"a code the issuer never issued", func(a url.Values) string { return "code=forged&state=" + a.Get("state") }, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := newBrowser(t)
			q := tc.query(start(b))
			if tc.fresh {
				b = newBrowser(t)
			}
			r := b.get(s.base + "/callback?" + q)
			if r.status < 400 || cookie(r.header, console.SessionCookie) != nil {
				t.Fatalf("callback %s: %d, session cookie %v", q, r.status, cookie(r.header, console.SessionCookie))
			}
		})
	}
	t.Run("replayed callback", func(t *testing.T) {
		b := newBrowser(t)
		r := s.signIn(t, b)
		if r.status != http.StatusOK {
			t.Fatal(r.status)
		}
		// The same browser calls the callback again: the transaction is spent.
		again := b.get(s.base + "/callback?code=x&state=y")
		if again.status < 400 || cookie(again.header, console.SessionCookie) != nil {
			t.Fatalf("replay: %d", again.status)
		}
	})
}

// TestAPIAuthentication: only tokens of the console's audience with the
// operator scope open the API; an MCP-audience token never does, whatever
// its scopes.
func TestAPIAuthentication(t *testing.T) {
	s := newStack(t, console.Config{})
	consoleTok := s.token(t, "admin-agent", "admin-secret", s.base, "")
	mcpAdmin := s.token(t, "admin-agent", "admin-secret", mcpAudience, "blog:read tracegate:admin")
	noScope := s.token(t, "demo-agent", "demo-secret", s.base, "")
	tampered := consoleTok[:len(consoleTok)-4] + "AAAA"
	for _, tc := range []struct {
		name, auth string
		status     int
		challenge  string
	}{
		{"no credentials", "", 401, `error="invalid_request"`},
		{"console token", "Bearer " + consoleTok, 200, ""},
		{"MCP-audience token with tracegate:admin", "Bearer " + mcpAdmin, 401, `error="invalid_token"`},
		{"console token without the operator scope", "Bearer " + noScope, 403, `scope="tracegate:admin"`},
		{"tampered token", "Bearer " + tampered, 401, `error="invalid_token"`},
		{"not a bearer token", "Basic YWRtaW46YWRtaW4=", 401, `error="invalid_request"`},
		{"empty bearer", "Bearer ", 401, `error="invalid_request"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodGet, s.base+"/api/policy", nil)
			if tc.auth != "" {
				req.Header.Set("Authorization", tc.auth)
			}
			r := newBrowser(t).do(req)
			if r.status != tc.status || !strings.Contains(r.header.Get("WWW-Authenticate"), tc.challenge) {
				t.Fatalf("status %d, challenge %q; want %d with %q\n%s", r.status, r.header.Get("WWW-Authenticate"), tc.status, tc.challenge, r.body)
			}
			if tc.status != 200 && !strings.Contains(r.header.Get("WWW-Authenticate"), `resource_metadata="`) {
				t.Errorf("refusal without resource_metadata: %q", r.header.Get("WWW-Authenticate"))
			}
		})
	}
	// A bearer change needs no CSRF token (no ambient credential).
	body := `{"base_hash":"h0","policy":` + mustJSON(t, withOverride(s.backend.Policy().Config, "posts.Posts.Delete", "blog:write")) + `}`
	req, _ := http.NewRequest(http.MethodPut, s.base+"/api/policy", strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+consoleTok)
	if r := newBrowser(t).do(req); r.status != 200 || len(s.backend.updates) != 1 || s.backend.updates[0].Subject != "admin-agent" {
		t.Fatalf("bearer PUT: %d %s, updates %v", r.status, r.body, s.backend.updates)
	}
}

// TestChangesNeedCSRF: a change made with the session cookie is refused
// without the session's CSRF token, with a wrong one, and when the
// browser says it came from another site; with the token it applies.
func TestChangesNeedCSRF(t *testing.T) {
	s := newStack(t, console.Config{})
	b := newBrowser(t)
	s.signIn(t, b)
	page := b.get(s.base + "/manage")
	token := csrf(page.body)
	if token == "" {
		t.Fatalf("manage page without a CSRF token:\n%s", page.body)
	}
	form := func(tok string) url.Values {
		return url.Values{"op": {"override"}, "tool": {"posts.Posts.Delete"}, "scopes": {"blog:write"}, "base": {"h0"}, console.CSRFField: {tok}}
	}
	for _, tc := range []struct {
		name   string
		form   url.Values
		header map[string]string
	}{
		{"no token", form(""), nil},
		{"wrong token", form(token[:len(token)-1] + "x"), nil},
		{"another session's token", form(strings.Repeat("A", len(token))), nil},
		{"cross-site", form(token), map[string]string{"Sec-Fetch-Site": "cross-site"}},
		{"same-site but another origin", form(token), map[string]string{"Origin": "http://127.0.0.1:9"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := b.post(s.base+"/manage", tc.form, tc.header)
			if r.status != http.StatusForbidden || len(s.backend.updates) != 0 {
				t.Fatalf("status %d (updates %d), want 403 and no change", r.status, len(s.backend.updates))
			}
		})
	}
	api, _ := http.NewRequest(http.MethodPut, s.base+"/api/policy", strings.NewReader(`{"policy":{}}`))
	if r := b.do(api); r.status != http.StatusForbidden || len(s.backend.updates) != 0 {
		t.Fatalf("API PUT with the cookie and no CSRF header: %d", r.status)
	}
	r := b.post(s.base+"/manage", form(token), map[string]string{"Origin": strings.TrimSuffix(s.base, console.Path), "Sec-Fetch-Site": "same-origin"})
	if r.status != http.StatusSeeOther || len(s.backend.updates) != 1 || s.backend.updates[0].Subject != "demo-user" {
		t.Fatalf("with the token: %d %s, updates %v", r.status, r.body, s.backend.updates)
	}
	if got := s.backend.Policy().Config.Scopes.Overrides; len(got) != 1 || got[0].Tool != "posts.Posts.Delete" || got[0].Scopes[0] != "blog:write" {
		t.Errorf("overrides after the change: %+v", got)
	}
}

// TestManageReadOnly: a read-only policy is shown with its reason, the
// forms are disabled, and a change is refused.
func TestManageReadOnly(t *testing.T) {
	s := newStack(t, console.Config{})
	s.backend.readOnly = "this gateway is one of 3 replicas"
	b := newBrowser(t)
	s.signIn(t, b)
	page := b.get(s.base + "/manage")
	if !strings.Contains(page.body, "this gateway is one of 3 replicas") || !strings.Contains(page.body, "<fieldset disabled>") {
		t.Fatalf("read-only manage page lacks the reason or disabled forms:\n%s", page.body)
	}
	r := b.post(s.base+"/manage", url.Values{"op": {"defaults"}, "mode": {"all"}, "unscoped": {"deny"}, console.CSRFField: {csrf(page.body)}}, nil)
	if r.status != http.StatusConflict || !strings.Contains(r.body, "read-only") {
		t.Fatalf("change of a read-only policy: %d", r.status)
	}
}

// TestPagesRender: every page renders for a signed-in operator, and the
// clients column appears only when clients are configured.
func TestPagesRender(t *testing.T) {
	s := newStack(t, console.Config{Clients: []console.Client{{ID: "demo-agent", Scopes: []string{"blog:read", "blog:write"}}}})
	b := newBrowser(t)
	s.signIn(t, b)
	feed := s.con.Feed()
	_ = feed.Write(context.Background(), record(t, "posts.Posts.Delete", audit.Deny, reason.InsufficientScope, "msg-1"))
	for page, want := range map[string][]string{
		"/tools":            {"Clients that may call it", "blog:admin", "service"},
		"/decisions":        {"posts.Posts.Delete", "insufficient_scope", "/console/message?q=msg-1"},
		"/message?q=msg-1":  {"posts.Posts.Delete", "No Jaeger configured"},
		"/audit":            {"abc", "blocking"},
		"/limits":           {"fake"},
		"/manage":           {"Scope overrides", "posts.Posts.Delete"},
		"/decisions?tool=x": {"Filter"},
	} {
		r := b.get(s.base + page)
		if r.status != http.StatusOK {
			t.Errorf("%s: %d", page, r.status)
			continue
		}
		for _, w := range want {
			if !strings.Contains(r.body, w) {
				t.Errorf("%s lacks %q", page, w)
			}
		}
	}
	tools := b.get(s.base + "/tools").body
	// users.Users.List needs blog:read, which demo-agent holds; Delete needs blog:admin.
	if row := between(tools, `id="tool-users.Users.List"`, "</tr>"); !strings.Contains(row, "<code>demo-agent</code>") {
		t.Errorf("demo-agent not listed for users.Users.List:\n%s", row)
	}
	if row := between(tools, `id="tool-posts.Posts.Delete"`, "</tr>"); strings.Contains(row, "<code>demo-agent</code>") {
		t.Errorf("demo-agent listed for posts.Posts.Delete:\n%s", row)
	}
	if r := b.get(s.base + "/decisions?tool=x"); strings.Contains(between(r.body, "<tbody>", "</tbody>"), "posts.Posts.Delete") {
		t.Errorf("the tool filter kept another tool")
	}
	noClients := newStack(t, console.Config{})
	b2 := newBrowser(t)
	noClients.signIn(t, b2)
	if strings.Contains(b2.get(noClients.base+"/tools").body, "Clients that may call it") {
		t.Errorf("clients column shown without configured clients")
	}
}

// TestJaegerLinks: the console's Jaeger links go to the UI's trace page, or,
// for a Jaeger without its UI (the local build make demo runs), to the URL
// jaeger_ui_url names with {trace_id} filled in: on the Decisions page and
// on the Message page of a trace Jaeger holds.
func TestJaegerLinks(t *testing.T) {
	const traceID = "0af7651916cd43dd8448eb211c80319c"
	jaeger := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/api/traces/"+traceID {
			http.NotFound(w, r)
			return
		}
		fmt.Fprintf(w, `{"data":[{"traceID":%q,"processes":{"p1":{"serviceName":"tracegate"}},
			"spans":[{"traceID":%[1]q,"spanID":"b7ad6b7169203331","operationName":"tools/call posts.Posts.Delete",
			"processID":"p1","startTime":1,"duration":5,"tags":[{"key":"span.kind","type":"string","value":"server"}]}]}]}`, traceID)
	}))
	t.Cleanup(jaeger.Close)
	for ui, want := range map[string]string{
		"":                                       jaeger.URL + "/trace/" + traceID,
		"http://127.0.0.1:16686/":                "http://127.0.0.1:16686/trace/" + traceID,
		jaeger.URL + "/api/v3/traces/{trace_id}": jaeger.URL + "/api/v3/traces/" + traceID,
	} {
		s := newStack(t, console.Config{JaegerURL: jaeger.URL, JaegerUIURL: ui})
		b := newBrowser(t)
		s.signIn(t, b)
		_ = s.con.Feed().Write(context.Background(), record(t, "posts.Posts.Delete", audit.Deny, reason.InsufficientScope, "msg-1"))
		for _, page := range []string{"/decisions", "/message?q=" + traceID} {
			if r := b.get(s.base + page); r.status != http.StatusOK || !strings.Contains(r.body, `href="`+want+`"`) {
				t.Errorf("jaeger_ui_url %q, %s: %d, no link to %s:\n%s", ui, page, r.status, want, r.body)
			}
		}
	}
}

// TestStream: the live feed sends new records that match its filter, and
// a tools event when the tool list or the policy changes.
func TestStream(t *testing.T) {
	s := newStack(t, console.Config{})
	tok := s.token(t, "admin-agent", "admin-secret", s.base, "")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, s.base+"/api/stream?decision=deny", nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	events := make(chan [2]string, 16)
	go func() {
		sc := bufio.NewScanner(res.Body)
		var name string
		for sc.Scan() {
			line := sc.Text()
			if n, ok := strings.CutPrefix(line, "event: "); ok {
				name = n
			}
			if d, ok := strings.CutPrefix(line, "data: "); ok {
				events <- [2]string{name, d}
			}
		}
		close(events)
	}()
	next := func() [2]string {
		select {
		case e, ok := <-events:
			if !ok {
				t.Fatal("stream ended")
			}
			return e
		case <-ctx.Done():
			t.Fatal("no event")
		}
		return [2]string{}
	}
	if e := next(); e[0] != "tools" {
		t.Fatalf("first event %v, want the tool list's version", e)
	}
	feed := s.con.Feed()
	_ = feed.Write(ctx, record(t, "users.Users.List", audit.Allow, reason.Granted, "msg-a"))
	_ = feed.Write(ctx, record(t, "posts.Posts.Delete", audit.Deny, reason.InsufficientScope, "msg-b"))
	e := next()
	var got console.Entry
	if err := json.Unmarshal([]byte(e[1]), &got); e[0] != "record" || err != nil || got.Tool != "posts.Posts.Delete" || got.IntentID != "msg-b" {
		t.Fatalf("event %v: want the deny only", e)
	}
	cfg := s.backend.Policy().Config
	if _, _, err := s.backend.UpdatePolicy(ctx, "", withOverride(cfg, "users.Users.List", "blog:alt"), console.Operator{Subject: "x"}); err != nil {
		t.Fatal(err)
	}
	if e := next(); e[0] != "tools" {
		t.Fatalf("after a policy change: %v, want a tools event", e)
	}
}

func TestFeedRecentAndBounds(t *testing.T) {
	f := console.NewFeed(3)
	for i, tool := range []string{"a", "b", "c", "d"} {
		r := record(t, tool, audit.Allow, reason.Granted, "m")
		_ = f.Write(context.Background(), r)
		if got := f.Recent(console.Filter{}, 10); len(got) != min(i+1, 3) || got[0].Tool != tool {
			t.Fatalf("after %s: %d entries, newest %q", tool, len(got), got[0].Tool)
		}
	}
	if got := f.Recent(console.Filter{Tool: "a"}, 10); len(got) != 0 {
		t.Errorf("the oldest record is still held: %v", got)
	}
	gap := audit.NewRecord(audit.Fields{Dropped: 5})
	_ = f.Write(context.Background(), gap)
	if g, d := f.Gaps(); g != 1 || d != 5 {
		t.Errorf("gaps %d dropped %d, want 1 and 5", g, d)
	}
}

func TestApplyPolicyForms(t *testing.T) {
	s := newStack(t, console.Config{})
	b := newBrowser(t)
	s.signIn(t, b)
	for _, tc := range []struct {
		name   string
		form   url.Values
		status int
		check  func(policy.Config) bool
	}{
		{"override", url.Values{"op": {"override"}, "tool": {"posts.Posts.*"}, "scopes": {"blog:write, blog:admin"}, "mode": {"all"}}, 303,
			func(c policy.Config) bool {
				return len(c.Scopes.Overrides) == 1 && c.Scopes.Overrides[0].Mode == policy.ModeAll && len(c.Scopes.Overrides[0].Scopes) == 2
			}},
		{"bad pattern", url.Values{"op": {"override"}, "tool": {"posts.[*"}, "scopes": {"x"}}, 400, nil},
		{"bad mode", url.Values{"op": {"defaults"}, "mode": {"most"}, "unscoped": {"deny"}}, 400, nil},
		{"defaults", url.Values{"op": {"defaults"}, "mode": {"all"}, "unscoped": {"deny"}, "default": {"blog:read"}}, 303,
			func(c policy.Config) bool {
				return c.Scopes.Mode == policy.ModeAll && c.Scopes.Unscoped == policy.UnscopedDeny
			}},
		{"limit", url.Values{"op": {"limit"}, "kind": {"account_tool"}, "tool": {"*"}, "rate": {"2.5"}, "burst": {"4"}}, 303,
			func(c policy.Config) bool {
				return len(c.RateLimit.AccountTool) == 1 && c.RateLimit.AccountTool[0].Rate == 2.5
			}},
		{"bad limit", url.Values{"op": {"limit"}, "kind": {"tools"}, "tool": {"*"}, "rate": {"-1"}, "burst": {"0"}}, 400, nil},
		{"limit kind", url.Values{"op": {"limit"}, "kind": {"galaxy"}, "tool": {"*"}, "rate": {"1"}, "burst": {"1"}}, 400, nil},
		{"account", url.Values{"op": {"account"}, "rate": {"10"}, "burst": {"20"}}, 303,
			func(c policy.Config) bool { return c.RateLimit.Account.Rate == 10 }},
		{"remove limit", url.Values{"op": {"remove_limit"}, "kind": {"account_tool"}, "tool": {"*"}}, 303,
			func(c policy.Config) bool { return len(c.RateLimit.AccountTool) == 0 }},
		{"remove override", url.Values{"op": {"remove_override"}, "tool": {"posts.Posts.*"}}, 303,
			func(c policy.Config) bool { return len(c.Scopes.Overrides) == 0 }},
		{"unknown op", url.Values{"op": {"drop_table"}}, 400, nil},
		{"stale base", url.Values{"op": {"account"}, "rate": {"1"}, "burst": {"1"}, "base": {"h0"}}, 409, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			page := b.get(s.base + "/manage")
			tc.form.Set(console.CSRFField, csrf(page.body))
			r := b.post(s.base+"/manage", tc.form, nil)
			if r.status != tc.status {
				t.Fatalf("status %d, want %d\n%s", r.status, tc.status, between(r.body, `role="alert">`, "<"))
			}
			if tc.check != nil && !tc.check(s.backend.Policy().Config) {
				t.Errorf("policy after: %+v", s.backend.Policy().Config)
			}
		})
	}
}

func record(t *testing.T, tool string, d audit.Decision, why reason.Reason, intent string) audit.Record {
	t.Helper()
	return audit.NewRecord(audit.Fields{Tool: tool, Decision: d, Reason: why, IntentID: intent, Subject: "alice",
		TraceID: "0af7651916cd43dd8448eb211c80319c", SpanID: "b7ad6b7169203331"})
}

func withOverride(c policy.Config, tool, scope string) policy.Config {
	c.Scopes.Overrides = append(append([]policy.ScopeOverride(nil), c.Scopes.Overrides...), policy.ScopeOverride{Tool: tool, Scopes: []string{scope}})
	return c
}

func mustJSON(t *testing.T, v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func between(s, from, to string) string {
	_, after, ok := strings.Cut(s, from)
	if !ok {
		return ""
	}
	before, _, _ := strings.Cut(after, to)
	return before
}
