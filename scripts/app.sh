#!/usr/bin/env bash
# scripts/app.sh -- ROLE=app: only the workers, on a TCP socket, for a
# front server on another host (README: Running on several hosts).
#
#   ROLE=app FCGI_LISTEN=ADDR:PORT FRONT_ADDRS="A B" DATABASE_URL=... \
#       WORKERS=N make up
#
# spawn-fcgi binds ADDR:PORT and, not forking, becomes multiwatch, which
# keeps WORKERS workers accepting on it and restarts any that die.
# FastCGI has no authentication: libfcgi closes every connection whose
# peer address is not in FRONT_ADDRS (its FCGI_WEB_SERVER_ADDRS) before
# reading a byte of it.  `make down` with the same ROLE and FCGI_LISTEN
# (scripts/stack.sh down) stops multiwatch, which stops the workers.
# Called by scripts/stack.sh up.
set -euo pipefail
. "$(dirname "$0")/common.sh"

RUN_DIR=$(state_dir)/$(run_dir_name)
IPV4='^([0-9]{1,3}[.]){3}[0-9]{1,3}$'

# wait_workers ADDR PORT: until WORKERS workers run under multiwatch and
# ADDR:PORT listens (at most 15 s).  Returns non-zero otherwise.
wait_workers() {
	local pid deadline=$((SECONDS + 15))
	pid=$(cat "$RUN_DIR/workers.pid")
	until [ "$(pgrep -c -P "$pid")" -eq "$WORKERS" ] &&
	    [ -n "$(ss -Htln "src $1 and sport = :$2")" ]; do
		[ "$SECONDS" -lt "$deadline" ] && pid_alive "$pid" || return 1
		sleep 0.1
	done
}

up() {
	local bin=${WORKER_BIN:-$ROOT/build/users-fcgi} u a
	local addr=${FCGI_LISTEN%:*} port=${FCGI_LISTEN##*:}
	[[ $addr =~ $IPV4 && $port =~ ^[0-9]+$ ]] ||
	    die "FCGI_LISTEN=$FCGI_LISTEN: an IPv4 ADDR:PORT"
	[ -n "${FRONT_ADDRS:-}" ] || die "set FRONT_ADDRS to the front" \
	    "servers' IPv4 addresses: FastCGI has no authentication"
	for a in $FRONT_ADDRS; do
		[[ $a =~ $IPV4 ]] || die "FRONT_ADDRS: $a is not an IPv4 address"
	done
	[ -n "${DATABASE_URL:-}${PGHOST:-}" ] ||
	    die "ROLE=app needs DATABASE_URL (the database runs on its own host)"
	[ -x "$bin" ] || die "$bin is not built: run make"
	[ ! -s "$RUN_DIR/workers.pid" ] ||
	    die "already up on $FCGI_LISTEN (make down first)"
	port_free "$port" "$addr" || die "$FCGI_LISTEN is in use"

	prepare_run_dir "$RUN_DIR" "$bin"
	echo app >"$RUN_DIR/front"
	u=$(run_user)
	# libfcgi reads FCGI_WEB_SERVER_ADDRS as a comma-separated list.
	FCGI_WEB_SERVER_ADDRS=$(tr -s ' ' ',' <<<"$FRONT_ADDRS") \
	    setsid spawn-fcgi -n -a "$addr" -p "$port" ${u:+-u "$u"} -- \
	    /usr/bin/multiwatch -f "$WORKERS" -s TERM -- "$RUN_DIR/bin/users-fcgi" \
	    </dev/null >/dev/null 2>>"$RUN_DIR/error.log" &
	echo $! >"$RUN_DIR/workers.pid"
	if ! wait_workers "$addr" "$port"; then
		tail -n 20 "$RUN_DIR/error.log" >&2 || true
		"$ROOT/scripts/stack.sh" down
		die "the workers did not start on $FCGI_LISTEN"
	fi
	log "$WORKERS workers on $FCGI_LISTEN, FastCGI from $FRONT_ADDRS only"
}

up
