# Every entry point of qualys-go. Longer recipes live in scripts/.
GO ?= go

.PHONY: all build generate verify test lint demo newcomer bench fuzz surface stress contract typescript

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

## test: every test, with the race detector
test:
	$(GO) test -race -count=1 ./...

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

## fuzz: each fuzz target for a short, fixed time
fuzz:
	scripts/fuzz.sh

## surface: pointer share of the generated models, exported types of gen/, exported identifiers of the wrapper
surface:
	$(GO) test -count=1 -run TestSurface -v ./internal/apisurface/ | grep -E 'pointer fields|exported|^(ok|FAIL|---)'

## stress: fault, stream and concurrency tests, -race -count=3, with a busy loop on every core
stress:
	scripts/stress.sh
