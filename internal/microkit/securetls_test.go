package microkit_test

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"

	// Not securetls itself: the test must see what importing microkit does.
	_ "github.com/tracegate/tracegate/internal/microkit"
)

// tlsEnv is the variable go-micro reads (tlsEnv).
const tlsEnv = "MICRO_TLS_SECURE"

// helperEnv marks the re-executed test binary of TestNoTLSWarningAtStart.
const helperEnv = "TRACEGATE_TLS_HELPER"

// TestTLSHelperProcess is the child of TestNoTLSWarningAtStart: it prints
// the MICRO_TLS_SECURE value the process ended up with. Outside the child
// it does nothing.
func TestTLSHelperProcess(t *testing.T) {
	if os.Getenv(helperEnv) != "1" {
		return
	}
	fmt.Printf("%s=%s\n", tlsEnv, os.Getenv(tlsEnv))
}

// TestNoTLSWarningAtStart starts this test binary (which links go-micro
// through microkit) as a new process and reads what go-micro prints while
// its packages initialise: nothing when MICRO_TLS_SECURE is unset, and its
// warning when the operator asked for go-micro's insecure default.
func TestNoTLSWarningAtStart(t *testing.T) {
	for _, tc := range []struct {
		name        string
		env         []string
		wantValue   string
		wantWarning bool
	}{
		{"unset", nil, "true", false},
		{"operator keeps go-micro's insecure default", []string{tlsEnv + "=false"}, "false", true},
		{"operator already secure", []string{tlsEnv + "=true"}, "true", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cmd := exec.Command(os.Args[0], "-test.run=^TestTLSHelperProcess$", "-test.count=1")
			for _, kv := range os.Environ() {
				// go-micro also stays quiet when IN_TRAVIS_CI is set.
				if !strings.HasPrefix(kv, tlsEnv+"=") && !strings.HasPrefix(kv, "IN_TRAVIS_CI=") {
					cmd.Env = append(cmd.Env, kv)
				}
			}
			cmd.Env = append(cmd.Env, append(tc.env, helperEnv+"=1")...)
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("child: %v\n%s", err, out)
			}
			if got := strings.Contains(string(out), "[SECURITY WARNING]"); got != tc.wantWarning {
				t.Errorf("warning printed = %v, want %v; output:\n%s", got, tc.wantWarning, out)
			}
			if want := tlsEnv + "=" + tc.wantValue + "\n"; !strings.Contains(string(out), want) {
				t.Errorf("child output lacks %q:\n%s", want, out)
			}
		})
	}
}
