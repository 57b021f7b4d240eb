#!/usr/bin/env bash
# Posture streaming benchmarks. One `go test -bench` run decodes the same
# generated 50 MiB posture array through the generated client and through
# PostureStream (plain and gzip); the ratios printed at the end come from
# that run's own figures. Then a fresh process per mode streams a file, for
# throughput and peak RSS without a warm heap.
#
#   COUNT=5 scripts/bench.sh     # more runs per benchmark (default 3)
set -euo pipefail
cd "$(dirname "$0")/.."

count="${COUNT:-3}"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

echo "== go test -bench (each benchmark ${count}x)"
go test -run '^$' -bench '^BenchmarkPosture(Generated|StreamPlain|StreamGzip|TokenScan|EncodingJSONStream)$' -benchmem -count "$count" ./wrapper/ | tee "$tmp/bench.txt"
if grep -q '^BenchmarkFetcher' <(go test -list '^BenchmarkFetcher' ./wrapper/ 2>/dev/null); then
	go test -run '^$' -bench '^BenchmarkFetcher' -benchtime 1x ./wrapper/ | tee -a "$tmp/bench.txt"
fi

echo
echo "== fresh process: one 50 MiB file per mode"
go build -o "$tmp/streamfile" ./internal/jsonstream/cmd/streamfile
"$tmp/streamfile" -gen "$tmp/posture.json" -size 50 >/dev/null
"$tmp/streamfile" -gen "$tmp/posture.json.gz" -size 50 -gzip >/dev/null
for args in "-baseline $tmp/posture.json" "$tmp/posture.json" "$tmp/posture.json.gz"; do
	# shellcheck disable=SC2086
	"$tmp/streamfile" $args | sed "s#$tmp/##" | tee -a "$tmp/process.txt"
done

echo
echo "== ratios"
awk '
	# Median of the MB/s and B/op figures of each benchmark.
	/^BenchmarkPosture/ {
		name = $1; sub(/-[0-9]+$/, "", name); sub(/^BenchmarkPosture/, "", name)
		for (i = 2; i < NF; i++) {
			if ($(i+1) == "MB/s") mbs[name] = mbs[name] " " $i
			if ($(i+1) == "B/op") bop[name] = bop[name] " " $i
		}
	}
	function median(list,   a, n, i, j, t) {
		n = split(list, a, " ")
		for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] + 0 < a[i] + 0) { t = a[i]; a[i] = a[j]; a[j] = t }
		return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
	}
	END {
		g = median(mbs["Generated"]); gb = median(bop["Generated"])
		if (g == 0) { print "no generated-path figure"; exit 1 }
		printf "streaming/tokenizer plain: %.2f\n", median(mbs["StreamPlain"]) / median(mbs["TokenScan"])
		printf "streaming/generated plain: %.1fx\n", median(mbs["StreamPlain"]) / g
		printf "streaming/encoding-json-stream plain: %.1fx\n", median(mbs["StreamPlain"]) / median(mbs["EncodingJSONStream"])
		printf "streaming/generated gzip: %.1fx\n", median(mbs["StreamGzip"]) / g
		printf "gzip/plain streaming throughput: %.2f\n", median(mbs["StreamGzip"]) / median(mbs["StreamPlain"])
		printf "allocated bytes/op, generated/streaming plain: %.0fx\n", gb / median(bop["StreamPlain"])
	}' "$tmp/bench.txt"
awk '
	{ for (i = 1; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] } }
	v["mode"] == "baseline" { base = v["peak_rss_MiB"] }
	v["mode"] == "stream" && v["file"] ~ /\.json$/ { plain = v["peak_rss_MiB"] }
	END { if (base > 0 && plain > 0) printf "fresh-process peak RSS, streaming/generated: 1/%.0f\n", base / plain }
' "$tmp/process.txt"

echo "== specproxy: latency added per request (alternating direct and proxied, medians)"
go test -run '^$' -bench '^BenchmarkAddedLatency$' -benchtime 2000x ./internal/specproxy/ | grep '^BenchmarkAddedLatency'
