#!/usr/bin/env bash
# tests/reliability/fuzz-short.sh -- the libFuzzer harnesses (tests/fuzz/), short:
# every regression input replayed, then FUZZ_SECONDS (12) of fuzzing per
# harness from the committed corpus.  A failure found here is kept in
# tests/fuzz/regressions/ like one found by `make fuzz` (300 s each).
set -euo pipefail
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"

L="[fuzz]"
if ! make -s -C "$ROOT" fuzz-build >"$T_TMP/fuzz-build.log" 2>&1; then
	fail "$L the harnesses build (clang -fsanitize=fuzzer,address,undefined)"
	tail -n 20 "$T_TMP/fuzz-build.log"
	exit 0
fi
pass "$L the harnesses build (clang -fsanitize=fuzzer,address,undefined)"
out=$("$ROOT/tests/fuzz/run-fuzzers.sh" -t "${FUZZ_SECONDS:-12}" -w "$T_TMP/fuzz") || true
printf '%s\n' "$out" | grep -v '^ok \|^FAILED ' || true
while read -r verdict rest; do
	case $verdict in
	ok) pass "$L ${rest#fuzz }" ;;
	FAILED) fail "$L ${rest#fuzz }" ;;
	esac
done <<<"$out"
