#!/usr/bin/env bash
# The TypeScript client (clients/typescript: openapi-fetch over the
# openapi-typescript types of both specs) against `qualys simulate`: the
# proof that the specs and the simulator serve another language. The
# simulator is started here on a free loopback port and stopped on exit,
# whatever happens.
set -euo pipefail
cd "$(dirname "$0")/.."

tmp="$(mktemp -d)"
sim_pid=""
cleanup() {
	if [ -n "$sim_pid" ] && kill -0 "$sim_pid" 2>/dev/null; then
		kill "$sim_pid"
		wait "$sim_pid" 2>/dev/null || true
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT

echo "== npm ci, generate and compile (clients/typescript)"
(cd clients/typescript && npm ci --no-audit --no-fund --loglevel=error && npm run --silent build)

echo "== qualys simulate on loopback"
go build -o "$tmp/qualys" ./cmd/qualys
"$tmp/qualys" simulate --addr 127.0.0.1:0 --hosts 20 --ca-file "$tmp/ca.pem" >"$tmp/sim.out" 2>"$tmp/sim.err" &
sim_pid=$!
for _ in $(seq 1 300); do
	[ -s "$tmp/sim.out" ] && break
	kill -0 "$sim_pid" 2>/dev/null || { cat "$tmp/sim.err" >&2; exit 1; }
	sleep 0.1
done
gateway="$(sed -n 's/.*"gatewayUrl":"\([^"]*\)".*/\1/p' "$tmp/sim.out")"
username="$(sed -n 's/^  export QUALYS_USERNAME=//p' "$tmp/sim.err")"
password="$(sed -n 's/^  export QUALYS_PASSWORD=//p' "$tmp/sim.err")"
if [ -z "$gateway" ] || [ -z "$username" ] || [ -z "$password" ]; then
	echo "typescript: the simulator did not say where it listens within 30 s" >&2
	cat "$tmp/sim.err" >&2
	exit 1
fi
echo "simulator at $gateway"

echo "== node --test against the simulator"
(cd clients/typescript &&
	QUALYS_GATEWAY_URL="$gateway" QUALYS_USERNAME="$username" QUALYS_PASSWORD="$password" \
		NODE_EXTRA_CA_CERTS="$tmp/ca.pem" npm test --silent)
echo "typescript: ok"
