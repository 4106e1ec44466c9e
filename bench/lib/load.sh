# bench/lib/load.sh -- the load generators: oha (the seed's tool, built
# by lib/oha.sh) and pgbench for the ceiling.  Every run leaves its raw output in FILE.raw
# and a normalized JSON object in FILE.json (lib/normalize.py).
# shellcheck shell=bash

# Sets LOAD_TOOL (oha) and LOAD_BIN; builds oha the first time
# (lib/oha.sh stops us with one line if it cannot).
load_detect() {
	LOAD_TOOL=oha
	LOAD_BIN=$("$BENCH_DIR/lib/oha.sh") || exit 1
}

# load_argv KIND MODE URL [ARG]: set LOAD_ARGV to the load tool's command.
#   warmup   ARG seconds
#   measure  ARG requests: see run_size
#   open     oha at a constant rate of ARG requests per second for
#            BENCH_OPEN_SECONDS, latency counted from when each request
#            was due (--latency-correction), BENCH_OPEN_CONNECTIONS
#            connections at most, requests under way at the end waited for
# MODE: close (a connection per request, the seed's method) or keepalive.
load_argv() {
	local kind=$1 mode=$2 url=$3 arg=${4:-}
	LOAD_ARGV=("$LOAD_BIN" --no-tui --output-format json)
	[ "$mode" = keepalive ] || LOAD_ARGV+=(--disable-keepalive)
	case "$kind" in
	warmup) LOAD_ARGV+=(-c "$BENCH_CONCURRENCY" -z "${arg}s") ;;
	measure) LOAD_ARGV+=(-c "$BENCH_CONCURRENCY" -n "$arg") ;;
	open) LOAD_ARGV+=(-c "$BENCH_OPEN_CONNECTIONS" -z "${BENCH_OPEN_SECONDS}s" -w
		-q "$arg" --latency-correction) ;;
	esac
	LOAD_ARGV+=("$url")
}

# pgbench_argv SECONDS: the ceiling -- the same query, 5 clients (the
# servers' pool), prepared statements.
pgbench_argv() {
	local threads=$(($(nproc) < 5 ? $(nproc) : 5))
	LOAD_ARGV=("$PG_BIN/pgbench" -n -M prepared -c 5 -j "$threads"
	    -T "$1" -f "$BENCH_DIR/pgbench.sql" "$DB_URL")
}

# run_size RPS: the size of a measured run, given the rate RPS seen in
# its warm-up: BENCH_REQUESTS requests, but no more than take
# BENCH_MAX_SECONDS at that rate (oha's -n and -z exclude each other).  A
# slow stack does fewer requests than asked, and the report shows the
# count it did.
run_size() {
	awk -v n="$BENCH_REQUESTS" -v r="$1" -v max="$BENCH_MAX_SECONDS" \
	    'BEGIN { c = r > 0 ? int(r * max) : n; print (c >= n ? n : (c < 1 ? 1 : c)) }'
}

# run_seconds RPS: the whole seconds that BENCH_REQUESTS take at the rate
# RPS, at least 1, at most BENCH_MAX_SECONDS (pgbench is duration-based).
run_seconds() {
	awk -v n="$BENCH_REQUESTS" -v r="$1" -v max="$BENCH_MAX_SECONDS" \
	    'BEGIN { s = r > 0 ? n / r : 10; s = int(s) + (s > int(s));
	    if (s > max) s = max; print s < 1 ? 1 : s }'
}

# load_run FILE TOOL [GROUP=PIDS...] [-- KEY=VALUE...]: run LOAD_ARGV with
# its output in FILE.raw; with GROUPs, lib/sampler.py samples them, and
# the load tool itself ("load"), from just before the tool starts to its
# end.  Then FILE.json: the normalized result, the samples, the
# KEY=VALUEs, and the tool's own CPU seconds (load_cpu_s, exact: what
# the kernel charged to the reaped child, however short the run).  Fails
# if the tool fails.
load_run() {
	local file=$1 tool=$2 rc=0 groups=() meta=()
	shift 2
	while [ $# -gt 0 ] && [ "$1" != -- ]; do groups+=("$1"); shift; done
	[ $# -eq 0 ] || { shift; meta=("$@"); }
	if [ "${#groups[@]}" -gt 0 ]; then
		sampler_start "$file" "${groups[@]}" || return 1
		meta+=(--samples "$file.samples")
	fi
	# `times` in this shell (no subshell): the CPU of our reaped children.
	times >"$file.times"
	"${LOAD_ARGV[@]}" >"$file.raw" 2>"$file.err" &
	LOAD_PID=$!
	echo "$LOAD_PID" >"$file.pid"
	wait "$LOAD_PID" || rc=$?
	times >>"$file.times"
	LOAD_PID=""
	sampler_stop
	meta+=("load_cpu_s=$(awk 'NR % 2 == 0 { for (i = 1; i <= 2; i++) {
	    split($i, a, /[ms]/); t[NR] += a[1] * 60 + a[2] } }
	    END { printf "%.3f", t[4] - t[2] }' "$file.times")")
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
