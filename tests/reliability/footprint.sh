#!/usr/bin/env bash
# tests/reliability/footprint.sh -- nginx holds CONNECTIONS connection
# slots in all, not in each process: worker_connections x
# worker_processes is at most CONNECTIONS (8192: 4,096 requests in
# progress, a client and a worker connection each), and 4,000 keep-alive
# clients, all open at once, each get GET /users answered.  Prints each
# front's proportional memory (PSS, /proc/PID/smaps_rollup) summed over
# its stack's processes (front, pool, workers), idle after up.
set -euo pipefail
# shellcheck source=faults.bash
. "$(dirname "$0")/faults.bash"

N=${FOOTPRINT_CLIENTS:-4000}

# The PIDs of every process of the stack in $T_RUN_DIR.
stack_tree() {
	local f
	tree_of() { local c; echo "$1"; for c in $(pgrep -P "$1" || true); do tree_of "$c"; done; }
	for f in "$T_RUN_DIR/front.pid" "$T_RUN_DIR/workers.pid"; do
		[ ! -s "$f" ] || tree_of "$(cat "$f")"
	done | sort -nu
}
# pss_kib PID...: the sum of their Pss (KiB).
pss_kib() {
	local p
	for p; do sed -n 's/^Pss: *\([0-9]*\) kB/\1/p' "/proc/$p/smaps_rollup" 2>/dev/null; done |
	    awk '{ n += $1 } END { print n + 0 }'
}

footprint() {
	local L="[$FRONT]" procs conns kib
	sleep 1
	# shellcheck disable=SC2046 # a list of PIDs
	kib=$(pss_kib $(stack_tree))
	printf '        %s PSS of the stack (front, pool, workers; 5 workers), idle: %d KiB\n' "$L" "$kib"
	[ "$FRONT" = nginx ] || return 0
	procs=$(sed -n 's/^worker_processes *\([0-9]*\);/\1/p' "$T_RUN_DIR/nginx.conf")
	conns=$(sed -n 's/^ *worker_connections *\([0-9]*\);/\1/p' "$T_RUN_DIR/nginx.conf")
	check "$L worker_connections $conns x worker_processes ${procs:-auto} is at most CONNECTIONS (8192)" \
	    [ "${procs:-0}" -gt 0 -a $((${conns:-99999} * ${procs:-1})) -le 8192 ]
	"$PYTHON" "$R/conns.py" keepalive "$T_PORT" "$N" --rounds 1 --seconds 60 >"$D/keepalive" || true
	check_eq "$L $N keep-alive clients open at once, each answered (answered with 200, open)" \
	    "$N $N" "$(awk '$2 == 200 { a = $1 } $1 == "open" { o = $2 } END { print a + 0, o + 0 }' "$D/keepalive")"
}
for_each_front footprint WORKERS=5
