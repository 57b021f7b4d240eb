#!/usr/bin/env bash
# Posture sync throughput against the simulator with no rate limit: records
# per second decoded alone (the ceiling), into SQLite and into PostgreSQL,
# all from one `go test -bench` run so that the ratios compare like with
# like. PostgreSQL comes from QUALYS_TEST_POSTGRES_URL, or a throwaway
# server started here (scripts/postgres.sh).
#
#   COUNT=5 scripts/bench-store.sh     # runs per benchmark (default 3)
set -euo pipefail
cd "$(dirname "$0")/.."

count="${COUNT:-3}"
tmp="$(mktemp -d)"
pgdir=""
cleanup() {
	if [ -n "$pgdir" ]; then scripts/postgres.sh stop "$pgdir"; fi
	rm -rf "$tmp" ${pgdir:+"$pgdir"}
}
trap cleanup EXIT
if [ -z "${QUALYS_TEST_POSTGRES_URL:-}" ]; then
	pgdir="$(mktemp -d)"
	QUALYS_TEST_POSTGRES_URL="$(scripts/postgres.sh start "$pgdir")"
	export QUALYS_TEST_POSTGRES_URL
fi

go test -run '^$' -bench '^Benchmark(DecodeOnly|FullSyncSQLite|FullSyncPostgres)$' -benchtime 3x -count "$count" ./posturestore/ | tee "$tmp/bench.txt"

echo
echo "== medians (records/s) and ratios to decoding alone"
awk '
	/^Benchmark/ {
		name = $1; sub(/-[0-9]+$/, "", name); sub(/^Benchmark/, "", name)
		for (i = 2; i < NF; i++) if ($(i+1) == "records/s") rs[name] = rs[name] " " $i
	}
	function median(list,   a, n, i, j, t) {
		n = split(list, a, " ")
		for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] + 0 < a[i] + 0) { t = a[i]; a[i] = a[j]; a[j] = t }
		return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
	}
	END {
		d = median(rs["DecodeOnly"]); s = median(rs["FullSyncSQLite"]); p = median(rs["FullSyncPostgres"])
		if (d == 0) { print "no decode figure"; exit 1 }
		printf "decode alone: %.0f\nSQLite: %.0f (%.2f of decode)\nPostgreSQL: %.0f (%.2f of decode)\n", d, s, s / d, p, p / d
	}' "$tmp/bench.txt"
