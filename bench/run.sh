#!/usr/bin/env bash
# bench/run.sh -- make bench: the seed's benchmark (GET /users, 10 clients,
# a connection per request) with every stack side by side in one run, one
# stack at a time, against the same PostgreSQL, data and query.
#
# Each round runs every stack in turn (A B C ... A B C ...): start it,
# warm it up, measure it in each mode while sampling its memory and CPU,
# stop it.  pgbench runs the same query as the ceiling.  Then c-lighttpd
# again with 1, 2, 5, 10 workers.  bench/report.py turns the runs into
# results.json, results.md and PNG charts in the results directory.
#
# Knobs (environment):
#   BENCH_REQUESTS     requests per measured run (50000)
#   BENCH_CONCURRENCY  concurrent connections (10)
#   BENCH_ROUNDS       rounds, interleaved across stacks (3)
#   BENCH_STACKS       comma- or space-separated, default all:
#                      c-lighttpd c-nginx fastapi fastapi-async rust pgbench
#   BENCH_MODES        close (a connection per request) and/or keepalive
#   BENCH_WARMUP       seconds of warm-up before each measured run (2)
#   BENCH_MAX_SECONDS  longest measured wrk run (60): slow stacks do fewer
#                      than BENCH_REQUESTS requests, and say so
#   BENCH_SCALING      c-lighttpd worker counts ("1 2 5 10"; empty: none;
#                      only when c-lighttpd is among the stacks)
#   BENCH_TOOL         auto (oha if installed, else wrk), oha or wrk
#   BENCH_OUT          the results directory (default
#                      bench/results/<UTC time>, then bench/results/latest)
#   BENCH_STATE_DIR    the bench's PostgreSQL and run directories
#                      (default: the state directory's bench/)
#   DATABASE_URL       measure against this database instead (seeded)
set -euo pipefail
BENCH_DIR=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=../scripts/common.sh
. "$BENCH_DIR/../scripts/common.sh"
# shellcheck source=lib/stacks.sh
. "$BENCH_DIR/lib/stacks.sh"
# shellcheck source=lib/load.sh
. "$BENCH_DIR/lib/load.sh"
# shellcheck source=lib/progress.sh
. "$BENCH_DIR/lib/progress.sh"

# Debian's python: the FastAPI peers' packages are only there.
PY=$PYTHON
BENCH_REQUESTS=${BENCH_REQUESTS:-50000}
BENCH_CONCURRENCY=${BENCH_CONCURRENCY:-10}
BENCH_ROUNDS=${BENCH_ROUNDS:-3}
BENCH_STACKS=${BENCH_STACKS:-all}
BENCH_MODES=${BENCH_MODES:-close keepalive}
BENCH_WARMUP=${BENCH_WARMUP:-2}
BENCH_MAX_SECONDS=${BENCH_MAX_SECONDS:-60}
BENCH_SCALING=${BENCH_SCALING-1 2 5 10}
BENCH_STATE=${BENCH_STATE_DIR:-$(state_dir)/bench}
DB_URL="" DB_STARTED="" PG_PID="" OUT="" CLAIMED=""
declare -A C_SECS=()	# round -> seconds of c-lighttpd's close run

# --- configuration --------------------------------------------------------

is_count() { [[ "$1" =~ ^[1-9][0-9]*$ ]]; }

