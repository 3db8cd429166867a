#!/usr/bin/env bash
# MCP Inspector (@modelcontextprotocol/inspector) for the e2e tests, installed
# with `npm ci` from e2e/inspector/package{,-lock}.json into a cache directory
# outside the repo (keyed by the lock file, so a pin change reinstalls). It
# needs Node >= 22.19, which comes from scripts/node.sh.
#
#   scripts/inspector.sh install    install once (idempotent; later runs only check a stamp)
#   scripts/inspector.sh dir        install if needed, print the install directory
#   scripts/inspector.sh cli ARGS   run `mcp-inspector --cli ARGS` with that node
#
# Progress goes to stderr.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
src="$root/e2e/inspector"
cache=${TRACEGATE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/tracegate}
key=$(cat "$src/package.json" "$src/package-lock.json" | sha256sum | cut -c1-12)
dir="$cache/inspector-$key"
launcher="$dir/node_modules/@modelcontextprotocol/inspector/clients/launcher/build/index.js"

log() { echo "inspector.sh: $*" >&2; }

install() {
  if [ -f "$dir/.installed" ]; then
    return
  fi
  command -v npm >/dev/null || { log "npm not found; install Node.js (any version) first"; exit 1; }
  log "installing MCP Inspector into $dir (first time only, ~20 s)..."
  local start=$SECONDS
  rm -rf "$dir.tmp"
  mkdir -p "$dir.tmp"
  cp "$src/package.json" "$src/package-lock.json" "$dir.tmp/"
  # --ignore-scripts: the package's postinstall only installs the clients of
  # a source checkout; the published CLI needs no install script. The npm in
  # use may run on Node < 22, which only warns (EBADENGINE).
  (cd "$dir.tmp" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error 2>&1) | sed -n "s/^.\+/inspector.sh: npm: &/p" >&2
  [ -f "$dir.tmp/${launcher#"$dir/"}" ] || { log "install failed: no $launcher"; exit 1; }
  touch "$dir.tmp/.installed"
  rm -rf "$dir"
  mv "$dir.tmp" "$dir"
  log "installed in $((SECONDS - start)) s"
}

cmd=${1:-install}
[ $# -gt 0 ] && shift
case "$cmd" in
install)
  install
  node=$("$root/scripts/node.sh" node)
  log "ready: MCP Inspector $("$node" "$launcher" --version 2>/dev/null || echo '?') on node $("$node" --version)"
  ;;
dir)
  install
  echo "$dir"
  ;;
cli)
  install
  node=$("$root/scripts/node.sh" node)
  exec "$node" "$launcher" --cli "$@"
  ;;
*)
  echo "usage: $0 install|dir|cli ARGS..." >&2
  exit 2
  ;;
esac
