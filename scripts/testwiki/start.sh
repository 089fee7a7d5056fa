#!/usr/bin/env bash
# Creates a FRESH SQLite MediaWiki (Debian's MediaWiki 1.39) in DIR and serves
# it with PHP's built-in server on http://127.0.0.1:PORT (API: /api.php).
#
# Usage: scripts/testwiki/start.sh DIR PORT
#   DIR must not contain a wiki yet (it is created if missing).
#   Prints KEY=VALUE lines on stdout (API_URL, INDEX_URL, BASE_URL, DIR, PORT,
#   PID, SERVER_LOG); progress and errors go to stderr.
#   Stop with: scripts/testwiki/stop.sh DIR
#
# Nothing is written outside DIR: MediaWiki finds DIR/LocalSettings.php through
# the MW_CONFIG_FILE environment variable (maintenance scripts and php -S).
# Env: MW_INSTALL_PATH (default /usr/share/mediawiki), PHP (default php),
#      PHP_CLI_SERVER_WORKERS (default 4), TESTWIKI_START_TIMEOUT (default 60 s).
set -euo pipefail

if [ $# -ne 2 ]; then
	echo "usage: $0 DIR PORT" >&2
	exit 2
fi
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
MW=${MW_INSTALL_PATH:-/usr/share/mediawiki}
PHP=${PHP:-php}
PORT=$2
case "$PORT" in
'' | *[!0-9]*)
	echo "start.sh: bad port: $PORT" >&2
	exit 2
	;;
esac
mkdir -p "$1"
DIR=$(cd "$1" && pwd)
if [ -e "$DIR/LocalSettings.php" ] || [ -e "$DIR/data" ]; then
	echo "start.sh: $DIR already holds a wiki; give an empty or new directory" >&2
	exit 1
fi
if [ ! -f "$MW/maintenance/install.php" ]; then
	echo "start.sh: MediaWiki not found in $MW (run scripts/testwiki/install-deps.sh)" >&2
	exit 1
fi

# shellcheck source=users.env
. "$HERE/users.env"

t0=$(date +%s%N)
step() { echo "start.sh: $1 after $((($(date +%s%N) - t0) / 1000000)) ms" >&2; }

mkdir -p "$DIR/logs"
unset MW_CONFIG_FILE
# 1. install.php: SQLite DB, LocalSettings.php, tables of OATHAuth/ConfirmEdit.
if ! "$PHP" "$MW/maintenance/install.php" \
	--confpath "$DIR" \
	--dbtype sqlite --dbpath "$DIR/data" --dbname mwtest \
	--server "http://127.0.0.1:$PORT" --scriptpath "" \
	--lang en --pass "$ADMIN_PASSWORD" \
	--extensions OATHAuth,ConfirmEdit --skins Vector \
	"MwloginTest" "$ADMIN_USER" >"$DIR/install.log" 2>&1; then
	cat "$DIR/install.log" >&2
	echo "start.sh: install.php failed" >&2
	exit 1
fi
step "install.php"

# 2. Our settings (caches, extensions, throttles, captcha, SSO).
printf '\n# mwlogin test wiki (scripts/testwiki/start.sh)\nrequire_once %s;\n' \
	"'$HERE/settings.php'" >>"$DIR/LocalSettings.php"
export MW_CONFIG_FILE="$DIR/LocalSettings.php"
export MW_INSTALL_PATH="$MW"

# 3. Users, Bob's TOTP, Alice's bot password.
if ! "$PHP" "$HERE/setup.php" >"$DIR/setup.log" 2>&1; then
	cat "$DIR/setup.log" >&2
	echo "start.sh: setup.php failed" >&2
	exit 1
fi
step "users (setup.php)"

# 4. PHP's built-in server, in its own process group (stop.sh kills the group).
export PHP_CLI_SERVER_WORKERS="${PHP_CLI_SERVER_WORKERS:-4}"
setsid "$PHP" -d opcache.enable_cli=1 \
	-S "127.0.0.1:$PORT" -t "$MW" "$HERE/router.php" \
	</dev/null >"$DIR/server.log" 2>&1 &
PID=$!
echo "$PID" >"$DIR/server.pid"

API_URL="http://127.0.0.1:$PORT/api.php"
probe="$API_URL?action=query&meta=siteinfo&format=json"
get() {
	if command -v curl >/dev/null 2>&1; then
		curl -fsS --max-time 10 "$1"
	else
		"$PHP" -r 'echo @file_get_contents($argv[1]);' "$1"
	fi
}
deadline=$(($(date +%s) + ${TESTWIKI_START_TIMEOUT:-60}))
until get "$probe" 2>/dev/null | grep -q '"sitename"'; do
	if ! kill -0 "$PID" 2>/dev/null; then
		cat "$DIR/server.log" >&2
		echo "start.sh: the PHP server exited" >&2
		exit 1
	fi
	if [ "$(date +%s)" -ge "$deadline" ]; then
		cat "$DIR/server.log" >&2
		echo "start.sh: no answer from $probe" >&2
		"$HERE/stop.sh" "$DIR" >&2 || true
		exit 1
	fi
	sleep 0.1
done
step "server answers"

# 5. The localisation cache of the languages the browser tests show, built
# now (about a second each) rather than during a test's first page.
for lang in ja ar; do
	get "$API_URL?action=query&meta=allmessages&ammessages=login&amlang=$lang&format=json" >/dev/null || true
done
get "$API_URL?action=query&meta=siteinfo|languageinfo&siprop=general|languages&liprop=autonym&licode=en|ja|ar&format=json" >/dev/null || true
step "localisation cache (ja, ar) and the language names"

cat <<EOT
API_URL=$API_URL
INDEX_URL=http://127.0.0.1:$PORT/index.php
BASE_URL=http://127.0.0.1:$PORT
DIR=$DIR
PORT=$PORT
PID=$PID
SERVER_LOG=$DIR/server.log
EOT
