//go:build e2e

package replicas_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tracegate/tracegate/gateway/audit"
	"github.com/tracegate/tracegate/internal/jaegertest"
)

// auditRecord is what the checks read of an audit line.
type auditRecord struct {
	Type      string `json:"type"`
	Kind      string `json:"kind"`
	Phase     string `json:"phase"`
	TraceID   string `json:"trace_id"`
	Method    string `json:"method"`
	Tool      string `json:"tool"`
	Subject   string `json:"subject"`
	Decision  string `json:"decision"`
	Reason    string `json:"reason"`
	JSONRPCID string `json:"jsonrpc_id"`
	replica   string
}

// replicaOf names the replica of an audit file: audit.<id>.jsonl and its
// rotated segments audit.<id>-NNNNNN.jsonl.
var replicaOf = regexp.MustCompile(`^audit\.([A-Za-z0-9_.-]+?)(-\d{6})?\.jsonl$`)

// readAudit reads every record of the replicas' audit files (an incomplete
// last line of the killed replica is skipped: the verifier judges it).
func readAudit(t *testing.T, dir string) []auditRecord {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	var out []auditRecord
	for _, f := range files {
		m := replicaOf.FindStringSubmatch(filepath.Base(f))
		if m == nil {
			t.Fatalf("unexpected audit file %s", f)
		}
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(bytes.NewReader(data))
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			var r auditRecord
			if json.Unmarshal(sc.Bytes(), &r) == nil && r.Type == "record" {
				r.replica = m[1]
				out = append(out, r)
			}
		}
	}
	return out
}

// checkAudit: every replica's chain verifies (the killed one as recovered
// after a crash); every answered call has exactly one allowed outcome
// record, on some replica; records name only calls that were made; the
// refused session ids are audited. The session's calls (session) were
// served by every replica.
func checkAudit(t *testing.T, s *stack, calls, session []call) []auditRecord {
	t.Helper()
	rep := verifyAudit(t, s)
	statuses := map[string]audit.Status{}
	for _, l := range rep.Logs {
		statuses[l.Name] = l.Report.Status
	}
	if len(rep.Logs) != 3 || statuses["r3"] != audit.StatusRecovered ||
		!slices.Contains([]audit.Status{audit.StatusIntact, audit.StatusIntactTail}, statuses["r1"]) ||
		!slices.Contains([]audit.Status{audit.StatusIntact, audit.StatusIntactTail}, statuses["r2"]) {
		t.Fatalf("audit verify per replica: %v", statuses)
	}
	recs := readAudit(t, s.auditDir)
	made := map[string]call{}
	for _, c := range calls {
		made[c.TraceID] = c
	}
	inSession := map[string]bool{}
	for _, c := range session {
		inSession[c.TraceID] = true
	}
	outcomes, perReplica, sessionReplicas := map[string]int{}, map[string]int{}, map[string]int{}
	for _, r := range recs {
		if r.Kind != "call" || r.Phase == "intent" || r.Decision != "allow" || r.Tool != "users.Users.List" {
			continue
		}
		if _, ok := made[r.TraceID]; !ok {
			continue // readiness probes and the refusal checks' own sessions
		}
		outcomes[r.TraceID]++
		perReplica[r.replica]++
		if inSession[r.TraceID] {
			sessionReplicas[r.replica]++
		}
	}
	if len(sessionReplicas) != 3 {
		t.Errorf("the 2025-11-25 session's calls were served by %v: want all three replicas", sessionReplicas)
	}
	answered, unanswered := 0, 0
	for id, c := range made {
		switch n := outcomes[id]; {
		case c.OK && n != 1:
			t.Errorf("answered call %s has %d audit records", id, n)
		case c.OK:
			answered++
		case n > 1:
			t.Errorf("failed call %s has %d audit records", id, n)
		case n == 1:
			unanswered++ // dispatched and recorded; the answer died with r3
		}
	}
	total := 0
	for _, n := range perReplica {
		total += n
	}
	if total != answered+unanswered || len(perReplica) != 3 {
		t.Errorf("audit records per replica %v (total %d), want one per answered call (%d) plus the recorded unanswered (%d), on all three replicas",
			perReplica, total, answered, unanswered)
	}
	t.Logf("audit: %d call records (%v; the session's %v), %d answered calls, %d recorded without an answer; chains %v",
		total, perReplica, sessionReplicas, answered, unanswered, statuses)

	refused := map[string]int{}
	for _, r := range recs {
		if strings.HasPrefix(r.JSONRPCID, "refused-") && r.Decision == "deny" && r.Reason == "session_not_found" {
			refused[r.JSONRPCID]++
		}
	}
	for _, id := range []string{"refused-other-key", "refused-tampered", "refused-expired", "refused-deleted", "refused-other-principal"} {
		if refused[id] != 2 {
			t.Errorf("%s: %d session_not_found records, want one per replica asked (2)", id, refused[id])
		}
	}
	return recs
}

// checkTraces: each user message is one trace in Jaeger, with exactly one
// gateway span for the call and the users service's span below it, whichever
// replica served it; together the sampled traces show every replica (by
// service.instance.id). Calls answered just before the SIGKILL may have lost
// their gateway span with the process and are left out.
func checkTraces(t *testing.T, j *jaegertest.Jaeger, calls []call, killAt time.Time) {
	t.Helper()
	instances := map[string]int{}
	checked := 0
	for i, c := range calls {
		end := time.UnixMilli(c.End)
		if !c.OK || i%7 != 0 || (end.After(killAt.Add(-3*time.Second)) && end.Before(killAt)) {
			continue
		}
		tr := j.WaitTrace(t, c.TraceID, func(tr jaegertest.Trace) bool {
			return len(tr.SpansBy("tracegate", "tools/call users.Users.List", "server")) > 0 && len(tr.SpansBy("users", "", "")) > 0
		}, 30*time.Second)
		gw := tr.SpansBy("tracegate", "tools/call users.Users.List", "server")
		if len(gw) != 1 {
			t.Errorf("trace %s has %d gateway spans for its one call", c.TraceID, len(gw))
			continue
		}
		for _, kv := range tr.Processes[gw[0].ProcessID].Tags {
			if kv.Key == "service.instance.id" {
				instances[kv.String()]++
			}
		}
		for _, sp := range tr.SpansBy("users", "", "") {
			if _, ok := tr.Parent(sp); !ok {
				t.Errorf("trace %s: users span %s is not below the gateway's", c.TraceID, sp.OperationName)
			}
		}
		checked++
	}
	t.Logf("%d traces checked; gateway spans per replica: %v", checked, instances)
	for _, id := range []string{"r1", "r2", "r3"} {
		if instances[id] == 0 {
			t.Errorf("no sampled trace was served by %s (service.instance.id): %v", id, instances)
		}
	}
}
