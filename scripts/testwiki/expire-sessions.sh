#!/usr/bin/env bash
# Deletes the sessions of the test wiki in DIR (started by start.sh), e.g. to
# test "the wiki session expired in the middle of a login flow". Sessions
# live in the object cache table of DIR/data/wikicache.sqlite
# ($wgSessionCacheType = CACHE_DB), under keys "mwtest:MWSession:<id>".
#
# Usage: scripts/testwiki/expire-sessions.sh DIR [--all]
#   --all  empty the whole object cache instead (also OATHAuth's used-TOTP
#          records, ConfirmEdit's bad-login counters, used SSO codes, caches).
# Note: a client that logged in with rememberMe=1 still holds the UserID/Token
# cookies and gets a new logged-in session from them.
set -euo pipefail
if [ $# -lt 1 ] || [ $# -gt 2 ]; then
	echo "usage: $0 DIR [--all]" >&2
	exit 2
fi
DB="$1/data/wikicache.sqlite"
if [ ! -f "$DB" ]; then
	echo "expire-sessions.sh: no $DB" >&2
	exit 1
fi
SQL="DELETE FROM objectcache WHERE keyname LIKE '%:MWSession:%';"
if [ "${2:-}" = "--all" ]; then
	SQL="DELETE FROM objectcache;"
fi
if command -v sqlite3 >/dev/null 2>&1; then
	sqlite3 -cmd '.timeout 10000' "$DB" "$SQL"
else
	"${PHP:-php}" -r '$db = new PDO("sqlite:" . $argv[1], null, null, [PDO::ATTR_TIMEOUT => 10, PDO::ATTR_ERRMODE => PDO::ERRMODE_EXCEPTION]); $db->exec($argv[2]);' "$DB" "$SQL"
fi
