#!/usr/bin/env bash
# The official MCP TypeScript SDK (@modelcontextprotocol/sdk) for the e2e/tsclient
# tests, installed with `npm ci` from e2e/tsclient/package{,-lock}.json into a cache
# directory outside the repo (keyed by the lock file, so a pin change reinstalls). The
# client script e2e/tsclient/client.mjs runs on the Node 22 from scripts/node.sh.
#
#   scripts/tsclient.sh install      install once (idempotent; later runs only check a stamp)
#   scripts/tsclient.sh dir          install if needed, print the install directory
#   scripts/tsclient.sh run ARGS     run `node e2e/tsclient/client.mjs ARGS` with the SDK
#
# Progress goes to stderr.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
src="$root/e2e/tsclient"
tag=tsclient
# shellcheck source=scripts/npmcache.sh
. "$root/scripts/npmcache.sh"
dir=$(npm_dir "$src")
sdk="$dir/node_modules/@modelcontextprotocol/sdk/package.json"

install() {
  npm_install "$src" "the MCP TypeScript SDK" 30
  [ -f "$sdk" ] || { log "install failed: no $sdk"; exit 1; }
}

cmd=${1:-install}
[ $# -gt 0 ] && shift
case "$cmd" in
install)
  install
  node=$("$root/scripts/node.sh" node)
  # The SDK's exports map hides its package.json from require(); read the file.
  log "ready: @modelcontextprotocol/sdk $("$node" -p 'JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).version' "$sdk" 2>/dev/null || echo '?') on node $("$node" --version)"
  ;;
dir)
  install
  echo "$dir"
  ;;
run)
  install
  node=$("$root/scripts/node.sh" node)
  # ES modules resolve packages from the script's own folder (NODE_PATH
  # does not apply), so the script runs from a copy in the install directory.
  cp "$src/client.mjs" "$dir/client.mjs"
  exec "$node" "$dir/client.mjs" "$@"
  ;;
*)
  echo "usage: $0 install|dir|run ARGS..." >&2
  exit 2
  ;;
esac
