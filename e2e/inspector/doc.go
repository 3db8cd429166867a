// Package inspector runs the official MCP Inspector CLI
// (@modelcontextprotocol/inspector, pinned in package.json and
// package-lock.json here, installed by scripts/inspector.sh) against a
// gateway in front of the blog, as a real third-party client (build tag
// e2e):
//
//	scripts/jaeger.sh run -- go test -race -tags e2e -count=1 ./e2e/inspector/...
//
// tools/list and tools/call succeed with a bearer token from the dev
// authserver in both protocol eras; without a token, or with a bad one, the
// CLI exits with its auth_required status (3).
package inspector
