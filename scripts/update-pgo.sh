#!/bin/sh
# Remakes default.pgo, the CPU profile `go build` uses for profile-guided
# optimization of the app (go.dev/doc/pgo): profiles of the app under the
# benchmark's password and mixed logins, with and without wiki latency,
# merged. Run it from the repository root after changes to the hot paths
# (handlers, flow, mwclient, sessionstore); it takes about two minutes.
set -eu
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
go run ./bench -doc '' -modes password,mix -latency 0,20ms -concurrency 16,64 \
	-duration 8s -warmup 1s -repeat 1 -profile "$dir" >/dev/null
go tool pprof -proto "$dir"/app-*.pprof >default.pgo
echo "wrote default.pgo from $(ls "$dir"/app-*.pprof | wc -l) profiles"
