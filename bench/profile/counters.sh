#!/usr/bin/env bash
# bench/profile/counters.sh [BIN] -- per-request counters of a whole stack that
# do not depend on how busy the machine is: system calls, voluntary
# context switches, and the stack's memory (PSS).
#
# Starts the stack (FRONT=lighttpd|nginx, WORKERS, worker binary BIN,
# default build/users-fcgi) on a free port in a private state directory,
# warms it up, then sends N GET /users with oha, C at a time, with a
# connection per request (MODE=close, the seed's method) or keep-alive
# (MODE=keepalive), twice:
#   1. untraced: context switches (/proc/PID/status deltas) per request,
#      then the PSS and private memory of every process of the stack
#      (smaps_rollup), and its pages counted once (footprint.py);
#   2. under `strace -c -f`: system calls per request, in total and by
#      name (those at >= 0.05 per request).
# Each figure is printed for the front (lighttpd, or nginx's processes)
# and for the workers, divided by N.  Every response must be a 200.
# Uses DATABASE_URL, else the embedded database (bench/lib/db.sh).
set -euo pipefail
# shellcheck source=../lib/db.sh
. "$(dirname "$0")/../lib/db.sh"

BIN=${1:-$ROOT/build/users-fcgi}
N=${N:-5000}
C=${C:-10}
MODE=${MODE:-close}
OHA=${OHA:-$("$ROOT/bench/lib/oha.sh")}	# built the first time
case "$MODE" in close | keepalive) ;; *) die "MODE=$MODE: close or keepalive" ;; esac

DB_STATE=$(state_dir)	# the checkout's embedded database, not a new one
STATE_DIR=$(mktemp -d /tmp/users-fcgi-counters.XXXXXX)
chmod 0755 "$STATE_DIR"
export STATE_DIR
PORT=$(free_port)
RUN_DIR=$STATE_DIR/run-$PORT
cleanup() {
	PORT=$PORT "$ROOT/scripts/stack.sh" down || true
	bench_db_stop
	rm -rf "$STATE_DIR"
}
trap cleanup EXIT
bench_db "$DB_STATE"
PORT=$PORT WORKER_BIN=$BIN "$ROOT/scripts/stack.sh" up

# descendants PID: PID and every process below it.
descendants() {
	local p
	echo "$1"
	for p in $(pgrep -P "$1"); do descendants "$p"; done
}

# The stack's processes: its workers (their binary is the run directory's
# copy), and the front (everything else below the front's pid, plus the
# nginx workers' supervisor).
all_pids() {
	descendants "$(cat "$RUN_DIR/front.pid")"
	[ ! -s "$RUN_DIR/workers.pid" ] || descendants "$(cat "$RUN_DIR/workers.pid")"
}
is_worker() { [ "$(readlink "/proc/$1/exe")" = "$RUN_DIR/bin/users-fcgi" ]; }
WORKERS_PIDS="" FRONT_PIDS=""
for p in $(all_pids | sort -un); do
	if is_worker "$p"; then WORKERS_PIDS+=" $p"; else FRONT_PIDS+=" $p"; fi
done

# load N: N requests, C at a time; fails unless every answer is a 200.
load() {
	local args=(-n "$1" -c "$C" --no-tui --output-format json) ok
	[ "$MODE" = keepalive ] || args+=(--disable-keepalive)
	ok=$("$OHA" "${args[@]}" "http://127.0.0.1:$PORT/users" |
	    jq '.statusCodeDistribution."200" // 0')
	[ "$ok" = "$1" ] || die "$ok of $1 answers were 200"
}

# ctxsw PIDS: the sum of voluntary and of involuntary context switches.
ctxsw() {
	local p
	for p in "$@"; do cat "/proc/$p/status"; done |
	    awk '/^voluntary_ctxt/ { v += $2 } /^nonvoluntary_ctxt/ { n += $2 }
	    END { print v + 0, n + 0 }'
}

