package console_test

import (
	"context"
	"encoding/json"
	"io"
	"log"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/tracegate/tracegate/examples/authserver"
	"github.com/tracegate/tracegate/gateway/audit"
	"github.com/tracegate/tracegate/gateway/console"
	"github.com/tracegate/tracegate/gateway/policy"
)

// fakeBackend is a gateway with two tools and a policy in memory.
type fakeBackend struct {
	mu       sync.Mutex
	cfg      policy.Config
	hash     string
	readOnly string
	updates  []console.Operator
	version  int
}

func newFakeBackend() *fakeBackend {
	return &fakeBackend{cfg: policy.DefaultConfig(), hash: "h0"}
}

func (b *fakeBackend) Tools() console.ToolSet {
	b.mu.Lock()
	defer b.mu.Unlock()
	sp, _ := policy.NewScopePolicy(b.cfg.Scopes)
	ts := console.ToolSet{PolicyHash: b.hash, Policy: b.cfg}
	for _, t := range []struct{ name, svc, ep string }{{"posts.Posts.Delete", "posts", "Posts.Delete"}, {"users.Users.List", "users", "Users.List"}} {
		declared := map[string][]string{"posts.Posts.Delete": {"blog:admin"}, "users.Users.List": {"blog:read"}}[t.name]
		ts.Tools = append(ts.Tools, console.Tool{Name: t.name, Canonical: t.name, Service: t.svc, Endpoint: t.ep,
			Description: "the tool " + t.name, InputSchema: json.RawMessage(`{"type":"object"}`), Declared: declared,
			Requirement: sp.Resolve(t.name, declared), Limits: b.cfg.RateLimit.LimitsFor(t.name)})
	}
	return ts
}

func (b *fakeBackend) Policy() console.PolicyState {
	b.mu.Lock()
	defer b.mu.Unlock()
	return console.PolicyState{Config: b.cfg, Hash: b.hash, ReadOnly: b.readOnly}
}

func (b *fakeBackend) UpdatePolicy(_ context.Context, base string, next policy.Config, op console.Operator) (string, string, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.readOnly != "" {
		return b.hash, b.hash, console.ErrReadOnly
	}
	if base != "" && base != b.hash {
		return b.hash, b.hash, console.ErrConflict
	}
	if err := next.Validate(); err != nil {
		return b.hash, b.hash, err
	}
	before := b.hash
	b.version++
	b.cfg, b.hash = next, "h"+string(rune('0'+b.version))
	b.updates = append(b.updates, op)
	return before, b.hash, nil
}

func (b *fakeBackend) Limits() console.LimitState {
	return console.LimitState{Config: b.Policy().Config.RateLimit, Note: "fake"}
}

func (b *fakeBackend) Audit(context.Context, bool) console.AuditState {
	return console.AuditState{Head: audit.Head{Count: 7, Hash: "abc"}, Mode: audit.ModeBlocking}
}

// stack is a console over a fake backend behind an httptest server, and
// the dev authorization server serving the console as a resource.
type stack struct {
	backend *fakeBackend
	con     *console.Console
	srv     *httptest.Server // the console
	as      *httptest.Server // the authorization server
	base    string           // the console's URL (its resource)
}

const mcpAudience = "http://127.0.0.1:1/mcp"

func newStack(t *testing.T, cfg console.Config) *stack {
	t.Helper()
	s := &stack{backend: newFakeBackend()}
	s.srv = httptest.NewUnstartedServer(nil)
	s.base = "http://" + s.srv.Listener.Addr().String() + console.Path
	s.as = httptest.NewUnstartedServer(nil)
	issuer := "http://" + s.as.Listener.Addr().String()
	as, err := authserver.New(authserver.Config{Issuer: issuer, Audience: mcpAudience, Clients: authserver.DemoClients(),
		Resources: map[string][]string{s.base: {console.DefaultScope}}})
	if err != nil {
		t.Fatal(err)
	}
	s.as.Config.Handler = as.Handler()
	s.as.Start()
	t.Cleanup(s.as.Close)
	v, err := policy.NewJWTVerifier(t.Context(), policy.WithIssuer(issuer), policy.WithAudience(s.base))
	if err != nil {
		t.Fatal(err)
	}
	cfg.Resource = s.base
	s.con, err = console.New(cfg, s.backend, console.WithVerifier(v), console.WithIssuer(issuer),
		console.WithLogger(log.New(io.Discard, "", 0)))
	if err != nil {
		t.Fatal(err)
	}
	s.srv.Config.Handler = s.con.Handler()
	s.srv.Start()
	t.Cleanup(func() {
		s.con.Close()
		s.srv.CloseClientConnections()
		s.srv.Close()
		http.DefaultClient.CloseIdleConnections()
	})
	return s
}

