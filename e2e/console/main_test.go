//go:build e2e

package console_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/tracegate/tracegate/internal/e2etest"
	"github.com/tracegate/tracegate/internal/microkit/microkittest"
)

// binaries the suite runs, by name.
var binaries = map[string]string{
	"tracegate":   "./cmd/tracegate",
	"authserver":  "./examples/authserver/cmd/authserver",
	"users":       "./examples/blog/cmd/users",
	"posts":       "./examples/blog/cmd/posts",
	"comments":    "./examples/blog/cmd/comments",
	"agent":       "./examples/agent/cmd/agent",
	"devregistry": "./examples/agent/cmd/devregistry",
}

// Set by TestMain: the built binaries and the browser.
var (
	binDir   string
	chromium string
)

func bin(name string) string { return filepath.Join(binDir, name) }

func TestMain(m *testing.M) {
	code := func() int {
		var err error
		// A missing browser is a failure, not a skip: scripts/deps.sh installs it.
		if chromium, err = exec.LookPath("chromium"); err != nil {
			fmt.Fprintln(os.Stderr, "e2e/console: chromium not found (run scripts/deps.sh):", err)
			return 1
		}
		root, err := filepath.Abs(filepath.Join("..", ".."))
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		start := time.Now()
		if binDir, err = e2etest.BuildBinaries(root, binaries); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		defer os.RemoveAll(binDir)
		fmt.Fprintf(os.Stderr, "e2e/console: built %d binaries in %s\n", len(binaries), time.Since(start).Round(time.Millisecond))
		code := m.Run()
		if code == 0 {
			if err := goleak.Find(microkittest.IgnoreGoMicro()...); err != nil {
				fmt.Fprintf(os.Stderr, "goleak: %v\n", err)
				return 1
			}
		}
		return code
	}()
	os.Exit(code)
}
