package main

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tracegate/tracegate/internal/e2etest"
	"github.com/tracegate/tracegate/internal/microkit/microkittest"
)

// waitLog waits until serve's log contains want.
func waitLog(t *testing.T, log *e2etest.SyncBuffer, want string) {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); !strings.Contains(log.String(), want); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("log never said %q:\n%s", want, log.String())
		}
	}
}

// TestServeReloadsPolicy: serve reloads the policy when its --config file
// changes, and on SIGHUP, which does nothing when the file's content is
// the one in force.
func TestServeReloadsPolicy(t *testing.T) {
	t.Setenv("OTEL_TRACES_EXPORTER", "none")
	t.Setenv("OTEL_LOGS_EXPORTER", "none")
	t.Setenv("OTEL_METRICS_EXPORTER", "none")
	url, _ := microkittest.NATSRegistry(t)
	cfg := filepath.Join(t.TempDir(), "gateway.yaml")
	if err := os.WriteFile(cfg, []byte("policy:\n  scopes:\n    mode: any\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	sr, sw := io.Pipe()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	log := &e2etest.SyncBuffer{}
	go func() {
		done <- run(ctx, []string{"serve", "--stdio", "--anonymous", "--config", cfg, "--registry", "nats", "--registry_address", url}, sr, io.Discard, log)
	}()
	defer func() {
		cancel()
		_ = sw.Close()
		if code := <-done; code != 0 {
			t.Errorf("serve exited %d: %s", code, log.String())
		}
	}()
	waitLog(t, log, "serving MCP on stdio") // the SIGHUP handler is installed before
	if err := os.WriteFile(cfg, []byte("policy:\n  scopes:\n    mode: all\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	waitLog(t, log, "scopes.mode: any -> all")
	if err := syscall.Kill(os.Getpid(), syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	waitLog(t, log, "SIGHUP: policy unchanged")
	if n := strings.Count(log.String(), "scopes.mode: any -> all"); n != 1 {
		t.Errorf("the change was applied %d times:\n%s", n, log.String())
	}
}
