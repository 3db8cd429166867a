package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// TestHelpExitsZero: asking any command for help prints its usage and exits
// 0; a flag that does not exist still exits 2 (issue 12, finding 8).
func TestHelpExitsZero(t *testing.T) {
	commands := [][]string{{}, {"serve"}, {"audit"}, {"audit", "verify"}, {"audit", "search"}, {"keygen"}, {"healthcheck"}}
	for _, cmd := range commands {
		for _, h := range []string{"-h", "-help", "--help"} {
			args := append(append([]string(nil), cmd...), h)
			t.Run(strings.Join(args, " "), func(t *testing.T) {
				var out, errb bytes.Buffer
				code := run(context.Background(), args, nil, &out, &errb)
				if code != 0 {
					t.Errorf("exit %d, want 0\nstdout: %s\nstderr: %s", code, out.String(), errb.String())
				}
				if help := out.String() + errb.String(); !strings.Contains(strings.ToLower(help), "usage") {
					t.Errorf("no usage printed:\n%s", help)
				}
			})
		}
		if len(cmd) == 0 || cmd[0] == "audit" && len(cmd) == 1 {
			continue
		}
		args := append(append([]string(nil), cmd...), "--no-such-flag")
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			var out, errb bytes.Buffer
			if code := run(context.Background(), args, nil, &out, &errb); code != 2 {
				t.Errorf("exit %d, want 2", code)
			}
		})
	}
	var out, errb bytes.Buffer
	if code := run(context.Background(), []string{"audit", "nope"}, nil, &out, &errb); code != 2 {
		t.Errorf("audit nope: exit %d, want 2", code)
	}
}
