#!/usr/bin/env bash
# tests/reliability/capacity.sh -- many clients, and slow ones,
# behind lighttpd and nginx, 5 workers:
#
#   every process may open 16,384 files (ulimit -n);
#   2,000 keep-alive connections, all open at once, each gets GET /users
#   answered twice: 4,000 answers, all 200.
#   50 clients that read one byte a second (receive buffer 1 KiB) while a
#   probe sends GET /users every 0.2 s for 8 s: every probe gets 200
#   within 1 s.  Behind lighttpd, which buffers whole answers, the table
#   holds four more rows during this test, so that an answer (2.5 MB) is
#   far more than the kernel's socket buffers hold; behind nginx, which
#   passes answers on unbuffered (nginx.conf says why), the answer is the
#   suite's ~110 KB, under what its socket and buffer hold.
#   A graceful stop (stack.sh down) while a client reads that answer at
#   500 KB/s: it gets all of it.
set -euo pipefail
# shellcheck source=faults.bash
. "$(dirname "$0")/faults.bash"

N=${CAPACITY_CONNECTIONS:-2000}
big_rows() {
	# 100 000 control characters, 600 000 bytes once escaped in JSON.
	sql "INSERT INTO users SELECT '00000000-0000-0000-0000-0000000000b' || n,
	    repeat(chr(n), 100000), 'big' || n FROM generate_series(1, 4) AS n"
}
no_big_rows() { sql "DELETE FROM users WHERE email LIKE 'big_'"; }
trap 'no_big_rows; faults_cleanup' EXIT

capacity() {
	local L="[$FRONT]" low t0 total ok slowest drain n
	low=$(for p in $(cat "$T_RUN_DIR"/*.pid) $(pgrep -P "$(cat "$T_RUN_DIR/front.pid")") \
	    $(worker_pids "$T_RUN_DIR") $(pg_all); do
		n=$(awk '/^Max open files/ { print $4 }' "/proc/$p/limits")
		[ "$n" -ge 16384 ] || echo "$p:$n"
	done)
	check_eq "$L every process (front, workers, PostgreSQL) may open 16384 files" "" "$low"
	t0=$SECONDS
	"$PYTHON" "$R/conns.py" keepalive "$T_PORT" "$N" --seconds 30 >"$D/keepalive-$FRONT" || true
	printf '        %s %s connections: %s (%d s)\n' "$L" "$N" \
	    "$(tr '\n' ' ' <"$D/keepalive-$FRONT")" "$((SECONDS - t0))"
	check_eq "$L $N keep-alive connections open at once, 2 requests each: all 200" \
	    "$((2 * N)) 200/open $N" "$(grep -v '^open' "$D/keepalive-$FRONT" | tr '\n' ' ' | sed 's/ $//')/$(grep '^open' "$D/keepalive-$FRONT")"
	grep -iE 'too many|not enough|disabled' "$T_RUN_DIR/error.log" | sort | uniq -c | head -n 5 || true

	[ "$FRONT" != lighttpd ] || big_rows
	"$PYTHON" "$R/conns.py" slow "$T_PORT" --slow 50 --seconds 8 >"$D/slow-$FRONT" || true
	read -r _ total _ ok _ slowest <"$D/slow-$FRONT"
	check "$L 50 clients reading 1 byte/s ($(curl -s "$T_URL/users" | wc -c) bytes each): $ok of $total probes 200, slowest ${slowest} ms (within 1 s)" \
	    [ "$total" -gt 0 -a "$ok" = "$total" -a "$slowest" -lt 1000 ]
	check_eq "$L ... and the 50 slow clients were still reading at the end" \
	    "slow still-reading 50" "$(tail -n 1 "$D/slow-$FRONT")"

	[ "$FRONT" = lighttpd ] || big_rows
	rm -f "$D/drain-$FRONT.started"
	"$PYTHON" "$R/conns.py" drain "$T_PORT" --rate 500000 \
	    --started "$D/drain-$FRONT.started" >"$D/drain-$FRONT" &
	drain=$!
	# The stop comes once the answer is on its way (10 s at most).
	n=0
	until [ -e "$D/drain-$FRONT.started" ] || [ "$n" -ge 100 ]; do
		sleep 0.1
		n=$((n + 1))
	done
	t_down
	wait "$drain" || true
	no_big_rows
	check "$L graceful stop while a client reads 2.5 MB at 500 KB/s: it gets all of it ($(cat "$D/drain-$FRONT"))" \
	    grep -q '^complete 200 ' "$D/drain-$FRONT"
}
for_each_front capacity WORKERS=5
