// Package audit checks the audit trail's witness against the real Jaeger
// that `make test` starts (scripts/jaeger.sh run): checkpoint spans
// published through a tracer provider that samples nothing else reach
// Jaeger, and `tracegate audit verify --witness` finds a file cut before
// its last checkpoints.
package audit
