#!/usr/bin/env bash
# A newcomer's first commands, typed into a real terminal: tmux runs a
# shell at 80 and then 200 columns, each command is sent as keystrokes,
# and the screen is read back. Checks: the exit status each command should
# have; no line of a table is wider than the terminal (a wrapped line is
# two screen rows but one joined line); every table row lines up under
# its header. Needs tmux; uses the bundled simulator, loopback only.
set -euo pipefail
cd "$(dirname "$0")/.."

command -v tmux >/dev/null || { echo "newcomer: tmux is not installed" >&2; exit 1; }
go build -o bin/qualys ./cmd/qualys # cached: quick when nothing changed
bin="$PWD/bin"

tmp="$(mktemp -d)"
session=newcomer
sim_pid=""
cleanup() {
	for s in "$tmp"/tmux-*.sock; do
		if [ -S "$s" ]; then tmux -S "$s" kill-server 2>/dev/null || true; fi
	done
	if [ -n "$sim_pid" ]; then kill "$sim_pid" 2>/dev/null || true; wait "$sim_pid" 2>/dev/null || true; fi
	rm -rf "$tmp"
}
trap cleanup EXIT

"$bin/qualys" simulate --addr 127.0.0.1:0 --hosts 30 --ca-file "$tmp/ca.pem" >"$tmp/sim.json" 2>"$tmp/sim.log" &
sim_pid=$!
for _ in $(seq 1 100); do
	[ -s "$tmp/sim.json" ] && break
	sleep 0.1
done
[ -s "$tmp/sim.json" ] || { echo "newcomer: the simulator did not start" >&2; cat "$tmp/sim.log" >&2; exit 1; }
field() { sed -n "s/.*\"$1\":\"\([^\"]*\)\".*/\1/p" "$tmp/sim.json"; }
export QUALYS_GATEWAY_URL="$(field gatewayUrl)" QUALYS_USERNAME="$(field username)"
export QUALYS_PASSWORD=demo-password SSL_CERT_FILE="$tmp/ca.pem"
unset QUALYS_PLATFORM QUALYS_PROFILE COLUMNS

# Ids the commands need, read the way a script would.
q() { "$bin/qualys" "$@" -o csv | sed -n 2p | tr -d '"'; }
policy="$(q pcrs policies --limit 1 --fields id)"
hosts="$(q pcrs hostids --policy-id "$policy" --fields hostIds | cut -d, -f1,2)"
language="$(q car blocked-commands get 201 --fields languageId || echo 201)"
# A script that prints two lines, so tables meet multi-line output.
printf 'title: Two lines\ntypeId: 1\nlanguageId: 6\nplatform: LINUX\ncategoryId: 7\n' >"$tmp/body.yaml"
printf '#!/bin/sh\necho "first line"\necho "second line"\n' >"$tmp/two.sh"
script="$("$bin/qualys" car scripts create --file "$tmp/body.yaml" --content-file "$tmp/two.sh" --fields id -o csv | sed -n 2p)"

# Each entry: expected exit status, "table" or "-", the command line.
commands=(
	"0 - qualys --help"
	"0 - qualys car"
	"0 - qualys car scripts list --help"
	"0 table qualys platforms"
	"0 table qualys car scripts list --limit 8"
	"0 table qualys car scripts get $script"
	"0 table qualys car library list --limit 5"
	"0 table qualys car jobs list --limit 5"
	"0 table qualys car scripts run $script --asset-ids $hosts --wait --poll-interval 100ms"
	"0 table qualys car assetjobs list --limit 5 --results"
	"0 table qualys car tags list"
	"0 table qualys car schedules list"
	"0 table qualys car blocked-commands get $language"
	"0 table qualys pcrs policies"
	"0 table qualys pcrs hostids --policy-id $policy"
	"0 table qualys pcrs posture --policy-id $policy --limit 6"
	"0 table qualys pcrs posture --policy-id $policy --summary"
	"2 - qualys pcrs posture --policy-id $policy --status failed"
	"2 - qualys car scripts list --output xml"
	"2 - qualys car scirpts list"
	"0 - qualys version"
)

