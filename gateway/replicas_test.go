package gateway_test

import (
	"bufio"
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v3/jwa"
	"github.com/modelcontextprotocol/go-sdk/mcp"
	"go.opentelemetry.io/otel/attribute"

	"github.com/tracegate/tracegate/gateway"
	"github.com/tracegate/tracegate/gateway/audit"
	"github.com/tracegate/tracegate/gateway/policy"
	"github.com/tracegate/tracegate/gateway/reason"
	"github.com/tracegate/tracegate/internal/microkit"
	"github.com/tracegate/tracegate/internal/oauthtest"
	"github.com/tracegate/tracegate/internal/redistest"
)

// replicaSet is gateways in front of one blog stack that share an issuer,
// a session key and a Redis session store, each served on its own URL and
// all behind a round-robin reverse proxy without affinity.
type replicaSet struct {
	env    *env
	iss    *oauthtest.Issuer
	redis  *redistest.Server
	sink   *recordSink
	keyDir string
	urls   []string // each replica, directly
	lb     string   // the round-robin proxy
	served []atomic.Int64
}

// writeKey writes a session key file and returns its path.
func writeKey(t *testing.T, dir, name string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, audit.GenerateMACKey(), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// loadedHost gives the shared session store a timeout for a test machine
// under heavy load (a race-instrumented suite next to other jobs): these
// tests are about what the store decides, not how fast Redis answers.
var loadedHost = gateway.WithSessionRedisTimeout(10 * time.Second)

func newReplicaSet(t *testing.T, n int, mutate ...func(*gateway.Options)) *replicaSet {
	t.Helper()
	rs := &replicaSet{iss: oauthtest.Start(t), redis: redistest.Start(t), sink: &recordSink{}, keyDir: t.TempDir()}
	key := writeKey(t, rs.keyDir, "session.key")
	shared := func(o *gateway.Options) {
		o.Config.Auth = gateway.AuthConfig{Resource: oauthtest.Audience, Issuer: rs.iss.URL()}
		o.Config.Replicas, o.Config.Sessions.KeyFile = n, key
		o.AuditSinks = []audit.Sink{rs.sink}
	}
	store := func(o *gateway.Options) {
		o.SessionStore = gateway.NewRedisSessionStore(rs.redis.Client(t), loadedHost)
	}
	all := append(append([]func(*gateway.Options){store}, mutate...), shared) // shared last: the key stays
	for i := range n {
		id := func(o *gateway.Options) { o.Config.ReplicaID = "r" + string(rune('1'+i)) }
		var gw *gateway.Gateway
		if i == 0 {
			rs.env = newEnv(t, append(all, id)...)
			gw = rs.env.gw
		} else {
			gw = rs.env.newGateway(t, append(all, id)...)
		}
		srv := httptest.NewServer(gw.Handler())
		t.Cleanup(func() {
			srv.CloseClientConnections()
			srv.Close()
		})
		rs.urls = append(rs.urls, srv.URL)
	}
	rs.served = make([]atomic.Int64, n)
	var next atomic.Int64
	proxies := make([]*httputil.ReverseProxy, n)
	for i, u := range rs.urls {
		target, _ := url.Parse(u)
		proxies[i] = httputil.NewSingleHostReverseProxy(target)
		proxies[i].FlushInterval = -1 // server-sent events pass at once
	}
	lb := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		i := int(next.Add(1)-1) % n
		rs.served[i].Add(1)
		proxies[i].ServeHTTP(w, r)
	}))
	t.Cleanup(func() {
		lb.CloseClientConnections()
		lb.Close()
		http.DefaultClient.CloseIdleConnections()
	})
	rs.lb = lb.URL
	return rs
}

// token signs a token for subject (blog:read, as client agent-1).
func (rs *replicaSet) token(t *testing.T, subject string) string {
	t.Helper()
	c := rs.iss.Claims()
	c["sub"], c["client_id"], c["scope"] = subject, "agent-1", "blog:read"
	return rs.iss.Sign(t, "rsa-1", jwa.RS256(), c)
}