configure() {
	local s m w v
	for v in BENCH_REQUESTS BENCH_CONCURRENCY BENCH_ROUNDS BENCH_WARMUP BENCH_MAX_SECONDS; do
		is_count "${!v}" || die "$v=${!v}: a positive integer"
	done
	BENCH_STACKS=${BENCH_STACKS//,/ }
	[ "$BENCH_STACKS" != all ] || BENCH_STACKS=$STACKS_ALL
	for s in $BENCH_STACKS; do
		[[ " $STACKS_ALL " == *" $s "* ]] || die "BENCH_STACKS: unknown stack $s (known: $STACKS_ALL)"
	done
	# The order of STACKS_ALL: pgbench last, it takes c-lighttpd's duration.
	STACKS=$(for s in $STACKS_ALL; do [[ " $BENCH_STACKS " != *" $s "* ]] || echo "$s"; done | xargs)
	BENCH_MODES=${BENCH_MODES//,/ }
	for m in $BENCH_MODES; do
		case "$m" in close | keepalive) ;; *) die "BENCH_MODES: close or keepalive, not $m" ;; esac
	done
	[ -n "$BENCH_MODES" ] || die "BENCH_MODES is empty"
	BENCH_SCALING=${BENCH_SCALING//,/ }
	[[ " $STACKS " == *" c-lighttpd "* ]] || BENCH_SCALING=""
	for w in $BENCH_SCALING; do is_count "$w" || die "BENCH_SCALING: $w is not a count"; done

	if [ -n "${BENCH_OUT:-}" ]; then OUT=$BENCH_OUT
	else OUT=$ROOT/bench/results/$(date -u +%Y%m%d-%H%M%S); fi
	if compgen -G "$OUT/runs/*" >/dev/null; then
		die "$OUT already holds the runs of another benchmark"
	fi
	mkdir -p "$OUT/runs" "$OUT/raw" "$OUT/logs"
	: >"$OUT/errors.txt"
	load_detect
}

# --- preparation: packages, the rust peer, PostgreSQL ------------------

prepare() {
	log "results in $OUT"
	# shellcheck disable=SC2086  # a list
	DEPS_EXTRA=$(peer_packages $STACKS) "$ROOT/scripts/deps.sh"
	if [[ " $STACKS " == *" rust "* ]]; then
		log "building the rust peer (about a minute the first time)"
		"$BENCH_DIR/peers/rust/build.sh" >>"$OUT/logs/rust-build.log" 2>&1 ||
		    { tail -n 20 "$OUT/logs/rust-build.log" >&2; die "the rust peer does not build"; }
	fi
	start_db
	PG_PID=$(postmaster_pid)
	"$PY" "$BENCH_DIR/lib/machine.py" "$LOAD_TOOL" "$PG_BIN" \
	    "$BENCH_DIR/peers/rust/Cargo.lock" >"$OUT/machine.json"
	write_meta
}

# One benchmark at a time per state directory: two would share its
# PostgreSQL (the first to end stops it) and measure each other.
claim_state() {
	local f=$BENCH_STATE/bench.pid
	mkdir -p "$BENCH_STATE"
	if [ -s "$f" ] && pid_alive "$(cat "$f")"; then
		die "another benchmark (pid $(cat "$f")) is running in $BENCH_STATE"
	fi
	echo $$ >"$f"
	CLAIMED=1
}

# The bench's own PostgreSQL (seeded by db.sh), unless DATABASE_URL is
# set.  Only what we start is stopped at the end.
start_db() {
	if [ -n "${DATABASE_URL:-}" ]; then DB_URL=$DATABASE_URL; return; fi
	DB_URL=$(STATE_DIR=$BENCH_STATE "$ROOT/scripts/db.sh" url)
	if ! psql -X -At -d "$DB_URL" -c 'SELECT 1' >/dev/null 2>&1; then
		log "starting PostgreSQL in $BENCH_STATE"
		DB_STARTED=1
		STATE_DIR=$BENCH_STATE "$ROOT/scripts/db.sh" start
	fi
}

# The postmaster's PID (for the CPU its backends use), or nothing if it is
# not on this machine: the parent of its checkpointer.
postmaster_pid() {
	local pid
	pid=$(psql -X -At -d "$DB_URL" -c \
	    "SELECT pid FROM pg_stat_activity WHERE backend_type = 'checkpointer'" 2>/dev/null) || return 0
	[ -n "$pid" ] && [ -r "/proc/$pid/stat" ] || return 0
	awk '{ sub(/.*\) /, ""); print $2 }' "/proc/$pid/stat"
}

write_meta() {
	jq -n --arg started "$(date -u +%Y-%m-%dT%H:%M:%SZ)" \
	    --arg tool "$LOAD_TOOL" --argjson threads "$WRK_THREADS" \
	    --argjson requests "$BENCH_REQUESTS" --argjson concurrency "$BENCH_CONCURRENCY" \
	    --argjson rounds "$BENCH_ROUNDS" --argjson warmup "$BENCH_WARMUP" \
	    --argjson max_seconds "${BENCH_MAX_SECONDS:-60}" \
	    --arg stacks "$STACKS" --arg modes "$BENCH_MODES" --arg scaling "$BENCH_SCALING" \
	    --arg commit "$(git -C "$ROOT" describe --always --dirty 2>/dev/null || echo unknown)" \
	    '{started: $started, tool: $tool, wrk_threads: $threads, requests: $requests,
	      concurrency: $concurrency, rounds: $rounds, warmup_s: $warmup,
	      max_seconds: $max_seconds,
	      stacks: ($stacks | split(" ")), modes: ($modes | split(" ")),
	      scaling: ($scaling | split(" ") | map(select(. != "") | tonumber)),
	      commit: $commit}' >"$OUT/meta.json"
}

