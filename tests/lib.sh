# tests/lib.sh -- sourced by every test script: assertions and fixtures.
# shellcheck shell=bash
#
# Results are appended to $T_RESULTS (one line per assertion), so checks
# made in subshells count.  tests/run.sh creates it and prints the total.

. "$(dirname "${BASH_SOURCE[0]}")/../scripts/common.sh"

: "${T_RESULTS:?run the tests through tests/run.sh (make test)}"
: "${T_TMP:?run the tests through tests/run.sh (make test)}"

pass() { printf 'ok      %s\n' "$*"; echo pass >>"$T_RESULTS"; }
fail() { printf 'FAILED  %s\n' "$*"; echo fail >>"$T_RESULTS"; }

# check NAME COMMAND...: pass if COMMAND succeeds.
check() {
	local name=$1
	shift
	if "$@"; then pass "$name"; else fail "$name"; fi
}

# check_eq NAME EXPECTED ACTUAL
check_eq() {
	if [ "$2" = "$3" ]; then pass "$1"
	else fail "$1 (expected '${2:0:200}', got '${3:0:200}')"; fi
}

# The PIDs of the workers of the stack in run directory $1, sorted.
worker_pids() {
	local pid
	for pid in $(pgrep -x users-fcgi); do
		if [ "$(readlink "/proc/$pid/exe" 2>/dev/null)" = "$1/bin/users-fcgi" ]; then
			echo "$pid"
		fi
	done | sort -n
}

# copy_checkout DIR: the scripts, configurations, sql/ and the built
# worker, as a checkout of their own at DIR (its own default state
# directory).
copy_checkout() {
	mkdir -p "$1/build"
	cp -r "$ROOT/scripts" "$ROOT/sql" "$ROOT/lighttpd.conf" "$ROOT/nginx.conf" "$1/"
	cp "$ROOT/build/users-fcgi" "$1/build/"
}

# t_up [VAR=VALUE...]: start a stack on a free port in the suite's state
# directory, with those settings added to the environment (FRONT,
# WORKERS, WORKER_BIN, DATABASE_URL...).  Sets T_PORT, T_URL, T_RUN_DIR.
# Returns non-zero if it did not come up.
t_up() {
	T_PORT=$(free_port)
	T_URL=http://127.0.0.1:$T_PORT
	T_RUN_DIR=$STATE_DIR/run-$T_PORT
	env "$@" PORT="$T_PORT" "$ROOT/scripts/stack.sh" up
}

# for_each_front FUNCTION [VAR=VALUE...]: for FRONT = lighttpd, then
# nginx (exported): t_up with those settings, FUNCTION, then t_down
# unless FUNCTION stopped the stack itself.  A stack that does not come
# up is a failure, and the next front is tried.
for_each_front() {
	local fn=$1
	shift
	for FRONT in lighttpd nginx; do
		export FRONT
		if ! t_up "$@"; then fail "[$FRONT] the stack comes up"; continue; fi
		"$fn"
		[ ! -d "$T_RUN_DIR" ] || t_down
	done
}

# t_down: stop the stack started by t_up.
t_down() {
	PORT=$T_PORT "$ROOT/scripts/stack.sh" down
}

# http_code URL [curl args...]: the status code, or 000 on no answer.
http_code() {
	local url=$1
	shift
	curl -s -o /dev/null -w '%{http_code}' --max-time 10 "$@" "$url" || true
}

# load URL N P: N GET requests, P at a time; prints the count of each
# status code ("200 97", "503 3"; 000 = no answer).
load() {
	seq "$2" | xargs -P "$3" -I{} curl -s -o /dev/null --max-time 10 \
	    -w '%{http_code}\n' "$1" | sort | uniq -c | awk '{print $2, $1}'
}

# raw_request PORT TEXT: send TEXT (printf escapes allowed) to the front
# as it is, print every byte of the answer until the server closes.
raw_request() { "$PYTHON" "$ROOT/tests/rawhttp.py" "$1" "$2"; }

