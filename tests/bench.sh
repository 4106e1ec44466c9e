#!/usr/bin/env bash
# tests/bench.sh -- the benchmark harness end to end at a tiny size, with
# the real oha and the real peers (built once into the cache by the
# harness; the first run takes minutes, later ones reuse it): every stack,
# one round, a few hundred requests, scaling with 1 and 2 workers, open
# loop at 1 s per rate.  It checks that the outputs are there and well
# formed; no speed is asserted.  Its own PostgreSQL lives in
# $STATE_DIR/bench.
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

OUT=$T_TMP/bench
LOG=$T_TMP/bench.log
SERVERS="c-lighttpd c-nginx fastapi fastapi-async axum"
OPEN_PCTS="25 50 75 90"	# run.sh's default BENCH_OPEN_PCTS

run_harness() {
	BENCH_REQUESTS=300 BENCH_ROUNDS=1 BENCH_WARMUP=1 BENCH_SCALING="1 2" \
	    BENCH_OPEN_SECONDS=1 BENCH_STACKS=all BENCH_OUT=$OUT \
	    "$ROOT/bench/run.sh" >"$LOG" 2>&1
}

# "kind stack mode workers rate rps non_2xx p99 offer closed_max" per
# result, from results.json.
results() {
	"$PYTHON" -c '
import json, sys
for r in json.load(open(sys.argv[1]))["results"]:
    print(r["kind"], r["stack"], r["mode"], r["workers"] or "-", r.get("rate") or "-",
          r["rps"], r["non_2xx"], r["p99_ms"] if r["p99_ms"] is not None else "-",
          r.get("offer") or "-", r.get("closed_max_rps") or "-")
' "$OUT/results.json"
}

# check_result NAME KIND STACK MODE [WORKERS]: present, rps > 0, no non-2xx.
check_result() {
	local name="$1 $3 $4${5:+ WORKERS=$5}" line rps non_2xx
	line=$(awk -v k="$2" -v s="$3" -v m="$4" -v w="${5:--}" \
	    '$1 == k && $2 == s && $3 == m && ($4 == w || w == "-")' <<<"$RESULTS" | head -n 1)
	if [ -z "$line" ]; then fail "$name: in results.json"; return; fi
	read -r _ _ _ _ _ rps non_2xx _ <<<"$line"
	check "$name: rps > 0 (got $rps)" awk -v r="$rps" 'BEGIN { exit !(r > 0) }'
	check_eq "$name: no non-2xx answer" 0 "$non_2xx"
}

# check_open STACK COMMON: an open-loop result at each of OPEN_PCTS % of
# the stack's closed-loop maximum, each with rps > 0, a p99 and no
# non-2xx; one at the common rate COMMON if that is not above the maximum
# (with rps > 0 and a p99), none otherwise.
check_open() {
	local lines labels bad max want=""
	lines=$(awk -v s="$1" '$1 == "open" && $2 == s' <<<"$RESULTS")
	labels=$(awk '{ print $9 }' <<<"$lines" | sort | xargs)
	max=$(awk 'NR == 1 { print $10 }' <<<"$lines")
	for p in $OPEN_PCTS; do want+="p$p "; done
	if [ -n "$max" ] && [ "$2" -le "${max%.*}" ]; then want="common $want"; fi
	check_eq "[bench] open loop $1: the rates offered (max $max rps, common $2 rps)" \
	    "$(xargs -n1 <<<"$want" | sort | xargs)" "$labels"
	bad=$(awk '!($5 > 0 && $6 > 0 && $8 != "-" && ($7 == 0 || $9 == "common"))' <<<"$lines")
	check_eq "[bench] open loop $1: every rate has rps > 0 and a p99, no non-2xx below the maximum" "" "$bad"
}

# A PNG made by gnuplot: the signature, an IHDR of a real size, some bytes.
valid_png() {
	"$PYTHON" -c '
import struct, sys
data = open(sys.argv[1], "rb").read()
assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR"
width, height = struct.unpack(">II", data[16:24])
assert width >= 600 and height >= 400 and len(data) > 10000
' "$1" 2>/dev/null
}

# jq_out EXPR FILE: one value from a file of the results directory.
jq_out() { jq -r "$1" "$OUT/$2" 2>/dev/null || true; }

t0=$SECONDS rc=0
run_harness || rc=$?
check_eq "bench/run.sh runs every stack at a tiny size (exit status)" 0 "$rc"
[ "$rc" -eq 0 ] || tail -n 30 "$LOG"
echo "(the harness took $((SECONDS - t0)) s; its output: $LOG)"

check "results.json parses" "$PYTHON" -m json.tool "$OUT/results.json" /dev/null
RESULTS=$(results 2>/dev/null || true)
for s in $SERVERS; do
	for m in close keepalive; do check_result "[bench]" main "$s" "$m"; done
done
check_result "[bench]" main pgbench ceiling
for w in 1 2; do check_result "[bench] scaling" scaling c-lighttpd close "$w"; done
common=$(jq_out '.meta.open.common // 0' results.json)
check "the open loop has a common rate (got $common)" test "${common:-0}" -gt 0
for s in $SERVERS; do check_open "$s" "${common:-0}"; done