# --- the turns ------------------------------------------------------------

make_plan() {
	local r s w
	for ((r = 1; r <= BENCH_ROUNDS; r++)); do
		for s in $STACKS; do PLAN+=("$r $s"); done
		for w in $BENCH_SCALING; do PLAN+=("$r scale $w"); done
	done
}

run_plan() {
	local i
	for ((i = 0; i < ${#PLAN[@]}; i++)); do
		# shellcheck disable=SC2086  # "ROUND STACK [WORKERS]"
		turn "$i" ${PLAN[i]}
	done
}

# turn I ROUND STACK [WORKERS]
turn() {
	local i=$1 r=$2 s=$3 w=${4:-} t0=$SECONDS
	case "$s" in
	pgbench)
		progress "$i" "round $r/$BENCH_ROUNDS: pgbench, the same query, 5 clients, prepared"
		turn_pgbench "$r" ;;
	scale)
		progress "$i" "round $r/$BENCH_ROUNDS: scaling, c-lighttpd with $w workers, close"
		turn_server "$r" c-lighttpd "$w" scaling close ;;
	*)
		progress "$i" "round $r/$BENCH_ROUNDS: $s, $BENCH_MODES ($BENCH_WARMUP s warm-up + $BENCH_REQUESTS requests each)"
		# shellcheck disable=SC2086
		turn_server "$r" "$s" 5 main $BENCH_MODES ;;
	esac
	TURN_SECS[$(turn_key "$s" "$w")]=$((SECONDS - t0))
}

# turn_server ROUND STACK WORKERS KIND MODE...: up, each mode, down.
turn_server() {
	local r=$1 s=$2 w=$3 kind=$4 mode id meta tag=$2
	shift 4
	[ "$kind" = main ] || tag=$kind-w$w
	if ! stack_up "$s" "$(free_port)" "$w"; then
		error "round $r: $s did not start (log: $OUT/logs/$s.log)"
		return 0
	fi
	# A fresh server's first requests are slow (imports, pools, caches):
	# one warm-up that counts for nothing, then one per mode.
	load_argv warmup "$1" "http://127.0.0.1:$UP_PORT/users" "$BENCH_WARMUP"
	load_run "$OUT/raw/$tag.prime.r$r" "$LOAD_TOOL" || true
	for mode in "$@"; do
		id=$tag.$mode.r$r
		meta=(stack="$s" mode="$mode" round="$r" kind="$kind")
		if stack_is_c "$s"; then meta+=(workers="$w"); fi
		measure_server "$id" "$mode" "${meta[@]}" || error "round $r: $id failed"
	done
	# pgbench runs as long as c-lighttpd's close run of its round.
	if [ "$kind" = main ] && [ -e "$OUT/runs/c-lighttpd.close.r$r.json" ]; then
		C_SECS[$r]=$(jq '.duration_s | ceil' "$OUT/runs/c-lighttpd.close.r$r.json")
	fi
	# With oha, once per stack: a constant rate at 75 % of its maximum.
	if [ "$LOAD_TOOL" = oha ] && [ "$kind" = main ] && [ "$r" = "$BENCH_ROUNDS" ] &&
	    [ -e "$OUT/runs/$s.close.r$r.json" ]; then
		measure_open "$s" "$r" || error "round $r: $s open-loop run failed"
	fi
	stack_down
}

# measure_server ID MODE KEY=VALUE...: warm up, then measure while sampling.
measure_server() {
	local id=$1 mode=$2 url=http://127.0.0.1:$UP_PORT/users secs=""
	shift 2
	load_argv warmup "$mode" "$url" "$BENCH_WARMUP"
	load_run "$OUT/raw/$id.warmup" "$LOAD_TOOL" || return 1
	[ "$LOAD_TOOL" = oha ] || secs=$(wrk_seconds "$(jq .rps "$OUT/raw/$id.warmup.json")")
	load_argv measure "$mode" "$url" "$secs"
	measured "$id" "$LOAD_TOOL" "stack=$(stack_roots)" -- "$@"
}

