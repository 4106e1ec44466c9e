# bench/lib/load.sh -- the load generators: oha when installed, else wrk;
# pgbench for the ceiling.  Every run leaves its raw output in FILE.raw
# and a normalized JSON object in FILE.json (lib/normalize.py).
# shellcheck shell=bash

# Which tool: BENCH_TOOL=oha|wrk, or auto (oha if installed).
load_detect() {
	case "${BENCH_TOOL:-auto}" in
	auto) if command -v oha >/dev/null; then LOAD_TOOL=oha; else LOAD_TOOL=wrk; fi ;;
	oha | wrk) LOAD_TOOL=$BENCH_TOOL ;;
	*) die "BENCH_TOOL=$BENCH_TOOL: oha, wrk or auto" ;;
	esac
	command -v "$LOAD_TOOL" >/dev/null || die "$LOAD_TOOL is not installed"
	# wrk: one thread per core, never more threads than connections.
	WRK_THREADS=$(($(nproc) < BENCH_CONCURRENCY ? $(nproc) : BENCH_CONCURRENCY))
}

# load_argv KIND MODE URL [ARG]: set LOAD_ARGV to the load tool's command.
#   warmup   ARG = seconds
#   measure  BENCH_REQUESTS requests; wrk runs for ARG seconds instead
#   open     constant rate ARG (oha only): BENCH_REQUESTS requests
# MODE: close (a connection per request, the seed's method) or keepalive.
load_argv() {
	local kind=$1 mode=$2 url=$3 arg=${4:-}
	if [ "$LOAD_TOOL" = oha ]; then
		LOAD_ARGV=(oha -c "$BENCH_CONCURRENCY" --no-tui --output-format json)
		[ "$mode" = keepalive ] || LOAD_ARGV+=(--disable-keepalive)
		case "$kind" in
		warmup) LOAD_ARGV+=(-z "${arg}s") ;;
		measure) LOAD_ARGV+=(-n "$BENCH_REQUESTS") ;;
		open) LOAD_ARGV+=(-n "$BENCH_REQUESTS" -q "$arg" --latency-correction) ;;
		esac
	else
		LOAD_ARGV=(wrk -t "$WRK_THREADS" -c "$BENCH_CONCURRENCY" -d "${arg}s"
		    --timeout 10s -s "$BENCH_DIR/wrk.lua")
		[ "$mode" = keepalive ] || LOAD_ARGV+=(-H 'Connection: close')
	fi
	LOAD_ARGV+=("$url")
}

# pgbench_argv SECONDS: the ceiling -- the same query, 5 clients (the
# servers' pool), prepared statements.
pgbench_argv() {
	local threads=$(($(nproc) < 5 ? $(nproc) : 5))
	LOAD_ARGV=("$PG_BIN/pgbench" -n -M prepared -c 5 -j "$threads"
	    -T "$1" -f "$BENCH_DIR/pgbench.sql" "$DB_URL")
}

# wrk is duration-based: the whole seconds that BENCH_REQUESTS take at
# the rate RPS measured in the warm-up (at least 1, at most
# BENCH_MAX_SECONDS: a slow stack does fewer requests, and the report
# shows the count it did).
wrk_seconds() {
	awk -v n="$BENCH_REQUESTS" -v r="$1" -v max="${BENCH_MAX_SECONDS:-60}" \
	    'BEGIN { s = r > 0 ? n / r : 10; s = int(s) + (s > int(s));
	    if (s > max) s = max; print s < 1 ? 1 : s }'
}

# load_run FILE TOOL [GROUP=PIDS...] [-- KEY=VALUE...]: run LOAD_ARGV with
# its output in FILE.raw; with GROUPs, lib/sampler.py samples them, and
# the load tool itself ("load"), from just before the tool starts to its
# end.  Then FILE.json: the normalized result, the samples, the
# KEY=VALUEs.  Fails if the tool fails.
load_run() {
	local file=$1 tool=$2 rc=0 groups=() meta=()
	shift 2
	while [ $# -gt 0 ] && [ "$1" != -- ]; do groups+=("$1"); shift; done
	[ $# -eq 0 ] || { shift; meta=("$@"); }
	if [ "${#groups[@]}" -gt 0 ]; then
		sampler_start "$file" "${groups[@]}" || return 1
		meta+=(--samples "$file.samples")
	fi
	"${LOAD_ARGV[@]}" >"$file.raw" 2>"$file.err" &
	LOAD_PID=$!
	echo "$LOAD_PID" >"$file.pid"
	wait "$LOAD_PID" || rc=$?
	LOAD_PID=""
	sampler_stop
	if [ "$rc" -ne 0 ]; then
		log "${LOAD_ARGV[0]##*/} failed ($rc): $(tail -n 3 "$file.err" | tr '\n' ' ')"
		return 1
	fi
	"$PY" "$BENCH_DIR/lib/normalize.py" "$tool" "$file.raw" "${meta[@]}" \
	    >"$file.json"
}

# sampler_start FILE GROUP=PIDS...: sample into FILE.samples, the load
# tool's PID to come in FILE.pid; returns once the first sample is taken.
sampler_start() {
	local file=$1 deadline=$((SECONDS + 20))
	shift
	rm -f "$file.samples" "$file.samples.ready" "$file.pid"
	"$PY" "$BENCH_DIR/lib/sampler.py" "$file.samples" "$@" "load=@$file.pid" &
	SAMPLER_PID=$!
	until [ -e "$file.samples.ready" ]; do
		if ! pid_alive "$SAMPLER_PID" || [ "$SECONDS" -ge "$deadline" ]; then
			log "the sampler did not start"
			sampler_stop
			return 1
		fi
		sleep 0.05
	done
}

# Stop the sampler (it writes its file on SIGTERM).
sampler_stop() {
	[ -n "${SAMPLER_PID:-}" ] || return 0
	kill -TERM "$SAMPLER_PID" 2>/dev/null || true
	wait "$SAMPLER_PID" 2>/dev/null || true
	SAMPLER_PID=""
}
