// Package load is tracegate's throughput harness (issue 13.5): it drives
// request/response targets in a closed loop (a fixed number of callers, each
// waiting for its answer before the next call) and in an open loop (calls
// scheduled at a fixed rate whatever the answers do, latency measured from
// each call's scheduled start, so a target that falls behind is charged for
// the wait: no coordinated omission), and reports per target and point:
// calls/s, p50 and p99 latency of the correct answers, CPU per call
// (getrusage RUSAGE_SELF: everything runs in one process), bytes and
// allocations per call (runtime.MemStats), and each as a ratio to a
// baseline target measured in the same run.
//
// Answers lost to the go-micro transport (408 after its timeout),
// calls the client gave up on, and wrong answers are counted apart and
// never enter the latency percentiles.
//
// The targets (direct go-micro RPC, go-micro's gateway/mcp, tracegate off /
// anonymous / full policy) are wired in this package's tests, which need the
// testing helpers of the blog and the fake OAuth issuer: `make bench` runs
// the full harness (TestLoad with -load.full), `make test` a smoke run that
// asserts only correctness.
package load
