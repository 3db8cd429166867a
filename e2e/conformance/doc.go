// Package conformance runs the official MCP conformance suite
// (@modelcontextprotocol/conformance, pinned in package-lock.json) against
// the gateway in front of the [fixture] service, for both protocol eras
// (2025-11-25 and 2026-07-28). The suite test needs the build tag e2e and
// Node tools installed by scripts/node.sh:
//
//	scripts/node.sh install
//	go test -race -tags e2e ./e2e/...
//
// Scenarios a tools gateway cannot serve (prompts, resources, sampling, …)
// are listed with a reason in expected-failures.yaml; any other failure, and
// any listed scenario that passes, fails the test.
//
// [fixture]: github.com/tracegate/tracegate/e2e/conformance/fixture
package conformance
