#!/usr/bin/env bash
# scripts/fuzz.sh FUZZTIME PKG:Fuzzer ...
#
# Runs each fuzzer for FUZZTIME under -race (make fuzz). A fuzzer that finds
# a failing input fails the run (go writes the input to testdata/fuzz/).
# One failure is not ours and is retried, at most twice per fuzzer: Go
# 1.26's fuzzing coordinator can report its own -fuzztime deadline as
# "context deadline exceeded" without any failing input (golang/go#75804,
# fixed in Go 1.27); that output, and only that, is retried.
set -euo pipefail
GO=${GO:-go}
fuzztime=${1:?usage: scripts/fuzz.sh FUZZTIME PKG:Fuzzer ...}
shift
for target in "$@"; do
  pkg=${target%%:*} name=${target#*:}
  for attempt in 1 2 3; do
    echo "fuzz: $name in $pkg ($fuzztime, attempt $attempt)"
    status=0
    out=$("$GO" test -race -run '^$' -fuzz "^$name\$" -fuzztime "$fuzztime" -fuzzminimizetime 2s "$pkg" 2>&1) || status=$?
    printf '%s\n' "$out" | grep -v '^fuzz: elapsed' || true
    [ "$status" = 0 ] && break
    if [ "$attempt" -lt 3 ] && grep -q 'context deadline exceeded' <<<"$out" && ! grep -q 'Failing input written to' <<<"$out"; then
      echo "fuzz: $name: Go's fuzzing coordinator reported its own deadline, no failing input (golang/go#75804); retrying" >&2
      continue
    fi
    echo "fuzz: $name failed (exit $status)" >&2
    exit "$status"
  done
done