# check_table reads a command's screen output on stdin: the header is the
# first line in capitals; every later line that is not a message must
# have two spaces before each column start of the header. Widths are
# counted in characters (the cut mark … and the line mark ⏎ are one).
check_table() {
	# awk counts bytes: make every non-ASCII character one byte first.
	perl -CS -pe 's/[^\x00-\x7f]/~/g' | awk -v width="$1" '
		length($0) > width { printf "line wider than %d: %s\n", width, $0; bad = 1 }
		!header && /^[A-Z][A-Z ]*[A-Z]$/ {
			header = $0; n = 0
			for (i = 3; i <= length($0); i++)
				if (substr($0, i, 1) != " " && substr($0, i - 2, 2) == "  ") starts[++n] = i
			next
		}
		header && $0 != "" && $0 !~ /^qualys: / && $0 !~ /^[0-9]+ asset/ {
			rows++
			for (k = 1; k <= n; k++) {
				s = starts[k]
				if (s <= length($0) && substr($0, s - 2, 2) != "  ") { printf "not aligned at column %d: %s\n", s, $0; bad = 1; break }
			}
		}
		END {
			if (!header) { print "no table header"; bad = 1 }
			else if (rows == 0) { print "no table rows"; bad = 1 }
			exit bad
		}'
}

failures=0
for width in 80 200; do
	# One tmux server per width: a server still exiting never meets the
	# next one on its socket.
	sock="$tmp/tmux-$width.sock"
	tmux -S "$sock" -f /dev/null new-session -d -s "$session" -x "$width" -y 50 \
		"env PS1='$ ' PATH='$bin:$PATH' TERM=xterm-256color bash --norc --noprofile"
	tmux -S "$sock" set-option -t "$session" history-limit 10000 >/dev/null
	n=0
	for entry in "${commands[@]}"; do
		n=$((n + 1))
		want="${entry%% *}"; rest="${entry#* }"
		kind="${rest%% *}"; line="${rest#* }"
		tmux -S "$sock" send-keys -t "$session" -R
		tmux -S "$sock" clear-history -t "$session"
		tmux -S "$sock" send-keys -t "$session" "clear; echo @@; $line; echo \"@@ \$?\"; tmux -S $sock wait-for -S done$n" Enter
		if ! timeout 60 tmux -S "$sock" wait-for "done$n"; then
			echo "newcomer ($width columns): no end of: $line" >&2
			failures=$((failures + 1))
			continue
		fi
		screen="$(tmux -S "$sock" capture-pane -p -t "$session" -S - -E -)"
		joined="$(tmux -S "$sock" capture-pane -p -J -t "$session" -S - -E -)"
		# The command's output: between the "@@" line and "@@ <status>".
		out="$(printf '%s\n' "$screen" | sed -n '/^@@$/,/^@@ [0-9]*$/p' | sed '1d;$d')"
		out_joined="$(printf '%s\n' "$joined" | sed -n '/^@@$/,/^@@ [0-9]*$/p' | sed '1d;$d')"
		got="$(printf '%s\n' "$screen" | sed -n 's/^@@ \([0-9]*\)$/\1/p' | tail -1)"
		problem=""
		if [ "$got" != "$want" ]; then
			problem="exit status $got, want $want"
		elif [ "$kind" = table ]; then
			if [ "$out" != "$out_joined" ]; then
				problem="a line wrapped: it is wider than the terminal"
			elif ! report="$(printf '%s\n' "$out" | check_table "$width")"; then
				problem="$report"
			fi
		fi
		if [ -n "$problem" ]; then
			echo "newcomer ($width columns): $line: $problem" >&2
			printf '%s\n' "$out" | head -40 >&2
			failures=$((failures + 1))
		fi
	done
	tmux -S "$sock" kill-server 2>/dev/null || true
	echo "newcomer: $n commands at $width columns"
done
if [ "$failures" -gt 0 ]; then
	echo "newcomer: $failures failure(s)" >&2
	exit 1
fi
echo "newcomer: every command behaved; every table row one line, aligned"
