#!/usr/bin/env bash
# bench/run.sh -- make bench: the seed's benchmark (GET /users, 10 clients,
# a connection per request) with every stack side by side in one run, one
# stack at a time, against the same PostgreSQL, data and query.
#
# Each round runs every stack in turn (A B C ... A B C ...): start it,
# warm it up, measure it in each mode while sampling its memory and CPU
# (and the load tool's), stop it.  pgbench runs the same query as the
# ceiling.  Then c-lighttpd again with 1, 2, 5, 10 workers.  After the
# rounds, open loop: each server stack at constant offered rates (25, 50,
# 75, 90 % of its closed-loop maximum and one rate common to all), latency
# corrected for coordinated omission.  bench/report.py turns the runs into
# results.json, results.md and PNG charts in the results directory.
#
# Before anything is measured: oha is built (lib/oha.sh) and the peers are
# built (bench/peers/prepare.sh), once, into a cache outside the checkout;
# either failing stops the benchmark with one line saying what and how to
# retry.
#
# Knobs (environment):
#   BENCH_REQUESTS     requests per measured run (50000)
#   BENCH_CONCURRENCY  concurrent connections (10)
#   BENCH_ROUNDS       rounds, interleaved across stacks (3)
#   BENCH_STACKS       comma- or space-separated, default all:
#                      c-lighttpd c-nginx fastapi fastapi-async axum pgbench
#   BENCH_MODES        close (a connection per request) and/or keepalive
#   BENCH_WARMUP       seconds of warm-up before each measured run (2)
#   BENCH_MAX_SECONDS  longest measured run at the warm-up's rate (60):
#                      slow stacks do fewer than BENCH_REQUESTS requests,
#                      and say so
#   BENCH_SCALING      c-lighttpd worker counts ("1 2 5 10"; empty: none;
#                      only when c-lighttpd is among the stacks)
#   BENCH_OPEN_PCTS    open-loop rates in % of each stack's closed-loop
#                      maximum ("25 50 75 90"; empty with
#                      BENCH_OPEN_COMMON=0: no open loop)
#   BENCH_OPEN_COMMON  the rate every stack is also offered (default: half
#                      the slowest closed-loop maximum but FastAPI sync's,
#                      rounded down; 0: none)
#   BENCH_OPEN_SECONDS seconds per open-loop rate (10)
#   BENCH_OPEN_CONNECTIONS  oha's connections in open loop, a ceiling on
#                      requests under way (200)
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
# shellcheck source=lib/db.sh
. "$BENCH_DIR/lib/db.sh"

PY=$PYTHON
BENCH_REQUESTS=${BENCH_REQUESTS:-50000}
BENCH_CONCURRENCY=${BENCH_CONCURRENCY:-10}
BENCH_ROUNDS=${BENCH_ROUNDS:-3}
BENCH_STACKS=${BENCH_STACKS:-all}
BENCH_MODES=${BENCH_MODES:-close keepalive}
BENCH_WARMUP=${BENCH_WARMUP:-2}
BENCH_MAX_SECONDS=${BENCH_MAX_SECONDS:-60}
BENCH_SCALING=${BENCH_SCALING-1 2 5 10}
BENCH_OPEN_PCTS=${BENCH_OPEN_PCTS-25 50 75 90}
BENCH_OPEN_COMMON=${BENCH_OPEN_COMMON:-auto}
BENCH_OPEN_SECONDS=${BENCH_OPEN_SECONDS:-10}
BENCH_OPEN_CONNECTIONS=${BENCH_OPEN_CONNECTIONS:-200}
BENCH_STATE=${BENCH_STATE_DIR:-$(state_dir)/bench}
DB_URL="" PG_PID="" OUT="" CLAIMED="" OPEN_COMMON=""
declare -A C_SECS=()	# round -> seconds of c-lighttpd's close run

# --- configuration --------------------------------------------------------

