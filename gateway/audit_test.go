package gateway_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/tracegate/tracegate/gateway/reason"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/tracegate/tracegate/gateway"
	"github.com/tracegate/tracegate/gateway/audit"
	"github.com/tracegate/tracegate/gateway/policy"
)

// recordSink keeps every audit record written.
type recordSink struct {
	mu   sync.Mutex
	recs []audit.Record
}

func (s *recordSink) Write(_ context.Context, r audit.Record) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.recs = append(s.recs, r)
	return nil
}

// calls returns the outcome records of tools/call (one per call).
func (s *recordSink) calls() []audit.Record {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []audit.Record
	for _, r := range s.recs {
		if r.Kind() == audit.KindCall && r.Phase() != audit.PhaseIntent {
			out = append(out, r)
		}
	}
	return out
}

func TestAuditOneRecordPerCall(t *testing.T) {
	sink := &recordSink{}
	var callbacks []gateway.AuditRecord
	var mu sync.Mutex
	e := newEnv(t, func(o *gateway.Options) {
		o.Config.Auth = gateway.AuthConfig{}
		o.Verifier = policy.NewStaticVerifier("tok", policy.Principal{Subject: "cli", Scopes: []string{"blog:read"}, IntentID: "msg-9"})
		o.StdioToken = "tok"
		o.AuditSinks = []audit.Sink{sink}
		o.AuditFunc = func(r gateway.AuditRecord) {
			mu.Lock()
			defer mu.Unlock()
			r.Tool = "tampered" // a copy: must not reach other sinks
			r.ScopesRequired = append(r.ScopesRequired[:0], "evil")
			callbacks = append(callbacks, r)
		}
	})
	cs := connectStdio(t, e.gw)
	ctx := context.Background()
	_, _ = cs.CallTool(ctx, &mcp.CallToolParams{Name: "users.Users.List", Arguments: map[string]any{}})
	_, _ = cs.CallTool(ctx, &mcp.CallToolParams{Name: "users.Users.Create", Arguments: map[string]any{"name": "n", "email": "e@x"}})
	_, _ = cs.CallTool(ctx, &mcp.CallToolParams{Name: "nope.Nope.Nope", Arguments: map[string]any{}})
	_, _ = cs.CallTool(ctx, &mcp.CallToolParams{Name: "users.Users.Read", Arguments: map[string]any{"id": 5}})
	_, _ = cs.CallTool(ctx, &mcp.CallToolParams{Name: "users.Users.Read", Arguments: map[string]any{"id": "user-404"}})

	want := []struct {
		tool     string
		decision audit.Decision
		reason   audit.Reason
		outcome  audit.Outcome
	}{
		{"users.Users.List", audit.Allow, "granted", audit.OutcomeOK},
		{"users.Users.Create", audit.Deny, reason.InsufficientScope, audit.OutcomeError},
		{"nope.Nope.Nope", audit.Deny, reason.UnknownTool, audit.OutcomeError},
		{"users.Users.Read", audit.Deny, reason.InvalidArguments, audit.OutcomeError},
		{"users.Users.Read", audit.Allow, "granted", audit.OutcomeToolError},
	}
	got := sink.calls()
	if len(got) != len(want) {
		t.Fatalf("records = %d, want %d", len(got), len(want))
	}
	for i, w := range want {
		r := got[i]
		if r.Tool() != w.tool || r.Decision() != w.decision || r.Reason() != w.reason || r.Outcome() != w.outcome ||
			r.Subject() != "cli" || r.IntentID() != "msg-9" || r.TraceID() == "" || r.Method() != "tools/call" {
			t.Errorf("record %d = %s %s %s %s subject %q intent %q trace %q; want %+v", i,
				r.Tool(), r.Decision(), r.Reason(), r.Outcome(), r.Subject(), r.IntentID(), r.TraceID(), w)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	n := 0
	for _, r := range callbacks {
		if r.Kind == string(audit.KindCall) {
			n++
		}
	}
	if n != len(want) {
		t.Fatalf("call callbacks = %d, want %d", n, len(want))
	}
	for _, r := range sink.calls() {
		if r.Tool() == "tampered" || strings.Contains(strings.Join(r.RequiredScopes(), ","), "evil") {
			t.Fatal("the callback altered what another sink recorded")
		}
	}
}

// TestStrictAuditFailsClosed: with strict audit and a sink that cannot be
// written, calls are refused and nothing is dispatched.
func TestStrictAuditFailsClosed(t *testing.T) {
	var broken atomic.Bool
	e := newEnv(t, func(o *gateway.Options) {
		o.Config.Audit = audit.DefaultConfig()
		o.Config.Audit.Mode = audit.ModeStrict
		o.Config.Audit.File.Path = filepath.Join(t.TempDir(), "audit.jsonl")
		o.AuditSinks = []audit.Sink{audit.SinkFunc(func(context.Context, audit.Record) error {
			if broken.Load() {
				return errors.New("disk full")
			}
			return nil
		})}
	})
	cs := e.connect(t, nil)
	if res := call(t, cs, "users.Users.List", map[string]any{}, nil); res.IsError {
		t.Fatalf("strict call with a writable log failed: %+v", res)
	}
	before := len(e.seen.all())
	broken.Store(true)
	_, err := cs.CallTool(context.Background(), &mcp.CallToolParams{Name: "users.Users.List", Arguments: map[string]any{}})
	if err == nil || !strings.Contains(err.Error(), "audit trail unavailable") {
		t.Fatalf("strict call without a log: err = %v", err)
	}
	if n := len(e.seen.all()); n != before {
		t.Fatalf("dispatched %d calls without an audit record", n-before)
	}
}
