//go:build e2e

package demo_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/tracegate/tracegate/internal/microkit/microkittest"
)

// Packages of the binaries the tests run, by binary name.
var binaries = map[string]string{
	"tracegate":   "./cmd/tracegate",
	"authserver":  "./examples/authserver/cmd/authserver",
	"users":       "./examples/blog/cmd/users",
	"posts":       "./examples/blog/cmd/posts",
	"comments":    "./examples/blog/cmd/comments",
	"agent":       "./examples/agent/cmd/agent",
	"devregistry": "./examples/agent/cmd/devregistry",
}

// Set by TestMain: the module root and the directory with the binaries,
// built once for every test of the package (two shared cores).
var (
	root   string
	binDir string
)

func TestMain(m *testing.M) {
	code := func() int {
		var err error
		if root, err = filepath.Abs(filepath.Join("..", "..")); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		dir, err := os.MkdirTemp("", "tracegate-e2e-demo-bin-")
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		defer os.RemoveAll(dir)
		binDir = dir
		args := []string{"build", "-o", dir + string(filepath.Separator)}
		for _, pkg := range binaries {
			args = append(args, pkg)
		}
		start := time.Now()
		cmd := exec.Command("go", args...)
		cmd.Dir = root
		if out, err := cmd.CombinedOutput(); err != nil {
			fmt.Fprintf(os.Stderr, "go build: %v\n%s", err, out)
			return 1
		}
		fmt.Fprintf(os.Stderr, "e2e/demo: built %d binaries in %s\n", len(binaries), time.Since(start).Round(time.Millisecond))
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
