#!/usr/bin/env bash
# bench/live.sh -- make load: watch a stack under the seed's load, live.
# oha (built once by lib/oha.sh) with its terminal UI, the seed's flags as
# defaults: oha -n 50000 -c 10 --disable-keepalive http://127.0.0.1:PORT/users
#
#   make up; make load        the stack `make up` runs (PORT, default 8080)
#   make load STACK=NAME      NAME = axum, fastapi, fastapi-async, c-lighttpd
#                             or c-nginx: started for the run on a free port
#                             (or PORT) against DATABASE_URL, else the
#                             embedded database (scripts/db.sh, started if
#                             it is not running and then stopped again),
#                             stopped afterwards
#
# Knobs (make variables or environment): REQUESTS (50000), CONCURRENCY
# (10), KEEPALIVE=1 (keep connections instead of one per request),
# OHA_ARGS (more oha flags, e.g. "-q 1000 --latency-correction").  oha's
# live view needs a terminal; without one it runs with --no-tui and
# prints its summary at the end.  In the live view, q or Ctrl-C stops.
set -euo pipefail
GIVEN_PORT=${PORT:-}
BENCH_DIR=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=../scripts/common.sh
. "$BENCH_DIR/../scripts/common.sh"
# shellcheck source=lib/stacks.sh
. "$BENCH_DIR/lib/stacks.sh"
# shellcheck source=lib/db.sh
. "$BENCH_DIR/lib/db.sh"

REQUESTS=${REQUESTS:-50000}
CONCURRENCY=${CONCURRENCY:-10}
STACK=${STACK:-}
OUT="" KEEP_OUT="" BENCH_STATE=$(state_dir)	# BENCH_STATE: lib/stacks.sh
is_count "$REQUESTS" || die "REQUESTS=$REQUESTS: a number of requests, 1 or more"
is_count "$CONCURRENCY" "$REQUESTS" ||
    die "CONCURRENCY=$CONCURRENCY: 1 to REQUESTS ($REQUESTS) connections"

# start_stack: the embedded database (if it is not running), then STACK
# on GIVEN_PORT or a free port; sets URL.
start_stack() {
	local peers
	[[ " $STACKS_ALL " == *" $STACK "* ]] && [ "$STACK" != pgbench ] ||
	    die "STACK=$STACK: one of ${STACKS_ALL% pgbench}"
	peers=$(stack_peers "$STACK")
	if [ -n "$peers" ]; then
		"$BENCH_DIR/peers/prepare.sh" "$peers" || exit 1
	fi
	bench_db
	OUT=$(mktemp -d /tmp/users-fcgi-load.XXXXXX)
	mkdir -p "$OUT/logs"
	log "starting $STACK"
	if ! stack_up "$STACK" "${GIVEN_PORT:-$(free_port)}"; then
		KEEP_OUT=1
		die "$STACK did not start (its log: $OUT/logs/$STACK.log)"
	fi
	URL=http://127.0.0.1:$UP_PORT/users
}

cleanup() {
	stack_down || true
	bench_db_stop
	# Keep the log of a stack that failed to start.
	if [ -n "$OUT" ] && [ -z "$KEEP_OUT" ]; then rm -rf "$OUT"; fi
}

main() {
	local oha argv
	oha=$("$BENCH_DIR/lib/oha.sh") || exit 1
	trap cleanup EXIT
	trap 'exit 130' INT TERM
	if [ -n "$STACK" ]; then
		start_stack
	else
		URL=http://127.0.0.1:$PORT/users
		wait_http_200 "$URL" 2 ||
		    die "nothing answers 200 at $URL: run make up first (PORT=$PORT), or make load STACK=axum|fastapi|fastapi-async"
	fi
	argv=("$oha" -n "$REQUESTS" -c "$CONCURRENCY")
	[ "${KEEPALIVE:-0}" = 1 ] || argv+=(--disable-keepalive)
	if ! [ -t 0 ] || ! [ -t 1 ]; then
		log "no terminal: oha's live view needs one, so it runs with --no-tui" \
		    "and prints its summary at the end"
		argv+=(--no-tui)
	fi
	# shellcheck disable=SC2206  # OHA_ARGS: words on purpose
	argv+=(${OHA_ARGS:-} "$URL")
	log "oha ${argv[*]:1}"
	"${argv[@]}"
}

main "$@"
