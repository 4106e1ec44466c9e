#!/usr/bin/env bash
# tests/reliability/fds.sh -- the daemons keep none of their caller's
# file descriptors but 0 to 2: a lock the caller holds on fd 9 while it
# runs up is held by none of the stack's processes (front, workers,
# their pool, rotatelogs, the embedded PostgreSQL), and is free again
# once the caller lets it go.
set -euo pipefail
# shellcheck source=faults.bash
. "$(dirname "$0")/faults.bash"

lock=$D/lock
: >"$lock"

# holders FILE: the PIDs of the processes that have FILE open.
holders() { find /proc/[0-9]*/fd -lname "$1" 2>/dev/null | cut -d/ -f3 | sort -nu; }

fds() {
	local L="[$FRONT]"
	check_eq "$L no process of the stack holds the caller's fd 9 (the lock file)" \
	    "" "$(holders "$lock" | tr '\n' ' ')"
	check "$L the lock is free once the caller is gone" flock -n "$lock" true
}
for FRONT in lighttpd nginx; do
	export FRONT
	T_PORT=$(free_port)
	T_RUN_DIR=$STATE_DIR/run-$T_PORT	# for t_down, and faults.bash's cleanup
	if ( flock 9 && env PORT="$T_PORT" WORKERS=2 "$ROOT/scripts/stack.sh" up ) 9>"$lock"; then
		fds
	else
		fail "[$FRONT] the stack comes up"
	fi
	t_down || true
done
# The embedded database, started by up: PostgreSQL and its log's
# rotatelogs too.
L="[embedded database]"
( flock 9 && env STATE_DIR="$D/state" "$ROOT/scripts/db.sh" start ) 9>"$lock" >/dev/null
check_eq "$L no process holds the caller's fd 9" "" "$(holders "$lock" | tr '\n' ' ')"
STATE_DIR=$D/state "$ROOT/scripts/db.sh" stop || true
