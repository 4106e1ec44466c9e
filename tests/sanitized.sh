#!/usr/bin/env bash
# tests/sanitized.sh -- the integration suite with workers built with
# -fsanitize=address,undefined (WORKER_BIN); any report fails it.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

LOGS=$T_TMP/sanitizer-logs
make_private_dir "$LOGS"
export ASAN_OPTIONS="log_path=$LOGS/asan:detect_leaks=1"
export UBSAN_OPTIONS="log_path=$LOGS/ubsan:print_stacktrace=1:halt_on_error=1"

check "[asan] the worker is instrumented" \
    grep -q __asan_init "$ROOT/$WORKER_BIN"
"$ROOT/tests/integration.sh"
reports=$(find "$LOGS" -type f)
check_eq "[asan] no sanitizer report from any worker" "" "$reports"
for f in $reports; do head -n 30 "$f"; done
