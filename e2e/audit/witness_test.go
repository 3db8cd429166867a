//go:build e2e

package audit_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/tracegate/tracegate/gateway/audit"
	"github.com/tracegate/tracegate/gateway/audit/search"
	"github.com/tracegate/tracegate/gateway/reason"
	"github.com/tracegate/tracegate/internal/jaegertest"
	"github.com/tracegate/tracegate/internal/microkit/microkittest"
	"github.com/tracegate/tracegate/telemetry"
)

func TestMain(m *testing.M) { microkittest.VerifyTestMain(m) }

type quiet struct{}

func (quiet) Printf(string, ...any) {}

// build compiles cmd/tracegate into dir.
func build(t *testing.T, dir string) string {
	t.Helper()
	bin := filepath.Join(dir, "tracegate")
	if out, err := exec.Command("go", "build", "-o", bin, "github.com/tracegate/tracegate/cmd/tracegate").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// verify runs `tracegate audit verify` and returns its exit code and output.
func verify(t *testing.T, bin string, args ...string) (int, string) {
	t.Helper()
	cmd := exec.Command(bin, append([]string{"audit", "verify"}, args...)...)
	cmd.Env = append(os.Environ(), audit.EnvMACKey+"=")
	out, err := cmd.CombinedOutput()
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode(), string(out)
	}
	if err != nil {
		t.Fatal(err)
	}
	return 0, string(out)
}

func TestWitnessAgainstJaeger(t *testing.T) {
	j := jaegertest.FromEnv(t)
	j.Setenv(t)
	dir := t.TempDir()
	bin := build(t, dir)

	// The gateway's provider samples calls by ratio 0; the checkpoint spans
	// must get through anyway.
	p, shutdown, err := telemetry.Setup(context.Background(), telemetry.WithServiceName("tracegate"),
		telemetry.WithSampler(audit.CheckpointSampler(sdktrace.TraceIDRatioBased(0))))
	if err != nil {
		t.Fatal(err)
	}
	flushed := false
	flush := func() {
		if !flushed {
			flushed = true
			ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
			defer cancel()
			if err := shutdown(ctx); err != nil {
				t.Errorf("flush telemetry: %v", err)
			}
		}
	}
	t.Cleanup(flush)

	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	_, pubPEM, err := audit.MarshalKeyPair(priv)
	if err != nil {
		t.Fatal(err)
	}
	pubFile, macFile := filepath.Join(dir, "audit.pub.pem"), filepath.Join(dir, "audit.mac")
	if err := os.WriteFile(pubFile, pubPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(macFile, audit.GenerateMACKey(), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := audit.DefaultConfig()
	cfg.Mode, cfg.MACKeyFile = audit.ModeStrict, macFile
	cfg.File.Path = filepath.Join(dir, "audit.jsonl")
	cfg.File.CheckpointEvery, cfg.File.CheckpointInterval = 4, 0
	r, err := audit.New(cfg, audit.WithTracerProvider(p.TracerProvider), audit.WithLogger(quiet{}),
		audit.WithFileOptions(audit.WithSigningKey(priv)))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for i := range 10 {
		if _, err := r.Record(ctx, audit.Fields{Tool: "posts.Posts.Delete", Subject: "mallory", JSONRPCID: fmt.Sprint(i),
			Decision: audit.Deny, Reason: reason.InsufficientScope}); err != nil {
			t.Fatal(err)
		}
	}
	if err := r.Close(ctx); err != nil {
		t.Fatal(err)
	}
	flush()

	rep, err := audit.VerifyFiles(ctx, audit.VerifyConfig{PublicKey: pub}, cfg.File.Path)
	if err != nil || rep.Log == "" || rep.Checkpoints != 3 {
		t.Fatalf("%v %+v", err, rep)
	}
	wit := search.Witness{URL: j.URL}
	deadline := time.Now().Add(30 * time.Second)
	for {
		cps, err := wit.After(ctx, rep.Log, "")
		if err == nil && len(cps) == 3 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("Jaeger holds %d of 3 checkpoint spans (%v)", len(cps), err)
		}
		time.Sleep(200 * time.Millisecond)
	}

	keys := []string{"--key", pubFile, "--mac-key", macFile, "--witness", j.URL}
	if code, out := verify(t, bin, append(keys, cfg.File.Path)...); code != audit.ExitIntact || !strings.Contains(out, "OK, intact") {
		t.Fatalf("untouched: exit %d\n%s", code, out)
	}

	// Cut at a record boundary before the checkpoint at 8: the file alone
	// still verifies; the witness knows better.
	data, err := os.ReadFile(cfg.File.Path)
	if err != nil {
		t.Fatal(err)
	}
	cut := bytes.Index(data, []byte(`{"type":"checkpoint","count":8,`))
	if cut < 0 {
		t.Fatal("no checkpoint at 8")
	}
	if err := os.WriteFile(cfg.File.Path, data[:cut], 0o600); err != nil {
		t.Fatal(err)
	}
	if code, out := verify(t, bin, "--key", pubFile, "--mac-key", macFile, cfg.File.Path); code != audit.ExitIntact {
		t.Fatalf("cut, no witness: exit %d\n%s", code, out)
	}
	code, out := verify(t, bin, append(keys, cfg.File.Path)...)
	if code != audit.ExitTampered || !strings.Contains(out, "FAIL, truncated") || !strings.Contains(out, "witness holds checkpoint seq 8") {
		t.Fatalf("cut, witness: exit %d\n%s", code, out)
	}
	t.Logf("%s", out)
}
