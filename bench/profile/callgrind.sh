#!/usr/bin/env bash
# bench/profile/callgrind.sh [BIN] -- instructions per request of one worker,
# counted by valgrind's callgrind: repeatable where wall time is not.
#
# Runs BIN (default build/users-fcgi) under callgrind on a private
# socket, sends it N1 and then N2 requests through cgi-fcgi, and prints
# (I(N2) - I(N1)) / (N2 - N1): the cost of one request, start-up excluded.
# Uses DATABASE_URL, else the embedded database (started, and stopped
# again if it was not running).
set -euo pipefail
# shellcheck source=../lib/db.sh
. "$(dirname "$0")/../lib/db.sh"

BIN=${1:-$ROOT/build/users-fcgi}
N1=${N1:-100}
N2=${N2:-600}
TMP=$(mktemp -d)
cleanup() {
	bench_db_stop
	rm -rf "$TMP"
}
trap cleanup EXIT
bench_db

# fcgi PATH: one GET PATH through cgi-fcgi, with the parameters lighttpd
# sends for `curl URL` (cgi-fcgi sends its environment: a fixed one, so
# that the count does not depend on the caller's).
fcgi() {
	env -i REQUEST_METHOD=GET SCRIPT_NAME="$1" REQUEST_URI="$1" \
	    QUERY_STRING= CONTENT_LENGTH=0 REDIRECT_STATUS=200 \
	    SCRIPT_FILENAME="/srv/www$1" DOCUMENT_ROOT=/srv/www \
	    SERVER_PROTOCOL=HTTP/1.1 SERVER_SOFTWARE=users-fcgi \
	    GATEWAY_INTERFACE=CGI/1.1 REQUEST_SCHEME=http SERVER_PORT=8080 \
	    SERVER_ADDR=127.0.0.1 SERVER_NAME=127.0.0.1 REMOTE_ADDR=127.0.0.1 \
	    REMOTE_PORT=40000 HTTP_HOST=127.0.0.1:8080 \
	    HTTP_USER_AGENT=curl/7.88.1 HTTP_ACCEPT='*/*' \
	    "$CGI_FCGI" -bind -connect "$TMP/sock"
}
CGI_FCGI=$(command -v cgi-fcgi)

# instructions N: total Ir of a worker that served N requests.
instructions() {
	local pid i
	spawn-fcgi -n -s "$TMP/sock" -- "$(command -v valgrind)" --tool=callgrind \
	    --callgrind-out-file="$TMP/cg.$1" "$BIN" >/dev/null 2>&1 &
	pid=$!
	# Bound is not yet listening: wait until the first request goes through.
	for _ in $(seq 100); do
		fcgi /nope >/dev/null 2>&1 && break
		sleep 0.1
	done
	for i in $(seq "$1"); do
		fcgi /users >"$TMP/out" || die "request $i failed"
	done
	grep -q '^\[{"user_id"' "$TMP/out" || die "unexpected answer: $(head -c 200 "$TMP/out")"
	kill -TERM "$pid"
	wait "$pid" || true
	rm -f "$TMP/sock"
	sed -n 's/^summary: //p' "$TMP/cg.$1"
}

i1=$(instructions "$N1")
i2=$(instructions "$N2")
echo "$(( (i2 - i1) / (N2 - N1) )) instructions per request ($N1: $i1, $N2: $i2)"