# alive PID...: print the PIDs that still run.
alive() {
	local p
	for p in "$@"; do pid_alive "$p" && echo "$p"; done
	return 0
}

# gone_within PID SECS: wait until PID no longer runs, at most SECS
# seconds.  Returns 0 once it is gone, 1 if it still runs then.
gone_within() {
	local deadline=$((SECONDS + $2))
	while pid_alive "$1"; do
		[ "$SECONDS" -lt "$deadline" ] || return 1
		sleep 0.1
	done
}

# sql SQL...: run each SQL (a psql -c) on DATABASE_URL: quiet, rows
# unaligned, stopping at the first error.
sql() {
	local c args=()
	for c; do args+=(-c "$c"); done
	psql -X -q -At -v ON_ERROR_STOP=1 -d "$DATABASE_URL" "${args[@]}"
}

# now: the time, in seconds since the epoch (with nanoseconds).
now() { date +%s.%N; }

# le A B: is A a whole number no larger than B?
le() { [[ $1 =~ ^[0-9]+$ ]] && [ "$1" -le "$2" ]; }

# wait_lines FILE N SECS: wait until FILE has N lines, at most SECS
# seconds.  Returns 0 once it has, 1 otherwise.
wait_lines() {
	local deadline=$((SECONDS + $3))
	until [ "$(cat "$1" 2>/dev/null | wc -l)" -ge "$2" ]; do
		[ "$SECONDS" -lt "$deadline" ] || return 1
		sleep 0.05
	done
}

# get NAME URL [curl args...]: GET (or what the curl args say) URL; the
# body goes to $D/NAME.body, the headers to $D/NAME.h (CRs removed).
# $D is the calling suite's own directory.
get() {
	local name=$1 url=$2
	shift 2
	curl -s --max-time 10 -D "$D/$name.head" -o "$D/$name.body" "$@" "$url" || true
	tr -d '\r' <"$D/$name.head" >"$D/$name.h"
}
# header NAME FIELD: that header's value in the answer NAME (get).
header() { sed -n "s/^$2: //Ip" "$D/$1.h" | head -n 1; }
# status NAME: the answer NAME's status code.
status() { sed -n '1s/^HTTP\/[0-9.]* \([0-9]*\).*/\1/p' "$D/$1.h"; }

# A background load (tests/reliability/loadgen.py) that records every
# request: load_start, load_stop, counts.  LOAD_ON is a command prefix
# to run it with (multihost.sh: inside the front's network namespace).
LOAD_PID=
LOAD_LOG=
LOAD_STOP=
LOAD_ON=${LOAD_ON:-}
LOADGEN=$ROOT/tests/reliability/loadgen.py

# load_start NAME [URL [loadgen run options...]]: clients send requests
# to URL ($T_URL/users) in the background until load_stop, by default
# LOAD_CLIENTS (10) of them for at most 60 s; every request is logged to
# $D/NAME.log (LOAD_LOG).  Returns once 50 requests are done.
load_start() {
	local url=${2:-$T_URL/users}
	LOAD_LOG=$D/$1.log
	LOAD_STOP=$D/$1.stop
	shift $(($# < 2 ? $# : 2))
	[ "$#" -gt 0 ] || set -- --clients "${LOAD_CLIENTS:-10}" --seconds 60
	rm -f "$LOAD_LOG" "$LOAD_STOP"
	$LOAD_ON "$PYTHON" "$LOADGEN" run "$url" "$LOAD_LOG" --stop "$LOAD_STOP" "$@" &
	LOAD_PID=$!
	wait_lines "$LOAD_LOG" 50 15 || true
}

# load_stop: let the clients finish their request in progress and exit.
load_stop() {
	[ -n "$LOAD_PID" ] || return 0
	touch "$LOAD_STOP"
	wait "$LOAD_PID" || true
	LOAD_PID=
}

# counts [loadgen count options]: "total ok s503 other badbody max_ms"
# of the requests in LOAD_LOG (--after T, --before T...: see loadgen.py).
counts() { "$PYTHON" "$LOADGEN" count "$LOAD_LOG" "$@"; }
