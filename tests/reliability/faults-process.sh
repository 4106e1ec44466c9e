#!/usr/bin/env bash
# tests/reliability/faults-process.sh -- processes of the stack die or are
# stopped, under load (LOAD_CLIENTS = 10 clients, every request logged).
#
#   worker kill   one worker SIGKILLed: the server (lighttpd, or multiwatch
#                 behind nginx) starts another, the count is back to
#                 WORKERS, the other workers are untouched; the failed
#                 requests are counted (at most the one in flight and one
#                 queued on the dead worker's socket).  lighttpd and nginx.
#   front kill    lighttpd SIGKILLed: its workers exit (PR_SET_PDEATHSIG),
#                 none is left behind; `stack.sh down` then cleans up.
#   graceful stop `stack.sh down` (SIGINT to lighttpd, SIGQUIT to nginx:
#                 their graceful stops) while 10 requests wait on a lock
#                 (5 in the workers, 5 queued in the front): all are
#                 answered 200, then nothing is left.
#   SIGTERM       lighttpd's immediate stop: no worker is left.
#   worker TERM   SIGTERM to every worker while each is in the middle of a
#                 request (its query waits on a lock): each request is
#                 answered in full (200, the whole JSON), then the workers
#                 exit and are replaced.  lighttpd and nginx.
set -euo pipefail
# shellcheck source=faults.bash
. "$(dirname "$0")/faults.bash"


# --- a worker SIGKILLed ----------------------------------------------------
worker_kill() {
	local L="[$FRONT] worker SIGKILLed" pids victim t0 ms total ok
	pids=$(worker_pids "$T_RUN_DIR")
	victim=$(head -n 1 <<<"$pids")
	load_start "kill-$FRONT"
	t0=$(now)
	kill -KILL "$victim"
	# Respawned: WORKERS workers again, the victim not among them.
	ms=$(wait_workers 5 15) || ms=timeout
	sleep 1
	load_stop
	check "$L: respawned, 5 workers again (after $ms ms)" \
	    [ "$ms" != timeout ]
	check_eq "$L: the other workers are the same processes" \
	    "$(grep -vx "$victim" <<<"$pids")" \
	    "$(worker_pids "$T_RUN_DIR" | grep -Fxf <(echo "$pids") || true)"
	read -r total ok _ _ _ _ < <(counts --ended-before "$t0")
	check_eq "$L: before the kill, all $total requests were 200" "$total" "$ok"
	# In flight at the kill, or started after it:
	read -r total ok _ _ _ _ < <(counts --ended-after "$t0")
	check "$L: $((total - ok)) of $total requests failed (at most 2)" \
	    [ "$total" -gt 0 -a "$((total - ok))" -le 2 ]
	printf '        %s: %d of %d requests failed, respawned in %s ms\n' \
	    "$L" "$((total - ok))" "$total" "$ms"
}

# --- lighttpd SIGKILLed ------------------------------------------------------
front_kill() {
	local L="[$FRONT] front SIGKILLed" deadline=$((SECONDS + 5))
	load_start "frontkill-$FRONT"
	kill -KILL "$(cat "$T_RUN_DIR/front.pid")"
	until [ -z "$(worker_pids "$T_RUN_DIR")" ] || [ "$SECONDS" -ge "$deadline" ]; do
		sleep 0.05
	done
	load_stop
	check_eq "$L: no orphan worker within 5 s" "" "$(worker_pids "$T_RUN_DIR")"
	check "$L: stack.sh down afterwards succeeds" t_down
	check "$L: the run directory is gone" [ ! -e "$T_RUN_DIR" ]
	check "$L: the port is free" port_free "$T_PORT"
}

# accepted: how many connections to the front it has accepted (those
# still in its listen queue do not count: a stop resets them).
accepted() {
	local conns queue
	conns=$(ss -Htn state established "( sport = :$T_PORT )" | wc -l)
	queue=$(ss -Hltn "( sport = :$T_PORT )" | awk '{ n += $2 } END { print n + 0 }')
	echo $((conns - queue))
}

# in_flight NAME [N]: N requests (default LOAD_CLIENTS), one per client,
# that wait for a lock held 3 s (the stack runs with a statement_timeout
# of 10 s); returns once the front has accepted every connection and the
# workers' queries wait on the lock: behind lighttpd one per worker (N,
# at most 5); nginx keeps FastCGI connections and two may be one
# worker's, the second waiting behind the first: there, at least one.
# Fails if that takes over 10 s.  The lock holder is LOCK_PID, the
# clients LOAD_PID.
in_flight() {
	local n=${2:-$LOAD_CLIENTS} blocked=1 deadline=$((SECONDS + 10))
	[ "$FRONT" != lighttpd ] || blocked=$((n < 5 ? n : 5))
	hold_lock 3
	LOAD_LOG=$D/$1.log
	LOAD_STOP=$D/$1.stop
	rm -f "$LOAD_LOG" "$LOAD_STOP"
	"$PYTHON" "$R/loadgen.py" run "$T_URL/users" "$LOAD_LOG" \
	    --clients "$n" --requests "$n" &
	LOAD_PID=$!
	wait_blocked "$blocked" || return 1
	until [ "$(accepted)" -ge "$n" ]; do
		[ "$SECONDS" -lt "$deadline" ] || return 1
		sleep 0.05
	done
	sleep 0.2
}

