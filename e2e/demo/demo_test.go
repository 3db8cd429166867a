//go:build e2e

package demo_test

import (
	"bufio"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tracegate/tracegate/examples/agent"
	"github.com/tracegate/tracegate/gateway"
	"github.com/tracegate/tracegate/gateway/audit"
	"github.com/tracegate/tracegate/internal/jaegertest"
)

const (
	agentService   = "agent"
	gatewayService = "tracegate"
	rootOperation  = "invoke_agent " + agent.DefaultAgentName
	// waitTimeout is generous: two shared cores, -race, seven processes.
	waitTimeout = 90 * time.Second
)

var (
	traceIDRE   = regexp.MustCompile(`(?m)^trace id:\s+([0-9a-f]{32})$`)
	messageIDRE = regexp.MustCompile(`(?m)^message id: (msg-[0-9a-f]+)`)
)

// TestUserMessageIsOneTrace runs the demo topology as processes, lets the
// agent binary handle one user message, and checks what Jaeger holds.
func TestUserMessageIsOneTrace(t *testing.T) {
	j := jaegertest.FromEnv(t)
	since := time.Now()
	top := startTopology(t, j)

	start := time.Now()
	ag := startProc(t, top.dir, "agent", top.env, "agent",
		"--gateway", top.gatewayURL, "--auth", top.authURL, "--jaeger", j.URL, "--jaeger-wait", "60s")
	if code := ag.wait(t, 3*time.Minute); code != 0 {
		t.Fatalf("agent: exit %d\n%s\n%s", code, ag.tail(60), top.gateway.tail(20))
	}
	out := ag.output()
	t.Logf("agent ran in %s:\n%s", time.Since(start).Round(time.Millisecond), out)
	traceID, msgID := match(t, traceIDRE, out), match(t, messageIDRE, out)
	if !strings.Contains(out, "trace "+traceID+": ") {
		t.Errorf("the agent did not print the trace tree from Jaeger")
	}

	tr := j.WaitTrace(t, traceID, func(tr jaegertest.Trace) bool {
		return len(tr.SpansBy("users", "users/Users.Read", jaegertest.KindServer)) == 2 &&
			len(tr.SpansBy("comments", "comments/Comments.List", jaegertest.KindServer)) == 1 &&
			len(tr.SpansBy("authserver", "", jaegertest.KindServer)) == 2
	}, waitTimeout)

	t.Run("one trace per message", func(t *testing.T) {
		found := j.FindTraces(t, gatewayService, map[string]string{string(gateway.KeyIntentID): msgID}, since)
		if len(found) != 1 || !jaegertest.HasTrace(found, traceID) {
			t.Errorf("traces of the gateway with intent %s: %d, want exactly %s", msgID, len(found), traceID)
		}
		want := []string{agentService, "authserver", "comments", "posts", gatewayService, "users"}
		if got := tr.Services(); !slices.Equal(got, want) {
			t.Errorf("services %v, want %v", got, want)
		}
		roots := 0
		for _, s := range tr.Spans {
			if s.ParentID() == "" {
				roots++
			}
		}
		root, ok := tr.SpanBy(agentService, rootOperation, jaegertest.KindInternal)
		if roots != 1 || !ok || root.ParentID() != "" {
			t.Fatalf("want one root %q, have %d roots:\n%s", rootOperation, roots, tr)
		}
		for key, want := range map[string]string{"gen_ai.operation.name": "invoke_agent", "tracegate.intent.id": msgID} {
			if got, _ := root.Tag(key); got != want {
				t.Errorf("root %s = %q, want %q", key, got, want)
			}
		}
	})
	t.Run("post chain", func(t *testing.T) {
		assertChain(t, tr, agent.ToolCreatePost, []hop{
			{"posts", "posts/Posts.Create", jaegertest.KindServer},
			{"posts", "users/Users.Read", jaegertest.KindClient},
			{"users", "users/Users.Read", jaegertest.KindServer},
		})
	})
	t.Run("comment chain", func(t *testing.T) {
		assertChain(t, tr, agent.ToolCreateComment, []hop{
			{"comments", "comments/Comments.Create", jaegertest.KindServer},
			{"comments", "posts/Posts.Read", jaegertest.KindClient},
			{"posts", "posts/Posts.Read", jaegertest.KindServer},
			{"posts", "users/Users.Read", jaegertest.KindClient},
			{"users", "users/Users.Read", jaegertest.KindServer},
		})
	})
	t.Run("denied delete", func(t *testing.T) { assertDenied(t, tr) })
	t.Run("audit search", func(t *testing.T) { assertAuditSearch(t, top, j, traceID, msgID) })
	t.Run("audit verify", func(t *testing.T) {
		v := startProc(t, top.dir, "audit-verify", top.env, "tracegate", "audit", "verify", "--key", top.auditPub,
			"--mac-key", top.dir+"/audit.mac", top.auditFile)
		if code := v.wait(t, 30*time.Second); code != 0 || !strings.Contains(v.output(), "OK, intact") {
			t.Errorf("audit verify: exit %d\n%s", code, v.tail(10))
		}
	})
}

