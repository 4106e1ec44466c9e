#!/usr/bin/env bash
# scripts/pool.sh -- keeps N workers accepting on the socket it is given
# as fd 0: spawn-fcgi -n binds it and execs this (scripts/stack.sh
# spawn_workers runs a copy in the run directory).
#
#   pool.sh N WORKER-COMMAND...
#
# multiwatch forks N workers and restarts any that dies, at once.  After
# RETRIES deaths of one worker in a row, each within RETRY_MS of its
# start (a worker that cannot start, or one crashed as soon as it
# starts), multiwatch gives that worker up, and exits once it has given
# them all up.  This loop then starts it again: 0.1 s later, the wait
# doubled after each short run (under 10 s) up to 1 s.  So no rate of
# crashes leaves the socket without workers for much more than a second,
# and a worker that cannot start costs a burst of forks a second, not a
# busy loop.  SIGTERM or SIGINT (make down): multiwatch passes SIGTERM
# to the workers (they finish the request in progress), then this ends.
set -euo pipefail

RETRIES=10
RETRY_MS=1000
n=$1
shift
delay=100	# ms to wait before the next start
mw=
trap '[ -z "$mw" ] || kill -TERM "$mw" 2>/dev/null; wait; exit 0' TERM INT

while :; do
	started=$SECONDS
	/usr/bin/multiwatch -f "$n" -r "$RETRIES" -t "$RETRY_MS" -s TERM -- "$@" <&0 &
	mw=$!	# (<&0: a background job's stdin would be /dev/null)
	wait "$mw" || true
	mw=
	if [ $((SECONDS - started)) -ge 10 ]; then
		delay=100
	fi
	echo "pool.sh: multiwatch gave its workers up; starting them again in $delay ms" >&2
	sleep "$((delay / 1000)).$(printf '%03d' $((delay % 1000)))" &
	wait $! || true
	delay=$((delay * 2 > 1000 ? 1000 : delay * 2))
done
