#!/usr/bin/env bash
# The tracegate demo as local processes (no Docker): what `make demo` runs.
#
#   Jaeger (scripts/jaeger.sh), a loopback NATS registry (devregistry), the
#   blog services users/posts/comments, the DEV-ONLY authserver and the
#   gateway; then the agent handles one user message and prints its trace.
#   Everything stays up until Ctrl-C or SIGTERM, which stops every process
#   this script started, by PID, and exits 0. Under make, send SIGTERM to
#   make (it passes SIGTERM on, not SIGINT) or to this script.
#
# Binaries are built into $DEMO_BIN_DIR (Go's build cache makes a second run
# take seconds); logs, PIDs, keys and the audit log live in $DEMO_STATE_DIR.
# The audit chain is keyed: audit.mac (tracegate keygen --mac-out) and the
# checkpoint key pair audit-key.pem are made once and kept; the summary
# prints the `tracegate audit verify` command that checks the log with both
# keys and Jaeger as the witness of its checkpoints.
#
# Trace links (the agent's "jaeger:" line, audit search's TRACE URL, the
# console's Jaeger links) go to the Jaeger UI when Jaeger runs from its
# official image; the local build's UI is a placeholder page, so they go to
# its API instead ($jaeger/api/v3/traces/<trace id>: the trace as JSON).
# The gateway's configuration is docker/gateway.yaml, as under docker compose,
# copied to $DEMO_STATE_DIR/gateway.yaml at each start: the console writes
# policy changes back to that copy (never to the repository's file).
# Everything listens on 127.0.0.1 only.
#
# Environment (all optional):
#   DEMO_STATE_DIR      state directory          (default $cache/demo)
#   DEMO_BIN_DIR        binaries                 (default $cache/bin)
#   DEMO_GATEWAY_PORT   gateway                  (8080)
#   DEMO_AUTH_PORT      authserver               (9090)
#   DEMO_NATS_PORT      NATS registry            (4222)
#   JAEGER_QUERY_PORT, JAEGER_OTLP_GRPC_PORT, JAEGER_OTLP_HTTP_PORT,
#   JAEGER_QUERY_GRPC_PORT, JAEGER_HEALTH_PORT  Jaeger (16686, 4317, 4318, 16685, 13133)
#   DEMO_JAEGER_URL + DEMO_OTLP_ENDPOINT        use a Jaeger that already runs
#                                               (e.g. http://127.0.0.1:16686 + http://127.0.0.1:4317)
#   DEMO_JAEGER_UI_URL  where trace links go: a Jaeger UI base URL, or a URL with
#                       {trace_id} (default: see above; with DEMO_JAEGER_URL, that URL)
#   DEMO_MESSAGE        the user message for the agent
#   DEMO_AGENT=0        start the stack without running the agent
#   JAEGER_ENGINE       auto (default: the official image when a Docker engine
#                       answers, else the local build, which has no UI), docker, local
# where $cache is ${TRACEGATE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/tracegate}.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cache=${TRACEGATE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/tracegate}
state=${DEMO_STATE_DIR:-$cache/demo}
bin=${DEMO_BIN_DIR:-$cache/bin}
gw_port=${DEMO_GATEWAY_PORT:-8080}
auth_port=${DEMO_AUTH_PORT:-9090}
nats_port=${DEMO_NATS_PORT:-4222}
export JAEGER_QUERY_PORT=${JAEGER_QUERY_PORT:-16686}
export JAEGER_OTLP_GRPC_PORT=${JAEGER_OTLP_GRPC_PORT:-4317}
export JAEGER_OTLP_HTTP_PORT=${JAEGER_OTLP_HTTP_PORT:-4318}
export JAEGER_QUERY_GRPC_PORT=${JAEGER_QUERY_GRPC_PORT:-16685}
export JAEGER_HEALTH_PORT=${JAEGER_HEALTH_PORT:-13133}
jaeger_url=${DEMO_JAEGER_URL:-http://127.0.0.1:$JAEGER_QUERY_PORT}
otlp=${DEMO_OTLP_ENDPOINT:-http://127.0.0.1:$JAEGER_OTLP_GRPC_PORT}
gw_url="http://127.0.0.1:$gw_port/mcp"
auth_url="http://127.0.0.1:$auth_port"
nats_url="nats://127.0.0.1:$nats_port"

log() { echo "demo: $*" >&2; }

# --- processes ---------------------------------------------------------------
names=()
pids=()

# start NAME CMD...: runs CMD in the background, output to $state/NAME.log.
start() {
  local name=$1
  shift
  "$@" >"$state/$name.log" 2>&1 &
  names+=("$name")
  pids+=($!)
  echo "$name $!" >>"$state/pids"
  log "started $name (pid $!, log $state/$name.log)"
}

# stop_all stops what start started, newest first: SIGTERM, then SIGKILL
# after 10 s. Only PIDs this script started, never by name.
stop_all() {
  local i pid n
  for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
    pid=${pids[$i]}
    kill -0 "$pid" 2>/dev/null || continue
    kill -TERM "$pid" 2>/dev/null || true
    for ((n = 0; n < 100; n++)); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
      log "${names[$i]} (pid $pid) ignored SIGTERM; killing it"
      kill -KILL "$pid" 2>/dev/null || true
    fi
    wait "$pid" 2>/dev/null || true
  done
}

exiting=0
on_exit() {
  local code=$? rest
  set +e # cleanup runs to the end, whatever fails
  [ "$exiting" = 1 ] && return
  exiting=1
  trap - INT TERM
  if [ "${#pids[@]}" -gt 0 ]; then
    log "stopping ${#pids[@]} processes..."
    stop_all
    log "stopped"
  fi
  # What is left is the idle sleep (see the end), ours while jobs lists it
  # (a child not yet waited for keeps its PID).
  rest=$(jobs -p)
  if [ -n "$rest" ]; then
    # shellcheck disable=SC2086 # one PID per word
    kill $rest 2>/dev/null
    wait 2>/dev/null
  fi
  exit "$code"
}
trap on_exit EXIT
trap 'exit 0' INT TERM

# --- checks ------------------------------------------------------------------
listening() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# wait_for WHAT SECONDS CMD...: polls CMD every 0.2 s; fails showing the log
# of the newest process when it does not succeed in time or that process
# exits.
wait_for() {
  local what=$1 secs=$2 n last=$((${#pids[@]} - 1))
  shift 2
  for ((n = 0; n < secs * 5; n++)); do
    "$@" >/dev/null 2>&1 && return 0
    if [ "$last" -ge 0 ] && ! kill -0 "${pids[$last]}" 2>/dev/null; then
      log "${names[$last]} exited while waiting for $what; its log:"
      tail -20 "$state/${names[$last]}.log" >&2
      exit 1
    fi
    sleep 0.2
  done
  log "$what not ready after ${secs}s; log of ${names[$last]}:"
  tail -20 "$state/${names[$last]}.log" >&2
  exit 1
}

ports=("$gw_port:DEMO_GATEWAY_PORT" "$auth_port:DEMO_AUTH_PORT" "$nats_port:DEMO_NATS_PORT")
if [ -z "${DEMO_JAEGER_URL:-}" ]; then
  ports+=("$JAEGER_QUERY_PORT:JAEGER_QUERY_PORT" "$JAEGER_OTLP_GRPC_PORT:JAEGER_OTLP_GRPC_PORT"
    "$JAEGER_OTLP_HTTP_PORT:JAEGER_OTLP_HTTP_PORT" "$JAEGER_QUERY_GRPC_PORT:JAEGER_QUERY_GRPC_PORT"
    "$JAEGER_HEALTH_PORT:JAEGER_HEALTH_PORT")
fi
for p in "${ports[@]}"; do
  if listening "${p%%:*}"; then
    log "127.0.0.1:${p%%:*} is in use (another demo still running?); free it or set ${p#*:}"
    exit 1
  fi
done

mkdir -p "$state" "$bin"
: >"$state/pids"

# --- Jaeger: the official image (real UI) when a Docker engine answers ------
# Otherwise the local build, which serves the query API but no real UI.
console_url="http://127.0.0.1:$gw_port/console"
jaeger_engine=external
jaeger_ui=$jaeger_url # where trace links go (see the header)
if [ -z "${DEMO_JAEGER_URL:-}" ]; then
  jaeger_engine=$("$root/scripts/jaeger.sh" engine)
  if [ "$jaeger_engine" = docker ]; then
    log "a Docker engine answers: Jaeger runs from its official image, with the real UI at $jaeger_url"
  else
    jaeger_ui="$jaeger_url/api/v3/traces/{trace_id}"
    log "no Docker engine answers: Jaeger runs from the local build, which has NO UI (only its API at $jaeger_url);"
    log "the agent prints the trace tree here, and the tracegate console is at $console_url;"
    log "trace links go to Jaeger's API: $jaeger_ui"
  fi
fi
jaeger_ui=${DEMO_JAEGER_UI_URL:-$jaeger_ui}

# --- build -------------------------------------------------------------------
log "building binaries into $bin ..."
t0=$SECONDS
if ! (cd "$root" && go build -o "$bin/" ./cmd/tracegate ./examples/authserver/cmd/authserver \
  ./examples/blog/cmd/users ./examples/blog/cmd/posts ./examples/blog/cmd/comments \
  ./examples/agent/cmd/agent ./examples/agent/cmd/devregistry); then
  log "building the binaries failed (go's messages are above)"
  exit 1
fi
log "built in $((SECONDS - t0)) s"
if [ "$jaeger_engine" = local ]; then
  "$root/scripts/jaeger.sh" build >/dev/null # progress on stderr; about 13 min on 2 cores, the first time only
fi
for k in audit-key identity-key; do
  [ -f "$state/$k.pem" ] && continue
  "$bin/tracegate" keygen --out "$state/$k.pem" >"$state/keygen.log" 2>&1 || { cat "$state/keygen.log" >&2; exit 1; }
done
# The secret keying the audit chain (--audit-mac-key). A log written without
# one (by an older demo) is moved aside: a keyed log starts afresh, and the
# printed verify command checks it alone.
if [ ! -f "$state/audit.mac" ]; then
  if [ -e "$state/audit.jsonl" ]; then
    aside="$state/unkeyed-audit-$(date +%Y%m%d-%H%M%S)"
    mkdir -p "$aside"
    mv "$state"/audit*.jsonl "$aside/"
    log "moved the audit log written without a MAC key to $aside"
  fi
  "$bin/tracegate" keygen --mac-out "$state/audit.mac" >"$state/keygen.log" 2>&1 || { cat "$state/keygen.log" >&2; exit 1; }
fi

# --- start -------------------------------------------------------------------
export OTEL_EXPORTER_OTLP_ENDPOINT=$otlp OTEL_METRICS_EXPORTER=none
export OTEL_BSP_SCHEDULE_DELAY=500 OTEL_BLRP_SCHEDULE_DELAY=500 # quick to show up in Jaeger
unset OTEL_SERVICE_NAME OTEL_RESOURCE_ATTRIBUTES MICRO_REGISTRY MICRO_REGISTRY_ADDRESS MICRO_SERVER_ADDRESS

start devregistry "$bin/devregistry" --addr "127.0.0.1:$nats_port"
wait_for "the NATS registry" 10 listening "$nats_port"

if [ -z "${DEMO_JAEGER_URL:-}" ]; then
  JAEGER_ENGINE=$jaeger_engine JAEGER_LOG="$state/jaeger-output.log" start jaeger "$root/scripts/jaeger.sh" serve
  # jaeger.sh prints the PID of the binary (or of the docker client) once
  # Jaeger is ready; note it too. The first docker run pulls the image.
  jaeger_wait=60
  if [ "$jaeger_engine" = docker ]; then jaeger_wait=900; fi
  wait_for "Jaeger" "$jaeger_wait" grep -q '^jaeger: pid' "$state/jaeger.log"
  jpid=$(sed -n 's/^jaeger: pid \([0-9]*\),.*/\1/p;T;q' "$state/jaeger.log")
  echo "jaeger-binary $jpid" >>"$state/pids"
else
  wait_for "Jaeger at $jaeger_url" 10 curl -fsS "$jaeger_url/api/services"
fi

start authserver "$bin/authserver" --addr "127.0.0.1:$auth_port" --issuer "$auth_url" --audience "$gw_url" \
  --resources "$console_url=tracegate:admin"
wait_for "the authserver" 20 curl -fsS "$auth_url/healthz"

cp "$root/docker/gateway.yaml" "$state/gateway.yaml"
start gateway "$bin/tracegate" serve --addr "127.0.0.1:$gw_port" --config "$state/gateway.yaml" \
  --console-jaeger-url "$jaeger_url" --console-jaeger-ui-url "$jaeger_ui" \
  --registry nats --registry_address "$nats_url" \
  --auth-issuer "$auth_url" --auth-resource "$gw_url" \
  --audit-file "$state/audit.jsonl" --audit-key "$state/audit-key.pem" --audit-mac-key "$state/audit.mac" \
  --identity-key "$state/identity-key.pem"
wait_for "the gateway" 30 "$bin/tracegate" healthcheck --url "http://127.0.0.1:$gw_port/healthz"

# The services after the gateway: it discovers them as they register, and
# they fetch its identity JWKS on their first call.
jwks="http://127.0.0.1:$gw_port/.well-known/tracegate/jwks.json"
for svc in users posts comments; do
  start "$svc" "$bin/$svc" --registry nats --registry_address "$nats_url" --identity-jwks "$jwks"
done

# --- the agent ---------------------------------------------------------------
msg_id="" trace_id="" agent_status=skipped
if [ "${DEMO_AGENT:-1}" != 0 ]; then
  log "running the agent (one user message -> one trace)..."
  echo
  set +e
  "$bin/agent" --gateway "$gw_url" --auth "$auth_url" --jaeger "$jaeger_url" --jaeger-ui "$jaeger_ui" \
    ${DEMO_MESSAGE:+--message "$DEMO_MESSAGE"} 2>&1 | grep --line-buffered -v 'SECURITY WARNING' | tee "$state/agent.log"
  agent_code=${PIPESTATUS[0]}
  set -e
  echo
  agent_status="exit $agent_code"
  # sed prints the first match and quits (no `| head -1`: a SIGPIPE under
  # pipefail would stop the script).
  msg_id=$(sed -n 's/^message id: \(msg-[0-9a-f]*\).*/\1/p;T;q' "$state/agent.log")
  trace_id=$(sed -n 's/^trace id: *\([0-9a-f]*\).*/\1/p;T;q' "$state/agent.log")
  [ "$agent_code" = 0 ] || log "the agent failed ($agent_status); its output is in $state/agent.log"
fi

# trace_link ID: the link to trace ID, as the agent, audit search and the
# console make it from $jaeger_ui.
trace_link() {
  local placeholder="{trace_id}"
  if [[ $jaeger_ui == *"$placeholder"* ]]; then
    echo "${jaeger_ui//"$placeholder"/$1}"
  else
    echo "${jaeger_ui%/}/trace/$1"
  fi
}
ui_flag="" # --jaeger-ui for the commands below, when links do not go to --jaeger's UI
[ "$jaeger_ui" = "$jaeger_url" ] || ui_flag=" --jaeger-ui '$jaeger_ui'"
if [ "$jaeger_engine" = local ]; then
  jaeger_lines="  Jaeger          $jaeger_url   API only: the local Jaeger build has NO UI
                  (with a Docker engine, make demo runs the official image and its UI).
                  The trace tree is printed above; the tracegate console: $console_url
  trace links     to Jaeger's API, the trace as JSON (its UI is a placeholder page):
                  the agent's jaeger: line, audit search's TRACE URL, the console's Jaeger links${trace_id:+
  the trace       $(trace_link "$trace_id")
                  as a span tree in the console: $console_url/message?q=$trace_id}"
else
  jaeger_lines="  Jaeger UI       $jaeger_url   (trace links go to it)${trace_id:+
  the trace       $(trace_link "$trace_id")}"
fi

cat <<EOF
================================================================================
tracegate demo: ready (agent: $agent_status). Everything runs until Ctrl-C here,
or SIGTERM from another shell: kill -TERM $$ (this script), or make's PID under make
(make passes SIGTERM on, not SIGINT).

$jaeger_lines
  gateway (MCP)   $gw_url   (MCP clients: docs/clients.md)
  console         $console_url   (sign in as demo-user, or: admin-agent's token for resource $console_url)
  authserver      $auth_url   (DEV ONLY; token endpoint $auth_url/token)
  clients         demo-agent / demo-secret    scopes blog:read blog:write
                  admin-agent / admin-secret  also blog:admin, and tracegate:admin for the console
                  MCP clients sign in as demo-user on a consent page (blog:read, blog:write)
  logs            $state/*.log
  audit log       $state/audit.jsonl   (keyed with $state/audit.mac, checkpoints signed with $state/audit-key.pem)

Try:
  OTEL_EXPORTER_OTLP_ENDPOINT=$otlp \\
    $bin/agent --gateway $gw_url --auth $auth_url --jaeger $jaeger_url${ui_flag} \\
      --message "Publish a post titled 'Second post' as alice and add a comment"
  $bin/tracegate audit search --jaeger $jaeger_url${ui_flag} --intent ${msg_id:-<message id>}
  $bin/tracegate audit search --jaeger $jaeger_url${ui_flag} --decision deny
  $bin/tracegate audit verify --key $state/audit-key.pub.pem --mac-key $state/audit.mac \\
      --witness $jaeger_url $state/audit.jsonl
  TOKEN=\$(curl -s -u demo-agent:demo-secret -d grant_type=client_credentials -d intent=my-intent \\
      -d resource=$gw_url $auth_url/token | sed -n 's/.*"access_token":"\([^"]*\)".*/\1/p')
  scripts/inspector.sh cli $gw_url --method tools/list --header "Authorization: Bearer \$TOKEN"
================================================================================
EOF
log "ready"

# Keep running until a signal; the EXIT trap stops everything. The wait is
# short because bash defers a trap whose signal arrives just before wait
# blocks until that wait returns; the sleep does not hold this script's
# output open (make's, or a caller's pipe).
while :; do
  sleep 1 >/dev/null 2>&1 &
  wait "$!" || true
done
