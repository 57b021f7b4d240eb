#!/usr/bin/env bash
# Posture streaming benchmarks. Each round of `go test -bench` decodes the
# same generated 50 MiB posture array through the generated client, through
# PostureStream (plain and gzip) and through the two peers (the bare
# jsontext token scan and a hand-written encoding/json stream); the rounds
# run one after another so that a busy machine slows every path alike, and
# the ratios printed at the end are medians of this run's own figures.
# Then the fetcher against the simulator's rate limit, and a fresh process
# per mode streams a file, for throughput and peak RSS without a warm heap,
# at 50 MiB and at 500 MiB.
#
#   COUNT=5 scripts/bench.sh     # more rounds (default 3)
set -euo pipefail
cd "$(dirname "$0")/.."

count="${COUNT:-3}"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

echo "== go test -bench ($count rounds)"
go test -c -o "$tmp/wrapper.test" ./wrapper/
for round in $(seq "$count"); do
	echo "-- round $round"
	(cd wrapper && "$tmp/wrapper.test" -test.run '^$' -test.bench '^BenchmarkPosture(Generated|StreamPlain|StreamGzip|TokenScan|EncodingJSONStream)$' \
		-test.benchmem -test.count 1) | grep '^Benchmark' | tee -a "$tmp/bench.txt"
done
echo "-- gzip readers"
go test -run '^$' -bench '^BenchmarkInflate$' -count "$count" ./internal/jsonstream/ | grep '^Benchmark' | tee -a "$tmp/bench.txt"
echo "-- fetcher"
(cd wrapper && "$tmp/wrapper.test" -test.run "^\$" -test.bench "^BenchmarkFetcher" -test.benchtime 1x) | grep '^Benchmark' | tee -a "$tmp/bench.txt"

echo
echo "== fresh process: 50 MiB per mode, then 500 MiB streamed"
go build -o "$tmp/streamfile" ./internal/jsonstream/cmd/streamfile
"$tmp/streamfile" -gen "$tmp/posture.json" -size 50 >/dev/null
"$tmp/streamfile" -gen "$tmp/posture.json.gz" -size 50 -gzip >/dev/null
for args in "-baseline $tmp/posture.json" "$tmp/posture.json" "$tmp/posture.json.gz"; do
	# shellcheck disable=SC2086
	"$tmp/streamfile" $args | sed "s#$tmp/##" | tee -a "$tmp/process.txt"
done
rm -f "$tmp/posture.json" "$tmp/posture.json.gz"
"$tmp/streamfile" -gen "$tmp/posture500.json" -size 500 >/dev/null
"$tmp/streamfile" "$tmp/posture500.json" | sed "s#$tmp/##" | tee -a "$tmp/process.txt"
rm -f "$tmp/posture500.json"

echo
echo "== ratios"
awk '
	# Median of the MB/s and B/op figures of each benchmark.
	/^BenchmarkFetcherRateBound/ {
		for (i = 2; i < NF; i++) {
			if ($(i+1) == "rate-bound") rate = $i
			if ($(i+1) == "throttled") throttled = $i
		}
	}
	/^BenchmarkInflate\// {
		name = $1; sub(/-[0-9]+$/, "", name); sub(/^BenchmarkInflate\//, "", name)
		for (i = 2; i < NF; i++) if ($(i+1) == "MB/s") inflate[name] = inflate[name] " " $i
	}
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
		if (inflate["stdlib"] != "") printf "gzip inflate time, compress/gzip over klauspost/compress: %.2fx\n", median(inflate["klauspost"]) / median(inflate["stdlib"])
		if (rate != "") printf "fetcher/rate-bound: %.2f (throttled requests: %d)\n", rate, throttled
	}' "$tmp/bench.txt"
awk '
	{ for (i = 1; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] } }
	v["mode"] == "baseline" { base = v["peak_rss_MiB"] }
	v["mode"] == "stream" && v["file"] == "posture.json" { plain = v["peak_rss_MiB"] }
	v["mode"] == "stream" && v["file"] == "posture.json.gz" { gz = v["peak_rss_MiB"] }
	v["mode"] == "stream" && v["file"] == "posture500.json" { big = v["peak_rss_MiB"] }
	END {
		if (base > 0 && plain > 0) printf "fresh-process peak RSS, streaming/generated: 1/%.0f\n", base / plain
		printf "fresh-process peak RSS, streaming plain 50 MiB: %s MiB\n", plain
		printf "fresh-process peak RSS, streaming gzip 50 MiB: %s MiB\n", gz
		printf "fresh-process peak RSS, streaming plain 500 MiB: %s MiB\n", big
	}
' "$tmp/process.txt"

echo "== specproxy: latency added per request (alternating direct and proxied, medians)"
go test -run '^$' -bench '^BenchmarkAddedLatency$' -benchtime 2000x ./internal/specproxy/ | grep '^BenchmarkAddedLatency'
