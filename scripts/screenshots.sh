#!/usr/bin/env bash
# Regenerates the README's screenshots (docs/screenshots/*.png): runs the
# browser tests (handlers/chromium_test.go) against the real test MediaWiki
# in headless Chromium, which save a PNG of each step when
# MWLOGIN_SCREENSHOTS names a directory. Needs scripts/install-test-deps.sh
# once. CI=true makes a missing Chromium, axe-core or MediaWiki an error
# instead of a skip, so that no picture is silently left stale.
set -euo pipefail
cd "$(dirname "$0")/.."
out="$PWD/docs/screenshots"
mkdir -p "$out"
CI=true MWLOGIN_SCREENSHOTS="$out" go test ./handlers -run '^TestChromium' -count=1 "$@"
ls -l "$out"
