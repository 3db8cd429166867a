package load

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestPercentile(t *testing.T) {
	var d []time.Duration
	for i := 100; i >= 1; i-- {
		d = append(d, time.Duration(i))
	}
	tests := []struct {
		in   []time.Duration
		q    float64
		want time.Duration
	}{
		{d, 0.50, 50}, {d, 0.99, 99}, {d, 1, 100},
		{[]time.Duration{7}, 0.5, 7}, {[]time.Duration{7}, 0.99, 7},
		{nil, 0.5, 0},
	}
	for _, tt := range tests {
		if got := percentile(append([]time.Duration(nil), tt.in...), tt.q); got != tt.want {
			t.Errorf("percentile(%d values, %g) = %d, want %d", len(tt.in), tt.q, got, tt.want)
		}
	}
}

// cycling answers OK, Lost, Unserved, Failed in turn.
func cycling() (Target, *atomic.Int64) {
	var n atomic.Int64
	return Target{Name: "cycling", Call: func(context.Context, int) (Outcome, error) {
		o := Outcome((n.Add(1) - 1) % 4)
		if o == Failed {
			return o, errors.New("wrong answer")
		}
		return o, nil
	}}, &n
}

func TestRunCountsAddUp(t *testing.T) {
	for _, p := range []Point{
		{Callers: 4, Duration: time.Minute, MaxCalls: 40}, // stops at MaxCalls
		{Rate: 20_000, Duration: 5 * time.Millisecond},    // 100 scheduled
	} {
		tg, made := cycling()
		r := Run(t.Context(), tg, p)
		want := 40
		if p.Rate > 0 {
			want = 100
		}
		if r.Calls != want || int(made.Load()) != want {
			t.Fatalf("%s: %d calls recorded, %d made, want %d", p.Name(), r.Calls, made.Load(), want)
		}
		if r.OK != want/4 || r.Lost != want/4 || r.Unserved != want/4 || r.Failed != want/4 {
			t.Fatalf("%s: %+v, want %d of each outcome", p.Name(), r, want/4)
		}
		if r.FirstFailure == nil || r.FirstFailure.Error() != "wrong answer" {
			t.Fatalf("%s: first failure %v", p.Name(), r.FirstFailure)
		}
	}
}

// A canceled run stops scheduling and counts what it never made as unserved.
func TestOpenLoopCanceled(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	tg, made := cycling()
	r := Run(ctx, tg, Point{Rate: 1000, Duration: time.Second})
	if r.Calls != 1000 || r.Unserved != 1000 || made.Load() != 0 {
		t.Fatalf("canceled run: %+v, %d made", r, made.Load())
	}
}

// A target that never answers cannot hold an open loop past its drain: the
// calls in flight and those still waiting for a slot end as Unserved.
func TestOpenLoopDrainBounded(t *testing.T) {
	var made atomic.Int64
	stuck := Target{Name: "stuck", Call: func(ctx context.Context, _ int) (Outcome, error) {
		made.Add(1)
		<-ctx.Done()
		return Unserved, ctx.Err()
	}}
	n := MaxInFlight + 100 // some never get a slot
	r := Run(t.Context(), stuck, Point{Rate: float64(n) * 100, Duration: 10 * time.Millisecond, Drain: 50 * time.Millisecond})
	if r.Calls != n || r.Unserved != n || made.Load() > MaxInFlight {
		t.Fatalf("%d calls, %d unserved, %d made; want %d, %d, at most %d in flight", r.Calls, r.Unserved, made.Load(), n, n, MaxInFlight)
	}
}

func TestPrintRatios(t *testing.T) {
	p := Point{Callers: 8, Duration: time.Second}
	results := []Result{
		{Target: "base", Point: p, Calls: 100, OK: 100, Elapsed: time.Second, P50: 100 * time.Microsecond, P99: time.Millisecond,
			CPUPerCall: 200 * time.Microsecond, BytesPerCall: 1024, AllocsPerCall: 10},
		{Target: "slow", Point: p, Calls: 52, OK: 50, Lost: 1, Failed: 1, FirstFailure: errors.New("status 500:\n boom"), Elapsed: time.Second,
			P50: 300 * time.Microsecond, P99: 4 * time.Millisecond, CPUPerCall: 500 * time.Microsecond, BytesPerCall: 4096, AllocsPerCall: 40},
	}
	row := func(out, target string) string {
		for l := range strings.SplitSeq(out, "\n") {
			if f := strings.Fields(l); len(f) > 0 && f[0] == target {
				return strings.Join(f, " ")
			}
		}
		return ""
	}
	var out strings.Builder
	Print(&out, results, "base")
	got := out.String()
	if want := "slow 50 0.50 300 3.00 4000 4.00 500 2.50 4.0 4.00 40 4.00 52 50 1 0 1"; row(got, "slow") != want {
		t.Errorf("slow row = %q, want %q:\n%s", row(got, "slow"), want, got)
	}
	for _, want := range []string{"closed, 8 callers, 1s per target", "slow: first failure: status 500: boom"} {
		if !strings.Contains(got, want) {
			t.Errorf("output lacks %q:\n%s", want, got)
		}
	}
	out.Reset()
	Print(&out, results, "absent")
	if want := "base 100 - 100 - 1000 - 200 - 1.0 - 10 - 100 100 0 0 0"; row(out.String(), "base") != want {
		t.Errorf("without a baseline, base row = %q, want %q", row(out.String(), "base"), want)
	}
}
