#!/usr/bin/env bash
# tests/sanitized.sh -- the integration suite with workers built with
# -fsanitize=address,undefined (WORKER_BIN); any report fails it.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

LOGS=$T_TMP/sanitizer-logs
make_private_dir "$LOGS"
# Passed to the workers only (stack.sh's WORKER_ENV): the deployable
# lighttpd.conf knows nothing of sanitizers.
export WORKER_ENV="ASAN_OPTIONS=log_path=$LOGS/asan:detect_leaks=1 UBSAN_OPTIONS=log_path=$LOGS/ubsan:print_stacktrace=1:halt_on_error=1"

check "[asan] the worker is instrumented" \
    grep -q __asan_init "$ROOT/$WORKER_BIN"
if WORKERS=1 t_up; then
	check "[asan] the sanitizer options reach the worker" \
	    grep -qz "^ASAN_OPTIONS=log_path=$LOGS/asan" "/proc/$(worker_pids "$T_RUN_DIR")/environ"
	t_down
else
	fail "[asan] the stack comes up"
fi
"$ROOT/tests/integration.sh"
reports=$(find "$LOGS" -type f)
check_eq "[asan] no sanitizer report from any worker" "" "$reports"
for f in $reports; do head -n 30 "$f"; done