configure() {
	local s m w v
	for v in BENCH_REQUESTS BENCH_CONCURRENCY BENCH_ROUNDS BENCH_WARMUP BENCH_MAX_SECONDS \
	    BENCH_OPEN_SECONDS BENCH_OPEN_CONNECTIONS; do
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
	BENCH_OPEN_PCTS=${BENCH_OPEN_PCTS//,/ }
	for w in $BENCH_OPEN_PCTS; do is_count "$w" || die "BENCH_OPEN_PCTS: $w is not a count"; done
	[ "$BENCH_OPEN_COMMON" = auto ] || [ "$BENCH_OPEN_COMMON" = 0 ] || is_count "$BENCH_OPEN_COMMON" ||
	    die "BENCH_OPEN_COMMON=$BENCH_OPEN_COMMON: auto, 0 or a rate"
	# Open loop: oha only, from the close mode's maximum, servers only.
	OPEN_STACKS=""
	if [[ " $BENCH_MODES " == *" close "* ]] &&
	    { [ -n "$BENCH_OPEN_PCTS" ] || [ "$BENCH_OPEN_COMMON" != 0 ]; }; then
		OPEN_STACKS=$(for s in $STACKS; do [ "$s" = pgbench ] || echo "$s"; done | xargs)
	fi

	if [ -n "${BENCH_OUT:-}" ]; then OUT=$BENCH_OUT
	else OUT=$ROOT/bench/results/$(date -u +%Y%m%d-%H%M%S); fi
	if compgen -G "$OUT/runs/*" >/dev/null; then
		die "$OUT already holds the runs of another benchmark"
	fi
	mkdir -p "$OUT/runs" "$OUT/raw" "$OUT/logs"
	: >"$OUT/errors.txt"
}

# --- preparation: packages, oha, the peers, PostgreSQL ------------------

prepare() {
	local peers
	log "results in $OUT"
	"$ROOT/scripts/deps.sh"
	load_detect
	# shellcheck disable=SC2086  # a list
	peers=$(stack_peers $STACKS)
	if [ -n "$peers" ]; then
		[ -x "$BENCH_DIR/peers/prepare.sh" ] || die "bench/peers/prepare.sh is missing"
		# It shows its progress, and says in one line what failed.
		# shellcheck disable=SC2086
		"$BENCH_DIR/peers/prepare.sh" $peers || exit 1
	fi
	bench_db "$BENCH_STATE"
	PG_PID=$(postmaster_pid)
	"$PY" "$BENCH_DIR/lib/machine.py" "$LOAD_TOOL" "$LOAD_BIN" "$PG_BIN" \
	    "$BENCH_DIR/peers/versions.sh" >"$OUT/machine.json"
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
	    --arg tool "$LOAD_TOOL" \
	    --argjson requests "$BENCH_REQUESTS" --argjson concurrency "$BENCH_CONCURRENCY" \
	    --argjson rounds "$BENCH_ROUNDS" --argjson warmup "$BENCH_WARMUP" \
	    --argjson max_seconds "${BENCH_MAX_SECONDS:-60}" \
	    --arg stacks "$STACKS" --arg modes "$BENCH_MODES" --arg scaling "$BENCH_SCALING" \
	    --arg open_stacks "$OPEN_STACKS" --arg open_pcts "$BENCH_OPEN_PCTS" \
	    --argjson open_seconds "$BENCH_OPEN_SECONDS" \
	    --argjson open_connections "$BENCH_OPEN_CONNECTIONS" \
	    --arg commit "$(git -C "$ROOT" describe --always --dirty 2>/dev/null || echo unknown)" \
	    'def words: split(" ") | map(select(. != ""));
	     {started: $started, tool: $tool, requests: $requests,
	      concurrency: $concurrency, rounds: $rounds, warmup_s: $warmup,
	      max_seconds: $max_seconds,
	      stacks: ($stacks | words), modes: ($modes | words),
	      scaling: ($scaling | words | map(tonumber)),
	      open: {stacks: ($open_stacks | words), pcts: ($open_pcts | words | map(tonumber)),
	             seconds: $open_seconds, connections: $open_connections, common: null},
	      commit: $commit}' >"$OUT/meta.json"
}

# --- the turns ------------------------------------------------------------

make_plan() {
	local r s w
	for ((r = 1; r <= BENCH_ROUNDS; r++)); do
		for s in $STACKS; do PLAN+=("$r main $s"); done
		for w in $BENCH_SCALING; do PLAN+=("$r scaling c-lighttpd $w"); done
	done
	for s in $OPEN_STACKS; do PLAN+=("- open $s"); done
}

run_plan() {
	local i
	for ((i = 0; i < ${#PLAN[@]}; i++)); do
		# shellcheck disable=SC2086  # "ROUND KIND STACK [WORKERS]"
		turn "$i" ${PLAN[i]}
	done
}

# turn I ROUND KIND STACK [WORKERS]
turn() {
	local i=$1 r=$2 kind=$3 s=$4 w=${5:-} t0=$SECONDS
	case "$kind/$s" in
	main/pgbench)
		progress "$i" "round $r/$BENCH_ROUNDS: pgbench, the same query, 5 clients, prepared"
		turn_pgbench "$r" ;;
	scaling/*)
		progress "$i" "round $r/$BENCH_ROUNDS: scaling, $s with $w workers, close"
		turn_server "$r" "$s" "$w" scaling close ;;
	open/*)
		progress "$i" "open loop: $s at constant rates, ${BENCH_OPEN_SECONDS} s each"
		turn_open "$s" ;;
	*)
		progress "$i" "round $r/$BENCH_ROUNDS: $s, $BENCH_MODES ($BENCH_WARMUP s warm-up + up to $BENCH_REQUESTS requests each)"
		# shellcheck disable=SC2086
		turn_server "$r" "$s" 5 main $BENCH_MODES ;;
	esac
	TURN_SECS[$(turn_key "$kind" "$s" "$w")]=$((SECONDS - t0))
}

# server_up ROUND STACK WORKERS: start the stack and prime it (a fresh
# server's first requests are slow: imports, pools, caches), with one
# warm-up that counts for nothing.
server_up() {
	if ! stack_up "$2" "$(free_port)" "$3"; then
		error "round $1: $2 did not start (log: $OUT/logs/$2.log)"
		return 1
	fi
	load_argv warmup close "http://127.0.0.1:$UP_PORT/users" "$BENCH_WARMUP"
	load_run "$OUT/raw/$2.prime.r$1.w$3" "$LOAD_TOOL" || true
}

# turn_server ROUND STACK WORKERS KIND MODE...: up, each mode, down.
turn_server() {
	local r=$1 s=$2 w=$3 kind=$4 mode id meta tag=$2
	shift 4
	[ "$kind" = main ] || tag=$kind-w$w
	server_up "$r" "$s" "$w" || return 0
	for mode in "$@"; do
		id=$tag.$mode.r$r
		meta=(stack="$s" mode="$mode" round="$r" kind="$kind" port="$UP_PORT")
		if stack_is_c "$s"; then meta+=(workers="$w"); fi
		measure_server "$id" "$mode" "${meta[@]}" || error "round $r: $id failed"
	done
	# pgbench runs as long as c-lighttpd's close run of its round.
	if [ "$kind" = main ] && [ -e "$OUT/runs/c-lighttpd.close.r$r.json" ]; then
		C_SECS[$r]=$(jq '.duration_s | ceil' "$OUT/runs/c-lighttpd.close.r$r.json")
	fi
	stack_down
}

# measure_server ID MODE KEY=VALUE...: warm up, then measure while
# sampling; the warm-up's rate sizes the measured run (run_size).
measure_server() {
	local id=$1 mode=$2 url=http://127.0.0.1:$UP_PORT/users
	shift 2
	load_argv warmup "$mode" "$url" "$BENCH_WARMUP"
	load_run "$OUT/raw/$id.warmup" "$LOAD_TOOL" || return 1
	load_argv measure "$mode" "$url" "$(run_size "$(jq .rps "$OUT/raw/$id.warmup.json")")"
	measured "$id" "$LOAD_TOOL" "stack=$(stack_roots)" -- "$@"
}

# --- open loop ------------------------------------------------------------

# close_max STACK: the median of its connection-per-request rates (the
# rounds' main runs), or nothing.
close_max() {
	compgen -G "$OUT/runs/$1.close.r*.json" >/dev/null || return 0
	jq -s '[.[].rps] | sort | .[length / 2 | floor] | floor' "$OUT/runs/$1.close.r"*.json
}

# The common rate: BENCH_OPEN_COMMON, or half the lowest maximum of the
# server stacks but FastAPI sync (which may not hold it), rounded down to
# a multiple of half its leading power of ten (617 -> 600, 4480 -> 4000).
open_common() {
	local s m low=""
	case "$BENCH_OPEN_COMMON" in
	0) return 0 ;;
	auto) ;;
	*) echo "$BENCH_OPEN_COMMON"; return 0 ;;
	esac
	for s in $OPEN_STACKS; do
		[ "$s" != fastapi ] || [ "$OPEN_STACKS" = fastapi ] || continue
		m=$(close_max "$s")
		[ -n "$m" ] || continue
		if [ -z "$low" ] || [ "$m" -lt "$low" ]; then low=$m; fi
	done
	[ -n "$low" ] || return 0
	awk -v r="$low" 'BEGIN { h = r / 2; if (h < 1) { print 1; exit }
	    step = 10 ^ int(log(h) / log(10)) / 2; if (step < 1) step = 1
	    print int(h / step) * step }'
}

# turn_open STACK: the stack up and primed, then oha at each offered rate
# in turn, lowest first: BENCH_OPEN_PCTS of its closed-loop maximum, and
# the common rate unless that is above its maximum (FastAPI sync: its
# backlog would grow for the whole run, as in the seed's -q 10000 run, and
# with 200 connections its pool timeouts turn into minutes of 500s).
turn_open() {
	local s=$1 max pct rate label rates=()
	max=$(close_max "$s")
	if [ -z "$max" ] || [ "$max" -lt 1 ]; then
		error "open loop: $s has no closed-loop rate to start from"
		return 0
	fi
	[ -n "$OPEN_COMMON" ] || OPEN_COMMON=$(open_common)
	for pct in $BENCH_OPEN_PCTS; do
		rate=$((max * pct / 100))
		rates+=("$((rate > 0 ? rate : 1)) p$pct")
	done
	if [ -n "$OPEN_COMMON" ] && [ "$OPEN_COMMON" -le "$max" ]; then
		rates+=("$OPEN_COMMON common")
	fi
	server_up open "$s" 5 || return 0
	while read -r rate label; do
		load_argv open close "http://127.0.0.1:$UP_PORT/users" "$rate"
		measured "$s.open.$label" oha "stack=$(stack_roots)" -- stack="$s" mode=open \
		    round=1 kind=open port="$UP_PORT" rate="$rate" offer="$label" \
		    closed_max_rps="$max" connections="$BENCH_OPEN_CONNECTIONS" ||
		    error "open loop: $s at $rate rps failed"
	done < <(printf '%s\n' "${rates[@]}" | sort -n)
	stack_down
}

turn_pgbench() {
	local r=$1 id=pgbench.ceiling.r$1 secs
	pgbench_argv "$BENCH_WARMUP"
	if ! load_run "$OUT/raw/$id.warmup" pgbench; then
		error "round $r: pgbench failed (see $OUT/raw/$id.warmup.err)"
		return 0
	fi
	secs=${C_SECS[$r]:-$(run_seconds "$(jq .rps "$OUT/raw/$id.warmup.json")")}
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
	jq -r '"    \(.mode)\(if .rate then " at \(.rate) rps" else "" end): \(.requests) requests,"
	    + " \(.rps | floor) rps, p50 \(.p50_ms // "-") ms,"
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
	    --arg common "$OPEN_COMMON" \
	    '. + {finished: $finished, elapsed_s: $elapsed}
	     | .open.common = (if $common == "" then null else ($common | tonumber) end)' \
	    "$OUT/meta.json" >"$OUT/meta.json.new"
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
	bench_db_stop
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
