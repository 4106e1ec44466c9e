#!/usr/bin/env bash
# tests/fuzz/run-fuzzers.sh -- replay the regression inputs, then fuzz, for each
# libFuzzer harness (build/fuzz/fuzz_<target>, built by `make fuzz-build`).
#
#   run-fuzzers.sh [-t SECONDS] [-w WORKDIR] [TARGET...]
#
# TARGET: route, json (default both).  Each runs SECONDS (default 300)
# from the committed corpus (tests/fuzz/corpus/<target>) plus what
# earlier runs found in WORKDIR (default build/fuzz/work).  A crash, leak
# or failed check is saved under tests/fuzz/regressions/<target>/, which
# every later run (make test included) replays first: commit it with the
# fix.  Prints "ok ..." or "FAILED ..." per step; exits non-zero on any
# failure.
set -uo pipefail
. "$(dirname "$0")/../../scripts/common.sh"

SECONDS_EACH=300
WORK=$ROOT/build/fuzz/work
while getopts t:w: o; do
	case $o in
	t) SECONDS_EACH=$OPTARG ;;
	w) WORK=$OPTARG ;;
	*) die "usage: run-fuzzers.sh [-t SECONDS] [-w WORKDIR] [TARGET...]" ;;
	esac
done
shift $((OPTIND - 1))
[ "$#" -gt 0 ] || set -- route json

FUZZ=$ROOT/tests/fuzz
failed=0
ok() { printf 'ok      fuzz %s\n' "$*"; }
bad() { printf 'FAILED  fuzz %s\n' "$*"; failed=1; }

# Keep what the fuzzer left in $1 (crash-*, leak-*, timeout-*, oom-*) as
# regression inputs of target $2; prints their names.
keep_artifacts() {
	local f name
	for f in "$1"/*; do
		[ -f "$f" ] || continue
		name=$(sha1sum "$f" | cut -c1-40)
		cp "$f" "$FUZZ/regressions/$2/${f##*/}" 2>/dev/null ||
		    cp "$f" "$FUZZ/regressions/$2/$name"
		echo "tests/fuzz/regressions/$2/${f##*/}"
	done
}

for t in "$@"; do
	bin=$ROOT/build/fuzz/fuzz_$t
	if [ ! -x "$bin" ]; then
		bad "$t: $bin is not built (make fuzz-build)"
		continue
	fi
	mkdir -p "$WORK/corpus-$t" "$WORK/artifacts-$t" "$FUZZ/regressions/$t"
	rm -f "$WORK/artifacts-$t"/*
	dict=()
	[ ! -f "$FUZZ/$t.dict" ] || dict=(-dict="$FUZZ/$t.dict")

	# Every regression input, one by one: none may fail.
	n=$(find "$FUZZ/regressions/$t" -type f | wc -l)
	if "$bin" "${dict[@]}" "$FUZZ/regressions/$t"/* \
	    >"$WORK/replay-$t.log" 2>&1; then
		ok "$t: $n regression inputs replay clean"
	else
		bad "$t: a regression input fails (see below)"
		grep -E 'ERROR|SUMMARY|Running:|require|\.c:[0-9]+:' \
		    "$WORK/replay-$t.log" | head -n 20
	fi

	# Then fuzz for SECONDS_EACH.
	if "$bin" -max_total_time="$SECONDS_EACH" -max_len=4096 -timeout=10 \
	    -rss_limit_mb=2048 -print_final_stats=1 "${dict[@]}" \
	    -artifact_prefix="$WORK/artifacts-$t/" \
	    "$WORK/corpus-$t" "$FUZZ/corpus/$t" >"$WORK/fuzz-$t.log" 2>&1; then
		runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$WORK/fuzz-$t.log")
		cov=$(grep -o 'cov: [0-9]*' "$WORK/fuzz-$t.log" | tail -n 1)
		ok "$t: ${runs:-?} inputs in ${SECONDS_EACH} s, no failure ($cov edges)"
	else
		bad "$t: the fuzzer found a failure, kept as a regression input:"
		keep_artifacts "$WORK/artifacts-$t" "$t"
		grep -E 'ERROR|SUMMARY|require|\.c:[0-9]+:' "$WORK/fuzz-$t.log" |
		    head -n 20
	fi
done
exit "$failed"