// TestSessionsAcrossReplicas: the go-sdk client on a 2025-11-25 session
// behind a round-robin balancer: every request lands on the next replica,
// each adopts the session on its first request, and every call succeeds
// without re-initializing; after the client's DELETE, every replica
// refuses the id with 404.
func TestSessionsAcrossReplicas(t *testing.T) {
	rs := newReplicaSet(t, 3)
	tok := rs.token(t, "alice")
	header := http.Header{"Authorization": {"Bearer " + tok}}
	cs := connectHTTP(t, rs.lb, "2025-11-25", header)
	id := cs.ID()
	if !strings.HasPrefix(id, "tg1.") {
		t.Fatalf("session id %q is not a sealed id", id)
	}
	for i := range 30 {
		res, err := cs.CallTool(context.Background(), &mcp.CallToolParams{Name: "users.Users.List", Arguments: map[string]any{}})
		if err != nil || res.IsError {
			t.Fatalf("call %d: %v %+v", i, err, res)
		}
	}
	for i := range rs.served {
		if rs.served[i].Load() < 10 {
			t.Fatalf("replica %d served %d requests: the balancer did not spread them", i, rs.served[i].Load())
		}
	}
	inits := 0
	for _, r := range rs.sink.take() {
		if r.Method() == "initialize" {
			inits++
		}
		if r.Decision() != audit.Allow {
			t.Errorf("refused on the session: %s %s %s", r.Method(), r.Decision(), r.Reason())
		}
	}
	if inits != 1 {
		t.Fatalf("%d initialize records, want 1", inits)
	}
	if err := cs.Close(); err != nil { // DELETE, through the balancer
		t.Fatal(err)
	}
	for i, u := range rs.urls {
		c := &rawClient{url: u, token: tok, session: id}
		if r := c.post(t, "ping", map[string]any{}); r.Status != http.StatusNotFound || r.Error == nil || r.Error.Code != gateway.CodeSessionNotFound {
			t.Fatalf("replica %d after DELETE: %s", i, r)
		}
	}
}

// TestSessionIdleExpiryShared: idle expiry counts the session's last
// request on any replica: a replica that has not seen the session for
// longer than the idle timeout still serves it while another replica did;
// once nobody used it for the idle timeout, every replica refuses it.
func TestSessionIdleExpiryShared(t *testing.T) {
	const idle = 1500 * time.Millisecond
	rs := newReplicaSet(t, 2, func(o *gateway.Options) {
		o.Config.Sessions = gateway.SessionConfig{IdleTimeout: idle, MaxPerSubject: 10, MaxTotal: 10}
	})
	tok := rs.token(t, "alice")
	a := &rawClient{url: rs.urls[0], token: tok}
	a.initialize(t)
	b := &rawClient{url: rs.urls[1], token: tok, session: a.session}
	for start := time.Now(); time.Since(start) < 2*idle; time.Sleep(idle / 6) {
		if r := b.post(t, "ping", map[string]any{}); r.Status != http.StatusOK {
			t.Fatalf("ping on replica 2: %s", r)
		}
	}
	if r := a.post(t, "ping", map[string]any{}); r.Status != http.StatusOK {
		t.Fatalf("replica 1, idle itself for %s, refused a session replica 2 kept alive: %s", 2*idle, r)
	}
	time.Sleep(idle + idle/2)
	for i, c := range []*rawClient{a, b} {
		if r := c.post(t, "ping", map[string]any{}); r.Status != http.StatusNotFound {
			t.Fatalf("replica %d served a session idle for longer than %s: %s", i+1, idle, r)
		}
	}
}

// TestSessionCapsGlobal: the session caps count every replica's sessions.
func TestSessionCapsGlobal(t *testing.T) {
	rs := newReplicaSet(t, 2, func(o *gateway.Options) {
		o.Config.Sessions = gateway.SessionConfig{IdleTimeout: time.Hour, MaxPerSubject: 2, MaxTotal: 3}
	})
	open := func(replica int, subject string) (*rawClient, rawReply) {
		c := &rawClient{url: rs.urls[replica], token: rs.token(t, subject)}
		return c, c.post(t, "initialize", map[string]any{"protocolVersion": "2025-11-25", "capabilities": map[string]any{},
			"clientInfo": map[string]any{"name": "raw", "version": "1"}})
	}
	a1, r := open(0, "alice")
	if r.Status != 200 {
		t.Fatal(r)
	}
	if _, r = open(1, "alice"); r.Status != 200 {
		t.Fatal(r)
	}
	if _, r = open(0, "alice"); r.Status != http.StatusServiceUnavailable || r.Error == nil || r.Error.Code != gateway.CodeSessionLimit {
		t.Fatalf("alice's third session, two on other replicas: %s", r)
	}
	if _, r = open(1, "bob"); r.Status != 200 {
		t.Fatal(r)
	}
	if _, r = open(0, "carol"); r.Status != http.StatusServiceUnavailable {
		t.Fatalf("a fourth session across replicas: %s", r)
	}
	// Ended on the replica that did not create it.
	if status := deleteSession(t, rs.urls[1], a1.token, a1.session); status != http.StatusNoContent {
		t.Fatalf("DELETE on the other replica: %d", status)
	}
	if _, r = open(0, "carol"); r.Status != 200 {
		t.Fatalf("the slot freed by DELETE: %s", r)
	}
}

