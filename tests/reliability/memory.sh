#!/usr/bin/env bash
# tests/reliability/memory.sh -- each worker's resident memory stays flat:
# after RSS_WARMUP (500) requests have grown the reused buffers to their
# size, RSS_REQUESTS (4000) more, 10 clients at a time, on new
# connections, move no worker's VmRSS by more than 5 %, sampled at every
# quarter.  The suite's table holds the hostile rows (a 100 000-byte
# value): every response is ~110 KB.  `make soak` runs 100 000 requests.
set -euo pipefail
# shellcheck source=faults.bash
. "$(dirname "$0")/faults.bash"

N=${RSS_REQUESTS:-4000}
WARM=${RSS_WARMUP:-500}
STEPS=4
L="[RSS]"

rss() { sed -n 's/^VmRSS:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$1/status"; }

if ! FRONT=lighttpd WORKERS=5 t_up; then
	fail "$L the stack comes up"
	exit 0
fi
pids=$(worker_pids "$T_RUN_DIR")
check_eq "$L warm-up: $WARM requests" "200 json $WARM" \
    "$(requests "$WARM" GET /users 10)"
declare -A base max
for p in $pids; do base[$p]=$(rss "$p"); max[$p]=${base[$p]}; done

t0=$SECONDS
for step in $(seq "$STEPS"); do
	out=$(requests $((N / STEPS)) GET /users 10)
	[ "$out" = "200 json $((N / STEPS))" ] ||
	    fail "$L step $step: $((N / STEPS)) requests: $out"
	line="after $((step * N / STEPS)):"
	for p in $pids; do
		r=$(rss "$p" || echo 0)
		[ "$r" -le "${max[$p]}" ] || max[$p]=$r
		line="$line $r"
	done
	printf '        %s %s kB\n' "$L" "$line"
done
printf '        %s %d requests in %d s\n' "$L" "$N" "$((SECONDS - t0))"

check_eq "$L no worker was restarted" "$pids" "$(worker_pids "$T_RUN_DIR")"
for p in $pids; do
	growth=$(awk -v a="${base[$p]}" -v b="${max[$p]}" \
	    'BEGIN { printf "%.1f", (b - a) * 100 / a }')
	check "$L worker $p: ${base[$p]} -> max ${max[$p]} kB over $N requests (+$growth %, at most 5 %)" \
	    [ $((max[$p] * 100)) -le $((base[$p] * 105)) ]
done
t_down
