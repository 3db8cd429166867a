#!/usr/bin/env bash
# Jaeger v2 for local runs and tests, built from the module pinned in jaeger/go.mod.
#
#   scripts/jaeger.sh build            build once into the cache, print the binary path
#   scripts/jaeger.sh run -- CMD ...   start Jaeger on free loopback ports, wait until
#                                      ready, run CMD with JAEGER_* set, stop Jaeger by PID
#   scripts/jaeger.sh serve            start on the default ports (4317/4318/16686) in the
#                                      foreground until Ctrl-C (used by make demo)
#   scripts/jaeger.sh engine           print what serve runs: "docker" or "local"
#
# serve runs the official image ($JAEGER_IMAGE, the real Jaeger UI) when a Docker
# engine answers (`docker info`), else the local build, which serves the query API
# but only a placeholder UI. JAEGER_ENGINE=auto (default), docker or local decides.
# Both use the same jaeger/config.yaml. `run` (the tests) always uses the local build.
#
# CMD sees: JAEGER_URL (query API/UI), JAEGER_OTLP_ENDPOINT (http://host:port, gRPC),
# JAEGER_LOG (Jaeger's output: the debug exporter prints every OTLP log record there).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cache=${TRACEGATE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/tracegate}
version=$(awk '$1 == "github.com/jaegertracing/jaeger" {print $2}' "$root/jaeger/go.mod")
bin="$cache/jaeger-$version"
# The Jaeger release that module version is: Jaeger v2 is published in the Go
# module github.com/jaegertracing/jaeger under v1 tags, 2.x.y as v1.(x+63).y
# (v1.63.0 = 2.0.0, v1.76.0 = 2.13.0; docker-compose.yml runs that image).
release=""
if [[ $version =~ ^v1\.([0-9]+)\.([0-9]+)$ ]] && [ "${BASH_REMATCH[1]}" -ge 63 ]; then
  release="Jaeger 2.$((BASH_REMATCH[1] - 63)).${BASH_REMATCH[2]}"
fi
# The image docker-compose.yml runs (e2e/compose checks they agree).
image=${JAEGER_IMAGE:-jaegertracing/jaeger:2.13.0}

# progress LOG TOTAL: appends stdin (go build -v: one package per line) to
# LOG and prints a line on stderr every 100 packages, "n/TOTAL" when TOTAL is
# known. It never fails on its own, so under pipefail the pipeline's status
# is go's.
progress() {
  local n=0 line
  while IFS= read -r line || [ -n "$line" ]; do
    printf '%s\n' "$line" >&3
    n=$((n + 1))
    if [ $((n % 100)) -eq 0 ]; then echo "jaeger: ... $n${2:+/$2} packages compiled" >&2; fi
  done 3>>"$1"
  return 0
}

build() {
  if [ -x "$bin" ]; then
    echo "$bin"
    return
  fi
  mkdir -p "$cache"
  command -v go >/dev/null || { echo "jaeger: go not found on PATH; install Go first" >&2; exit 1; }
  echo "jaeger: building ${release:-Jaeger} (Go module github.com/jaegertracing/jaeger $version, pinned in jaeger/go.mod)" >&2
  echo "jaeger: first time only: about 13 min on 2 cores with cold caches (measured 13 min 06 s), less with more cores" >&2
  local log="$cache/jaeger-$version.build.log" code=0 start=$SECONDS total pkg=github.com/jaegertracing/jaeger/cmd/jaeger
  rm -f "$bin.tmp"
  : >"$log"
  # The packages go build will compile (those not in Go's build cache), for
  # the progress lines: seconds (12 s with a cold build cache; it downloads
  # the modules the build would), and no total if it fails.
  total=$(cd "$root/jaeger" && go list -deps -f '{{if .Stale}}x{{end}}' "$pkg" 2>>"$log" | grep -c x) || total=""
  (cd "$root/jaeger" && go build -v -o "$bin.tmp" "$pkg" 2>&1) | progress "$log" "$total" || code=$?
  if [ "$code" -ne 0 ] || [ ! -x "$bin.tmp" ]; then
    rm -f "$bin.tmp"
    if [ "$code" -ne 0 ]; then
      echo "jaeger: build failed (go build exit $code); last lines of $log:" >&2
    else
      echo "jaeger: build failed: go build exited 0 but wrote no binary; last lines of $log:" >&2
    fi
    tail -20 "$log" | sed 's/^/jaeger:   /' >&2
    exit 1
  fi
  mv "$bin.tmp" "$bin"
  echo "jaeger: built $bin in $((SECONDS - start)) s" >&2
  echo "$bin"
}