// token asks the authorization server for a client-credentials token.
func (s *stack) token(t *testing.T, id, secret, resource, scope string) string {
	t.Helper()
	f := url.Values{"grant_type": {"client_credentials"}, "resource": {resource}}
	if scope != "" {
		f.Set("scope", scope)
	}
	req, _ := http.NewRequest(http.MethodPost, s.as.URL+authserver.TokenPath, strings.NewReader(f.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(id, secret)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var body struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.NewDecoder(res.Body).Decode(&body); err != nil || body.AccessToken == "" {
		t.Fatalf("token for %s (%s): %d %v", id, resource, res.StatusCode, err)
	}
	return body.AccessToken
}

// browser is a cookie-keeping HTTP client that does not follow redirects.
type browser struct {
	t   *testing.T
	jar *cookiejar.Jar
	c   *http.Client
}

func newBrowser(t *testing.T) *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: t, jar: jar, c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}}
}

type reply struct {
	status int
	header http.Header
	body   string
}

func (b *browser) do(req *http.Request) reply {
	b.t.Helper()
	res, err := b.c.Do(req)
	if err != nil {
		b.t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	return reply{res.StatusCode, res.Header, string(raw)}
}

func (b *browser) get(u string) reply {
	req, _ := http.NewRequest(http.MethodGet, u, nil)
	return b.do(req)
}

func (b *browser) post(u string, form url.Values, header map[string]string) reply {
	req, _ := http.NewRequest(http.MethodPost, u, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for k, v := range header {
		req.Header.Set(k, v)
	}
	return b.do(req)
}

var hiddenRE = regexp.MustCompile(`<input type="hidden" name="([a-z_]+)" value="([^"]*)"`)

// hidden returns the hidden inputs of a page.
func hidden(body string) url.Values {
	f := url.Values{}
	for _, m := range hiddenRE.FindAllStringSubmatch(body, -1) {
		f.Set(m[1], m[2])
	}
	return f
}

// signIn runs the browser through the console's sign-in: the console's
// redirect to the issuer, the consent page, approval, the callback. It
// returns the callback's reply.
func (s *stack) signIn(t *testing.T, b *browser) reply {
	t.Helper()
	r := b.get(s.base + "/login?next=" + url.QueryEscape(console.Path+"/manage"))
	if r.status != http.StatusSeeOther {
		t.Fatalf("login: %d %s", r.status, r.body)
	}
	consent := b.get(r.header.Get("Location"))
	if consent.status != http.StatusOK {
		t.Fatalf("consent page: %d %s", consent.status, consent.body)
	}
	f := hidden(consent.body)
	f.Set("decision", "approve")
	ans := b.post(s.as.URL+authserver.ConsentPath, f, nil)
	if ans.status != http.StatusSeeOther {
		t.Fatalf("consent: %d %s", ans.status, ans.body)
	}
	return b.get(ans.header.Get("Location"))
}

// csrf reads the CSRF token a page carries.
func csrf(body string) string {
	m := regexp.MustCompile(`<meta name="csrf-token" content="([^"]*)">`).FindStringSubmatch(body)
	if m == nil {
		return ""
	}
	return m[1]
}

func cookie(h http.Header, name string) *http.Cookie {
	for _, c := range (&http.Response{Header: h}).Cookies() {
		if c.Name == name {
			return c
		}
	}
	return nil
}
