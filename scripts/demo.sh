#!/usr/bin/env bash
# The README's first command: builds the CLI to bin/qualys (kept for the
# README's next steps), starts the bundled Qualys simulator on loopback,
# runs a script on two assets and waits for its output, and ends with a
# posture summary. No credentials and no network beyond loopback.
set -euo pipefail
cd "$(dirname "$0")/.."

tmp="$(mktemp -d)"
sim_pid=""
cleanup() {
	if [ -n "$sim_pid" ]; then kill "$sim_pid" 2>/dev/null || true; wait "$sim_pid" 2>/dev/null || true; fi
	rm -rf "$tmp"
}
trap cleanup EXIT

go build -o bin/qualys ./cmd/qualys # cached: quick when nothing changed
qualys="$PWD/bin/qualys"

# Port 0: the simulator picks a free port and prints its URL.
"$qualys" simulate --addr 127.0.0.1:0 --hosts 24 --ca-file "$tmp/ca.pem" >"$tmp/sim.json" 2>"$tmp/sim.log" &
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
unset QUALYS_PLATFORM QUALYS_PROFILE
export COLUMNS="${COLUMNS:-100}"

step() {
	echo
	echo "\$ qualys $*"
	"$qualys" "$@"
}
# value prints one field of the first record a command prints.
value() { "$qualys" "$@" -o csv | sed -n 2p; }

echo "Qualys simulator at $QUALYS_GATEWAY_URL"
step car scripts list --limit 3 -o table
script="$(value car scripts list --limit 1 --fields id)"
policy="$(value pcrs policies --limit 1 --fields id)"
hosts="$(value pcrs hostids --policy-id "$policy" --fields hostIds | tr -d '"' | cut -d, -f1,2)"
step car assets block "${hosts#*,}" -o table
step car scripts run "$script" --asset-ids "$hosts" --wait --poll-interval 200ms -o table
step car assets unblock "${hosts#*,}" -o table
step pcrs posture --policy-id "$policy" --summary --top 5 -o table
# Keep posture between runs: a full sync into a temporary SQLite file, a
# second one that asks only for what changed, and the report of both.
step pcrs sync --db "$tmp/posture.sqlite" -o table
step pcrs sync --db "$tmp/posture.sqlite" -o table
step pcrs report --db "$tmp/posture.sqlite" -o table --html "$tmp/report.html"
echo "(HTML report: $(wc -c <"$tmp/report.html") bytes)"
echo
echo "demo: done. The binary is bin/qualys; try: bin/qualys --help"
