#!/usr/bin/env bash
# tests/reliability/logcap.sh -- an overload cannot fill the disk with
# logs.  Each front is held to CONNECTIONS=500
# and 1,500 clients connect, request and close without pause for 8 s:
# lighttpd logs "sockets disabled/enabled again" at every crossing of its
# limit, nginx "worker_connections are not enough".  With the log held to
# LOG_FILES=2 files of LOG_SIZE=4K, the stack's logs on disk hold at most
# 2 x 4 KiB (+ 8 KiB for the lines being written at a switch), and the
# current error log holds the latest lines.
set -euo pipefail
# shellcheck source=faults.bash
. "$(dirname "$0")/faults.bash"

CAP=$((2 * 4096 + 8192))

logcap() {
	local L="[$FRONT] overload" bytes lines
	"$PYTHON" "$R/conns.py" churn "$T_PORT" 1500 --seconds 8 >"$D/churn-$FRONT" || true
	sleep 0.5
	printf '        %s: %s\n' "$L" "$(tr '\n' ' ' <"$D/churn-$FRONT")"
	lines=$(cat "$T_RUN_DIR/error.log" | grep -ciE 'sockets (disabled|enabled)|not enough' || true)
	bytes=$(find "$T_RUN_DIR" -path "$T_RUN_DIR/nginx" -prune -o -type f \
	    \( -name 'error*' -o -path '*/log/*' \) -printf '%s\n' | awk '{ n += $1 } END { print n + 0 }')
	check "$L: the front logged its connection limit ($lines lines in the current log)" \
	    [ "$lines" -gt 0 ]
	check "$L: the logs on disk hold $bytes bytes (at most $CAP)" [ "$bytes" -le "$CAP" ]
}
for_each_front logcap WORKERS=5 CONNECTIONS=500 LOG_FILES=2 LOG_SIZE=4K

# The embedded PostgreSQL's log is capped the same way: a cluster of its
# own, started with LOG_FILES=2 and LOG_SIZE=4K, logs an error for each
# of 2,000 requests (SELECT revoked from the workers' role); its logs on
# disk stay within the cap, and hold the latest error.
L="[PostgreSQL] 2,000 errors"
pg_state=$D/pg-state
if LOG_FILES=2 LOG_SIZE=4K STATE_DIR=$pg_state "$ROOT/scripts/db.sh" start; then
	pg_url=$(STATE_DIR=$pg_state "$ROOT/scripts/db.sh" url)
	if FRONT=lighttpd t_up WORKERS=5 \
	    DATABASE_URL="$(STATE_DIR=$pg_state "$ROOT/scripts/db.sh" url users_fcgi_reader)"; then
		DATABASE_URL=$pg_url sql 'REVOKE SELECT ON users FROM users_fcgi_reader'
		printf '        %s: %s\n' "$L" "$(requests 2000 GET /users 10 | tr '\n' ' ')"
		t_down
	else
		fail "$L: the stack comes up"
	fi
	bytes=$(find "$pg_state/pg" -path "$pg_state/pg/data" -prune -o -type f \
	    -printf '%s\n' | awk '{ n += $1 } END { print n + 0 }')
	check "$L: PostgreSQL's logs on disk hold $bytes bytes (at most $CAP)" [ "$bytes" -le "$CAP" ]
	check "$L: ... and the latest error is there" \
	    grep -rqs 'permission denied for table users' "$pg_state/pg" --exclude-dir=data
else
	fail "$L: the cluster starts"
fi
STATE_DIR=$pg_state "$ROOT/scripts/db.sh" stop || true
