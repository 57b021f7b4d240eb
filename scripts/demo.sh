#!/usr/bin/env bash
# The README's first command: builds the CLI, starts the bundled Qualys
# simulator on loopback, takes a short tour of both APIs with it, and stops
# the simulator. No credentials and no network beyond loopback.
set -euo pipefail
cd "$(dirname "$0")/.."

tmp="$(mktemp -d)"
sim_pid=""
cleanup() {
	if [ -n "$sim_pid" ]; then kill "$sim_pid" 2>/dev/null || true; wait "$sim_pid" 2>/dev/null || true; fi
	rm -rf "$tmp"
}
trap cleanup EXIT

go build -o "$tmp/qualys" ./cmd/qualys
qualys="$tmp/qualys"

# Port 0: the simulator picks a free port and prints its URL.
"$qualys" simulate --addr 127.0.0.1:0 --hosts 60 --ca-file "$tmp/ca.pem" >"$tmp/sim.json" 2>"$tmp/sim.log" &
sim_pid=$!
for _ in $(seq 1 100); do
	[ -s "$tmp/sim.json" ] && break
	sleep 0.1
done
if [ ! -s "$tmp/sim.json" ]; then
	echo "demo: the simulator did not start:" >&2
	cat "$tmp/sim.log" >&2
	exit 1
fi
field() { sed -n "s/.*\"$1\":\"\([^\"]*\)\".*/\1/p" "$tmp/sim.json"; }

export QUALYS_GATEWAY_URL="$(field gatewayUrl)"
export QUALYS_USERNAME="$(field username)"
export QUALYS_PASSWORD=demo-password # the simulator's public demo password
export SSL_CERT_FILE="$tmp/ca.pem"   # trust the simulator's CA
unset QUALYS_PLATFORM

step() {
	echo
	echo "\$ qualys $*"
	"$qualys" "$@"
}

echo "Qualys simulator at $QUALYS_GATEWAY_URL"
step platforms --output table
step car scripts list --filter "language:PowerShell-Script" --output table
step car library list --filter moduleCode:AUTOR --limit 3 --output table
library_id="$("$qualys" car library list --limit 1 | sed -n 's/.*"id":"\([0-9]*\)".*/\1/p')"
step car library get "$library_id" --content
step car jobs list --limit 3 --output table
job_id="$("$qualys" car jobs list --limit 1 | sed -n 's/.*"id":"\([0-9]*\)".*/\1/p' | head -1)"
step car assetjobs list --job-id "$job_id" --results --limit 2
step pcrs policies --output table
policy_id="$("$qualys" pcrs policies --output table | awk 'NR == 2 { print $1 }')"
step pcrs hostids --policy-id "$policy_id"
step pcrs posture --policy-id "$policy_id" --status Failed --limit 3
# Keep posture between runs: a full sync into a temporary SQLite file, a
# second one that asks only for what changed, and the report of both.
step pcrs sync --db "$tmp/posture.sqlite" --output table
step pcrs sync --db "$tmp/posture.sqlite" --output table
step pcrs report --db "$tmp/posture.sqlite" --output table --html "$tmp/report.html"
echo "(HTML report: $(wc -c <"$tmp/report.html") bytes)"
echo
echo "demo: done"
