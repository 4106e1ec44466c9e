#!/usr/bin/env bash
# tests/keepconn.sh -- nginx keeps its FastCGI connections open
# (fastcgi_keep_conn, upstream keepalive).  With more clients than
# workers, nginx holds more connections than there are workers: a worker
# that served one connection at a time would leave the others waiting in
# the listen backlog until nginx gives up (fastcgi_read_timeout, 60 s).
# Every request must be answered within a bound, and the connections
# must really be kept (far fewer accepts than requests).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

L="[nginx keep-conn]"
D=$T_TMP/keepconn
CLIENTS=50 SECS=4
# Slowest request allowed (ms): a stall lasts fastcgi_read_timeout (60 s)
# or the client's timeout (15 s); a loaded 2-core machine answers in < 1 s.
BOUND_MS=5000
mkdir -p "$D"

if ! FRONT=nginx WORKERS=5 t_up; then
	fail "$L the stack comes up"
	exit 0
fi
check "$L nginx keeps FastCGI connections (fastcgi_keep_conn on)" \
    grep -q 'fastcgi_keep_conn *on;' "$T_RUN_DIR/nginx.conf"

# Count the workers' successful accept()s during the load.
pids=$(worker_pids "$T_RUN_DIR")
args=()
for p in $pids; do args+=(-p "$p"); done
strace -f -qq -e trace=accept,accept4 -o "$D/accepts" "${args[@]}" \
    >/dev/null 2>&1 &
tracer=$!
# traced PID...: is every PID traced (by strace) yet?
traced() {
	local p
	for p in "$@"; do
		[ "$(awk '/^TracerPid:/ { print $2 }' "/proc/$p/status")" != 0 ] ||
		    return 1
	done
}
n=0
until traced $pids || [ "$n" -ge 100 ]; do sleep 0.1; n=$((n + 1)); done
check "$L strace is attached to every worker" traced $pids
"$PYTHON" "$ROOT/tests/reliability/loadgen.py" run "$T_URL/users" "$D/log" \
    --clients "$CLIENTS" --seconds "$SECS"
stop_pid "$tracer" INT
read -r total ok s503 other bad max_ms \
    <<<"$("$PYTHON" "$ROOT/tests/reliability/loadgen.py" count "$D/log")"
accepts=$(grep -cE 'accept4?\(.*\) = [0-9]+$' "$D/accepts" || true)

check "$L $CLIENTS clients for $SECS s sent requests ($total)" \
    test "$total" -ge "$CLIENTS"
check_eq "$L every request is a 200 with a JSON array" \
    "$total 0 0 0" "$ok $s503 $other $bad"
check "$L the slowest request took <= $BOUND_MS ms ($max_ms)" \
    test "$max_ms" -le "$BOUND_MS"
check "$L nginx opened more connections than workers ($accepts > 5)" \
    test "$accepts" -gt 5
check "$L connections are reused: $accepts accepts for $total requests" \
    test $((accepts * 10)) -le "$total"

t_down
check_eq "$L down: no worker left" "" "$(worker_pids "$T_RUN_DIR")"
