#!/usr/bin/env bash
# Installs what the full test suite needs. Idempotent; run as root (or with
# sudo available).
#   - the test MediaWiki (Debian's packages): scripts/testwiki/install-deps.sh
#   - for the browser tests (handlers/chromium_test.go): Debian's chromium,
#     fonts for readable, stable screenshots (Japanese: IPA Gothic; Arabic:
#     KACST), and axe-core from npm, pinned
#     by testdata/npm/package-lock.json, into testdata/npm/node_modules
#     (git-ignored; the tests load axe.min.js from there).
#   - redis-server, nginx and caddy: the tests start their own on free
#     loopback ports (internal/testredis, testnginx, testcaddy).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/testwiki/install-deps.sh

SUDO=
if [ "$(id -u)" -ne 0 ]; then
	SUDO=sudo
fi
export DEBIAN_FRONTEND=noninteractive

# redis-server, nginx, caddy: the tests start their own on free loopback
# ports; the system services are not needed.
PKGS=(chromium fonts-liberation fonts-dejavu-core fonts-ipafont-gothic fonts-kacst redis-server nginx caddy)
if ! command -v npm >/dev/null; then
	PKGS+=(nodejs npm)
fi
missing=()
for p in "${PKGS[@]}"; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q '^install ok installed$'; then
		missing+=("$p")
	fi
done
if [ "${#missing[@]}" -gt 0 ]; then
	echo "install-test-deps: installing: ${missing[*]}"
	# Keep apt from starting services (redis-server would take port 6379,
	# nginx and caddy port 80).
	if [ ! -e /usr/sbin/policy-rc.d ]; then
		printf '#!/bin/sh\nexit 101\n' | $SUDO tee /usr/sbin/policy-rc.d >/dev/null
		$SUDO chmod 755 /usr/sbin/policy-rc.d
		trap '$SUDO rm -f /usr/sbin/policy-rc.d' EXIT
	fi
	if ! $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"; then
		echo "install-test-deps: install failed, running apt-get update and retrying" >&2
		$SUDO apt-get update -q
		$SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
	fi
fi
/usr/bin/chromium --version 2>/dev/null
/usr/bin/redis-server --version
/usr/sbin/nginx -v
/usr/bin/caddy version

# axe-core: npm ci when what is installed is not what the lock file pins.
npmdir=testdata/npm
want=$(sed -n 's/^ *"axe-core": *"\([^"]*\)".*/\1/p' "$npmdir/package.json")
have=$(sed -n 's/^ *"version": *"\([^"]*\)".*/\1/p' "$npmdir/node_modules/axe-core/package.json" 2>/dev/null | head -1 || true)
if [ -z "$want" ] || [ "$have" != "$want" ] || [ ! -f "$npmdir/node_modules/axe-core/axe.min.js" ]; then
	echo "install-test-deps: npm ci in $npmdir (axe-core $want)"
	npm ci --prefix "$npmdir" --no-audit --no-fund --ignore-scripts
fi
echo "install-test-deps: axe-core $want in $npmdir/node_modules"
