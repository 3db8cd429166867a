# shellcheck shell=bash
# Sourced by scripts/node.sh and scripts/inspector.sh: a pinned npm tree
# (package.json + package-lock.json in a repo folder) installed with `npm ci`
# into a cache directory outside the repo, keyed by the lock file so a pin
# change reinstalls. The caller sets `tag` (log prefix and cache name).
# Failures stop the caller (set -euo pipefail) with a message on stderr.
#
#   npm_dir SRC            print the cache directory for SRC
#   npm_install SRC WHAT SECS   install SRC's tree once (idempotent: a stamp
#                          file); SECS is what it took with an empty npm cache
#                          (docs/clients.md, "First run on a new machine")

npm_cache=${TRACEGATE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/tracegate}

log() { echo "${tag:?set tag before sourcing npmcache.sh}: $*" >&2; }

npm_dir() {
  echo "$npm_cache/$tag-$(cat "$1/package.json" "$1/package-lock.json" | sha256sum | cut -c1-12)"
}

npm_install() {
  local src=$1 what=$2 secs=$3 dir
  dir=$(npm_dir "$src")
  [ -f "$dir/.installed" ] && return
  command -v npm >/dev/null || { log "npm not found; install Node.js (any version) first"; exit 1; }
  log "installing $what into $dir (first time only: about $secs s with an empty npm cache, less with a warm one)..."
  local start=$SECONDS
  rm -rf "$dir.tmp"
  mkdir -p "$dir.tmp"
  cp "$src/package.json" "$src/package-lock.json" "$dir.tmp/"
  # --ignore-scripts: the trees need no install scripts; the npm in use may run
  # on Node < 22, which only warns (EBADENGINE) about the packages' engines.
  # The status is npm's (pipefail); sed only prefixes its non-empty lines.
  local code=0
  (cd "$dir.tmp" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error 2>&1) |
    sed -n "s/^.\+/$tag: npm: &/p" >&2 || code=$?
  if [ "$code" -ne 0 ]; then
    rm -rf "$dir.tmp"
    log "npm ci failed (exit $code); nothing was installed (npm's messages are above)"
    exit 1
  fi
  touch "$dir.tmp/.installed"
  rm -rf "$dir"
  mv "$dir.tmp" "$dir"
  log "installed in $((SECONDS - start)) s"
}
