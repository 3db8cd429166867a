// Package demo is the end-to-end suite of the demo topology as local
// processes (build tag e2e): the binaries are built once, then the NATS dev
// registry, the blog services, the dev authserver, the gateway and the
// agent run as separate processes on free 127.0.0.1 ports, exporting OTLP to
// the real Jaeger that scripts/jaeger.sh starts for the tests:
//
//	scripts/jaeger.sh run -- go test -race -tags e2e -count=1 ./e2e/demo/...
//
// It checks that one user message is one trace in Jaeger, with the exact
// span tree from the agent through the gateway into the services, the
// gateway's decision and audit span logs, a denied call that never reaches
// a service, and `tracegate audit search --intent` listing exactly that
// message's calls; and that scripts/demo.sh stops every process it started
// on SIGTERM and exits 0.
package demo
