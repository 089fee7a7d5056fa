#!/usr/bin/env bash
# Installs (idempotently) the Debian packages the test MediaWiki needs:
# MediaWiki 1.39 (Debian bookworm package, bundles OATHAuth and ConfirmEdit)
# and the PHP CLI with the extensions MediaWiki needs for SQLite.
#
# Usage: scripts/testwiki/install-deps.sh [--check]
#   --check  only report (exit 1 if something is missing), install nothing.
#
# Runs `apt-get update` only when a package cannot be installed from the
# current package lists. Services (apache2 is pulled in by the mediawiki
# package's "apache2 | httpd" dependency) are never started: if no
# /usr/sbin/policy-rc.d exists, a temporary one that forbids starting
# services is put in place for the duration of the install.
set -euo pipefail

PKGS=(mediawiki php-cli php-sqlite3 php-intl php-mbstring php-xml sqlite3)

missing=()
for p in "${PKGS[@]}"; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q '^install ok installed$'; then
		missing+=("$p")
	fi
done
# The files we really rely on (a package may be "installed" but broken).
for f in /usr/share/mediawiki/maintenance/install.php \
	/usr/share/mediawiki/extensions/OATHAuth/extension.json \
	/usr/share/mediawiki/extensions/ConfirmEdit/extension.json; do
	if [ ! -e "$f" ]; then
		missing+=(mediawiki)
		break
	fi
done

if [ "${#missing[@]}" -eq 0 ]; then
	echo "install-deps: all present (${PKGS[*]})"
	exit 0
fi
if [ "${1:-}" = "--check" ]; then
	echo "install-deps: missing: ${missing[*]}" >&2
	exit 1
fi

SUDO=
if [ "$(id -u)" -ne 0 ]; then
	SUDO=sudo
fi

export DEBIAN_FRONTEND=noninteractive
policy_created=
if [ ! -e /usr/sbin/policy-rc.d ]; then
	# Keep apt from starting apache2 (it would listen on *:80).
	printf '#!/bin/sh\nexit 101\n' | $SUDO tee /usr/sbin/policy-rc.d >/dev/null
	$SUDO chmod 755 /usr/sbin/policy-rc.d
	policy_created=1
fi
cleanup() {
	if [ -n "$policy_created" ]; then
		$SUDO rm -f /usr/sbin/policy-rc.d
	fi
}
trap cleanup EXIT

install() {
	$SUDO apt-get install -y -q --no-install-recommends "$@"
}

echo "install-deps: installing: ${missing[*]}"
if ! install "${missing[@]}"; then
	echo "install-deps: install failed, running apt-get update and retrying" >&2
	$SUDO apt-get update -q
	install "${missing[@]}"
fi
echo "install-deps: done"
