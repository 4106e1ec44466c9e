# bench/lib/progress.sh -- the plan of turns, and a line per turn with
# what runs and an estimate of the time left.
# shellcheck shell=bash
#
# A turn is "ROUND KIND STACK [WORKERS]", KIND main, scaling or open: one
# stack up, warmed up, measured (in every mode, or at every open-loop
# rate), down.  The estimate of a turn is the time the same turn took in
# an earlier round, else a guess from a typical rate.

declare -A TURN_SECS=()
PLAN=()

# The rate we guess for a stack before we have seen it (rps on 2 cores).
guess_rps() {
	case "$1" in
	fastapi) echo 200 ;;
	fastapi-async) echo 800 ;;
	pgbench) echo 20000 ;;
	*) echo 5000 ;;
	esac
}

# turn_key KIND STACK [WORKERS]: what turns of later rounds are estimated by.
turn_key() { echo "$1-$2${3:+-w$3}"; }

# Seconds a turn of KIND STACK [WORKERS] is expected to take.
turn_estimate() {
	local key modes=1 n secs
	key=$(turn_key "$@")
	if [ -n "${TURN_SECS[$key]:-}" ]; then echo "${TURN_SECS[$key]}"; return; fi
	if [ "$1" = open ]; then
		n=$(($(wc -w <<<"$BENCH_OPEN_PCTS") + 1))
		echo $((3 + BENCH_WARMUP + n * (BENCH_OPEN_SECONDS + 1)))
		return
	fi
	[ "$1" = scaling ] || [ "$2" = pgbench ] || modes=$(wc -w <<<"$BENCH_MODES")
	secs=$((BENCH_REQUESTS / $(guess_rps "$2") + 1))
	[ "$secs" -le "$BENCH_MAX_SECONDS" ] || secs=$BENCH_MAX_SECONDS
	echo $((3 + BENCH_WARMUP + modes * (BENCH_WARMUP + secs + 1)))
}

# Seconds the turns from index $1 on are expected to take.
plan_remaining() {
	local i total=0
	for ((i = $1; i < ${#PLAN[@]}; i++)); do
		# shellcheck disable=SC2086  # "ROUND KIND STACK [WORKERS]"
		total=$((total + $(set -- ${PLAN[i]}; turn_estimate "$2" "$3" "${4:-}")))
	done
	echo "$total"
}

human_secs() {
	if [ "$1" -ge 60 ]; then printf '%dm%02ds' $(($1 / 60)) $(($1 % 60))
	else printf '%ds' "$1"; fi
}

# progress I WHAT: "[i/n] WHAT (about T left)"
progress() {
	printf '[%d/%d] %s (about %s left)\n' "$(($1 + 1))" "${#PLAN[@]}" "$2" \
	    "$(human_secs "$(plan_remaining "$1")")" >&2
}
