//go:build e2e

package tsclient_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tracegate/tracegate/internal/microkit/microkittest"
)

// Set by TestMain: the Node >= 22 binary and the client script.
var node, script string

func TestMain(m *testing.M) {
	if err := setup(); err != nil {
		fmt.Fprintln(os.Stderr, "e2e/tsclient:", err)
		os.Exit(1)
	}
	microkittest.VerifyTestMain(m)
}

// setup installs the SDK once (scripts/tsclient.sh: npm ci into the cache,
// a stamp check afterwards), finds Node 22 and copies client.mjs into the
// install directory: ES modules resolve packages from the script's own
// folder (scripts/tsclient.sh run does the same).
func setup() error {
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		return err
	}
	dir, err := run(filepath.Join(root, "scripts", "tsclient.sh"), "dir")
	if err != nil {
		return err
	}
	if node, err = run(filepath.Join(root, "scripts", "node.sh"), "node"); err != nil {
		return err
	}
	src, err := os.ReadFile(filepath.Join(root, "e2e", "tsclient", "client.mjs"))
	if err != nil {
		return err
	}
	script = filepath.Join(dir, "client.mjs")
	return os.WriteFile(script, src, 0o644)
}

// run runs a scripts/*.sh command and returns its one line of output.
func run(path string, args ...string) (string, error) {
	cmd := exec.Command(path, args...)
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("%s %v: %w", path, args, err)
	}
	return strings.TrimSpace(string(out)), nil
}
