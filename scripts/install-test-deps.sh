#!/usr/bin/env bash
# Installs what the full test suite needs from Debian's packages: the test
# MediaWiki (MediaWiki 1.39 with OATHAuth and ConfirmEdit, PHP for SQLite).
# Idempotent; run as root (or with sudo available).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/testwiki/install-deps.sh
