//go:build e2e

package gateway_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/tracegate/tracegate/gateway/audit/search"
	"github.com/tracegate/tracegate/internal/jaegertest"
)

// chainLink is one expected span: service (resource), operation, kind.
type chainLink struct{ service, op, kind string }

// assertChain checks that each link is the parent of the next.
func assertChain(t *testing.T, tr jaegertest.Trace, chain []chainLink) map[string]jaegertest.Span {
	t.Helper()
	got := map[string]jaegertest.Span{}
	var prev jaegertest.Span
	for i, l := range chain {
		sp, ok := tr.SpanBy(l.service, l.op, l.kind)
		if !ok {
			t.Fatalf("no %s span %q (%s) in\n%s", l.service, l.op, l.kind, tr)
		}
		if i > 0 && sp.ParentID() != prev.SpanID {
			t.Fatalf("%s %q parent %s, want %s (%s)\n%s", l.service, l.op, sp.ParentID(), prev.SpanID, prev.OperationName, tr)
		}
		got[l.service+" "+l.op+" "+l.kind] = sp
		prev = sp
	}
	return got
}

func eventsNamed(sp jaegertest.Span, name string) []map[string]string {
	var out []map[string]string
	for _, e := range sp.Events() {
		if e.Name == name {
			out = append(out, e.Fields)
		}
	}
	return out
}

