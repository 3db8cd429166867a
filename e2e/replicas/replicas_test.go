//go:build e2e

package replicas_test

import (
	"encoding/json"
	"net/http"
	"os/exec"
	"syscall"
	"testing"
	"time"

	"github.com/tracegate/tracegate/gateway/audit"
	"github.com/tracegate/tracegate/internal/jaegertest"
)

// codeSessionNotFound is the JSON-RPC code of a refused session id.
const codeSessionNotFound = -32001

// TestReplicas is the scale-out acceptance test (see the package doc).
func TestReplicas(t *testing.T) {
	j := jaegertest.FromEnv(t)
	j.Setenv(t)
	s := startStack(t)

	// A session left idle from the start: expired (shared idle timeout) by
	// the end; and one of another deployment (another session key).
	idle := &client{url: s.lb.url, token: s.token(t, "idler")}
	idle.initialize(t)
	idleSince := time.Now()
	other := &client{url: s.otherDeployment.url() + "/mcp", token: s.token(t, "ts-agent")}
	other.initialize(t)

	ts := startTSClient(t, s, "ts-agent")
	load := startModernLoad(t, s, 3)
	load.waitMore(t, 100)
	if !waitFor(2*time.Minute, func() bool { return ts.calls.Load() >= 50 }) {
		t.Fatalf("the TypeScript client made %d calls", ts.calls.Load())
	}

	// The per-account limit holds across replicas: limitBurst calls in
	// total, whichever replica each lands on.
	limited := &client{url: s.lb.url, token: s.token(t, "carol")}
	allowed, refused := 0, 0
	for range 3 * limitBurst {
		r := limited.modern(t, "tools/call", limitedTool, map[string]any{"id": "no-such-user"}, "")
		switch {
		case r.status == http.StatusOK:
			allowed++
		case r.status == http.StatusTooManyRequests:
			refused++
		default:
			t.Fatalf("%s for carol: %+v", limitedTool, r)
		}
	}
	if allowed != limitBurst || refused != 2*limitBurst {
		t.Fatalf("carol: %d allowed, %d refused; want %d allowed across the three replicas", allowed, refused, limitBurst)
	}

	// SIGTERM: r2 leaves the rotation (readyz 503), finishes its calls and
	// exits 0; no call fails.
	r1, r2, r3 := s.replicas[0], s.replicas[1], s.replicas[2]
	termAt := time.Now()
	r2.p.signal(t, syscall.SIGTERM)
	if code := r2.p.exitCode(t, 30*time.Second); code != 0 {
		t.Fatalf("r2 after SIGTERM: exit %d\n%s", code, r2.p.tail())
	}
	s.lb.waitStatus(t, map[string]string{"r2": "DOWN"})
	load.waitMore(t, 100)

	// SIGKILL: r3 dies with calls in flight; the balancer retries only
	// requests that never reached it.
	killAt := time.Now()
	if err := r3.p.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	r3.p.exitCode(t, 10*time.Second)
	load.waitMore(t, 100)

	// r3 restarts (as a supervisor would): it recovers its chain and serves.
	s.start(t, r3)
	s.waitServing(t, r3)
	s.lb.waitStatus(t, map[string]string{"r1": "UP", "r3": "UP"})
	load.waitMore(t, 60)
	if !waitFor(2*time.Minute, func() bool { return ts.calls.Load() >= 300 }) {
		t.Fatalf("the TypeScript client made %d calls", ts.calls.Load())
	}
	load.finish()
	tsr := ts.finish(t)

	checkRefusedIDs(t, s, idle, idleSince, other, tsr)
	for _, r := range []*replica{r1, r3} {
		r.p.signal(t, syscall.SIGTERM)
		if code := r.p.exitCode(t, 30*time.Second); code != 0 {
			t.Fatalf("%s after SIGTERM: exit %d\n%s", r.id, code, r.p.tail())
		}
	}
	s.otherDeployment.p.signal(t, syscall.SIGTERM)
	s.otherDeployment.p.exitCode(t, 30*time.Second)
	_, served := s.lb.servers(t)
	t.Logf("requests per replica (HAProxy): %v", served)

	modern := load.all()
	checkTS(t, tsr)
	checkFailures(t, "2026-07-28", modern, termAt, killAt)
	checkFailures(t, "TypeScript SDK", tsr.Calls, termAt, killAt)
	calls := append(append([]call(nil), modern...), tsr.Calls...)
	checkDispatch(t, s, calls)
	recs := checkAudit(t, s, calls, tsr.Calls)
	checkLimitAudited(t, recs)
	checkTraces(t, j, calls, killAt)
}

// checkTS: the TypeScript SDK kept one session, initialized once, for the
// whole run, and ended it.
func checkTS(t *testing.T, r tsReport) {
	t.Helper()
	if r.Error != "" || r.ProtocolVersion != "2025-11-25" || r.Initializes != 1 || len(r.Sessions) != 1 ||
		r.FinalSession != r.Sessions[0] || !r.Deleted || len(r.Calls) < 300 {
		t.Fatalf("TypeScript client: error %q, version %q, %d initializes, sessions %v (final %q), deleted %v, %d calls",
			r.Error, r.ProtocolVersion, r.Initializes, r.Sessions, r.FinalSession, r.Deleted, len(r.Calls))
	}
	t.Logf("TypeScript SDK: %d calls on session %.40s…, %d lost server-to-client streams re-opened", len(r.Calls), r.Sessions[0], r.StreamErrors)
}

