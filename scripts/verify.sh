#!/usr/bin/env bash
# Regenerates the clients into place and fails if anything changed, so the
# committed gen/ is always what the committed spec/ produces.
set -euo pipefail
cd "$(dirname "$0")/.."

go generate ./gen/...
if ! git diff --quiet -- gen/ || [ -n "$(git ls-files --others --exclude-standard -- gen/)" ]; then
	echo "verify: gen/ differs from what spec/ generates; run 'make generate' and commit:" >&2
	git status --short -- gen/ >&2
	git --no-pager diff --stat -- gen/ >&2
	exit 1
fi

unformatted=$(gofmt -l $(git ls-files '*.go'))
if [ -n "$unformatted" ]; then
	echo "verify: gofmt would change: $unformatted" >&2
	exit 1
fi

go mod verify >/dev/null
go vet ./...
go test -count=1 ./spec/
echo "verify: ok"
