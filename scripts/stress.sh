#!/usr/bin/env bash
# make stress: the packages with fault, stream and concurrency tests, run
# STRESS_COUNT times (default 3) under the race detector while busy loops
# compete for every core. A test that passes only on an idle machine is a
# flaky test, and this is where it shows.
#
#   STRESS_PKGS   packages to run (default: wrapper, internal/jsonstream, qualystest)
#   STRESS_COUNT  -count for go test (default 3)
#   STRESS_HOGS   number of busy loops (default: one per online CPU)
set -euo pipefail
cd "$(dirname "$0")/.."
GO="${GO:-go}"
count="${STRESS_COUNT:-3}"
read -r -a pkgs <<<"${STRESS_PKGS:-./wrapper/ ./internal/jsonstream/ ./qualystest/}"
hogs="${STRESS_HOGS:-$(getconf _NPROCESSORS_ONLN 2>/dev/null || echo 2)}"

# Build first, without competition, so the busy loops load the tests and
# not the compiler.
"$GO" test -race -count=1 -run '^$' "${pkgs[@]}" >/dev/null

pids=()
stop_hogs() {
	for pid in "${pids[@]}"; do
		kill "$pid" 2>/dev/null || true
	done
	for pid in "${pids[@]}"; do
		wait "$pid" 2>/dev/null || true
	done
}
trap stop_hogs EXIT
for ((i = 0; i < hogs; i++)); do
	(while :; do :; done) &
	pids+=("$!")
done
echo "stress: ${pkgs[*]}, -race -count=$count, $hogs busy loops" >&2
start=$(date +%s)
"$GO" test -race -count="$count" -timeout 25m "${pkgs[@]}"
echo "stress: passed in $(($(date +%s) - start)) s" >&2
