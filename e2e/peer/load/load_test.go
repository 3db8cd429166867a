package load_test

import (
	"flag"
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel"

	"github.com/tracegate/tracegate/e2e/peer/load"
	"github.com/tracegate/tracegate/telemetry"
)

var (
	full     = flag.Bool("load.full", false, "run the full harness (make bench) instead of the smoke run (make test)")
	duration = flag.Duration("load.duration", 5*time.Second, "duration of each point in the full run")
)

// TestMain installs the W3C propagator globally, as `tracegate serve`
// does: go-micro's gateway reads otel.GetTextMapPropagator (tracegate takes
// it as an option). No goleak here: go-micro's gateway/mcp Serve returns no
// handle, so its HTTP server and registry watcher cannot be stopped.
func TestMain(m *testing.M) {
	otel.SetTextMapPropagator(telemetry.NewPropagator())
	os.Exit(m.Run())
}

// points are the load levels of issue 13.5: closed loop at 8/32/64
// callers, open loop at 200/500/1,000 calls/s. The smoke run makes at most
// 50 calls per point (300 per target).
func points() []load.Point {
	d, maxCalls := *duration, 0
	if !*full {
		d, maxCalls = 2*time.Second, 50
	}
	var ps []load.Point
	for _, c := range []int{8, 32, 64} {
		ps = append(ps, load.Point{Callers: c, Duration: d, MaxCalls: maxCalls})
	}
	for _, r := range []float64{200, 500, 1000} {
		ps = append(ps, load.Point{Rate: r, Duration: d, MaxCalls: maxCalls})
	}
	return ps
}

// TestLoad drives every target at every point, one point at a time across
// all targets (so ratios compare runs minutes apart at most), and prints
// the tables. It asserts correctness only, never speed: every call made
// got the right answer (or was lost to the go-micro transport, counted
// apart), and the counters add up — the users service handled at least
// every answered read and at most every call made (no retries but
// go-micro's gateway's own), and each tracegate variant recorded exactly
// one successful audit record per answered call.
func TestLoad(t *testing.T) {
	if *full {
		fmt.Println(machine())
	}
	b := startBench(t)
	targets := b.targets(t)
	var results []load.Result
	for _, p := range points() {
		for _, tg := range targets {
			runtime.GC()
			handled := b.handled.Load()
			var audited int64
			if tg.audited != nil {
				audited = tg.audited()
			}
			r := load.Run(t.Context(), tg.Target, p)
			results = append(results, r)
			fmt.Fprintf(os.Stderr, "load: %-24s %-26s %7.0f calls/s  p50 %8s  p99 %8s  %d calls, %d lost, %d unserved, %d failed\n",
				r.Target, p.Name(), r.CallsPerSecond(), r.P50.Round(time.Microsecond), r.P99.Round(time.Microsecond), r.Calls, r.Lost, r.Unserved, r.Failed)
			check(t, tg, r, b.handled.Load()-handled, audited, p)
		}
	}
	var out strings.Builder
	load.Print(&out, results, targets[0].Name)
	fmt.Println(out.String())
}

// check asserts what a run must satisfy at any speed: the outcomes add up
// to the calls made and an open loop made every call it scheduled. The
// smoke run also requires every call answered correctly (answers lost to
// the go-micro transport aside: a known go-micro v5.30.0 fault, DESIGN.md,
// fixed in internal/microkit separately) and exact bookkeeping: the users
// service handled at least every answered read and at most every call made
// (go-micro's gateway retries on its own), each tracegate variant recorded
// one successful audit record per correct answer. In the full run an
// overloaded target may fail or leave calls unserved, and a call its caller
// gave up on may still complete and be audited, in this point or the next:
// that is reported, not asserted.
func check(t *testing.T, tg counted, r load.Result, handled, auditedBefore int64, p load.Point) {
	t.Helper()
	where := r.Target + ", " + p.Name()
	if r.Calls != r.OK+r.Lost+r.Unserved+r.Failed || r.Calls == 0 {
		t.Errorf("%s: %d calls != %d ok + %d lost + %d unserved + %d failed", where, r.Calls, r.OK, r.Lost, r.Unserved, r.Failed)
	}
	if scheduled := min(int(p.Rate*p.Duration.Seconds()), maxOr(p.MaxCalls)); p.Rate > 0 && r.Calls != scheduled {
		t.Errorf("%s: %d calls made, %d scheduled", where, r.Calls, scheduled)
	}
	report := t.Errorf
	if *full {
		report = t.Logf
	}
	if r.Lost > 0 {
		t.Logf("%s: %d answers lost to the go-micro transport (408)", where, r.Lost)
	}
	if r.Failed > 0 || r.Unserved > 0 {
		report("%s: %d calls failed, %d unserved; first failure: %v", where, r.Failed, r.Unserved, r.FirstFailure)
	}
	if handled < int64(r.OK) || (tg.Name != "go-micro gateway/mcp" && handled > int64(r.Calls)) {
		report("%s: the users service handled %d reads for %d calls, %d answered", where, handled, r.Calls, r.OK)
	}
	if tg.audited != nil {
		if got := tg.audited() - auditedBefore; got != int64(r.OK) {
			report("%s: %d successful audit records for %d correct answers", where, got, r.OK)
		}
	}
}

func maxOr(n int) int {
	if n <= 0 {
		return int(^uint(0) >> 1)
	}
	return n
}

// machine describes the run: CPUs, load average, Go, GC settings.
func machine() string {
	load, _ := os.ReadFile("/proc/loadavg")
	gogc := debug.SetGCPercent(-1)
	debug.SetGCPercent(gogc)
	return fmt.Sprintf("machine: %d CPUs, GOMAXPROCS %d, %s, GOGC %d, GOMEMLIMIT %d MiB, load average %s",
		runtime.NumCPU(), runtime.GOMAXPROCS(0), runtime.Version(), gogc, debug.SetMemoryLimit(-1)>>20, strings.TrimSpace(string(load)))
}
