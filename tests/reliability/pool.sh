#!/usr/bin/env bash
# tests/reliability/pool.sh -- the workers' pool comes back, whatever the
# rate of crashes (nginx and lighttpd on one host, and ROLE=app).  Every 0.25 s, 12
# times, every worker of the pool dies (SIGKILL and SIGABRT in turn):
# far past multiwatch's own limit (it gives a worker up after 10 quick
# deaths in a row).  Within 2 s of the last one the pool answers again,
# with all its workers.
set -euo pipefail
# shellcheck source=faults.bash
. "$(dirname "$0")/faults.bash"

W=3

# crash_rounds: 12 rounds, 0.25 s apart, of killing every worker.
crash_rounds() {
	local i p sig
	for i in $(seq 12); do
		sig=KILL
		[ $((i % 2)) -eq 0 ] || sig=ABRT
		for p in $(worker_pids "$T_RUN_DIR"); do kill -"$sig" "$p" 2>/dev/null || true; done
		sleep 0.25
	done
}

# back_within SECONDS COMMAND...: run COMMAND every 0.05 s until it
# succeeds, SECONDS at most; print the time it took (ms).  Fails if it
# never succeeded.
back_within() {
	local limit=$1 t0 t
	shift
	t0=$(now)
	until "$@"; do
		t=$(awk -v a="$t0" -v b="$(now)" 'BEGIN { printf "%d", (b - a) * 1000 }')
		[ "$t" -lt "$((limit * 1000))" ] || { echo "$t"; return 1; }
		sleep 0.05
	done
	awk -v a="$t0" -v b="$(now)" 'BEGIN { printf "%d\n", (b - a) * 1000 }'
}

# After the rounds: back within 2 s, all W workers within 3 s.
after_crashes() {
	local L=$1 ms
	shift
	crash_rounds
	if ms=$(back_within 10 "$@"); then
		check "$L 12 rounds of crashes of every worker: it answers again $ms ms after the last (at most 2000)" \
		    [ "$ms" -le 2000 ]
	else
		fail "$L 12 rounds of crashes of every worker: it answers again (not within $ms ms)"
	fi
	sleep 3
	check_eq "$L ... with all $W workers" "$W" "$(worker_pids "$T_RUN_DIR" | wc -l)"
	[ "$FRONT" = lighttpd ] ||
	    printf '        %s multiwatch gave the workers up and was started again %d times\n' \
	    "$L" "$(grep -c 'starting them again' "$T_RUN_DIR/error.log" || true)"
}

# One host: lighttpd restarts the workers it spawned; nginx's are the
# pool's.
ok_200() { [ "$(http_code "$T_URL/users")" = 200 ]; }
crashes_behind() { after_crashes "[$FRONT]" ok_200; }
for_each_front crashes_behind WORKERS=$W

# ROLE=app: FastCGI straight to the workers, as a front host would.
FCGI=127.0.0.1:$(free_port)
T_RUN_DIR=$STATE_DIR/app-${FCGI/:/-}
FRONT=app
if ROLE=app FCGI_LISTEN=$FCGI FRONT_ADDRS=127.0.0.1 WORKERS=$W "$ROOT/scripts/stack.sh" up; then
	check "[ROLE=app] answers FastCGI" fcgi_users "$FCGI"
	after_crashes "[ROLE=app]" fcgi_users "$FCGI"
else
	fail "[ROLE=app] the workers come up"
fi
ROLE=app FCGI_LISTEN=$FCGI "$ROOT/scripts/stack.sh" down || true
