// Package gateway_test is the gateway's end-to-end suite against a real
// Jaeger (run by `make test` through scripts/jaeger.sh): one trace from an
// agent's span through the gateway into the blog services, the policy
// decisions and audit records as span logs and OTLP log records, and
// `tracegate audit search` reading them back.
package gateway_test
