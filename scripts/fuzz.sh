#!/usr/bin/env bash
# Runs every Go fuzz target of the module, one at a time, for FUZZTIME each
# (default 50000x: fifty thousand inputs). A count, not a duration, is the
# default because go1.26's fuzzing coordinator can report "context deadline
# exceeded" as a failure when a duration ends while a starved worker is
# mid-input (golang/go#75804, fixed in go1.27); a count has no deadline to
# race, so a busy machine only makes the run slower. A duration such as
# FUZZTIME=30s still works for longer local runs. Targets are discovered,
# not listed here: grep finds the packages whose test files declare a
# `func FuzzXxx(`, and `go test -list` gives the exact names that compile,
# so a new target is picked up without editing this file. A package that
# fails to build, or a target that fails, fails the run; a crasher is left
# under that package's testdata/fuzz/ as a regression case that every
# later `go test` replays.
set -euo pipefail
cd "$(dirname "$0")/.."

fuzztime="${FUZZTIME:-50000x}"
failed=()
count=0

mapfile -t dirs < <(grep -rlE --include='*_test.go' '^func Fuzz[A-Za-z0-9_]*\(' . |
	grep -v -e '/testdata/' -e '^\./gen/' | xargs -r -n1 dirname | sort -u)
if [ "${#dirs[@]}" -eq 0 ]; then
	echo "fuzz: no fuzz targets found" >&2
	exit 1
fi

for dir in "${dirs[@]}"; do
	pkg="./${dir#./}"
	if ! list=$(go test -list '^Fuzz' "$pkg" 2>&1); then
		echo "$list" >&2
		failed+=("$pkg (does not build)")
		continue
	fi
	for target in $(grep '^Fuzz' <<<"$list" || true); do
		count=$((count + 1))
		echo "== $pkg $target ($fuzztime)"
		if ! go test -run '^$' -fuzz "^${target}\$" -fuzztime "$fuzztime" "$pkg"; then
			failed+=("$pkg $target")
		fi
	done
done

echo "fuzz: $count targets run for $fuzztime each, ${#failed[@]} failed"
for f in "${failed[@]}"; do
	echo "  FAIL $f" >&2
done
[ "$count" -gt 0 ] && [ "${#failed[@]}" -eq 0 ]
