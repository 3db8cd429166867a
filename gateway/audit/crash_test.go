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

const crashEnv = "TRACEGATE_AUDIT_CRASH_CHILD"

// TestCrashChild is the child of TestSIGKILLLeavesAtMostOneIncompleteLine:
// it writes strict records until it is killed.
func TestCrashChild(t *testing.T) {
	path := os.Getenv(crashEnv)
	if path == "" {
		t.Skip("helper process")
	}
	cfg := DefaultConfig()
	cfg.Mode, cfg.File.Path, cfg.File.CheckpointEvery, cfg.File.RotateBytes = ModeStrict, path, 0, 0
	r, err := New(cfg)
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
	for round := range 3 {
		cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$")
		cmd.Env = append(os.Environ(), crashEnv+"="+path)
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
		rep, err := Verify(nil, segs...)
		if err != nil {
			t.Fatal(err)
		}
		if rep.First != nil && rep.First.Kind != Truncated {
			t.Fatalf("round %d: after SIGKILL: %v", round, rep.First)
		}
		t.Logf("round %d: %d records, %d file(s), first=%v recovered=%d", round, rep.Records, len(segs), rep.First, len(rep.Recovered))
	}
	writeLog(t, dir, 1, DefaultConfig(), nil) // a clean restart accounts for any tail
	segs, _ := Segments(path)
	if rep, err := Verify(nil, segs...); err != nil || !rep.Intact() {
		t.Fatalf("%v %+v", err, rep.First)
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