// checkFailures: no call failed but those in flight when r3 was killed (or
// sent to it before the balancer saw it down); none failed around the
// SIGTERM.
func checkFailures(t *testing.T, who string, calls []call, termAt, killAt time.Time) {
	t.Helper()
	failed := 0
	for _, c := range calls {
		if c.OK {
			continue
		}
		failed++
		start, end := time.UnixMilli(c.Start), time.UnixMilli(c.End)
		if start.After(killAt.Add(2*time.Second)) || end.Before(killAt) {
			t.Errorf("%s call %s failed outside the kill (start %s, end %s; SIGTERM at %s, SIGKILL at %s): %s",
				who, c.TraceID, start.Format(time.StampMilli), end.Format(time.StampMilli),
				termAt.Format(time.StampMilli), killAt.Format(time.StampMilli), c.Error)
		}
	}
	t.Logf("%s: %d calls, %d failed (in flight at the SIGKILL)", who, len(calls), failed)
	if failed > 4 {
		t.Errorf("%s: %d calls failed at the kill; at most one per caller may be in flight", who, failed)
	}
}

// checkDispatch: no call was dispatched twice, and every answered one once.
func checkDispatch(t *testing.T, s *stack, calls []call) {
	t.Helper()
	counts := s.dispatched.counts()
	for _, c := range calls {
		n := counts[c.TraceID]
		switch {
		case n > 1:
			t.Errorf("call %s dispatched %d times", c.TraceID, n)
		case c.OK && n != 1:
			t.Errorf("answered call %s dispatched %d times", c.TraceID, n)
		}
	}
}

// checkRefusedIDs: session ids from another deployment, tampered, expired,
// ended (DELETE) or bound to another principal are refused with 404 by
// every replica, and audited (checked with the audit files later).
func checkRefusedIDs(t *testing.T, s *stack, idle *client, idleSince time.Time, other *client, tsr tsReport) {
	t.Helper()
	if wait := idleTimeout + 2*time.Second - time.Since(idleSince); wait > 0 {
		time.Sleep(wait)
	}
	owned := &client{url: s.lb.url, token: s.token(t, "dave")}
	owned.initialize(t)
	tampered := []byte(owned.session)
	tampered[len(tampered)-3] ^= 1
	for _, tc := range []struct{ id, session, subject string }{
		{"refused-other-key", other.session, "ts-agent"},
		{"refused-tampered", string(tampered), "dave"},
		{"refused-expired", idle.session, "idler"},
		{"refused-deleted", tsr.FinalSession, "ts-agent"},
		{"refused-other-principal", owned.session, "mallory"},
	} {
		for _, r := range []*replica{s.replicas[0], s.replicas[2]} {
			c := &client{url: r.url() + "/mcp", token: s.token(t, tc.subject), session: tc.session}
			res := c.sendID(tc.id, "tools/call", map[string]any{"name": "users.Users.List", "arguments": map[string]any{}})
			if res.status != http.StatusNotFound || res.code != codeSessionNotFound {
				t.Errorf("%s on %s: %+v", tc.id, r.id, res)
			}
		}
	}
	if r := owned.legacy(t, "ping", map[string]any{}); r.status != http.StatusOK {
		t.Errorf("the owner's own session after the attempts: %+v", r)
	}
}

// checkLimitAudited: carol's calls are audited as limitBurst allowed and
// the rest rate_limited, on more than one replica.
func checkLimitAudited(t *testing.T, recs []auditRecord) {
	t.Helper()
	byDecision, replicas := map[string]int{}, map[string]bool{}
	for _, r := range recs {
		if r.Subject == "carol" && r.Kind == "call" && r.Phase != "intent" {
			byDecision[r.Decision+" "+r.Reason]++
			replicas[r.replica] = true
		}
	}
	if byDecision["allow granted"] != limitBurst || byDecision["deny rate_limited"] != 2*limitBurst || len(replicas) < 2 {
		t.Errorf("carol's audit: %v on replicas %v", byDecision, replicas)
	}
}

// verifyAudit runs `tracegate audit verify --json DIR` on the replicas'
// audit directory.
func verifyAudit(t *testing.T, s *stack) audit.LogsReport {
	t.Helper()
	cmd := exec.Command(s.bin, "audit", "verify", "--key", s.pub, "--mac-key", s.mac, "--json", s.auditDir)
	out, err := cmd.Output()
	var rep audit.LogsReport
	if jerr := json.Unmarshal(out, &rep); jerr != nil {
		t.Fatalf("audit verify: %v %v\n%s", err, jerr, out)
	}
	if err != nil || rep.Total.Exit != audit.ExitIntact {
		t.Fatalf("audit verify: %v\n%s", err, out)
	}
	return rep
}
