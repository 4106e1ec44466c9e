# scripts/front.sh -- ROLE=front: only the front server, balancing over
# the workers of several app hosts (docs/DEPLOY.md: several hosts).
#
#   ROLE=front FRONT=nginx|lighttpd UPSTREAMS="ADDR:PORT ADDR:PORT" make up
#
# Sourced by scripts/stack.sh, whose `up` prepares the run directory and
# the error log (fd 3), calls front_check before and front_up after that,
# and waits until /users answers 200 (start the app hosts first); its
# `down` stops what front_up recorded.
#
# Balancing and failover are the front server's: nginx's upstream
# (least_conn, a failed connection or a timeout retried on the next
# host, a host that failed set aside for UPSTREAM_FAIL_TIMEOUT);
# lighttpd's fastcgi.server with one entry per host (the fewest open
# connections first; a host that refused or timed out a connection set
# aside for its disable-time).  Timeouts, in seconds:
#   UPSTREAM_CONNECT_TIMEOUT (1)  connecting to an app host
#   UPSTREAM_READ_TIMEOUT         waiting for a worker's answer: by default
#                                 the workers' own bound, DB_STATEMENT_TIMEOUT
#                                 (ms, 2000 unless set: set it here as on
#                                 the app hosts) + 1 s, plus 1 s, rounded up:
#                                 4 s by default, so that a request to a cut
#                                 host is retried on the next within ~5 s
#   UPSTREAM_FAIL_TIMEOUT (5)     how long a failed host is set aside
# shellcheck shell=bash

CONNECT=${UPSTREAM_CONNECT_TIMEOUT:-1}
READ=${UPSTREAM_READ_TIMEOUT:-}
FAIL=${UPSTREAM_FAIL_TIMEOUT:-5}

# front_check: die unless UPSTREAMS and the timeouts are well-formed.
front_check() {
	local a
	[ -n "${UPSTREAMS:-}" ] ||
	    die "ROLE=front needs UPSTREAMS=\"ADDR:PORT ...\" (the app hosts)"
	for a in $UPSTREAMS; do
		is_endpoint "$a" || die "UPSTREAMS: $a is not an IPv4 ADDR:PORT"
	done
	if [ -z "$READ" ]; then
		is_count "${DB_STATEMENT_TIMEOUT:-2000}" 600000 ||
		    die "DB_STATEMENT_TIMEOUT=$DB_STATEMENT_TIMEOUT: milliseconds, 1 to 600000"
		READ=$(((${DB_STATEMENT_TIMEOUT:-2000} + 999) / 1000 + 2))
	fi
	for a in "$CONNECT" "$READ" "$FAIL"; do
		is_count "$a" 9999 ||
		    die "UPSTREAM_*_TIMEOUT: $a is not a whole number of seconds (1 to 9999)"
	done
}

# front_up: start FRONT over UPSTREAMS.
front_up() { "front_$FRONT"; }

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
		# No keepalive here: nginx picks a kept connection without
		# knowing whether its worker is busy with another one, so a
		# request can queue behind a database wait on one worker while
		# others are idle (measured: 3,011 ms during the database cut of
		# tests/multihost.sh, bound 2,000 + 1,000).  A connection per
		# request lets least_conn and the backlog find a free worker.
		echo "}"
		echo "fastcgi_next_upstream error timeout;"
		echo "fastcgi_connect_timeout ${CONNECT}s;"
		echo "fastcgi_send_timeout ${READ}s;"
		echo "fastcgi_read_timeout ${READ}s;"
	} >"$RUN_DIR/upstream.conf"
	start_nginx
}

# lighttpd.conf, its fastcgi.server replaced by one entry per app host
# (lighttpd-front.conf includes both).
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
	# lighttpd.conf's fastcgi.server needs these, though replaced.
	WORKERS=1 WORKER_BIN=/nonexistent start_lighttpd "$ROOT/lighttpd-front.conf"
}
