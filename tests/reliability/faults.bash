# tests/reliability/faults.bash -- sourced by the fault tests: clocks,
# locks, PostgreSQL's processes, and a cleanup that undoes every fault on
# exit.  The background load (load_start, load_stop, counts) is lib.sh's.
# shellcheck shell=bash

# shellcheck source=../lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

R=$ROOT/tests/reliability
# D: the sourcing suite's own directory, $T_TMP/NAME for tests/reliability/NAME.sh.
D=$T_TMP/$(basename "$0" .sh)
mkdir -p "$D"
LOAD_CLIENTS=10
PAUSED_PIDS=
LOCK_PID=

# plus A B: A + B, two times in seconds (now).
plus() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.6f\n", a + b }'; }

# requests N METHOD PATH [CLIENTS]: N requests to $T_URL/PATH, CLIENTS (4)
# at a time, each on a new connection; prints how many got each status
# and body verdict, one line each ("200 json 400"; see loadgen.py).
requests() {
	local log=$D/requests.log
	rm -f "$log"
	"$PYTHON" "$R/loadgen.py" run "$T_URL$3" "$log" --clients "${4:-4}" \
	    --requests "$1" --method "$2" --seconds 900
	awk '{print $3, $4}' "$log" | sort | uniq -c | awk '{print $2, $3, $1}'
}

# hold_lock SECONDS: a session takes ACCESS EXCLUSIVE on users and keeps
# it SECONDS, in the background (LOCK_PID).  Returns once the lock is
# held; $D/locked and $D/unlocked get the times it was taken and let go.
hold_lock() {
	local deadline=$((SECONDS + 10))
	rm -f "$D/locked" "$D/unlocked"
	psql -X -q -d "$DATABASE_URL" -c 'BEGIN' \
	    -c 'LOCK TABLE users IN ACCESS EXCLUSIVE MODE' \
	    -c "\\! date +%s.%N >$D/locked.tmp; mv $D/locked.tmp $D/locked" \
	    -c "SELECT pg_sleep($1)" \
	    -c "\\! date +%s.%N >$D/unlocked" -c 'COMMIT' >/dev/null &
	LOCK_PID=$!
	until [ -s "$D/locked" ] || [ "$SECONDS" -ge "$deadline" ]; do
		sleep 0.02
	done
}

# wait_blocked N: until N workers' queries wait for a lock (at most 10 s).
wait_blocked() {
	local deadline=$((SECONDS + 10))
	until [ "$(psql -X -At -d "$DATABASE_URL" -c "SELECT count(*)
	    FROM pg_stat_activity WHERE application_name = 'users-fcgi'
	    AND wait_event_type = 'Lock'")" -ge "$1" ]; do
		[ "$SECONDS" -lt "$deadline" ] || return 1
		sleep 0.05
	done
}

# The postmaster's PID, and all of PostgreSQL's (postmaster first).
pg_postmaster() { head -n 1 "$STATE_DIR/pg/data/postmaster.pid"; }
pg_all() { local p; p=$(pg_postmaster); echo "$p" $(pgrep -P "$p"); }

# pause PIDS...: SIGSTOP them; the cleanup resumes them.
pause() { PAUSED_PIDS="$PAUSED_PIDS $*"; kill -STOP "$@"; }
# shellcheck disable=SC2086 # a list of PIDs
resume() { [ -z "$PAUSED_PIDS" ] || kill -CONT $PAUSED_PIDS 2>/dev/null || true; PAUSED_PIDS=; }

# The server processes of the workers' connections.
worker_backends() {
	psql -X -At -d "$DATABASE_URL" -c "SELECT pid FROM pg_stat_activity
	    WHERE application_name = 'users-fcgi'"
}

# wait_workers N SECONDS: until the stack runs N workers; prints how long
# it took in ms, returns non-zero on timeout.
wait_workers() {
	local t0 deadline=$((SECONDS + $2))
	t0=$(date +%s%3N)
	until [ "$(worker_pids "$T_RUN_DIR" | wc -l)" -eq "$1" ]; do
		[ "$SECONDS" -lt "$deadline" ] || return 1
		sleep 0.05
	done
	echo $(($(date +%s%3N) - t0))
}

# Undo every fault: load, paused processes, held lock, the stack.
faults_cleanup() {
	[ -z "$LOAD_PID" ] || { touch "$LOAD_STOP"; kill "$LOAD_PID" 2>/dev/null || true; }
	resume
	[ -z "$LOCK_PID" ] || kill "$LOCK_PID" 2>/dev/null || true
	if [ -n "${T_PORT:-}" ] && [ -d "$T_RUN_DIR" ]; then t_down || true; fi
}
trap faults_cleanup EXIT


# fcgi_users ADDR:PORT: does a GET /users straight to the FastCGI workers
# at ADDR:PORT (cgi-fcgi, as a front would) answer with users?
fcgi_users() {
	env -i SCRIPT_NAME=/users REQUEST_METHOD=GET SERVER_PROTOCOL=HTTP/1.1 \
	    timeout 5 cgi-fcgi -bind -connect "$1" 2>/dev/null | grep -q '"user_id"'
}