// TestSessionIDsRefused: a session id from another deployment (another
// key), a tampered one, an expired one and one bound to another principal
// are each refused with 404 session_not_found, audited, and the cause is on
// the span; the session's owner keeps using it.
func TestSessionIDsRefused(t *testing.T) {
	rs := newReplicaSet(t, 2, func(o *gateway.Options) {
		o.Config.Sessions = gateway.SessionConfig{IdleTimeout: time.Hour, MaxLifetime: 2 * time.Second, MaxPerSubject: 10, MaxTotal: 10}
	})
	tok := rs.token(t, "alice")
	other := newReplicaSet(t, 1) // another deployment: its own key
	stranger := &rawClient{url: other.urls[0], token: other.token(t, "alice")}
	stranger.initialize(t)

	expiring := &rawClient{url: rs.urls[1], token: tok}
	expiring.initialize(t)
	time.Sleep(3 * time.Second) // past MaxLifetime
	owner := &rawClient{url: rs.urls[0], token: tok}
	owner.initialize(t) // within its lifetime for the rest of the test

	tampered := []byte(owner.session)
	tampered[len(tampered)-5] = oauthtest.FlipB64(tampered[len(tampered)-5]) // still base64url: the seal, not the format, must refuse it
	for _, tc := range []struct {
		name, id, token, cause string
	}{
		{"another deployment's key", stranger.session, tok, "does not open"},
		{"tampered", string(tampered), tok, "does not open"},
		{"expired", expiring.session, tok, "lifetime"},
		{"another principal", owner.session, rs.token(t, "mallory"), "another principal"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for i, u := range rs.urls {
				rs.env.capture.Reset()
				rs.sink.take()
				c := &rawClient{url: u, token: tc.token, session: tc.id}
				r := c.callTool(t, "users.Users.List", map[string]any{})
				if r.Status != http.StatusNotFound || r.Error == nil || r.Error.Code != gateway.CodeSessionNotFound || r.Error.Message != "session not found" {
					t.Fatalf("replica %d: %s", i+1, r)
				}
				recs := rs.sink.take()
				if len(recs) != 1 || recs[0].Decision() != audit.Deny || recs[0].Reason() != reason.SessionNotFound {
					t.Fatalf("replica %d: audit %v", i+1, describe(recs))
				}
				span, ok := rs.env.capture.SpanNamed("tools/call")
				if !ok {
					var names []string
					for _, s := range rs.env.capture.Spans() {
						names = append(names, s.Name)
					}
					t.Fatalf("replica %d: no span among %v", i+1, names)
				}
				if !slices.ContainsFunc(span.Attributes, func(kv attribute.KeyValue) bool {
					return kv.Key == "tracegate.session.refusal" && strings.Contains(kv.Value.AsString(), tc.cause)
				}) {
					t.Fatalf("replica %d: span lacks the cause %q: %v", i+1, tc.cause, span.Attributes)
				}
			}
		})
	}
	for i, u := range rs.urls {
		c := &rawClient{url: u, token: tok, session: owner.session}
		if r := c.post(t, "ping", map[string]any{}); r.Status != http.StatusOK {
			t.Fatalf("the owner on replica %d after the attempts: %s", i+1, r)
		}
	}
}

// TestListChangedReachesStream: the client's server-to-client stream (GET)
// lands on a replica that did not create the session, which adopts it; a
// service registering is seen by every replica, and the one holding the
// stream delivers tools/list_changed on it.
func TestListChangedReachesStream(t *testing.T) {
	rs := newReplicaSet(t, 3)
	c := &rawClient{url: rs.lb, token: rs.token(t, "alice")}
	c.initialize(t) // initialize on replica 1, notifications/initialized on replica 2
	req, _ := http.NewRequest(http.MethodGet, rs.lb+"/mcp", nil)
	req.Header.Set("Accept", "text/event-stream")
	req.Header.Set("Authorization", "Bearer "+c.token)
	req.Header.Set("Mcp-Session-Id", c.session)
	req.Header.Set("Mcp-Protocol-Version", "2025-11-25")
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	resp, err := http.DefaultClient.Do(req.WithContext(ctx))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET: %d", resp.StatusCode)
	}
	if got := []int64{rs.served[0].Load(), rs.served[1].Load(), rs.served[2].Load()}; !slices.Equal(got, []int64{1, 1, 1}) {
		t.Fatalf("requests per replica %v: want initialize, initialized and GET on three replicas", got)
	}
	lines := bufio.NewScanner(resp.Body)
	if !lines.Scan() || lines.Text() != ": ok" { // the stream is held from here on
		t.Fatalf("stream began with %q", lines.Text())
	}
	srv, err := microkit.NewServer("extra", microkit.WithRegistry(rs.env.stack.Registry))
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Handle(srv.NewHandler(&Extra{})); err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Stop() })
	for lines.Scan() {
		if strings.Contains(lines.Text(), `"notifications/tools/list_changed"`) {
			return
		}
	}
	t.Fatalf("the stream ended without tools/list_changed: %v", lines.Err())
}