# measure_open STACK ROUND: oha at a constant 75 % of the stack's median
# closed-loop rate, latency corrected for coordinated omission.
measure_open() {
	local s=$1 r=$2 rate
	rate=$(jq -s '[.[].rps] | sort | .[length / 2 | floor] * 0.75 | floor' \
	    "$OUT/runs/$s.close.r"*.json)
	load_argv open close "http://127.0.0.1:$UP_PORT/users" "$rate"
	measured "$s.open.r$r" oha "stack=$(stack_roots)" -- stack="$s" mode=open \
	    round="$r" kind=main rate="$rate"
}

turn_pgbench() {
	local r=$1 id=pgbench.ceiling.r$1 secs
	pgbench_argv "$BENCH_WARMUP"
	if ! load_run "$OUT/raw/$id.warmup" pgbench; then
		error "round $r: pgbench failed (see $OUT/raw/$id.warmup.err)"
		return 0
	fi
	secs=${C_SECS[$r]:-$(wrk_seconds "$(jq .rps "$OUT/raw/$id.warmup.json")")}
	pgbench_argv "$secs"
	measured "$id" pgbench -- stack=pgbench mode=ceiling round="$r" kind=main ||
	    error "round $r: pgbench failed (see $OUT/raw/$id.err)"
}

# measured ID TOOL [GROUP=PIDS...] -- KEY=VALUE...: run LOAD_ARGV with the
# GROUPs, PostgreSQL and the tool sampled; keep the result in runs/.
measured() {
	local id=$1 tool=$2
	shift 2
	load_run "$OUT/raw/$id" "$tool" ${PG_PID:+"postgres=$PG_PID"} "$@" || return 1
	mv "$OUT/raw/$id.json" "$OUT/runs/$id.json"
	jq -r '"    \(.mode): \(.requests) requests, \(.rps | floor) rps, p50 \(.p50_ms // "-") ms,"
	    + " p99 \(.p99_ms // "-") ms, \(.non_2xx) non-2xx, \(.socket_errors) socket errors"
	    + (if .peak_pss_mib then ", peak PSS \(.peak_pss_mib) MiB, \(.cpu_us_per_req) µs CPU/request" else "" end)' \
	    "$OUT/runs/$id.json" >&2
}

error() {
	log "error: $*"
	echo "$*" >>"$OUT/errors.txt"
}

# --- the end ------------------------------------------------------------

report() {
	local rc=0
	log "writing the report"
	jq --arg finished "$(date -u +%Y-%m-%dT%H:%M:%SZ)" --argjson elapsed "$SECONDS" \
	    '. + {finished: $finished, elapsed_s: $elapsed}' "$OUT/meta.json" >"$OUT/meta.json.new"
	mv "$OUT/meta.json.new" "$OUT/meta.json"
	"$PY" "$BENCH_DIR/report.py" "$OUT" || rc=$?
	if [ -z "${BENCH_OUT:-}" ]; then ln -sfn "${OUT##*/}" "$ROOT/bench/results/latest"; fi
	[ "$rc" -eq 0 ] || die "the report failed"
	log "done in $(human_secs "$SECONDS"): $OUT/results.md"
	if [ -s "$OUT/errors.txt" ]; then
		die "$(wc -l <"$OUT/errors.txt") error(s), see $OUT/errors.txt"
	fi
}

cleanup() {
	if [ -n "${LOAD_PID:-}" ]; then stop_pid "$LOAD_PID"; fi
	sampler_stop
	stack_down
	if [ -n "$DB_STARTED" ]; then
		STATE_DIR=$BENCH_STATE "$ROOT/scripts/db.sh" stop || true
	fi
	if [ -n "$CLAIMED" ]; then rm -f "$BENCH_STATE/bench.pid"; fi
}

main() {
	configure
	trap cleanup EXIT
	trap 'exit 130' INT TERM
	claim_state
	prepare
	make_plan
	run_plan
	report
}

main "$@"