# The load tool: the real oha, its version recorded and in the report.
oha_version=$("$("$ROOT/bench/lib/oha.sh" 2>/dev/null)" --version 2>/dev/null | awk '{print $2}')
check "oha is installed and runs (got '$oha_version')" test -n "$oha_version"
check_eq "results.json: the load tool is oha" oha "$(jq_out .meta.tool results.json)"
check_eq "results.json: oha's version" "$oha_version" "$(jq_out .machine.load_tool_version results.json)"
check "results.md names oha $oha_version as the load tool" \
    grep -q "^\*\*Run:\*\* oha $oha_version," "$OUT/results.md"
# jq_true EXPR FILE: does EXPR hold for FILE?
jq_true() { jq -e "$1" "$2" >/dev/null; }
check "a measured run's raw output is oha's JSON" jq_true \
    '.statusCodeDistribution and .latencyPercentiles' "$OUT/raw/axum.close.r1.raw"
check "the load tool's CPU is recorded" jq_true '.results[]
    | select(.kind == "main" and .stack == "axum" and .mode == "close")
    | .load_mean_cpu_pct != null' "$OUT/results.json"

for s in $SERVERS pgbench; do
	check "results.md names $s" grep -qF -- "$s" "$OUT/results.md"
done
check "results.md has the machine line" grep -q '^\*\*Machine:\*\* .*cores.*lighttpd' "$OUT/results.md"
for v in axum sqlx fastapi uvicorn uvloop httptools asyncpg; do
	check "results.md's machine line gives the version of $v" \
	    grep -qiE "^\*\*Machine:\*\* .*[ ,]$v [0-9]" "$OUT/results.md"
done
check "results.md puts our figures beside the seed's" grep -q '^## Beside the seed' "$OUT/results.md"
check "results.md gives the seed's ratios" grep -q '| axum ÷ fastapi | 25.1× |' "$OUT/results.md"
check "results.md has the open-loop section" grep -q '^## Open-loop latency' "$OUT/results.md"
check "results.md gives each stack's highest rate with p99 < 10 ms" \
    grep -q 'Highest rate with p99 < 10 ms' "$OUT/results.md"
for png in throughput latency scaling openloop; do
	check "$png.png is a valid PNG" valid_png "$OUT/$png.png"
done

# Nothing left behind: every port a stack listened on is free again, no
# stack's run directory, no claim, the bench's PostgreSQL stopped (the
# harness started it).
ports=$(jq -r '.port // empty' "$OUT"/runs/*.json 2>/dev/null | sort -u | xargs)
check "the runs record the stacks' ports ($ports)" test -n "$ports"
busy=$(for p in $ports; do port_free "$p" || echo "$p"; done | xargs)
check_eq "no stack left listening" "" "$busy"
check "no stack's run directory left" \
    bash -c "! compgen -G '$STATE_DIR/bench/run-*' >/dev/null"
check "the benchmark's claim is released" test ! -e "$STATE_DIR/bench/bench.pid"
check "the bench's PostgreSQL is stopped" bash -c \
    "! psql -X -At -d '$(STATE_DIR=$STATE_DIR/bench "$ROOT/scripts/db.sh" url)' -c 'SELECT 1' >/dev/null 2>&1"

# make load (bench/live.sh): without a terminal oha runs with --no-tui and
# prints its summary; the stack it started is stopped again; a bad knob
# is refused before anything starts.
live_log=$T_TMP/live.log rc=0
STACK=c-lighttpd REQUESTS=200 CONCURRENCY=5 "$ROOT/bench/live.sh" \
    </dev/null >"$live_log" 2>&1 || rc=$?
check_eq "[load] make load STACK=c-lighttpd REQUESTS=200 (exit status)" 0 "$rc"
check "[load] no terminal: it says so and runs oha with --no-tui" \
    grep -q 'no terminal:.*--no-tui' "$live_log"
check "[load] oha's summary: every request a success" \
    grep -Eq 'Success rate:[[:space:]]+100(\.00)?%' "$live_log"
check "[load] oha's summary: 200 responses, and only them" \
    grep -Eq '^[[:space:]]*\[200\][[:space:]]+200 responses' "$live_log"
live_port=$(sed -n 's|.*oha .*http://127.0.0.1:\([0-9]*\)/users$|\1|p' "$live_log" | head -n 1)
freed_port() { is_port "$1" && port_free "$1"; }
check "[load] the stack it started is stopped (port '$live_port' free)" \
    freed_port "$live_port"
[ "$rc" -eq 0 ] || tail -n 20 "$live_log"
rc=0
REQUESTS=many "$ROOT/bench/live.sh" </dev/null >"$live_log" 2>&1 || rc=$?
check "[load] REQUESTS=many is refused (exit $rc)" test "$rc" -ne 0
check "[load] ... with a line that names it" grep -q 'REQUESTS=many' "$live_log"
