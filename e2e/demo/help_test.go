//go:build e2e

package demo_test

import (
	"strings"
	"testing"
	"time"
)

// TestEveryBinaryHelpExitsZero: -h and --help print a usage and exit 0 for
// every binary and subcommand the demo ships (issue 12, finding 8).
func TestEveryBinaryHelpExitsZero(t *testing.T) {
	commands := [][]string{{"tracegate"}, {"tracegate", "serve"}, {"tracegate", "audit"}, {"tracegate", "audit", "verify"},
		{"tracegate", "audit", "search"}, {"tracegate", "keygen"}, {"tracegate", "healthcheck"},
		{"authserver"}, {"authserver", "healthcheck"}, {"agent"}, {"devregistry"}, {"users"}, {"posts"}, {"comments"}}
	for _, cmd := range commands {
		for _, h := range []string{"-h", "--help"} {
			args := append(append([]string(nil), cmd[1:]...), h)
			t.Run(strings.Join(append([]string{cmd[0]}, args...), " "), func(t *testing.T) {
				p := startProc(t, t.TempDir(), cmd[0], cleanEnv(), cmd[0], args...)
				if code := p.wait(t, 30*time.Second); code != 0 {
					t.Errorf("exit %d, want 0\n%s", code, p.tail(20))
				}
				if !strings.Contains(strings.ToLower(p.output()), "usage") {
					t.Errorf("no usage printed:\n%s", p.tail(20))
				}
			})
		}
	}
}