// Extra is a service that registers during a test.
type Extra struct{}

// Echo answers with its request.
func (*Extra) Echo(_ context.Context, req *map[string]any, rsp *map[string]any) error {
	*rsp = *req
	return nil
}

// TestSessionStoreUnavailable: without Redis, a fail-closed replica refuses
// requests on sessions with 503 session_store_unavailable (it cannot know whether
// the session was ended elsewhere); a fail-open one serves a session whose
// id opens.
func TestSessionStoreUnavailable(t *testing.T) {
	for _, tc := range []struct {
		name string
		mode policy.FailMode
		want int
	}{{"closed", policy.FailClosed, http.StatusServiceUnavailable}, {"open", policy.FailOpen, http.StatusOK}} {
		t.Run(tc.name, func(t *testing.T) {
			own := redistest.Start(t)
			rs := newReplicaSet(t, 2, func(o *gateway.Options) {
				o.SessionStore = gateway.NewRedisSessionStore(own.Client(t), gateway.WithSessionFailMode(tc.mode), loadedHost)
			})
			c := &rawClient{url: rs.urls[0], token: rs.token(t, "alice")}
			c.initialize(t)
			own.Stop()
			other := &rawClient{url: rs.urls[1], token: c.token, session: c.session}
			r := other.post(t, "ping", map[string]any{})
			if r.Status != tc.want {
				t.Fatalf("ping with Redis gone: %s", r)
			}
			if tc.want != http.StatusOK && (r.Error == nil || r.Error.Code != gateway.CodeSessionStoreUnavailable) {
				t.Fatalf("refusal: %s", r)
			}
		})
	}
}

// TestSessionsAdoptedWithoutStore: replicas explicitly run without a shared
// store (replicas > 1, memory sessions) still adopt each other's sessions
// from the sealed id; the session key is what they share.
func TestSessionsAdoptedWithoutStore(t *testing.T) {
	rs := newReplicaSet(t, 2, func(o *gateway.Options) { o.SessionStore = nil })
	c := &rawClient{url: rs.urls[0], token: rs.token(t, "alice")}
	c.initialize(t)
	other := &rawClient{url: rs.urls[1], token: c.token, session: c.session}
	if r := other.callTool(t, "users.Users.List", map[string]any{}); r.Status != http.StatusOK || r.Error != nil {
		t.Fatalf("call on the replica that did not create the session: %s", r)
	}
	thief := &rawClient{url: rs.urls[1], token: rs.token(t, "mallory"), session: c.session}
	if r := thief.post(t, "ping", map[string]any{}); r.Status != http.StatusNotFound {
		t.Fatalf("another principal: %s", r)
	}
}

// TestDrain: on shutdown with a drain delay, /readyz answers 503 at once
// while requests are still served (a balancer takes the replica out of
// rotation first), then the GET streams end and the server stops cleanly.
func TestDrain(t *testing.T) {
	const delay = 1500 * time.Millisecond
	rs := newReplicaSet(t, 1, func(o *gateway.Options) { o.Config.DrainDelay = delay })
	gw := rs.env.gw
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ln.Addr().String()
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- gw.ServeListener(ctx, ln) }()
	t.Cleanup(cancel)

	c := &rawClient{url: base, token: rs.token(t, "alice")}
	c.initialize(t)
	req, _ := http.NewRequest(http.MethodGet, base+"/mcp", nil)
	req.Header.Set("Accept", "text/event-stream")
	req.Header.Set("Authorization", "Bearer "+c.token)
	req.Header.Set("Mcp-Session-Id", c.session)
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET stream: %v %v", err, resp)
	}
	defer resp.Body.Close()
	stream := bufio.NewScanner(resp.Body)
	if !stream.Scan() {
		t.Fatal("the stream did not start")
	}
	ready, err := http.Get(base + gateway.ReadyPath)
	if err != nil {
		t.Fatal(err)
	}
	ready.Body.Close()
	if ready.StatusCode != http.StatusOK {
		t.Fatalf("readyz before shutdown: %d", ready.StatusCode)
	}

	cancel()
	deadline := time.Now().Add(delay / 2)
	for {
		ready, err := http.Get(base + gateway.ReadyPath)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(ready.Body)
		ready.Body.Close()
		if ready.StatusCode == http.StatusServiceUnavailable && strings.Contains(string(body), "draining") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("readyz while draining: %d %s", ready.StatusCode, body)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if r := c.callTool(t, "users.Users.List", map[string]any{}); r.Status != http.StatusOK || r.Error != nil {
		t.Fatalf("a call while draining: %s", r)
	}
	for stream.Scan() { // ends when the drain delay is over
	}
	select {
	case err := <-served:
		if err != nil {
			t.Fatalf("ServeListener: %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("the server did not stop after the drain")
	}
}
