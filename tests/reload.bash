# tests/reload.bash -- sourced by tests/reload.sh and tests/deb.sh:
# replacing the workers under a constant load.
# shellcheck shell=bash

LOADGEN=$ROOT/tests/reliability/loadgen.py

# under_load NAME URL PIDS RELOAD...: with 20 clients sending GET URL,
# each request on a new connection, run RELOAD...; the command PIDS
# prints the workers' PIDs (one a line) before and after.  Checks that
# no request failed (anything but a 200 with a JSON array), none took
# 1 s or more, every worker is new and there are WORKERS of them; the
# figures go to stdout ("reload figures: ...").
under_load() {
	local name=$1 url=$2 pids=$3 log stop lg before after t0 t1 rc=0
	shift 3
	log=$(mktemp "$T_TMP/load.XXXXXX")
	stop=$log.stop
	before=$("$pids")
	"$PYTHON" "$LOADGEN" run "$url" "$log" --clients 20 --seconds 120 \
	    --stop "$stop" --timeout 10 &
	lg=$!
	# The load is on (the clients answered) before the reload.
	wait_lines "$log" 100 20 || true
	t0=$(now)
	"$@" || rc=$?
	t1=$(now)
	check "[$name] the reload command succeeds (status $rc)" [ "$rc" -eq 0 ]
	sleep 1
	: >"$stop"
	wait "$lg" || true
	after=$("$pids")
	local total failed max
	read -r total failed max < <(awk '{ n++; if ($3 != 200 || $4 != "json") f++
	    ms = ($2 - $1) * 1000; if (ms > m) m = ms }
	    END { printf "%d %d %d\n", n, f, m }' "$log")
	printf 'reload figures: %s: %d requests (20 clients), %d failed, slowest %d ms; the reload took %s s\n' \
	    "$name" "$total" "$failed" "$max" "$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')"
	[ "$failed" -eq 0 ] || awk '$3 != 200 || $4 != "json"' "$log" | head -n 5 |
	    sed 's/^/        failed (start end status body): /'
	check "[$name] requests were served during the reload ($total)" [ "$total" -gt 100 ]
	check_eq "[$name] no request failed (a 200 with a JSON array)" 0 "$failed"
	check "[$name] none took 1 s or more (slowest $max ms)" [ "$max" -lt 1000 ]
	check_eq "[$name] $WORKERS workers after" "$WORKERS" "$(grep -c . <<<"$after")"
	check_eq "[$name] every worker is new" "" \
	    "$(comm -12 <(sort <<<"$before") <(sort <<<"$after") | tr '\n' ' ')"
	check "[$name] there were workers before" [ -n "$before" ]
}
