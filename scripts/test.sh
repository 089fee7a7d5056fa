#!/usr/bin/env bash
# The project's test command (README.md): formatting, vet, then every test
# with the race detector. Tests that need the real test MediaWiki skip only
# outside CI when it is not installed (scripts/install-test-deps.sh installs
# it); with CI=true they fail instead.
set -euo pipefail
cd "$(dirname "$0")/.."

unformatted=$(gofmt -l . | grep -v '^vendor/' || true)
if [ -n "$unformatted" ]; then
	echo "gofmt would change:" >&2
	echo "$unformatted" >&2
	exit 1
fi
go vet ./...
go run honnef.co/go/tools/cmd/staticcheck@v0.8.2 ./...
go test -race -count=1 -timeout 20m ./...
# The benchmark is a module of its own, which ./... does not reach.
(cd bench && go vet ./... && go run honnef.co/go/tools/cmd/staticcheck@v0.8.2 ./... && go test -count=1 ./...)

# A short fuzz run of the API response decoder and the field renderer
# (seeded with real MediaWiki answers from mwclient/testdata/real).
go test -run='^$' -fuzz='^FuzzDecode$' -fuzztime=10s ./mwclient
go test -run='^$' -fuzz='^FuzzRenderStep$' -fuzztime=10s ./handlers
