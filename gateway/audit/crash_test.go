package audit

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

const (
	crashEnv    = "TRACEGATE_AUDIT_CRASH_CHILD"
	crashKeyEnv = "TRACEGATE_AUDIT_CRASH_KEY"
)

// TestCrashChild is the child of TestSIGKILLLeavesAtMostOneIncompleteLine:
// it resumes the log (checking the tail the last kill left) and writes
// strict records, signed every 7, until it is killed.
func TestCrashChild(t *testing.T) {
	path := os.Getenv(crashEnv)
	if path == "" {
		t.Skip("helper process")
	}
	cfg := DefaultConfig()
	cfg.Mode, cfg.File.Path, cfg.File.CheckpointEvery, cfg.File.RotateBytes = ModeStrict, path, 7, 0
	cfg.File.SigningKeyFile = os.Getenv(crashKeyEnv)
	r, err := New(cfg, WithFileOptions(WithMACKey(testMACKey)), WithLogger(discard{}))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for i := 0; ; i++ {
		c, err := r.Begin(ctx, callFields(i))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.End(ctx, Completion{Outcome: OutcomeOK}); err != nil {
			t.Fatal(err)
		}
	}
}

func TestSIGKILLLeavesAtMostOneIncompleteLine(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns a process")
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "audit.jsonl")
	priv, pub := newKey(t)
	privPEM, _, err := MarshalKeyPair(priv)
	if err != nil {
		t.Fatal(err)
	}
	keyFile := filepath.Join(dir, "key.pem")
	if err := os.WriteFile(keyFile, privPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	trust := VerifyConfig{PublicKey: pub, MACKey: testMACKey}
	crashes := 0 // kills that left something to adopt: the next start writes a recovery record
	for round := range 3 {
		cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$")
		cmd.Env = append(os.Environ(), crashEnv+"="+path, crashKeyEnv+"="+keyFile)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(20 * time.Second)
		// Count lines in every segment: after a torn tail the child resumes
		// in a new file.
		for n := 0; n < 20*(round+1); n = linesIn(path) {
			if time.Now().After(deadline) {
				_ = cmd.Process.Kill()
				_ = cmd.Wait()
				t.Fatal("child wrote too little")
			}
			time.Sleep(2 * time.Millisecond)
		}
		_ = cmd.Process.Kill() // SIGKILL
		_ = cmd.Wait()
		segs, err := Segments(path)
		if err != nil {
			t.Fatal(err)
		}
		rep, err := VerifyFiles(t.Context(), trust, segs...)
		if err != nil {
			t.Fatal(err)
		}
		// Killed between lines or mid-line; the tail after the last
		// checkpoint verifies by its MACs either way.
		if rep.Status != StatusTorn && rep.Status != StatusIntactTail && rep.Status != StatusRecovered && rep.Status != StatusIntact {
			t.Fatalf("round %d: after SIGKILL: %s %v", round, rep.Result, rep.Findings)
		}
		if rep.Unverified != 0 {
			t.Fatalf("round %d: %d unverified records", round, rep.Unverified)
		}
		if rep.Tail > 0 || rep.Status == StatusTorn {
			crashes++
		}
		t.Logf("round %d: %d records, %d file(s), %s", round, rep.Records, len(segs), rep.Result)
	}
	writeLog(t, dir, 1, DefaultConfig(), priv) // a clean restart adopts the tail and signs it
	segs, _ := Segments(path)
	rep, err := VerifyFiles(t.Context(), trust, segs...)
	if err != nil || len(rep.Findings) != 0 || len(rep.Recoveries) != crashes || rep.Tail != 0 {
		t.Fatalf("%v %s %+v", err, rep.Result, rep.Recoveries)
	}
	for _, rc := range rep.Recoveries {
		if !rc.MACVerified {
			t.Fatalf("recovery %+v adopted a tail without checking its MACs", rc)
		}
	}
}

func readAll(path string) []byte {
	b, _ := os.ReadFile(path)
	return b
}

// linesIn counts the complete lines of all segments of the log at base.
func linesIn(base string) int {
	segs, err := Segments(base)
	if err != nil {
		return 0
	}
	n := 0
	for _, s := range segs {
		n += bytes.Count(readAll(s), []byte("\n"))
	}
	return n
}
