package gateway_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tracegate/tracegate/gateway"
	"github.com/tracegate/tracegate/gateway/audit"
	"github.com/tracegate/tracegate/gateway/policy"
)

// policyYAML is a configuration file whose only policy is one override of
// users.Users.List (declared: blog:read), with comments that a write-back
// must keep.
func policyYAML(scopes string) string {
	return `# the test gateway's configuration
timeout: 20s # a setting outside policy
policy:
  scopes:
    overrides:
      # who may list users
      - tool: users.Users.List
        scopes: [` + scopes + `]
`
}

// reloadEnv is an authenticated blog gateway whose policy comes from a
// configuration file, with an audit file to read decisions back from.
type reloadEnv struct {
	*authEnv
	cfg, auditFile string
}

func newReloadEnv(t *testing.T, yaml string, mutate ...func(*gateway.Options)) *reloadEnv {
	t.Helper()
	dir := t.TempDir()
	r := &reloadEnv{cfg: filepath.Join(dir, "gateway.yaml"), auditFile: filepath.Join(dir, "audit.jsonl")}
	if err := os.WriteFile(r.cfg, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	loaded, err := gateway.LoadConfig(r.cfg)
	if err != nil {
		t.Fatal(err)
	}
	r.authEnv = newAuthEnv(t, append([]func(*gateway.Options){func(o *gateway.Options) {
		o.ConfigFile = r.cfg
		o.Config.Policy = loaded.Policy
		o.Config.Audit.File.Path = r.auditFile
	}}, mutate...)...)
	return r
}

// replace writes content to the configuration file the way editors and
// configuration management do: a new file renamed over the old one.
func (r *reloadEnv) replace(t *testing.T, content string) {
	t.Helper()
	tmp := r.cfg + ".new"
	if err := os.WriteFile(tmp, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, r.cfg); err != nil {
		t.Fatal(err)
	}
}

// waitPolicy waits until the gateway's policy hash is not old.
func (r *reloadEnv) waitPolicy(t *testing.T, old string) string {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		if _, h := r.gw.CurrentPolicy(); h != old {
			return h
		}
		if time.Now().After(deadline) {
			t.Fatalf("policy still %s after the file changed", old)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// records reads every record of the audit file: blocking mode writes each
// one before the call is answered.
func (r *reloadEnv) records(t *testing.T) []audit.Record {
	t.Helper()
	data, err := os.ReadFile(r.auditFile)
	if err != nil {
		t.Fatal(err)
	}
	var out []audit.Record
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		if !bytes.HasPrefix(sc.Bytes(), []byte(`{"type":"record"`)) {
			continue
		}
		var rec audit.Record
		if err := json.Unmarshal(sc.Bytes(), &rec); err != nil {
			t.Fatalf("audit line %s: %v", sc.Bytes(), err)
		}
		out = append(out, rec)
	}
	return out
}

func policyRecords(recs []audit.Record) []audit.Record {
	var out []audit.Record
	for _, r := range recs {
		if r.Kind() == audit.KindPolicy {
			out = append(out, r)
		}
	}
	return out
}

// answer is what one caller saw for one call.
type answer struct {
	subject string
	status  int
}

// TestPolicyReloadUnderLoadConcurrentSafe changes the configuration file
// while callers call users.Users.List without pause: its override goes from
// blog:read to blog:alt and back. "both" holds both scopes, "reader" only
// blog:read. No call may fail (every answer is 200, or the 403 its policy
// decided), every decision names the old or the new policy hash, and every
// decision is what that policy decides: its required scopes, allow or deny
// for the caller's scopes, and the HTTP answer the caller got.
func TestPolicyReloadUnderLoadConcurrentSafe(t *testing.T) {
	r := newReloadEnv(t, policyYAML("blog:read"))
	_, h0 := r.gw.CurrentPolicy()
	tokens := map[string]string{
		"both":   r.token(t, map[string]any{"sub": "both", "scope": "blog:read blog:alt"}),
		"reader": r.token(t, map[string]any{"sub": "reader", "scope": "blog:read"}),
	}
	var (
		mu       sync.Mutex
		answers  = map[string]answer{} // session + id -> answer
		stop     atomic.Bool
		wg       sync.WaitGroup
		calls    atomic.Int64
		failures atomic.Int64
	)
	for i := range 6 {
		subject := []string{"both", "reader"}[i%2]
		wg.Go(func() {
			c := r.client(tokens[subject])
			c.initialize(t)
			for !stop.Load() {
				rep := c.callTool(t, "users.Users.List", map[string]any{})
				calls.Add(1)
				if rep.Status != http.StatusOK && rep.Status != http.StatusForbidden {
					failures.Add(1)
					t.Errorf("%s: %s", subject, rep)
				}
				mu.Lock()
				answers[gateway.SessionHandle(c.session)+"/"+string(rep.ID)] = answer{subject, rep.Status}
				mu.Unlock()
			}
		})
	}
	waitCalls := func(n int64) {
		for deadline := time.Now().Add(30 * time.Second); calls.Load() < n && time.Now().Before(deadline); {
			time.Sleep(5 * time.Millisecond)
		}
	}
	waitCalls(50)
	r.replace(t, policyYAML("blog:alt"))
	h1 := r.waitPolicy(t, h0)
	waitCalls(calls.Load() + 50)
	r.replace(t, policyYAML("blog:read"))
	if h := r.waitPolicy(t, h1); h != h0 {
		t.Errorf("policy back to the first file is %s, want %s", h, h0)
	}
	waitCalls(calls.Load() + 50)
	stop.Store(true)
	wg.Wait()
	if failures.Load() > 0 {
		t.Fatalf("%d of %d calls failed", failures.Load(), calls.Load())
	}

	required := map[string]string{h0: "blog:read", h1: "blog:alt"}
	holds := map[string][]string{"both": {"blog:read", "blog:alt"}, "reader": {"blog:read"}}
	perHash := map[string]int{}
	checked := 0
	for _, rec := range r.records(t) {
		if rec.Kind() != audit.KindCall || rec.Tool() != "users.Users.List" {
			continue
		}
		want, ok := required[rec.PolicyHash()]
		if !ok {
			t.Fatalf("decision under policy %q, want %s or %s", rec.PolicyHash(), h0, h1)
		}
		perHash[rec.PolicyHash()]++
		if got := rec.RequiredScopes(); !slices.Equal(got, []string{want}) || rec.ScopeSource() != policy.SourceOverride {
			t.Errorf("record %d under %s requires %v (%s), want [%s] (override)", rec.Seq(), rec.PolicyHash(), got, rec.ScopeSource(), want)
		}
		wantDecision := audit.Deny
		if slices.Contains(holds[rec.Subject()], want) {
			wantDecision = audit.Allow
		}
		if rec.Decision() != wantDecision {
			t.Errorf("record %d: %s under %s decided %s, want %s", rec.Seq(), rec.Subject(), rec.PolicyHash(), rec.Decision(), wantDecision)
		}
		a, ok := answers[rec.SessionID()+"/"+rec.JSONRPCID()]
		if !ok {
			t.Errorf("record %d (session %s id %s) matches no call", rec.Seq(), rec.SessionID(), rec.JSONRPCID())
			continue
		}
		wantStatus := map[audit.Decision]int{audit.Allow: http.StatusOK, audit.Deny: http.StatusForbidden}[rec.Decision()]
		if a.subject != rec.Subject() || a.status != wantStatus {
			t.Errorf("record %d: %s %s, but the caller %s got %d", rec.Seq(), rec.Subject(), rec.Decision(), a.subject, a.status)
		}
		checked++
	}
	if checked != int(calls.Load()) || perHash[h0] == 0 || perHash[h1] == 0 {
		t.Errorf("checked %d decisions of %d calls (%d under %s, %d under %s): want every call, under both policies",
			checked, calls.Load(), perHash[h0], h0, perHash[h1], h1)
	}
	changes := policyRecords(r.records(t))
	if len(changes) != 2 || changes[0].PolicyBefore() != h0 || changes[0].PolicyHash() != h1 ||
		changes[1].PolicyBefore() != h1 || changes[1].PolicyHash() != h0 ||
		!strings.Contains(changes[0].Change(), "scopes.overrides[users.Users.List]: [blog:read] -> [blog:alt]") ||
		changes[0].Subject() != gateway.SourceFile {
		for _, c := range changes {
			t.Logf("policy record: %s %s -> %s by %s: %s", c.Kind(), c.PolicyBefore(), c.PolicyHash(), c.Subject(), c.Change())
		}
		t.Errorf("want two policy records %s -> %s -> %s from the file", h0, h1, h0)
	}
}

// TestReloadPolicy: SIGHUP's reload applies a changed file once, does
// nothing for the same content or a change outside policy, and keeps the
// policy in force when the file does not load.
func TestReloadPolicy(t *testing.T) {
	r := newReloadEnv(t, policyYAML("blog:read"))
	ctx := context.Background()
	_, h0 := r.gw.CurrentPolicy()
	reload := func(want bool) {
		t.Helper()
		changed, err := r.gw.ReloadPolicy(ctx, gateway.SourceSIGHUP)
		if err != nil || changed != want {
			t.Fatalf("ReloadPolicy = %v, %v; want %v, nil", changed, err, want)
		}
	}
	reload(false) // unchanged file
	r.replace(t, strings.Replace(policyYAML("blog:read"), "20s", "25s", 1))
	reload(false) // changed outside policy
	if _, h := r.gw.CurrentPolicy(); h != h0 {
		t.Fatalf("a change outside policy changed the policy: %s -> %s", h0, h)
	}
	r.replace(t, policyYAML("blog:alt"))
	reload(true)
	reload(false)
	_, h1 := r.gw.CurrentPolicy()
	r.replace(t, policyYAML("blog:alt")+"  bogus: 1\n")
	if changed, err := r.gw.ReloadPolicy(ctx, gateway.SourceSIGHUP); changed || err == nil {
		t.Fatalf("a file that does not load: changed %v, err %v", changed, err)
	}
	if _, h := r.gw.CurrentPolicy(); h != h1 {
		t.Fatalf("a failed reload changed the policy")
	}
	recs := policyRecords(r.records(t))
	if len(recs) != 1 || recs[0].Subject() != gateway.SourceSIGHUP || recs[0].Transport() != gateway.SourceSIGHUP {
		t.Fatalf("want one policy record from sighup, got %d", len(recs))
	}
}

// TestUpdatePolicy: the console's change is validated, written back with
// the file's comments, recorded once (the watcher's reload of the console's
// own write does nothing) and applied; a stale base, an invalid policy and
// read-only situations change nothing.
func TestUpdatePolicy(t *testing.T) {
	r := newReloadEnv(t, policyYAML("blog:read"))
	ctx := context.Background()
	cfg, h0 := r.gw.CurrentPolicy()
	who := gateway.PolicyChange{Subject: "ops", Client: "console", Source: gateway.SourceConsole}

	next := cfg
	next.Scopes.Overrides = []policy.ScopeOverride{{Tool: "users.Users.List", Scopes: []string{"blog:alt"}, Mode: policy.ModeAll}}
	next.Scopes.Mode = policy.ModeAll
	before, after, err := r.gw.UpdatePolicy(ctx, h0, next, who)
	if err != nil || before != h0 || after == h0 {
		t.Fatalf("UpdatePolicy = %s, %s, %v", before, after, err)
	}
	data, _ := os.ReadFile(r.cfg)
	for _, want := range []string{"# the test gateway's configuration", "timeout: 20s # a setting outside policy",
		"# who may list users", "- blog:alt", "mode: all"} {
		if !strings.Contains(string(data), want) {
			t.Errorf("rewritten file lacks %q:\n%s", want, data)
		}
	}
	if head := "# the test gateway's configuration\ntimeout: 20s # a setting outside policy\npolicy:\n"; !strings.HasPrefix(string(data), head) {
		t.Errorf("the lines before policy changed:\n%s", data)
	}
	if c, err := gateway.LoadConfig(r.cfg); err != nil || !slices.Equal(c.Policy.Scopes.Overrides[0].Scopes, []string{"blog:alt"}) {
		t.Fatalf("rewritten file loads as %+v, %v", c.Policy.Scopes, err)
	}
	if changed, err := r.gw.ReloadPolicy(ctx, gateway.SourceFile); changed || err != nil {
		t.Fatalf("reload of the console's own write: %v, %v", changed, err)
	}

	if _, _, err := r.gw.UpdatePolicy(ctx, h0, cfg, who); !errors.Is(err, gateway.ErrPolicyConflict) {
		t.Errorf("stale base: %v, want ErrPolicyConflict", err)
	}
	bad := next
	bad.Scopes.Mode = "most"
	if _, _, err := r.gw.UpdatePolicy(ctx, after, bad, who); err == nil {
		t.Errorf("an invalid mode was accepted")
	}
	if _, h := r.gw.CurrentPolicy(); h != after {
		t.Errorf("refused changes changed the policy")
	}
	if err := os.Chmod(r.cfg, 0o444); err != nil {
		t.Fatal(err)
	}
	if why := r.gw.PolicyReadOnly(); !strings.Contains(why, "read-only") {
		t.Errorf("PolicyReadOnly with a 0444 file = %q", why)
	}
	if _, _, err := r.gw.UpdatePolicy(ctx, after, cfg, who); !errors.Is(err, gateway.ErrPolicyReadOnly) {
		t.Errorf("read-only file: %v", err)
	}
	events := r.decisions(t, gateway.EventPolicyChange)
	if len(events) != 1 || events[0][string(gateway.KeySubject)] != "ops" || events[0][string(gateway.KeyPolicyBefore)] != h0 ||
		events[0][string(gateway.KeyPolicyHash)] != after || !strings.Contains(events[0][string(gateway.KeyPolicyDiff)], "scopes.mode: any -> all") {
		t.Errorf("policy change events: %v", events)
	}
	recs := policyRecords(r.records(t))
	if len(recs) != 1 || recs[0].Subject() != "ops" || recs[0].Client() != "console" || recs[0].PolicyBefore() != h0 ||
		recs[0].PolicyHash() != after || !strings.Contains(recs[0].Change(), "scopes.mode: any -> all") {
		t.Fatalf("policy records: %d %+v", len(recs), recs)
	}
}

func TestPolicyReadOnlyReasons(t *testing.T) {
	for _, tc := range []struct {
		name   string
		mutate func(*gateway.Options)
		want   string
	}{
		{"no config file", func(o *gateway.Options) { o.ConfigFile = "" }, "without a configuration file"},
		{"replicas", func(o *gateway.Options) {
			o.Config.Replicas, o.Config.ReplicaID = 3, "r1"
			o.Config.Sessions.KeyFile = writeKey(t, t.TempDir(), "session.key")
		}, "one of 3 replicas"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newReloadEnv(t, policyYAML("blog:read"), tc.mutate)
			if why := r.gw.PolicyReadOnly(); !strings.Contains(why, tc.want) {
				t.Errorf("PolicyReadOnly = %q, want %q", why, tc.want)
			}
			cfg, h := r.gw.CurrentPolicy()
			cfg.Scopes.Mode = policy.ModeAll
			if _, _, err := r.gw.UpdatePolicy(context.Background(), h, cfg, gateway.PolicyChange{Subject: "ops"}); !errors.Is(err, gateway.ErrPolicyReadOnly) {
				t.Errorf("UpdatePolicy: %v", err)
			}
		})
	}
}

// TestDecisionEventsCarryPolicyHash: the decision event names the policy.
func TestDecisionEventsCarryPolicyHash(t *testing.T) {
	r := newReloadEnv(t, policyYAML("blog:read"))
	_, h := r.gw.CurrentPolicy()
	c := r.client(r.token(t, nil))
	c.initialize(t)
	if rep := c.callTool(t, "users.Users.List", map[string]any{}); rep.Status != http.StatusOK {
		t.Fatal(rep)
	}
	ds := r.decisions(t, gateway.EventAuthzDecision)
	if len(ds) == 0 || ds[len(ds)-1][string(gateway.KeyPolicyHash)] != h {
		t.Fatalf("decision events %v lack %s=%s", ds, gateway.KeyPolicyHash, h)
	}
}
