# Every entry point of qualys-go. Longer recipes live in scripts/.
GO ?= go

.PHONY: all build generate verify test test-fast test-slow lint demo newcomer bench bench-store fuzz surface stress contract typescript

all: verify test

## build: the command-line tool, to bin/qualys
build:
	$(GO) build -o bin/qualys ./cmd/qualys

## generate: regenerate gen/car and gen/pcrs from spec/ with the pinned oapi-codegen
generate:
	$(GO) generate ./gen/...

## verify: regenerate into place and fail on any diff; validate the specs; vet and gofmt
verify:
	scripts/verify.sh

## test: every test, with the race detector (the store's slow ones last)
test: test-fast test-slow

# The store's slow tests: syncs killed with SIGKILL at random points end
# like clean ones; a sync's memory does not follow the posture's size.
SLOW_TESTS = ^(TestKilledSyncsEndLikeCleanOnes|TestSyncMemoryDoesNotGrowWithThePosture)$$

## test-fast: every test but the store's slow ones, with the race detector
test-fast:
	$(GO) test -race -count=1 -skip '$(SLOW_TESTS)' ./...

## test-slow: the store's slow tests alone (kill and memory)
test-slow:
	$(GO) test -race -count=1 -run '$(SLOW_TESTS)' ./posturestore/

## lint: spec validation, Redocly, Spectral, TypeScript reuse proof, vet, staticcheck, govulncheck
lint:
	scripts/lint.sh

## contract: generated clients and wrapper against Prism; the proxy's 200 MB memory figure
contract:
	scripts/contract.sh

## typescript: the TypeScript client's tests against qualys simulate
typescript:
	scripts/typescript.sh

## demo: builds bin/qualys and runs it against the bundled simulator, no credentials needed
demo: build
	scripts/demo.sh

## newcomer: about 20 first commands typed into a real terminal (tmux) at 80 and 200 columns
newcomer: build
	scripts/newcomer.sh

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

## stress: fault, stream and concurrency tests, -race -count=3, with a busy loop on every core
stress:
	scripts/stress.sh
