// Package tsclient runs the official MCP TypeScript SDK client
// (@modelcontextprotocol/sdk, pinned in package.json and package-lock.json
// here, installed by scripts/tsclient.sh, run on the Node 22 from
// scripts/node.sh) through the whole MCP authorization discovery against a
// local topology (build tag e2e): the dev authserver, the gateway and the
// blog services, in process on 127.0.0.1.
//
//	scripts/jaeger.sh run -- go test -race -tags e2e -count=1 ./e2e/tsclient/...
//
// client.mjs is the scripted client: the SDK does the OAuth work (401,
// RFC 9728 protected resource metadata, RFC 8414 authorization server
// metadata, client credentials or the authorization code flow with PKCE
// after registering itself through a Client ID Metadata Document or
// RFC 7591), and the script plays the browser for the consent page with
// plain HTTP. The tests check the order of that discovery, that the
// least-privileged client lists and calls tools, and the 403 step-up path.
package tsclient