func TestGatewayInJaeger(t *testing.T) {
	s := startStack(t)
	writer := s.connect(t, s.token(t, "alice", "blog:read blog:write blog:admin", "setup"), nil)
	var u struct {
		User struct{ ID string } `json:"user"`
	}
	_, res, err := s.callUnder(t, writer, "setup user", "users.Users.Create", map[string]any{"name": "alice", "email": "alice@example.com"})
	if err != nil || res.IsError {
		t.Fatalf("create user: %v %+v", err, res)
	}
	_ = json.Unmarshal([]byte(res.Content[0].(*mcp.TextContent).Text), &u)
	var p struct {
		Post struct{ ID string } `json:"post"`
	}
	_, res, err = s.callUnder(t, writer, "setup post", "posts.Posts.Create", map[string]any{"title": "Hello MCP", "body": "b", "author_id": u.User.ID})
	if err != nil || res.IsError {
		t.Fatalf("create post: %v %+v", err, res)
	}
	_ = json.Unmarshal([]byte(res.Content[0].(*mcp.TextContent).Text), &p)

	// 1. traceparent in params._meta: one trace from the agent to users.
	metaTrace, res, err := s.callUnder(t, writer, "user message", "comments.Comments.Create",
		map[string]any{"post_id": p.Post.ID, "author_id": u.User.ID, "body": "first!"})
	if err != nil || res.IsError {
		t.Fatalf("comment: %v %+v", err, res)
	}

	// 2. Context only in the HTTP headers.
	_, hdrRoot := s.agent.Start(context.Background(), "header message")
	hdrTrace := hdrRoot.SpanContext().TraceID().String()
	tp := fmt.Sprintf("00-%s-%s-01", hdrTrace, hdrRoot.SpanContext().SpanID())
	hdr := s.connect(t, s.token(t, "alice", "blog:read", "hdr"), http.Header{"Traceparent": {tp}})
	if res, err := hdr.CallTool(context.Background(), mcpCall("users.Users.List", nil)); err != nil || res.IsError {
		t.Fatalf("header call: %v %+v", err, res)
	}
	hdrRoot.End()

	// 3. Garbage context: a new root, and the call still succeeds.
	garbageIntent := fmt.Sprintf("garbage-%d", time.Now().UnixNano())
	bad := s.connect(t, s.token(t, "alice", "blog:read", garbageIntent), http.Header{"Traceparent": {"00-zz-garbage-01"}})
	call := mcpCall("users.Users.List", map[string]any{"traceparent": "00-00000000000000000000000000000000-0000000000000000-01"})
	if res, err := bad.CallTool(context.Background(), call); err != nil || res.IsError {
		t.Fatalf("garbage call: %v %+v", err, res)
	}

	// 4. Policy: allowed, 403, 429 — each under its own agent root.
	reader := s.connect(t, s.token(t, "bob", "blog:read", "policy"), nil)
	allowTrace, res, err := s.callUnder(t, reader, "allowed", "users.Users.Read", map[string]any{"id": u.User.ID})
	if err != nil || res.IsError {
		t.Fatalf("allowed: %v %+v", err, res)
	}
	denyTrace, _, err := s.callUnder(t, reader, "denied", "users.Users.Create", map[string]any{"name": "x", "email": "x@example.com"})
	if err == nil || !strings.Contains(err.Error(), "insufficient scope") {
		t.Fatalf("denied: %v", err)
	}
	limited := s.connect(t, s.token(t, "bob", "blog:read", "policy"), nil)
	limitTrace, _, err := s.callUnder(t, limited, "limited", "users.Users.Read", map[string]any{"id": u.User.ID})
	if err == nil {
		t.Fatal("second Read within the limit window was not limited")
	}
	s.flushAll(t)

	t.Run("meta context: agent to users in one trace", func(t *testing.T) {
		tr := s.waitTrace(t, metaTrace, "e2e-agent", "tracegate", "comments", "posts", "users")
		spans := assertChain(t, tr, []chainLink{
			{"e2e-agent", "user message", ""},
			{"tracegate", "tools/call comments.Comments.Create", "server"},
			{"tracegate", "comments/Comments.Create", "client"},
			{"comments", "comments/Comments.Create", "server"},
			{"comments", "posts/Posts.Read", "client"},
			{"posts", "posts/Posts.Read", "server"},
			{"posts", "users/Users.Read", "client"},
			{"users", "users/Users.Read", "server"},
		})
		gw := spans["tracegate tools/call comments.Comments.Create server"]
		for k, want := range map[string]string{
			"mcp.method.name": "tools/call", "gen_ai.tool.name": "comments.Comments.Create",
			"gen_ai.operation.name": "execute_tool", "mcp.protocol.version": "2026-07-28",
			"network.transport": "tcp", "tracegate.subject": "alice", "tracegate.authz.decision": "allow",
		} {
			if got, _ := gw.Tag(k); got != want {
				t.Errorf("gateway span %s = %q, want %q", k, got, want)
			}
		}
		if id, _ := gw.Tag("jsonrpc.request.id"); id == "" {
			t.Error("gateway span without jsonrpc.request.id")
		}
	})
	t.Run("header context", func(t *testing.T) {
		tr := s.waitTrace(t, hdrTrace, "e2e-agent", "tracegate", "users")
		assertChain(t, tr, []chainLink{
			{"e2e-agent", "header message", ""},
			{"tracegate", "tools/call users.Users.List", "server"},
			{"tracegate", "users/Users.List", "client"},
			{"users", "users/Users.List", "server"},
		})
	})
	t.Run("garbage context starts a new root", func(t *testing.T) {
		// The session's other requests (discover, tools/list) carry the
		// intent too; the call is the trace with the tools/call span.
		var calls []jaegertest.Trace
		for deadline := time.Now().Add(30 * time.Second); len(calls) == 0 && time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
			for _, tr := range s.j.FindTraces(t, "tracegate", map[string]string{"tracegate.intent.id": garbageIntent}, time.Now().Add(-time.Hour)) {
				if _, ok := tr.SpanBy("tracegate", "tools/call users.Users.List", "server"); ok {
					calls = append(calls, tr)
				}
			}
		}
		if len(calls) != 1 {
			t.Fatalf("traces of the garbage call: %d", len(calls))
		}
		gw, _ := calls[0].SpanBy("tracegate", "tools/call users.Users.List", "server")
		if gw.ParentID() != "" {
			t.Fatalf("gateway span is not a root:\n%s", calls[0])
		}
		if _, ok := calls[0].SpanBy("users", "users/Users.List", "server"); !ok {
			t.Fatalf("the garbage call was not served:\n%s", calls[0])
		}
	})
	t.Run("decisions and audit as span logs and log records", func(t *testing.T) {
		for _, tc := range []struct {
			name, trace, tool, authz, rate, auditDecision string
			dispatched                                    bool
		}{
			{"allowed", allowTrace, "users.Users.Read", "allow", "allowed", "allow", true},
			{"403", denyTrace, "users.Users.Create", "deny", "", "deny", false},
			// One decision per request: the rate limit refused it, so the
			// decision event says deny (reason rate_limited), like the audit record.
			{"429", limitTrace, "users.Users.Read", "deny", "limited", "deny", false},
		} {
			t.Run(tc.name, func(t *testing.T) {
				want := []string{"e2e-agent", "tracegate"}
				if tc.dispatched {
					want = append(want, "users")
				}
				tr := s.waitTrace(t, tc.trace, want...)
				gw, ok := tr.SpanBy("tracegate", "tools/call "+tc.tool, "server")
				if !ok {
					t.Fatalf("no gateway span:\n%s", tr)
				}
				if _, ok := tr.SpanBy("users", "users/"+strings.TrimPrefix(tc.tool, "users."), "server"); ok != tc.dispatched {
					t.Fatalf("users span present = %v, want %v\n%s", ok, tc.dispatched, tr)
				}
				authz := eventsNamed(gw, "tracegate.authz.decision")
				if len(authz) != 1 || authz[0]["tracegate.authz.decision"] != tc.authz {
					t.Fatalf("authz span logs = %v", authz)
				}
				rate := eventsNamed(gw, "tracegate.ratelimit.decision")
				if (tc.rate == "") != (len(rate) == 0) || (tc.rate != "" && (len(rate) != 1 || rate[0]["tracegate.ratelimit.decision"] != tc.rate)) {
					t.Fatalf("rate-limit span logs = %v, want %q", rate, tc.rate)
				}
				au := eventsNamed(gw, "tracegate.audit")
				if len(au) != 1 || au[0]["tracegate.audit.decision"] != tc.auditDecision {
					t.Fatalf("audit span logs = %v", au)
				}
				for _, name := range []string{"tracegate.authz.decision", "tracegate.audit"} {
					rec := s.j.WaitLogRecord(t, func(r jaegertest.LogRecord) bool {
						return r.EventName == name && jaegertest.NormalizeID(r.TraceID) == jaegertest.NormalizeID(tc.trace)
					}, 30*time.Second)
					if rec.SpanID != gw.SpanID {
						t.Errorf("%s log record span %s, want the tools/call span %s", name, rec.SpanID, gw.SpanID)
					}
				}
			})
		}
		denied := s.j.FindTraces(t, "tracegate", map[string]string{"tracegate.authz.decision": "deny"}, time.Now().Add(-time.Hour))
		if !jaegertest.HasTrace(denied, denyTrace) || jaegertest.HasTrace(denied, allowTrace) {
			t.Fatalf("tag search tracegate.authz.decision=deny: %d traces, want the 403 and not the allowed call", len(denied))
		}
	})
	t.Run("audit search lists the denied call", func(t *testing.T) {
		var out bytes.Buffer
		err := search.Run(context.Background(), &out, search.Options{JaegerURL: s.j.URL, Service: "tracegate", Since: time.Hour, Decision: "deny", Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(out.String(), jaegertest.NormalizeID(denyTrace)) || strings.Contains(out.String(), jaegertest.NormalizeID(allowTrace)) {
			t.Fatalf("audit search --decision deny:\n%s", out.String())
		}
	})
}
