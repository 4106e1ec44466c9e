#!/usr/bin/env bash
# tests/reload.sh -- make reload (stack.sh reload) behind each front,
# under a constant load of 20 clients, each request on a new connection:
# no request fails, none takes 1 s or more, every worker is new and runs
# the current build, WORKERS of them afterwards; twice in a row; then
# `down` leaves nothing running.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
# shellcheck source=reload.bash
. "$ROOT/tests/reload.bash"

# The stack's workers (worker_pids: those running the run directory's
# binary, not a replaced one).
stack_workers() { worker_pids "$T_RUN_DIR"; }

reload_stack() { PORT=$T_PORT "$ROOT/scripts/stack.sh" reload; }

reload_twice() { reload_stack && reload_stack; }

reload_each() {
	under_load "make reload, $FRONT" "$T_URL/users" stack_workers reload_stack
	under_load "make reload twice, $FRONT" "$T_URL/users" stack_workers reload_twice
	t_down
	check_eq "[$FRONT] down after reloads: no worker left" "" "$(stack_workers)"
	check "[$FRONT] down after reloads: the port is free" port_free "$T_PORT"
}

for_each_front reload_each WORKERS=5
