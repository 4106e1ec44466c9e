# bench/lib/stacks.sh -- start and stop the stacks under test.
# shellcheck shell=bash
#
# A stack is one of STACKS_ALL.  The C stacks go through scripts/stack.sh
# (in the bench's own STATE_DIR); each peer is bench/peers/NAME/run.sh,
# which execs one server on 127.0.0.1:$PORT.  pgbench is no server: it
# has no up/down, the harness runs it on its own (lib/load.sh).
#
# stack_up NAME PORT [WORKERS] starts one and sets UP_NAME, UP_PORT,
# UP_PID (the peer's process; empty for the C stacks); stack_down stops
# it; stack_roots prints the root PIDs of its process trees.  What the
# reports call them is bench/report.py's business.

# shellcheck disable=SC2034  # used by run.sh
STACKS_ALL="c-lighttpd c-nginx fastapi fastapi-async axum pgbench"
UP_NAME="" UP_PORT="" UP_PID=""

stack_is_c() { case "$1" in c-*) return 0 ;; *) return 1 ;; esac; }

# stack_peers STACK...: those of them that are peers (bench/peers/NAME).
stack_peers() {
	local s
	for s in "$@"; do
		stack_is_c "$s" || [ "$s" = pgbench ] || echo "$s"
	done | xargs
}

# stack_up NAME PORT [WORKERS]
stack_up() {
	UP_NAME=$1 UP_PORT=$2 UP_PID=""
	if stack_is_c "$1"; then
		PORT=$2 WORKERS=${3:-5} FRONT=${1#c-} DATABASE_URL=$DB_URL \
		    STATE_DIR=$BENCH_STATE "$ROOT/scripts/stack.sh" up \
		    2>>"$OUT/logs/$1.log" || { UP_NAME=""; return 1; }
		return 0
	fi
	PORT=$2 DATABASE_URL=$DB_URL PYTHONDONTWRITEBYTECODE=1 \
	    "$BENCH_DIR/peers/$1/run.sh" >>"$OUT/logs/$1.log" 2>&1 &
	UP_PID=$!
	if ! wait_http_200 "http://127.0.0.1:$2/users" 60 "$UP_PID"; then
		log "$1 did not answer 200 on port $2; the end of its log:"
		tail -n 20 "$OUT/logs/$1.log" >&2 || true
		stack_down
		return 1
	fi
}

# Stop what stack_up started (nothing if nothing is up).
stack_down() {
	[ -n "$UP_NAME" ] || return 0
	if stack_is_c "$UP_NAME"; then
		PORT=$UP_PORT STATE_DIR=$BENCH_STATE "$ROOT/scripts/stack.sh" down \
		    2>>"$OUT/logs/$UP_NAME.log" || true
	elif [ -n "$UP_PID" ]; then
		stop_pid "$UP_PID"
	fi
	UP_NAME="" UP_PORT="" UP_PID=""
}

# The root PIDs of the stack that is up, comma-separated: the front
# server (and for nginx the workers' supervisor), or the peer's process.
# The sampler adds their descendants.
stack_roots() {
	local f run=$BENCH_STATE/run-$UP_PORT pids=()
	if stack_is_c "$UP_NAME"; then
		for f in "$run/front.pid" "$run/workers.pid"; do
			[ ! -s "$f" ] || pids+=("$(cat "$f")")
		done
	else
		pids=("$UP_PID")
	fi
	local IFS=,
	echo "${pids[*]}"
}
