#!/usr/bin/env bash
# Re-records the real MediaWiki answers in mwclient/testdata/real/*.json
# (decoder tests and fuzz seed corpus) from a fresh test wiki.
# Usage: scripts/testwiki/record.sh
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$ROOT"
go test -count=1 -run '^TestRecord$' ./internal/testwiki -args -record
ls -1 mwclient/testdata/real/
