#!/usr/bin/env bash
# scripts/front.sh -- ROLE=front: only the front server, balancing over
# the workers of several app hosts (README: Running on several hosts).
#
#   ROLE=front FRONT=nginx|lighttpd UPSTREAMS="ADDR:PORT ADDR:PORT" make up
#
# Balancing and failover are the front server's: nginx's upstream
# (least_conn, a failed connection or a timeout retried on the next
# host, a host that failed set aside for UPSTREAM_FAIL_TIMEOUT);
# lighttpd's fastcgi.server with one entry per host (the fewest open
# connections first; a host that refused or timed out a connection set
# aside for its disable-time).  Timeouts, in seconds:
#   UPSTREAM_CONNECT_TIMEOUT (1)  connecting to an app host
#   UPSTREAM_READ_TIMEOUT (10)    waiting for a worker's answer: longer than
#                                 the workers' own database bound
#   UPSTREAM_FAIL_TIMEOUT (5)     how long a failed host is set aside
# Returns once /users answers 200 (start the app hosts first).  `make
# down` with the same PORT (scripts/stack.sh down) stops it.
# Called by scripts/stack.sh up.
set -euo pipefail
. "$(dirname "$0")/common.sh"

BIND=${BIND:-127.0.0.1}
RUN_DIR=$(state_dir)/$(run_dir_name)
CONNECT=${UPSTREAM_CONNECT_TIMEOUT:-1}
READ=${UPSTREAM_READ_TIMEOUT:-10}
FAIL=${UPSTREAM_FAIL_TIMEOUT:-5}

# The nginx upstream block and the failover settings every request
# inherits.  A 503 of a worker (database unavailable) is an answer: it
# is passed on, not retried on another host.
front_nginx() {
	local a
	{
		echo "upstream users_fcgi {"
		echo "    least_conn;"
		# Every nginx worker sees the same failures and the same load.
		echo "    zone users_fcgi 64k;"
		for a in $UPSTREAMS; do
			echo "    server $a max_fails=1 fail_timeout=${FAIL}s;"
		done
		echo "}"
		echo "fastcgi_next_upstream error timeout;"
		echo "fastcgi_connect_timeout ${CONNECT}s;"
		echo "fastcgi_send_timeout ${READ}s;"
		echo "fastcgi_read_timeout ${READ}s;"
	} >"$RUN_DIR/upstream.conf"
	nginx_up "$RUN_DIR"
}

# lighttpd.conf, its fastcgi.server replaced by one entry per app host
# (lighttpd-front.conf includes both).  It stays in the foreground of a
# session of its own and writes its own pid file.
front_lighttpd() {
	local a
	{
		echo 'fastcgi.balance = "least-connection"'
		echo 'fastcgi.server := ( "/" => ('
		for a in $UPSTREAMS; do
			printf '\t( "host" => "%s", "port" => %s,\n' "${a%:*}" "${a##*:}"
			printf '\t  "check-local" => "disable", "fix-root-scriptname" => "enable",\n'
			printf '\t  "connect-timeout" => %s, "read-timeout" => %s, "write-timeout" => %s,\n' \
			    "$CONNECT" "$READ" "$READ"
			printf '\t  "disable-time" => %s ),\n' "$FAIL"
		done
		echo ') )'
	} >"$RUN_DIR/upstream.conf"
	PORT=$PORT BIND=$BIND RUN_DIR=$RUN_DIR WORKERS=1 WORKER_BIN=/nonexistent \
	    RUN_USER=$(run_user) \
	    setsid lighttpd -D -f "$ROOT/lighttpd-front.conf" \
	    </dev/null >/dev/null 2>>"$RUN_DIR/error.log" &
}

up() {
	local a
	case "$FRONT" in lighttpd|nginx) ;; *) die "FRONT=$FRONT: lighttpd or nginx" ;; esac
	[ -n "${UPSTREAMS:-}" ] ||
	    die "ROLE=front needs UPSTREAMS=\"ADDR:PORT ...\" (the app hosts)"
	for a in $UPSTREAMS; do
		[[ $a =~ ^[0-9.]+:[0-9]+$ ]] || die "UPSTREAMS: $a is not an IPv4 ADDR:PORT"
	done
	for a in "$CONNECT" "$READ" "$FAIL"; do
		[[ $a =~ ^[1-9][0-9]*$ ]] || die "UPSTREAM_*_TIMEOUT: $a is not a whole number of seconds"
	done
	[ ! -s "$RUN_DIR/front.pid" ] || die "already up on port $PORT (make down first)"
	port_free "$PORT" "$BIND" || die "port $PORT is in use"

	prepare_run_dir "$RUN_DIR" ""
	echo "$FRONT" >"$RUN_DIR/front"
	if ! "front_$FRONT" || ! wait_http_200 "http://$BIND:$PORT/users" 30; then
		tail -n 20 "$RUN_DIR/error.log" >&2 || true
		"$ROOT/scripts/stack.sh" down
		die "/users did not answer 200 on port $PORT (are the app hosts up?)"
	fi
	log "$FRONT on http://$BIND:$PORT/users over $UPSTREAMS"
}

up
