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
# (build/users-fcgi).  Everything for one PORT lives in
# $(state_dir)/run-$PORT.
set -euo pipefail
. "$(dirname "$0")/common.sh"

BIND=${BIND:-127.0.0.1}
STATE=$(state_dir)
RUN_DIR=$STATE/run-$PORT

# Start the workers and nginx in front of them.
up_nginx() {
	local u user_line=""
	u=$(run_user)
	mkdir -p "$RUN_DIR/nginx"
	[ -z "$u" ] || { user_line="user $u;"; chown "$u": "$RUN_DIR/nginx"; }
	sed -e "s|@PORT@|$PORT|g" -e "s|@BIND@|$BIND|g" \
	    -e "s|@RUN_DIR@|$RUN_DIR|g" -e "s|@USER@|$user_line|g" \
	    "$ROOT/nginx.conf" >"$RUN_DIR/nginx.conf"
	spawn-fcgi -s "$RUN_DIR/sock/users.sock" -M 0600 \
	    ${u:+-u "$u" -U "$u"} -P "$RUN_DIR/workers.pid" -- \
	    /usr/bin/multiwatch -f "$WORKERS" -s TERM -- "$RUN_DIR/bin/users-fcgi" \
	    >/dev/null 2>>"$RUN_DIR/error.log"
	nginx -p "$RUN_DIR/" -c "$RUN_DIR/nginx.conf" -e "$RUN_DIR/error.log"
}

up_lighttpd() {
	PORT=$PORT BIND=$BIND WORKERS=$WORKERS RUN_DIR=$RUN_DIR \
	    WORKER_BIN=$RUN_DIR/bin/users-fcgi RUN_USER=$(run_user) \
	    lighttpd -f "$ROOT/lighttpd.conf"
}

up() {
	local bin=${WORKER_BIN:-$ROOT/build/users-fcgi}
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
	mkdir -p "$RUN_DIR/www" "$RUN_DIR/bin"
	chmod 0755 "$STATE" "$RUN_DIR"
	[ -z "$(run_user)" ] || chown "$(run_user):" "$RUN_DIR"
	make_private_dir "$RUN_DIR/sock"
	install -m 0755 "$bin" "$RUN_DIR/bin/users-fcgi"
	echo "$FRONT" >"$RUN_DIR/front"

	if ! "up_$FRONT" || ! wait_http_200 "http://$BIND:$PORT/users" 30; then
		tail -n 20 "$RUN_DIR/error.log" >&2 || true
		down
		die "/users did not answer 200 on port $PORT"
	fi
	log "$FRONT on http://$BIND:$PORT/users with $WORKERS workers"
}

down() {
	# nginx (or lighttpd, which stops the workers it spawned), then the
	# nginx workers' supervisor, which stops its children.
	stop_pidfile "$RUN_DIR/front.pid"
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
		    kill -0 "$(cat "$f")" 2>/dev/null && return 0
	done
	return 1
}

run() {
	up
	trap 'down' EXIT
	trap 'exit 0' INT TERM
	log "Ctrl-C stops everything"
	tail -n 0 -F "$RUN_DIR/error.log" 2>/dev/null &
	wait $! || true
}

case "${1:-}" in
up) up ;;
down) down ;;
run) run ;;
*) die "usage: stack.sh up|down|run" ;;
esac
