//go:build e2e

package replicas_test

import (
	"os/exec"
	"path/filepath"
	"testing"

	"go.uber.org/goleak"

	"github.com/tracegate/tracegate/internal/microkit/microkittest"
)

// root is the module root.
var root, _ = filepath.Abs(filepath.Join("..", ".."))

// TestMain checks for leaks; go-micro's NATS registry has no Close, so its
// client outlives the test.
func TestMain(m *testing.M) {
	microkittest.VerifyTestMain(m,
		goleak.IgnoreAnyFunction("github.com/nats-io/nats%2ego.(*Conn).doReconnect"),
		goleak.IgnoreAnyFunction("github.com/nats-io/nats%2ego.(*Conn).flusher"),
		goleak.IgnoreAnyFunction("github.com/nats-io/nats%2ego.(*asyncCallbacksHandler).asyncCBDispatcher"))
}

// build compiles cmd/tracegate into dir.
func build(t *testing.T, dir string) string {
	t.Helper()
	bin := filepath.Join(dir, "tracegate")
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/tracegate")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}