free_port() {
  command -v python3 >/dev/null || { echo "jaeger: python3 not found (scripts/deps.sh installs it)" >&2; return 1; }
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

# docker_ready: a Docker engine answers (the CLI alone is not enough).
docker_ready() {
  command -v docker >/dev/null 2>&1 && timeout 20 docker info >/dev/null 2>&1
}

# engine prints "docker" or "local" for serve, following JAEGER_ENGINE.
engine() {
  case "${JAEGER_ENGINE:-auto}" in
  local) echo local ;;
  auto)
    if docker_ready; then echo docker; else echo local; fi
    ;;
  docker)
    if docker_ready; then
      echo docker
    else
      echo "jaeger: JAEGER_ENGINE=docker, but no Docker engine answers (docker info failed)" >&2
      return 1
    fi
    ;;
  *)
    echo "jaeger: JAEGER_ENGINE=${JAEGER_ENGINE}: want auto, docker or local" >&2
    return 1
    ;;
  esac
}

start() { # start LOGFILE: starts the local build in the background, sets $jaeger_pid
  local log=$1
  export JAEGER_LISTEN_HOST=127.0.0.1
  JAEGER_LISTEN_HOST=127.0.0.1 "$bin" --config "$root/jaeger/config.yaml" >"$log" 2>&1 &
  jaeger_pid=$!
  wait_ready "${JAEGER_HEALTH_PORT:-13133}" "${JAEGER_QUERY_PORT:-16686}" "$log" "$jaeger_pid"
}

# start_docker LOGFILE: runs the official image in the background with the same
# config, its ports published on 127.0.0.1 only; sets $jaeger_pid (the docker
# client, which forwards signals to the container) and $container.
start_docker() {
  local log=$1
  if ! docker image inspect "$image" >/dev/null 2>&1; then
    echo "jaeger: pulling $image (first time only)..." >&2
    docker pull -q "$image" >&2
  fi
  container="tracegate-jaeger-$$"
  docker run --rm --name "$container" -e JAEGER_LISTEN_HOST=0.0.0.0 \
    -v "$root/jaeger/config.yaml:/etc/jaeger/config.yaml:ro" \
    -p "127.0.0.1:${JAEGER_QUERY_PORT:-16686}:16686" -p "127.0.0.1:${JAEGER_OTLP_GRPC_PORT:-4317}:4317" \
    -p "127.0.0.1:${JAEGER_OTLP_HTTP_PORT:-4318}:4318" -p "127.0.0.1:${JAEGER_HEALTH_PORT:-13133}:13133" \
    "$image" --config /etc/jaeger/config.yaml >"$log" 2>&1 &
  jaeger_pid=$!
  wait_ready "${JAEGER_HEALTH_PORT:-13133}" "${JAEGER_QUERY_PORT:-16686}" "$log" "$jaeger_pid"
}

stop() {
  if [ -n "${jaeger_pid:-}" ] && kill -0 "$jaeger_pid" 2>/dev/null; then
    kill "$jaeger_pid" 2>/dev/null || true
    wait "$jaeger_pid" 2>/dev/null || true
  fi
  # The container this script started, should the client have gone first.
  if [ -n "${container:-}" ]; then docker rm -f "$container" >/dev/null 2>&1 || true; fi
}

case "${1:-}" in
build)
  build
  ;;
run)
  shift
  [ "${1:-}" = "--" ] && shift
  build >/dev/null
  # One assignment per port: `export X=$(free_port)` would hide a failure.
  for v in JAEGER_OTLP_GRPC_PORT JAEGER_OTLP_HTTP_PORT JAEGER_QUERY_PORT JAEGER_QUERY_GRPC_PORT JAEGER_HEALTH_PORT; do
    port=$(free_port)
    export "$v=$port"
  done
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
  mode=$(engine)
  log=${JAEGER_LOG:-$(mktemp "${TMPDIR:-/tmp}/tracegate-jaeger.XXXXXX.log")}
  trap 'stop' EXIT
  trap 'exit 130' INT TERM
  if [ "$mode" = docker ]; then
    start_docker "$log"
    echo "jaeger: pid $jaeger_pid, $image (UI and API) at http://127.0.0.1:${JAEGER_QUERY_PORT:-16686}, log $log" >&2
  else
    build >/dev/null
    start "$log"
    echo "jaeger: pid $jaeger_pid, local build (API only, no UI) at http://127.0.0.1:${JAEGER_QUERY_PORT:-16686}, log $log" >&2
  fi
  wait "$jaeger_pid"
  ;;
engine)
  engine
  ;;
*)
  sed -n '2,/^set /{/^#/p;}' "$0" >&2
  exit 2
  ;;
esac
