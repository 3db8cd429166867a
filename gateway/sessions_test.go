package gateway_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v3/jwa"

	"github.com/tracegate/tracegate/gateway"
	"github.com/tracegate/tracegate/gateway/audit"
)

// tokenFor signs a probe:read token for subject.
func (pe *probeEnv) tokenFor(t *testing.T, subject, client string) string {
	t.Helper()
	c := pe.iss.Claims()
	c["sub"], c["client_id"], c["scope"] = subject, client, "probe:read"
	return pe.iss.Sign(t, "rsa-1", jwa.RS256(), c)
}

// TestSessionsBoundToTheirPrincipal: a 2025-11-25 session is usable and
// deletable only by the principal (subject and client) that created it;
// anyone else gets 404 and an audit record, and the session survives.
func TestSessionsBoundToTheirPrincipal(t *testing.T) {
	pe := newProbeEnv(t)
	alice := &rawClient{url: pe.url, token: pe.tokenFor(t, "alice", "agent-1")}
	alice.initialize(t)
	recs := pe.sink.take()
	for _, r := range recs {
		if r.Method() == "notifications/initialized" && r.Subject() != "alice" {
			t.Errorf("notifications/initialized audited as %q, want alice", r.Subject())
		}
	}
	for name, token := range map[string]string{
		"another subject":              pe.tokenFor(t, "mallory", "agent-1"),
		"same subject, another client": pe.tokenFor(t, "alice", "agent-2"),
	} {
		t.Run(name, func(t *testing.T) {
			thief := &rawClient{url: pe.url, token: token, session: alice.session}
			r := thief.post(t, "ping", map[string]any{})
			if r.Status != http.StatusNotFound || r.Error == nil || r.Error.Code != gateway.CodeSessionNotFound {
				t.Fatalf("ping on another's session: %s", r)
			}
			recs := pe.sink.take()
			if len(recs) != 1 || recs[0].Decision() != audit.Deny || recs[0].Reason() != "session_not_found" {
				t.Fatalf("audit %v", describe(recs))
			}
			req, _ := http.NewRequest(http.MethodDelete, pe.url+"/mcp", nil)
			req.Header.Set("Authorization", "Bearer "+token)
			req.Header.Set("Mcp-Session-Id", alice.session)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusNotFound {
				t.Fatalf("DELETE of another's session: %d", resp.StatusCode)
			}
			if recs := pe.sink.take(); len(recs) != 1 || recs[0].Reason() != "session_not_found" {
				t.Fatalf("audit %v", describe(recs))
			}
		})
	}
	if r := alice.post(t, "ping", map[string]any{}); r.Status != http.StatusOK || r.Error != nil {
		t.Fatalf("owner's ping after the attempts: %s", r)
	}
}

// TestSessionCaps: per-subject and global caps on open sessions; a refusal
// is 503 with Retry-After and a JSON-RPC error, audited; closing a session
// frees its slot.
func TestSessionCaps(t *testing.T) {
	pe := newProbeEnv(t, func(o *gateway.Options) {
		o.Config.Sessions = gateway.SessionConfig{IdleTimeout: time.Hour, MaxPerSubject: 2, MaxTotal: 3}
	})
	open := func(subject string) (*rawClient, rawReply) {
		c := &rawClient{url: pe.url, token: pe.tokenFor(t, subject, "agent-1")}
		return c, c.post(t, "initialize", map[string]any{
			"protocolVersion": "2025-11-25", "capabilities": map[string]any{},
			"clientInfo": map[string]any{"name": "raw", "version": "1"},
		})
	}
	a1, r := open("alice")
	if r.Status != 200 {
		t.Fatal(r)
	}
	if _, r = open("alice"); r.Status != 200 {
		t.Fatal(r)
	}
	pe.sink.take()
	_, r = open("alice")
	if r.Status != http.StatusServiceUnavailable || r.Header.Get("Retry-After") == "" || r.Error == nil || r.Error.Code != gateway.CodeSessionLimit {
		t.Fatalf("third session of alice: %s", r)
	}
	if recs := pe.sink.take(); len(recs) != 1 || recs[0].Reason() != "session_limit" || recs[0].Subject() != "alice" {
		t.Fatalf("audit %v", describe(recs))
	}
	if _, r = open("bob"); r.Status != 200 {
		t.Fatalf("bob's first session: %s", r)
	}
	if _, r = open("carol"); r.Status != http.StatusServiceUnavailable || !strings.Contains(string(r.Error.Data), "session_limit") {
		t.Fatalf("fourth session overall: %s", r)
	}
	req, _ := http.NewRequest(http.MethodDelete, pe.url+"/mcp", nil)
	req.Header.Set("Authorization", "Bearer "+a1.token)
	req.Header.Set("Mcp-Session-Id", a1.session)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode >= 300 {
		t.Fatalf("DELETE: %d", resp.StatusCode)
	}
	if _, r = open("carol"); r.Status != 200 {
		t.Fatalf("a slot freed by DELETE: %s", r)
	}
}

// TestSessionIdleExpiry: an idle session is refused with 404 and its slot
// is freed.
func TestSessionIdleExpiry(t *testing.T) {
	pe := newProbeEnv(t, func(o *gateway.Options) {
		o.Config.Sessions = gateway.SessionConfig{IdleTimeout: 300 * time.Millisecond, MaxPerSubject: 1, MaxTotal: 10}
	})
	c := &rawClient{url: pe.url, token: pe.tokenFor(t, "alice", "agent-1")}
	c.initialize(t)
	if r := c.post(t, "ping", map[string]any{}); r.Status != 200 {
		t.Fatalf("fresh session: %s", r)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		time.Sleep(400 * time.Millisecond)
		r := c.post(t, "ping", map[string]any{})
		if r.Status == http.StatusNotFound {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("idle session still served: %s", r)
		}
	}
	c2 := &rawClient{url: pe.url, token: c.token}
	c2.initialize(t) // the expired session's slot is free (per-subject cap 1)
}

// TestUnauthenticatedFloodIsCountedNotDropped: refusals before
// authentication get audit records up to the per-address rate; the rest are
// counted into gap records, so every refusal is accounted for.
func TestUnauthenticatedFloodIsCountedNotDropped(t *testing.T) {
	pe := newProbeEnv(t, func(o *gateway.Options) { o.Config.UnauthenticatedAuditRate = 5 })
	const n = 60
	for range n {
		c := &rawClient{url: pe.url, token: "forged"}
		if r := c.callTool(t, "probe.Probe.Read", map[string]any{}); r.Status != http.StatusUnauthorized {
			t.Fatalf("status %s", r)
		}
	}
	var single, counted uint64
	deadline := time.Now().Add(20 * time.Second)
	for single+counted < n && time.Now().Before(deadline) {
		time.Sleep(200 * time.Millisecond)
		for _, r := range pe.sink.take() {
			if r.Reason() != "unauthenticated" || r.Decision() != audit.Deny || r.Peer() != "127.0.0.1" {
				t.Fatalf("unexpected record %v", describe([]audit.Record{r}))
			}
			if r.Kind() == audit.KindGap {
				counted += r.Dropped()
			} else {
				single++
			}
		}
	}
	if single+counted != n || single >= n || counted == 0 {
		t.Fatalf("%d individual records + %d counted, want %d in all with most counted", single, counted, n)
	}
}
