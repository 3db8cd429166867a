package scripts_test

import (
	"os"
	"strings"
	"testing"
)

// standinFuzzGo is `go test … -fuzz ^NAME$ …`: call k (1-based, counted in
// $STANDIN_CALLS) prints line k of $STANDIN_SCRIPT, a ';'-separated list of
// outcomes: pass, race (Go's coordinator deadline, no input), crash (a
// failing input written, which also ends in the deadline message), fail.
const standinFuzzGo = `#!/bin/bash
echo "go $*" >>"$STANDIN_CALLS"
k=$(wc -l <"$STANDIN_CALLS")
outcome=$(tr ';' '\n' <<<"$STANDIN_SCRIPT" | sed -n "${k}p")
case "$outcome" in
pass) echo "fuzz: elapsed: 15s, execs: 100"; echo ok; exit 0 ;;
race) echo "--- FAIL: FuzzX (15.10s)"; echo "    context deadline exceeded"; echo FAIL; exit 1 ;;
crash) echo "--- FAIL: FuzzX (3.00s)"; echo "    Failing input written to testdata/fuzz/FuzzX/abc"; echo "    context deadline exceeded"; exit 1 ;;
*) echo "--- FAIL: FuzzX"; echo "    x_test.go:9: broken"; exit 1 ;;
esac
`

// TestFuzzRetriesOnlyGoCoordinatorRace: scripts/fuzz.sh (make fuzz) retries
// a fuzzer only when Go's coordinator reported its own deadline without a
// failing input (golang/go#75804), at most twice; a failing input or any
// other failure fails the run at once; every target runs with its package
// and name.
func TestFuzzRetriesOnlyGoCoordinatorRace(t *testing.T) {
	for _, tc := range []struct {
		name    string
		script  string
		targets []string
		ok      bool // the run's exit status is 0
		calls   int
	}{
		{"all pass", "pass;pass", []string{"./a/:FuzzA", "./b/:FuzzB"}, true, 2},
		{"race then pass", "race;pass;pass", []string{"./a/:FuzzA", "./b/:FuzzB"}, true, 3},
		{"race twice then pass", "race;race;pass", []string{"./a/:FuzzA"}, true, 3},
		{"race three times", "race;race;race;pass", []string{"./a/:FuzzA"}, false, 3},
		{"failing input", "crash;pass", []string{"./a/:FuzzA", "./b/:FuzzB"}, false, 1},
		{"other failure", "pass;fail;pass", []string{"./a/:FuzzA", "./b/:FuzzB"}, false, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newSandbox(t)
			write(t, s.bin, "go", standinFuzzGo)
			r := s.run("fuzz.sh", map[string]string{"STANDIN_SCRIPT": tc.script}, append([]string{"15s"}, tc.targets...)...)
			if (r.code == 0) != tc.ok {
				t.Fatalf("want success %v, got %s", tc.ok, r)
			}
			raw, _ := os.ReadFile(s.calls)
			calls := strings.Split(strings.TrimSpace(string(raw)), "\n")
			if len(calls) != tc.calls {
				t.Fatalf("%d go calls, want %d:\n%s\n%s", len(calls), tc.calls, raw, r)
			}
			if !strings.Contains(calls[0], "test -race -run ^$ -fuzz ^FuzzA$ -fuzztime 15s") || !strings.HasSuffix(calls[0], " ./a/") {
				t.Fatalf("first call %q", calls[0])
			}
		})
	}
}
