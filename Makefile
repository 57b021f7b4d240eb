# Every entry point of qualys-go. Longer recipes live in scripts/.
GO ?= go

.PHONY: all generate verify test test-short test-slow lint demo bench bench-store fuzz surface

all: verify test

## generate: regenerate gen/car and gen/pcrs from spec/ with the pinned oapi-codegen
generate:
	$(GO) generate ./gen/...

## verify: regenerate into place and fail on any diff; validate the specs; vet and gofmt
verify:
	scripts/verify.sh

## test: every test, with the race detector
test:
	$(GO) test -race -count=1 ./...

## test-short: every test but the slow ones (the store's kill and memory tests), with the race detector
test-short:
	$(GO) test -race -count=1 -short ./...

## test-slow: the store's slow tests: syncs killed with SIGKILL at random points end like clean ones; memory does not follow the posture's size
test-slow:
	$(GO) test -race -count=1 -run 'Kill|Memory' ./posturestore/

## lint: spec validation, Redocly, Spectral, TypeScript reuse proof, vet, staticcheck, govulncheck
lint:
	scripts/lint.sh

## demo: the CLI against the bundled simulator, no credentials needed
demo:
	scripts/demo.sh

## bench: streaming posture benchmarks, reported as ratios against the generated path
bench:
	scripts/bench.sh

## bench-store: records per second into SQLite and PostgreSQL against the simulator, next to decoding alone
bench-store:
	scripts/bench-store.sh

## fuzz: each fuzz target for a short, fixed time
fuzz:
	scripts/fuzz.sh

## surface: pointer share of the generated models, exported types of gen/, exported identifiers of the wrapper
surface:
	$(GO) test -count=1 -run TestSurface -v ./internal/apisurface/ | grep -E 'pointer fields|exported|^(ok|FAIL|---)'
