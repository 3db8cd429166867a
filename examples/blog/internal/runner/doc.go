// Package runner is the shared body of the blog binaries: [ParseFlags] reads
// the registry and address flags (with MICRO_* environment defaults) and
// [Run] serves one service until its context ends, then deregisters it and
// flushes telemetry.
package runner
