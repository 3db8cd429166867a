package load

import (
	"runtime"
	"slices"
	"syscall"
	"time"
)

// usage is the process's CPU time and allocation counters at one moment.
type usage struct {
	cpu           time.Duration // user + system, all threads (RUSAGE_SELF)
	bytes, allocs uint64        // runtime.MemStats TotalAlloc, Mallocs
}

func snapshot() usage {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru) // cannot fail for RUSAGE_SELF
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return usage{
		cpu:    time.Duration(ru.Utime.Nano() + ru.Stime.Nano()),
		bytes:  ms.TotalAlloc,
		allocs: ms.Mallocs,
	}
}

func (u usage) minus(v usage) usage {
	return usage{cpu: u.cpu - v.cpu, bytes: u.bytes - v.bytes, allocs: u.allocs - v.allocs}
}

// Result is one target at one point.
type Result struct {
	Target string
	Point  Point
	// Counts; Calls = OK + Lost + Unserved + Failed.
	Calls, OK, Lost, Unserved, Failed int
	// FirstFailure is the error of the first Failed call.
	FirstFailure error
	// Elapsed runs from the point's start to the last answer.
	Elapsed time.Duration
	// P50 and P99 are over the OK calls only.
	P50, P99 time.Duration
	// Per call (all calls made): CPU of the whole process, bytes and
	// allocations of the whole process (load generator included).
	CPUPerCall    time.Duration
	BytesPerCall  float64
	AllocsPerCall float64
}

// CallsPerSecond is the rate of correct answers.
func (r Result) CallsPerSecond() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(r.OK) / r.Elapsed.Seconds()
}

func summarize(target string, p Point, start time.Time, samples []sample, u usage) Result {
	r := Result{Target: target, Point: p, Calls: len(samples)}
	lat := make([]time.Duration, 0, len(samples))
	last := start
	for _, s := range samples {
		switch s.outcome {
		case OK:
			r.OK++
			lat = append(lat, s.latency)
		case Lost:
			r.Lost++
		case Unserved:
			r.Unserved++
		default:
			r.Failed++
			if r.FirstFailure == nil {
				r.FirstFailure = s.err
			}
		}
		if s.done.After(last) {
			last = s.done
		}
	}
	r.Elapsed = last.Sub(start)
	r.P50, r.P99 = percentile(lat, 0.50), percentile(lat, 0.99)
	if n := len(samples); n > 0 {
		r.CPUPerCall = u.cpu / time.Duration(n)
		r.BytesPerCall = float64(u.bytes) / float64(n)
		r.AllocsPerCall = float64(u.allocs) / float64(n)
	}
	return r
}

// percentile is the nearest-rank q-quantile (0 < q <= 1) of d, 0 when empty.
// It sorts d.
func percentile(d []time.Duration, q float64) time.Duration {
	if len(d) == 0 {
		return 0
	}
	slices.Sort(d)
	rank := int(q*float64(len(d)) + 0.999999999) // ceil(q·n)
	return d[min(max(rank, 1), len(d))-1]
}
