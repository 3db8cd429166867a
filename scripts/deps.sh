#!/usr/bin/env bash
# Installs the system packages the tests need, if missing: redis-server (the
# shared rate-limit tests start their own on 127.0.0.1), python3/curl used
# by scripts/jaeger.sh, haproxy for e2e/replicas and chromium for the
# console's browser tests. Idempotent; a second run does nothing.
set -euo pipefail

need=()
command -v redis-server >/dev/null 2>&1 || need+=(redis-server)
command -v curl >/dev/null 2>&1 || need+=(curl)
command -v python3 >/dev/null 2>&1 || need+=(python3)
# haproxy: the load balancer of e2e/replicas (run unprivileged on loopback;
# policy-rc.d below keeps the package from starting a system-wide one).
command -v haproxy >/dev/null 2>&1 || [ -x /usr/sbin/haproxy ] || need+=(haproxy)
# Headless Chromium for the console's browser tests (e2e/console, chromedp).
command -v chromium >/dev/null 2>&1 || need+=(chromium)
[ ${#need[@]} -eq 0 ] && exit 0

sudo=""
[ "$(id -u)" -ne 0 ] && sudo="sudo"
echo "deps: installing ${need[*]} (Debian packages)..." >&2
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
# policy-rc.d 101 keeps the packages from starting a system-wide Redis or HAProxy.
if [ -d /usr/sbin ] && [ ! -e /usr/sbin/policy-rc.d ]; then
  printf '#!/bin/sh\nexit 101\n' | $sudo tee /usr/sbin/policy-rc.d >/dev/null
  $sudo chmod +x /usr/sbin/policy-rc.d
  trap '$sudo rm -f /usr/sbin/policy-rc.d' EXIT
fi
$sudo apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
echo "deps: installed ${need[*]}" >&2
