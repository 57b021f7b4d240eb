#!/usr/bin/env bash
# Runs every Go fuzz target of the module, one at a time, for FUZZTIME each
# (default 10s; CI uses 5s). Targets are discovered with `go test -list`, so
# a new FuzzXxx is picked up without editing this file. A crash fails the
# run and leaves its input under testdata/fuzz/ as a regression case.
set -euo pipefail
cd "$(dirname "$0")/.."

fuzztime="${FUZZTIME:-10s}"
failed=0
count=0
for pkg in $(go list ./...); do
	for target in $(go test -list '^Fuzz' "$pkg" 2>/dev/null | grep '^Fuzz' || true); do
		count=$((count + 1))
		echo "== $pkg $target ($fuzztime)"
		if ! go test -run '^$' -fuzz "^${target}\$" -fuzztime "$fuzztime" "$pkg"; then
			failed=$((failed + 1))
		fi
	done
done
echo "fuzz: $count targets, $failed failed"
[ "$count" -gt 0 ] && [ "$failed" -eq 0 ]
