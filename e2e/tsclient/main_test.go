//go:build e2e

package tsclient_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"go.uber.org/goleak"

	"github.com/tracegate/tracegate/internal/microkit/microkittest"
)

// Set by TestMain: the Node >= 22 binary and the client script, copied
// beside a link to the SDK's node_modules (ES modules resolve packages from
// the script's folder).
var node, script string

func TestMain(m *testing.M) {
	tmp, err := setup()
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e/tsclient:", err)
		os.RemoveAll(tmp)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(tmp)
	if code == 0 {
		if err := goleak.Find(microkittest.IgnoreGoMicro()...); err != nil {
			fmt.Fprintln(os.Stderr, "goleak:", err)
			code = 1
		}
	}
	os.Exit(code)
}

// setup installs the SDK once (scripts/tsclient.sh: npm ci into the cache,
// a stamp check afterwards), finds Node 22 and prepares the script's folder,
// which it returns.
func setup() (string, error) {
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		return "", err
	}
	dir, err := run(filepath.Join(root, "scripts", "tsclient.sh"), "dir")
	if err != nil {
		return "", err
	}
	if node, err = run(filepath.Join(root, "scripts", "node.sh"), "node"); err != nil {
		return "", err
	}
	tmp, err := os.MkdirTemp("", "tracegate-e2e-tsclient-")
	if err != nil {
		return "", err
	}
	src, err := os.ReadFile(filepath.Join(root, "e2e", "tsclient", "client.mjs"))
	if err == nil {
		script = filepath.Join(tmp, "client.mjs")
		err = os.WriteFile(script, src, 0o644)
	}
	if err == nil {
		err = os.Symlink(filepath.Join(dir, "node_modules"), filepath.Join(tmp, "node_modules"))
	}
	return tmp, err
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
