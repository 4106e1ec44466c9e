#!/usr/bin/env bash
# tests/bench.sh -- the benchmark harness end to end at a tiny size: every
# stack, one round, a few hundred requests, scaling with 1 and 2 workers.
# It checks that the outputs are there and well formed; no speed is
# asserted.  Its own PostgreSQL lives in $STATE_DIR/bench.
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

OUT=$T_TMP/bench
LOG=$T_TMP/bench.log
STACKS="c-lighttpd c-nginx fastapi fastapi-async rust pgbench"
RUST_LABEL="rust (hyper + tokio-postgres, stand-in for Axum + SQLx)"

run_harness() {
	BENCH_REQUESTS=300 BENCH_ROUNDS=1 BENCH_WARMUP=1 BENCH_SCALING="1 2" \
	    BENCH_STACKS=all BENCH_OUT=$OUT "$ROOT/bench/run.sh" >"$LOG" 2>&1
}

# "kind stack mode workers rps non_2xx" per result, from results.json.
results() {
	"$PYTHON" -c '
import json, sys
for r in json.load(open(sys.argv[1]))["results"]:
    print(r["kind"], r["stack"], r["mode"], r["workers"] or "-", r["rps"], r["non_2xx"])
' "$OUT/results.json"
}

# check_result NAME KIND STACK MODE [WORKERS]: present, rps > 0, no non-2xx.
check_result() {
	local name="$1 $3 $4${5:+ WORKERS=$5}" line rps non_2xx
	line=$(awk -v k="$2" -v s="$3" -v m="$4" -v w="${5:--}" \
	    '$1 == k && $2 == s && $3 == m && ($4 == w || w == "-")' <<<"$RESULTS" | head -n 1)
	if [ -z "$line" ]; then fail "$name: in results.json"; return; fi
	read -r _ _ _ _ rps non_2xx <<<"$line"
	check "$name: rps > 0 (got $rps)" awk -v r="$rps" 'BEGIN { exit !(r > 0) }'
	check_eq "$name: no non-2xx answer" 0 "$non_2xx"
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

t0=$SECONDS rc=0
run_harness || rc=$?
check_eq "bench/run.sh runs every stack at a tiny size (exit status)" 0 "$rc"
[ "$rc" -eq 0 ] || tail -n 30 "$LOG"
echo "(the harness took $((SECONDS - t0)) s; its output: $LOG)"

check "results.json parses" "$PYTHON" -m json.tool "$OUT/results.json" /dev/null
RESULTS=$(results 2>/dev/null || true)
for s in $STACKS; do
	case "$s" in
	pgbench) check_result "[bench]" main pgbench ceiling ;;
	*) for m in close keepalive; do check_result "[bench]" main "$s" "$m"; done ;;
	esac
done
for w in 1 2; do check_result "[bench] scaling" scaling c-lighttpd close "$w"; done

for s in $STACKS; do
	check "results.md names $s" grep -qF -- "$s" "$OUT/results.md"
done
check "results.md names the rust peer for what it is" grep -qF -- "$RUST_LABEL" "$OUT/results.md"
check "results.md has the machine line" grep -q '^\*\*Machine:\*\* .*cores.*lighttpd' "$OUT/results.md"
check "results.md has the open-loop section" grep -q '^## Open-loop latency' "$OUT/results.md"
for png in throughput latency scaling; do
	check "$png.png is a valid PNG" valid_png "$OUT/$png.png"
done

# Nothing left behind: no stack's run directory, the bench's PostgreSQL
# stopped (the harness started it).
check "no stack left running" \
    bash -c "! compgen -G '$STATE_DIR/bench/run-*' >/dev/null"
check "the bench's PostgreSQL is stopped" bash -c \
    "! psql -X -At -d '$(STATE_DIR=$STATE_DIR/bench "$ROOT/scripts/db.sh" url)' -c 'SELECT 1' >/dev/null 2>&1"