func match(t *testing.T, re *regexp.Regexp, out string) string {
	t.Helper()
	m := re.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("agent output has no %s", re)
	}
	return m[1]
}

// hop is one span below the gateway's dispatch span.
type hop struct{ service, operation, kind string }

// assertChain checks agent root → agent CLIENT tools/call <tool> → gateway
// SERVER tools/call <tool> (with authz, rate-limit and audit span logs) →
// gateway dispatch CLIENT → hops, each the parent of the next.
func assertChain(t *testing.T, tr jaegertest.Trace, tool string, hops []hop) {
	t.Helper()
	root, _ := tr.SpanBy(agentService, rootOperation, jaegertest.KindInternal)
	name := "tools/call " + tool
	client := only(t, tr, agentService, name, jaegertest.KindClient)
	server := only(t, tr, gatewayService, name, jaegertest.KindServer)
	service, endpoint, _ := strings.Cut(tool, ".")
	dispatch := only(t, tr, gatewayService, service+"/"+endpoint, jaegertest.KindClient)
	parentIs(t, tr, client, root)
	parentIs(t, tr, server, client)
	parentIs(t, tr, dispatch, server)
	for _, key := range []string{"mcp.method.name", "gen_ai.tool.name"} {
		if got, _ := client.Tag(key); got == "" {
			t.Errorf("%s: agent span lacks %s", name, key)
		}
	}
	events := eventsByName(server)
	for ev, fields := range map[string]map[string]string{
		gateway.EventAuthzDecision:     {string(gateway.KeyAuthzDecision): "allow"},
		gateway.EventRateLimitDecision: {string(gateway.KeyRateDecision): "allowed"},
		audit.EventName:                {audit.AttrDecision: "allow"},
	} {
		e, ok := events[ev]
		if !ok {
			t.Errorf("%s: gateway span has no %s span log (has %v)", name, ev, keys(events))
			continue
		}
		for k, want := range fields {
			if e.Fields[k] != want {
				t.Errorf("%s: %s %s = %q, want %q", name, ev, k, e.Fields[k], want)
			}
		}
	}
	parent := dispatch
	for _, h := range hops {
		var next jaegertest.Span
		for _, s := range tr.SpansBy(h.service, h.operation, h.kind) {
			if s.ParentID() == parent.SpanID {
				next = s
			}
		}
		if next.SpanID == "" {
			t.Fatalf("%s: no %s %s [%s] under %s:\n%s", name, h.service, h.operation, h.kind, parent.OperationName, tr)
		}
		parent = next
	}
}

