package load

import (
	"context"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// Outcome classifies one call.
type Outcome int

// Outcomes, counted apart in a [Result].
const (
	OK       Outcome = iota // the expected answer
	Lost                    // lost to the go-micro transport: 408 after its timeout
	Unserved                // the caller gave up (its own deadline) or could not connect
	Failed                  // any other answer: wrong, an error, a refusal
)

// Target is one way of making the call under test.
type Target struct {
	Name string
	// Call makes one call as caller (0 <= caller < Callers of the point, or
	// of OpenLoopCallers in an open loop) and classifies the answer; err
	// explains a Failed outcome.
	Call func(ctx context.Context, caller int) (Outcome, error)
}

// Point is one load level.
type Point struct {
	// Callers > 0: closed loop with that many concurrent callers.
	Callers int
	// Rate > 0 (calls per second): open loop.
	Rate float64
	// Duration of the point; MaxCalls > 0 stops earlier (smoke runs).
	Duration time.Duration
	MaxCalls int
	// Drain overrides [DefaultDrain] for an open loop.
	Drain time.Duration
}

// OpenLoopCallers is the number of distinct callers an open loop cycles
// through (caller = call index mod OpenLoopCallers), MaxInFlight bounds its
// outstanding calls (a call waiting for a slot is already late: its latency
// runs from its scheduled start), and DefaultDrain bounds how long after the last
// scheduled start its calls may still run: later, waiting or in flight,
// they are canceled and count as Unserved, so an overloaded target cannot
// stretch a point without end.
const (
	OpenLoopCallers = 64
	MaxInFlight     = 1024
	DefaultDrain    = 10 * time.Second
)

// Name is "closed 8" or "open 500/s".
func (p Point) Name() string {
	if p.Callers > 0 {
		return "closed, " + strconv.Itoa(p.Callers) + " callers"
	}
	return "open, " + strconv.Itoa(int(p.Rate)) + " calls/s"
}

// sample is one finished call.
type sample struct {
	outcome Outcome
	latency time.Duration
	done    time.Time
	err     error
}

// Run measures target at point p.
func Run(ctx context.Context, t Target, p Point) Result {
	before := snapshot()
	var samples []sample
	var start time.Time
	if p.Callers > 0 {
		start, samples = closedLoop(ctx, t, p)
	} else {
		start, samples = openLoop(ctx, t, p)
	}
	after := snapshot()
	return summarize(t.Name, p, start, samples, after.minus(before))
}

// closedLoop runs p.Callers callers, each calling until the deadline (or
// until MaxCalls calls have been started in all).
func closedLoop(ctx context.Context, t Target, p Point) (time.Time, []sample) {
	per := make([][]sample, p.Callers)
	var started atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	deadline := start.Add(p.Duration)
	for c := range p.Callers {
		wg.Go(func() {
			for time.Now().Before(deadline) && ctx.Err() == nil {
				if p.MaxCalls > 0 && started.Add(1) > int64(p.MaxCalls) {
					return
				}
				t0 := time.Now()
				o, err := t.Call(ctx, c)
				now := time.Now()
				per[c] = append(per[c], sample{o, now.Sub(t0), now, err})
			}
		})
	}
	wg.Wait()
	var all []sample
	for _, s := range per {
		all = append(all, s...)
	}
	return start, all
}

// openLoop schedules calls every 1/Rate seconds for Duration (at most
// MaxCalls), each in its own goroutine, and waits for all of them.
func openLoop(ctx context.Context, t Target, p Point) (time.Time, []sample) {
	n := int(p.Rate * p.Duration.Seconds())
	if p.MaxCalls > 0 {
		n = min(n, p.MaxCalls)
	}
	out := make([]sample, n)
	slots := make(chan struct{}, MaxInFlight)
	interval := time.Duration(float64(time.Second) / p.Rate)
	var wg sync.WaitGroup
	start := time.Now()
	drain := p.Drain
	if drain <= 0 {
		drain = DefaultDrain
	}
	callCtx, cancel := context.WithDeadline(ctx, start.Add(p.Duration+drain))
	defer cancel()
	for i := range n {
		at := start.Add(time.Duration(i) * interval)
		if d := time.Until(at); d > 0 {
			select {
			case <-time.After(d):
			case <-ctx.Done():
			}
		}
		if ctx.Err() != nil {
			for j := i; j < n; j++ {
				out[j] = sample{outcome: Unserved, err: ctx.Err()}
			}
			break
		}
		wg.Go(func() {
			select {
			case slots <- struct{}{}:
			case <-callCtx.Done():
				now := time.Now()
				out[i] = sample{Unserved, now.Sub(at), now, callCtx.Err()}
				return
			}
			o, err := t.Call(callCtx, i%OpenLoopCallers)
			<-slots
			now := time.Now()
			out[i] = sample{o, now.Sub(at), now, err}
		})
	}
	wg.Wait()
	return start, out
}