# --- SIGTERM to the workers in the middle of their requests ---------------
worker_term() {
	local L="[$FRONT] SIGTERM to busy workers" pids total ok ms t_kill n
	pids=$(worker_pids "$T_RUN_DIR")
	check "$L: 5 requests held in the workers by a lock" in_flight "term-$FRONT" 5
	t_kill=$(now)
	# shellcheck disable=SC2086 # a list of PIDs
	kill -TERM $pids
	wait "$LOAD_PID" "$LOCK_PID" || true
	LOAD_PID= LOCK_PID=
	read -r total ok _ _ bad _ < <(counts)
	check_eq "$L: 5 requests in progress, all answered 200 with the whole JSON" \
	    "5 5 0" "$total $ok $bad"
	read -r n _ < <(counts --before "$t_kill" --ended-after "$t_kill")
	check_eq "$L: all 5 were in flight when SIGTERM came" 5 "$n"
	ms=$(wait_workers 5 15) || ms=timeout
	check "$L: 5 workers again (after $ms ms), none of them the old ones" \
	    [ "$ms" != timeout -a -z "$(worker_pids "$T_RUN_DIR" | grep -Fxf <(echo "$pids"))" ]
}

# --- graceful stop with requests in flight ---------------------------------
graceful() {
	local L="[$FRONT] graceful stop" t0 total ok
	check "$L: $LOAD_CLIENTS requests held by a lock" in_flight "graceful-$FRONT"
	t0=$(now)
	check "$L: stack.sh down with $LOAD_CLIENTS requests in flight" t_down
	wait "$LOAD_PID" "$LOCK_PID" || true
	LOAD_PID= LOCK_PID=
	read -r total _ _ _ _ _ < <(counts --before "$t0" --ended-after "$t0")
	check_eq "$L: requests in flight when the stop began" "$LOAD_CLIENTS" "$total"
	read -r total ok _ _ _ _ < <(counts)
	check_eq "$L: every one answered 200" "$LOAD_CLIENTS $LOAD_CLIENTS" "$total $ok"
	[ "$ok" = "$LOAD_CLIENTS" ] || awk -v t0="$t0" '{ printf "        %.3f %.3f %s\n", $1 - t0, $2 - t0, $3 }' "$LOAD_LOG"
	check_eq "$L: no worker left" "" "$(worker_pids "$T_RUN_DIR")"
	check "$L: the port is free" port_free "$T_PORT"
}

# --- SIGTERM to lighttpd: its immediate stop -------------------------------
sigterm() {
	local L="[$FRONT] SIGTERM" deadline=$((SECONDS + 5)) total ok
	in_flight "sigterm-$FRONT"
	kill -TERM "$(cat "$T_RUN_DIR/front.pid")"
	wait "$LOAD_PID" "$LOCK_PID" || true
	LOAD_PID= LOCK_PID=
	until [ -z "$(worker_pids "$T_RUN_DIR")" ] || [ "$SECONDS" -ge "$deadline" ]; do
		sleep 0.05
	done
	check_eq "$L: no worker left within 5 s" "" "$(worker_pids "$T_RUN_DIR")"
	read -r total ok _ _ _ _ < <(counts)
	printf '        %s: immediate stop, %d of %d requests in flight cut\n' \
	    "$L" "$((total - ok))" "$total"
	check "$L: stack.sh down afterwards succeeds" t_down
}

for FRONT in lighttpd nginx; do
	export FRONT
	if ! WORKERS=5 t_up; then
		fail "[$FRONT] the stack comes up"
		continue
	fi
	worker_kill
	if [ "$FRONT" = lighttpd ]; then
		front_kill
	else
		t_down
	fi
	DB_STATEMENT_TIMEOUT=10000 WORKERS=5 t_up ||
	    { fail "[$FRONT] the stack comes up again"; continue; }
	worker_term
	graceful
done
FRONT=lighttpd
DB_STATEMENT_TIMEOUT=10000 WORKERS=5 t_up ||
    { fail "[$FRONT] the stack comes up again"; exit 0; }
sigterm
