// Package scripts holds the tests of the shell scripts that `make demo` and
// `make test` run (jaeger.sh, node.sh, inspector.sh, tsclient.sh,
// npmcache.sh, demo.sh). They run each script's cold path, against an empty
// TRACEGATE_CACHE, with stand-in go, npm, node and docker commands on PATH
// that print any number of lines and succeed or fail on demand, and check
// that every script succeeds with a working result or fails with a message
// of its own under `set -euo pipefail`. demo.sh also runs to the end, with
// stand-ins for the binaries it builds: what it passes them, what it prints,
// and that SIGTERM leaves nothing running. There is no Go code here.
package scripts