// assertDenied checks the refused posts.Posts.Delete: the agent's span
// carries the error and the challenge, the gateway's span the deny decision
// and its audit record, and nothing reached the posts service.
func assertDenied(t *testing.T, tr jaegertest.Trace) {
	t.Helper()
	name := "tools/call " + agent.ToolDeletePost
	client := only(t, tr, agentService, name, jaegertest.KindClient)
	server := only(t, tr, gatewayService, name, jaegertest.KindServer)
	parentIs(t, tr, server, client)
	if got, _ := client.Tag("error.type"); got != fmt.Sprint(gateway.CodeForbidden) {
		t.Errorf("agent span error.type %q, want %d", got, gateway.CodeForbidden)
	}
	if e, ok := eventsByName(client)["tracegate.agent.challenge"]; !ok || e.Fields["tracegate.challenge.scope"] != "blog:admin" {
		t.Errorf("agent span challenge event %+v, want scope blog:admin", e)
	}
	events := eventsByName(server)
	if e := events[gateway.EventAuthzDecision]; e.Fields[string(gateway.KeyAuthzDecision)] != "deny" ||
		e.Fields[string(gateway.KeyAuthzReason)] != "insufficient_scope" {
		t.Errorf("gateway authz event %+v, want deny insufficient_scope", e)
	}
	if e := events[audit.EventName]; e.Fields[audit.AttrDecision] != "deny" {
		t.Errorf("gateway audit event %+v, want deny", e)
	}
	for _, s := range tr.Spans {
		if s.ParentID() == server.SpanID {
			t.Errorf("the denied call has a child span %s [%s]", s.OperationName, tr.Service(s))
		}
		if strings.Contains(s.OperationName, "Posts.Delete") && tr.Service(s) != agentService && tr.Service(s) != gatewayService {
			t.Errorf("%s reached %s", agent.ToolDeletePost, tr.Service(s))
		}
	}
}

// auditEntry is a line of `tracegate audit search --json`.
type auditEntry struct {
	TraceID  string `json:"trace_id"`
	Tool     string `json:"tool"`
	Decision string `json:"decision"`
	IntentID string `json:"intent_id"`
}

// assertAuditSearch runs `tracegate audit search --intent` and expects
// exactly the message's records: one per tool call, all in its trace.
func assertAuditSearch(t *testing.T, top *topology, j *jaegertest.Jaeger, traceID, msgID string) {
	t.Helper()
	s := startProc(t, top.dir, "audit-search", top.env, "tracegate", "audit", "search",
		"--jaeger", j.URL, "--intent", msgID, "--since", "15m", "--json")
	if code := s.wait(t, 30*time.Second); code != 0 {
		t.Fatalf("audit search: exit %d\n%s", code, s.tail(20))
	}
	calls := map[string]string{}
	sc := bufio.NewScanner(strings.NewReader(s.output()))
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, "{") {
			continue // go-micro's start-up warning
		}
		var e auditEntry
		if err := json.Unmarshal([]byte(line), &e); err != nil {
			t.Fatalf("audit search line %q: %v", line, err)
		}
		if jaegertest.NormalizeID(e.TraceID) != traceID || e.IntentID != msgID {
			t.Errorf("entry of trace %s intent %s, want only %s %s", e.TraceID, e.IntentID, traceID, msgID)
		}
		if e.Tool == "" {
			continue // server/discover, tools/list: method-level records
		}
		if prev, dup := calls[e.Tool]; dup {
			t.Errorf("%s listed twice (%s, %s)", e.Tool, prev, e.Decision)
		}
		calls[e.Tool] = e.Decision
	}
	want := map[string]string{
		agent.ToolListUsers: "allow", agent.ToolCreatePost: "allow", agent.ToolCreateComment: "allow",
		agent.ToolDeletePost: "deny", agent.ToolListComments: "allow",
	}
	if fmt.Sprint(calls) != fmt.Sprint(want) {
		t.Errorf("audit search --intent %s lists %v, want %v\n%s", msgID, calls, want, s.output())
	}
}

func only(t *testing.T, tr jaegertest.Trace, service, operation, kind string) jaegertest.Span {
	t.Helper()
	ss := tr.SpansBy(service, operation, kind)
	if len(ss) != 1 {
		t.Fatalf("%d spans %s %q [%s], want 1:\n%s", len(ss), service, operation, kind, tr)
	}
	return ss[0]
}

func parentIs(t *testing.T, tr jaegertest.Trace, s, parent jaegertest.Span) {
	t.Helper()
	if s.ParentID() != parent.SpanID {
		t.Errorf("%s [%s]: parent %s, want %s (%s):\n%s", s.OperationName, tr.Service(s), s.ParentID(), parent.OperationName, parent.SpanID, tr)
	}
}

func eventsByName(s jaegertest.Span) map[string]jaegertest.Event {
	out := map[string]jaegertest.Event{}
	for _, e := range s.Events() {
		out[e.Name] = e
	}
	return out
}

func keys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
