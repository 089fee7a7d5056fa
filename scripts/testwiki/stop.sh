#!/usr/bin/env bash
# Stops the test wiki's PHP server started by start.sh DIR: kills the process
# (group) whose PID is in DIR/server.pid and waits until it is gone.
# Usage: scripts/testwiki/stop.sh DIR
set -uo pipefail
if [ $# -ne 1 ]; then
	echo "usage: $0 DIR" >&2
	exit 2
fi
PIDFILE="$1/server.pid"
if [ ! -f "$PIDFILE" ]; then
	echo "stop.sh: no $PIDFILE" >&2
	exit 0
fi
PID=$(cat "$PIDFILE")
case "$PID" in
'' | *[!0-9]*)
	echo "stop.sh: bad pid in $PIDFILE" >&2
	exit 1
	;;
esac
alive() {
	kill -0 "$PID" 2>/dev/null || kill -0 -- "-$PID" 2>/dev/null
}
# start.sh runs the server with setsid: its PID is also its process group id
# (the group holds the PHP_CLI_SERVER_WORKERS worker processes).
kill -TERM -- "-$PID" 2>/dev/null || kill -TERM "$PID" 2>/dev/null
for _ in $(seq 1 50); do
	alive || break
	sleep 0.1
done
if alive; then
	kill -KILL -- "-$PID" 2>/dev/null || kill -KILL "$PID" 2>/dev/null
	for _ in $(seq 1 50); do
		alive || break
		sleep 0.1
	done
fi
rm -f "$PIDFILE"
if alive; then
	echo "stop.sh: process $PID still alive" >&2
	exit 1
fi
exit 0