# pss PIDS: the sum of their Pss, and of their private pages (the part
# of PSS that other processes on the machine do not change), in KiB.
pss() {
	local p
	for p in "$@"; do cat "/proc/$p/smaps_rollup"; done |
	    awk '/^Pss:/ { s += $2 } /^Private_(Clean|Dirty):/ { p += $2 }
	    END { print s + 0, p + 0 }'
}

# per_request A B: (B - A) / N with two decimals.
per_request() { awk -v a="$1" -v b="$2" -v n="$N" 'BEGIN { printf "%.2f", (b - a) / n }'; }

load 500	# warm-up: connections, prepared statements, caches
# shellcheck disable=SC2086  # PID lists
read -r fv0 fn0 <<<"$(ctxsw $FRONT_PIDS)"
# shellcheck disable=SC2086
read -r wv0 wn0 <<<"$(ctxsw $WORKERS_PIDS)"
load "$N"
# shellcheck disable=SC2086
read -r fv1 fn1 <<<"$(ctxsw $FRONT_PIDS)"
# shellcheck disable=SC2086
read -r wv1 wn1 <<<"$(ctxsw $WORKERS_PIDS)"
# shellcheck disable=SC2086
read -r fpss fpriv <<<"$(pss $FRONT_PIDS)"
# shellcheck disable=SC2086
read -r wpss wpriv <<<"$(pss $WORKERS_PIDS)"
# shellcheck disable=SC2086
footprint=$("$PYTHON" "$ROOT/bench/profile/footprint.py" $FRONT_PIDS $WORKERS_PIDS)

# trace NAME PIDS...: count the group's system calls over N
# requests into $STATE_DIR/NAME.strace, in the background; prints
# strace's pid: the caller loads, then stops it with SIGINT.
trace() {
	local name=$1 p args=()
	shift
	for p in "$@"; do args+=(-p "$p"); done
	strace -c -f -o "$STATE_DIR/$name.strace" "${args[@]}" >/dev/null 2>"$STATE_DIR/$name.err" &
	echo $!
}
# shellcheck disable=SC2086
ft=$(trace front $FRONT_PIDS)
# shellcheck disable=SC2086
wt=$(trace workers $WORKERS_PIDS)
sleep 1		# strace attaches
load "$N"
stop_pid "$ft" INT	# strace prints its summary and exits
stop_pid "$wt" INT

# calls NAME: total system calls per request of the group, then the
# calls by name at >= 0.05 per request.
calls() {
	awk -v n="$N" '
	/^-/ || /^%/ || NF < 5 { next }
	$NF == "total" { total = $4; next }
	{ c[$NF] = $4 }
	END {
		printf "%.2f", total / n
		for (s in c) if (c[s] / n >= 0.05) printf " %s=%.2f", s, c[s] / n
		printf "\n"
	}' "$STATE_DIR/$1.strace"
}

echo "FRONT=$FRONT MODE=$MODE N=$N C=$C WORKERS=$WORKERS bin=$BIN"
printf '%-8s %14s %14s %16s %9s %9s\n' group syscalls/req vol-cs/req invol-cs/req \
    'PSS KiB' 'priv KiB'
read -r fc fnames <<<"$(calls front)"
read -r wc wnames <<<"$(calls workers)"
printf '%-8s %14s %14s %16s %9s %9s\n' front "$fc" "$(per_request "$fv0" "$fv1")" \
    "$(per_request "$fn0" "$fn1")" "$fpss" "$fpriv"
printf '%-8s %14s %14s %16s %9s %9s\n' workers "$wc" "$(per_request "$wv0" "$wv1")" \
    "$(per_request "$wn0" "$wn1")" "$wpss" "$wpriv"
echo "stack PSS: $((fpss + wpss)) KiB, private: $((fpriv + wpriv)) KiB;" \
    "each page once: $footprint KiB (bench/profile/footprint.py)"
echo "front syscalls/req:   $fnames"
echo "workers syscalls/req: $wnames"
