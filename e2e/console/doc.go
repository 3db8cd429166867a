// Package console is the end-to-end suite of the operator console (build
// tag e2e): the demo topology as processes (NATS dev registry, the blog
// services guarded by the gateway's identity, the dev authserver serving
// the console as a resource, the gateway with --console and a writable
// --config) exporting to the real Jaeger that scripts/jaeger.sh starts, and
// a real headless Chromium (Debian's chromium, scripts/deps.sh) driven by
// chromedp:
//
//	scripts/jaeger.sh run -- go test -race -tags e2e -count=1 ./e2e/console/...
//
// It signs in as an operator (authorization code + PKCE on the consent
// page), checks the Tools page, the live Decisions feed, a policy change
// that turns a 403 into a 200 through the guarded posts service and shows
// up in the audit trail, the Message page's calls and span tree from
// Jaeger, and the refusals: an anonymous browser, an MCP-audience token
// with tracegate:admin, a change without the CSRF token. Screenshots of
// every page go to $TRACEGATE_CONSOLE_SCREENSHOTS (default: a new
// directory under the system's temporary directory, logged).
package console
