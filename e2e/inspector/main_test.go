//go:build e2e

package inspector_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tracegate/tracegate/internal/microkit/microkittest"
)

// The Inspector's launcher script and the Node >= 22 that runs it, set by
// TestMain.
var node, launcher string

// TestMain installs the Inspector once (scripts/inspector.sh: npm ci into
// the cache, a stamp check afterwards) and finds Node 22 (scripts/node.sh),
// with the real environment; the tests then run node directly with a
// throw-away HOME (the scripts find their cache through HOME).
func TestMain(m *testing.M) {
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	dir, err := script(filepath.Join(root, "scripts", "inspector.sh"), "dir")
	if err == nil {
		node, err = script(filepath.Join(root, "scripts", "node.sh"), "node")
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	launcher = filepath.Join(dir, "node_modules", "@modelcontextprotocol", "inspector", "clients", "launcher", "build", "index.js")
	microkittest.VerifyTestMain(m)
}

// script runs a scripts/*.sh command and returns its one line of output.
func script(path string, args ...string) (string, error) {
	cmd := exec.Command(path, args...)
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("%s %v: %w", path, args, err)
	}
	return strings.TrimSpace(string(out)), nil
}
