// Package jaeger holds end-to-end tests against a real Jaeger v2 (build tag
// e2e). Run them through scripts/jaeger.sh, which starts Jaeger on free
// loopback ports and tells the tests where it is:
//
//	scripts/jaeger.sh run -- go test -race -tags e2e -count=1 ./e2e/jaeger/...
package jaeger
