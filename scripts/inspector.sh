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
tag=inspector
# shellcheck source=scripts/npmcache.sh
. "$root/scripts/npmcache.sh"
dir=$(npm_dir "$src")
launcher="$dir/node_modules/@modelcontextprotocol/inspector/clients/launcher/build/index.js"

install() {
  npm_install "$src" "MCP Inspector" 45
  [ -f "$launcher" ] || { log "install failed: no $launcher"; exit 1; }
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
