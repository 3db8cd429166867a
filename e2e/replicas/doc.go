// Package replicas is the end-to-end test of scale-out (build tag e2e):
// three real `tracegate serve` processes behind the real load balancer
// (HAProxy from the Debian package, with the docker/haproxy.cfg compose
// uses: round-robin, no affinity), sharing Redis and a NATS registry,
// exporting to the Jaeger scripts/jaeger.sh starts:
//
//	scripts/jaeger.sh run -- go test -race -tags e2e -count=1 ./e2e/replicas/
//
// The official TypeScript SDK client keeps one 2025-11-25 session and raw
// 2026-07-28 calls run beside it while one replica is stopped with SIGTERM
// (drained: no call fails) and another is killed with SIGKILL (only calls
// in flight may fail; none is dispatched twice). It checks that the session
// continues without re-initializing, that a per-account limit holds across
// replicas, that every replica's audit chain verifies (the killed one as
// recovered after a crash) with one record per answered call, that each user
// message is one trace in Jaeger whichever replica served it, and that
// session ids from another deployment, tampered, expired, ended or bound to
// another principal are refused with 404 and audited.
package replicas
