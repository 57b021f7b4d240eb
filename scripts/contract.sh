#!/usr/bin/env bash
# Contract gates that need more than Go: the generated clients and the
# wrapper against Stoplight Prism serving each spec (pinned in
# lint/package-lock.json), and the proxy's memory figure over a 200 MB
# posture stream (the race detector, which make test uses, slows it too
# much for that size).
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -x lint/node_modules/.bin/prism ]; then
	echo "== npm ci (pinned Prism)"
	(cd lint && npm ci --no-audit --no-fund --loglevel=error)
fi

echo "== Prism mock: every operation through the generated clients and the wrapper"
go test -tags prism -count=1 -v ./contract_test/prism/ 2>&1 | grep -Ev '^=== (RUN|PAUSE|CONT)' | grep -Ev '^    --- PASS' || exit 1

echo "== specproxy: memory over a 200 MB posture stream"
go test -count=1 -v -run '^TestMemoryFlatOverLargePosture$' ./internal/specproxy/

echo "contract: ok"
