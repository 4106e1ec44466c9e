#!/usr/bin/env bash
# scripts/stack.sh -- start and stop the whole service.
#
#   stack.sh up     PostgreSQL (embedded unless DATABASE_URL is set), the
#                   front server and WORKERS workers, in the background;
#                   returns once /users answers 200
#   stack.sh down   stop what `up` started on PORT
#   stack.sh run    `up`, follow the error log, `down` on Ctrl-C
#
# Environment: PORT (8080), BIND (127.0.0.1), WORKERS (5), FRONT
# (lighttpd | nginx), DATABASE_URL, STATE_DIR, WORKER_BIN
# (build/users-fcgi), FRONT_NICE, FRONT_CPUS (front_sched).  Everything
# for one PORT lives in $(state_dir)/run-$PORT.  ROLE=app or ROLE=front
# runs one part of a stack spread over several hosts: scripts/app.sh,
# scripts/front.sh.
set -euo pipefail
. "$(dirname "$0")/common.sh"

BIND=${BIND:-127.0.0.1}
STATE=$(state_dir)
RUN_DIR=$STATE/$(run_dir_name)

# Start the workers and nginx in front of them.
up_nginx() {
	local u
	u=$(run_user)
	# keepalive: at most this many idle kept connections per nginx
	# worker (nginx.conf keeps them: fastcgi_keep_conn).
	printf 'upstream users_fcgi {\n    server unix:%s;\n    keepalive 32;\n}\n' \
	    "$RUN_DIR/sock/users.sock" >"$RUN_DIR/upstream.conf"
	# spawn-fcgi binds the socket and, not forking (-n), becomes
	# multiwatch, whose workers inherit the error log as stderr.
	setsid spawn-fcgi -n -s "$RUN_DIR/sock/users.sock" -M 0600 \
	    ${u:+-u "$u" -U "$u"} -- \
	    /usr/bin/multiwatch -f "$WORKERS" -s TERM -- "$RUN_DIR/bin/users-fcgi" \
	    </dev/null >/dev/null 2>>"$RUN_DIR/error.log" &
	echo $! >"$RUN_DIR/workers.pid"
	nginx_up "$RUN_DIR"
}

# Start lighttpd, which spawns the workers.  It stays in the foreground
# of a session of its own, so that its stderr -- which the workers
# inherit -- is the error log; it writes its own pid file.
up_lighttpd() {
	PORT=$PORT BIND=$BIND WORKERS=$WORKERS RUN_DIR=$RUN_DIR \
	    WORKER_BIN=$RUN_DIR/bin/users-fcgi RUN_USER=$(run_user) \
	    setsid lighttpd -D -f "$ROOT/lighttpd.conf" \
	    </dev/null >/dev/null 2>>"$RUN_DIR/error.log" &
}

up() {
	local bin=${WORKER_BIN:-$ROOT/build/users-fcgi}
	if [ -n "${ROLE:-}" ]; then "$ROOT/scripts/$ROLE.sh"; return; fi
	[ -x "$bin" ] || die "$bin is not built: run make"
	case "$FRONT" in lighttpd|nginx) ;; *) die "FRONT=$FRONT: lighttpd or nginx" ;; esac
	[ ! -s "$RUN_DIR/front.pid" ] || die "already up on port $PORT (make down first)"
	port_free "$PORT" || die "port $PORT is in use"

	if [ -z "${DATABASE_URL:-}" ]; then
		"$ROOT/scripts/db.sh" start
		DATABASE_URL=$("$ROOT/scripts/db.sh" url)
		mkdir -p "$RUN_DIR"
		touch "$RUN_DIR/embedded-db"
	fi
	export DATABASE_URL
	# The run directory and the worker binary must be reachable by the
	# run user: a copy of the binary lives here.
	prepare_run_dir "$RUN_DIR" "$bin"
	echo "$FRONT" >"$RUN_DIR/front"

	if ! "up_$FRONT" || ! wait_http_200 "http://$BIND:$PORT/users" 30; then
		tail -n 20 "$RUN_DIR/error.log" >&2 || true
		down
		die "/users did not answer 200 on port $PORT"
	fi
	front_sched
	log "$FRONT on http://$BIND:$PORT/users with $WORKERS workers"
}

# FRONT_NICE, FRONT_CPUS (optional, for measuring scheduling: see
# bench/PERFORMANCE.md): give the front server's processes -- not the
# workers -- this nice value (negative needs root), or pin them to these
# CPUs (taskset list).  Applied once the stack answers.
front_sched() {
	local p front
	[ -n "${FRONT_NICE:-}${FRONT_CPUS:-}" ] || return 0
	front=$(cat "$RUN_DIR/front.pid")
	for p in "$front" $(pgrep -P "$front"); do
		[ "$(readlink "/proc/$p/exe")" != "$RUN_DIR/bin/users-fcgi" ] || continue
		[ -z "${FRONT_NICE:-}" ] || renice -n "$FRONT_NICE" -p "$p" >/dev/null
		[ -z "${FRONT_CPUS:-}" ] || taskset -pc "$FRONT_CPUS" "$p" >/dev/null
	done
	log "front (pid $front and its non-worker children): nice ${FRONT_NICE:-unchanged}, CPUs ${FRONT_CPUS:-all}"
}

# The signal that stops the front server gracefully: no new connections,
# the requests in progress answered first.  SIGTERM would cut them: it is
# the immediate stop of both lighttpd and nginx.
graceful_signal() {
	case "$(cat "$RUN_DIR/front" 2>/dev/null)" in
	nginx) echo QUIT ;;
	*) echo INT ;;
	esac
}

down() {
	# nginx (or lighttpd, which stops the workers it spawned), then the
	# nginx workers' supervisor, which stops its children.
	stop_pidfile "$RUN_DIR/front.pid" "$(graceful_signal)"
	stop_pidfile "$RUN_DIR/workers.pid"
	if [ -e "$RUN_DIR/embedded-db" ] && ! other_runs; then
		"$ROOT/scripts/db.sh" stop
	fi
	rm -rf "$RUN_DIR"
}

# Is a stack on another port still up?  (It shares the embedded database.)
other_runs() {
	local f
	for f in "$STATE"/run-*/front.pid; do
		[ -s "$f" ] && [ "$f" != "$RUN_DIR/front.pid" ] &&
		    pid_alive "$(cat "$f")" && return 0
	done
	return 1
}

run() {
	local tail_pid
	up
	log "Ctrl-C stops everything"
	tail -n 0 -F "$RUN_DIR/error.log" 2>/dev/null &
	tail_pid=$!
	trap 'kill "$tail_pid" 2>/dev/null; down' EXIT
	trap 'exit 0' INT TERM
	wait "$tail_pid" || true
}

case "${1:-}" in
up) up ;;
down) down ;;
run) run ;;
*) die "usage: stack.sh up|down|run" ;;
esac
