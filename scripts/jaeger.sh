#!/usr/bin/env bash
# Jaeger v2 for local runs and tests, built from the module pinned in jaeger/go.mod.
#
#   scripts/jaeger.sh build            build once into the cache, print the binary path
#   scripts/jaeger.sh run -- CMD ...   start Jaeger on free loopback ports, wait until
#                                      ready, run CMD with JAEGER_* set, stop Jaeger by PID
#   scripts/jaeger.sh serve            start on the default ports (4317/4318/16686) in the
#                                      foreground until Ctrl-C (used by make demo)
#
# CMD sees: JAEGER_URL (query API/UI), JAEGER_OTLP_ENDPOINT (http://host:port, gRPC),
# JAEGER_LOG (Jaeger's output: the debug exporter prints every OTLP log record there).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cache=${TRACEGATE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/tracegate}
version=$(awk '$1 == "github.com/jaegertracing/jaeger" {print $2}' "$root/jaeger/go.mod")
bin="$cache/jaeger-$version"

build() {
  if [ -x "$bin" ]; then
    echo "$bin"
    return
  fi
  mkdir -p "$cache"
  echo "jaeger: building Jaeger $version from jaeger/go.mod (first time only, ~5-10 min)..." >&2
  local n=0
  (cd "$root/jaeger" && go build -v -o "$bin.tmp" github.com/jaegertracing/jaeger/cmd/jaeger 2>&1) |
    while read -r _; do
      n=$((n + 1))
      if [ $((n % 100)) -eq 0 ]; then echo "jaeger: ... $n packages compiled" >&2; fi
    done
  [ -x "$bin.tmp" ] || { echo "jaeger: build failed" >&2; exit 1; }
  mv "$bin.tmp" "$bin"
  echo "jaeger: built $bin" >&2
  echo "$bin"
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

wait_ready() {
  local health=$1 query=$2 log=$3 pid=$4
  for _ in $(seq 1 150); do
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "jaeger: exited during start-up; its log:" >&2
      tail -30 "$log" >&2
      return 1
    fi
    if curl -fsS "http://127.0.0.1:$health/status" >/dev/null 2>&1 &&
      curl -fsS "http://127.0.0.1:$query/api/services" >/dev/null 2>&1; then
      return 0
    fi
    sleep 0.2
  done
  echo "jaeger: not ready after 30s; its log:" >&2
  tail -30 "$log" >&2
  return 1
}

start() { # start LOGFILE: starts Jaeger in the background, sets $jaeger_pid
  local log=$1
  export JAEGER_LISTEN_HOST=127.0.0.1
  JAEGER_LISTEN_HOST=127.0.0.1 "$bin" --config "$root/jaeger/config.yaml" >"$log" 2>&1 &
  jaeger_pid=$!
  wait_ready "${JAEGER_HEALTH_PORT:-13133}" "${JAEGER_QUERY_PORT:-16686}" "$log" "$jaeger_pid"
}

stop() {
  if [ -n "${jaeger_pid:-}" ] && kill -0 "$jaeger_pid" 2>/dev/null; then
    kill "$jaeger_pid" 2>/dev/null || true
    wait "$jaeger_pid" 2>/dev/null || true
  fi
}

case "${1:-}" in
build)
  build
  ;;
run)
  shift
  [ "${1:-}" = "--" ] && shift
  build >/dev/null
  export JAEGER_OTLP_GRPC_PORT=$(free_port) JAEGER_OTLP_HTTP_PORT=$(free_port)
  export JAEGER_QUERY_PORT=$(free_port) JAEGER_QUERY_GRPC_PORT=$(free_port) JAEGER_HEALTH_PORT=$(free_port)
  log=$(mktemp "${TMPDIR:-/tmp}/tracegate-jaeger.XXXXXX.log")
  trap 'stop; rm -f "$log"' EXIT
  trap 'exit 130' INT TERM
  start "$log"
  export JAEGER_URL="http://127.0.0.1:$JAEGER_QUERY_PORT"
  export JAEGER_OTLP_ENDPOINT="http://127.0.0.1:$JAEGER_OTLP_GRPC_PORT"
  export JAEGER_LOG="$log"
  echo "jaeger: pid $jaeger_pid, UI/API $JAEGER_URL, OTLP gRPC $JAEGER_OTLP_ENDPOINT" >&2
  "$@"
  ;;
serve)
  build >/dev/null
  log=${JAEGER_LOG:-$(mktemp "${TMPDIR:-/tmp}/tracegate-jaeger.XXXXXX.log")}
  trap 'stop' EXIT
  trap 'exit 130' INT TERM
  start "$log"
  echo "jaeger: pid $jaeger_pid, UI/API http://127.0.0.1:${JAEGER_QUERY_PORT:-16686}, log $log" >&2
  wait "$jaeger_pid"
  ;;
*)
  sed -n '2,12p' "$0" >&2
  exit 2
  ;;
esac
