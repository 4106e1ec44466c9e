#!/usr/bin/env bash
# tests/reliability/faults-db.sh -- PostgreSQL fails under load.
#
# While LOAD_CLIENTS (10) clients send GET /users without pause, on new
# connections, and every request is logged (loadgen.py):
#   restart   PostgreSQL stopped (fast) and started again: during the
#             outage every answer is a JSON 503 within 3 s; from the
#             moment it accepts connections again, no request fails; no
#             worker restarts.  lighttpd and nginx.
#   lock      a session holds ACCESS EXCLUSIVE on users: the query waits
#             until statement_timeout (2 s): 503 in bounded time; 200
#             again as soon as the lock is released.
#   pause     the postmaster stopped (SIGSTOP) and the workers' sessions
#             ended: reconnecting waits connect_timeout (2 s): 503.
#   freeze    every PostgreSQL process stopped: the server's own timeouts
#             cannot fire; the worker's deadline (statement_timeout + 1 s)
#             does: 503.
# Every request ends (no hang), no status but 200 or 503, the same
# worker PIDs throughout.
set -euo pipefail
# shellcheck source=faults.bash
. "$(dirname "$0")/faults.bash"


# expect_fault LABEL T0 T1 MAX_MS: the fault lasted from T0 to T1.
# Every answer given from T0 (+ 0.1 s for those already on their way) to
# T1 is a JSON 503 (and there is at least one), and every request in
# flight at T0 or started before T1 was answered in less than MAX_MS,
# whatever its status.
expect_fault() {
	local total ok s503 other bad max
	read -r total ok s503 other bad max < <(counts \
	    --ended-after "$(plus "$2" 0.1)" --ended-before "$3")
	check "$1: answers given during the fault: $s503 of $total are 503" \
	    [ "$total" -gt 0 -a "$s503" -eq "$total" ]
	check_eq "$1: every 503 has a JSON error body" 0 "$bad"
	read -r total ok s503 other bad max < <(counts --ended-after "$2" \
	    --before "$3")
	check "$1: requests in flight or started during the fault: slowest ${max} ms (< $4 ms)" \
	    [ "$total" -gt 0 -a "$max" -lt "$4" ]
}

# expect_ok LABEL [--after T] [--before T]: all those requests were 200.
expect_ok() {
	local label=$1 total ok s503 other bad max
	shift
	read -r total ok s503 other bad max < <(counts "$@")
	check "$label: all $total requests were 200 (slowest ${max} ms)" \
	    [ "$total" -gt 0 -a "$ok" -eq "$total" -a "$bad" -eq 0 ]
}

# expect_clean LABEL: nothing but 200 and 503 in the whole run.
expect_clean() {
	local total ok s503 other bad max
	read -r total ok s503 other bad max < <(counts)
	check_eq "$1: no answer but 200 or 503 among $total requests" 0 "$other"
	printf '        %s: %d requests: %d ok, %d 503, %d other; slowest %d ms\n' \
	    "$1" "$total" "$ok" "$s503" "$other" "$max"
}

# --- PostgreSQL restarted ----------------------------------------------
restart() {
	local L="[$FRONT] PostgreSQL restart" pids t0 t1 t2 t3 total max
	pids=$(worker_pids "$T_RUN_DIR")
	load_start "restart-$FRONT"
	t0=$(now)
	"$ROOT/scripts/db.sh" stop
	t1=$(now)
	sleep 1.5
	t2=$(now)
	# The moment it accepts connections again, to within 20 ms.
	(until "$PG_BIN/pg_isready" -q -h "$STATE_DIR/pg/run"; do sleep 0.02; done
	    now >"$D/ready") &
	"$ROOT/scripts/db.sh" start
	wait $!
	t3=$(cat "$D/ready")
	sleep 1.5
	load_stop
	expect_ok "$L: before" --before "$t0"
	expect_fault "$L: while down" "$t1" "$t2" 3000
	read -r total _ _ _ _ max < <(counts --after "$t0" --before "$t3")
	check "$L: while stopping, down and starting, slowest answer ${max} ms (< 3000 ms)" \
	    [ "$total" -gt 0 -a "$max" -lt 3000 ]
	expect_ok "$L: once it accepts connections again" --after "$t3"
	expect_clean "$L"
	check_eq "$L: no worker was restarted" "$pids" "$(worker_pids "$T_RUN_DIR")"
}

# --- a lock held on users ------------------------------------------------
lock() {
	local L="[$FRONT] lock on users" t0 t1
	load_start "lock-$FRONT"
	# The lock is taken once the queries in progress are done: psql
	# notes when it has it, and when it lets it go.
	hold_lock 4
	wait "$LOCK_PID"
	LOCK_PID=
	t0=$(cat "$D/locked")
	t1=$(cat "$D/unlocked")
	sleep 1.5
	load_stop
	# A request waits for statement_timeout (2 s), behind at most one
	# other on its worker: 2 x 2 s, + 1.5 s to spare.
	expect_fault "$L: while held" "$t0" "$t1" 5500
	expect_ok "$L: after its release" --after "$t1"
	expect_clean "$L"
}

# --- the postmaster paused ------------------------------------------------
# paused_window: with processes paused and the load running, wait 4 s
# (T0 and T1 are its bounds), resume them, let the load run 1.5 s more
# and stop it.
paused_window() {
	T0=$(now)
	sleep 4
	T1=$(now)
	resume
	sleep 1.5
	load_stop
}

pause_postmaster() {
	local L="[$FRONT] postmaster paused" t0 t1 backends
	backends=$(worker_backends)
	load_start "pause-$FRONT"
	pause "$(pg_postmaster)"
	# End the workers' sessions: they must connect again, and cannot.
	# shellcheck disable=SC2086 # a list of PIDs
	kill -TERM $backends
	paused_window
	t0=$T0 t1=$T1
	# connect_timeout (2 s), behind at most one other: 2 x 2 s, + 1.5 s.
	expect_fault "$L: while paused" "$t0" "$t1" 5500
	expect_ok "$L: once resumed" --after "$t1"
	expect_clean "$L"
}

# --- every PostgreSQL process paused ---------------------------------------
freeze() {
	local L="[$FRONT] PostgreSQL frozen" t0 t1
	load_start "freeze-$FRONT"
	# shellcheck disable=SC2046 # a list of PIDs
	pause $(pg_all)
	paused_window
	t0=$T0 t1=$T1
	# statement_timeout + 1 s (3 s) for the query in progress, then
	# connect_timeout (2 s) for the one queued behind it: 3 + 2 s, + 1.5 s.
	expect_fault "$L: while frozen" "$t0" "$t1" 6500
	expect_ok "$L: once resumed" --after "$t1"
	expect_clean "$L"
}

db_faults() {
	local pids
	pids=$(worker_pids "$T_RUN_DIR")
	restart
	if [ "$FRONT" = lighttpd ]; then
		lock
		pause_postmaster
		freeze
		check_eq "[$FRONT] no worker was restarted by the stalls" "$pids" \
		    "$(worker_pids "$T_RUN_DIR")"
	fi
}
for_each_front db_faults WORKERS=5
