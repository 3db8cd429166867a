# tracegate — the README's two commands: `make demo` and `make test`.
GO      ?= go
FUZZ    ?= 15s
E2E     ?= ./e2e/...

.PHONY: test deps vet unit fuzz e2e demo bench

## test: everything CI runs — system deps, vet, unit tests (-race), short
## fuzzing, then the end-to-end suites against a real Jaeger started here.
test: deps vet unit fuzz e2e

deps:
	scripts/deps.sh
	scripts/node.sh install
	scripts/inspector.sh install
	scripts/tsclient.sh install

vet:
	$(GO) vet ./...
	$(GO) vet -tags e2e ./...

unit:
	$(GO) test -race -count=1 ./...
	# memory bounds are measured without the race detector (it multiplies allocations)
	$(GO) test -count=1 -run '^TestMemory' ./gateway/
	cd e2e/peer && $(GO) vet ./... && $(GO) test -race -count=1 ./...

# package:Fuzzer pairs, one short run each: every security invariant that has a
# fuzzer (front door, request accounting, guard, audit verify, session ids,
# console CSRF and redirects, the dev authserver's redirect rule) plus parsers.
FUZZERS = ./telemetry/:FuzzExtract \
	./gateway/:FuzzRequestPath ./gateway/:FuzzFrontDoor ./gateway/:FuzzAttackEveryRequestAccounted \
	./gateway/:FuzzSessionIDOpen ./gateway/internal/wire/:FuzzParse \
	./gateway/guard/:FuzzGuardAcceptsOnlyWhatWasSigned ./gateway/audit/:FuzzVerifyDetectsAnyEdit \
	./gateway/console/:FuzzChangeNeedsCSRF ./gateway/console/:FuzzSafeNext \
	./examples/authserver/:FuzzRedirectMatches

fuzz:
	GO=$(GO) scripts/fuzz.sh $(FUZZ) $(FUZZERS)

e2e:
	scripts/jaeger.sh run -- $(GO) test -race -count=1 -tags e2e $(E2E)

## demo: Jaeger, a loopback NATS registry, the blog services, the dev
## authserver and the gateway as local processes; runs the agent, prints the
## trace, keeps the stack up until Ctrl-C.
demo:
	scripts/demo.sh

## bench: the benchmarks behind docs/benchmarks.md (e2e/peer is a module of
## its own: go-micro's gateway/mcp, the peer, needs gorilla/websocket).
bench:
	$(GO) test -run '^$$' -bench . -benchmem -benchtime 2s ./gateway/ ./gateway/policy/ ./gateway/audit/
	cd e2e/peer && $(GO) test -run '^$$' -bench . -benchmem -benchtime 2s .
# throughput harness (issue 13.5): closed 8/32/64 callers, open 200/500/1,000 calls/s, 5 s a point, GC as `tracegate serve` sets it; then 10,000 open 2025-11-25 sessions on a real `tracegate serve` (RSS)
	cd e2e/peer && GOGC=400 GOMEMLIMIT=1GiB $(GO) test -count=1 -timeout 15m -run '^(TestLoad|TestSessionMemory)$$' -v ./load/ -args -load.full
# lost answers (issue 10): the regression check under -race, then the cost of each connection mode
	$(GO) test -race -run '^$$' -bench '^BenchmarkLostAnswers$$' -benchmem -benchtime 10000x ./examples/blog/svc/
	$(GO) test -run '^$$' -bench '^BenchmarkLostAnswers$$' -benchmem -benchtime 10000x ./examples/blog/svc/
