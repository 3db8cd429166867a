package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tracegate/tracegate/gateway"
	"github.com/tracegate/tracegate/gateway/audit"
	"github.com/tracegate/tracegate/gateway/reason"
)

// replicaLogs writes one MAC-keyed, signed audit log per replica id into
// dir as a gateway does (audit.<id>.jsonl from audit.jsonl), the first one
// rotated into several segments, and returns the key files.
func replicaLogs(t *testing.T, dir string, records map[string]int) (pub, mac string) {
	t.Helper()
	key, mac := filepath.Join(t.TempDir(), "audit.pem"), filepath.Join(t.TempDir(), "audit.mac")
	if code, out := tracegate(t, "keygen", "--out", key, "--mac-out", mac); code != 0 {
		t.Fatalf("keygen: %d %s", code, out)
	}
	for id, n := range records {
		cfg := audit.DefaultConfig()
		cfg.File.Path = gateway.ReplicaAuditPath(filepath.Join(dir, "audit.jsonl"), id)
		cfg.MACKeyFile, cfg.File.SigningKeyFile, cfg.File.ReplicaID = mac, key, id
		cfg.File.RotateBytes = 4096
		r, err := audit.New(cfg, audit.WithLogger(quietLog{}))
		if err != nil {
			t.Fatal(err)
		}
		for j := range n {
			if _, err := r.Record(context.Background(), audit.Fields{Tool: "users.Users.List", Subject: "alice",
				Decision: audit.Allow, Reason: reason.Granted, JSONRPCID: id + "-" + string(rune('a'+j%26)), Arguments: json.RawMessage(`{"pad":"` + strings.Repeat("x", 200) + `"}`), KeepArguments: true}); err != nil {
				t.Fatal(err)
			}
		}
		if err := r.Close(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	return strings.TrimSuffix(key, ".pem") + ".pub.pem", mac
}

// TestAuditVerifyReplicas: `audit verify DIR` (and several logs' files)
// reports each replica's chain and the total; the exit code is the worst
// chain's, and a tampered replica does not hide the others.
func TestAuditVerifyReplicas(t *testing.T) {
	dir := t.TempDir()
	pub, mac := replicaLogs(t, dir, map[string]int{"r1": 40, "r2": 5, "r10": 7})
	if segs, _ := filepath.Glob(filepath.Join(dir, "audit.r1-*.jsonl")); len(segs) == 0 {
		t.Fatal("the fixture did not rotate r1's log")
	}
	code, out := tracegate(t, "audit", "verify", "--key", pub, "--mac-key", mac, dir)
	if code != audit.ExitIntact {
		t.Fatalf("exit %d:\n%s", code, out)
	}
	for _, want := range []string{"== r1 (", "== r2 (", "== r10 (", "== total", "logs:        3 (3 intact)", "records:     52", "result:      OK (exit 0)"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	var rep audit.LogsReport
	if code, out = tracegate(t, "audit", "verify", "--key", pub, "--mac-key", mac, "--json",
		filepath.Join(dir, "audit.r2.jsonl"), filepath.Join(dir, "audit.r10.jsonl")); code != 0 || json.Unmarshal([]byte(out), &rep) != nil {
		t.Fatalf("two logs' files as JSON: %d %s", code, out)
	}
	if len(rep.Logs) != 2 || rep.Logs[0].Name != "r10" || rep.Logs[1].Name != "r2" || rep.Total.Records != 12 {
		t.Fatalf("JSON report %+v", rep)
	}
	if code, out = tracegate(t, "audit", "verify", "--key", pub, "--mac-key", mac, filepath.Join(dir, "audit.r1.jsonl")); code != 0 ||
		strings.Contains(out, "== total") || !strings.Contains(out, "records:     40") {
		t.Fatalf("one replica's base file keeps the single-log form: %d\n%s", code, out)
	}
	if code, out = tracegate(t, "audit", "verify", "--key", pub, "--mac-key", mac, "--min-records", "3", dir); code != audit.ExitError {
		t.Fatalf("--min-records over several logs: %d\n%s", code, out)
	}
	replaceIn(t, filepath.Join(dir, "audit.r2.jsonl"), `"subject":"alice"`, `"subject":"bob"`)
	code, out = tracegate(t, "audit", "verify", "--key", pub, "--mac-key", mac, dir)
	if code != audit.ExitTampered || !strings.Contains(out, "1 tampered") || !strings.Contains(out, "2 intact") {
		t.Fatalf("one tampered replica: exit %d\n%s", code, out)
	}
	if code, out = tracegate(t, "audit", "verify", t.TempDir()); code != audit.ExitError || !strings.Contains(out, "no *.jsonl") {
		t.Fatalf("an empty directory: %d %s", code, out)
	}
}

// TestServeReplicaFlags: the replica flags and their environment
// variables reach the configuration; several replicas without Redis are
// refused unless explicitly allowed.
func TestServeReplicaFlags(t *testing.T) {
	key := filepath.Join(t.TempDir(), "session.key")
	if code, out := tracegate(t, "keygen", "--session-key-out", key); code != 0 || !strings.Contains(out, "session key") {
		t.Fatalf("keygen: %d %s", code, out)
	}
	if b, _ := os.ReadFile(key); len(bytes.TrimSpace(b)) != 64 {
		t.Fatalf("session key %q", b)
	}
	t.Setenv("TRACEGATE_REPLICA_ID", "r2")
	f, err := parseServeFlags([]string{"--replicas", "3", "--session-key", key, "--drain-delay", "2s", "--audit-file", "/var/log/tg/audit.jsonl"}, &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := f.gatewayConfig()
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Replicas != 3 || cfg.ReplicaID != "r2" || cfg.Sessions.KeyFile != key || cfg.DrainDelay != 2*time.Second ||
		gateway.ReplicaAuditPath(cfg.Audit.File.Path, cfg.ReplicaID) != "/var/log/tg/audit.r2.jsonl" {
		t.Fatalf("config %+v", cfg)
	}
	if err := sharedState(f, cfg); !errors.Is(err, errLocalLimits) {
		t.Fatalf("three replicas without Redis: %v", err)
	}
	f.allowLocalLimits = true
	if err := sharedState(f, cfg); err != nil {
		t.Fatalf("allowed explicitly: %v", err)
	}
	f.allowLocalLimits, f.redisURL = false, "redis://127.0.0.1:1/0"
	if err := sharedState(f, cfg); err != nil {
		t.Fatalf("with Redis: %v", err)
	}
	var errb bytes.Buffer
	if code := run(context.Background(), []string{"serve", "--anonymous", "--registry", "memory", "--replicas", "3", "--session-key", key}, nil, &errb, &errb); code != 2 ||
		!strings.Contains(errb.String(), "--redis") {
		t.Fatalf("serve, three replicas in memory: %d %s", code, errb.String())
	}
	if code := run(context.Background(), []string{"serve", "--anonymous", "--registry", "memory", "--replicas", "3"}, nil, &errb, &errb); code != 2 ||
		!strings.Contains(errb.String(), "key_file") {
		t.Fatalf("serve, three replicas without a session key: %d %s", code, errb.String())
	}
	if _, err := parseServeFlags([]string{"--replicas", "three"}, &errb); err == nil {
		t.Fatal("--replicas three parsed")
	}
}

// TestKeygenIfMissing: the compose key job runs on every `up`: existing
// keys are kept, missing ones written.
func TestKeygenIfMissing(t *testing.T) {
	dir := t.TempDir()
	id, sk := filepath.Join(dir, "identity.pem"), filepath.Join(dir, "session.key")
	args := []string{"keygen", "--if-missing", "--out", id, "--session-key-out", sk}
	if code, out := tracegate(t, args...); code != 0 || !strings.Contains(out, "wrote "+sk) {
		t.Fatalf("first run: %d %s", code, out)
	}
	before, _ := os.ReadFile(sk)
	beforeID, _ := os.ReadFile(id)
	if code, out := tracegate(t, args...); code != 0 || !strings.Contains(out, "kept "+sk) || !strings.Contains(out, "kept "+id) {
		t.Fatalf("second run: %d %s", code, out)
	}
	after, _ := os.ReadFile(sk)
	afterID, _ := os.ReadFile(id)
	if !bytes.Equal(before, after) || !bytes.Equal(beforeID, afterID) {
		t.Fatal("--if-missing replaced an existing key")
	}
	if code, _ := tracegate(t, "keygen", "--session-key-out", sk); code != 1 {
		t.Fatalf("without --if-missing an existing session key is not replaced: exit %d", code)
	}
}
